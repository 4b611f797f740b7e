#include "datadisk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "timeline.h"
#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"

#define EXT_MAGIC 0xEF53
#define EXT_OFF_MAGIC 0x38
#define EXT_OFF_INCOMPAT 0x60
#define EXT_OFF_LABEL 0x78
#define EXT_INCOMPAT_JOURNAL_DEV 0x0008
#define IMG_DIR "/var/lib/berth"
#define IMG_BAKED "/var/lib/berth-baked"

/* What lives on the disk, bound over the names under /run/berth. */
static const char *const bound[] = { "containers", "logs", "network" };

static struct {
	bool mounted;
	uint64_t start_ns;
	char dev[64];
	char label[17];
	char why[256]; /* why there is none */
	char want[128];
	uint64_t done_ns;
	pthread_t thread;
	bool threaded;
} dd;

static unsigned le16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool dd_ext_label(const unsigned char *sb, size_t len, char label[17])
{
	size_t n;

	label[0] = '\0';
	if (len < EXT_OFF_LABEL + 16 || le16(sb + EXT_OFF_MAGIC) != EXT_MAGIC)
		return false;
	/* An external journal device carries the magic but no filesystem. */
	if (le32(sb + EXT_OFF_INCOMPAT) & EXT_INCOMPAT_JOURNAL_DEV)
		return false;
	for (n = 0; n < 16 && sb[EXT_OFF_LABEL + n]; n++)
		label[n] = (char)sb[EXT_OFF_LABEL + n];
	label[n] = '\0';
	return true;
}

/* 1: an ext filesystem (label filled), 0: none, -errno: unreadable. */
static int read_label(const char *dev, char label[17])
{
	unsigned char sb[EXT_SB_SIZE];
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, sb, sizeof(sb), EXT_SB_OFFSET);
	close(fd);
	if (n < 0)
		return -errno;
	return dd_ext_label(sb, (size_t)n, label) ? 1 : 0;
}

static bool skip_device(const char *name)
{
	char path[300], size[32];

	if (name[0] == '.' || strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0)
		return true;
	snprintf(path, sizeof(path), "/sys/class/block/%s/size", name);
	return read_file(path, size, sizeof(size)) < 0 || strtoull(size, NULL, 10) == 0;
}

/* The device whose ext superblock carries label; notes disks without one. */
static int find_by_label(const char *label, char *dev, size_t size)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *de;
	char bare[128] = "";
	int found = -ENOENT;

	if (!d)
		return -errno;
	while (found < 0 && (de = readdir(d))) {
		char path[300], l[17];
		int r;

		if (skip_device(de->d_name))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		r = read_label(path, l);
		if (r == 1 && strcmp(l, label) == 0) {
			snprintf(dev, size, "%s", path);
			found = 0;
		} else if (r == 0 && !bare[0]) {
			snprintf(bare, sizeof(bare), "%s", path);
		}
	}
	closedir(d);
	if (found < 0 && bare[0])
		snprintf(dd.why, sizeof(dd.why), "%s holds no ext4 filesystem labelled %s; Berth "
			 "never formats a disk", bare, label);
	else if (found < 0)
		snprintf(dd.why, sizeof(dd.why), "no disk labelled %s", label);
	return found;
}

