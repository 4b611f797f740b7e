/* cli_start.c - `berth start`: without -a/-i the supervisor starts each
 * container; with them, as `docker start -a [-i]`, one container started
 * with our stdio joined to it until it exits, its exit code ours. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/container/container.h"
#include "runtime/lib/util.h"
#include "cli_attach.h"
#include "cli_ctr.h"
#include "cli_start.h"
#include "client.h"
#include "flags.h"

struct start_opts {
	bool attach, interactive;
};

#define SO(f) struct start_opts, f
static const struct flg start_flags[] = {
	FLG_BOOL('a', "attach", SO(attach), "Attach STDOUT/STDERR and forward signals"),
	FLG_BOOL('i', "interactive", SO(interactive), "Attach container's STDIN"),
	FLG_END,
};

const struct flg_cmd cli_start_cmd = {
	.path = "start",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.desc = "Start one or more stopped containers",
	.flags = start_flags,
	.min_args = 1,
	.max_args = -1,
};

/* docker start -a [-i]: see cli_attach_start(); 1 when it did not start. */
static int start_attached(const char *root, const char *id, const struct ctr_config *c,
			  enum ctr_status status, bool stdin_too)
{
	struct cli_joined j = { .tty = c->tty, .in = stdin_too && c->interactive,
				.restart = status == CTR_EXITED, .fail_rc = 1 };
	int logfd = -1;
	char log[600];

	if (!c->tty) {
		ctr_log_path(root, id, log, sizeof(log));
		logfd = open(log, O_RDONLY | O_CLOEXEC);
		if (logfd >= 0)
			lseek(logfd, 0, SEEK_END); /* this run's output only */
	}
	return cli_attach_start(root, id, logfd, &j);
}

int cli_start(const char *root, int argc, char **argv)
{
	char id[CTR_ID_LEN + 1];
	struct start_opts o = { 0 };
	struct ctr_config c;
	struct ctr_state st;
	struct flg_out a;
	int rc = 0;

	if (flg_verb(&cli_start_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (!o.attach && !o.interactive) {
		_cleanup_free_ char **fwd = calloc(a.argc + 2, sizeof(*fwd));

		if (!fwd)
			return 1;
		fwd[0] = "start";
		memcpy(fwd + 1, a.argv, a.argc * sizeof(*fwd));
		/* docker start: 1 for any container that did not start (run
		 * alone tells 125, 126 and 127 apart) */
		return client_call(root, a.argc + 1, fwd) ? 1 : 0;
	}
	if (a.argc > 1) {
		fprintf(stderr, "berth: you cannot start and attach multiple containers at once\n");
		return 1;
	}
	if (cli_load_container(root, a.argv[0], id, &c, &st) < 0)
		return 1;
	if (c.tty && o.interactive && c.interactive && !isatty(0)) {
		fprintf(stderr, "berth: the input device is not a TTY\n");
		rc = 1;
	} else {
		rc = start_attached(root, id, &c, st.status, o.interactive);
	}
	ctr_config_free(&c);
	return rc;
}
