/* cli_run_start.c - a new container handed to the supervisor: its
 * config.json, then "create", and for run "wait" (attached) and "start".
 *
 * Without -t and -i the three requests go out together: the supervisor
 * takes the FIFO's lines in order, so the start finds the container
 * created and the wait is there before it runs; one round trip (two
 * process wake-ups) fewer than waiting for the create's answer first. The
 * log an attached run follows is opened (created) before the requests,
 * so a short-lived --rm container cannot have been removed, log and all,
 * before the CLI looks. A create that is refused leaves nothing: the
 * answers of the wait and start that followed it are dropped unread. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli_attach.h"
#include "cli_run_priv.h"
#include "cli_volume.h"
#include "client.h"
#include "runtime/container/hostcfg.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define ANSWER_MS 15000

/* A create that was refused (or never sent): its directory, the log the
 * CLI made and its anonymous volumes go; left, the directory would come
 * back as a container the next time the supervisor starts. */
static int forget(const char *root, const struct ctr_config *c, const char *dir)
{
	char *argv_rm[] = { "/bin/rm", "-rf", (char *)dir, NULL };
	char log[600];

	if (run_wait(argv_rm, NULL, -1) != 0)
		fprintf(stderr, "berth: could not remove %s\n", dir);
	ctr_log_path(root, c->id, log, sizeof(log));
	unlink(log);
	cli_volume_forget_anon(root, c);
	return 125;
}

/* containers/ID/config.json, with daemon.json's default-ulimits for the
 * names --ulimit did not give (merged here, as `docker inspect` shows
 * them); 0, or the exit code after the error. */
static int save_config(const char *root, struct ctr_config *c, char *dir, size_t size)
{
	struct berr e;
	int rc;

	if (hx_default_ulimits(root, &c->hostx, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 125;
	}
	ctr_dir(root, c->id, dir, size);
	rc = mkdir_p(dir, c->uid_map ? 0711 : 0700); /* 0711: the mapped root walks through */
	if (rc < 0)
		berr_set(&e, -rc, "create %s", dir);
	else
		e.code = 0;
	if (e.code || ctr_config_save(root, c, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 125;
	}
	return 0;
}

/* Attached with -t or -i: the session FIFOs need the container, so the
 * create is answered first; then cli_attach_start(). */
static int run_session(const char *root, const struct run_opts *o, const char *id,
		       bool *start_failed)
{
	struct cli_joined j = { .tty = o->tty, .in = o->interactive, .start_code = true,
				.fail_rc = 125, .failed = start_failed };
	char log[600];

	ctr_log_path(root, id, log, sizeof(log));
	return cli_attach_start(root, id, open(log, O_RDONLY | O_CLOEXEC), &j);
}

/* The answers to requests sent after a refused create, dropped. */
static void drop_answers(struct client_reply *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].fd >= 0)
			berr_ignore(client_collect(&r[i], ANSWER_MS));
		client_reply_free(&r[i]);
	}
}

/* create, [wait,] start in one go (see the top). */
static int run_pipelined(const char *root, const struct run_opts *o, const struct ctr_config *c,
			 const char *dir, char *id_out, bool *start_failed)
{
	char *cargs[] = { "create", (char *)c->id, NULL };
	char *wargs[] = { "wait", (char *)c->id, NULL }, *sargs[] = { "start", (char *)c->id, NULL };
	struct client_reply create, r[2] = { { .fd = -1 }, { .fd = -1 } }; /* wait, start */
	_cleanup_fd_ int logfd = -1;
	char log[600];
	int rc;

	if (!o->detach) {
		ctr_log_path(root, c->id, log, sizeof(log));
		logfd = open(log, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	}
	if (client_send(root, 2, cargs, &create) < 0)
		return forget(root, c, dir);
	if (!o->detach)
		berr_ignore(client_send(root, 2, wargs, &r[0])); /* its failure: said, then 125 */
	berr_ignore(client_send(root, 2, sargs, &r[1]));
	if (client_finish(&create, ANSWER_MS, NULL) != 0) {
		drop_answers(r, 2);
		return forget(root, c, dir);
	}
	rc = 125; /* a request not sent has been reported */
	if (r[1].fd >= 0 && (o->detach || r[0].fd >= 0))
		rc = client_finish(&r[1], ANSWER_MS, NULL);
	*start_failed = rc != 0;
	if (rc == 0 && o->detach && id_out)
		snprintf(id_out, CTR_ID_LEN + 1, "%s", c->id);
	else if (rc == 0 && o->detach)
		printf("%s\n", c->id);
	else if (rc == 0)
		rc = cli_attach_wait(logfd, c->id, &r[0], -1);
	client_reply_free(&r[0]); /* unread after a failed start: the FIFO goes */
	client_reply_free(&r[1]);
	return rc;
}

int cli_run_begin(const char *root, const struct run_opts *o, struct ctr_config *c, char *id_out,
		  bool *start_failed)
{
	char *args[] = { "create", (char *)c->id, NULL };
	char dir[512];
	int rc = save_config(root, c, dir, sizeof(dir));

	if (rc)
		return rc;
	if (!o->create_only && (o->detach || (!o->tty && !o->interactive)))
		return run_pipelined(root, o, c, dir, id_out, start_failed);
	if (client_ask(root, 2, args, ANSWER_MS, NULL) != 0)
		return forget(root, c, dir);
	if (o->create_only)
		printf("%s\n", c->id);
	else
		rc = run_session(root, o, c->id, start_failed);
	return rc;
}
