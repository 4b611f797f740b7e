/* etchosts.h - the text of a bridge container's /etc/hosts.
 *
 * Every running bridge container's /etc/hosts names all of them
 * ("IP<tab>HOSTNAME NAME"), so they reach each other by name without a
 * DNS server in PID 1. This module only builds the text (pure, no I/O);
 * the supervisor holds the files and writes them in place (they are
 * bind-mounted): a start appends its line to the others' files, an exit
 * rewrites them without it.
 */
#ifndef BERTH_ETCHOSTS_H
#define BERTH_ETCHOSTS_H

#include <stddef.h>

/* The lines every container's file starts with (and all of it off the
 * bridge). */
#define ETCHOSTS_LINE_MAX 512
#define ETCHOSTS_BASE "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"

/* One container on the bridge: its address, its hostname (the caller's
 * default when it has none), its name and, on a user network, its
 * aliases (--network-alias, a Compose service's name; NULL-terminated,
 * may be NULL). */
struct etchosts_entry {
	const char *ip;
	const char *hostname;
	const char *name;
	char *const *aliases;
};

/* "IP<tab>HOSTNAME NAME ALIAS...\n": the hostname cut at 63 bytes, the
 * name only when it differs from the hostname, the aliases as long as the
 * line stays under 512 bytes. Returns the length written, cut at size - 1
 * (0 when size is 0). */
size_t etchosts_line(const struct etchosts_entry *h, char *buf, size_t size);

/* A container's whole file: ETCHOSTS_BASE, self's line, then one line for
 * each of others[n] in that order. malloc'd and NUL-terminated, its length
 * in *len; NULL on ENOMEM. */
char *etchosts_text(const struct etchosts_entry *self, const struct etchosts_entry *others,
		    size_t n, size_t *len);

#endif
