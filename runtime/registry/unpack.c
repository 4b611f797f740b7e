/* unpack.c - layers unpacked while they download; see unpack.h. */
#include "unpack.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/image/layer.h"
#include "runtime/lib/digest.h"

/* A waiting thread is woken when this much more is there to read (or the
 * blob is whole): not at every 16 KiB write, each wake-up costs a switch. */
#define WAKE_BYTES (1u << 20)

struct slot {
	struct reg_unpacker *u;
	int i, fd;	 /* the blob's file, read as it grows */
	uint64_t avail;	 /* bytes of it written (fetch.c; atomic) */
	uint64_t want;	 /* 0, or the avail its waiting thread wants (atomic) */
	uint64_t off;	 /* bytes of it read (the thread) */
	uint64_t size;	 /* the descriptor's */
	bool running;	 /* a thread was started */
	bool fetched;	 /* the blob is whole and verified */
	bool cut;	 /* the blob started over: so does the thread */
	bool failed;	 /* err says why */
	struct berr err;
	pthread_t t;
};

struct reg_unpacker {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a slot's avail reached its want, or abort */
	bool abort;
	char dir[PATH_MAX];
	struct slot slot[REG_LAYERS_MAX];
	char digest[REG_LAYERS_MAX][DG_STR_LEN], diff_id[REG_LAYERS_MAX][DG_STR_LEN];
};

/* layer_reader's read: what the file holds past off, waiting while
 * fetch.c has not written more; 0 once the whole blob is read. avail and
 * want are a Dekker pair (seq_cst): either the writer sees want, or the
 * thread sees the new avail before it sleeps. */
static ssize_t tail_read(void *arg, void *buf, size_t n)
{
	struct slot *s = arg;
	struct reg_unpacker *u = s->u;
	uint64_t avail = __atomic_load_n(&s->avail, __ATOMIC_SEQ_CST);
	bool stop = false;
	ssize_t k;

	if (s->off == avail && avail < s->size) {
		uint64_t want = s->off + WAKE_BYTES < s->size ? s->off + WAKE_BYTES : s->size;
		pthread_mutex_lock(&u->mu);
		__atomic_store_n(&s->want, want, __ATOMIC_SEQ_CST);
		while ((avail = __atomic_load_n(&s->avail, __ATOMIC_SEQ_CST)) < want && !s->cut &&
		       !u->abort)
			pthread_cond_wait(&u->cv, &u->mu);
		__atomic_store_n(&s->want, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&u->mu);
	}
	pthread_mutex_lock(&u->mu); /* rare enough: once a wake-up or a 64 KiB read */
	stop = s->cut || u->abort;
	pthread_mutex_unlock(&u->mu);
	if (stop) {
		errno = ECANCELED;
		return -1;
	}
	if (n > avail - s->off)
		n = avail - s->off;
	k = n ? pread(s->fd, buf, n, s->off) : 0;
	if (k < (ssize_t)n && k >= 0) /* truncated under us: a cut */
		k = -1, errno = ECANCELED;
	if (k > 0)
		s->off += k;
	return k;
}

/* After a failed unpack: whether the blob started over (read it again
 * from its start) rather than the layer failed. */
static bool restart(struct slot *s)
{
	struct reg_unpacker *u = s->u;
	bool again;

	pthread_mutex_lock(&u->mu);
	again = s->cut && !u->abort;
	if (again) {
		s->cut = false;
		s->off = 0;
	}
	pthread_mutex_unlock(&u->mu);
	return again;
}

