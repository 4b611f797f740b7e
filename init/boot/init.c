/* init.c - PID 1's boot sequence (docs/architecture.md, "Boot" and "Rules
 * for PID 1").
 *
 * Each phase logs its problems and lets boot go on; only a missing /proc or
 * /dev stops the sequence, and then the console gets an emergency shell.
 * PID 1 never exits: if the supervisor loop ever returns, it keeps reaping.
 */
#include "init.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bless.h"
#include "cmdline.h"
#include "compose_boot.h"
#include "console.h"
#include "datadisk.h"
#include "hostnet.h"
#include "modules.h"
#include "mounts.h"
#include "init/supervisor/crash.h"
#include "init/supervisor/handover.h"
#include "init/supervisor/supervisor.h"
#include "sysctl.h"
#include "timeline.h"
#include "runtime/lib/log.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/sandbox/seccomp.h"
#include "runtime/lib/selfexe.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"
#include "init/version.h"

#define MODULES_LIST "/etc/berth/modules"
#define T0_ENV "BERTH_INIT_T0"

static const int early_blocked[] = { SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR, SIGHUP };

static void report_line(void *ctx, const char *msg)
{
	(void)ctx;
	log_warn("%s", msg);
}

static void block_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(early_blocked) / sizeof(early_blocked[0]); i++)
		sigaddset(&set, early_blocked[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Leave the initramfs root mount, so containers can pivot_root. */
static void phase_root(void)
{
	struct berr e;

	if (!root_is_initramfs())
		return;
	if (root_move_to_tmpfs(&e) < 0) {
		log_err("root: %s; containers will not be able to pivot_root", e.msg);
		return;
	}
	timeline_mark("root");
}

static void phase_cmdline(struct boot_params *p)
{
	char line[4096];

	cmdline_defaults(p);
	if (read_file("/proc/cmdline", line, sizeof(line)) < 0) {
		log_err("cmdline: /proc/cmdline: %s", strerror(errno));
		return;
	}
	cmdline_parse(line, p, report_line, NULL);
	log_set_debug(p->debug);
}

static void phase_modules(void)
{
	struct utsname u;
	char dir[512], list[4096];
	const char *names[128];
	char *save = NULL;
	int n = 0, loaded;

	uname(&u);
	snprintf(dir, sizeof(dir), "/lib/modules/%s", u.release);
	if (access(dir, F_OK) < 0)
		return; /* our own kernel: everything is built in */
	if (read_file(MODULES_LIST, list, sizeof(list)) < 0) {
		log_warn("modules: %s: %s", MODULES_LIST, strerror(errno));
		return;
	}
	for (char *line = strtok_r(list, "\n", &save); line && n < 128;
	     line = strtok_r(NULL, "\n", &save)) {
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		line = strstrip(line);
		if (*line)
			names[n++] = line;
	}
	loaded = mod_load_list(dir, names, n, report_line, NULL);
	log_info("modules: %d loaded from %s", loaded, dir);
	timeline_mark("modules");
}

static void phase_hostname(void)
{
	char name[256];
	char *h = name;
	ssize_t n = read_file("/etc/hostname", name, sizeof(name));

	if (n < 0) {
		log_warn("hostname: /etc/hostname: %s; using \"berth\"", strerror(-n));
		h = "berth";
	} else {
		h = strstrip(name);
		if (!*h || strlen(h) > 64 || strchr(h, ' ')) {
			log_warn("hostname: /etc/hostname holds no valid name; using \"berth\"");
			h = "berth";
		}
	}
	if (sethostname(h, strlen(h)) < 0)
		log_err("hostname: %s", strerror(errno));
	timeline_mark("hostname");
}

static int load_br_netfilter(void *ctx)
{
	struct berr e;

	(void)ctx;
	if (mod_load_one("br_netfilter", &e) < 0) {
		log_warn("sysctl: /proc/sys/net/bridge is missing and br_netfilter could not be "
			 "loaded: %s",
			 e.msg);
		return -1;
	}
	log_info("sysctl: loaded br_netfilter for net.bridge.*");
	return 0;
}

static void phase_sysctl(void)
{
	struct sysctl_hooks hooks = { .load_br_netfilter = load_br_netfilter,
				      .report = report_line };
	struct sysctl_stats st;

	sysctl_apply_dir("/etc/sysctl.d", "/proc/sys", &hooks, &st);
	log_info("sysctl: %d applied, %d failed, %d bad lines", st.applied, st.failed,
		 st.bad_lines);
	timeline_mark("sysctl");
}

static void __attribute__((noreturn)) reap_forever(void)
{
	log_err("supervisor returned; reaping only");
	for (;;) {
		if (waitpid(-1, NULL, 0) < 0)
			pause();
	}
}

/* More than CRASH_MAX_FAULTS faults within CRASH_WINDOW_S: no supervisor
 * any more. The containers run on unsupervised; the console keeps a shell
 * (respawned), and everything is reaped. Never returns. */
static void crash_loop_shell(struct console *con, const char *desc)
{
	log_err("PID 1 faulted more than %d times within %d s (%s): crash loop; the supervisor "
		"stays down, containers keep running; emergency shell on the console "
		"('reboot -f' restarts)",
		CRASH_MAX_FAULTS, CRASH_WINDOW_S, desc);
	if (con->mode == CONSOLE_NONE)
		con->mode = CONSOLE_SHELL;
	/* a fault even here re-execs into this same shell-only mode */
	crash_install(&con->pid);
	if (con->pid <= 0)
		console_start(con);
	for (;;) {
		pid_t pid = waitpid(-1, NULL, 0);

		if (pid < 0) {
			pause();
		} else if (pid == con->pid) {
			con->pid = 0;
			sleep(1);
			console_start(con);
		}
	}
}

/* After a fault PID 1 re-exec'd itself as `init --recover FD` (crash.h).
 * Mounts, network, the data disk and the containers are all still there:
 * bring the supervisor back, unless the faults come in a loop. */
static void __attribute__((noreturn)) init_recover(const char *fdarg)
{
	struct boot_params params;
	struct console con;
	struct sup_opts opts = { .root = "", .pid1 = getpid() == 1, .console = &con,
				 .handover_fd = atoi(fdarg), .recovering = true };
	struct hov_header *h;
	struct berr e;
	char desc[200];

	block_signals();
	log_to_kmsg(1);
	if (hov_open(opts.handover_fd, &e) < 0)
		log_err("recovery: %s", e.msg);
	h = hov_header();
	if (h) {
		timeline_restore(h->timeline);
		dd_restore(h->datadisk);
	}
	phase_cmdline(&params);
	timeline_mark("recovered");
	crash_describe(desc, sizeof(desc));
	log_warn("PID 1 recovered from a fault: %s; %d within %d s", desc, crash_recent_faults(),
		 CRASH_WINDOW_S);
	if (console_init(&con, params.console) < 0)
		log_err("console: timerfd: %s", strerror(errno));
	con.pid = h ? h->console_pid : 0;
	if (crash_recent_faults() > CRASH_MAX_FAULTS)
		crash_loop_shell(&con, desc);
	opts.bridge_cidr = params.bridge_cidr;
	opts.watchdog = opts.pid1 ? params.watchdog : 0;
	opts.debug = params.debug;
	berr_ignore(sup_run(&opts));
	reap_forever();
}

int init_main(int argc, char **argv)
{
	struct boot_params params;
	struct console con;
	struct sup_opts opts = { .root = "", .pid1 = getpid() == 1, .console = &con,
				 .handover_fd = -1 };
	struct berr e;
	const char *fatal = NULL;
	int r;

	if (argc == 3 && strcmp(argv[1], "--recover") == 0)
		init_recover(argv[2]);
	block_signals();
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	umask(022);
	uint64_t t_init = now_ns();
	const char *t0 = getenv(T0_ENV);
	struct berr seal_err = { 0 };

	/* Phase 0: run from a sealed copy of berth, so nothing that enters a
	 * container can reach the binary on disk (CVE-2019-5736). */
	if (t0) {
		t_init = strtoull(t0, NULL, 10);
		unsetenv(T0_ENV);
	} else {
		char buf[32];

		mkdir("/proc", 0555);
		mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)t_init);
		setenv(T0_ENV, buf, 1);
		if (selfexe_seal(argv, &seal_err) < 0) /* returns only on failure */
			unsetenv(T0_ENV);
	}

	/* Phase 1: the basic mounts and cgroup2 with its controllers. */
	if (mounts_early(&e) < 0)
		fatal = e.msg;
	/* PID 1 logs more than /dev/kmsg's default rate limit lets through. */
	r = write_file("/proc/sys/kernel/printk_devkmsg", "on\n");
	log_to_kmsg(1);
	if (r < 0)
		log_warn("printk_devkmsg: %s; the kernel may drop some lines", strerror(-r));
	timeline_mark_at("init", t_init);
	if (opts.pid1)
		reboot(RB_DISABLE_CAD); /* Ctrl-Alt-Del becomes SIGINT */
	mounts_cgroup_controllers();
	log_info("berth %s starting", BERTH_VERSION);
	if (seal_err.code)
		log_err("%s; running from the image's binary", seal_err.msg);
	timeline_mark("mounts");
	/* Phase 2: off the initramfs root mount, so containers can pivot_root. */
	if (!fatal)
		phase_root();
	if (!fatal) {
		/* Phase 3: parameters, modules (distro kernels), hostname, sysctl. */
		phase_cmdline(&params);
		/* The services of /etc/berth/compose.yaml: a child that reads the
		 * file while the network comes up and asks once the supervisor
		 * answers. */
		if (opts.pid1)
			compose_boot_spawn(params.compose);
		phase_modules();
		/* Docker's default seccomp filter compiles on a thread meanwhile
		 * (a few hundred ms under TCG), for the workload's first start; */
		if (opts.pid1)
			sc_prewarm(sb_default_caps());
		/* and the data disk (virtio-blk, ext4: modules above) mounts. */
		dd_setup_start(params.data);
		/* The slowest step of the network phase overlaps the next ones. */
		hostnet_rules_start(&params);
		phase_hostname();
		phase_sysctl();
		/* Phase 4: lo, eth0, bridge berth0 and its NAT rules. */
		hostnet_setup(&params);
		timeline_mark("network");
		/* Phase 4b: the data disk at /data, state and logs bound onto it. */
		dd_setup_finish();
		/* A trial boot of an update: watchdog, mark-good child. */
		if (opts.pid1)
			bless_boot(&params);
	} else {
		cmdline_defaults(&params);
	}
	/* Phase 5: the console and the supervisor loop. */
	r = console_init(&con, params.console);
	if (r < 0)
		log_err("console: timerfd: %s; a shell that exits is not started again",
			strerror(-r));
	if (fatal) {
		static char banner[600];
		log_err("boot failed: %s", fatal);
		snprintf(banner, sizeof(banner),
			 "berth: boot failed: %s\nberth: emergency shell; 'berth reboot' or "
			 "'reboot -f' restarts",
			 fatal);
		con.banner = banner;
		if (con.mode == CONSOLE_NONE)
			con.mode = CONSOLE_SHELL;
	}
	opts.bridge_cidr = params.bridge_cidr;
	opts.watchdog = opts.pid1 ? params.watchdog : 0;
	opts.debug = params.debug;
	/* Not reached in PID 1; if it is (sup_run logged why), never exit:
	 * keep reaping. */
	berr_ignore(sup_run(&opts));
	reap_forever();
}

