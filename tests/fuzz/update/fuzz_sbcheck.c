/* The Secure Boot check's parsers (runtime/update/sbcheck.c): the input
 * as a PE image (its WIN_CERTIFICATE, the PKCS#7 SignedData in it and the
 * certificates that carries) and as the firmware's db (EFI signature
 * lists). They are static in sbcheck.c, inlined into their one caller
 * (berth's size), so the harness includes the file. */
#include "runtime/update/sbcheck.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mbedtls_x509_crt image, db;
	char cn[64];

	mbedtls_x509_crt_init(&image);
	mbedtls_x509_crt_init(&db);
	if (image_certs(data, size, &image) == 0) {
		if (!image.raw.p)
			abort();
		subject_cn(&image.subject, cn, sizeof(cn));
	}
	db_certs(data, size, &db);
	mbedtls_x509_crt_free(&image);
	mbedtls_x509_crt_free(&db);
	return 0;
}
