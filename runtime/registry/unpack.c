/* unpack.c - layers unpacked while they download; see unpack.h. */
#include "unpack.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/image/layer.h"
#include "runtime/lib/digest.h"

struct slot {
	struct reg_unpacker *u;
	int i, fd;	/* the stream's read end; -1: none */
	bool running;	/* a thread was started */
	bool fetched;	/* the blob is whole and verified */
	pthread_t t;
};

struct reg_unpacker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool closing;
	char dir[PATH_MAX];
	struct slot slot[REG_LAYERS_MAX];
	char digest[REG_LAYERS_MAX][DG_STR_LEN], diff_id[REG_LAYERS_MAX][DG_STR_LEN];
};

/* Unpack layer i from fd (-1: its blob in the layout); 0 when the layer
 * is there, with the config's diff_id. Not synced here: img_load_pulled
 * syncs the layout once. */
static int unpack_one(struct reg_unpacker *u, int i, int fd)
{
	char blob[PATH_MAX + 80], layers[PATH_MAX + 8], got[DG_STR_LEN];
	struct berr e;
	bool created;
	int r, own = -1;

	if (fd < 0) {
		snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", u->dir, dg_hex(u->digest[i]));
		fd = own = open(blob, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
	}
	snprintf(layers, sizeof(layers), "%s/layers", u->dir);
	r = layer_unpack_sync(layers, fd, u->diff_id[i], -1, got, &created, false, &e);
	if (own >= 0)
		close(own);
	return r;
}

/* The stream first; when it failed (cut short by a retried download, or
 * not the right bytes), the blob once the download has it whole. */
static void *worker(void *arg)
{
	struct slot *s = arg;
	struct reg_unpacker *u = s->u;
	bool fetched;
	int r = -1;

	if (s->fd >= 0) {
		r = unpack_one(u, s->i, s->fd);
		close(s->fd);
	}
	if (r == 0)
		return NULL;
	pthread_mutex_lock(&u->mu);
	while (!s->fetched && !u->closing)
		pthread_cond_wait(&u->cv, &u->mu);
	fetched = s->fetched;
	pthread_mutex_unlock(&u->mu);
	if (fetched)
		unpack_one(u, s->i, -1);
	return NULL;
}

/* Start layer i's thread reading fd; false when it could not start. */
static bool spawn(struct reg_unpacker *u, int i, int fd)
{
	struct slot *s = &u->slot[i];
	pthread_attr_t a;

	s->u = u;
	s->i = i;
	s->fd = fd;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1 << 20); /* libarchive and the extractor's paths */
	s->running = pthread_create(&s->t, &a, worker, s) == 0;
	pthread_attr_destroy(&a);
	return s->running;
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

int reg_unpack_stream(struct reg_unpacker *u, int i)
{
	int sv[2];

	if (!usable(u, i) || u->slot[i].running ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	if (!spawn(u, i, sv[0])) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	return sv[1];
}

void reg_unpack_queue(struct reg_unpacker *u, int i)
{
	if (!usable(u, i))
		return;
	pthread_mutex_lock(&u->mu);
	u->slot[i].fetched = true;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	if (!u->slot[i].running)
		spawn(u, i, -1);
}

void reg_unpack_finish(struct reg_unpacker *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->closing = true;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (int i = 0; i < REG_LAYERS_MAX; i++)
		if (u->slot[i].running)
			pthread_join(u->slot[i].t, NULL);
	free(u);
}
