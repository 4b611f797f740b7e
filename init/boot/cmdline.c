#include "cmdline.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BRIDGE "172.17.0.1/16"
#define DEFAULT_DATA "berth-data"
#define DEFAULT_COMPOSE "/etc/berth/compose.yaml"

void cmdline_defaults(struct boot_params *p)
{
	memset(p, 0, sizeof(*p));
	p->console = CONSOLE_SHELL;
	p->ip_mode = IP_DHCP;
	snprintf(p->bridge_cidr, sizeof(p->bridge_cidr), "%s", DEFAULT_BRIDGE);
	snprintf(p->data, sizeof(p->data), "%s", DEFAULT_DATA);
	snprintf(p->compose, sizeof(p->compose), "%s", DEFAULT_COMPOSE);
	p->update_grace = 60;
}

/* ADDR/PREFIX with an IPv4 address and a prefix 0..32. */
static bool cidr_valid(const char *s)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	struct in_addr in;
	char *end;
	long prefix;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return false;
	memcpy(addr, s, slash - s);
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return false;
	prefix = strtol(slash + 1, &end, 10);
	return end != slash + 1 && *end == '\0' && prefix >= 0 && prefix <= 32;
}

static void warnf(cmdline_warn_fn warn, void *ctx, int *count, const char *fmt, const char *a,
		  const char *b)
{
	char msg[512];

	snprintf(msg, sizeof(msg), fmt, a, b);
	if (warn)
		warn(ctx, msg);
	(*count)++;
}

static void parse_ip(const char *val, struct boot_params *p, cmdline_warn_fn warn, void *ctx,
		     int *count)
{
	char buf[128];
	char *comma;
	struct in_addr gw;

	if (strcmp(val, "dhcp") == 0) {
		p->ip_mode = IP_DHCP;
		return;
	}
	if (strcmp(val, "none") == 0 || strcmp(val, "off") == 0) {
		p->ip_mode = IP_NONE;
		return;
	}
	snprintf(buf, sizeof(buf), "%s", val);
	comma = strchr(buf, ',');
	if (comma)
		*comma++ = '\0';
	if (strlen(buf) >= sizeof(p->ip_cidr) || !cidr_valid(buf) ||
	    (comma && inet_pton(AF_INET, comma, &gw) != 1)) {
		warnf(warn, ctx, count,
		      "berth.ip=%s: want ADDR/PREFIX[,GATEWAY], dhcp or none; using DHCP%s", val, "");
		return;
	}
	p->ip_mode = IP_STATIC;
	snprintf(p->ip_cidr, sizeof(p->ip_cidr), "%s", buf);
	snprintf(p->ip_gateway, sizeof(p->ip_gateway), "%s", comma ? comma : "");
}

/* A whole decimal number of seconds in lo..hi into *out; false (and *out
 * untouched) otherwise. */
static bool seconds_in(const char *val, long lo, long hi, int *out)
{
	char *end;
	long v;

	if (!val)
		return false;
	errno = 0;
	v = strtol(val, &end, 10);
	if (end == val || *end || errno || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

static void parse_one(const char *key, const char *val, struct boot_params *p,
		      cmdline_warn_fn warn, void *ctx, int *count)
{
	if (strcmp(key, "console") == 0) {
		if (val && strcmp(val, "shell") == 0)
			p->console = CONSOLE_SHELL;
		else if (val && strcmp(val, "restricted") == 0)
			p->console = CONSOLE_RESTRICTED;
		else if (val && strcmp(val, "none") == 0)
			p->console = CONSOLE_NONE;
		else
			warnf(warn, ctx, count,
			      "berth.console=%s: want shell, restricted or none%s",
			      val ? val : "", "");
	} else if (strcmp(key, "ip") == 0) {
		if (val)
			parse_ip(val, p, warn, ctx, count);
		else
			warnf(warn, ctx, count, "berth.ip needs a value%s%s", "", "");
	} else if (strcmp(key, "bridge") == 0) {
		if (val && strlen(val) < sizeof(p->bridge_cidr) && cidr_valid(val))
			snprintf(p->bridge_cidr, sizeof(p->bridge_cidr), "%s", val);
		else
			warnf(warn, ctx, count, "berth.bridge=%s: want ADDR/PREFIX; using %s",
			      val ? val : "", DEFAULT_BRIDGE);
	} else if (strcmp(key, "data") == 0) {
		if (val && *val && strlen(val) < sizeof(p->data))
			snprintf(p->data, sizeof(p->data), "%s", val);
		else
			warnf(warn, ctx, count, "berth.data=%s: want a label or a /dev path%s",
			      val ? val : "", "");
	} else if (strcmp(key, "debug") == 0) {
		p->debug = !val || strcmp(val, "0") != 0;
	} else if (strcmp(key, "compose") == 0) {
		if (val && (strcmp(val, "none") == 0 || (val[0] == '/' && strlen(val) < sizeof(p->compose))))
			snprintf(p->compose, sizeof(p->compose), "%s", val);
		else
			warnf(warn, ctx, count, "berth.compose=%s: want an absolute path or none%s",
			      val ? val : "", "");
	} else if (strcmp(key, "watchdog") == 0) {
		if (!seconds_in(val, 1, 3600, &p->watchdog))
			warnf(warn, ctx, count, "berth.watchdog=%s: want seconds (1..3600)%s",
			      val ? val : "", "");
	} else if (strcmp(key, "update-grace") == 0) {
		if (!seconds_in(val, 0, 86400, &p->update_grace))
			warnf(warn, ctx, count, "berth.update-grace=%s: want seconds (0..86400)%s",
			      val ? val : "", "");
	} else if (strcmp(key, "update-timeout") == 0) {
		if (!seconds_in(val, 1, 86400, &p->update_timeout))
			warnf(warn, ctx, count, "berth.update-timeout=%s: want seconds (1..86400)%s",
			      val ? val : "", "");
	} else {
		warnf(warn, ctx, count, "unknown kernel parameter berth.%s%s, ignored", key,
		      val ? "=..." : "");
	}
}

int cmdline_parse(const char *cmdline, struct boot_params *p, cmdline_warn_fn warn, void *ctx)
{
	const char *s = cmdline;
	int count = 0;

	while (*s) {
		char word[512];
		size_t n = 0;
		int quoted = 0;
		char *eq;

		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		/* The kernel allows double quotes around (part of) a parameter. */
		while (*s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n'))) {
			if (*s == '"')
				quoted = !quoted;
			else if (n + 1 < sizeof(word))
				word[n++] = *s;
			s++;
		}
		word[n] = '\0';
		if (strcmp(word, "--") == 0)
			break; /* the rest belongs to init's argv */
		if (strncmp(word, "berth.", 6) != 0)
			continue;
		eq = strchr(word, '=');
		if (eq)
			*eq = '\0';
		parse_one(word + 6, eq ? eq + 1 : NULL, p, warn, ctx, &count);
	}
	return count;
}