static int bind_state(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bound); i++) {
		char src[128], dst[128];

		snprintf(src, sizeof(src), DATA_DIR "/berth/%s", bound[i]);
		snprintf(dst, sizeof(dst), "/run/berth/%s", bound[i]);
		if (mkdir_p(src, 0700) < 0 || mkdir_p(dst, 0700) < 0) {
			log_err("data: create %s: %s", src, strerror(errno));
			return -errno;
		}
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0) {
			log_err("data: bind %s on %s: %s", src, dst, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* The image store: the initramfs's (baked) images stay readable, read-only,
 * at /var/lib/berth-baked; /data/berth/store takes /var/lib/berth, so
 * what is added at run time lands on the disk (runtime/image/image.h).
 * Failing this leaves images in memory, the rest of the disk in use. */
static void bind_images(void)
{
	const char *store = DATA_DIR "/berth/store";

	if (mkdir_p(IMG_DIR, 0700) < 0 || mkdir_p(IMG_BAKED, 0700) < 0 ||
	    mkdir_p(store, 0700) < 0) {
		log_err("data: create the image store: %s; images are kept in memory",
			strerror(errno));
		return;
	}
	if (mount(IMG_DIR, IMG_BAKED, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, IMG_BAKED, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0 ||
	    mount(store, IMG_DIR, NULL, MS_BIND, NULL) < 0) {
		log_err("data: bind %s on " IMG_DIR ": %s; images are kept in memory", store,
			strerror(errno));
		umount2(IMG_BAKED, MNT_DETACH);
	}
}

static void unbind_state(void)
{
	if (umount2(IMG_DIR, 0) < 0 && errno != EINVAL && errno != ENOENT)
		umount2(IMG_DIR, MNT_DETACH);
	umount2(IMG_BAKED, MNT_DETACH);
	for (size_t i = ARRAY_SIZE(bound); i-- > 0;) {
		char dst[128];

		snprintf(dst, sizeof(dst), "/run/berth/%s", bound[i]);
		if (umount2(dst, 0) < 0 && errno != EINVAL && errno != ENOENT) {
			log_err("data: unmount %s: %s; detaching it", dst, strerror(errno));
			umount2(dst, MNT_DETACH);
		}
	}
}

/* The scan and the mount, quiet: dd_setup_finish() reports. */
static void setup(const char *want)
{
	const char *label = want && *want ? want : DATA_LABEL_DEFAULT;
	int r;

	dd.mounted = false;
	if (strncmp(label, "/dev/", 5) == 0) {
		snprintf(dd.dev, sizeof(dd.dev), "%s", label);
		r = read_label(dd.dev, dd.label);
		if (r <= 0) {
			snprintf(dd.why, sizeof(dd.why), "%s %s; Berth never formats a disk",
				 dd.dev, r < 0 ? strerror(-r) : "holds no ext4 filesystem");
			goto none;
		}
	} else {
		snprintf(dd.label, sizeof(dd.label), "%.16s", label);
		if (find_by_label(label, dd.dev, sizeof(dd.dev)) < 0)
			goto none;
	}
	mkdir(DATA_DIR, 0755);
	if (mount(dd.dev, DATA_DIR, "ext4", MS_NODEV | MS_NOSUID, NULL) < 0) {
		snprintf(dd.why, sizeof(dd.why), "mount %s on " DATA_DIR ": %s", dd.dev,
			 strerror(errno));
		goto none;
	}
	if (bind_state() < 0) {
		unbind_state();
		umount2(DATA_DIR, 0);
		snprintf(dd.why, sizeof(dd.why), "%s: cannot bind its state directories", dd.dev);
		goto none;
	}
	bind_images();
	dd.mounted = true;
none:
	dd.done_ns = now_ns();
}

static void *setup_thread(void *arg)
{
	(void)arg;
	setup(dd.want);
	return NULL;
}

void dd_setup_start(const char *want)
{
	dd.start_ns = now_ns();
	snprintf(dd.want, sizeof(dd.want), "%s", want ? want : "");
	dd.threaded = pthread_create(&dd.thread, NULL, setup_thread, NULL) == 0;
	if (!dd.threaded)
		setup(dd.want);
}

void dd_setup_finish(void)
{
	uint64_t wait = now_ns();

	if (dd.threaded)
		pthread_join(dd.thread, NULL);
	dd.threaded = false;
	if (!dd.mounted) {
		log_warn("data: %s; containers, volumes and logs are kept in memory", dd.why);
		return;
	}
	wait = now_ns() - wait;
	log_info("data: %s (%s) mounted at " DATA_DIR " (%llu ms, %llu ms of it waited for)",
		 dd.dev, dd.label, (unsigned long long)((dd.done_ns - dd.start_ns) / 1000000),
		 (unsigned long long)(wait / 1000000));
	timeline_mark_at("data", dd.done_ns);
}

bool dd_mounted(void)
{
	return dd.mounted;
}

void dd_describe(char *buf, size_t size)
{
	if (dd.mounted)
		snprintf(buf, size, "%s (%s) mounted at " DATA_DIR, dd.dev, dd.label);
	else
		snprintf(buf, size, "none (%s) — containers, volumes and logs are kept in memory",
			 dd.why[0] ? dd.why : "not looked for");
}

void dd_teardown(void)
{
	if (dd.mounted)
		unbind_state();
	sync();
	if (umount2(DATA_DIR, 0) < 0 && errno != EINVAL && errno != ENOENT) {
		log_err("shutdown: unmount " DATA_DIR ": %s; remounting it read-only",
			strerror(errno));
		mount(NULL, DATA_DIR, NULL, MS_REMOUNT | MS_RDONLY, NULL);
	} else if (dd.mounted) {
		log_info("shutdown: " DATA_DIR " unmounted");
	}
	dd.mounted = false;
	sync();
}

struct dd_saved {
	bool mounted;
	char dev[64];
	char label[17];
	char why[256];
};
_Static_assert(sizeof(struct dd_saved) <= DD_STATE_BYTES, "DD_STATE_BYTES too small");

void dd_save(void *dst)
{
	struct dd_saved *s = dst;

	s->mounted = dd.mounted;
	memcpy(s->dev, dd.dev, sizeof(s->dev));
	memcpy(s->label, dd.label, sizeof(s->label));
	memcpy(s->why, dd.why, sizeof(s->why));
}

void dd_restore(const void *src)
{
	const struct dd_saved *s = src;

	dd.mounted = s->mounted;
	snprintf(dd.dev, sizeof(dd.dev), "%.*s", (int)sizeof(s->dev) - 1, s->dev);
	snprintf(dd.label, sizeof(dd.label), "%.*s", (int)sizeof(s->label) - 1, s->label);
	snprintf(dd.why, sizeof(dd.why), "%.*s", (int)sizeof(s->why) - 1, s->why);
}
