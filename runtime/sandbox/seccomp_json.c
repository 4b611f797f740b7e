/* seccomp_json.c - Docker's JSON profile format read into a libseccomp
 * filter: defaultAction, architectures or archMap, syscalls with their
 * actions, args and includes/excludes. Runs only in the forked compiler
 * child (seccomp.c), never in PID 1. */
#include "seccomp_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "sandbox.h"
#include "runtime/lib/util.h"

static int parse_action(const char *s, json_t *errno_ret, uint32_t *act)
{
	int err = json_is_integer(errno_ret) ? (int)json_integer_value(errno_ret) : EPERM;

	if (!s)
		return -EINVAL;
	if (strcmp(s, "SCMP_ACT_ALLOW") == 0)
		*act = SCMP_ACT_ALLOW;
	else if (strcmp(s, "SCMP_ACT_ERRNO") == 0)
		*act = SCMP_ACT_ERRNO(err);
	else if (strcmp(s, "SCMP_ACT_KILL") == 0 || strcmp(s, "SCMP_ACT_KILL_THREAD") == 0)
		*act = SCMP_ACT_KILL;
	else if (strcmp(s, "SCMP_ACT_KILL_PROCESS") == 0)
		*act = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(s, "SCMP_ACT_TRAP") == 0)
		*act = SCMP_ACT_TRAP;
	else if (strcmp(s, "SCMP_ACT_LOG") == 0)
		*act = SCMP_ACT_LOG;
	else if (strcmp(s, "SCMP_ACT_NOTIFY") == 0)
		*act = SCMP_ACT_NOTIFY;
	else if (strcmp(s, "SCMP_ACT_TRACE") == 0)
		*act = SCMP_ACT_TRACE(err);
	else
		return -EINVAL;
	return 0;
}

static int parse_op(const char *s, enum scmp_compare *op)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
	    {"SCMP_CMP_NE", SCMP_CMP_NE},
	    {"SCMP_CMP_LT", SCMP_CMP_LT},
	    {"SCMP_CMP_LE", SCMP_CMP_LE},
	    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
	    {"SCMP_CMP_GE", SCMP_CMP_GE},
	    {"SCMP_CMP_GT", SCMP_CMP_GT},
	    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};
	for (size_t i = 0; s && i < ARRAY_SIZE(ops); i++) {
		if (strcmp(s, ops[i].name) == 0) {
			*op = ops[i].op;
			return 0;
		}
	}
	return -EINVAL;
}

/* includes/excludes {"caps": [...]}: does this rule apply to caps? */
static bool caps_match(json_t *rule, uint64_t caps)
{
	json_t *inc = json_object_get(json_object_get(rule, "includes"), "caps");
	json_t *exc = json_object_get(json_object_get(rule, "excludes"), "caps");
	json_t *v;
	size_t i;
	uint64_t m;

	json_array_foreach(inc, i, v)
	{
		if (sb_cap_parse(json_string_value(v), &m) < 0 || !(caps & m))
			return false;
	}
	json_array_foreach(exc, i, v)
	{
		if (sb_cap_parse(json_string_value(v), &m) == 0 && (caps & m))
			return false;
	}
	return true;
}

#if defined(__x86_64__)
#define GOARCH "amd64" /* Docker's profiles name architectures as Go does */
#elif defined(__aarch64__)
#define GOARCH "arm64"
#else
#define GOARCH "unknown"
#endif

