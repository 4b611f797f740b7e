#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/image/containerfile.h"
#include "runtime/lib/strv.h"

static int parse(const char *text, struct cf_file *f, struct berr *e)
{
	return cf_parse("Containerfile", text, strlen(text), f, e);
}

static void parse_ok(const char *text, struct cf_file *f)
{
	struct berr e = {0};
	int r = parse(text, f, &e);

	if (r < 0)
		fail_msg("unexpected error: %s", e.msg);
}

static void parse_err(const char *text, const char *msg)
{
	struct cf_file f;
	struct berr e = {0};

	assert_int_equal(parse(text, &f, &e), -EINVAL);
	if (!strstr(e.msg, msg))
		fail_msg("error \"%s\" lacks \"%s\"", e.msg, msg);
	assert_null(f.inst);
}

static void test_basic_forms(void **state)
{
	struct cf_file f;

	parse_ok("# a comment\n"
		 "FROM busybox\n"
		 "\n"
		 "run echo hi\n"
		 "CMD [\"/bin/sh\", \"-c\", \"echo x\"]\n"
		 "ENTRYPOINT [\"broken\n"
		 "MAINTAINER Someone <a@b>\n",
		 &f);
	assert_int_equal(f.n, 5);
	assert_int_equal(f.inst[0].kind, CF_FROM);
	assert_int_equal(f.inst[0].line, 2);
	assert_string_equal(f.inst[0].args[0], "busybox");
	assert_int_equal(f.inst[1].kind, CF_RUN);
	assert_int_equal(f.inst[1].line, 4);
	assert_false(f.inst[1].json);
	assert_string_equal(f.inst[1].args[0], "echo hi");
	assert_string_equal(f.inst[1].text, "RUN echo hi");
	assert_true(f.inst[2].json);
	assert_int_equal(f.inst[2].nargs, 3);
	assert_string_equal(f.inst[2].args[2], "echo x");
	/* not valid JSON: the shell form, as Docker */
	assert_false(f.inst[3].json);
	assert_string_equal(f.inst[3].args[0], "[\"broken");
	assert_string_equal(f.inst[4].args[0], "Someone <a@b>");
	cf_free(&f);
	parse_ok("FROM scratch\nstopsignal SIGQUIT \n", &f);
	assert_int_equal(f.inst[1].kind, CF_STOPSIGNAL);
	assert_string_equal(f.inst[1].args[0], "SIGQUIT");
	cf_free(&f);
}

static void test_continuations(void **state)
{
	struct cf_file f;

	parse_ok("FROM scratch\n"
		 "RUN echo a \\\n"
		 "# a comment inside\n"
		 "\n"
		 "  b \\  \n"
		 "c\n"
		 "LABEL x=1\n",
		 &f);
	assert_int_equal(f.n, 3);
	assert_string_equal(f.inst[1].args[0], "echo a   b c");
	assert_int_equal(f.inst[1].line, 2);
	assert_int_equal(f.inst[2].line, 7);
	cf_free(&f);
}

static void test_escape_directive(void **state)
{
	struct cf_file f;

	parse_ok("# escape=`\n"
		 "FROM scratch\n"
		 "RUN dir c:\\ `\n"
		 "  && echo done\n"
		 "COPY a\\b c\n",
		 &f);
	assert_int_equal(f.escape, '`');
	assert_string_equal(f.inst[1].args[0], "dir c:\\   && echo done");
	assert_int_equal(f.inst[2].nargs, 2);
	cf_free(&f);
	/* after a comment it is no directive any more */
	parse_ok("# hello\n# escape=`\nFROM scratch\nRUN a \\\n b\n", &f);
	assert_int_equal(f.escape, '\\');
	assert_string_equal(f.inst[1].args[0], "a  b");
	cf_free(&f);
	parse_err("# escape=x\nFROM scratch\n", "Containerfile:1: invalid escape token");
	parse_err("# escape=`\n# escape=\\\nFROM scratch\n", "Containerfile:2: only one escape");
}

