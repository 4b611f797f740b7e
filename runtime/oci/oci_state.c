/* oci_state.c - state.json under the runtime root, the derived status,
 * pid files and the runtime's log. */
#include "oci_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

#define STATE_MAX (1 << 20)

int oci_check_id(const char *id, struct berr *e)
{
	size_t n = strlen(id);

	if (n == 0 || n > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-") != n)
		return berr_msg(e, EINVAL, "invalid container id \"%s\"", id);
	return 0;
}

#define PF_EXITING 0x4

unsigned long long oci_pid_start_time(pid_t pid)
{
	char path[64], buf[1024], *p, state;
	unsigned long long t = 0;
	unsigned flags = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_file(path, buf, sizeof(buf));
	if (n <= 0)
		return 0;
	/* after "pid (comm) ": comm may hold spaces and ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", &state, &flags) != 2)
		return 0;
	/* a zombie, or an exiting pid-namespace init that waits for the
	 * namespace's other processes to be reaped: gone for us */
	if (state == 'Z' || state == 'X' || (flags & PF_EXITING))
		return 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static void copy_str(char *dst, size_t size, json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, size, "%s", v ? v : "");
}

int oci_state_load(const struct oci_ctx *x, const char *id, struct oci_state *s, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	char path[4200];
	json_t *j;
	size_t len;
	int r;

	memset(s, 0, sizeof(*s));
	r = oci_check_id(id, e);
	if (r < 0)
		return r;
	snprintf(s->id, sizeof(s->id), "%s", id);
	snprintf(s->dir, sizeof(s->dir), "%s/%s", x->root, id);
	snprintf(path, sizeof(path), "%s/state.json", s->dir);
	r = read_file_all(path, STATE_MAX, &text, &len);
	if (r == -ENOENT)
		return berr_msg(e, ENOENT, "container does not exist");
	if (r < 0)
		return berr_set(e, -r, "read %s", path);
	j = json_loadb(text, len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return berr_msg(e, EINVAL, "%s: not a state file", path);
	}
	s->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	s->start_time = (unsigned long long)json_integer_value(json_object_get(j, "start_time"));
	copy_str(s->bundle, sizeof(s->bundle), j, "bundle");
	copy_str(s->rootfs, sizeof(s->rootfs), j, "rootfs");
	copy_str(s->cgroup, sizeof(s->cgroup), j, "cgroup");
	copy_str(s->created, sizeof(s->created), j, "created");
	s->annotations = json_incref(json_object_get(j, "annotations"));
	s->hooks = json_incref(json_object_get(j, "hooks"));
	json_decref(j);
	return 0;
}

int oci_state_save(const struct oci_state *s, struct berr *e)
{
	_cleanup_free_ char *text = NULL;
	char path[4200];
	json_t *j;
	int r;

	j = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s, s:s}", "pid", (int)s->pid, "start_time",
		      (json_int_t)s->start_time, "id", s->id, "bundle", s->bundle, "rootfs",
		      s->rootfs, "cgroup", s->cgroup, "created", s->created);
	if (j && s->annotations)
		json_object_set(j, "annotations", s->annotations);
	if (j && s->hooks)
		json_object_set(j, "hooks", s->hooks);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text)
		return berr_msg(e, ENOMEM, "state of %s: out of memory", s->id);
	snprintf(path, sizeof(path), "%s/state.json", s->dir);
	r = write_file_atomic(path, text, strlen(text), 0600);
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}

void oci_state_remove(const char *dir)
{
	static const char *const files[] = {"exec.fifo", "seccomp.json", "state.json"};
	char path[4300];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

void oci_state_free(struct oci_state *s)
{
	json_decref(s->annotations);
	json_decref(s->hooks);
	s->annotations = s->hooks = NULL;
}

bool oci_alive(const struct oci_state *s)
{
	return s->pid > 0 && oci_pid_start_time(s->pid) == s->start_time;
}

const char *oci_status(const struct oci_state *s)
{
	char fifo[4200];
	bool frozen = false;
	struct berr e;

	if (s->pid == 0)
		return "creating";
	if (!oci_alive(s))
		return "stopped";
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", s->dir);
	if (access(fifo, F_OK) == 0)
		return "created";
	if (s->cgroup[0] && cg_frozen(s->cgroup, &frozen, &e) == 0 && frozen)
		return "paused";
	return "running";
}

json_t *oci_state_json(const struct oci_state *s, const char *status)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "ociVersion", "1.0.2",
			      "id", s->id, "status", status, "pid",
			      strcmp(status, "stopped") == 0 ? 0 : (int)s->pid, "bundle", s->bundle,
			      "rootfs", s->rootfs, "created", s->created, "owner", "");

	if (j)
		json_object_set_new(j, "annotations",
				    s->annotations ? json_incref(s->annotations) : json_object());
	return j;
}

int oci_write_pid_file(const char *path, pid_t pid, struct berr *e)
{
	char text[32];
	int r;

	snprintf(text, sizeof(text), "%d", (int)pid);
	r = write_file_atomic(path, text, strlen(text), 0644);
	return r < 0 ? berr_set(e, -r, "write pid file %s", path) : 0;
}

/* runc's logrus formats: {"level":"error","msg":"...","time":"..."} or
 * time="..." level=error msg="..." */
static void log_line(const struct oci_ctx *x, const char *level, const char *msg)
{
	char when[64];
	json_t *j;
	char *text = NULL;
	int fd;

	iso_time_ns(wall_ns(), when, sizeof(when));
	fd = open(x->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (x->log_json) {
		j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", when);
		text = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		if (text)
			dprintf(fd, "%s\n", text);
		free(text);
	} else {
		dprintf(fd, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, msg);
	}
	close(fd);
}

void oci_log(const struct oci_ctx *x, const char *level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (strcmp(level, "debug") == 0 && !x->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->log_path)
		log_line(x, level, msg);
	if (strcmp(level, "error") == 0 || !x->log_path)
		fprintf(stderr, "berth: %s%s%s\n", strcmp(level, "error") ? level : "",
			strcmp(level, "error") ? ": " : "", msg);
}
