/* update_cli.c - berth update apply|status|rollback. The work runs in the
 * CLI process (never in PID 1): it reads and verifies the bundle, mounts
 * the ESP in its own mount namespace and writes the inactive slot. */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bundle.h"
#include "download.h"
#include "esp.h"
#include "runtime/lib/digest.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "sbcheck.h"
#include "slots.h"

#define UPD_BUNDLE_MAX (256u << 20)

/* What the CLI knows about the slots: the entries, the booted one, and
 * the top entry of each slot (the one systemd-boot considers). */
struct upd_view {
	struct upd_entry en[ESP_MAX_ENTRIES];
	int n;
	struct upd_entry booted; /* slot 0 when unknown */
	const struct upd_entry *slot[2];
	unsigned long max_gen;
};

int upd_fail(const struct berr *e)
{
	fprintf(stderr, "berth: update: %s\n", e->msg);
	return 1;
}

/* Mount the ESP, list it, find the booted entry. */
static int view_load(struct upd_view *v, struct berr *e)
{
	char sel[UPD_NAME_MAX * 2];

	memset(v, 0, sizeof(*v));
	if (esp_loader_var("LoaderEntrySelected", sel, sizeof(sel), e) < 0)
		return berr_wrap(e, "which slot booted");
	if (upd_entry_parse(sel, &v->booted) < 0)
		return berr_msg(e, EINVAL, "the booted entry \"%s\" is not a Berth slot", sel);
	if (esp_mount(UPD_ESP_DIR, e) < 0)
		return -e->code;
	v->n = esp_entries(UPD_ESP_DIR, v->en, ESP_MAX_ENTRIES, e);
	if (v->n < 0)
		return v->n;
	for (int i = v->n - 1; i >= 0; i--) {
		/* sorted: the first entry of a slot is its top one */
		v->slot[v->en[i].slot - 'a'] = &v->en[i];
		if (v->en[i].gen > v->max_gen)
			v->max_gen = v->en[i].gen;
	}
	return 0;
}

static const struct upd_entry *view_other(const struct upd_view *v)
{
	return v->slot[v->booted.slot == 'a' ? 1 : 0];
}

static void entry_version(const struct upd_entry *en, char *out, size_t size)
{
	if (!en)
		snprintf(out, size, "-");
	else
		esp_entry_version(UPD_ESP_DIR, en->name, out, size);
}

/* ---- apply ---- */

struct apply_opts {
	bool allow_downgrade, force;
	int tries;
};

#define AP(f) struct apply_opts, f
static const struct flg apply_flags[] = {
	FLG_BOOL(0, "allow-downgrade", AP(allow_downgrade),
		 "Install a version older than the running one"),
	FLG_BOOL(0, "force", AP(force), "Install the running version again"),
	FLG_INT(0, "tries", AP(tries), "Boots the new version gets to become healthy (1-9, "
		"default 3)"),
	FLG_END,
};

/* The bundle in fd (path: its name in messages), verified: its payload in
 * *uki. */
static int bundle_load(int fd, const char *path, char **buf, struct upd_manifest *m,
		       const char **uki, struct berr *e)
{
	uint8_t pub[UPD_KEY_LEN];
	char want[65], got[DG_STR_LEN];
	size_t len;
	int r;

	r = read_fd_all(fd, UPD_BUNDLE_MAX, buf, &len);
	if (r < 0)
		return berr_set(e, -r, "%s", path);
	if (upd_manifest_parse(*buf, len, m, e) < 0)
		return berr_wrap(e, "%s", path);
	if (len - m->header_len != m->size)
		return berr_msg(e, EINVAL, "%s: %s: the manifest says %llu bytes, it holds %zu",
				path, len - m->header_len < m->size ? "truncated" : "trailing data",
				(unsigned long long)m->size, len - m->header_len);
	if (upd_key_load(UPD_PUBKEY, pub, e) < 0 || upd_manifest_verify(*buf, m, pub, e) < 0)
		return berr_wrap(e, "%s", path);
	*uki = *buf + m->header_len;
	dg_buffer(*uki, m->size, got);
	upd_hex(m->sha256, 32, want);
	if (strcmp(dg_hex(got), want) != 0)
		return berr_msg(e, EBADMSG, "%s: the image's sha256 does not match its manifest",
				path);
	return 0;
}

static int version_floor(const struct upd_manifest *m, const char *running,
			 const struct apply_opts *o, struct berr *e)
{
	int c = strverscmp(m->version, running);

	if (c == 0 && !o->force)
		return berr_msg(e, EEXIST, "version %s is already running (--force installs it "
				"again)", running);
	if (c < 0 && !o->allow_downgrade)
		return berr_msg(e, EPERM, "version %s is older than the running %s "
				"(--allow-downgrade installs it)", m->version, running);
	return 0;
}

/* Room on the ESP for size bytes more (the slot's old image goes only
 * after the new one is in place), checked before anything is written. */