static void test_errors_name_line(void **state)
{
	parse_err("FROM scratch\n\n# c\n\n\n\nFRM x\n", "Containerfile:7: unknown instruction: FRM");
	parse_err("RUN true\n", "Containerfile:1: no build stage");
	parse_err("FROM a\nFROM b\n", "Containerfile:2: multi-stage");
	parse_err("", "no instructions");
	parse_err("FROM scratch\nCOPY onlyone\n", "Containerfile:2: COPY requires at least two");
	parse_err("FROM scratch\nCOPY --from=x a b\n", "Containerfile:2: unknown flag: --from");
	parse_err("FROM scratch\nRUN --mount=type=cache x\n", "Containerfile:2: unknown flag");
	parse_err("FROM scratch\nENV\n", "Containerfile:2: ENV requires");
	parse_err("FROM scratch\nENV a=1 b\n", "Containerfile:2: syntax error - can't find =");
	parse_err("FROM scratch\nLABEL =x\n", "LABEL names can not be blank");
	parse_err("FROM scratch\nENV onlykey\n", "ENV must have two arguments");
	parse_err("FROM scratch\nWORKDIR\n", "WORKDIR requires exactly one argument");
	parse_err("FROM scratch\nSTOPSIGNAL\n", "Containerfile:2: STOPSIGNAL requires exactly one");
	parse_err("FROM scratch\nSHELL [\"sh\"]\n", "Containerfile:2: SHELL is not supported");
	parse_err("FROM a b\n", "FROM requires either one or three");
	parse_err("FROM scratch\nARG a-b\n", "ARG: invalid name");
	parse_err("FROM scratch\nHEALTHCHECK BOGUS x\n", "unknown type \"BOGUS\"");
	parse_err("FROM scratch\nHEALTHCHECK --interval=5 CMD x\n", "invalid duration");
	parse_err("FROM scratch\nHEALTHCHECK --retries=x CMD x\n", "invalid --retries");
	parse_err("FROM scratch\nHEALTHCHECK --timeout=10us CMD x\n", "less than 1ms");
	parse_err("FROM scratch\nHEALTHCHECK --interval=1s NONE\n", "NONE takes no arguments");
	parse_err("FROM scratch\nRUN []\n", "RUN requires at least one argument");
}

static void test_env_label_forms(void **state)
{
	struct cf_file f;

	parse_ok("FROM scratch\n"
		 "ENV A=1 B=\"two words\" C=x\\ y\n"
		 "ENV LEGACY value with  spaces\n"
		 "LABEL \"com.example.x\"=\"v 1\" y=2\n",
		 &f);
	assert_int_equal(f.inst[1].nargs, 3);
	assert_string_equal(f.inst[1].args[1], "B=\"two words\"");
	assert_string_equal(f.inst[1].args[2], "C=x\\ y");
	assert_int_equal(f.inst[2].nargs, 1);
	assert_string_equal(f.inst[2].args[0], "LEGACY=value with  spaces");
	assert_int_equal(f.inst[3].nargs, 2);
	cf_free(&f);
}

static void test_copy_flags_and_json(void **state)
{
	struct cf_file f;

	parse_ok("FROM scratch\n"
		 "COPY --chown=1:2 a b /dst/\n"
		 "ADD [\"with space\", \"/x y\"]\n"
		 "VOLUME [\"/data\", \"/logs\"]\n"
		 "VOLUME /a /b\n"
		 "EXPOSE 80 443/tcp\n",
		 &f);
	assert_int_equal(f.inst[1].nflags, 1);
	assert_string_equal(f.inst[1].flags[0].name, "chown");
	assert_string_equal(f.inst[1].flags[0].value, "1:2");
	assert_int_equal(f.inst[1].nargs, 3);
	assert_true(f.inst[2].json);
	assert_string_equal(f.inst[2].args[0], "with space");
	assert_int_equal(f.inst[3].nargs, 2);
	assert_false(f.inst[4].json);
	assert_int_equal(f.inst[4].nargs, 2);
	assert_int_equal(f.inst[5].nargs, 2);
	cf_free(&f);
}

static void test_healthcheck(void **state)
{
	struct cf_file f;

	parse_ok("FROM scratch\n"
		 "HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 --start-period=500ms \\\n"
		 "  CMD wget -q -O- http://127.0.0.1/\n"
		 "HEALTHCHECK NONE\n"
		 "HEALTHCHECK CMD [\"/bin/true\"]\n",
		 &f);
	assert_int_equal(f.inst[1].health.interval, 5000000000LL);
	assert_int_equal(f.inst[1].health.timeout, 90000000000LL);
	assert_int_equal(f.inst[1].health.start_period, 500000000LL);
	assert_int_equal(f.inst[1].health.retries, 3);
	assert_false(f.inst[1].json);
	assert_string_equal(f.inst[1].args[0], "wget -q -O- http://127.0.0.1/");
	assert_true(f.inst[2].health.none);
	assert_true(f.inst[3].json);
	assert_string_equal(f.inst[3].args[0], "/bin/true");
	cf_free(&f);
}

static char *expand(const struct cf_scope *s, const char *w)
{
	char *out = NULL;
	struct berr e = {0};

	if (cf_expand(w, '\\', s, &out, &e) < 0)
		return strdup(e.msg);
	return out;
}

