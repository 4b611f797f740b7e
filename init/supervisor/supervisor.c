#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "containers.h"
#include "control.h"
#include "crash.h"
#include "handover.h"
#include "events.h"
#include "init/boot/datadisk.h"
#include "init/boot/timeline.h"
#include "init/boot/watchdog.h"
#include "runtime/image/image.h"
#include "runtime/net/bridge.h"
#include "runtime/lib/file.h"
#include "runtime/lib/log.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"
#include "init/version.h"

enum ev_kind { EV_SIGNAL = 1, EV_CONTROL, EV_REPLY, EV_CONSOLE, EV_WATCHDOG, EV_EVENTS };

struct sup {
	const struct sup_opts *o;
	int epfd;
	struct {
		int kind;
		int fd;
	} sig, con;
	struct ctl_server ctl;
	enum sup_action action;
	int fault;		/* debug-fault: the signal to fault with after replying */
	unsigned long reaped;
	struct ctrs *ctrs;
	struct watchdog wd;
};

static const char *action_name(enum sup_action a)
{
	switch (a) {
	case SUP_POWEROFF:
		return "poweroff";
	case SUP_REBOOT:
		return "reboot";
	case SUP_HALT:
		return "halt";
	default:
		return "stop";
	}
}

/* ---- control verbs ---- */

struct verb {
	const char *name;
	void (*fn)(struct sup *s, struct proto_request *req, struct ctl_reply *r, int *status);
};

static void verb_ping(struct sup *s, struct proto_request *req, struct ctl_reply *r, int *status)
{
	(void)s;
	(void)req;
	(void)status;
	reply_printf(r, "pong\n");
}

static void verb_version(struct sup *s, struct proto_request *req, struct ctl_reply *r,
			 int *status)
{
	(void)req;
	(void)status;
	reply_printf(r, "berth %s (%s, pid %d)\n", BERTH_VERSION, s->o->pid1 ? "init" : "daemon",
		     (int)getpid());
}

static void verb_boot(struct sup *s, struct proto_request *req, struct ctl_reply *r, int *status)
{
	char buf[4096];

	(void)s;
	(void)req;
	(void)status;
	timeline_format(buf, sizeof(buf));
	reply_printf(r, "%s", buf);
}

static void verb_shutdown(struct sup *s, struct proto_request *req, struct ctl_reply *r,
			  int *status)
{
	enum sup_action a = SUP_POWEROFF;

	if (req->argc > 1) {
		reply_error(r, "\"berth %s\" accepts no arguments", req->argv[0]);
		*status = 1;
		return;
	}
	if (strcmp(req->argv[0], "reboot") == 0)
		a = SUP_REBOOT;
	else if (strcmp(req->argv[0], "halt") == 0)
		a = SUP_HALT;
	if (!s->o->pid1)
		a = SUP_EXIT;
	s->action = a;
	reply_printf(r, "berth: %s requested\n", action_name(a));
}

/* What only the supervisor knows, for `berth info`. */
static void verb_info(struct sup *s, struct proto_request *req, struct ctl_reply *r, int *status)
{
	char data[400], faults[200];

	(void)req;
	(void)status;
	if (s->o->pid1)
		dd_describe(data, sizeof(data));
	else
		snprintf(data, sizeof(data), "none (a daemon: everything is kept under %s)",
			 s->o->root);
	crash_describe(faults, sizeof(faults));
	reply_printf(r, "Server Version: %s\nMode: %s (pid %d)\nData disk: %s\nBerth Root Dir: %s\n"
			"Recovered Faults: %s\n",
		     BERTH_VERSION, s->o->pid1 ? "init" : "daemon", (int)getpid(), data,
		     s->o->pid1 ? (dd_mounted() ? DATA_DIR "/berth" : "/run/berth") : s->o->root,
		     faults);
}

/* debug-fault [SIGNAL]: the test-only way to prove crash recovery; it
 * works only when the kernel command line says berth.debug (the image is
 * the one shipped, and only whoever boots the machine sets that). */
static void verb_debug_fault(struct sup *s, struct proto_request *req, struct ctl_reply *r,
			     int *status)
{
	static const struct {
		const char *name;
		int signo;
	} sigs[] = { { "SEGV", SIGSEGV }, { "BUS", SIGBUS }, { "ABRT", SIGABRT },
		     { "FPE", SIGFPE },	  { "ILL", SIGILL } };
	const char *want = req->argc > 1 ? req->argv[1] : "SEGV";

	if (!s->o->pid1 || !crash_injection_enabled()) {
		reply_error(r, "debug-fault is refused: PID 1 was not booted with berth.debug");
		*status = 1;
		return;
	}
	if (strncmp(want, "SIG", 3) == 0)
		want += 3;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (strcmp(want, sigs[i].name) == 0) {
			s->fault = sigs[i].signo;
			reply_printf(r, "PID 1 faults with SIG%s now\n", sigs[i].name);
			return;
		}
	}
	reply_error(r, "debug-fault: unknown signal \"%s\" (SEGV, BUS, ABRT, FPE or ILL)", want);
	*status = 1;
}

