#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime/lib/clock.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

bool vol_name_valid(const char *name)
{
	static const char more[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t n = strlen(name);

	if (n < 2 || n >= VOL_NAME_MAX || name[0] == '_' || name[0] == '.' ||
	    name[0] == '-')
		return false;
	return strspn(name, more) == n;
}

static int parse_mode(const char *mode, struct vol_spec *v, struct berr *e)
{
	char buf[64], *save = NULL;

	if (strlen(mode) >= sizeof(buf) || !*mode)
		return berr_msg(e, EINVAL, "invalid mode: %s", mode);
	snprintf(buf, sizeof(buf), "%s", mode);
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "ro") == 0)
			v->read_only = true;
		else if (strcmp(w, "rw") == 0)
			v->read_only = false;
		else if (strcmp(w, "nocopy") == 0)
			v->nocopy = true;
		else
			return berr_msg(e, EINVAL, "invalid mode: %s", mode);
	}
	return 0;
}

static bool is_mode(const char *s)
{
	struct vol_spec v;
	struct berr e;

	return parse_mode(s, &v, &e) == 0;
}

int vol_spec_parse(const char *spec, struct vol_spec *v, struct berr *e)
{
	char buf[2 * VOL_PATH_MAX], *part[3];
	int n = 0;
	const char *src = "", *dst, *mode = NULL;

	memset(v, 0, sizeof(*v));
	if (!*spec || strlen(spec) >= sizeof(buf))
		return berr_msg(e, EINVAL, "invalid volume specification: '%s'", spec);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *p = buf; p; n++) {
		if (n == 3)
			return berr_msg(e, EINVAL, "invalid volume specification: '%s'", spec);
		part[n] = p;
		p = strchr(p, ':');
		if (p)
			*p++ = '\0';
	}
	if (n == 1) {
		dst = part[0];
	} else if (n == 2 && part[0][0] == '/' && part[1][0] != '/' && is_mode(part[1])) {
		dst = part[0]; /* /CTR:MODE, anonymous */
		mode = part[1];
	} else {
		src = part[0];
		dst = part[1];
		mode = n == 3 ? part[2] : NULL;
	}
	if (n > 1 && !*src && dst != part[0])
		return berr_msg(e, EINVAL, "invalid volume specification: '%s'", spec);
	if (dst[0] != '/')
		return berr_msg(e, EINVAL,
				"invalid volume specification: '%s': invalid mount config for type "
				"\"volume\": invalid mount path: '%s' mount path must be absolute",
				spec, dst);
	if (strspn(dst, "/") == strlen(dst))
		return berr_msg(e, EINVAL,
				"invalid volume specification: '%s': invalid mount config for type "
				"\"volume\": invalid specification: destination can't be '/'",
				spec);
	if (mode && parse_mode(mode, v, e) < 0)
		return -e->code;
	if (!*src)
		v->kind = VOL_ANON;
	else if (src[0] == '/')
		v->kind = VOL_BIND;
	else if (vol_name_valid(src))
		v->kind = VOL_NAMED;
	else
		return berr_msg(e, EINVAL,
				"create %s: \"%s\" includes invalid characters for a local volume "
				"name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
				"intended to pass a host directory, use absolute path",
				src, src);
	if (v->kind == VOL_BIND && v->nocopy)
		return berr_msg(e, EINVAL, "invalid mode: %s (nocopy is for volumes)", mode);
	snprintf(v->source, sizeof(v->source), "%s", src);
	snprintf(v->target, sizeof(v->target), "%s", dst);
	/* "/data/" and "/data" are one mount point */
	for (size_t l = strlen(v->target); l > 1 && v->target[l - 1] == '/'; l--)
		v->target[l - 1] = '\0';
	return 0;
}

void vol_base(const char *root, char *buf, size_t size)
{
	char disk[VOL_PATH_MAX];
	struct stat st;

	snprintf(disk, sizeof(disk), "%s/data/berth", root);
	if (stat(disk, &st) == 0 && S_ISDIR(st.st_mode))
		snprintf(buf, size, "%s/volumes", disk);
	else
		snprintf(buf, size, "%s/var/lib/berth/volumes", root);
}

static void vol_dir(const char *root, const char *name, char *buf, size_t size)
{
	char base[VOL_PATH_MAX];

	vol_base(root, base, sizeof(base));
	snprintf(buf, size, "%s/%s", base, name);
}

void vol_data_path(const char *root, const char *name, char *buf, size_t size)
{
	char dir[VOL_PATH_MAX];

	vol_dir(root, name, dir, sizeof(dir));
	snprintf(buf, size, "%s/_data", dir);
}

