/* ctr_verbs.c - the container verbs of the control protocol: create,
 * start, stop, kill, restart, rm, wait, ps-rows, attach (ctr_attach.c)
 * and resize; pause, unpause, rename and update are in ctr_manage.c. */
#include "ctrs_priv.h"
#include "events.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "runtime/lib/clock.h"
#include "runtime/lib/signame.h"
#include "runtime/lib/util.h"

int ctrs_stop_one(struct ctrs *cs, struct ctr *c, int timeout, int sig)
{
	/* Not exec'd yet: nothing of the user's to stop gracefully. Its start
	 * then finishes as a container that ran and was killed. */
	if (c->starting && !c->starting->reaped && c->starting->pid > 0) {
		kill(c->starting->pid, SIGKILL);
		return 0;
	}
	if (c->st.status != CTR_RUNNING || c->st.pid <= 0)
		return 0;
	if (kill(c->st.pid, sig) < 0)
		return -errno;
	ev_ctr(c, "kill", "signal=%d", sig);
	/* Docker resumes a paused container for its stop signal or SIGKILL */
	if (sig == SIGKILL || sig == hx_stop_signal(&c->cfg.hostx))
		ctrs_thaw_for_signal(cs, c);
	if (sig != SIGKILL && timeout >= 0) {
		uint64_t at = now_ns() + (uint64_t)timeout * 1000000000ull;
		if (!c->kill_at || at < c->kill_at)
			c->kill_at = at;
		ctrs_rearm(cs);
	}
	return 0;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < -1 || v > 100000)
		return -1;
	*out = (int)v;
	return 0;
}

/* The mode parses and a container: target exists (it must run at start). */
static bool network_valid(struct ctrs *cs, const struct ctr_config *k, struct ctl_reply *r)
{
	enum ctr_net mode;
	const char *ref;
	struct berr e;

	if (ctr_network_parse(k->network, &mode, &ref, &e) < 0) {
		reply_error(r, "%s", e.msg);
		return false;
	}
	return mode != CTR_NET_CONTAINER || ctrs_find(cs, ref, r) != NULL;
}

static void verb_create(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct ctr *c;
	struct berr e;
	char dir[512];
	const char *id = req->argc == 2 ? req->argv[1] : "";

	if (strlen(id) != CTR_ID_LEN || strspn(id, "0123456789abcdef") != CTR_ID_LEN) {
		reply_error(r, "create: want one 64-hex container ID (the CLI prepares it)");
		*status = 1;
		return;
	}
	c = ctrs_ctr_new();
	if (!c) {
		reply_error(r, "create: out of memory");
		*status = 1;
		return;
	}
	ctr_dir(cs->root, id, dir, sizeof(dir));
	if (ctr_config_load(cs->root, id, &c->cfg, &e) < 0) {
		reply_error(r, "create: %s", e.msg);
		*status = 1;
		free(c);
		return;
	}
	for (struct ctr *o = cs->list; o; o = o->next) {
		if (strcmp(o->cfg.name, c->cfg.name) == 0 || strcmp(o->cfg.id, id) == 0) {
			reply_error(r,
				    "Conflict. The container name \"/%s\" is already in use by "
				    "container \"%s\". You have to remove (or rename) that "
				    "container to be able to reuse that name.",
				    c->cfg.name, o->cfg.id);
			*status = 125;
			ctr_config_free(&c->cfg);
			free(c);
			ctrs_remove_tree(dir);
			return;
		}
	}
	if (!ctr_name_valid(c->cfg.name)) {
		reply_error(r, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are "
			       "allowed", c->cfg.name);
		*status = 125;
		ctr_config_free(&c->cfg);
		free(c);
		ctrs_remove_tree(dir);
		return;
	}
	e.code = 0;
	if (!network_valid(cs, &c->cfg, r) || ctrs_setup_policy(c, &e) < 0) {
		if (e.code && !r->len)
			reply_error(r, "%s", e.msg);
		*status = 125;
		ctr_config_free(&c->cfg);
		free(c->hc);
		free(c);
		ctrs_remove_tree(dir);
		return;
	}
	c->st.status = CTR_CREATED;
	ctrs_save_state(cs, c);
	/* The log exists from now on, so an attached CLI can open it before
	 * the start (a --rm container may be gone by the time it looks). */
	ctrs_log_open(cs, c);
	c->next = cs->list;
	cs->list = c;
	ev_ctr(c, "create", NULL);
	reply_printf(r, "%s\n", id);
}