/* Not synced here: img_load_pulled syncs the layout once. */
static void *worker(void *arg)
{
	struct slot *s = arg;
	struct reg_unpacker *u = s->u;
	struct layer_reader rd = { tail_read, s };
	char path[PATH_MAX + 80], got[DG_STR_LEN];
	struct berr e;
	int r;

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", u->dir, dg_hex(u->digest[s->i]));
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	r = s->fd < 0 ? berr_set(&e, errno, "open %s", path) : 0;
	snprintf(path, sizeof(path), "%s/layers", u->dir);
	while (r == 0 && (r = layer_unpack_from(path, &rd, u->diff_id[s->i], got, &e)) < 0 &&
	       restart(s))
		r = 0;
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_lock(&u->mu);
	if (r < 0 && !u->abort) {
		berr_wrap(&e, "layer %s", u->digest[s->i]);
		s->err = e;
		s->failed = true;
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

/* Start layer i's thread; called with u->mu held. */
static void spawn(struct reg_unpacker *u, int i)
{
	struct slot *s = &u->slot[i];
	pthread_attr_t a;

	s->u = u;
	s->i = i;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1 << 20); /* libarchive and the extractor's paths */
	s->running = pthread_create(&s->t, &a, worker, s) == 0;
	pthread_attr_destroy(&a);
}

struct reg_unpacker *reg_unpack_start(const char *dir, const struct reg_manifest *m,
				      const char *config, size_t clen)
{
	json_t *cfg = json_loadb(config, clen, 0, NULL);
	json_t *diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	struct reg_unpacker *u = NULL;

	if (json_array_size(diffs) != m->nlayers || !(u = calloc(1, sizeof(*u))))
		goto out;
	snprintf(u->dir, sizeof(u->dir), "%s", dir);
	for (size_t i = 0; i < m->nlayers; i++) {
		const char *d = json_string_value(json_array_get(diffs, i));
		snprintf(u->digest[i], DG_STR_LEN, "%s", m->layers[i].digest);
		snprintf(u->diff_id[i], DG_STR_LEN, "%s", d && dg_valid(d) ? d : "");
		u->slot[i].size = m->layers[i].size;
		u->slot[i].fd = -1;
	}
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
out:
	json_decref(cfg);
	return u;
}

static bool usable(struct reg_unpacker *u, int i)
{
	return u && i >= 0 && i < REG_LAYERS_MAX && u->diff_id[i][0];
}

/* Called at every write of the download: the lock only when a thread is
 * to start, be woken, or told the blob starts over. */
void reg_unpack_grew(struct reg_unpacker *u, int i, uint64_t len)
{
	struct slot *s;
	uint64_t want;

	if (!usable(u, i))
		return;
	s = &u->slot[i];
	if (s->running && len >= s->avail) {
		__atomic_store_n(&s->avail, len, __ATOMIC_SEQ_CST);
		want = __atomic_load_n(&s->want, __ATOMIC_SEQ_CST);
		if (!want || len < want)
			return;
	}
	pthread_mutex_lock(&u->mu);
	if (len < s->avail)
		s->cut = true;
	__atomic_store_n(&s->avail, len, __ATOMIC_SEQ_CST);
	if (!s->running)
		spawn(u, i);
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
}

void reg_unpack_queue(struct reg_unpacker *u, int i)
{
	if (!usable(u, i))
		return;
	pthread_mutex_lock(&u->mu);
	u->slot[i].fetched = true;
	if (!u->slot[i].running) /* no byte was seen (an empty blob) */
		spawn(u, i);
	pthread_mutex_unlock(&u->mu);
}

int reg_unpack_check(struct reg_unpacker *u, struct berr *e)
{
	int r = 0;

	if (!u)
		return 0;
	pthread_mutex_lock(&u->mu);
	for (int i = 0; i < REG_LAYERS_MAX && r == 0; i++)
		if (u->slot[i].failed && u->slot[i].fetched) {
			*e = u->slot[i].err;
			r = -e->code;
		}
	pthread_mutex_unlock(&u->mu);
	return r;
}

int reg_unpack_finish(struct reg_unpacker *u, bool abort, struct berr *e)
{
	int r;

	if (!u)
		return 0;
	pthread_mutex_lock(&u->mu);
	u->abort = abort;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (int i = 0; i < REG_LAYERS_MAX; i++)
		if (u->slot[i].running)
			pthread_join(u->slot[i].t, NULL);
	r = abort ? 0 : reg_unpack_check(u, e);
	free(u);
	return r;
}
