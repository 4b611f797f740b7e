/* template_priv.h - what the template engine's files share: the parsed
 * form (template_parse.c builds it), the evaluator's state
 * (template_exec.c) and the functions it calls (template_funcs.c). Not
 * for use outside runtime/lib/template*.c.
 *
 * A template is a list of nodes. Text is printed; an action evaluates a
 * pipeline (commands joined by '|', each one's value handed to the next
 * as its last argument) and prints the value; if/range/with hold a
 * pipeline, a body and an else list. Values are jansson values, as Go's
 * are reflect values; null is Go's "no value".
 */
#ifndef BERTH_TEMPLATE_PRIV_H
#define BERTH_TEMPLATE_PRIV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "template.h"

enum tn_kind {
	/* in a list */
	TN_TEXT,
	TN_ACTION,
	TN_IF,
	TN_RANGE,
	TN_WITH,
	TN_BREAK,
	TN_CONTINUE,
	/* in an action */
	TN_PIPE,
	TN_CMD,
	/* operands */
	TN_FIELD, /* .A.B on dot */
	TN_VAR,	  /* $x.A.B */
	TN_CHAIN, /* (pipeline).A.B */
	TN_FUNC,
	TN_DOT,
	TN_CONST,
};

struct tfunc;

struct tnode {
	enum tn_kind kind;
	int pos, end;	    /* the node's text in the template: for errors */
	struct tnode *next; /* the next node of its list, command or pipeline */
	struct tnode *kid;  /* ACTION, IF, RANGE, WITH: the pipeline; PIPE: the
			       first command; CMD: the first operand; CHAIN: the term */
	struct tnode *body, *alt; /* IF, RANGE, WITH: the list and the else list */
	const char *s;		  /* TEXT: the text; VAR: "$x"; FUNC: the name */
	size_t n;		  /* TEXT: its length */
	const char *fields;	  /* FIELD, VAR, CHAIN: ".A.B" or NULL */
	json_t *val;		  /* CONST: the value (owned by the tmpl) */
	const char *decl[2];	  /* PIPE: the variables it declares */
	int ndecl;
	bool assign; /* PIPE: "$x = ..." rather than ":=" */
	const struct tfunc *fn;
};

struct tmpl {
	struct tnode *root;
	char *src;	/* the text parsed, for error locations */
	json_t *consts; /* holds every CONST's value */
	struct tchunk *arena;
};

struct tvar {
	const char *name;
	json_t *v;
};

/* One execution. */
struct tx {
	const struct tmpl *t;
	char **out;
	size_t *len;
	struct tvar *vars;
	int nvars, cap;
	bool header; /* Docker's header functions: json, upper, ... pass their text */
	bool failed;
	long steps;
	size_t made; /* bytes of the values functions returned */
	struct berr *e;
};

struct tfunc {
	char name[9];
	signed char min, max; /* arguments; max -1: any number */
	bool pass;	      /* in a table's header, hands its first argument back */
	json_t *(*call)(struct tx *x, const struct tnode *at, const char *name, json_t **argv,
			int argc);
};

/* What one run may do (template_exec.c; tmpl_set_limits): steps, output
 * bytes, bytes of the values functions return, a printf/pad width. */
struct tmpl_limits {
	long steps;
	size_t out, made;
	long pad;
};
extern struct tmpl_limits tmpl_limits;

/* The functions (template_funcs.c); NULL when name is none of them. */
const struct tfunc *tfn_find(const char *name);

/* Record an execution error at node n as Go words it: "template: :1:2:
 * executing "" at <.X>: ..." (only the first one is kept). Returns NULL. */
json_t *tx_fail(struct tx *x, const struct tnode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Go's truth: false, 0, "", null, and empty lists and maps are false. */
bool tx_truth(json_t *v);
/* The name of v's Go type in messages ("string", "int", ...). */
const char *tx_type(json_t *v);

/* Append v as Go's fmt prints it with %v (top: a missing value prints
 * "<no value>", inside a list or map "<nil>"). */
BERR_MUST int tx_print(char **out, size_t *len, json_t *v, bool top);
BERR_MUST int tx_append(char **out, size_t *len, const char *s, size_t n);
/* The keys of an object, sorted as Go ranges over and prints a map
 * (malloc'd; NULL when it is empty or on allocation failure). */
const char **tx_keys(json_t *obj, size_t *n);
/* Code point cp in UTF-8 into out (4 bytes of room): its length. */
size_t tx_utf8(unsigned long cp, char *out);

#endif
