/* unpack.c - layers unpacked on a worker thread during the pull; see
 * unpack.h. */
#include "unpack.h"

#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/image/layer.h"
#include "runtime/lib/digest.h"

/* two workers: layers that finish downloading together (small ones, or
 * all of them at once) unpack on both cores */
#define UNPACK_WORKERS 2

struct reg_unpacker {
	pthread_t thread[UNPACK_WORKERS];
	int nthreads;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int queue[REG_LAYERS_MAX], n, next;
	bool closing;
	char dir[PATH_MAX];
	char digest[REG_LAYERS_MAX][DG_STR_LEN], diff_id[REG_LAYERS_MAX][DG_STR_LEN];
};

static void unpack_one(struct reg_unpacker *u, int i)
{
	char blob[PATH_MAX + 80], layers[PATH_MAX + 8], got[DG_STR_LEN];
	struct berr e;
	bool created;
	int fd;

	snprintf(blob, sizeof(blob), "%s/blobs/sha256/%s", u->dir, dg_hex(u->digest[i]));
	snprintf(layers, sizeof(layers), "%s/layers", u->dir);
	fd = open(blob, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* not synced here: img_load_pulled syncs the layout once */
	berr_ignore(layer_unpack_sync(layers, fd, u->diff_id[i], -1, got, &created, false, &e));
	close(fd);
}

static void *worker(void *arg)
{
	struct reg_unpacker *u = arg;

	pthread_mutex_lock(&u->mu);
	for (;;) {
		int i;

		while (u->next == u->n && !u->closing)
			pthread_cond_wait(&u->cv, &u->mu);
		if (u->next == u->n)
			break;
		i = u->queue[u->next++];
		pthread_mutex_unlock(&u->mu);
		unpack_one(u, i);
		pthread_mutex_lock(&u->mu);
	}
	pthread_mutex_unlock(&u->mu);
	return NULL;
}

struct reg_unpacker *reg_unpack_start(const char *dir, const struct reg_manifest *m,
				      const char *config, size_t clen)
{
	json_t *cfg = json_loadb(config, clen, 0, NULL);
	json_t *diffs = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	struct reg_unpacker *u = NULL;
	pthread_attr_t a;

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
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1 << 20); /* libarchive and the extractor's paths */
	while (u->nthreads < UNPACK_WORKERS &&
	       pthread_create(&u->thread[u->nthreads], &a, worker, u) == 0)
		u->nthreads++;
	pthread_attr_destroy(&a);
	if (!u->nthreads) {
		free(u);
		u = NULL;
	}
out:
	json_decref(cfg);
	return u;
}

void reg_unpack_queue(struct reg_unpacker *u, int i)
{
	if (!u || i < 0 || i >= REG_LAYERS_MAX || !u->diff_id[i][0])
		return;
	pthread_mutex_lock(&u->mu);
	u->queue[u->n++] = i;
	pthread_cond_signal(&u->cv);
	pthread_mutex_unlock(&u->mu);
}

void reg_unpack_finish(struct reg_unpacker *u)
{
	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	u->closing = true;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->mu);
	for (int i = 0; i < u->nthreads; i++)
		pthread_join(u->thread[i], NULL);
	free(u);
}
