/* datadisk.h - the persistent data disk (label berth-data, mounted at
 * /data; docs/storage.md, "The data disk", and docs/architecture.md, "Boot",
 * phase 4b).
 *
 * At boot PID 1 looks for the disk (berth.data=/dev/X names a device,
 * berth.data=LABEL a label; the default label is berth-data) by reading the
 * ext2/3/4 superblock of every block device in /sys/class/block, mounts it
 * on /data (ext4, nodev, nosuid) and bind-mounts /data/berth/{containers,
 * logs,network} over the same names under /run/berth, so container state,
 * logs and IPAM state survive a reboot; /data/berth/store goes over
 * /var/lib/berth (the image store) once the initramfs's images are bound
 * read-only at /var/lib/berth-baked (the baked store). A disk without a filesystem is
 * never formatted: PID 1 runs from memory and says so. No fsck runs in the
 * appliance: ext4's journal replays at mount (see docs/figures.md and the
 * appliance tests, which check the image with the host's e2fsck -fn).
 */
#ifndef BERTH_DATADISK_H
#define BERTH_DATADISK_H

#include <stdbool.h>
#include <stddef.h>

#define DATA_DIR "/data"
#define DATA_LABEL_DEFAULT "berth-data"

/* The ext2/3/4 superblock starts 1024 bytes into the device. */
#define EXT_SB_OFFSET 1024
#define EXT_SB_SIZE 1024

/* The label of an ext2/3/4 superblock (sb: EXT_SB_SIZE bytes read at
 * EXT_SB_OFFSET). False when sb holds no ext superblock. */
bool dd_ext_label(const unsigned char *sb, size_t len, char label[17]);

/* Find, mount and bind the data disk; never fails boot. want is
 * berth.data (a label or a /dev path). The work runs on a thread of its
 * own (mounting ext4 takes ~150 ms under TCG), overlapping the network
 * phase; dd_setup_finish() waits for it and reports, before anything
 * touches /run/berth. */
void dd_setup_start(const char *want);
void dd_setup_finish(void);
/* One line for `berth info`: where the data is kept. */
void dd_describe(char *buf, size_t size);
bool dd_mounted(void);
/* What was found, as bytes (at most DD_STATE_BYTES), carried across PID
 * 1's re-exec after a fault (init/supervisor/crash.h): save only copies
 * memory (async-signal-safe), restore takes it back. */
#define DD_STATE_BYTES 400
void dd_save(void *dst);
void dd_restore(const void *src);
/* Shutdown: unmount the binds, sync, unmount /data (or remount it
 * read-only when busy). */
void dd_teardown(void);

#endif
