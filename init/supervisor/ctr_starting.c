/* ctr_starting.c - starts under way. The supervisor never waits for a
 * container's child to set itself up (an overlay mount under load, an
 * image's /etc/passwd that is a FIFO): ctr_start.c releases the child and
 * returns to the loop; here the child's exit, the rules' job and the
 * requests that wait for the start are routed back to it, and a start is
 * cancelled when its container goes. */
#include "ctrs_priv.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

/* A start or restart request: one reply part per argument (part[0]: what
 * comes before the first), the parts of the starts under way (arg[i] set)
 * filled in when they are finished. */
struct start_ask {
	char *path;
	int status, left, argc;
	bool restart;
	size_t mark[PROTO_ARGS_MAX + 1];
	char *part[PROTO_ARGS_MAX + 1], *arg[PROTO_ARGS_MAX + 1];
};

struct start_link {
	struct start_ask *a;
	int i;
	struct start_link *next;
};

void ctrs_start_kill(struct ctrs *cs, struct ctr *c, struct ctr_starting *st)
{
	struct spec_buf *sp = malloc(sizeof(*sp));

	kill_and_reap(st->pid);
	st->reaped = true;
	if (!sp)
		return;
	ctrs_build_spec(cs, c, sp);
	sb_cleanup(&sp->spec);
	free(sp);
}

/* Its container goes (rm -f, shutdown): the child is killed, the start
 * fails. */
void ctrs_start_cancel(struct ctrs *cs, struct ctr *c)
{
	struct ctr_starting *st = c->starting;

	if (!st)
		return;
	ctrs_ep_close(cs, &st->fd);
	st->rc = berr_msg(&st->err, ECANCELED, "the start was cancelled");
	st->restart = false;
	ctrs_start_step(cs, st);
}

/* A child the supervisor reaped: a starting container's, or its rules'. */
bool ctrs_start_reaped(struct ctrs *cs, pid_t pid, int status)
{
	for (struct ctr *c = cs->list; c; c = c->next) {
		struct ctr_starting *st = c->starting;

		if (!st)
			continue;
		if (st->job.pid == pid) {
			st->job.pid = -1;
			st->job_done = true;
			st->job_rc =
			    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		} else if (st->pid == pid && !st->reaped) {
			st->reaped = true;
			st->status = status;
		} else {
			continue;
		}
		ctrs_start_step(cs, st);
		return true;
	}
	return false;
}

static void ask_send(struct ctrs *cs, struct start_ask *a)
{
	struct ctl_reply r = {0};

	for (int i = 0; i <= a->argc; i++) {
		if (a->part[i])
			reply_write(&r, a->part[i], strlen(a->part[i]));
		free(a->part[i]);
	}
	ctl_send(cs->ctl, a->path, &r, a->status);
	free(r.buf);
	free(a->path);
	free(a);
}

/* The start is finished (e: how it failed): answer what waited for it. */
void ctrs_start_answer(struct ctrs *cs, struct ctr *c, struct ctr_starting *st,
		       const struct berr *e)
{
	if (e)
		log_err("container %.12s (%s): start failed: %s", c->cfg.id, c->cfg.name, e->msg);
	while (st->asks) {
		struct start_link *l = st->asks;
		struct start_ask *a = l->a;
		const char *arg = a->arg[l->i];
		struct ctl_reply r = {0};

		st->asks = l->next;
		if (!e)
			reply_printf(&r, "%s\n", arg);
		else if (a->restart)
			reply_error(&r, "restart %s: %s", arg, e->msg);
		else
			reply_error(&r, "failed to start container %s: %s", arg, e->msg);
		if (e)
			a->status = a->restart ? 1 : ctrs_start_failure_status(e->code);
		free(a->part[l->i]);
		a->part[l->i] = r.buf;
		free(l);
		if (--a->left == 0)
			ask_send(cs, a);
	}
	st->done = true;
	st->next = cs->done_starts;
	cs->done_starts = st;
}

static void ask_free(struct start_ask *a)
{
	for (int i = 0; i <= a->argc; i++) {
		free(a->part[i]);
		free(a->arg[i]);
	}
	free(a->path);
	free(a);
}

struct start_ask *ctrs_ask_new(const struct proto_request *req)
{
	struct start_ask *a;

	if (!req->reply || req->argc > PROTO_ARGS_MAX || !(a = calloc(1, sizeof(*a))))
		return NULL;
	a->argc = req->argc;
	a->restart = strcmp(req->argv[0], "restart") == 0;
	if (!(a->path = strdup(req->reply))) {
		free(a);
		return NULL;
	}
	return a;
}

/* Where argument i's part of the reply r begins. */
void ctrs_ask_mark(struct start_ask *a, int i, const struct ctl_reply *r)
{
	if (a && i <= a->argc)
		a->mark[i] = r->len;
}

/* Argument i names c, whose start is under way: its part is written when
 * the start is finished. False when it cannot wait: answer it now. */
bool ctrs_ask_wait(struct start_ask *a, int i, struct ctr *c, const char *arg)
{
	struct start_link *l;

	if (!a || !c->starting || i < 1 || i >= a->argc || !(l = calloc(1, sizeof(*l))))
		return false;
	if (!(a->arg[i] = strdup(arg))) {
		free(l);
		return false;
	}
	l->a = a;
	l->i = i;
	l->next = c->starting->asks;
	c->starting->asks = l;
	a->left++;
	return true;
}

/* After the request's loop: answer now when nothing waits, else keep the
 * parts written so far and defer. */
void ctrs_ask_end(struct start_ask *a, struct ctl_reply *r, int *status, bool *deferred)
{
	if (!a)
		return;
	if (!a->left) {
		ask_free(a);
		return;
	}
	a->mark[0] = 0;
	a->mark[a->argc] = r->len;
	for (int i = 1; i < a->argc; i++) /* arguments not marked: empty */
		if (a->mark[i] < a->mark[i - 1])
			a->mark[i] = a->mark[i - 1];
	for (int i = 0; i < a->argc; i++) {
		size_t from = a->mark[i], to = a->mark[i + 1];

		if (!a->arg[i] && to > from)
			a->part[i] = strndup(r->buf + from, to - from);
	}
	a->status = *status;
	*deferred = true;
}
