#include "sysctl.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

int sysctl_parse_line(char *line, struct sysctl_entry *ent, struct berr *e)
{
	char *s = strstrip(line);
	char *eq, *key, *val;

	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	eq = strchr(s, '=');
	if (!eq)
		return berr_msg(e, EINVAL, "expected 'key = value'");
	*eq = '\0';
	key = strstrip(s);
	val = strstrip(eq + 1);
	ent->ignore_failure = false;
	if (*key == '-') {
		ent->ignore_failure = true;
		key = strstrip(key + 1);
	}
	if (*key == '\0')
		return berr_msg(e, EINVAL, "empty key");
	for (const char *p = key; *p; p++) {
		if (*p == ' ' || *p == '\t')
			return berr_msg(e, EINVAL, "blank inside key '%s'", key);
	}
	if (strstr(key, "..") || *key == '.' || *key == '/')
		return berr_msg(e, EINVAL, "bad key '%s'", key);
	ent->key = key;
	ent->value = val;
	return 1;
}

int sysctl_key_path(const char *root, const char *key, char *buf, size_t size)
{
	size_t n = strlen(root);
	bool slashes = strchr(key, '/') != NULL;

	if (n + 1 + strlen(key) + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, root, n);
	buf[n++] = '/';
	/* sysctl(8): with slashes in the key, dots are literal (interface names). */
	for (const char *p = key; *p; p++)
		buf[n++] = (!slashes && *p == '.') ? '/' : *p;
	buf[n] = '\0';
	return 0;
}

static void report(const struct sysctl_hooks *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(const struct sysctl_hooks *h, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (h && h->report)
		h->report(h->ctx, msg);
}

static int apply_entry(const char *proc_sys, const struct sysctl_entry *ent,
		       const struct sysctl_hooks *h, bool *tried_bridge)
{
	char path[1024];
	char value[1024];
	int r;

	r = sysctl_key_path(proc_sys, ent->key, path, sizeof(path));
	if (r < 0)
		return r;
	/* The kernel wants a trailing newline for some keys; it accepts it for all. */
	snprintf(value, sizeof(value), "%s\n", ent->value);
	r = write_file(path, value);
	if (r == -ENOENT && strncmp(ent->key, "net.bridge.", 11) == 0 && !*tried_bridge && h &&
	    h->load_br_netfilter) {
		*tried_bridge = true;
		if (h->load_br_netfilter(h->ctx) == 0)
			r = write_file(path, value);
	}
	return r;
}

static int conf_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

static void apply_file(const char *file, const char *proc_sys, const struct sysctl_hooks *h,
		       struct sysctl_stats *st, bool *tried_bridge)
{
	FILE *f = fopen(file, "re");
	char line[2048];
	int lineno = 0;

	if (!f) {
		report(h, "sysctl: %s: %s", file, strerror(errno));
		st->failed++;
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct sysctl_entry ent;
		struct berr e;
		int r;

		lineno++;
		r = sysctl_parse_line(line, &ent, &e);
		if (r == 0)
			continue;
		if (r < 0) {
			report(h, "sysctl: %s:%d: %s, line ignored", file, lineno, e.msg);
			st->bad_lines++;
			continue;
		}
		r = apply_entry(proc_sys, &ent, h, tried_bridge);
		if (r == 0) {
			st->applied++;
		} else if (!ent.ignore_failure) {
			report(h, "sysctl: %s:%d: %s = %s: %s", file, lineno, ent.key, ent.value,
			       strerror(-r));
			st->failed++;
		}
	}
	fclose(f);
}

void sysctl_apply_dir(const char *dir, const char *proc_sys, const struct sysctl_hooks *hooks,
		      struct sysctl_stats *st)
{
	struct dirent **list = NULL;
	bool tried_bridge = false;
	int n;

	memset(st, 0, sizeof(*st));
	n = scandir(dir, &list, conf_filter, alphasort);
	if (n < 0) {
		if (errno != ENOENT)
			report(hooks, "sysctl: %s: %s", dir, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		char file[1024];

		if (snprintf(file, sizeof(file), "%s/%s", dir, list[i]->d_name) <
		    (int)sizeof(file))
			apply_file(file, proc_sys, hooks, st, &tried_bridge);
		free(list[i]);
	}
	free(list);
}