int daemon_main(int argc, char **argv)
{
	const char *root = NULL;
	struct sup_opts opts = { .pid1 = false, .handover_fd = -1 };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc)
			root = argv[++i];
		else if (strncmp(argv[i], "--root=", 7) == 0)
			root = argv[i] + 7;
		else if (strcmp(argv[i], "--debug") == 0)
			log_set_debug(1);
		else if (strcmp(argv[i], "--bridge") == 0 && i + 1 < argc)
			opts.bridge_cidr = argv[++i]; /* dockerd's --bip */
		else {
			fprintf(stderr, "berth daemon: unknown option \"%s\"\n"
					"usage: berth daemon --root DIR [--bridge ADDR/PREFIX] [--debug]\n",
				argv[i]);
			return 2;
		}
	}
	if (!root)
		root = getenv("BERTH_ROOT");
	if (!root || !*root) {
		fprintf(stderr, "berth daemon: --root DIR is required (the appliance's PID 1 "
				"uses /)\n");
		return 2;
	}
	if (mkdir_p(root, 0755) < 0) {
		fprintf(stderr, "berth daemon: %s: %s\n", root, strerror(errno));
		return 1;
	}
	block_signals();
	/* Orphans of our containers come to us, as they would to PID 1. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	opts.root = root;
	return sup_run(&opts) < 0 ? 1 : 0;
}
