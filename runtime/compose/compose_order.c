/* compose_order.c - the checks that need every service read: named volume
 * sources declared at the top level, depends_on and network_mode service:
 * naming defined services, no cycles; then the start order, dependencies
 * first. */
#include "compose_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Named sources must be declared at the top level, as Compose wants. */
void cw_check_volume_refs(struct cw_walk *w)
{
	struct compose_file *f = w->f;

	for (int i = 0; i < f->nsvc; i++) {
		struct compose_service *s = &f->svc[i];

		for (int k = 0; k < s->volumes.n && s->volume_lines; k++) {
			const char *v = s->volumes.v[k], *colon = strchr(v, ':');

			char src[256];

			if (!colon || v[0] == '/' || v[0] == '.' ||
			    compose_find_volume(f, v, colon - v))
				continue;
			snprintf(src, sizeof(src), "%.*s", (int)(colon - v), v);
			if (!cw_volume_name_valid(src))
				continue; /* reported as it was read */
			cw_report(w, s->volume_lines[k],
				  "services.%s: volumes: '%s' refers to undefined volume '%.*s'",
				  s->name, v, (int)(colon - v), v);
			s->status = COMPOSE_INVALID;
		}
	}
}

/* ---- ordering ---- */

struct order_ctx {
	struct cw_walk *w;
	char mark[COMPOSE_MAX_SERVICES];	/* 0 new, 1 on the stack, 2 done */
	bool in_cycle[COMPOSE_MAX_SERVICES];
	int stack[COMPOSE_MAX_SERVICES], depth;
	int post[COMPOSE_MAX_SERVICES], npost;
};

static void cycle_found(struct order_ctx *o, int to)
{
	struct compose_file *f = o->w->f;
	char msg[2048];
	size_t len = 0;
	int from = 0;

	while (o->stack[from] != to)
		from++;
	for (int i = from; i < o->depth; i++) {
		if (o->in_cycle[o->stack[i]])
			return; /* already reported, from another entry point */
	}
	for (int i = from; i < o->depth; i++) {
		o->in_cycle[o->stack[i]] = true;
		len += snprintf(msg + len, len < sizeof(msg) ? sizeof(msg) - len : 0, "%s -> ",
				f->svc[o->stack[i]].name);
	}
	snprintf(msg + (len < sizeof(msg) ? len : sizeof(msg) - 1),
		 len < sizeof(msg) ? sizeof(msg) - len : 1, "%s", f->svc[to].name);
	cw_report(o->w, f->svc[to].depends_line, "depends_on cycle: %s", msg);
}

static void visit(struct order_ctx *o, int i)
{
	struct compose_service *s = &o->w->f->svc[i];

	o->mark[i] = 1;
	o->stack[o->depth++] = i;
	for (int d = 0; d < s->depends_on.n; d++) {
		int j = compose_find(o->w->f, s->depends_on.v[d]);

		if (j < 0)
			continue; /* reported by the caller */
		if (o->mark[j] == 1)
			cycle_found(o, j);
		else if (o->mark[j] == 0)
			visit(o, j);
	}
	o->depth--;
	o->mark[i] = 2;
	o->post[o->npost++] = i;
}

/* Dependencies first, in file order where free; cycles and services that
 * need a service that cannot start are marked and reported. */
void compose_order(struct cw_walk *w)
{
	struct compose_file *f = w->f;
	struct order_ctx *o = calloc(1, sizeof(*o));

	if (!o) {
		w->nomem = true;
		return;
	}
	o->w = w;
	for (int i = 0; i < f->nsvc; i++) {
		struct compose_service *s = &f->svc[i];
		const char *nm = s->network_mode;

		if (nm && strncmp(nm, "service:", 8) == 0 && compose_find(f, nm + 8) >= 0) {
			bool listed = false;
			for (int d = 0; d < s->depends_on.n; d++)
				listed |= strcmp(s->depends_on.v[d], nm + 8) == 0;
			if (!listed && (strv_add(&s->depends_on, nm + 8) < 0 ||
					strv_add(&s->depends_cond, "service_started") < 0))
				w->nomem = true;
		}
		for (int d = 0; d < s->depends_on.n; d++) {
			if (compose_find(f, s->depends_on.v[d]) < 0) {
				cw_report(w, s->depends_line ? s->depends_line : s->line,
					  "services.%s: depends on undefined service '%s'", s->name,
					  s->depends_on.v[d]);
				s->status = COMPOSE_INVALID;
			} else if (strcmp(s->depends_on.v[d], s->name) == 0 && !o->in_cycle[i]) {
				o->in_cycle[i] = true;
				cw_report(w, s->depends_line, "depends_on cycle: %s -> %s", s->name,
					  s->name);
			}
		}
		if (nm && strncmp(nm, "service:", 8) == 0 && compose_find(f, nm + 8) < 0) {
			cw_report(w, s->line, "services.%s: network_mode: undefined service '%s'",
				  s->name, nm + 8);
			s->status = COMPOSE_INVALID;
		}
	}
	for (int i = 0; i < f->nsvc; i++) {
		if (!o->mark[i])
			visit(o, i);
	}
	for (int k = 0; k < o->npost; k++) {
		int i = o->post[k];
		struct compose_service *s = &f->svc[i];

		if (s->status == COMPOSE_INVALID)
			continue;
		if (o->in_cycle[i]) {
			s->status = COMPOSE_CYCLE;
			continue;
		}
		for (int d = 0; d < s->depends_on.n; d++) {
			int j = compose_find(f, s->depends_on.v[d]);
			if (j >= 0 && f->svc[j].status != COMPOSE_OK) {
				s->status = COMPOSE_DEP_FAILED;
				cw_report(
				    w, s->depends_line,
				    "services.%s: not started: it depends on '%s', which cannot "
				    "start",
				    s->name, f->svc[j].name);
				break;
			}
		}
		if (s->status == COMPOSE_OK)
			f->order[f->norder++] = i;
	}
	free(o);
}
