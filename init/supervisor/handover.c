/* handover.c - the registry of descriptors that outlive the supervisor's
 * process (see handover.h). */
#include "handover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keeper.h"
#include "runtime/lib/log.h"

#define HOV_MAGIC 0x62686f76u /* "bhov" */

struct hov_entry {
	int fd;
	char name[HOV_NAME_MAX];
};

struct hov_map {
	struct hov_header h;
	struct hov_entry e[HOV_MAX];
};

static struct hov_map *map;
static int memfd = -1;
static int keeper = -1;		/* socket to the keeper (daemon), -1 = none */
static struct hov_entry *taken;	/* what the earlier process left */
static uint32_t ntaken;

static int map_memfd(int fd, struct berr *e)
{
	void *m = mmap(NULL, sizeof(*map), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (m == MAP_FAILED)
		return berr_set(e, errno, "handover: map the registry");
	map = m;
	memfd = fd;
	return 0;
}

/* Keep what the earlier process registered apart; the registry starts
 * empty again (the header's fault history and console stay). */
static void adopt_entries(void)
{
	uint32_t n = map->h.count <= HOV_MAX ? map->h.count : 0;

	taken = n ? calloc(n, sizeof(*taken)) : NULL;
	for (uint32_t i = 0; taken && i < n; i++) {
		taken[ntaken] = map->e[i];
		taken[ntaken].name[HOV_NAME_MAX - 1] = '\0';
		/* ours now: children must not inherit it */
		if (fcntl(taken[ntaken].fd, F_SETFD, FD_CLOEXEC) == 0)
			ntaken++;
	}
	map->h.count = 0;
}

int hov_open(int fd, struct berr *e)
{
	int r;

	if (map)
		return 0; /* opened already (init's recovery looked first) */
	if (fd >= 0) {
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		r = map_memfd(fd, e);
		if (r < 0)
			return r;
		if (map->h.magic == HOV_MAGIC) {
			adopt_entries();
			return 0;
		}
		log_warn("handover: the inherited registry is not one; starting empty");
		memset(&map->h, 0, sizeof(map->h));
		map->h.magic = HOV_MAGIC;
		return 0;
	}
	fd = memfd_create("berth-handover", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, sizeof(*map)) < 0)
		return berr_set(e, errno, "handover: memfd");
	r = map_memfd(fd, e);
	if (r < 0)
		return r;
	map->h.magic = HOV_MAGIC;
	return 0;
}

int hov_open_keeper(const char *root, struct berr *e)
{
	struct keeper_fd *got = NULL;
	int n, r = hov_open(-1, e);

	if (r < 0)
		return r;
	keeper = keeper_connect(root, &got, &n, e);
	if (keeper < 0)
		return keeper;
	taken = calloc(n ? n : 1, sizeof(*taken));
	for (int i = 0; i < n; i++) {
		if (taken) {
			taken[ntaken].fd = got[i].fd;
			snprintf(taken[ntaken++].name, HOV_NAME_MAX, "%s", got[i].name);
		} else {
			close(got[i].fd);
		}
	}
	free(got);
	return 0;
}

static struct hov_entry *find_name(const char *name)
{
	for (uint32_t i = 0; map && i < map->h.count; i++) {
		if (strcmp(map->e[i].name, name) == 0)
			return &map->e[i];
	}
	return NULL;
}

void hov_put(int fd, const char *name)
{
	struct hov_entry *en;

	if (!map || fd < 0)
		return;
	en = find_name(name);
	if (!en) {
		if (map->h.count >= HOV_MAX) {
			log_warn("handover: more than %d descriptors; %s would not survive a crash",
				 HOV_MAX, name);
			return;
		}
		en = &map->e[map->h.count];
		snprintf(en->name, sizeof(en->name), "%s", name);
		en->fd = fd;
		map->h.count++; /* last: the crash handler reads count first */
	}
	en->fd = fd;
	if (keeper >= 0 && keeper_put(keeper, name, fd) < 0) {
		log_warn("handover: the keeper is gone (%s); descriptors now die with berth",
			 strerror(errno));
		close(keeper);
		keeper = -1;
	}
}

void hov_drop(int fd)
{
	for (uint32_t i = 0; map && fd >= 0 && i < map->h.count; i++) {
		if (map->e[i].fd != fd)
			continue;
		if (keeper >= 0)
			keeper_drop(keeper, map->e[i].name);
		map->e[i] = map->e[map->h.count - 1];
		map->h.count--;
		return;
	}
}

int hov_take(const char *name)
{
	for (uint32_t i = 0; i < ntaken; i++) {
		if (strcmp(taken[i].name, name) == 0) {
			int fd = taken[i].fd;

			taken[i] = taken[--ntaken];
			return fd;
		}
	}
	return -1;
}

void hov_take_done(void)
{
	for (uint32_t i = 0; i < ntaken; i++) {
		log_info("handover: %s was not taken back; closed", taken[i].name);
		if (keeper >= 0)
			keeper_drop(keeper, taken[i].name);
		close(taken[i].fd);
	}
	ntaken = 0;
	free(taken);
	taken = NULL;
}

void hov_bye(void)
{
	if (keeper >= 0)
		keeper_bye(keeper);
	keeper = -1;
}

struct hov_header *hov_header(void)
{
	return map ? &map->h : NULL;
}

int hov_memfd(void)
{
	return memfd;
}

int hov_fd_at(uint32_t i)
{
	return map && i < map->h.count && i < HOV_MAX ? map->e[i].fd : -1;
}
