/* hostcfg.c - the checks of the run flags behind a container's extra
 * HostConfig, with Docker's messages, and their JSON in config.json. */
#include "hostcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/mountopt.h"
#include "runtime/lib/signame.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"
#include "runtime/sandbox/devices_bpf.h"

/* The names of setrlimit's resources, as Docker (go-units) takes them. */
static const char *const ulimit_names[] = {
	"cpu",	 "fsize",   "data",	  "stack",  "core",   "rss",   "nproc",	 "nofile",
	"memlock", "as",    "locks",	  "sigpending", "msgqueue", "nice", "rtprio", "rttime",
};

int hx_ulimit_index(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(ulimit_names); i++) {
		if (strcmp(ulimit_names[i], name) == 0)
			return (int)i; /* RLIMIT_CPU is 0, ... RLIMIT_RTTIME 15, in this order */
	}
	return -1;
}

static int parse_i64(const char *s, const char *end, int64_t *out)
{
	char buf[32], *stop;

	if (end - s <= 0 || end - s >= (long)sizeof(buf))
		return -1;
	memcpy(buf, s, end - s);
	buf[end - s] = '\0';
	errno = 0;
	*out = strtoll(buf, &stop, 10);
	return errno || *stop || *out < -1 ? -1 : 0;
}

int hx_ulimit_parse(const char *s, struct hx_ulimit *u, struct berr *e)
{
	const char *eq = strchr(s, '='), *colon;

	if (!eq)
		return berr_msg(e, EINVAL, "invalid ulimit argument: %s", s);
	if ((size_t)(eq - s) >= sizeof(u->name))
		return berr_msg(e, EINVAL, "invalid ulimit type: %.*s", (int)(eq - s), s);
	snprintf(u->name, sizeof(u->name), "%.*s", (int)(eq - s), s);
	if (hx_ulimit_index(u->name) < 0)
		return berr_msg(e, EINVAL, "invalid ulimit type: %s", u->name);
	colon = strchr(eq + 1, ':');
	if (colon && strchr(colon + 1, ':'))
		return berr_msg(e, EINVAL,
				"too many limit value arguments - %s, can only have up to two, "
				"`soft[:hard]`", eq + 1);
	if (parse_i64(eq + 1, colon ? colon : eq + strlen(eq), &u->soft) < 0 ||
	    (colon && parse_i64(colon + 1, colon + strlen(colon), &u->hard) < 0))
		return berr_msg(e, EINVAL, "invalid ulimit value: %s", eq + 1);
	if (!colon)
		u->hard = u->soft;
	if (u->hard != -1 && (u->soft == -1 || u->soft > u->hard))
		return berr_msg(e, EINVAL,
				"ulimit soft limit must be less than or equal to hard limit: %lld > %lld",
				(long long)u->soft, (long long)u->hard);
	return 0;
}

static bool perms_ok(const char *p)
{
	return *p && strlen(p) <= 3 && strspn(p, "rwm") == strlen(p);
}

/* HOST, HOST:CTR, HOST:PERMS or HOST:CTR:PERMS (docker/cli's parseDevice). */
int hx_device_parse(const char *s, struct hx_device *d, struct berr *e)
{
	char buf[1024], *part[4] = { buf }, *p;
	int n = 1;

	memset(d, 0, sizeof(*d));
	if (strlen(s) >= sizeof(buf))
		return berr_msg(e, EINVAL, "bad format for path: %.60s...", s);
	strcpy(buf, s);
	for (p = buf; n < 4 && (p = strchr(p, ':')); n++) {
		*p++ = '\0';
		part[n] = p;
	}
	if (n == 4)
		return berr_msg(e, EINVAL, "invalid device specification: %s", s);
	strcpy(d->perms, "rwm");
	if (n == 3 || (n == 2 && part[1][0] != '/')) {
		if (!perms_ok(part[n - 1]))
			return berr_msg(e, EINVAL, "invalid device mode: %s", part[n - 1]);
		strcpy(d->perms, part[n - 1]);
		n--;
	}
	if (part[0][0] != '/' || (n == 2 && part[1][0] != '/'))
		return berr_msg(e, EINVAL, "bad format for path: %s", n == 2 ? part[1] : part[0]);
	d->host = strdup(part[0]);
	d->ctr = strdup(n == 2 ? part[1] : part[0]);
	if (!d->host || !d->ctr) {
		free(d->host);
		free(d->ctr);
		d->host = d->ctr = NULL;
		return berr_msg(e, ENOMEM, "out of memory");
	}
	return 0;
}

unsigned hx_device_access(const char *perms)
{
	return (strchr(perms, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(perms, 'w') ? BPF_DEVCG_ACC_WRITE : 0) |
	       (strchr(perms, 'm') ? BPF_DEVCG_ACC_MKNOD : 0);
}

/* A number or "*" up to the character end; its end or NULL. */
static const char *rule_number(const char *s, char end, unsigned *v)
{
	char *p;

	if (*s == '*') {
		*v = DEVBPF_ANY;
		p = (char *)s + 1;
	} else {
		unsigned long n = *s >= '0' && *s <= '9' ? strtoul(s, &p, 10) : ~0ul;

		*v = n;
		if (n >= DEVBPF_ANY)
			return NULL;
	}
	return *p == end ? p + 1 : NULL;
}

int hx_cgroup_rule_parse(const char *s, struct sb_devrule *r, struct berr *e)
{
	const char *p = strchr("abc", s[0]) && s[0] && s[1] == ' ' ? s + 2 : NULL;

	memset(r, 0, sizeof(*r));
	r->type = s[0];
	if (p)
		p = rule_number(p, ':', &r->major);
	if (p)
		p = rule_number(p, ' ', &r->minor);
	if (!p || !*p || strlen(p) > 3 || strspn(p, "rwm") != strlen(p))
		return berr_msg(e, EINVAL, "invalid device cgroup format '%s'", s);
	r->access = hx_device_access(p);
	return 0;
}

/* tmpfs's key=value options Docker lets through (MergeTmpfsOptions). */
static bool tmpfs_key_ok(const char *o)
{
	static const char *const keys[] = { "size=", "mode=", "uid=", "gid=", "nr_inodes=",
					     "nr_blocks=", "mpol=", "huge=" };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (strncmp(o, keys[i], strlen(keys[i])) == 0 && o[strlen(keys[i])])
			return true;
	}
	return false;
}

