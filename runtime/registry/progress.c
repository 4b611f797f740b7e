/* progress.c - pull output as Docker's; see progress.h. */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/image/layer_rules.h"

void reg_progress_start(struct reg_progress *p, FILE *out, bool quiet, int n,
			const char *const *digests)
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->quiet = quiet;
	p->tty = !quiet && isatty(fileno(out));
	p->n = n;
	p->ids = calloc(n ? n : 1, sizeof(*p->ids));
	for (int i = 0; p->ids && i < n; i++)
		snprintf(p->ids[i], sizeof(p->ids[i]), "%.12s",
			 digests[i] + (strncmp(digests[i], "sha256:", 7) ? 0 : 7));
}

/* Line i, replacing what was drawn there (tty) or appended. */
static void put_line(struct reg_progress *p, int i, const char *text)
{
	if (p->quiet || !p->ids || i < 0 || i >= p->n)
		return;
	if (!p->tty) {
		fprintf(p->out, "%s: %s\n", p->ids[i], text);
		fflush(p->out);
		return;
	}
	while (p->nlines <= i) { /* lines are drawn in order the first time */
		fprintf(p->out, "%s: \n", p->ids[p->nlines]);
		p->nlines++;
	}
	fprintf(p->out, "\033[%dA\r\033[2K%s: %s\033[%dB\r", p->nlines - i, p->ids[i], text,
		p->nlines - i);
	fflush(p->out);
}

void reg_progress_status(struct reg_progress *p, int i, const char *status)
{
	put_line(p, i, status);
}

void reg_progress_bar(uint64_t got, uint64_t total, char *out, size_t size)
{
	char bar[52], a[16], b[16];
	int n = total ? (int)(got * 50 / total) : 0;

	if (n > 50)
		n = 50;
	memset(bar, '=', n);
	bar[n] = n < 50 ? '>' : '=';
	memset(bar + n + 1, ' ', n < 50 ? 49 - n : 0);
	bar[50] = '\0';
	lr_human_size(got, a, sizeof(a));
	lr_human_size(total, b, sizeof(b));
	snprintf(out, size, "[%s] %8s/%s", bar, a, b);
}

void reg_progress_bytes(struct reg_progress *p, int i, uint64_t got, uint64_t total)
{
	char bar[96], line[128];

	if (!p->tty)
		return;
	reg_progress_bar(got, total, bar, sizeof(bar));
	snprintf(line, sizeof(line), "Downloading %s", bar);
	put_line(p, i, line);
}

void reg_progress_end(struct reg_progress *p)
{
	free(p->ids);
	p->ids = NULL;
}
