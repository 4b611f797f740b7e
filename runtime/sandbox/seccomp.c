/* seccomp.c - a profile compiled to classic BPF and loaded: the rule helper
 * both profiles use, the export through a memfd, a JSON profile compiled
 * in a forked child, the default profile's cache and its prewarm thread.
 * The default profile's rules are in seccomp_default.c, the JSON reader in
 * seccomp_json.c. */
#include "seccomp_priv.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

/* Add one rule; a name unknown to libseccomp is skipped, like Docker. */
int sc_add_rule(scmp_filter_ctx ctx, const char *name, uint32_t action, unsigned n,
		const struct scmp_arg_cmp *args, struct berr *e)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	if (nr == __NR_SCMP_ERROR)
		return 0;
	r = seccomp_rule_add_array(ctx, action, nr, n, args);
	if (r == -EACCES || r == -EEXIST)
		return 0; /* the default action already, or a duplicate */
	if (r < 0)
		return berr_set(e, -r, "seccomp rule for %s", name);
	return 0;
}

/* ------------------------------------------------------------- export */

/* Read a program exported into fd back into f->insns. */
static int read_bpf(int fd, struct sc_filter *f, struct berr *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return berr_set(e, errno, "fstat seccomp memfd");
	if (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berr_msg(e, E2BIG, "seccomp program has a bad size (%lld bytes)",
				(long long)st.st_size);
	f->insns = malloc(st.st_size);
	if (!f->insns)
		return berr_set(e, ENOMEM, "seccomp program");
	if (pread(fd, f->insns, st.st_size, 0) != st.st_size) {
		free(f->insns);
		f->insns = NULL;
		return berr_set(e, EIO, "read seccomp program");
	}
	f->len = st.st_size / sizeof(struct sock_filter);
	return 0;
}

/* libseccomp 2.5 exports only to an fd: go through a memfd. The kernel
 * ANDs no_new_privs separately; libseccomp must not set it. */
static int export_bpf(scmp_filter_ctx ctx, int fd, struct berr *e)
{
	int r;

	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return berr_set(e, -r, "seccomp_export_bpf");
	return 0;
}

/* A profile file is outside input: parse and compile it in a forked
 * child, so PID 1 (which calls sb_start) never runs the parser itself
 * (docs/architecture.md, "Rules for PID 1"). The program comes back in a
 * memfd, errors on a pipe. */
static int compile_json_isolated(const char *path, uint64_t caps, struct sc_filter *f,
				 struct berr *e)
{
	_cleanup_fd_ int mfd = memfd_create("seccomp", MFD_CLOEXEC);
	int errp[2];
	ssize_t n;
	pid_t pid;
	int status;

	if (mfd < 0)
		return berr_set(e, errno, "memfd_create");
	if (pipe2(errp, O_CLOEXEC) < 0)
		return berr_set(e, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(errp[0]);
		close(errp[1]);
		return berr_set(e, errno, "fork");
	}
	if (pid == 0) {
		scmp_filter_ctx ctx = NULL;
		int r;

		close(errp[0]);
		r = sc_build_json(path, caps, &ctx, e);
		if (r == 0)
			r = export_bpf(ctx, mfd, e);
		/* A report that does not arrive leaves the exit status,
		 * which the parent reports instead. */
		if (r < 0)
			berr_ignore(write_all(errp[1], e, sizeof(*e)));
		_exit(r < 0);
	}
	close(errp[1]);
	do
		n = read(errp[0], e, sizeof(*e));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	status = wait_pid(pid);
	if (n == (ssize_t)sizeof(*e)) {
		e->msg[sizeof(e->msg) - 1] = '\0';
		return -(e->code > 0 ? e->code : EINVAL);
	}
	if (status != 0)
		return berr_msg(e, EIO, "seccomp profile %s: compiler exited with %d", path,
				status);
	return read_bpf(mfd, f, e);
}

static struct sc_filter cache[4];
static uint64_t cache_caps[4];
static unsigned ncache;

/* The default profile for caps, from the cache or compiled into it. */
static int compile_default(uint64_t caps, struct sc_filter *f, struct berr *e)
{
	_cleanup_fd_ int mfd = -1;
	scmp_filter_ctx ctx;
	int r;

	for (unsigned i = 0; i < ncache; i++) {
		if (cache_caps[i] == caps) {
			*f = cache[i];
			return 0;
		}
	}
	mfd = memfd_create("seccomp", MFD_CLOEXEC);
	if (mfd < 0)
		return berr_set(e, errno, "memfd_create");
	ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return berr_msg(e, ENOMEM, "seccomp_init");
	r = sc_build_default(ctx, caps, e);
	if (r == 0)
		r = export_bpf(ctx, mfd, e);
	seccomp_release(ctx);
	if (r == 0)
		r = read_bpf(mfd, f, e);
	if (r < 0)
		return r;
	if (ncache < ARRAY_SIZE(cache)) {
		cache[ncache] = *f;
		cache_caps[ncache++] = caps;
	} else {
		f->owned = 1;
	}
	return 0;
}

static struct {
	pthread_t thread;
	bool running;
	uint64_t caps;
} prewarm;

static void *prewarm_main(void *arg)
{
	struct sc_filter f;
	struct berr e;

	(void)arg;
	compile_default(prewarm.caps, &f, &e); /* a failure shows at the first use */
	return NULL;
}

void sc_prewarm(uint64_t caps)
{
	if (prewarm.running)
		return;
	prewarm.caps = caps;
	prewarm.running = pthread_create(&prewarm.thread, NULL, prewarm_main, NULL) == 0;
}

int sc_compile(const char *profile, uint64_t caps, struct sc_filter *f, struct berr *e)
{
	int r;

	memset(f, 0, sizeof(*f));
	if (prewarm.running) {
		pthread_join(prewarm.thread, NULL);
		prewarm.running = false;
	}
	if (profile) {
		r = compile_json_isolated(profile, caps, f, e);
		f->owned = 1;
		return r;
	}
	return compile_default(caps, f, e);
}

void sc_filter_free(struct sc_filter *f)
{
	if (f->owned)
		free(f->insns);
	memset(f, 0, sizeof(*f));
}

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

static int load(const struct sc_filter *f, unsigned long flags)
{
	struct sock_fprog prog = {.len = f->len, .filter = f->insns};
	int r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);

	return r < 0 ? -errno : r;
}

int sc_load(const struct sc_filter *f)
{
	return load(f, 0);
}

int sc_load_listener(const struct sc_filter *f)
{
	return load(f, SECCOMP_FILTER_FLAG_NEW_LISTENER);
}
