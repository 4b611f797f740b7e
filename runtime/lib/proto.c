#include "proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int proto_split(char *line, char **argv, int max, struct berr *e)
{
	char *r = line, *w = line;
	int argc = 0;

	for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			return berr_msg(e, EINVAL, "control byte 0x%02x at offset %zu",
					*p, (size_t)(p - (const unsigned char *)line));
	}
	for (;;) {
		char quote = 0;

		while (is_blank(*r))
			r++;
		if (!*r)
			break;
		if (argc >= max)
			return berr_msg(e, E2BIG, "more than %d words", max);
		argv[argc++] = w;
		while (*r && (quote || !is_blank(*r))) {
			char c = *r++;

			if (quote == '\'') {
				if (c == '\'')
					quote = 0;
				else
					*w++ = c;
			} else if (quote == '"') {
				if (c == '"')
					quote = 0;
				else if (c == '\\' && (*r == '"' || *r == '\\'))
					*w++ = *r++;
				else
					*w++ = c;
			} else if (c == '\'' || c == '"') {
				quote = c;
			} else if (c == '\\') {
				if (!*r)
					return berr_msg(e, EINVAL, "backslash at end of line");
				*w++ = *r++;
			} else {
				*w++ = c;
			}
		}
		if (quote)
			return berr_msg(e, EINVAL, "unterminated %c quote", quote);
		/* Writing the terminator may overwrite the separator we are on. */
		if (*r)
			r++;
		*w++ = '\0';
	}
	argv[argc] = NULL;
	return argc;
}

int proto_parse_request(char *line, struct proto_request *req, struct berr *e)
{
	int argc = proto_split(line, req->argv, PROTO_ARGS_MAX, e);

	req->reply = NULL;
	req->argc = 0;
	if (argc < 0)
		return argc;
	if (argc > 0 && req->argv[0][0] == '@') {
		req->reply = req->argv[0] + 1;
		if (!*req->reply)
			return berr_msg(e, EINVAL, "empty reply path");
		memmove(req->argv, req->argv + 1, argc * sizeof(req->argv[0]));
		argc--;
	}
	req->argc = argc;
	return 0;
}

int proto_quote(char *buf, size_t size, size_t *len, const char *arg)
{
	size_t n = *len;
	int plain = *arg != '\0';

	for (const char *p = arg; *p; p++) {
		if (is_blank(*p) || strchr("'\"\\@#$`;&|<>(){}*?[]~", *p))
			plain = 0;
	}
#define PUT(c)                                                                                     \
	do {                                                                                       \
		if (n + 1 >= size)                                                                 \
			return -ENOSPC;                                                            \
		buf[n++] = (c);                                                                    \
	} while (0)
	if (plain) {
		for (const char *p = arg; *p; p++)
			PUT(*p);
	} else {
		PUT('\'');
		for (const char *p = arg; *p; p++) {
			if (*p == '\'') {
				/* close, escaped quote, reopen */
				PUT('\'');
				PUT('\\');
				PUT('\'');
				PUT('\'');
			} else {
				PUT(*p);
			}
		}
		PUT('\'');
	}
#undef PUT
	buf[n] = '\0';
	*len = n;
	return 0;
}

int proto_format_request(char *buf, size_t size, const char *reply, int argc, char *const argv[],
			 struct berr *e)
{
	size_t len = 0;
	size_t cap = size < PROTO_LINE_MAX + 1 ? size : PROTO_LINE_MAX + 1;

	if (cap < 2)
		return berr_msg(e, ENOSPC, "no room for a request");
	buf[0] = '\0';
	if (reply) {
		char word[PROTO_LINE_MAX];
		if (snprintf(word, sizeof(word), "@%s", reply) >= (int)sizeof(word) ||
		    proto_quote(buf, cap - 1, &len, word) < 0)
			goto too_long;
	}
	for (int i = 0; i < argc; i++) {
		if (len > 0) {
			if (len + 2 >= cap - 1)
				goto too_long;
			buf[len++] = ' ';
		}
		for (const unsigned char *p = (const unsigned char *)argv[i]; *p; p++) {
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
				return berr_msg(e, EINVAL,
						"argument %d holds a control character", i + 1);
		}
		if (proto_quote(buf, cap - 1, &len, argv[i]) < 0)
			goto too_long;
	}
	buf[len++] = '\n';
	buf[len] = '\0';
	return len;
too_long:
	return berr_msg(e, E2BIG, "request longer than %d bytes", PROTO_LINE_MAX);
}

int proto_status_line(const char *line, int *code)
{
	char *end;
	long v;

	if (strncmp(line, PROTO_STATUS_PREFIX, strlen(PROTO_STATUS_PREFIX)) != 0)
		return 0;
	v = strtol(line + strlen(PROTO_STATUS_PREFIX), &end, 10);
	if (end == line + strlen(PROTO_STATUS_PREFIX) || (*end && *end != '\n') || v < 0 ||
	    v > 255)
		return 0;
	*code = (int)v;
	return 1;
}
