/* image_size.c - an unpacked layer's size as Docker counts it (its
 * directory.Size): the apparent sizes of everything but directories, a
 * file with several hard links once; see image_priv.h. */
#include "image_priv.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>

/* nftw's callback has no context: the one walk (the CLI's, one thread). */
static struct {
	uint64_t total;
	ino_t *seen; /* inodes with more than one link already counted */
	size_t nseen, cap;
} walk;

static bool seen_before(ino_t ino)
{
	ino_t *g;

	for (size_t i = 0; i < walk.nseen; i++) {
		if (walk.seen[i] == ino)
			return true;
	}
	if (walk.nseen == walk.cap) {
		g = realloc(walk.seen, (walk.cap ? walk.cap * 2 : 64) * sizeof(*g));
		if (!g)
			return false; /* counted again: a size, not a failure */
		walk.seen = g;
		walk.cap = walk.cap ? walk.cap * 2 : 64;
	}
	walk.seen[walk.nseen++] = ino;
	return false;
}

static int count_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)path;
	(void)type;
	(void)ftw;
	if (S_ISDIR(sb->st_mode) || (sb->st_nlink > 1 && seen_before(sb->st_ino)))
		return 0;
	walk.total += sb->st_size;
	return 0;
}

int64_t layer_size(const char *dir)
{
	int r;

	walk.total = 0;
	walk.nseen = 0;
	r = nftw(dir, count_one, 16, FTW_PHYS);
	free(walk.seen);
	walk.seen = NULL;
	walk.cap = 0;
	return r < 0 ? -1 : (int64_t)walk.total;
}
