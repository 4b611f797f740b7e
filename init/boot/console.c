#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/lib/log.h"
#include "runtime/lib/file.h"
#include "runtime/lib/clock.h"

#define RESPAWN_MIN_MS 250
#define RESPAWN_MAX_MS 10000
#define HEALTHY_NS (5ull * 1000000000ull)

/* /dev/console cannot be a controlling tty; find the device behind it. */
static void find_tty(char *buf, size_t size)
{
	char active[256];
	char *last = NULL, *save = NULL;

	snprintf(buf, size, "/dev/console");
	if (read_file("/sys/class/tty/console/active", active, sizeof(active)) <= 0)
		return;
	for (char *t = strtok_r(active, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		last = t;
	if (last)
		snprintf(buf, size, "/dev/%s", last);
}

int console_init(struct console *c, enum console_mode mode)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->delay_ms = RESPAWN_MIN_MS;
	c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	find_tty(c->tty, sizeof(c->tty));
	return c->timerfd < 0 ? -errno : 0;
}

static void child_exec(const struct console *c)
{
	char *const env[] = { "HOME=/root", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=vt100",
			      "SHELL=/bin/sh", "USER=root", "LOGNAME=root", NULL };
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	fd = open(c->tty, O_RDWR | O_NOCTTY);
	if (fd < 0)
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
	if (fd < 0)
		_exit(126);
	ioctl(fd, TIOCSCTTY, 1);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	if (c->banner)
		dprintf(1, "\n%s\n", c->banner);
	(void)!chdir("/root");
	if (c->mode == CONSOLE_RESTRICTED) {
		char *argv[] = { "berth", "console", NULL };
		execve("/usr/bin/berth", argv, env);
	} else {
		char *argv[] = { "-sh", NULL };
		execve("/bin/sh", argv, env);
	}
	dprintf(2, "berth: console: exec shell: %s\n", strerror(errno));
	_exit(127);
}

void console_start(struct console *c)
{
	pid_t pid;

	if (c->mode == CONSOLE_NONE || c->pid > 0)
		return;
	pid = fork();
	if (pid < 0) {
		log_err("console: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		child_exec(c);
	c->pid = pid;
	c->started_ns = now_ns();
}

bool console_reaped(struct console *c, pid_t pid, int status)
{
	struct itimerspec its = { 0 };
	uint64_t ran;

	if (pid != c->pid)
		return false;
	c->pid = 0;
	ran = now_ns() - c->started_ns;
	if (WIFSIGNALED(status))
		log_info("console: shell killed by signal %d after %llu ms", WTERMSIG(status),
			 (unsigned long long)(ran / 1000000));
	else
		log_info("console: shell exited with status %d after %llu ms", WEXITSTATUS(status),
			 (unsigned long long)(ran / 1000000));
	if (ran > HEALTHY_NS) {
		c->delay_ms = RESPAWN_MIN_MS;
		its.it_value.tv_nsec = 1000000; /* next loop turn */
	} else {
		its.it_value.tv_sec = c->delay_ms / 1000;
		its.it_value.tv_nsec = (c->delay_ms % 1000) * 1000000l;
		if (c->delay_ms >= 1000)
			log_warn("console: shell exited after %llu ms; restarting in %u ms",
				 (unsigned long long)(ran / 1000000), c->delay_ms);
		c->delay_ms = c->delay_ms * 2 > RESPAWN_MAX_MS ? RESPAWN_MAX_MS : c->delay_ms * 2;
	}
	timerfd_settime(c->timerfd, 0, &its, NULL);
	return true;
}

void console_timer(struct console *c)
{
	uint64_t ticks;

	(void)!read(c->timerfd, &ticks, sizeof(ticks));
	console_start(c);
}
