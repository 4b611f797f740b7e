/* esp.c - find and mount the ESP, read systemd-boot's EFI variables,
 * list and write the slot entries. */
#include "esp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define EFIVARS "/sys/firmware/efi/efivars"
#define LOADER_GUID "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

bool esp_efi_booted(void)
{
	return access("/sys/firmware/efi", F_OK) == 0;
}

/* /dev/NAME of the partition named ESP_PARTNAME, from sysfs's uevents. */
static int esp_find(char *dev, size_t size, struct berr *e)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *de;
	int r = -ENOENT;

	if (!d)
		return berr_set(e, errno, "/sys/class/block");
	while (r < 0 && (de = readdir(d))) {
		char path[512], text[1024];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%s/uevent", de->d_name);
		if (read_file(path, text, sizeof(text)) < 0)
			continue;
		if (strstr(text, "\nPARTNAME=" ESP_PARTNAME "\n")) {
			snprintf(dev, size, "/dev/%s", de->d_name);
			r = 0;
		}
	}
	closedir(d);
	if (r < 0)
		return berr_msg(e, ENOENT, "no EFI system partition named %s (this system did not "
				"boot from berth.img)", ESP_PARTNAME);
	return 0;
}

int esp_mount(const char *dir, struct berr *e)
{
	char dev[300];

	if (esp_find(dev, sizeof(dev), e) < 0)
		return -e->code;
	if (unshare(CLONE_NEWNS) < 0)
		return berr_set(e, errno, "unshare mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return berr_set(e, errno, "make mounts private");
	if (mkdir_p(dir, 0700) < 0)
		return berr_set(e, errno, "mkdir %s", dir);
	if (mount(dev, dir, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC, "umask=0077") < 0)
		return berr_set(e, errno, "mount %s (vfat) on %s", dev, dir);
	return 0;
}

int esp_efivar(const char *name, char **buf, size_t *len, struct berr *e)
{
	char path[256];
	int r;

	if (!esp_efi_booted())
		return berr_msg(e, ENOENT, "not booted through UEFI");
	snprintf(path, sizeof(path), EFIVARS "/%s", name);
	r = read_file_all(path, 1 << 20, buf, len);
	if (r == -ENOENT && access(EFIVARS "/..", F_OK) == 0 &&
	    /* efivarfs may not be mounted yet */
	    mount("efivarfs", EFIVARS, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		r = read_file_all(path, 1 << 20, buf, len);
	if (r < 0)
		return berr_set(e, -r, "EFI variable %s", name);
	if (*len < 4)
		return berr_msg(e, EINVAL, "EFI variable %s: too short", name);
	return 0;
}

int esp_loader_var(const char *name, char *out, size_t size, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	char var[128];
	size_t o = 0, n;

	snprintf(var, sizeof(var), "%s-" LOADER_GUID, name);
	if (esp_efivar(var, &buf, &n, e) < 0)
		return -e->code;
	/* 4 bytes of attributes, then UTF-16LE, NUL-terminated */
	for (size_t i = 4; i + 1 < n && o + 1 < size; i += 2) {
		unsigned c = (uint8_t)buf[i] | (uint8_t)buf[i + 1] << 8;

		if (c == 0)
			break;
		out[o++] = c < 0x80 ? (char)c : '?';
	}
	out[o] = '\0';
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return upd_entry_order(a, b);
}

int esp_entries(const char *dir, struct upd_entry *en, int max, struct berr *e)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/" ESP_LINUX, dir);
	d = opendir(path);
	if (!d)
		return berr_set(e, errno, "%s", path);
	while ((de = readdir(d)) && n < max) {
		if (upd_entry_parse(de->d_name, &en[n]) == 0)
			n++;
	}
	closedir(d);
	qsort(en, n, sizeof(*en), cmp_entry);
	return n;
}

void esp_entry_version(const char *dir, const char *name, char *out, size_t size)
{
	enum { HEAD = 256 * 1024 };
	_cleanup_free_ uint8_t *head = malloc(HEAD);
	char path[512];
	const char *osrel;
	size_t olen;
	ssize_t n;
	_cleanup_fd_ int fd = -1;

	snprintf(out, size, "?");
	snprintf(path, sizeof(path), "%s/" ESP_LINUX "/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	/* the stub (about 80 KiB) and .osrel come first, .linux and .initrd after */
	n = fd < 0 || !head ? -1 : pread(fd, head, HEAD, 0);
	if (n <= 0)
		return;
	osrel = upd_pe_osrel(head, (size_t)n, &olen);
	if (osrel && !upd_osrel_version(osrel, olen, out, size))
		snprintf(out, size, "?");
}

static int fsync_dir(const char *dir, struct berr *e)
{
	char path[512];
	_cleanup_fd_ int fd = -1;

	snprintf(path, sizeof(path), "%s/" ESP_LINUX, dir);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return berr_set(e, errno, "fsync %s", path);
	return 0;
}

int esp_rename(const char *dir, const char *from, const char *to, struct berr *e)
{
	char a[512], b[512];

	snprintf(a, sizeof(a), "%s/" ESP_LINUX "/%s", dir, from);
	snprintf(b, sizeof(b), "%s/" ESP_LINUX "/%s", dir, to);
	if (rename(a, b) < 0)
		return berr_set(e, errno, "rename %s to %s", from, to);
	return fsync_dir(dir, e);
}

int esp_write(const char *dir, const char *name, const void *data, size_t len, struct berr *e)
{
	char tmp[512];
	int r;
	_cleanup_fd_ int fd = -1;

	snprintf(tmp, sizeof(tmp), "%s/" ESP_LINUX "/.%s.tmp", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return berr_set(e, errno, "create %s", tmp);
	r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0) {
		berr_ignore(unlink(tmp)); /* the error below is what matters */
		return berr_set(e, -r, "write the slot on the EFI system partition");
	}
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	return esp_rename(dir, tmp, name, e);
}