int hx_tmpfs_check(const char *s, struct berr *e)
{
	const char *colon = strchr(s, ':'), *o;

	if (s[0] != '/')
		return berr_msg(e, EINVAL, "invalid mount path: '%.*s' mount path must be absolute",
				colon ? (int)(colon - s) : (int)strlen(s), s);
	for (o = colon ? colon + 1 : NULL; o && *o;) {
		size_t len = strcspn(o, ",");
		char opt[128];
		unsigned long flags = 0, prop = 0;

		snprintf(opt, sizeof(opt), "%.*s", (int)len, o);
		if (len >= sizeof(opt) || (!tmpfs_key_ok(opt) &&
					   (!mountopt_apply(opt, &flags, &prop) || prop ||
					    strstr(opt, "bind"))))
			return berr_msg(e, EINVAL, "invalid tmpfs option \"%s\"", opt);
		o += len + (o[len] == ',');
	}
	return 0;
}

int hx_sysctl_check(const char *s, bool host_net, struct berr *e)
{
	static const char *const ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
					   "kernel.sem",    "kernel.shmall", "kernel.shmmax",
					   "kernel.shmmni", "kernel.shm_rmid_forced" };
	const char *eq = strchr(s, '=');
	int klen = eq ? (int)(eq - s) : 0;

	if (!eq || !klen)
		return berr_msg(e, EINVAL, "sysctl '%s' is not whitelisted", s);
	for (size_t i = 0; i < ARRAY_SIZE(ipc); i++) {
		if ((int)strlen(ipc[i]) == klen && strncmp(s, ipc[i], klen) == 0)
			return 0;
	}
	if (strncmp(s, "fs.mqueue.", 10) == 0)
		return 0;
	if (strncmp(s, "net.", 4) != 0)
		return berr_msg(e, EINVAL, "sysctl '%s' is not whitelisted", s);
	if (host_net)
		return berr_msg(e, EINVAL,
				"sysctl \"%.*s\" is not allowed in the host's network namespace",
				klen, s);
	return 0;
}

static bool ip_ok(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int hx_host_check(const char *s, struct berr *e)
{
	size_t n = strcspn(s, ":=");

	if (n == 0 || !s[n] || !s[n + 1])
		return berr_msg(e, EINVAL, "bad format for add-host: \"%s\"", s);
	if (strcmp(s + n + 1, "host-gateway") != 0 && !ip_ok(s + n + 1))
		return berr_msg(e, EINVAL, "invalid IP address in add-host: \"%s\"", s + n + 1);
	return 0;
}

int hx_dns_check(const char *s, struct berr *e)
{
	return ip_ok(s) ? 0 : berr_msg(e, EINVAL, "IP address is not correctly formatted: %s", s);
}

int hx_log_opt(struct ctr_hostx *x, const char *s, struct berr *e)
{
	char *end;
	long n;

	if (strncmp(s, "max-size=", 9) == 0) {
		if (strlen(s + 9) >= sizeof(x->log_size_text) ||
		    cg_parse_bytes(s + 9, &x->log_max_size) < 0 || x->log_max_size < 1)
			return berr_msg(e, EINVAL, "invalid size: '%s'", s + 9);
		strcpy(x->log_size_text, s + 9);
		return 0;
	}
	if (strncmp(s, "max-file=", 9) == 0) {
		errno = 0;
		n = strtol(s + 9, &end, 10);
		if (errno || end == s + 9 || *end)
			return berr_msg(e, EINVAL, "invalid max-file: '%s'", s + 9);
		if (n < 1)
			return berr_msg(e, EINVAL, "max-file cannot be less than 1");
		if (n > HX_LOG_FILES_MAX)
			return berr_msg(e, EINVAL, "max-file cannot be more than %d",
					HX_LOG_FILES_MAX);
		x->log_max_file = (int)n;
		return 0;
	}
	if (!strchr(s, '='))
		return berr_msg(e, EINVAL, "invalid key value pair format in log-opt: %s", s);
	return berr_msg(e, EINVAL, "unknown log opt '%.*s' for json-file log driver",
			(int)strcspn(s, "="), s);
}

static const char *const log_drivers[] = { "json-file", "local", "none" };

int hx_log_driver_parse(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_drivers); i++) {
		if (strcmp(name, log_drivers[i]) == 0)
			return (int)i;
	}
	return -1;
}

const char *hx_log_driver_name(int driver)
{
	return log_drivers[driver >= 0 && driver < (int)ARRAY_SIZE(log_drivers) ? driver : 0];
}

int64_t hx_log_size(const struct ctr_hostx *x)
{
	return x->log_max_size > 0 ? x->log_max_size : HX_LOG_SIZE;
}

int hx_log_files(const struct ctr_hostx *x)
{
	return x->log_max_file > 0 ? x->log_max_file : HX_LOG_FILES;
}

int hx_stop_signal(const struct ctr_hostx *x)
{
	return x->stop_signal > 0 ? x->stop_signal : SIGTERM;
}
