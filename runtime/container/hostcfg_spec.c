/* hostcfg_spec.c - a container's extra HostConfig into the sandbox's
 * spec at its start: rlimits, sysctls, tmpfs mounts, devices (binds of
 * the host's nodes) with their device-program rules, and the init of
 * --init. */
#include "hostcfg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/mountopt.h"
#include "runtime/lib/util.h"
#include "runtime/sandbox/cgroup.h"

/* PATH[:OPTIONS] (checked by hx_tmpfs_check) as Docker mounts it:
 * noexec,nosuid,nodev unless the options say otherwise. */
static int tmpfs_mount(const char *s, struct sb_fsmount *m, char *data, size_t size,
		       struct berr *e)
{
	const char *colon = strchr(s, ':'), *o;
	size_t n = 0;

	*m = (struct sb_fsmount){ .type = "tmpfs", .source = "tmpfs",
				  .flags = MS_NOEXEC | MS_NOSUID | MS_NODEV };
	data[0] = '\0';
	for (o = colon ? colon + 1 : NULL; o && *o;) {
		size_t len = strcspn(o, ",");
		char opt[128];
		unsigned long prop = 0;

		snprintf(opt, sizeof(opt), "%.*s", (int)len, o);
		if (!mountopt_apply(opt, &m->flags, &prop) && n < size)
			n += snprintf(data + n, size - n, "%s%s", n ? "," : "", opt);
		o += len + (o[len] == ',');
	}
	if (n >= size)
		return berr_msg(e, E2BIG, "--tmpfs %s: options too long", s);
	m->data = n ? data : NULL;
	return 0;
}

/* ROOT/run/berth/docker-init: a copy of this very binary (the sealed one
 * PID 1 and the daemon run from), made once by each supervisor process
 * (a copy left by an earlier one may be another build: under a daemon's
 * --root it outlives upgrades, and builds differ in content, not always
 * in size); containers get it read-only, so the binary on disk stays out
 * of their reach. */
static int init_binary(const char *root, char *path, size_t size, struct berr *e)
{
	static bool made;
	char tmp[640];
	struct stat self, have;
	_cleanup_fd_ int in = -1, out = -1;

	snprintf(path, size, "%s/run/berth/docker-init", root);
	if (made && stat(path, &have) == 0 && (have.st_mode & 0111))
		return 0;
	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &self) < 0)
		return berr_set(e, errno, "--init: open /proc/self/exe");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0555);
	if (out < 0)
		return berr_set(e, errno, "--init: create %s", tmp);
	for (off_t off = 0; off < self.st_size;) {
		ssize_t k = sendfile(out, in, &off, self.st_size - off);
		if (k <= 0) {
			int err = k < 0 ? errno : EIO;
			unlink(tmp);
			return berr_set(e, err, "--init: copy to %s", tmp);
		}
	}
	if (fsync(out) < 0 || rename(tmp, path) < 0) {
		int err = errno;
		unlink(tmp);
		return berr_set(e, err, "--init: write %s", path);
	}
	berr_ignore(fsync_parent(path)); /* made again at the next start if lost */
	made = true;
	return 0;
}

/* The init, "--", then the command. */
static int init_argv(struct hx_spec *b, struct sb_spec *s, struct berr *e)
{
	int n = 0;

	while (s->argv[n])
		n++;
	b->argv = calloc(n + 3, sizeof(char *));
	if (!b->argv)
		return berr_msg(e, ENOMEM, "--init: out of memory");
	b->argv[0] = HX_INIT_PATH;
	b->argv[1] = "--";
	memcpy(b->argv + 2, s->argv, n * sizeof(char *));
	s->argv = b->argv;
	return 0;
}

static struct sb_devrule node_rule(const struct stat *st, const char *perms)
{
	return (struct sb_devrule){ S_ISCHR(st->st_mode) ? 'c' : 'b', major(st->st_rdev),
				    minor(st->st_rdev), hx_device_access(perms) };
}

/* The device nodes under directory fd (closed), depth levels deep at
 * most, into rules (lstat: a link is not followed, as Docker's walk). */
static int dir_nodes(int fd, int depth, const struct hx_device *d, struct hx_spec *b,
		     int *nrules, struct berr *e)
{
	DIR *dir = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!dir) {
		close(fd);
		return 0;
	}
	while (r == 0 && (de = readdir(dir))) {
		struct stat st;

		if (de->d_name[0] == '.' && (!de->d_name[1] || strcmp(de->d_name, "..") == 0))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth > 0)
			r = dir_nodes(openat(dirfd(dir), de->d_name, O_RDONLY | O_DIRECTORY |
					     O_NOFOLLOW | O_CLOEXEC), depth - 1, d, b, nrules, e);
		else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && *nrules == HX_DEV_RULES)
			r = berr_msg(e, E2BIG, "custom device \"%s\": more than %d device nodes",
				     d->host, HX_DEV_RULES);
		else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			b->rules[(*nrules)++] = node_rule(&st, d->perms);
	}
	closedir(dir);
	return r;
}

/* A directory, as Docker takes one: a rule for each device node under
 * it, in subdirectories too (/dev/snd, /dev/dri/by-path), bound
 * read-only so the container cannot add or remove the host's nodes
 * (their devices stay writable: a read-only mount does not change that). */
static int device_dir(const struct hx_device *d, struct hx_spec *b, int *nrules, struct berr *e)
{
	int fd = open(d->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC), before = *nrules, r;

	if (fd < 0)
		return berr_set(e, errno, "error gathering device information while adding "
				"custom device \"%s\"", d->host);
	r = dir_nodes(fd, 8, d, b, nrules, e);
	if (r == 0 && *nrules == before)
		return berr_msg(e, ENODEV, "error gathering device information while adding "
				"custom device \"%s\": not a device node", d->host);
	return r;
}

