/* The CLI verbs' flag parser: any words, in both modes (flags end at the
 * first operand, or flags and operands in any order). The vector stays
 * a permutation of the caller's words, the operands handed back are among
 * them in their order, and nothing is written past the vector. The first byte picks the mode; the rest is
 * the words, one a line. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/cli/flags.h"
#include "runtime/lib/merge.h"

#define WORDS_MAX 32

struct opts {
	bool a, b;
	const char *s;
	int n;
	int64_t d;
	struct strv list;
};

#define O(f) struct opts, f
static const struct flg flags[] = {
	FLG_BOOL('a', "all", O(a), "A boolean"),
	FLG_BOOL('b', "bee", O(b), "Another"),
	FLG_DURATION(0, "interval", O(d), "A duration"),
	FLG_INT('n', "num", O(n), "An `N`"),
	FLG_STRINGS('p', "publish", O(list), "Repeated"),
	FLG_STRING('s', "str", O(s), "A string"),
	FLG_DOC(FLG_T_STRING, 'x', "doc", "Described only"),
	FLG_STRING(0, "hidden", O(s), NULL),
	FLG_END,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flg_cmd c = { .path = "verb", .usage = "[OPTIONS] ARG", .desc = "A verb",
			     .flags = flags };
	char buf[4096], *words[WORDS_MAX + 2], *orig[WORDS_MAX + 2];
	struct opts o = { 0 };
	static FILE *devnull;
	struct flg_out out;
	struct berr e;
	int argc = 1, r;
	size_t n;

	if (size < 1)
		return 0;
	c.stop_at_operand = data[0] & 1;
	c.min_args = data[0] >> 1 & 3;
	c.max_args = (data[0] >> 3 & 3) == 3 ? -1 : data[0] >> 3 & 3;
	n = size - 1 < sizeof(buf) - 1 ? size - 1 : sizeof(buf) - 1;
	memcpy(buf, data + 1, n);
	buf[n] = '\0';
	words[0] = "verb";
	for (char *w = buf, *nl; w && argc < WORDS_MAX; w = nl ? nl + 1 : NULL) {
		nl = strchr(w, '\n');
		if (nl)
			*nl = '\0';
		words[argc++] = w;
	}
	words[argc] = NULL;
	memcpy(orig, words, sizeof(words));
	r = flg_parse(&c, &o, argc, words, &out, &e);
	/* a permutation of the words, nothing written past them */
	for (int i = 0; i < argc; i++) {
		int k = 0;

		while (k < argc && words[k] != orig[i])
			k++;
		if (k == argc)
			abort();
	}
	if (words[argc] != NULL)
		abort();
	if (r == 0) {
		if (out.argc < 0 || out.argv < words + 1 || out.argv + out.argc > words + argc)
			abort();
		if (c.stop_at_operand && out.argv[out.argc] != NULL)
			abort();
		/* each operand is one of the words, in their order */
		for (int i = 0, k = 1; i < out.argc; i++, k++) {
			while (k < argc && orig[k] != out.argv[i])
				k++;
			if (k >= argc)
				abort();
		}
		if (out.argc < c.min_args || (c.max_args >= 0 && out.argc > c.max_args))
			abort();
	} else if (r != FLG_HELP && (r != -EINVAL && r != -E2BIG && r != -ENOMEM)) {
		abort();
	} else if (r < 0 && !e.msg[0]) {
		abort();
	}
	/* opened once: a FILE and its buffer per input were half the time */
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (devnull)
		flg_help(&c, devnull);
	strv_free(&o.list);
	return 0;
}