static bool has_string(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* "5.8" against the running kernel; true when unknown. */
static bool kernel_at_least(const char *min)
{
	struct utsname u;
	unsigned kmaj = 0, kmin = 0, maj = 0, mn = 0;

	if (!min || uname(&u) < 0 || sscanf(min, "%u.%u", &maj, &mn) < 1 ||
	    sscanf(u.release, "%u.%u", &kmaj, &kmin) < 1)
		return true;
	return kmaj > maj || (kmaj == maj && kmin >= mn);
}

/* Docker's includes/excludes: caps (all must be held / none may be),
 * arches (of this build) and minKernel. */
static bool rule_applies(json_t *rule, uint64_t caps)
{
	json_t *inc = json_object_get(rule, "includes");
	json_t *exc = json_object_get(rule, "excludes");
	json_t *arches = json_object_get(inc, "arches");

	if (!caps_match(rule, caps))
		return false;
	if (json_array_size(arches) > 0 && !has_string(arches, GOARCH))
		return false;
	if (has_string(json_object_get(exc, "arches"), GOARCH))
		return false;
	return kernel_at_least(json_string_value(json_object_get(inc, "minKernel")));
}

static int parse_args(json_t *args, struct scmp_arg_cmp *cmp, unsigned *n, bool *same_index,
		      struct berr *e)
{
	json_t *a;
	size_t i;
	unsigned seen = 0;

	*n = 0;
	*same_index = false;
	if (json_array_size(args) > 6)
		return berr_msg(e, EINVAL, "more than 6 args in a rule");
	json_array_foreach(args, i, a)
	{
		json_int_t idx = json_integer_value(json_object_get(a, "index"));
		enum scmp_compare op;

		if (idx < 0 || idx > 5 ||
		    parse_op(json_string_value(json_object_get(a, "op")), &op) < 0)
			return berr_msg(e, EINVAL, "bad arg %zu (index or op)", i);
		if (seen & (1u << idx))
			*same_index = true;
		seen |= 1u << idx;
		cmp[*n].arg = idx;
		cmp[*n].op = op;
		cmp[*n].datum_a = (uint64_t)json_integer_value(json_object_get(a, "value"));
		cmp[*n].datum_b = (uint64_t)json_integer_value(json_object_get(a, "valueTwo"));
		(*n)++;
	}
	return 0;
}

static int add_json_rule(scmp_filter_ctx ctx, json_t *rule, uint64_t caps, struct berr *e)
{
	struct scmp_arg_cmp cmp[6];
	json_t *names = json_object_get(rule, "names"), *nm;
	unsigned n;
	bool same;
	uint32_t act;
	size_t i;
	int r;

	if (!rule_applies(rule, caps))
		return 0;
	if (parse_action(json_string_value(json_object_get(rule, "action")),
			 json_object_get(rule, "errnoRet"), &act) < 0)
		return berr_msg(e, EINVAL, "bad action in syscalls rule");
	r = parse_args(json_object_get(rule, "args"), cmp, &n, &same, e);
	if (r < 0)
		return r;
	if (!names && json_is_string(json_object_get(rule, "name"))) {
		names = json_array();
		json_array_append(names, json_object_get(rule, "name"));
		json_object_set_new(rule, "names", names);
	}
	json_array_foreach(names, i, nm)
	{
		const char *s = json_string_value(nm);

		if (!s)
			return berr_msg(e, EINVAL, "syscall name is not a string");
		/* libseccomp ANDs comparisons but refuses two on one argument;
		 * like runc, such rules become one rule per comparison (OR). */
		if (same) {
			for (unsigned k = 0; r == 0 && k < n; k++)
				r = sc_add_rule(ctx, s, act, 1, &cmp[k], e);
		} else {
			r = sc_add_rule(ctx, s, act, n, cmp, e);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_arch(const char *s, uint32_t *arch)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "SCMP_ARCH_X86_64") == 0)
		*arch = SCMP_ARCH_X86_64;
	else if (strcmp(s, "SCMP_ARCH_X86") == 0)
		*arch = SCMP_ARCH_X86;
	else if (strcmp(s, "SCMP_ARCH_X32") == 0)
		*arch = SCMP_ARCH_X32;
	else if (strcmp(s, "SCMP_ARCH_AARCH64") == 0)
		*arch = SCMP_ARCH_AARCH64;
	else if (strcmp(s, "SCMP_ARCH_ARM") == 0)
		*arch = SCMP_ARCH_ARM;
	else
		return -EINVAL;
	return 0;
}

/* "architectures", or else the sub-architectures of ours in "archMap". */
static json_t *profile_arches(json_t *root)
{
	json_t *arches = json_object_get(root, "architectures"), *m;
	size_t i;

	if (json_array_size(arches) > 0)
		return arches;
	json_array_foreach(json_object_get(root, "archMap"), i, m)
	{
		const char *a = json_string_value(json_object_get(m, "architecture"));
		uint32_t arch;

		if (parse_arch(a, &arch) == 0 && arch == seccomp_arch_native())
			return json_object_get(m, "subArchitectures");
	}
	return NULL;
}

int sc_build_json(const char *path, uint64_t caps, scmp_filter_ctx *ctxp, struct berr *e)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr), *v;
	uint32_t def, arch;
	size_t i;
	int r = 0;

	if (!root)
		return berr_msg(e, EINVAL, "seccomp profile %s: line %d: %s", path, jerr.line,
				jerr.text);
	if (parse_action(json_string_value(json_object_get(root, "defaultAction")),
			 json_object_get(root, "defaultErrnoRet"), &def) < 0) {
		json_decref(root);
		return berr_msg(e, EINVAL, "seccomp profile %s: bad or missing defaultAction",
				path);
	}
	*ctxp = seccomp_init(def);
	if (!*ctxp) {
		json_decref(root);
		return berr_msg(e, ENOMEM, "seccomp_init");
	}
	json_array_foreach(profile_arches(root), i, v)
	{
		if (parse_arch(json_string_value(v), &arch) < 0)
			continue; /* foreign architectures do not matter here */
		r = seccomp_arch_add(*ctxp, arch);
		if (r == -EEXIST)
			r = 0;
		if (r < 0) {
			r = berr_set(e, -r, "seccomp add architecture %s", json_string_value(v));
			break;
		}
	}
	json_array_foreach(json_object_get(root, "syscalls"), i, v)
	{
		if (r < 0)
			break;
		r = add_json_rule(*ctxp, v, caps, e);
		if (r < 0)
			berr_wrap(e, "syscalls[%zu]", i);
	}
	json_decref(root);
	if (r < 0)
		berr_wrap(e, "seccomp profile %s", path);
	return r;
}