/* --device-cgroup-rule: each into the device program, which needs
 * cgroup2 (on a v1 host containers have no cgroup, so no rule could
 * hold: refused rather than ignored). */
static int cgroup_rules(const struct ctr_hostx *x, struct hx_spec *b, int *nrules, struct berr *e)
{
	for (char **r = x->cgroup_rules; r && *r; r++) {
		if (!cg_usable())
			return berr_msg(e, EOPNOTSUPP, "--device-cgroup-rule needs cgroup v2 (the "
					"device program); /sys/fs/cgroup here is not a usable cgroup2");
		if (*nrules == HX_DEV_RULES)
			return berr_msg(e, E2BIG, "more than %d device rules", HX_DEV_RULES);
		if (hx_cgroup_rule_parse(*r, &b->rules[*nrules], e) < 0)
			return -e->code;
		(*nrules)++;
	}
	return 0;
}

/* The host's node (or directory of nodes) bound at the container's path
 * (a node made with mknod would need the rule's m, which PERMS may not
 * give), and rules allowing it. */
static int device(const struct hx_device *d, struct sb_fsmount *m, struct hx_spec *b, int *nrules,
		  struct berr *e)
{
	struct stat st;

	if (stat(d->host, &st) < 0)
		return berr_set(e, errno, "error gathering device information while adding "
				"custom device \"%s\"", d->host);
	*m = (struct sb_fsmount){ .source = d->host, .target = d->ctr,
				  .flags = MS_BIND | MS_NOSUID | MS_NOEXEC };
	if (S_ISDIR(st.st_mode)) {
		m->flags |= MS_RDONLY;
		return device_dir(d, b, nrules, e);
	}
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return berr_msg(e, EINVAL, "device \"%s\" is not a character or block device",
				d->host);
	if (*nrules < HX_DEV_RULES)
		b->rules[(*nrules)++] = node_rule(&st, d->perms);
	return 0;
}

int hx_rlimits(const struct ctr_hostx *x, struct sb_rlimit out[HX_MAX])
{
	int n = x->nulimits < HX_MAX ? x->nulimits : HX_MAX;
	struct rlimit own;
	bool nofile = false;

	for (int i = 0; i < n; i++) {
		const struct hx_ulimit *u = &x->ulimits[i];

		out[i] = (struct sb_rlimit){ hx_ulimit_index(u->name),
					     u->soft < 0 ? RLIM_INFINITY : (uint64_t)u->soft,
					     u->hard < 0 ? RLIM_INFINITY : (uint64_t)u->hard };
		nofile |= out[i].resource == RLIMIT_NOFILE;
	}
	/* Not the supervisor's (fs.nr_open, for its thousands of
	 * descriptors): Docker's default for containers, within the hard
	 * limit the supervisor has (it may lack CAP_SYS_RESOURCE). */
	if (!nofile && n < HX_MAX && getrlimit(RLIMIT_NOFILE, &own) == 0) {
		uint64_t hard = own.rlim_max < HX_NOFILE_HARD ? own.rlim_max : HX_NOFILE_HARD;

		out[n++] = (struct sb_rlimit){ RLIMIT_NOFILE,
					       hard < HX_NOFILE_SOFT ? hard : HX_NOFILE_SOFT, hard };
	}
	return n;
}

int hx_spec_fill(const char *root, const struct ctr_hostx *x, struct hx_spec *b,
		 struct sb_spec *s, struct berr *e)
{
	int nfs = 0, nrules = 0, r = 0;

	memset(b, 0, sizeof(*b));
	s->rlimits = b->rlimits;
	s->nrlimits = hx_rlimits(x, b->rlimits);
	s->sysctls = x->sysctls;
	s->set_oom_score_adj = x->oom_score_adj != 0;
	s->oom_score_adj = x->oom_score_adj;
	for (char **t = x->tmpfs; r == 0 && t && *t && nfs < HX_MAX; t++, nfs++) {
		r = tmpfs_mount(*t, &b->fsmounts[nfs], b->data[nfs], sizeof(b->data[nfs]), e);
		b->fsmounts[nfs].target = strndup(*t, strcspn(*t, ":"));
		if (r == 0 && !b->fsmounts[nfs].target)
			r = berr_msg(e, ENOMEM, "--tmpfs: out of memory");
	}
	if (r == 0 && x->init)
		r = init_binary(root, b->init_path, sizeof(b->init_path), e);
	if (r == 0 && x->init) {
		b->fsmounts[nfs++] = (struct sb_fsmount){
			.source = b->init_path, .target = HX_INIT_PATH,
			.flags = MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV };
		r = init_argv(b, s, e);
	}
	for (int i = 0; r == 0 && i < x->ndevices && i < HX_MAX; i++)
		r = device(&x->devices[i], &b->fsmounts[nfs++], b, &nrules, e);
	if (r == 0)
		r = cgroup_rules(x, b, &nrules, e);
	s->fsmounts = nfs ? b->fsmounts : NULL;
	s->nfsmounts = nfs;
	s->fsmounts_extra = true;
	s->dev_rules = b->rules;
	s->ndev_rules = nrules;
	return r;
}

void hx_spec_free(struct hx_spec *b)
{
	for (size_t i = 0; i < sizeof(b->fsmounts) / sizeof(b->fsmounts[0]); i++) {
		if (b->fsmounts[i].target && strcmp(b->fsmounts[i].type ? b->fsmounts[i].type : "",
						    "tmpfs") == 0)
			free((char *)b->fsmounts[i].target);
	}
	free(b->argv);
	b->argv = NULL;
}
