/* download.c - an update bundle over http(s); see download.h. */
#include "download.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"
#include "runtime/registry/client.h"

struct dl {
	int fd;
	size_t got, max;
	int err; /* a write's errno, or EFBIG */
};

bool upd_is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static size_t dl_write(char *b, size_t size, size_t n, void *arg)
{
	struct dl *d = arg;
	size_t len = size * n;
	int r;

	if (len > d->max - d->got) {
		d->err = EFBIG;
		return 0;
	}
	r = write_all(d->fd, b, len);
	if (r < 0) {
		d->err = -r;
		return 0;
	}
	d->got += len;
	return len;
}

/* An unlinked temp file on /data (a disk), or in /tmp without one. */
static int dl_tmpfile(struct berr *e)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/data/.berth-update-XXXXXX");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		snprintf(path, sizeof(path), "/tmp/.berth-update-XXXXXX");
		fd = mkostemp(path, O_CLOEXEC);
	}
	if (fd < 0)
		return berr_set(e, errno, "a temp file for the download");
	berr_ignore(unlink(path)); /* the fd keeps it; a crash leaves nothing */
	return fd;
}

static int dl_result(const char *url, CURLcode cc, long status, const struct dl *d,
		     const char *errbuf, struct berr *e)
{
	if (d->err) /* EFBIG: more than max */
		return berr_set(e, d->err, "%s: download", url);
	if (cc == CURLE_OK && status >= 300)
		return berr_msg(e, status == 404 ? ENOENT : EIO, "%s: the server answered HTTP %ld",
				url, status);
	if (cc == CURLE_PARTIAL_FILE)
		return berr_msg(e, EIO, "%s: truncated: %s", url, errbuf);
	if (cc != CURLE_OK)
		return berr_msg(e, cc == CURLE_COULDNT_RESOLVE_HOST ? ENOENT : EIO, "%s: %s", url,
				*errbuf ? errbuf : curl_easy_strerror(cc));
	return 0;
}

/* One GET of url into d->fd with the registry client's options. */
static int dl_get(const struct reg_conf *conf, const char *url, struct dl *d, struct berr *e)
{
	struct reg_client c = { .conf = conf };
	struct curl_slist *hdrs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode cc;
	CURL *h = curl_easy_init();

	if (!h || reg_client_prepare(&c, h, url, NULL, &hdrs) < 0) {
		if (h)
			curl_easy_cleanup(h);
		return berr_set(e, ENOMEM, "%s", url);
	}
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, dl_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, d);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L); /* no error page in the file */
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	if (cc == CURLE_HTTP_RETURNED_ERROR)
		cc = CURLE_OK;
	return dl_result(url, cc, status, d, errbuf, e);
}

int upd_download(const char *root, const char *url, size_t max, int *fd, struct berr *e)
{
	struct reg_conf conf = { 0 };
	struct dl d = { .max = max };
	int r;

	if (reg_conf_load(root, &conf, e) < 0)
		return -e->code;
	d.fd = dl_tmpfile(e);
	r = d.fd < 0 ? d.fd : dl_get(&conf, url, &d, e);
	reg_conf_free(&conf);
	if (r == 0 && lseek(d.fd, 0, SEEK_SET) < 0)
		r = berr_set(e, errno, "%s: rewind the download", url);
	if (r < 0) {
		if (d.fd >= 0)
			close(d.fd);
		return r;
	}
	*fd = d.fd;
	return 0;
}