static int esp_room(uint64_t size, struct berr *e)
{
	struct statvfs sv;
	uint64_t avail, need = size + (64u << 10); /* a cluster and the directory */

	if (statvfs(UPD_ESP_DIR, &sv) < 0)
		return berr_set(e, errno, "statvfs of the EFI system partition");
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < need)
		return berr_msg(e, ENOSPC, "the EFI system partition has %llu KiB free, the new "
				"image needs %llu KiB; nothing was changed",
				(unsigned long long)(avail >> 10),
				(unsigned long long)(need >> 10));
	return 0;
}

static int apply_run(int fd, const char *path, const struct apply_opts *o, struct berr *e)
{
	_cleanup_free_ char *buf = NULL;
	char running[UPD_VERSION_MAX], name[UPD_NAME_MAX];
	const struct upd_entry *old;
	struct upd_manifest m;
	struct upd_view v;
	const char *uki = NULL;
	char target;

	if (bundle_load(fd, path, &buf, &m, &uki, e) < 0 || view_load(&v, e) < 0)
		return -e->code;
	entry_version(v.slot[v.booted.slot - 'a'], running, sizeof(running));
	if (version_floor(&m, running, o, e) < 0 || esp_room(m.size, e) < 0)
		return -e->code;
	if (sb_enabled() && sb_check_image((const uint8_t *)uki, m.size, e) < 0)
		return -e->code;
	target = v.booted.slot == 'a' ? 'b' : 'a';
	old = view_other(&v);
	upd_entry_name(v.max_gen + 1, target, o->tries, 0, name, sizeof(name));
	if (esp_write(UPD_ESP_DIR, name, uki, m.size, e) < 0)
		return -e->code;
	/* the new entry is in place: only now the slot's old ones go */
	for (int i = 0; i < v.n; i++) {
		char p[600];

		if (v.en[i].slot != target)
			continue;
		snprintf(p, sizeof(p), UPD_ESP_DIR "/" ESP_LINUX "/%s", v.en[i].name);
		if (unlink(p) < 0)
			fprintf(stderr, "berth: update: warning: remove %s: %s\n", v.en[i].name,
				strerror(errno));
	}
	sync();
	printf("Version %s written to slot %c (%s%s); it boots next, %d %s\n", m.version, target,
	       name, old ? ", replacing its old image" : "", o->tries,
	       o->tries == 1 ? "try" : "tries");
	return 0;
}

static int apply_cmd_run(void *ctx, int argc, char **argv);
static const struct flg_cmd apply_cmd = {
	.path = "update apply",
	.usage = "[OPTIONS] FILE|URL",
	.desc = "Verify a signed update bundle and write it to the slot that is not running",
	.flags = apply_flags,
	.run = apply_cmd_run,
	.min_args = 1,
	.max_args = 1,
};

/* The bundle's fd: the file, or a URL downloaded to an unlinked temp file. */
static int apply_open(const char *root, const char *src, int *fd, struct berr *e)
{
	if (upd_is_url(src))
		return upd_download(root, src, UPD_BUNDLE_MAX, fd, e);
	*fd = open(src, O_RDONLY | O_CLOEXEC);
	return *fd < 0 ? berr_set(e, errno, "%s", src) : 0;
}

