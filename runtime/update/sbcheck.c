/* sbcheck.c - a UKI's Authenticode signer against the firmware's db; see
 * sbcheck.h. */
#include "sbcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/x509_crt.h>

#include "esp.h"
#include "runtime/lib/util.h"

#define EFI_GLOBAL "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define EFI_IMAGE_SECURITY "d719b2cb-3d3a-4596-a3bc-dad00e67656f"
/* EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072, as stored */
static const uint8_t cert_x509[16] = { 0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
				       0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72 };

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

bool sb_enabled(void)
{
	_cleanup_free_ char *v = NULL;
	size_t len;
	struct berr e;

	return esp_efivar("SecureBoot-" EFI_GLOBAL, &v, &len, &e) == 0 && len == 5 && v[4] == 1;
}

/* The PKCS#7 SignedData of the image's first WIN_CERTIFICATE (the
 * security data directory: index 4; its address is a file offset). */
static const uint8_t *pe_signature(const uint8_t *pe, size_t len, size_t *siglen)
{
	size_t opt, dir, at, size;

	if (len < 0x40 || pe[0] != 'M' || pe[1] != 'Z')
		return NULL;
	opt = get32(pe + 0x3c);
	if (opt > len || len - opt < 24 + 2 || memcmp(pe + opt, "PE\0\0", 4) != 0)
		return NULL;
	opt += 24;
	/* PE32+ (0x20b) has its data directories at 112, PE32 at 96 */
	dir = opt + (pe[opt] == 0x0b && pe[opt + 1] == 0x02 ? 112 : 96) + 4 * 8;
	if (dir > len || len - dir < 8)
		return NULL;
	at = get32(pe + dir);
	size = get32(pe + dir + 4);
	if (size < 8 || at > len || size > len - at || get32(pe + at) < 8 ||
	    get32(pe + at) > size || pe[at + 6] != 2 || pe[at + 7] != 0) /* PKCS_SIGNED_DATA */
		return NULL;
	*siglen = get32(pe + at) - 8;
	return pe + at + 8;
}

/* The certificates of a SignedData: ContentInfo { OID, [0] { SignedData {
 * version, digestAlgorithms, contentInfo, [0] IMPLICIT certificates } } }. */
static int p7_certs(const uint8_t *der, size_t len, mbedtls_x509_crt *out)
{
	unsigned char *p = (unsigned char *)der, *end = p + len, *cend;
	const int C = MBEDTLS_ASN1_CONSTRUCTED, X = MBEDTLS_ASN1_CONTEXT_SPECIFIC;
	const int skip[] = { MBEDTLS_ASN1_INTEGER, C | MBEDTLS_ASN1_SET,
			     C | MBEDTLS_ASN1_SEQUENCE };
	size_t l;

	if (mbedtls_asn1_get_tag(&p, end, &l, C | MBEDTLS_ASN1_SEQUENCE) ||
	    mbedtls_asn1_get_tag(&p, end, &l, MBEDTLS_ASN1_OID))
		return -EINVAL;
	p += l;
	if (mbedtls_asn1_get_tag(&p, end, &l, C | X) ||
	    mbedtls_asn1_get_tag(&p, end, &l, C | MBEDTLS_ASN1_SEQUENCE))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++) {
		if (mbedtls_asn1_get_tag(&p, end, &l, skip[i]))
			return -EINVAL;
		p += l;
	}
	if (mbedtls_asn1_get_tag(&p, end, &l, C | X))
		return -EINVAL;
	for (cend = p + l; p < cend; p += l) {
		unsigned char *q = p;

		if (mbedtls_asn1_get_tag(&q, cend, &l, C | MBEDTLS_ASN1_SEQUENCE))
			return -EINVAL;
		l += q - p;
		if (mbedtls_x509_crt_parse_der(out, p, l))
			return -EINVAL;
	}
	return 0;
}

/* The X.509 certificates of an EFI signature database (db's value after
 * the 4 bytes of attributes) added to out. */
static void db_certs(const uint8_t *p, size_t len, mbedtls_x509_crt *out)
{
	const uint8_t *end = p + len;

	/* EFI_SIGNATURE_LISTs: type GUID, list size, header size, signature
	 * size, header, then owner GUID and data each */
	while (end - p >= 28) {
		uint32_t lsize = get32(p + 16), hsize = get32(p + 20), ssize = get32(p + 24);
		const uint8_t *s = p + 28 + hsize, *lend = p + lsize;

		if (lsize < 28 || lsize > (size_t)(end - p) || hsize > lsize - 28 || ssize <= 16)
			break;
		/* a certificate mbedTLS cannot read is left out: others may do */
		for (; memcmp(p, cert_x509, 16) == 0 && lend - s >= ssize; s += ssize)
			berr_ignore(mbedtls_x509_crt_parse_der(out, s + 16, ssize - 16));
		p = lend;
	}
}

/* The certificates of the image's signature added to out; -ENOKEY when
 * it has none that can be read. */
static int image_certs(const uint8_t *pe, size_t len, mbedtls_x509_crt *out)
{
	size_t siglen;
	const uint8_t *sig = pe_signature(pe, len, &siglen);

	return sig && p7_certs(sig, siglen, out) == 0 && out->raw.p ? 0 : -ENOKEY;
}

/* The signer's common name (mbedtls_x509_dn_gets would pull in OID tables). */
static void subject_cn(const mbedtls_x509_name *n, char *out, size_t size)
{
	for (; n; n = n->next)
		if (n->oid.len == 3 && !memcmp(n->oid.p, "\x55\x04\x03", 3)) {
			snprintf(out, size, "%.*s", (int)n->val.len, (const char *)n->val.p);
			return;
		}
}

int sb_check_image(const uint8_t *pe, size_t len, struct berr *e)
{
	_cleanup_free_ char *db_var = NULL;
	mbedtls_x509_crt signer, db;
	size_t db_len;
	uint32_t flags = 0;
	char who[256] = "?";
	int r = 0;

	mbedtls_x509_crt_init(&signer);
	mbedtls_x509_crt_init(&db);
	if (image_certs(pe, len, &signer) < 0) {
		r = berr_msg(e, EKEYREJECTED, "the image has no readable Secure Boot signature and "
			     "this box boots with Secure Boot on: its firmware would refuse it");
	} else if (esp_efivar("db-" EFI_IMAGE_SECURITY, &db_var, &db_len, e) < 0) {
		r = berr_wrap(e, "the firmware's trusted keys");
	} else {
		db_certs((const uint8_t *)db_var + 4, db_len - 4, &db);
		if (mbedtls_x509_crt_verify(&signer, db.raw.p ? &db : NULL, NULL, NULL, &flags,
					    NULL, NULL) != 0 &&
		    (flags & (MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING))) {
			subject_cn(&signer.subject, who, sizeof(who));
			r = berr_msg(e, EKEYREJECTED, "the image is signed for Secure Boot by "
				     "\"CN=%s\", which the firmware's db does not trust: it would "
				     "refuse to boot it", who);
		}
	}
	mbedtls_x509_crt_free(&signer);
	mbedtls_x509_crt_free(&db);
	return r;
}