static const struct verb verbs[] = {
	{ "info", verb_info },	       { "debug-fault", verb_debug_fault },
	{ "ping", verb_ping },	       { "version", verb_version },   { "boot", verb_boot },
	{ "poweroff", verb_shutdown }, { "reboot", verb_shutdown },   { "halt", verb_shutdown },
};

static void handle_request(void *ctx, struct proto_request *req, struct ctl_reply *r,
			   int *status, bool *deferred)
{
	struct sup *s = ctx;

	if (s->ctrs && ctrs_request(s->ctrs, req, r, status, deferred))
		return;
	if (ev_request(req, r, status, deferred))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (strcmp(req->argv[0], verbs[i].name) == 0) {
			verbs[i].fn(s, req, r, status);
			return;
		}
	}
	reply_error(r, "unknown command \"%s\"", req->argv[0]);
	*status = 1;
}

/* ---- signals and children ---- */

static void reap(struct sup *s)
{
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, WNOHANG);

		if (pid <= 0)
			return;
		s->reaped++;
		if (s->ctrs && ctrs_reaped(s->ctrs, pid, st))
			continue;
		if (s->o->console && console_reaped(s->o->console, pid, st))
			continue;
	}
}

static void on_signal(struct sup *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			break; /* reaped below */
		case SIGTERM:
		case SIGINT:
			s->action = s->o->pid1 ? SUP_REBOOT : SUP_EXIT;
			break;
		case SIGUSR2:
		case SIGPWR:
			s->action = s->o->pid1 ? SUP_POWEROFF : SUP_EXIT;
			break;
		case SIGUSR1:
			s->action = s->o->pid1 ? SUP_HALT : SUP_EXIT;
			break;
		default:
			break;
		}
	}
	reap(s);
}

static const int handled_signals[] = { SIGCHLD, SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGPWR, SIGHUP };

static int watch(struct sup *s, int fd, void *tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- shutdown ---- */

/* Wait for children to exit, reaping, for at most ms. True if none is left. */
static bool wait_children(int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000ull;

	while (now_ns() < end) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);
		if (pid < 0 && errno == ECHILD)
			return true;
		if (pid <= 0)
			usleep(10000);
	}
	return false;
}

static void shutdown_now(struct sup *s)
{
	log_warn("shutting down: %s", action_name(s->action));
	/* The waits below (containers' grace periods, then everything else)
	 * take up to ~15 s; the watchdog still covers a hang in them. */
	if (s->wd.fd >= 0 && s->wd.timeout < 30)
		wd_set_timeout(&s->wd, 30);
	ctl_flush(&s->ctl, 500);
	if (s->ctrs)
		ctrs_shutdown(s->ctrs, 10000);
	if (!s->o->pid1) {
		wd_close(&s->wd);
		unlink(s->ctl.path);
		hov_bye(); /* a clean exit: nothing to hand over */
		return;
	}
	if (s->o->console)
		s->o->console->mode = CONSOLE_NONE; /* no respawn from here on */
	/* Containers are stopped; now everything else (SIGHUP for
	 * interactive shells, which ignore SIGTERM). */
	kill(-1, SIGTERM);
	kill(-1, SIGHUP);
	kill(-1, SIGCONT);
	if (!wait_children(3000)) {
		log_warn("shutdown: processes left after 3 s; sending SIGKILL");
		kill(-1, SIGKILL);
		wait_children(1000);
	}
	/* Containers stopped and their logs closed: now /data can go. */
	dd_teardown();
	wd_close(&s->wd);
	switch (s->action) {
	case SUP_REBOOT:
		reboot(RB_AUTOBOOT);
		break;
	case SUP_HALT:
		reboot(RB_HALT_SYSTEM);
		break;
	default:
		reboot(RB_POWER_OFF);
		break;
	}
	log_err("reboot(2): %s", strerror(errno));
}

/* The registry of descriptors that outlive this process (handover.h):
 * PID 1 keeps it in a memfd its fault handler passes on; a daemon has a
 * keeper process hold copies. */
static void handover_open(struct sup *s)
{
	struct berr e;

	if (s->o->pid1) {
		if (hov_open(s->o->handover_fd, &e) < 0)
			log_err("%s; a fault of PID 1 will lose the containers' output", e.msg);
		crash_install(s->o->console ? &s->o->console->pid : NULL);
		crash_enable_injection(s->o->debug);
	} else if (hov_open_keeper(s->o->root, &e) < 0) {
		log_err("%s; containers will not outlive this daemon", e.msg);
	}
}

/* Each container holds four of the supervisor's descriptors (stdout,
 * stderr, its log file, its /etc/hosts): the kernel's 1024 for init ends
 * near 250 containers. As dockerd and containerd (LimitNOFILE=infinity):
 * the most the kernel allows, fs.nr_open. Containers get Docker's
 * 1024:524288 instead, set by the sandbox child just before its exec (it
 * holds a copy of all of these descriptors until then: rlimits.h). */
