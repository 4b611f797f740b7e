/* bundle.c - the update bundle's manifest: parse, make, verify; keys. */
#include "bundle.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/eddsa.h>

#include "runtime/lib/file.h"

#define UPD_MAGIC "berth-update-bundle 1\n"

void upd_hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

static int unhex(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (v < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] | v) : v << 4);
	}
	return 0;
}

int upd_version_check(const char *v, struct berr *e)
{
	size_t n = strlen(v);

	if (n == 0 || n >= UPD_VERSION_MAX)
		return berr_msg(e, EINVAL, "version \"%.80s\": want 1 to %d characters", v,
				UPD_VERSION_MAX - 1);
	if (strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+~-") != n)
		return berr_msg(e, EINVAL, "version \"%s\": only letters, digits and ._+~- allowed",
				v);
	return 0;
}

/* One "key: value\n" line at *pos; value into val (NUL-terminated). */
static int field(const char *buf, size_t len, size_t *pos, const char *key, char *val,
		 size_t size, struct berr *e)
{
	size_t klen = strlen(key), start = *pos, end;
	const char *nl;

	if (len - start < klen + 2 || memcmp(buf + start, key, klen) != 0 ||
	    memcmp(buf + start + klen, ": ", 2) != 0)
		return berr_msg(e, EINVAL, "manifest: expected \"%s:\"", key);
	start += klen + 2;
	nl = memchr(buf + start, '\n', len - start);
	if (!nl)
		return berr_msg(e, EINVAL, "manifest: the %s line does not end", key);
	end = nl - buf;
	if (end - start >= size || memchr(buf + start, '\0', end - start))
		return berr_msg(e, EINVAL, "manifest: bad %s", key);
	memcpy(val, buf + start, end - start);
	val[end - start] = '\0';
	*pos = end + 1;
	return 0;
}

static int parse_size(const char *s, uint64_t *out, struct berr *e)
{
	char *end;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1]))
		return berr_msg(e, EINVAL, "manifest: bad size \"%s\"", s);
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out == 0)
		return berr_msg(e, EINVAL, "manifest: bad size \"%s\"", s);
	return 0;
}

int upd_manifest_parse(const char *buf, size_t len, struct upd_manifest *m, struct berr *e)
{
	char val[160];
	size_t pos = sizeof(UPD_MAGIC) - 1;

	memset(m, 0, sizeof(*m));
	if (len > UPD_HEADER_MAX)
		len = UPD_HEADER_MAX;
	if (len < pos || memcmp(buf, UPD_MAGIC, pos) != 0)
		return berr_msg(e, EINVAL, "not a berth update bundle (no \"berth-update-bundle 1\")");
	if (field(buf, len, &pos, "version", val, sizeof(val), e) < 0)
		return -EINVAL;
	if (upd_version_check(val, e) < 0)
		return berr_wrap(e, "manifest");
	snprintf(m->version, sizeof(m->version), "%s", val);
	if (field(buf, len, &pos, "size", val, sizeof(val), e) < 0 ||
	    parse_size(val, &m->size, e) < 0)
		return -EINVAL;
	if (field(buf, len, &pos, "sha256", val, sizeof(val), e) < 0)
		return -EINVAL;
	if (strlen(val) != 64 || unhex(val, 32, m->sha256) < 0)
		return berr_msg(e, EINVAL, "manifest: bad sha256");
	m->signed_len = pos;
	if (field(buf, len, &pos, "signature", val, sizeof(val), e) < 0)
		return -EINVAL;
	if (strlen(val) != 2 * UPD_SIG_LEN || unhex(val, UPD_SIG_LEN, m->sig) < 0)
		return berr_msg(e, EINVAL, "manifest: bad signature");
	if (pos >= len || buf[pos] != '\n')
		return berr_msg(e, EINVAL, "manifest: no empty line after the signature");
	m->header_len = pos + 1;
	return 0;
}

int upd_manifest_make(const char *version, uint64_t size, const uint8_t sha256[32],
		      const uint8_t seed[UPD_KEY_LEN], char *out, size_t outsize, struct berr *e)
{
	char hex[65], sighex[2 * UPD_SIG_LEN + 1];
	uint8_t pub[UPD_KEY_LEN], sig[UPD_SIG_LEN];
	int n, m;

	if (upd_version_check(version, e) < 0)
		return -EINVAL;
	upd_hex(sha256, 32, hex);
	n = snprintf(out, outsize, UPD_MAGIC "version: %s\nsize: %" PRIu64 "\nsha256: %s\n",
		     version, size, hex);
	if (n < 0 || (size_t)n >= outsize)
		return berr_msg(e, ENOSPC, "manifest too long");
	upd_key_public(seed, pub);
	ed25519_sha512_sign(pub, seed, n, (const uint8_t *)out, sig);
	upd_hex(sig, UPD_SIG_LEN, sighex);
	m = snprintf(out + n, outsize - n, "signature: %s\n\n", sighex);
	if (m < 0 || (size_t)m >= outsize - n)
		return berr_msg(e, ENOSPC, "manifest too long");
	return n + m;
}

int upd_manifest_verify(const char *buf, const struct upd_manifest *m,
			const uint8_t pub[UPD_KEY_LEN], struct berr *e)
{
	if (!ed25519_sha512_verify(pub, m->signed_len, (const uint8_t *)buf, m->sig))
		return berr_msg(e, EBADMSG,
				"the signature does not match the update key of this system");
	return 0;
}

int upd_key_parse(const char *text, uint8_t key[UPD_KEY_LEN], struct berr *e)
{
	size_t n = strlen(text);

	if (n < 64 || unhex(text, UPD_KEY_LEN, key) < 0 || strspn(text + 64, "\n") != n - 64)
		return berr_msg(e, EINVAL, "not a key (want 64 hex digits)");
	return 0;
}

int upd_key_load(const char *path, uint8_t key[UPD_KEY_LEN], struct berr *e)
{
	char text[256];
	ssize_t n = read_file(path, text, sizeof(text));

	if (n < 0)
		return berr_set(e, (int)-n, "%s", path);
	if (upd_key_parse(text, key, e) < 0)
		return berr_wrap(e, "%s", path);
	return 0;
}

void upd_key_public(const uint8_t seed[UPD_KEY_LEN], uint8_t pub[UPD_KEY_LEN])
{
	ed25519_sha512_public_key(pub, seed);
}
