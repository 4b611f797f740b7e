/* image_unsynced.c - a pull's unpacked layers, durable after the pull
 * (image.h, img_load_pulled).
 *
 * A pull makes its compressed blobs durable before the index names the
 * image, as skopeo and containerd's content store do; the layers it
 * unpacked while they streamed are left to the kernel's writeback. Each
 * such layer is listed in BASE/layers-unsynced.json with the boot it was
 * written in and the blob it came from, durably, before the index names
 * the image. A child of the pull syncs the filesystem and takes the
 * entries out again (img_settle_pulled). An entry of an earlier boot
 * means the machine went down before that: the layer may be half on
 * disk, so it is unpacked again from its blob by the next writer of the
 * store, a reader that finds it (taking the lock exclusively for that),
 * or the supervisor before it starts any container (img_repair_unsynced).
 * In the same boot nothing needs doing: what the files hold is in the page
 * cache whatever the disk has.
 */
#include "image_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "layer.h"
#include "runtime/lib/file.h"
#include "runtime/lib/log.h"
#include "runtime/lib/util.h"

#define UNSYNCED "layers-unsynced.json"

bool unsynced_boot(char id[UNSYNCED_BOOT_LEN])
{
	_cleanup_fd_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, id, UNSYNCED_BOOT_LEN - 1) : -1;

	while (n > 0 && (id[n - 1] == '\n' || id[n - 1] == ' '))
		n--;
	if (n < 16)
		return false;
	id[n] = '\0';
	return true;
}

static void unsynced_path(const struct store *st, char *out, size_t size)
{
	snprintf(out, size, "%s/" UNSYNCED, st->base);
}

/* The file's content: {"boot": ID, "layers": {DIFF_ID: BLOB, ...}}, or
 * NULL when there is none (or it is not that: then it is of no boot). */
static json_t *unsynced_read(const struct store *st)
{
	char path[PATH_MAX];
	json_t *j;

	unsynced_path(st, path, sizeof(path));
	j = json_load_file(path, 0, NULL);
	if (j && !json_is_object(json_object_get(j, "layers"))) {
		json_decref(j);
		j = json_pack("{s:s, s:{}}", "boot", "", "layers");
	}
	return j;
}

static bool of_this_boot(json_t *j)
{
	char boot[UNSYNCED_BOOT_LEN];
	const char *b = json_string_value(json_object_get(j, "boot"));

	return unsynced_boot(boot) && b && !strcmp(b, boot);
}

int unsynced_note(struct store *st, const char *diff_id, const char *blob)
{
	if (!st->unsynced && !(st->unsynced = json_object()))
		return -ENOMEM;
	return json_object_set_new(st->unsynced, diff_id, json_string(blob)) < 0 ? -ENOMEM : 0;
}

int unsynced_commit(struct store *st, struct berr *e)
{
	char boot[UNSYNCED_BOOT_LEN], path[PATH_MAX];
	_cleanup_json_ json_t *j = NULL;
	_cleanup_free_ char *text = NULL;
	int r;

	if (!st->unsynced || json_object_size(st->unsynced) == 0)
		return 0;
	if (!unsynced_boot(boot))
		return berr_msg(e, EIO, "read the boot id");
	/* after store_open's repair, what is there is this boot's */
	j = unsynced_read(st);
	if (!j || !of_this_boot(j)) {
		json_decref(j);
		j = json_pack("{s:s, s:{}}", "boot", boot, "layers");
	}
	if (!j || json_object_update(json_object_get(j, "layers"), st->unsynced) < 0 ||
	    !(text = json_dumps(j, JSON_COMPACT)))
		return berr_set(e, ENOMEM, UNSYNCED);
	unsynced_path(st, path, sizeof(path));
	r = write_file_atomic(path, text, strlen(text), 0600);
	return r < 0 ? berr_set(e, -r, "write %s", path) : 0;
}

/* Layer diff_id of an earlier boot: unpacked again from its blob. */
static void repair_layer(struct store *st, const char *diff_id, const char *blob)
{
	char dir[PATH_MAX], aside[PATH_MAX], path[PATH_MAX], got[DG_STR_LEN];
	_cleanup_fd_ int fd = -1;
	struct berr e;
	bool created;

	if (!dg_valid(diff_id) || !dg_valid(blob))
		return;
	snprintf(dir, sizeof(dir), "%s/%s", st->layers, dg_hex(diff_id));
	if (access(dir, F_OK) < 0)
		return; /* removed since (rmi, prune) */
	snprintf(aside, sizeof(aside), "%s/.rm-%d-%s", st->layers, (int)getpid(), dg_hex(diff_id));
	if (rename(dir, aside) < 0) {
		log_err("layer %s: not known to be whole after the last shutdown, and cannot "
			"be moved aside: %s",
			diff_id, strerror(errno));
		return;
	}
	layer_rmtree_garbage(aside);
	blob_path(st, blob, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || layer_unpack(st->layers, fd, diff_id, -1, got, &created, &e) < 0)
		log_err("layer %s: not known to be whole after the last shutdown, and not "
			"unpacked again from blob %s: %s; its images need a new pull",
			diff_id, blob, fd < 0 ? strerror(errno) : e.msg);
	else
		log_warn("layer %s: not known to be whole after the last shutdown: unpacked "
			 "again from blob %s",
			 diff_id, blob);
}