static void raise_nofile(void)
{
	struct rlimit rl;
	char buf[32];
	long max;

	if (read_file("/proc/sys/fs/nr_open", buf, sizeof(buf)) < 0 || (max = atol(buf)) <= 0 ||
	    getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= (rlim_t)max)
		return;
	rl.rlim_cur = rl.rlim_max = (rlim_t)max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max; /* not root enough: the hard limit */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int sup_run(const struct sup_opts *o)
{
	struct sup s = { .o = o };
	struct berr e;
	sigset_t set;

	raise_nofile();
	s.sig.kind = EV_SIGNAL;
	s.con.kind = EV_CONSOLE;
	s.wd = (struct watchdog){ .kind = EV_WATCHDOG, .fd = -1, .timerfd = -1 };
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(handled_signals); i++)
		sigaddset(&set, handled_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	s.sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s.epfd < 0 || s.sig.fd < 0 || watch(&s, s.sig.fd, &s.sig) < 0) {
		log_err("supervisor: epoll/signalfd: %s", strerror(errno));
		return -errno;
	}
	handover_open(&s);
	if (ctl_open(&s.ctl, o->root, s.epfd, EV_CONTROL, EV_REPLY, hov_take("control"), &e) < 0)
		log_err("control FIFO: %s; only signals can reach berth", e.msg);
	hov_put(s.ctl.fd, "control");
	ev_init(s.epfd, EV_EVENTS, &s.ctl);
	/* layers a pull left unsynced before a power cut: whole again before
	 * any container is started on them (not after a fault of PID 1: the
	 * same boot, whose page cache holds them whole) */
	if (!o->recovering)
		img_repair_unsynced(o->root);
	s.ctrs = ctrs_open(o->root, o->pid1, !o->pid1 || o->recovering, s.epfd, &s.ctl);
	hov_take_done();
	if (s.ctrs)
		ctrs_set_bridge(s.ctrs, o->bridge_cidr ? o->bridge_cidr : BR_DEFAULT_CIDR);
	if (o->console) {
		s.con.fd = o->console->timerfd;
		watch(&s, s.con.fd, &s.con);
		if (o->console->pid <= 0) /* after a fault the shell still runs */
			console_start(o->console);
	}
	if (o->watchdog > 0) {
		if (wd_open(&s.wd, "/dev/watchdog", o->watchdog, &e) < 0) {
			log_err("watchdog: %s; running without it", e.msg);
		} else {
			watch(&s, s.wd.timerfd, &s.wd);
			log_info("watchdog: /dev/watchdog armed, timeout %d s, petted every %d ms",
				 s.wd.timeout, s.wd.timeout * 500);
			timeline_mark("watchdog");
		}
	}
	timeline_mark("supervisor");
	reap(&s);
	for (;;) {
		struct epoll_event evs[16];
		int n = epoll_wait(s.epfd, evs, ARRAY_SIZE(evs), -1);

		if (n < 0 && errno != EINTR) {
			log_err("supervisor: epoll_wait: %s", strerror(errno));
			usleep(100000);
		}
		for (int i = 0; i < n; i++) {
			int kind = *(int *)evs[i].data.ptr;
			uint64_t t0 = now_ns();

			if (kind == EV_SIGNAL)
				on_signal(&s);
			else if (kind == EV_CONTROL)
				ctl_readable(&s.ctl, handle_request, &s);
			else if (kind == EV_REPLY)
				ctl_out_ready(&s.ctl, evs[i].data.ptr, evs[i].events);
			else if (kind == EV_CONSOLE && o->console)
				console_timer(o->console);
			else if (kind == EV_WATCHDOG)
				wd_pet(&s.wd);
			else if (kind == EV_EVENTS)
				ev_follower_ready(evs[i].data.ptr, evs[i].events);
			else if ((kind == EV_CTR_LOG || kind == EV_CTR_TIMER || kind == EV_CTR_ATTACH ||
				  kind == EV_CTR_HEALTH || kind == EV_CTR_PIDFD || kind == EV_CTR_START) &&
				 s.ctrs)
				ctrs_event(s.ctrs, evs[i].data.ptr, evs[i].events);
			/* nothing in the loop should wait: say so when it did */
			if (now_ns() - t0 > 1000000000ull)
				log_warn("supervisor: an event (kind %d) held the loop for %llu ms", kind,
					 (unsigned long long)((now_ns() - t0) / 1000000));
		}
		if (s.ctrs)
			ctrs_reclaim(s.ctrs);
		if (s.fault) /* debug-fault, once its reply is out */
			crash_inject(s.fault);
		if (s.action != SUP_RUN) {
			shutdown_now(&s);
			if (!o->pid1)
				return 0;
			s.action = SUP_RUN; /* reboot(2) failed: keep serving */
		}
	}
}
