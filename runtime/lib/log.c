#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int kmsg_fd = -1;
static int debug_on;

void log_to_kmsg(int enable)
{
	if (enable && kmsg_fd < 0)
		kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	else if (!enable && kmsg_fd >= 0) {
		close(kmsg_fd);
		kmsg_fd = -1;
	}
}

void log_set_debug(int enable)
{
	debug_on = enable;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	char line[1024];
	int off = 0, n;
	va_list ap;
	int saved = errno;

	if (lvl == LOG_LVL_DEBUG && !debug_on)
		return;
	if (kmsg_fd >= 0)
		off = snprintf(line, sizeof(line), "<%d>", (int)lvl);
	n = snprintf(line + off, sizeof(line) - off, "berth: ");
	off += n;
	va_start(ap, fmt);
	n = vsnprintf(line + off, sizeof(line) - off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	off += n;
	if (off > (int)sizeof(line) - 2)
		off = sizeof(line) - 2;
	line[off++] = '\n';
	if (kmsg_fd < 0 || write(kmsg_fd, line, off) < 0) {
		/* Before /dev is mounted, or on the host. */
		int skip = kmsg_fd >= 0 ? 3 : 0;
		(void)!write(STDERR_FILENO, line + skip, off - skip);
	}
	errno = saved;
}
