/* digest.c - sha256 via nettle; see digest.h. */
#include "digest.h"

#include <errno.h>
#include <nettle/sha2.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(struct dg_ctx), "dg_ctx too small");

void dg_init(struct dg_ctx *c)
{
	sha256_init((struct sha256_ctx *)c);
}

void dg_update(struct dg_ctx *c, const void *data, size_t len)
{
	sha256_update((struct sha256_ctx *)c, len, data);
}

void dg_final(struct dg_ctx *c, char out[DG_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[SHA256_DIGEST_SIZE];

	sha256_digest((struct sha256_ctx *)c, sizeof(raw), raw);
	memcpy(out, "sha256:", 7);
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[7 + 2 * i] = hex[raw[i] >> 4];
		out[8 + 2 * i] = hex[raw[i] & 15];
	}
	out[7 + 2 * SHA256_DIGEST_SIZE] = '\0';
}

void dg_buffer(const void *data, size_t len, char out[DG_STR_LEN])
{
	struct dg_ctx c;

	dg_init(&c);
	dg_update(&c, data, len);
	dg_final(&c, out);
}

int dg_fd(int fd, char out[DG_STR_LEN], uint64_t *size, struct berr *e)
{
	char buf[65536];
	struct dg_ctx c;
	uint64_t total = 0;

	dg_init(&c);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berr_set(e, errno, "read");
		if (n == 0)
			break;
		dg_update(&c, buf, n);
		total += n;
	}
	dg_final(&c, out);
	if (size)
		*size = total;
	return 0;
}

bool dg_valid(const char *d)
{
	return d && strncmp(d, "sha256:", 7) == 0 && strlen(d + 7) == DG_HEX_LEN &&
	       strspn(d + 7, "0123456789abcdef") == DG_HEX_LEN;
}
