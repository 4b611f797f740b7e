/* resolv.h - a container's /etc/resolv.conf from the host's, as Docker
 * makes it: nameservers on loopback (127.x, ::1) mean nothing inside a
 * network namespace and go, as do IPv6 ones (containers have no IPv6
 * here); other lines stay. With no nameserver left, Docker's fallback
 * servers 8.8.8.8 and 8.8.4.4. */
#ifndef BERTH_RESOLV_H
#define BERTH_RESOLV_H

#include <stddef.h>

/* in: the host's file (NUL-terminated, may be empty). The result is cut
 * at size - 1 bytes on a line boundary. */
void resolv_filter(const char *in, char *out, size_t size);

#endif