/* With the lock held exclusively: the entries of an earlier boot. */
static void repair(struct store *st)
{
	_cleanup_json_ json_t *j = unsynced_read(st);
	char path[PATH_MAX];
	const char *k;
	json_t *v;

	if (!j || of_this_boot(j))
		return;
	json_object_foreach(json_object_get(j, "layers"), k, v)
		repair_layer(st, k, json_string_value(v) ? json_string_value(v) : "");
	unsynced_path(st, path, sizeof(path));
	if (unlink(path) == 0)
		berr_ignore(fsync_parent(path));
}

void unsynced_check(struct store *st, bool write)
{
	char path[PATH_MAX];
	json_t *j;
	bool mine;

	unsynced_path(st, path, sizeof(path));
	if (st->lock_fd < 0 || access(path, F_OK) < 0)
		return;
	if (write) {
		repair(st);
		return;
	}
	j = unsynced_read(st);
	mine = !j || of_this_boot(j);
	json_decref(j);
	if (mine || flock(st->lock_fd, LOCK_EX) < 0)
		return;
	repair(st); /* looks again: another may have done it meanwhile */
	flock(st->lock_fd, LOCK_SH);
}

/* Sync the store's filesystem, then take out the entries that were there
 * before: they are on disk now. */
static void settle(const char *root)
{
	_cleanup_json_ json_t *before = NULL, *cur = NULL;
	struct store st;
	char path[PATH_MAX];
	struct berr e;
	const char *k;
	json_t *v, *layers;
	int r;

	if (store_paths(&st, root, &e) < 0)
		return;
	unsynced_path(&st, path, sizeof(path));
	before = unsynced_read(&st);
	if (!before || !of_this_boot(before))
		return;
	{
		_cleanup_fd_ int fd = open(st.base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || syncfs(fd) < 0)
			return;
	}
	snprintf(path, sizeof(path), "%s/images.lock", st.base);
	if (access(path, F_OK) < 0 || store_open(&st, root, true, &e) < 0)
		return; /* the store went away meanwhile */
	unsynced_path(&st, path, sizeof(path));
	cur = unsynced_read(&st);
	layers = json_object_get(cur, "layers");
	r = 0;
	if (cur && of_this_boot(cur)) {
		json_object_foreach(json_object_get(before, "layers"), k, v)
			json_object_del(layers, k);
		if (json_object_size(layers) == 0) {
			if (unlink(path) == 0)
				r = fsync_parent(path);
		} else {
			char *text = json_dumps(cur, JSON_COMPACT);
			r = text ? write_file_atomic(path, text, strlen(text), 0600) : -ENOMEM;
			free(text);
		}
	}
	if (r < 0)
		log_warn("%s: %s; settled again at the next pull", path, strerror(-r));
	store_close(&st, false);
}

void img_settle_pulled(const char *root)
{
	pid_t pid = fork();

	if (pid < 0) {
		settle(root);
		return;
	}
	if (pid == 0) {
		/* a grandchild, so the caller never has it to reap, holding
		 * none of its descriptors (a pipe read to its end, a lock) */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (setsid() < 0 || fork() != 0)
			_exit(0);
		for (int fd = 0; null >= 0 && fd < 3; fd++)
			dup2(null, fd);
		syscall(SYS_close_range, 3, ~0U, 0);
		settle(root);
		_exit(0);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The repair itself, in img_repair_unsynced's child. */
static void __attribute__((noreturn, noinline)) repair_child(const char *root)
{
	struct store st;
	struct berr e;

	if (store_open(&st, root, true, &e) < 0)
		log_err("image store: %s", e.msg);
	store_close(&st, false);
	_exit(0);
}

void img_repair_unsynced(const char *root)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char path[PATH_MAX];
	pid_t pid;
	int status;

	/* a glance only, in the supervisor (PID 1): no struct store on its
	 * stack (a relative root resolves as store_paths resolves it) */
	snprintf(path, sizeof(path), "%s/var/lib/berth/" UNSYNCED, root ? root : "");
	if (access(path, F_OK) < 0)
		return;
	/* the unpacking runs in a child: never in PID 1 (layer.h) */
	pid = fork();
	if (pid == 0)
		repair_child(root);
	for (int waited = 0; pid > 0 && waited < 300 * 50; waited++) {
		if (waitpid(pid, &status, WNOHANG) != 0)
			return;
		nanosleep(&ts, NULL);
	}
	if (pid > 0)
		log_err("image store: layers still being unpacked again after 300 s; going on");
}