static void verb_start(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		       int *status, bool *deferred)
{
	struct start_ask *a;

	if (req->argc < 2) {
		reply_error(r, "\"start\" requires at least 1 argument");
		*status = 1;
		return;
	}
	a = ctrs_ask_new(req);
	for (int i = 1; i < req->argc; i++) {
		struct ctr *c = ctrs_find(cs, req->argv[i], r);
		struct berr e;

		ctrs_ask_mark(a, i, r);
		if (!c) {
			*status = 1;
			continue;
		}
		if (c->st.status != CTR_RUNNING && !c->starting) {
			/* A start by the user: as Docker, the count starts again. */
			c->st.manual_stop = false;
			c->st.restart_count = 0;
			c->rtrack = (struct rp_track){ 0 };
		}
		if (ctrs_start_one(cs, c, &e) < 0) {
			reply_error(r, "failed to start container %s: %s", req->argv[i], e.msg);
			*status = ctrs_start_failure_status(e.code);
			continue;
		}
		if (!ctrs_ask_wait(a, i, c, req->argv[i]))
			reply_printf(r, "%s\n", req->argv[i]);
	}
	ctrs_ask_end(a, r, status, deferred);
}

static void verb_stop_kill(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			   int *status, bool *deferred)
{
	struct start_ask *a;

	bool is_kill = strcmp(req->argv[0], "kill") == 0;
	bool restart = strcmp(req->argv[0], "restart") == 0;
	int timeout = -2, sig = is_kill ? SIGKILL : SIGTERM, i = 1;

	for (; i < req->argc && req->argv[i][0] == '-'; i++) {
		const char *a = req->argv[i];
		if (!is_kill && (strcmp(a, "-t") == 0 || strcmp(a, "--time") == 0) &&
		    i + 1 < req->argc && parse_int(req->argv[i + 1], &timeout) == 0) {
			i++;
		} else if (is_kill && (strcmp(a, "-s") == 0 || strcmp(a, "--signal") == 0) &&
			   i + 1 < req->argc && (sig = sig_parse(req->argv[i + 1])) > 0) {
			i++;
		} else {
			reply_error(r, "%s: bad option or value: %s", req->argv[0], a);
			*status = 1;
			return;
		}
	}
	if (i >= req->argc) {
		reply_error(r, "\"%s\" requires at least 1 argument", req->argv[0]);
		*status = 1;
		return;
	}
	a = restart ? ctrs_ask_new(req) : NULL;
	for (; i < req->argc; i++) {
		struct ctr *c = ctrs_find(cs, req->argv[i], r);
		int t, rc;

		ctrs_ask_mark(a, i, r);
		if (!c) {
			*status = 1;
			continue;
		}
		t = timeout >= -1 ? timeout : (c->cfg.stop_timeout > 0 ? c->cfg.stop_timeout : 10);
		if (is_kill && c->st.status != CTR_RUNNING && c->st.status != CTR_RESTARTING) {
			reply_error(r, "Cannot kill container: %s: container %s is not running",
				    req->argv[i], c->cfg.id);
			*status = 1;
			continue;
		}
		/* Stopped by the user: no restart (restart: a fresh count). */
		if (restart) {
			c->st.manual_stop = false;
			c->st.restart_count = 0;
			c->rtrack = (struct rp_track){ 0 };
		} else if (c->st.status == CTR_RUNNING || c->st.status == CTR_RESTARTING) {
			c->st.manual_stop = true;
		}
		if (c->st.status == CTR_RESTARTING) {
			c->restart_at = 0;
			c->st.status = CTR_EXITED;
			ctrs_save_state(cs, c);
			ctrs_rearm(cs);
		}
		if (restart && c->st.status == CTR_RUNNING)
			c->start_when_dead = true;
		rc = ctrs_stop_one(cs, c, t, is_kill ? sig : hx_stop_signal(&c->cfg.hostx));
		if (rc < 0) {
			reply_error(r, "%s %s: %s", req->argv[0], req->argv[i], strerror(-rc));
			*status = 1;
			continue;
		}
		if (restart && c->st.status != CTR_RUNNING) {
			struct berr e;
			if (ctrs_start_one(cs, c, &e) < 0) {
				reply_error(r, "restart %s: %s", req->argv[i], e.msg);
				*status = 1;
				continue;
			}
		}
		if (restart)
			ev_ctr(c, "restart", NULL);
		if (!ctrs_ask_wait(a, i, c, req->argv[i]))
			reply_printf(r, "%s\n", req->argv[i]);
	}
	ctrs_ask_end(a, r, status, deferred);
}

static int add_waiter(struct ctr *c, const char *path, const char *text)
{
	struct waiter *w = calloc(1, sizeof(*w));

	if (!w || !(w->path = strdup(path)) || (text && !(w->text = strdup(text)))) {
		if (w)
			free(w->path);
		free(w);
		return -ENOMEM;
	}
	w->next = c->waiters;
	c->waiters = w;
	return 0;
}