bool vol_exists(const char *root, const char *name)
{
	char p[VOL_PATH_MAX];
	struct stat st;

	if (!vol_name_valid(name))
		return false;
	vol_data_path(root, name, p, sizeof(p));
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int random_name(char out[VOL_NAME_MAX], struct berr *e)
{
	unsigned char b[32];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return berr_set(e, errno ? errno : EIO, "getrandom");
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

int vol_create(const char *root, const char *name, bool anonymous, char out[VOL_NAME_MAX],
	       bool *created, struct berr *e)
{
	char base[VOL_PATH_MAX], dir[VOL_PATH_MAX + VOL_NAME_MAX], data[sizeof(dir) + 8],
		meta[sizeof(dir) + 16], when[40];
	json_t *j;
	char *text;
	int r;

	*created = false;
	if (name && *name) {
		if (!vol_name_valid(name))
			return berr_msg(e, EINVAL,
					"create %s: \"%s\" includes invalid characters for a local "
					"volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
					name, name);
		snprintf(out, VOL_NAME_MAX, "%s", name);
	} else if (random_name(out, e) < 0) {
		return -e->code;
	}
	vol_base(root, base, sizeof(base));
	if (mkdir_p(base, 0701) < 0)
		return berr_set(e, errno, "create %s", base);
	snprintf(dir, sizeof(dir), "%s/%s", base, out);
	snprintf(data, sizeof(data), "%s/_data", dir);
	snprintf(meta, sizeof(meta), "%s/volume.json", dir);
	if (mkdir(dir, 0701) < 0) {
		if (errno != EEXIST)
			return berr_set(e, errno, "create volume %s", dir);
		if (mkdir(data, 0755) < 0 && errno != EEXIST)
			return berr_set(e, errno, "create volume %s", data);
		return 0;
	}
	if (mkdir(data, 0755) < 0) {
		r = berr_set(e, errno, "create volume %s", data);
		rmdir(dir);
		return r;
	}
	iso_time(time(NULL), when, sizeof(when));
	j = json_pack("{s:s, s:b}", "CreatedAt", when, "Anonymous", anonymous);
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!text) {
		rmdir(data);
		rmdir(dir);
		return berr_msg(e, ENOMEM, "create volume %s: out of memory", out);
	}
	r = write_file_atomic(meta, text, strlen(text), 0600);
	free(text);
	if (r < 0) {
		berr_set(e, -r, "write %s", meta);
		rmdir(data);
		rmdir(dir);
		return -e->code;
	}
	*created = true;
	return 0;
}

int vol_inspect(const char *root, const char *name, struct vol_info *out, struct berr *e)
{
	char dir[VOL_PATH_MAX], meta[VOL_PATH_MAX + 16], text[1024];
	json_t *j;
	const char *when;

	memset(out, 0, sizeof(*out));
	if (!vol_exists(root, name))
		return berr_msg(e, ENOENT, "get %s: no such volume", name);
	vol_dir(root, name, dir, sizeof(dir));
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->mountpoint, sizeof(out->mountpoint), "%s/_data", dir);
	snprintf(meta, sizeof(meta), "%s/volume.json", dir);
	if (read_file(meta, text, sizeof(text)) < 0)
		return 0; /* a volume dir without its metadata: still a volume */
	j = json_loads(text, 0, NULL);
	when = json_string_value(json_object_get(j, "CreatedAt"));
	if (when)
		snprintf(out->created_at, sizeof(out->created_at), "%s", when);
	out->anonymous = json_is_true(json_object_get(j, "Anonymous"));
	json_decref(j);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int vol_list(const char *root, char ***names, int *n, struct berr *e)
{
	char base[VOL_PATH_MAX];
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	int cap = 0;

	*names = NULL;
	*n = 0;
	vol_base(root, base, sizeof(base));
	d = opendir(base);
	if (!d)
		return errno == ENOENT ? 0 : berr_set(e, errno, "open %s", base);
	while ((de = readdir(d))) {
		if (!vol_exists(root, de->d_name))
			continue;
		if (*n + 1 >= cap) {
			char **nv = realloc(v, (cap = cap * 2 + 16) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[*n] = strdup(de->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (v)
		qsort(v, *n, sizeof(*v), by_name);
	*names = v;
	return 0;
}

void vol_names_free(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int vol_remove(const char *root, const char *name, struct berr *e)
{
	char dir[VOL_PATH_MAX];
	char *argv[] = { "/bin/rm", "-rf", dir, NULL };

	if (!vol_exists(root, name))
		return berr_msg(e, ENOENT, "get %s: no such volume", name);
	vol_dir(root, name, dir, sizeof(dir));
	/* Volume trees are ours; /bin/rm keeps the recursion out of PID 1. */
	if (run_wait(argv, NULL, -1) != 0)
		return berr_msg(e, EIO, "remove %s: /bin/rm -rf %s failed", name, dir);
	return 0;
}

static bool dir_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return false;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

int vol_copy_up(const char *rootfs, const char *target, const char *dst, struct berr *e)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY, .resolve = RESOLVE_IN_ROOT };
	char src[64];
	char *argv[] = { "/bin/cp", "-a", src, (char *)dst, NULL };
	struct stat st;
	int rfd, fd, rc;

	if (!dir_empty(dst))
		return 0;
	rfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return berr_set(e, errno, "open %s", rootfs);
	/* Resolved as inside the container: an image's symlink cannot point
	 * the copy at the host. */
	fd = syscall(SYS_openat2, rfd, target, &how, sizeof(how));
	close(rfd);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : berr_set(e, errno, "open %s", target);
	if (fstat(fd, &st) < 0) {
		rc = berr_set(e, errno, "stat %s", target);
		close(fd);
		return rc;
	}
	/* cp inherits fd (no O_CLOEXEC) and reads the tree through it. */
	snprintf(src, sizeof(src), "/proc/self/fd/%d/.", fd);
	rc = run_wait(argv, NULL, -1);
	close(fd);
	if (rc != 0)
		return berr_msg(e, EIO, "copy the image's %s into its volume: cp exited %d", target,
				rc);
	if (chown(dst, st.st_uid, st.st_gid) < 0 || chmod(dst, st.st_mode & 07777) < 0)
		return berr_set(e, errno, "chown/chmod %s", dst);
	return 0;
}
