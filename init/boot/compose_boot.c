#include "compose_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "timeline.h"
#include "runtime/lib/log.h"

#define PREFIX "berth compose: "

/* One line to the console and to the kernel log (level 6 for output, 5
 * for errors: below the console's loglevel, so it is not printed twice). */
static void relay_line(int kmsg, int con, const char *line, size_t len, int level)
{
	char buf[1200];
	int n;
	bool has = len >= strlen(PREFIX) && strncmp(line, PREFIX, strlen(PREFIX)) == 0;

	while (len && (line[0] == ' ' || line[0] == '\t'))
		line++, len--;
	/* the CLI's own error prefix: this relay names the source already */
	if (!has && len >= 7 && strncmp(line, "berth: ", 7) == 0)
		line += 7, len -= 7;
	if (len > 1024)
		len = 1024;
	n = snprintf(buf, sizeof(buf), "<%d>%s%.*s\n", level, has ? "" : PREFIX, (int)len, line);
	if (kmsg >= 0)
		(void)!write(kmsg, buf, n);
	if (con >= 0)
		(void)!write(con, buf + 3, n - 3);
}

/* Read both pipes line by line until both end. */
static void relay(int out, int err, int kmsg, int con)
{
	char buf[2][2048];
	size_t len[2] = { 0, 0 };
	struct pollfd p[2] = { { .fd = out, .events = POLLIN }, { .fd = err, .events = POLLIN } };

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (int i = 0; i < 2; i++) {
			ssize_t n;
			char *nl;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			n = read(p[i].fd, buf[i] + len[i], sizeof(buf[i]) - len[i]);
			if (n <= 0) {
				if (len[i])
					relay_line(kmsg, con, buf[i], len[i], i ? 5 : 6);
				close(p[i].fd);
				p[i].fd = -1;
				continue;
			}
			len[i] += n;
			while ((nl = memchr(buf[i], '\n', len[i]))) {
				relay_line(kmsg, con, buf[i], nl - buf[i], i ? 5 : 6);
				len[i] -= nl + 1 - buf[i];
				memmove(buf[i], nl + 1, len[i]);
			}
			if (len[i] == sizeof(buf[i])) { /* a very long line: cut */
				relay_line(kmsg, con, buf[i], len[i], i ? 5 : 6);
				len[i] = 0;
			}
		}
	}
}

static void run_compose(const char *file, int out, int err)
{
	char *argv[] = { "berth", "compose", "-f", (char *)file, "up", "-d", NULL };
	sigset_t none;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	setenv("BERTH_COMPOSE_WAIT", "60", 1);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (null >= 0)
		dup2(null, 0);
	dup2(out, 1);
	dup2(err, 2);
	execv("/proc/self/exe", argv);
	dprintf(2, PREFIX "exec berth: %s\n", strerror(errno));
	_exit(127);
}

/* The relay: the child of PID 1 that runs compose and forwards its lines. */
static void relay_main(const char *file)
{
	int out[2], err[2], st = 0;
	int kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	int con = open("/dev/console", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	char line[128];
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		snprintf(line, sizeof(line), "pipe: %s", strerror(errno));
		relay_line(kmsg, con, line, strlen(line), 3);
		_exit(1);
	}
	pid = fork();
	if (pid == 0)
		run_compose(file, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		snprintf(line, sizeof(line), "fork: %s", strerror(errno));
		relay_line(kmsg, con, line, strlen(line), 3);
		_exit(1);
	}
	relay(out[0], err[0], kmsg, con);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	snprintf(line, sizeof(line), "up finished (exit %d)",
		 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	relay_line(kmsg, con, line, strlen(line), WIFEXITED(st) && !WEXITSTATUS(st) ? 6 : 5);
	_exit(0);
}

void compose_boot_spawn(const char *file)
{
	pid_t pid;

	if (strcmp(file, "none") == 0) {
		log_info("compose: berth.compose=none; no services started at boot");
		return;
	}
	if (access(file, F_OK) < 0) {
		log_info("compose: no %s; no services to start", file);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_err("compose: fork: %s; services not started", strerror(errno));
		return;
	}
	if (pid == 0)
		relay_main(file);
	timeline_mark("compose");
	log_info("compose: starting the services of %s (pid %d)", file, (int)pid);
}