#define EXPECT(s, in, want)                                                                         \
	do {                                                                                       \
		char *got = expand(s, in);                                                          \
		assert_string_equal(got, want);                                                     \
		free(got);                                                                          \
	} while (0)

static void test_expand(void **state)
{
	struct cf_scope s;
	char *env[] = {"A=alpha", "EMPTY=", "P=/usr/bin"};

	assert_int_equal(cf_scope_init(&s, NULL, 0), 0);
	cf_scope_enter_stage(&s);
	assert_int_equal(cf_scope_set_env(&s, env, 3), 0);
	EXPECT(&s, "$A", "alpha");
	EXPECT(&s, "${A}x", "alphax");
	EXPECT(&s, "$Ax", "");
	EXPECT(&s, "${NOPE:-dflt}", "dflt");
	EXPECT(&s, "${EMPTY:-dflt}", "dflt");
	EXPECT(&s, "${EMPTY-dflt}", "");
	EXPECT(&s, "${A:+set}", "set");
	EXPECT(&s, "${NOPE:+set}", "");
	EXPECT(&s, "${NOPE:-$A/x}", "alpha/x");
	EXPECT(&s, "'$A'", "$A");
	EXPECT(&s, "\"$A b\"", "alpha b");
	EXPECT(&s, "\\$A", "$A");
	EXPECT(&s, "\"\\$A\\\"\"", "$A\"");
	EXPECT(&s, "$P:/sbin", "/usr/bin:/sbin");
	EXPECT(&s, "cost$", "cost$");
	EXPECT(&s, "${A", "missing '}' in substitution of A");
	EXPECT(&s, "'open", "unexpected end of statement while looking for matching single-quote");
	EXPECT(&s, "${NOPE:?must be set}", "NOPE: must be set");
	EXPECT(&s, "${A/x}", "unsupported modifier (/) in substitution of A");
	cf_scope_free(&s);
}

static void test_arg_scoping(void **state)
{
	char *bargs[] = {"VERSION=9", "UNUSED=1", "FROMARG=override"};
	struct cf_scope s;
	struct berr e;
	char **run, **unused;
	size_t n;

	assert_int_equal(cf_scope_init(&s, bargs, 3), 0);
	/* before FROM: meta args, used only by FROM */
	assert_int_equal(cf_scope_arg(&s, "BASE=busybox", '\\', &e), 0);
	assert_int_equal(cf_scope_arg(&s, "FROMARG=dflt", '\\', &e), 0);
	EXPECT(&s, "$BASE:$FROMARG", "busybox:override");
	cf_scope_enter_stage(&s);
	/* not in scope after FROM until declared again */
	EXPECT(&s, "[$BASE]", "[]");
	assert_int_equal(cf_scope_arg(&s, "BASE", '\\', &e), 0);
	EXPECT(&s, "[$BASE]", "[busybox]");
	/* --build-arg wins over the default */
	assert_int_equal(cf_scope_arg(&s, "VERSION=1.0", '\\', &e), 0);
	EXPECT(&s, "$VERSION", "9");
	/* defaults are expanded */
	assert_int_equal(cf_scope_arg(&s, "DIR=/opt/${BASE}", '\\', &e), 0);
	EXPECT(&s, "$DIR", "/opt/busybox");
	/* declared without value: empty */
	assert_int_equal(cf_scope_arg(&s, "NOVAL", '\\', &e), 0);
	EXPECT(&s, "[${NOVAL:-unset}]", "[unset]");
	/* ENV overrides ARG */
	assert_int_equal(cf_scope_setenv(&s, "VERSION", "env"), 0);
	EXPECT(&s, "$VERSION", "env");
	run = cf_scope_run_args(&s, &n);
	assert_int_equal(n, 2);
	assert_string_equal(run[0], "BASE=busybox");
	assert_string_equal(run[1], "DIR=/opt/busybox");
	strv_freev(run);
	unused = cf_scope_unused(&s, &n);
	assert_int_equal(n, 1);
	assert_string_equal(unused[0], "UNUSED");
	strv_freev(unused);
	cf_scope_free(&s);
}

static void test_split_kv(void **state)
{
	char *k, *v;

	assert_int_equal(cf_split_kv("a=b=c", &k, &v), 0);
	assert_string_equal(k, "a");
	assert_string_equal(v, "b=c");
	free(k);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_forms),	  cmocka_unit_test(test_continuations),
		cmocka_unit_test(test_escape_directive),  cmocka_unit_test(test_errors_name_line),
		cmocka_unit_test(test_env_label_forms),	  cmocka_unit_test(test_copy_flags_and_json),
		cmocka_unit_test(test_healthcheck),
		cmocka_unit_test(test_expand),		  cmocka_unit_test(test_arg_scoping),
		cmocka_unit_test(test_split_kv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
