/* flags.h - one table-driven parser for the flags of the CLI verbs, with
 * Docker's syntax (cobra/pflag) and Docker's error texts.
 *
 * A verb declares a struct flg_cmd: the words after "berth" (its path),
 * the rest of its Usage line, a one-line description, how many operands it
 * takes, and a table of flags: long name, shorthand letter, kind, the field
 * of the verb's options struct the value goes to, and a one-line help. The
 * parser takes
 *
 *   --name=value   --name value   -n value   -nvalue   -n=value
 *   -dit           short booleans combined; the last may take a value (-dp 80:80)
 *   --rm=false     an explicit value for a boolean
 *   --             the end of the flags: the rest are operands
 *
 * and flags and operands in any order, unless the verb takes a command
 * after an operand (run IMAGE CMD..., exec CONTAINER CMD...): then the
 * flags end at the first operand. --help, and -h unless the verb has a
 * flag -h, asks for the help, which flg_help() prints from the same table.
 *
 * flg_parse() is pure (no output); flg_verb() is what a verb calls: it
 * prints the help or the error as Docker does and gives the exit code.
 */
#ifndef BERTH_CLI_FLAGS_H
#define BERTH_CLI_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runtime/lib/err.h"

enum flg_kind {
	FLG_T_BOOL,	/* bool */
	FLG_T_STRING,	/* const char *, pointing into argv */
	FLG_T_INT,	/* int, decimal */
	FLG_T_STRINGS,	/* struct strv (strv.h): each use adds one; the caller frees it */
	FLG_T_DURATION, /* int64_t nanoseconds, from a Go duration ("1m30s") */
};

struct flg {
	const char *name;  /* the long name without "--"; NULL ends a table */
	char shorthand;	   /* the letter after "-", or 0 */
	enum flg_kind kind;
	size_t off;	   /* where the value goes in the options struct; FLG_NO_DST: nowhere */
	const char *help;  /* one line; a `word` in back quotes names the value in the
			    * Options list (as pflag's); NULL hides the flag */
};

#define FLG_NO_DST ((size_t)-1)
#define FLG_MAX 64 /* flags in one table */

/* Table entries. DST is "TYPE, FIELD": a verb's file usually defines
 * `#define X(f) struct x_opts, f` and writes FLG_BOOL('a', "all", X(all),
 * "..."). A field of the wrong type for the kind does not compile. */
#define FLG_BOOL(s, name, dst, help) FLG_ENTRY_(FLG_T_BOOL, bool, s, name, help, dst)
#define FLG_STRING(s, name, dst, help) FLG_ENTRY_(FLG_T_STRING, const char *, s, name, help, dst)
#define FLG_INT(s, name, dst, help) FLG_ENTRY_(FLG_T_INT, int, s, name, help, dst)
#define FLG_STRINGS(s, name, dst, help) FLG_ENTRY_(FLG_T_STRINGS, struct strv, s, name, help, dst)
#define FLG_DURATION(s, name, dst, help) FLG_ENTRY_(FLG_T_DURATION, int64_t, s, name, help, dst)
/* A flag described for --help only, for verbs whose words go to the
 * supervisor as they are. */
#define FLG_DOC(kind, s, name, help) { (name), (s), (kind), FLG_NO_DST, (help) }
#define FLG_END { NULL, 0, FLG_T_BOOL, 0, NULL }

#define FLG_ENTRY_(kind, type, s, name, help, T, f)                                                \
	{ (name), (s), (kind), FLG_OFF_(T, f, type), (help) }
#define FLG_OFF_(T, f, type)                                                                       \
	(offsetof(T, f) +                                                                          \
	 0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((T *)0)->f), type) ? 1 : -1]))

struct flg_cmd {
	const char *path;	     /* the words after "berth": "ps", "volume rm" */
	const char *usage;	     /* the Usage line after the path: "[OPTIONS] CONTAINER..." */
	const char *desc;	     /* one line */
	const char *aliases;	     /* other names of the last word, space-separated, or NULL */
	const struct flg *flags;     /* ends with FLG_END; NULL: no flags */
	const struct flg_cmd *const *cmds; /* subcommands, NULL-terminated, or NULL */
	int (*run)(void *ctx, int argc, char **argv); /* a subcommand's function */
	short min_args, max_args;    /* operands; max_args < 0: no limit */
	bool stop_at_operand;	     /* the flags end at the first operand */
	bool hidden;		     /* not listed with the other commands */
	unsigned char args_status;   /* the exit code for a wrong operand count (0: 1) */
};

struct flg_out {
	int argc;      /* the operands, */
	char **argv;   /* in their order, in the parsed vector (see flg_parse) */
	uint64_t seen; /* bit i: flags[i] was given */
	int status;    /* after flg_verb() returned -1: the verb's exit code */
};

/* Parse argv[1..argc) (argv[0] is the verb) into opts by c's table. With
 * stop_at_operand the operands are the tail of argv, as it is (ending with
 * its NULL); otherwise they are moved to argv[1..] and the flags' words
 * after them, as GNU getopt permutes (the same pointers: a strv holding
 * argv still frees them). Returns 0; FLG_HELP when --help was
 * asked for; -EINVAL for a flag error (unknown, missing or bad value) and
 * -E2BIG for a wrong number of operands, with Docker's text in e. Values
 * parsed before an error stay in opts (a struct strv must still be freed). */
#define FLG_HELP 1
BERR_MUST int flg_parse(const struct flg_cmd *c, void *opts, int argc, char **argv,
			struct flg_out *out, struct berr *e);

/* flg_parse() for a verb: 0 to go on; or -1 after printing the help
 * (status 0) or the error with "See 'berth PATH --help'." (status 125, or
 * c->args_status for the operand count). */
BERR_MUST int flg_verb(const struct flg_cmd *c, void *opts, int argc, char **argv,
		       struct flg_out *out);

/* The flag named name (long) was given. */
bool flg_given(const struct flg_cmd *c, const struct flg_out *out, const char *name);

/* The word asks for c's help (--help, or -h when c has no flag -h). */
bool flg_is_help(const struct flg_cmd *c, const char *word);

/* The subcommand of c named word (its name or an alias), or NULL. */
const struct flg_cmd *flg_find_cmd(const struct flg_cmd *c, const char *word);

/* Docker's help: Usage, description, Aliases, Options, Commands. */
void flg_help(const struct flg_cmd *c, FILE *to);

/* A usage error of c's verb on stderr, "berth: MSG" and "See 'berth PATH
 * --help'."; returns 125. */
int flg_fail(const struct flg_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