static int apply_cmd_run(void *ctx, int argc, char **argv)
{
	struct apply_opts o = { .tries = UPD_TRIES };
	struct flg_out a;
	struct berr e;
	_cleanup_fd_ int fd = -1;

	if (flg_verb(&apply_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (o.tries < 1 || o.tries > 9) {
		berr_msg(&e, EINVAL, "--tries %d: want 1 to 9", o.tries);
		return upd_fail(&e);
	}
	if (apply_open(ctx ? ctx : "", a.argv[0], &fd, &e) < 0)
		return upd_fail(&e);
	return apply_run(fd, a.argv[0], &o, &e) < 0 ? upd_fail(&e) : 0;
}

/* ---- status ---- */

static void status_slot(const struct upd_view *v, char slot)
{
	const struct upd_entry *en = v->slot[slot - 'a'];
	char ver[UPD_VERSION_MAX];

	if (!en) {
		printf("Slot %c:        empty\n", slot);
		return;
	}
	entry_version(en, ver, sizeof(ver));
	printf("Slot %c:        version %s, %s", slot, ver, upd_entry_state(en));
	if (en->left > 0)
		printf(", %d tries left, %d done", en->left, en->done);
	printf("%s (%s)\n", v->booted.slot == slot ? ", booted" : "", en->name);
}

/* Why the failed entry en gave up, from the record its trial boot left
 * on the ESP; a slot that panicked or hung left none. */
static void status_reason(const struct upd_entry *en, char *why, size_t size)
{
	char rec[400], slot;
	unsigned long gen;
	int at = 0;

	if (read_file(UPD_ESP_DIR "/" UPD_RESULT, rec, sizeof(rec)) > 0 &&
	    sscanf(rec, "%lu-%c %n", &gen, &slot, &at) == 2 && at > 0 && gen == en->gen &&
	    slot == en->slot) {
		snprintf(why, size, "%s", strstrip(rec + at));
		return;
	}
	snprintf(why, size, "the trial boot never reported: the kernel panicked, hung or was "
		 "reset before the services came up");
}

/* What became of the last update: the slot with the highest generation. */
static void status_last(const struct upd_view *v)
{
	const struct upd_entry *cur = v->slot[v->booted.slot - 'a'], *oth = view_other(v);
	char ver[UPD_VERSION_MAX], why[400];

	if (!oth || !cur || (oth->gen < cur->gen && oth->left != 0)) {
		if (cur && cur->left > 0)
			printf("Last update:  on trial in slot %c: marked good once the data disk, "
			       "the network and the services are up for berth.update-grace\n",
			       cur->slot);
		else
			printf("Last update:  slot %c, booted and marked good\n", v->booted.slot);
		return;
	}
	entry_version(oth, ver, sizeof(ver));
	if (oth->left == 0) {
		status_reason(oth, why, sizeof(why));
		printf("Last update:  version %s in slot %c failed (%d %s used: %s); rolled back "
		       "to slot %c\n", ver, oth->slot, oth->done, oth->done == 1 ? "try" : "tries",
		       why, cur->slot);
	} else {
		printf("Last update:  version %s in slot %c waits for the next boot\n", ver,
		       oth->slot);
	}
}

static int status_run(struct berr *e)
{
	struct upd_view v;
	char ver[UPD_VERSION_MAX];

	if (view_load(&v, e) < 0)
		return -e->code;
	entry_version(v.slot[v.booted.slot - 'a'], ver, sizeof(ver));
	printf("Booted:       slot %c, version %s\n", v.booted.slot, ver);
	if (v.n > 0) {
		entry_version(&v.en[0], ver, sizeof(ver));
		printf("Next boot:    slot %c, version %s\n", v.en[0].slot, ver);
	}
	status_slot(&v, 'a');
	status_slot(&v, 'b');
	status_last(&v);
	return 0;
}

static int status_cmd_run(void *ctx, int argc, char **argv);
static const struct flg_cmd status_cmd = {
	.path = "update status",
	.usage = "",
	.desc = "Show the slots, their versions, which one booted and what boots next",
	.run = status_cmd_run,
};

static int status_cmd_run(void *ctx, int argc, char **argv)
{
	struct flg_out a;
	struct berr e;

	(void)ctx;
	if (flg_verb(&status_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	return status_run(&e) < 0 ? upd_fail(&e) : 0;
}

/* ---- rollback ---- */

static int rollback_run(struct berr *e)
{
	char name[UPD_NAME_MAX], ver[UPD_VERSION_MAX];
	const struct upd_entry *oth;
	struct upd_view v;

	if (view_load(&v, e) < 0)
		return -e->code;
	oth = view_other(&v);
	if (!oth)
		return berr_msg(e, ENOENT, "slot %c is empty: nothing to roll back to",
				v.booted.slot == 'a' ? 'b' : 'a');
	entry_version(oth, ver, sizeof(ver));
	if (oth->left == 0)
		return berr_msg(e, EINVAL, "slot %c (version %s) has no tries left: it failed to "
				"boot; nothing to roll back to", oth->slot, ver);
	upd_entry_name(v.max_gen + 1, oth->slot, oth->left, oth->done, name, sizeof(name));
	if (oth != &v.en[0]) {
		if (esp_rename(UPD_ESP_DIR, oth->name, name, e) < 0)
			return -e->code;
	}
	sync();
	printf("Slot %c (version %s) boots next; reboot to roll back\n", oth->slot, ver);
	return 0;
}

static int rollback_cmd_run(void *ctx, int argc, char **argv);
static const struct flg_cmd rollback_cmd = {
	.path = "update rollback",
	.usage = "",
	.desc = "Boot the other slot next (the version before the last update)",
	.run = rollback_cmd_run,
};

static int rollback_cmd_run(void *ctx, int argc, char **argv)
{
	struct flg_out a;
	struct berr e;

	(void)ctx;
	if (flg_verb(&rollback_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	return rollback_run(&e) < 0 ? upd_fail(&e) : 0;
}

static const struct flg_cmd *const upd_cmds[] = {
	&apply_cmd, &status_cmd, &rollback_cmd,
	&upd_keygen_cmd, &upd_pubkey_cmd, &upd_sign_cmd, &upd_bless_cmd, NULL,
};

const struct flg_cmd upd_cmd = {
	.path = "update",
	.usage = "COMMAND",
	.desc = "Update the appliance: signed A/B slots with automatic rollback",
	.cmds = upd_cmds,
};

int upd_main(const char *root, int argc, char **argv)
{
	const struct flg_cmd *sub = argc > 1 ? flg_find_cmd(&upd_cmd, argv[1]) : NULL;

	if (sub)
		return sub->run((void *)root, argc - 1, argv + 1);
	if (argc > 1) {
		fprintf(stderr, "berth: unknown update command: %s\n", argv[1]);
		flg_help(&upd_cmd, stderr);
		return 1;
	}
	flg_help(&upd_cmd, stdout);
	return 0;
}
