/* update_tools.c - the build's hidden helpers: make the signing key, print
 * its public half, sign a UKI into a bundle (mk/disk.sh runs them on the
 * build host; the private key never enters the image). */
#include "update.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bundle.h"
#include "runtime/lib/digest.h"
#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

static int keygen_run(void *ctx, int argc, char **argv);
const struct flg_cmd upd_keygen_cmd = {
	.path = "update keygen",
	.usage = "FILE",
	.desc = "Make an ed25519 update signing key (build time)",
	.run = keygen_run,
	.min_args = 1,
	.max_args = 1,
	.hidden = true,
};

static int keygen_run(void *ctx, int argc, char **argv)
{
	uint8_t seed[UPD_KEY_LEN];
	char hex[2 * UPD_KEY_LEN + 2];
	struct flg_out a;
	struct berr e;
	_cleanup_fd_ int fd = -1;

	(void)ctx;
	if (flg_verb(&upd_keygen_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed)) {
		berr_set(&e, errno, "getrandom");
		return upd_fail(&e);
	}
	upd_hex(seed, sizeof(seed), hex);
	strcat(hex, "\n");
	fd = open(a.argv[0], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write_all(fd, hex, strlen(hex)) < 0 || fsync(fd) < 0) {
		berr_set(&e, errno, "%s", a.argv[0]);
		return upd_fail(&e);
	}
	return 0;
}

static int pubkey_run(void *ctx, int argc, char **argv);
const struct flg_cmd upd_pubkey_cmd = {
	.path = "update pubkey",
	.usage = "KEYFILE",
	.desc = "Print the public key of a signing key (build time)",
	.run = pubkey_run,
	.min_args = 1,
	.max_args = 1,
	.hidden = true,
};

static int pubkey_run(void *ctx, int argc, char **argv)
{
	uint8_t seed[UPD_KEY_LEN], pub[UPD_KEY_LEN];
	char hex[2 * UPD_KEY_LEN + 1];
	struct flg_out a;
	struct berr e;

	(void)ctx;
	if (flg_verb(&upd_pubkey_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	if (upd_key_load(a.argv[0], seed, &e) < 0)
		return upd_fail(&e);
	upd_key_public(seed, pub);
	upd_hex(pub, sizeof(pub), hex);
	printf("%s\n", hex);
	return 0;
}

struct sign_opts {
	const char *key, *version, *output;
};

#define SG(f) struct sign_opts, f
static const struct flg sign_flags[] = {
	FLG_STRING(0, "key", SG(key), "The signing key `FILE`"),
	FLG_STRING(0, "version", SG(version), "The version the bundle carries"),
	FLG_STRING('o', "output", SG(output), "Write the bundle to `FILE`"),
	FLG_END,
};

static int sign_run(void *ctx, int argc, char **argv);
const struct flg_cmd upd_sign_cmd = {
	.path = "update sign",
	.usage = "--key FILE --version V -o BUNDLE UKI",
	.desc = "Sign a Unified Kernel Image into an update bundle (build time)",
	.flags = sign_flags,
	.run = sign_run,
	.min_args = 1,
	.max_args = 1,
	.hidden = true,
};

static int sign_write(const struct sign_opts *o, const char *uki, struct berr *e)
{
	_cleanup_free_ char *img = NULL, *out = NULL;
	uint8_t seed[UPD_KEY_LEN], sha[32];
	char dg[DG_STR_LEN];
	size_t len;
	int n, r;

	if (upd_key_load(o->key, seed, e) < 0)
		return -e->code;
	r = read_file_all(uki, 1u << 30, &img, &len);
	if (r < 0)
		return berr_set(e, -r, "%s", uki);
	dg_buffer(img, len, dg);
	for (int i = 0; i < 32; i++)
		sscanf(dg_hex(dg) + 2 * i, "%2hhx", &sha[i]);
	out = malloc(UPD_HEADER_MAX + len);
	if (!out)
		return berr_set(e, ENOMEM, "bundle");
	n = upd_manifest_make(o->version, len, sha, seed, out, UPD_HEADER_MAX, e);
	if (n < 0)
		return n;
	memcpy(out + n, img, len);
	r = write_file_atomic(o->output, out, n + len, 0644);
	if (r < 0)
		return berr_set(e, -r, "%s", o->output);
	return 0;
}

static int sign_run(void *ctx, int argc, char **argv)
{
	struct sign_opts o = { 0 };
	struct flg_out a;
	struct berr e;

	(void)ctx;
	if (flg_verb(&upd_sign_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (!o.key || !o.version || !o.output)
		return flg_fail(&upd_sign_cmd, "--key, --version and -o are required");
	return sign_write(&o, a.argv[0], &e) < 0 ? upd_fail(&e) : 0;
}
