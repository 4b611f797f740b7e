/* ctr_psrow.c - the rows of `ps-rows`, one line of quoted words a
 * container. `berth ps` asks for all of them each time, and a control
 * storm asks many times a second: each container's line is kept and
 * built again only when something it shows has changed (the key in
 * struct ps_row: state, exit code, pause, health, the time its status
 * counts from and the whole seconds since; a rename forgets it). */
#include "ctrs_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/lib/clock.h"
#include "runtime/lib/proto.h"

void ctrs_ps_forget(struct ctr *c)
{
	c->row.len = 0;
}

/* The key of c's row now; true if the kept row has it. */
static bool row_key(struct ctr *c, int64_t now, struct ps_row *k)
{
	const struct ps_row *o = &c->row;

	k->status = c->st.status;
	k->exit_code = c->st.exit_code;
	k->paused = c->st.paused;
	k->health = c->st.health ? (int)c->st.health->status : -1;
	/* ctr_status_text() counts from these, in whole seconds */
	k->since = c->st.status == CTR_RUNNING ? c->st.started_ns : c->st.finished_ns;
	k->age = k->since ? (now - k->since) / 1000000000 : 0;
	return o->len && o->status == k->status && o->exit_code == k->exit_code &&
	       o->paused == k->paused && o->health == k->health && o->since == k->since &&
	       o->age == k->age;
}

/* ID NAME IMAGE COMMAND CREATED STATUS STATE PORTS into line. */
#define PS_LINE_MAX 8192

static size_t row_build(const struct ctr *c, int64_t now, char *line, size_t size)
{
	char cmd[1024], st[128], num[64];
	size_t len = 0, clen = 0;
	const char *words[8];

	cmd[0] = '\0';
	for (char **a = c->cfg.argv; a && *a && clen < sizeof(cmd); a++)
		clen += snprintf(cmd + clen, sizeof(cmd) - clen, "%s%s", a == c->cfg.argv ? "" : " ",
				 *a);
	ctr_status_text(&c->st, now, st, sizeof(st));
	snprintf(num, sizeof(num), "%lld", (long long)c->cfg.created_ns);
	words[0] = c->cfg.id;
	words[1] = c->cfg.name;
	words[2] = c->cfg.image ? c->cfg.image : "";
	words[3] = cmd;
	words[4] = num;
	words[5] = st;
	words[6] = ctr_state_name(&c->st);
	/* published ports (canonical specs), shown while it runs */
	words[7] = c->st.status == CTR_RUNNING ? c->st.ports : "";
	for (int i = 0; i < 8; i++) {
		if (i)
			line[len++] = ' ';
		if (proto_quote(line, size - 2, &len, words[i]) < 0)
			break;
	}
	line[len++] = '\n';
	return len;
}

/* Build c's row again and keep it with its key; false when it cannot be
 * kept (out of memory), with the line in line[0..*len). */
static bool row_keep(struct ctr *c, int64_t now, struct ps_row *k, char *line, size_t *len)
{
	*len = row_build(c, now, line, PS_LINE_MAX);
	if (*len > c->row.cap) {
		char *g = realloc(c->row.text, *len);

		c->row.len = 0;
		if (!g)
			return false;
		c->row.text = g;
		c->row.cap = *len;
	}
	memcpy(c->row.text, line, *len);
	k->text = c->row.text;
	k->cap = c->row.cap;
	k->len = *len;
	c->row = *k;
	return true;
}

void ctrs_ps_rows(struct ctrs *cs, struct ctl_reply *r)
{
	int64_t now = wall_ns();

	for (struct ctr *c = cs->list; c; c = c->next) {
		struct ps_row k;
		char line[PS_LINE_MAX];
		size_t len;

		if (row_key(c, now, &k) || row_keep(c, now, &k, line, &len))
			reply_write(r, c->row.text, c->row.len);
		else
			reply_write(r, line, len);
	}
}