static void verb_rm(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		    int *status, bool *deferred)
{
	bool force = false, volumes = false;
	int i = 1;

	for (; i < req->argc && req->argv[i][0] == '-'; i++) {
		if (strcmp(req->argv[i], "-f") == 0 || strcmp(req->argv[i], "--force") == 0)
			force = true;
		else if (strcmp(req->argv[i], "-v") == 0 || strcmp(req->argv[i], "--volumes") == 0)
			volumes = true;
		else if (strcmp(req->argv[i], "-fv") == 0 || strcmp(req->argv[i], "-vf") == 0)
			force = volumes = true;
		else {
			reply_error(r, "rm: unknown flag: %s", req->argv[i]);
			*status = 1;
			return;
		}
	}
	if (i >= req->argc) {
		reply_error(r, "\"rm\" requires at least 1 argument");
		*status = 1;
		return;
	}
	for (; i < req->argc; i++) {
		struct ctr *c = ctrs_find(cs, req->argv[i], r);

		if (!c) {
			*status = 1;
			continue;
		}
		if (c->starting && !force) {
			reply_error(r,
				    "You cannot remove a running container %s. Stop the "
				    "container before attempting removal or force remove",
				    c->cfg.id);
			*status = 1;
			continue;
		}
		if (c->st.status == CTR_RESTARTING && !force) {
			reply_error(r,
				    "You cannot remove a restarting container %s. Stop the container "
				    "before attempting removal or force remove",
				    c->cfg.id);
			*status = 1;
			continue;
		}
		/* (a refused rm leaves it as it was) */
		if (c->st.status != CTR_RUNNING || force)
			c->remove_volumes |= volumes;
		if (c->st.status == CTR_RUNNING) {
			if (!force) {
				reply_error(r,
					    "You cannot remove a running container %s. Stop the "
					    "container before attempting removal or force remove",
					    c->cfg.id);
				*status = 1;
				continue;
			}
			c->remove_when_dead = true; /* removed once reaped */
			kill(c->st.pid, SIGKILL);
			/* One container: answer once it is gone, as Docker does. */
			if (i == req->argc - 1 && r->len == 0 && req->reply) {
				char text[300];
				snprintf(text, sizeof(text), "%s\n", req->argv[i]);
				if (add_waiter(c, req->reply, text) == 0) {
					*deferred = true;
					return;
				}
			}
		} else {
			ctrs_remove_ctr(cs, c);
		}
		reply_printf(r, "%s\n", req->argv[i]);
	}
}

static void verb_wait(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
		      int *status, bool *deferred)
{
	struct ctr *c;

	if (req->argc != 2) {
		reply_error(r, "\"wait\" requires exactly 1 argument");
		*status = 1;
		return;
	}
	c = ctrs_find(cs, req->argv[1], r);
	if (!c) {
		*status = 1;
		return;
	}
	/* Like Docker, a created container is waited for until it has run. */
	if ((c->st.status != CTR_RUNNING && c->st.status != CTR_CREATED) || !req->reply) {
		reply_printf(r, "%d\n", c->st.exit_code);
		return;
	}
	if (add_waiter(c, req->reply, NULL) < 0) {
		reply_error(r, "wait: out of memory");
		*status = 1;
		return;
	}
	*deferred = true;
}

/* resize ID ROWS COLS: the tty's window size (now, or at its start). */
static void verb_resize(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r,
			int *status)
{
	struct ctr *c = req->argc == 4 ? ctrs_find(cs, req->argv[1], r) : NULL;
	int rows, cols;

	*status = 1;
	if (req->argc != 4)
		reply_error(r, "usage: resize ID ROWS COLS");
	if (!c)
		return;
	if (parse_int(req->argv[2], &rows) < 0 || parse_int(req->argv[3], &cols) < 0 ||
	    rows < 1 || cols < 1 || rows > 65535 || cols > 65535) {
		reply_error(r, "resize: bad size %s %s", req->argv[2], req->argv[3]);
		return;
	}
	if (!c->cfg.tty) {
		reply_error(r, "container %s has no tty", c->cfg.id);
		return;
	}
	c->io.rows = rows;
	c->io.cols = cols;
	if (c->out.fd >= 0) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		ioctl(c->out.fd, TIOCSWINSZ, &ws);
	}
	*status = 0;
}

bool ctrs_request(struct ctrs *cs, struct proto_request *req, struct ctl_reply *r, int *status,
		  bool *deferred)
{
	const char *v = req->argv[0];

	if (strcmp(v, "create") == 0)
		verb_create(cs, req, r, status);
	else if (strcmp(v, "start") == 0)
		verb_start(cs, req, r, status, deferred);
	else if (strcmp(v, "stop") == 0 || strcmp(v, "kill") == 0 || strcmp(v, "restart") == 0)
		verb_stop_kill(cs, req, r, status, deferred);
	else if (strcmp(v, "rm") == 0)
		verb_rm(cs, req, r, status, deferred);
	else if (strcmp(v, "wait") == 0)
		verb_wait(cs, req, r, status, deferred);
	else if (strcmp(v, "ps-rows") == 0)
		ctrs_ps_rows(cs, r);
	else if (strcmp(v, "attach") == 0)
		ctrs_verb_attach(cs, req, r, status);
	else if (strcmp(v, "resize") == 0)
		verb_resize(cs, req, r, status);
	else if (!ctrs_net_request(cs, req, r, status))
		return ctrs_manage_request(cs, req, r, status);
	return true;
}
