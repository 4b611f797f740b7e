/* download.h - `berth update apply URL`: the bundle over http or https
 * through the registry code's libcurl transport (the same TLS settings,
 * CA bundle, certs.d/HOST and insecure-registries of daemon.json), in the
 * CLI process. The bytes go to a temp file that is unlinked as soon as it
 * is made (on /data when it is mounted, else /tmp), so a crash or a power
 * cut leaves nothing behind; nothing is verified here: the caller reads
 * the fd back and verifies the bundle before it writes a slot.
 */
#ifndef BERTH_UPDATE_DOWNLOAD_H
#define BERTH_UPDATE_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime/lib/err.h"

/* True for an http:// or https:// URL (anything else is a file name). */
bool upd_is_url(const char *s);

/* GET url (at most max bytes) into a new unlinked temp file; *fd gets it,
 * positioned at 0. -errno with "URL: REASON" in e: the HTTP status (404),
 * "truncated" when the connection ended before Content-Length, the
 * transport's reason otherwise. root is the daemon.json root ("" on the
 * appliance). */
BERR_MUST int upd_download(const char *root, const char *url, size_t max, int *fd,
			   struct berr *e);

#endif
