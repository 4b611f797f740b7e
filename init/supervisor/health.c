#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/lib/duration.h"
#include "runtime/lib/log.h"
#include "runtime/sandbox/sandbox.h"
#include "runtime/lib/clock.h"

/* A probe that ignores SIGTERM past its timeout gets SIGKILL this later. */
#define KILL_GRACE_NS (2ull * 1000000000ull)

struct hc_run *hcr_new(int kind)
{
	struct hc_run *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->kind = kind;
	h->fd = -1;
	return h;
}

static void close_out(int epfd, struct hc_run *h)
{
	if (h->fd < 0)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, h->fd, NULL);
	close(h->fd);
	h->fd = -1;
}

void hcr_free(int epfd, struct hc_run *h)
{
	if (!h)
		return;
	hcr_end(epfd, h);
	free(h);
}

void hcr_begin(struct hc_run *h, const struct hc_config *cfg, uint64_t now)
{
	hc_begin(&h->st);
	h->next_at = now + (uint64_t)hc_interval(cfg);
}

void hcr_end(int epfd, struct hc_run *h)
{
	h->next_at = 0;
	close_out(epfd, h);
	if (h->pid > 0 && !h->discard) {
		/* Its command dies with the container's pid namespace. */
		kill(h->pid, SIGKILL);
		h->discard = true;
	}
}

uint64_t hcr_due(const struct hc_run *h)
{
	if (h->pid > 0)
		return h->discard ? 0 : h->deadline;
	return h->next_at;
}

/* In the forked probe: run the check in the container, wait for it and
 * exit with its status; SIGTERM (the timeout) kills it first. */
static void __attribute__((noreturn))
probe_main(int out, const struct ctr_config *k, pid_t pid, const char *cgroup, char **argv)
{
	struct sb_spec spec = {0};
	struct berr e;
	sigset_t set;
	pid_t child;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* Only the output pipe stays open (as fd 3): the supervisor's own
	 * fds (log pipes, FIFOs, pty masters) must not outlive their use. */
	if (out != 3) {
		dup2(out, 3);
		out = 3;
	}
	syscall(SYS_close_range, 4, ~0U, 0);
	spec.id = k->id;
	spec.argv = argv;
	spec.env = k->env;
	spec.cwd = k->cwd;
	spec.user = k->user;
	spec.stdin_fd = -1;
	spec.stdout_fd = spec.stderr_fd = out;
	spec.privileged = k->privileged;
	spec.caps = k->caps;
	spec.no_new_privs = k->no_new_privs;
	spec.seccomp = k->seccomp;
	if (sb_exec(pid, cgroup, &spec, &child, &e) < 0) {
		dprintf(out, "%s\n", e.msg);
		_exit(e.code == ENOENT ? 127 : e.code == EACCES ? 126 : 125);
	}
	close(out);
	for (;;) {
		int sig = sigwaitinfo(&set, NULL), st;
		pid_t w;

		if (sig == SIGTERM)
			kill(child, SIGKILL);
		w = waitpid(child, &st, sig == SIGTERM ? 0 : WNOHANG);
		if (w == child)
			_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		if (w < 0 && errno == ECHILD)
			_exit(125);
	}
}

static void launch(int epfd, struct hc_run *h, const struct ctr_config *k, pid_t pid,
		   const char *cgroup, uint64_t now)
{
	char *argv[256];
	int p[2];
	struct berr e;
	pid_t probe;

	h->next_at = 0;
	if (hc_argv(&k->health, argv, 256, &e) < 0) {
		log_err("container %.12s: health check: %s", k->id, e.msg);
		return;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		log_err("container %.12s: health check: pipe: %s", k->id, strerror(errno));
		h->next_at = now + (uint64_t)hc_interval(&k->health);
		return;
	}
	probe = fork();
	if (probe == 0) {
		close(p[0]);
		probe_main(p[1], k, pid, cgroup, argv);
	}
	close(p[1]);
	if (probe < 0) {
		log_err("container %.12s: health check: fork: %s", k->id, strerror(errno));
		close(p[0]);
		h->next_at = now + (uint64_t)hc_interval(&k->health);
		return;
	}
	h->pid = probe;
	h->fd = p[0];
	h->discard = h->timed_out = false;
	h->outlen = 0;
	h->start_real = wall_ns();
	h->deadline = now + (uint64_t)hc_timeout(&k->health);
	fcntl(h->fd, F_SETFL, O_NONBLOCK);
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, h->fd, &ev) < 0)
			close_out(epfd, h);
	}
}

void hcr_timer(int epfd, struct hc_run *h, const struct ctr_config *k, pid_t pid,
	       const char *cgroup, uint64_t now)
{
	if (h->pid > 0) {
		if (h->discard || now < h->deadline)
			return;
		if (!h->timed_out) {
			h->timed_out = true;
			kill(h->pid, SIGTERM);
		} else {
			kill(h->pid, SIGKILL);
		}
		h->deadline = now + KILL_GRACE_NS;
		return;
	}
	if (h->next_at && now >= h->next_at && pid > 0)
		launch(epfd, h, k, pid, cgroup, now);
}

void hcr_readable(int epfd, struct hc_run *h)
{
	char sink[4096];

	/* Bounded per event (level-triggered: the rest comes next turn), so
	 * a check that floods its output cannot hold the loop. */
	for (int i = 0; i < 16; i++) {
		size_t room = sizeof(h->out) - 1 - h->outlen;
		ssize_t n =
		    read(h->fd, room ? h->out + h->outlen : sink, room ? room : sizeof(sink));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close_out(epfd, h);
			return;
		}
		if (room)
			h->outlen += n;
	}
}

bool hcr_reaped(int epfd, struct hc_run *h, pid_t pid, int status, const struct hc_config *cfg,
		int64_t started_real, uint64_t now, bool *changed)
{
	struct hc_result *r;

	*changed = false;
	if (h->pid <= 0 || pid != h->pid)
		return false;
	h->pid = 0;
	if (h->discard) {
		h->discard = false;
		close_out(epfd, h);
		return true;
	}
	if (h->fd >= 0)
		hcr_readable(epfd, h);
	close_out(epfd, h);
	r = malloc(sizeof(*r));
	if (r) {
		r->start_ns = h->start_real;
		r->end_ns = wall_ns();
		if (h->timed_out) {
			char d[32];

			duration_format(hc_timeout(cfg), d, sizeof(d));
			r->exit_code = -1;
			snprintf(r->output, sizeof(r->output), "Health check exceeded timeout (%s)",
				 d);
		} else {
			r->exit_code =
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			memcpy(r->output, h->out, h->outlen);
			r->output[h->outlen] = '\0';
		}
		*changed = hc_record(&h->st, cfg, started_real, r);
		free(r);
	}
	h->next_at = now + (uint64_t)hc_interval(cfg);
	return true;
}
