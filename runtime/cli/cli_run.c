/* cli_run.c - `berth run` and `berth create`: Docker's flags, the image's
 * config merged as Docker merges it, config.json written for PID 1. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/sandbox/cgroup.h"
#include "cli_ctr.h"
#include "cli_volume.h"
#include "client.h"
#include "runtime/container/container.h"
#include "runtime/image/image.h"
#include "runtime/lib/merge.h"
#include "runtime/net/ports.h"
#include "runtime/container/restart.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/tty.h"
#include "runtime/lib/util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* "-e KEY" takes KEY from our environment; "-e KEY=VAL" sets it. */
static int env_arg(struct strv *s, const char *arg)
{
	char buf[8192];
	const char *val;

	if (strchr(arg, '='))
		return env_set(s, arg);
	val = getenv(arg);
	if (!val)
		return 0;
	snprintf(buf, sizeof(buf), "%s=%s", arg, val);
	return env_set(s, buf);
}

static int env_file(struct strv *s, const char *path)
{
	FILE *f = fopen(path, "re");
	char line[8192];

	if (!f) {
		fprintf(stderr, "berth: open env file %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *l = strstrip(line);
		if (*l == '\0' || *l == '#')
			continue;
		if (env_arg(s, l) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

struct run_opts {
	bool detach, rm, interactive, tty, privileged, read_only, no_new_privs, create_only;
	bool publish_all;
	const char *name, *workdir, *user, *entrypoint, *hostname, *seccomp, *restart, *network;
	const char *cpuset;
	struct strv env, volumes, cap_add, cap_drop, publish, expose, labels;
	struct sb_limits limits;
	int stop_timeout;
	bool entrypoint_set;
	struct hc_config health; /* from --health-* (test NULL: the image's) */
	bool no_healthcheck, health_flags;
};

static int usage_error(const char *verb, const char *msg, const char *arg)
{
	fprintf(stderr, "berth: %s%s%s\nSee 'berth %s --help'.\n", msg, arg ? ": " : "",
		arg ? arg : "", verb);
	return 125;
}

static int parse_security_opt(struct run_opts *o, const char *v)
{
	if (strcmp(v, "no-new-privileges") == 0 || strcmp(v, "no-new-privileges=true") == 0 ||
	    strcmp(v, "no-new-privileges:true") == 0)
		o->no_new_privs = true;
	else if (strcmp(v, "no-new-privileges=false") == 0 ||
		 strcmp(v, "no-new-privileges:false") == 0)
		o->no_new_privs = false;
	else if (strncmp(v, "seccomp=", 8) == 0 || strncmp(v, "seccomp:", 8) == 0)
		o->seccomp = v + 8;
	else
		return -1;
	return 0;
}

/* --health-interval, --health-timeout, --health-start-period: Go durations. */
static int health_duration(const char *verb, const char *flag, const char *val,
			   struct run_opts *o)
{
	struct berr e;
	char msg[BERR_MSG_MAX + 128];
	int64_t ns;

	if (hc_parse_duration(val, &ns, &e) < 0) {
		snprintf(msg, sizeof(msg), "invalid argument \"%s\" for \"%s\" flag: %s", val, flag,
			 e.msg);
		return usage_error(verb, msg, NULL), -1;
	}
	if (ns < 0) {
		snprintf(msg, sizeof(msg), "%s cannot be negative", flag);
		return usage_error(verb, msg, NULL), -1;
	}
	if (strcmp(flag, "--health-interval") == 0)
		o->health.interval = ns;
	else if (strcmp(flag, "--health-timeout") == 0)
		o->health.timeout = ns;
	else
		o->health.start_period = ns;
	o->health_flags = true;
	return 0;
}

/* Returns the index of the image argument, or -1 after printing an error. */
static int parse_flags(const char *verb, int argc, char **argv, struct run_opts *o)
{
	int i;

	for (i = 1; i < argc; i++) {
		char *a = argv[i], *val = NULL, flag[64];
		char *eq;

		if (a[0] != '-' || strcmp(a, "-") == 0)
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		/* "--flag=value" */
		snprintf(flag, sizeof(flag), "%s", a);
		eq = strchr(flag, '=');
		if (eq && a[1] == '-') {
			*eq = '\0';
			val = a + (eq - flag) + 1;
		}
#define BOOL(f) (strcmp(flag, f) == 0)
#define NEEDS(f)                                                                                   \
	(strcmp(flag, f) == 0 && (val || (i + 1 < argc && (val = argv[++i]))))
		/* combined short booleans: -it, -dit, -itd */
		if (a[0] == '-' && a[1] != '-' && strlen(a) > 2 && strspn(a + 1, "dit") == strlen(a + 1)) {
			o->detach |= strchr(a, 'd') != NULL;
			o->interactive |= strchr(a, 'i') != NULL;
			o->tty |= strchr(a, 't') != NULL;
		} else if (BOOL("-d") || BOOL("--detach"))
			o->detach = true;
		else if (BOOL("-i") || BOOL("--interactive"))
			o->interactive = true;
		else if (BOOL("-t") || BOOL("--tty"))
			o->tty = true;
		else if (BOOL("--rm"))
			o->rm = true;
		else if (BOOL("--privileged"))
			o->privileged = true;
		else if (BOOL("--read-only"))
			o->read_only = true;
		else if (BOOL("-P") || BOOL("--publish-all"))
			o->publish_all = true;
		else if (NEEDS("--name"))
			o->name = val;
		else if (NEEDS("-e") || NEEDS("--env")) {
			if (env_arg(&o->env, val) < 0)
				return -1;
		} else if (NEEDS("--env-file")) {
			if (env_file(&o->env, val) < 0)
				return -1;
		} else if (NEEDS("-w") || NEEDS("--workdir"))
			o->workdir = val;
		else if (NEEDS("-u") || NEEDS("--user"))
			o->user = val;
		else if (NEEDS("--entrypoint")) {
			o->entrypoint = val;
			o->entrypoint_set = true;
		} else if (NEEDS("-h") || NEEDS("--hostname"))
			o->hostname = val;
		else if (NEEDS("-v") || NEEDS("--volume"))
			strv_add(&o->volumes, val);
		else if (NEEDS("-p") || NEEDS("--publish"))
			strv_add(&o->publish, val);
		else if (NEEDS("--expose"))
			strv_add(&o->expose, val);
		else if (NEEDS("-l") || NEEDS("--label")) {
			if (val[0] == '=')
				return usage_error(verb, "invalid label", val), -1;
			env_set(&o->labels, val);
		} else if (NEEDS("--cap-add"))
			strv_add(&o->cap_add, val);
		else if (NEEDS("--cap-drop"))
			strv_add(&o->cap_drop, val);
		else if (NEEDS("--security-opt")) {
			if (parse_security_opt(o, val) < 0)
				return usage_error(verb, "invalid --security-opt", val), -1;
		} else if (NEEDS("-m") || NEEDS("--memory")) {
			if (cg_parse_bytes(val, &o->limits.memory) < 0 || o->limits.memory < 6 << 20)
				return usage_error(verb, "invalid --memory (at least 6m)", val), -1;
		} else if (NEEDS("--memory-swap")) {
			if (cg_parse_bytes(val, &o->limits.memory_swap) < 0)
				return usage_error(verb, "invalid --memory-swap", val), -1;
		} else if (NEEDS("--cpus")) {
			char *end;
			double c = strtod(val, &end);
			if (end == val || *end || c <= 0 || c > 1024)
				return usage_error(verb, "invalid --cpus", val), -1;
			o->limits.cpu_period_us = 100000;
			o->limits.cpu_quota_us = (int64_t)(c * 100000);
		} else if (NEEDS("-c") || NEEDS("--cpu-shares")) {
			char *end;
			long v = strtol(val, &end, 10);
			if (end == val || *end || v < 2 || v > 262144)
				return usage_error(verb, "invalid --cpu-shares (2..262144)", val), -1;
			o->limits.cpu_shares = v;
		} else if (NEEDS("--pids-limit")) {
			char *end;
			long v = strtol(val, &end, 10);
			if (end == val || *end || v < -1)
				return usage_error(verb, "invalid --pids-limit", val), -1;
			o->limits.pids = v > 0 ? v : 0;
		} else if (NEEDS("--cpuset-cpus")) {
			if (!*val || strspn(val, "0123456789,-") != strlen(val))
				return usage_error(verb, "invalid --cpuset-cpus", val), -1;
			o->cpuset = val;
		} else if (NEEDS("--restart")) {
			o->restart = val;
		} else if (BOOL("--no-healthcheck")) {
			o->no_healthcheck = true;
		} else if (NEEDS("--health-cmd")) {
			char **t = calloc(3, sizeof(char *));
			if (!t || !(t[0] = strdup("CMD-SHELL")) || !(t[1] = strdup(val)))
				return usage_error(verb, "out of memory", NULL), -1;
			hc_config_free(&(struct hc_config){ .test = o->health.test });
			o->health.test = t;
			o->health_flags = true;
		} else if (NEEDS("--health-interval") || NEEDS("--health-timeout") ||
			   NEEDS("--health-start-period")) {
			if (health_duration(verb, flag, val, o) < 0)
				return -1;
		} else if (NEEDS("--health-retries")) {
			char *end;
			long v = strtol(val, &end, 10);
			if (end == val || *end)
				return usage_error(verb, "invalid argument for \"--health-retries\"", val), -1;
			if (v < 0)
				return usage_error(verb, "--health-retries cannot be negative", NULL), -1;
			o->health.retries = (int)v;
			o->health_flags = true;
		} else if (NEEDS("--network") || NEEDS("--net")) {
			o->network = val;
		} else if (NEEDS("--stop-timeout")) {
			o->stop_timeout = atoi(val);
		} else {
			usage_error(verb, "unknown flag", a);
			return -1;
		}
#undef BOOL
#undef NEEDS
	}
	if (i >= argc) {
		fprintf(stderr, "berth: \"%s\" requires at least 1 argument.\nUsage: berth %s "
				"[OPTIONS] IMAGE [COMMAND] [ARG...]\n",
			verb, verb);
		return -1;
	}
	return i;
}

static int caps_from_opts(const struct run_opts *o, uint64_t *caps)
{
	uint64_t c = sb_default_caps(), m;

	for (int i = 0; i < o->cap_add.n; i++) {
		if (sb_cap_parse(o->cap_add.v[i], &m) < 0) {
			fprintf(stderr, "berth: unknown capability: \"%s\"\n", o->cap_add.v[i]);
			return -1;
		}
		c |= m;
	}
	for (int i = 0; i < o->cap_drop.n; i++) {
		if (sb_cap_parse(o->cap_drop.v[i], &m) < 0) {
			fprintf(stderr, "berth: unknown capability: \"%s\"\n", o->cap_drop.v[i]);
			return -1;
		}
		c &= ~m;
	}
	*caps = c;
	return 0;
}

static int make_config(const char *root, const struct run_opts *o, const char *image, int argc,
		       char **argv, struct ctr_config *c, struct strv *exposed)
{
	struct img_info info;
	struct strv args = { 0 }, env = { 0 }, layers = { 0 };
	struct timespec ts;
	struct berr e;

	memset(c, 0, sizeof(*c));
	if (img_resolve(root, image, &info, &e) < 0) {
		fprintf(stderr, "berth: Unable to find image '%s' locally: %s\n", image, e.msg);
		return 125;
	}
	if (merge_argv(o->entrypoint_set ? o->entrypoint : NULL, info.config.entrypoint,
		       info.config.cmd, argc, argv, &args) < 0) {
		fprintf(stderr, "berth: No command specified\n");
		img_info_free(&info);
		return 125;
	}
	for (char **p = info.config.env; p && *p; p++)
		env_set(&env, *p);
	for (int i = 0; i < o->env.n; i++)
		env_set(&env, o->env.v[i]);
	if (!env_has(&env, "PATH"))
		env_set(&env, DEFAULT_PATH);
	for (char **p = info.layers; p && *p; p++)
		strv_add(&layers, *p);
	for (char **p = info.config.exposed_ports; p && *p; p++)
		strv_add(exposed, *p);
	if (!layers.v)
		strv_add(&layers, ""); /* keeps the list non-NULL; an empty image */
	ctr_new_id(c->id);
	if (o->name)
		snprintf(c->name, sizeof(c->name), "%s", o->name);
	else
		ctr_new_name(c->name, sizeof(c->name));
	c->image = strdup(image);
	c->image_id = strdup(info.id);
	c->layers = layers.v;
	c->argv = args.v;
	c->cwd = strdup(o->workdir ? o->workdir : info.config.working_dir ? info.config.working_dir : "");
	c->user = strdup(o->user ? o->user : info.config.user ? info.config.user : "");
	{
		/* Docker's default hostname is the short ID. */
		char hn[128];
		c->hostname = o->hostname ? strdup(o->hostname) : strndup(c->id, 12);
		snprintf(hn, sizeof(hn), "HOSTNAME=%s", c->hostname ? c->hostname : "");
		env_set(&env, hn);
	}
	c->env = env.v;
	c->tty = o->tty;
	c->interactive = o->interactive;
	c->auto_remove = o->rm;
	c->read_only = o->read_only;
	c->privileged = o->privileged;
	c->no_new_privs = o->no_new_privs;
	c->seccomp = o->seccomp ? strdup(o->seccomp) : NULL;
	c->limits = o->limits;
	c->cpuset = o->cpuset ? strdup(o->cpuset) : NULL;
	c->restart = strdup(o->restart ? o->restart : "no");
	c->network = strdup(o->network ? o->network : "bridge");
	c->stop_timeout = o->stop_timeout > 0 ? o->stop_timeout : 10;
	if (o->labels.n) {
		/* "--label KEY" is KEY with an empty value, as Docker's */
		struct strv l = { 0 };
		for (int i = 0; i < o->labels.n; i++) {
			char kv[4096];
			snprintf(kv, sizeof(kv), "%s%s", o->labels.v[i],
				 strchr(o->labels.v[i], '=') ? "" : "=");
			strv_add(&l, kv);
		}
		c->labels = l.v;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	c->created_ns = (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
	/* The run flags over the image's HEALTHCHECK, as Docker merges them;
	 * --no-healthcheck is Test ["NONE"]. */
	if (hc_config_copy(&c->health, &o->health) < 0 ||
	    (!o->no_healthcheck && info.config.healthcheck.test &&
	     hc_merge(&c->health, &info.config.healthcheck) < 0)) {
		fprintf(stderr, "berth: out of memory\n");
		img_info_free(&info);
		return 125;
	}
	if (o->no_healthcheck) {
		hc_config_free(&c->health);
		c->health.test = calloc(2, sizeof(char *));
		if (c->health.test)
			c->health.test[0] = strdup("NONE");
	}
	{
		struct berr e;
		if (hc_enabled(&c->health) && (hc_validate(&c->health, &e) < 0 ||
					       hc_argv(&c->health, (char *[8]){ 0 }, 8, &e) < 0)) {
			fprintf(stderr, "berth: %s\n", e.msg);
			img_info_free(&info);
			return 125;
		}
	}
	/* Volumes last, with the image's VOLUMEs: a refused run makes none. */
	if (caps_from_opts(o, &c->caps) < 0 ||
	    cli_volume_mounts(root, o->volumes.v, o->volumes.n, info.config.volumes, c) < 0) {
		img_info_free(&info);
		return 125;
	}
	img_info_free(&info);
	return 0;
}

/* Ask the supervisor; print its errors; return its status. */
static int ask(const char *root, char *const *argv, int argc, char **out)
{
	struct client_reply cr;
	int status;

	if (client_send(root, argc, argv, &cr) < 0)
		return 125;
	status = client_collect(&cr, 15000);
	if (status < 0)
		status = 125;
	/* error lines go to stderr, the rest to the caller */
	for (char *l = cr.out, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(l, "@err ", 5) == 0)
			fprintf(stderr, "berth: %s\n", l + 5);
		else if (out && !*out)
			*out = strdup(l);
		if (!nl)
			break;
	}
	client_reply_free(&cr);
	return status;
}

/* Print new complete log lines from fd: "<time> <stream> <text>". */
static void pump_log(int fd, char *buf, size_t *len, size_t cap)
{
	for (;;) {
		ssize_t n = read(fd, buf + *len, cap - *len - 1);
		char *start = buf, *nl;

		if (n <= 0)
			return;
		*len += n;
		buf[*len] = '\0';
		while ((nl = strchr(start, '\n'))) {
			char *sp1 = strchr(start, ' ');
			char *sp2 = sp1 && sp1 < nl ? strchr(sp1 + 1, ' ') : NULL;
			if (sp2 && sp2 < nl) {
				FILE *to = strncmp(sp1 + 1, "stderr", 6) == 0 ? stderr : stdout;
				fwrite(sp2 + 1, 1, nl - sp2, to);
				fflush(to);
			}
			start = nl + 1;
		}
		*len -= start - buf;
		memmove(buf, start, *len);
		if (*len >= cap - 1)
			*len = 0; /* a line longer than the pipe buffer: drop */
	}
}

/* -i: our stdin to the session's "in" FIFO, closed at our EOF (the
 * container's stdin then ends). in_fd is non-blocking; false once done. */
static bool feed_stdin(int in_fd, struct pollfd *p, char *buf, size_t *len, size_t *off)
{
	ssize_t n;

	if (p[0].revents) {
		n = read(0, buf, 4096);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			return false;
		*len = n > 0 ? n : 0;
		*off = 0;
	}
	if (*len) {
		n = write(in_fd, buf + *off, *len);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0) {
			*off += n;
			*len -= n;
		}
	}
	return true;
}

/* Attached run: stream the log (opened before the start) while waiting
 * for the exit; with -i (in_fd >= 0) also feed our stdin to the container. */
static int attach_and_wait(int fd, const char *id, struct client_reply *wait, int in_fd)
{
	char buf[16384], ibuf[4096];
	size_t len = 0, ilen = 0, ioff = 0;
	int status = -1;

	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = in_fd >= 0 && !ilen ? 0 : -1, .events = POLLIN },
			{ .fd = ilen ? in_fd : -1, .events = POLLOUT },
			{ .fd = wait->fd, .events = POLLIN },
		};
		int r = poll(p, 3, 50);

		if (fd >= 0)
			pump_log(fd, buf, &len, sizeof(buf));
		if (r > 0 && in_fd >= 0 && !feed_stdin(in_fd, p, ibuf, &ilen, &ioff)) {
			close(in_fd);
			in_fd = -1;
		}
		if (r > 0 && p[2].revents)
			break;
	}
	if (in_fd >= 0)
		close(in_fd);
	status = client_collect(wait, -1);
	if (fd >= 0)
		pump_log(fd, buf, &len, sizeof(buf));
	if (status != 0) {
		fprintf(stderr, "berth: wait for %.12s failed\n", id);
		return 125;
	}
	return wait->out ? atoi(wait->out) : 125;
}

/* The session FIFOs PID 1 made for us: "in" (with -i) and "out" (-t). */
static int attach_open(const char *root, const char *id, bool in, bool out, int *in_fd,
		       int *out_fd)
{
	char *args[] = { "attach", (char *)id, NULL }, path[600];
	_cleanup_free_ char *dir = NULL;

	if (ask(root, args, 2, &dir) != 0 || !dir)
		return -1;
	/* "out" first: PID 1 writes to it only once a reader is there. */
	snprintf(path, sizeof(path), "%s/out", dir);
	if (out && (*out_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fprintf(stderr, "berth: attach: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/in", dir);
	if (in && (*in_fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fprintf(stderr, "berth: attach: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct sess {
	const char *root, *id;
};

static void resize_cb(void *ctx, unsigned short rows, unsigned short cols)
{
	struct sess *s = ctx;
	char r[16], c[16], *args[] = { "resize", (char *)s->id, r, c, NULL };

	snprintf(r, sizeof(r), "%u", rows);
	snprintf(c, sizeof(c), "%u", cols);
	ask(s->root, args, 4, NULL);
}

static void send_size(struct sess *s)
{
	unsigned short rows, cols;

	if (tty_winsize(&rows, &cols))
		resize_cb(s, rows, cols);
}

/* -t: our terminal raw, bytes both ways through the session FIFOs until
 * the container's exit answers the wait; its exit code is ours. */
static int relay_tty(const char *root, const char *id, struct client_reply *wait, int in_fd,
		     int out_fd)
{
	struct sess s = { root, id };
	struct tty_relay r = {
		.in_dst = in_fd, .out_src = out_fd, .end_fd = wait->fd, .resize = resize_cb, .ctx = &s,
	};
	int status;

	if (in_fd >= 0)
		tty_raw_begin();
	tty_relay_run(&r);
	tty_raw_end();
	if (in_fd >= 0)
		close(in_fd);
	close(out_fd);
	status = client_collect(wait, -1);
	if (status != 0) {
		fprintf(stderr, "berth: wait for %.12s failed\n", id);
		return 125;
	}
	return wait->out ? atoi(wait->out) : 125;
}

/* The mode's syntax; the supervisor checks that a container: target exists. */
static int check_network(const char *spec)
{
	enum ctr_net mode;
	const char *ref;
	struct berr e;

	if (ctr_network_parse(spec, &mode, &ref, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -e.code;
	}
	(void)mode;
	(void)ref;
	return 0;
}

/* -p: each well formed, no host port twice, only on the bridge; into
 * canonical specs for the config. */
static int check_ports(const struct run_opts *o, struct strv *out)
{
	struct port_map *m = calloc(o->publish.n + 1, sizeof(*m)), x[PORTS_MAX];
	enum ctr_net mode;
	const char *ref;
	struct berr e;
	char spec[64];
	int total = 0, k;

	if (!m)
		return -ENOMEM;
	for (int i = 0; i < o->publish.n; i++) {
		if (port_parse(o->publish.v[i], &m[i], &e) < 0 ||
		    port_expand(&m[i], x, PORTS_MAX - total, &k, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			free(m);
			return -EINVAL;
		}
		total += k;
		for (int j = 0; j < i; j++) {
			if (port_conflict(&m[j], &m[i])) {
				fprintf(stderr, "berth: port \"%s\": host port %u published twice\n",
					o->publish.v[i], m[i].host > m[j].host ? m[i].host : m[j].host);
				free(m);
				return -EINVAL;
			}
		}
		port_spec(&m[i], spec, sizeof(spec));
		strv_add(out, spec);
	}
	free(m);
	ctr_network_parse(o->network ? o->network : "bridge", &mode, &ref, &e);
	if ((o->publish.n || o->publish_all) && mode != CTR_NET_BRIDGE) {
		fprintf(stderr, "berth: published ports need --network bridge\n");
		return -EINVAL;
	}
	return 0;
}

/* --expose: PORT[/PROTO], PORT-PORT[/PROTO] (Docker's forms). */
static int check_expose(const struct run_opts *o)
{
	struct port_map m;
	struct berr e;

	for (int i = 0; i < o->expose.n; i++) {
		if (strchr(o->expose.v[i], ':') || port_parse(o->expose.v[i], &m, &e) < 0) {
			fprintf(stderr, "berth: invalid range format for --expose: %s\n",
				o->expose.v[i]);
			return -EINVAL;
		}
	}
	return 0;
}

/* -P: every exposed port (the image's and --expose) on an ephemeral host
 * port, unless -p publishes that container port already. */
static int publish_all(const struct strv *exposed, const struct strv *expose, struct strv *ports)
{
	const struct strv *lists[2] = { exposed, expose };
	struct port_map m, have, x[PORTS_MAX];
	struct berr e;
	char spec[64];
	int n, total = 0;

	for (int i = 0; i < ports->n; i++) {
		if (port_parse(ports->v[i], &have, &e) == 0)
			total += have.ctr_end - have.ctr + 1;
	}
	for (int l = 0; l < 2; l++) {
		for (int i = 0; i < lists[l]->n; i++) {
			if (port_parse(lists[l]->v[i], &m, &e) < 0 || port_expand(&m, x, PORTS_MAX, &n, &e) < 0)
				continue; /* an image's odd entry: Docker skips it too */
			for (int k = 0; k < n; k++) {
				bool published = false;

				for (int j = 0; j < ports->n && !published; j++)
					published = port_parse(ports->v[j], &have, &e) == 0 &&
						    have.udp == x[k].udp && x[k].ctr >= have.ctr &&
						    x[k].ctr <= have.ctr_end;
				if (published)
					continue;
				if (++total > PORTS_MAX) {
					fprintf(stderr, "berth: too many published ports (at most %d)\n",
						PORTS_MAX);
					return -E2BIG;
				}
				port_spec(&x[k], spec, sizeof(spec));
				strv_add(ports, spec);
			}
		}
	}
	return 0;
}

/* run and create; with id_out (`berth compose`), the new container's ID
 * goes there instead of to stdout. */
static int run_main(const char *root, int argc, char **argv, char *id_out)
{
	const char *verb = argv[0];
	struct run_opts o = { 0 };
	struct strv ports = { 0 }, exposed = { 0 };
	struct ctr_config c;
	struct berr e;
	char dir[512];
	int img, rc;
	bool start_failed = false;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0)) {
		printf("Usage: berth %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
		       "  -d, --detach  -i, --interactive  -t, --tty  --name NAME  --rm\n"
		       "  -e KEY=VAL  --env-file FILE  -w DIR\n"
		       "  -u USER[:GROUP]  --entrypoint CMD  -h NAME  -v /HOST|NAME:/CTR[:ro]  -v /CTR\n"
		       "  -m BYTES  --memory-swap BYTES  --cpus N  -c SHARES  --pids-limit N\n"
		       "  -p [[IP:][HOSTPORT]:]CTRPORT[/udp] (ports or ranges A-B)  -P  --expose PORT\n"
		       "  --cpuset-cpus LIST  --cap-add CAP  --cap-drop CAP  --privileged\n"
		       "  --security-opt seccomp=FILE|unconfined|no-new-privileges  --read-only\n"
		       "  --network bridge|none|host|container:NAME  --stop-timeout SECONDS\n"
		       "  --restart no|always|unless-stopped|on-failure[:N]\n"
		       "  --health-cmd CMD  --health-interval D  --health-timeout D  --health-retries N\n"
		       "  --health-start-period D  --no-healthcheck  -l, --label KEY=VALUE\n",
		       verb);
		return 0;
	}
	o.create_only = strcmp(verb, "create") == 0;
	o.no_new_privs = true;
	img = parse_flags(verb, argc, argv, &o);
	if (img < 0)
		return 125;
	/* Docker's check: an attached -it needs a terminal to put in raw mode. */
	if (!o.create_only && !o.detach && o.interactive && o.tty && !isatty(0)) {
		fprintf(stderr, "berth: the input device is not a TTY\n");
		return 1;
	}
	{
		struct rp_policy rp;
		if (rp_parse(o.restart, &rp, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			return 125;
		}
		if (rp.kind != RP_NO && o.rm) {
			fprintf(stderr, "berth: Conflicting options: --restart and --rm\n");
			return 125;
		}
		if (o.no_healthcheck && o.health_flags) {
			fprintf(stderr, "berth: --no-healthcheck conflicts with --health-* options\n");
			return 125;
		}
	}
	if (check_network(o.network) < 0 || check_ports(&o, &ports) < 0 || check_expose(&o) < 0) {
		strv_free(&ports);
		return 125;
	}
	rc = make_config(root, &o, argv[img], argc - img - 1, argv + img + 1, &c, &exposed);
	if (rc == 0 && o.publish_all && publish_all(&exposed, &o.expose, &ports) < 0)
		rc = 125;
	strv_free(&exposed);
	if (rc) {
		ctr_config_free(&c);
		strv_free(&ports);
		return rc;
	}
	c.ports = ports.n ? steal_ptr(&ports.v) : NULL;
	ctr_dir(root, c.id, dir, sizeof(dir));
	rc = mkdir_p(dir, 0700);
	if (rc < 0)
		berr_set(&e, -rc, "create %s", dir);
	else
		e.code = 0;
	if (e.code || ctr_config_save(root, &c, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		ctr_config_free(&c);
		return 125;
	}
	{
		char *args[] = { "create", c.id, NULL };
		rc = ask(root, args, 2, NULL);
	}
	if (rc != 0) {
		char *argv_rm[] = { "/bin/rm", "-rf", dir, NULL };
		run_wait(argv_rm, NULL, -1);
		cli_volume_forget_anon(root, &c);
		ctr_config_free(&c);
		return 125;
	}
	if (o.create_only) {
		printf("%s\n", c.id);
		ctr_config_free(&c);
		return 0;
	}
	if (o.detach) {
		char *args[] = { "start", c.id, NULL };
		rc = ask(root, args, 2, NULL);
		start_failed = rc != 0;
		if (rc == 0 && id_out)
			snprintf(id_out, CTR_ID_LEN + 1, "%s", c.id);
		else if (rc == 0)
			printf("%s\n", c.id);
	} else {
		struct client_reply wait;
		char *wargs[] = { "wait", c.id, NULL };
		char *sargs[] = { "start", c.id, NULL };
		char log[600];
		_cleanup_fd_ int logfd = -1, in_fd = -1, out_fd = -1;

		ctr_log_path(root, c.id, log, sizeof(log));
		logfd = open(log, O_RDONLY | O_CLOEXEC);
		if ((o.tty || o.interactive) &&
		    attach_open(root, c.id, o.interactive, o.tty, &in_fd, &out_fd) < 0) {
			rc = 125;
			start_failed = true;
			goto out;
		}
		if (o.tty)
			send_size(&(struct sess){ root, c.id });
		if (client_send(root, 2, wargs, &wait) < 0) {
			ctr_config_free(&c);
			return 125;
		}
		rc = ask(root, sargs, 2, NULL);
		start_failed = rc != 0;
		if (rc == 0 && o.tty)
			rc = relay_tty(root, c.id, &wait, steal_fd(&in_fd), steal_fd(&out_fd));
		else if (rc == 0)
			rc = attach_and_wait(logfd, c.id, &wait, steal_fd(&in_fd));
		client_reply_free(&wait);
	}
out:
	if (start_failed && o.rm) {
		/* a start that failed leaves a created container; --rm removes it */
		char *args[] = { "rm", "-f", c.id, NULL };
		char *ignored = NULL;
		ask(root, args, 3, &ignored);
		free(ignored);
	}
	ctr_config_free(&c);
	strv_free(&o.env);
	strv_free(&o.volumes);
	strv_free(&o.publish);
	strv_free(&o.expose);
	strv_free(&o.cap_add);
	strv_free(&o.cap_drop);
	strv_free(&o.labels);
	hc_config_free(&o.health);
	return rc;
}

/* attach CONTAINER: our terminal (-t containers), or our stdin (-i) and
 * the log's new lines, joined to a running container until it exits; its
 * exit code is ours, as with Docker's attach. */
int cli_attach(const char *root, int argc, char **argv)
{
	char id[CTR_ID_LEN + 1], log[600], *wargs[] = { "wait", id, NULL };
	_cleanup_fd_ int logfd = -1, in_fd = -1, out_fd = -1;
	struct client_reply wait;
	struct ctr_config c;
	struct ctr_state st;
	struct berr e;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "berth: \"attach\" requires exactly 1 argument.\n");
		return 1;
	}
	if (cli_find_container(root, argv[1], id) < 0)
		return 1;
	if (ctr_config_load(root, id, &c, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	if (ctr_state_load(root, id, &st, &e) < 0 || st.status != CTR_RUNNING) {
		fprintf(stderr, "berth: You cannot attach to a stopped container, start it first\n");
		goto out;
	}
	if (c.tty && c.interactive && !isatty(0)) {
		fprintf(stderr, "berth: the input device is not a TTY\n");
		goto out;
	}
	if ((c.tty || c.interactive) &&
	    attach_open(root, id, c.interactive, c.tty, &in_fd, &out_fd) < 0)
		goto out;
	if (!c.tty) {
		ctr_log_path(root, id, log, sizeof(log));
		logfd = open(log, O_RDONLY | O_CLOEXEC);
		if (logfd >= 0)
			lseek(logfd, 0, SEEK_END); /* new output only */
	}
	if (client_send(root, 2, wargs, &wait) < 0)
		goto out;
	if (c.tty) {
		send_size(&(struct sess){ root, id });
		rc = relay_tty(root, id, &wait, steal_fd(&in_fd), steal_fd(&out_fd));
	} else {
		rc = attach_and_wait(logfd, id, &wait, steal_fd(&in_fd));
	}
	client_reply_free(&wait);
out:
	ctr_config_free(&c);
	return rc;
}

int cli_run(const char *root, int argc, char **argv)
{
	return run_main(root, argc, argv, NULL);
}

int cli_run_id(const char *root, int argc, char **argv, char id[CTR_ID_LEN + 1])
{
	id[0] = '\0';
	return run_main(root, argc, argv, id);
}
