/* crash.c - PID 1's fault handler and recovery bookkeeping (crash.h). */
#include "crash.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "handover.h"
#include "init/boot/datadisk.h"
#include "init/boot/timeline.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/log.h"

extern char **environ;

_Static_assert(sizeof(((struct hov_header *)0)->timeline) >= TIMELINE_BYTES, "timeline");
_Static_assert(sizeof(((struct hov_header *)0)->datadisk) >= DD_STATE_BYTES, "datadisk");

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
static char altstack[64 << 10];
static const pid_t *console_pid;
static bool injection;

/* Decimal digits of v into buf (no libc: async-signal-safe). */
static char *utoa(uint64_t v, char *end)
{
	*--end = '\0';
	do {
		*--end = '0' + v % 10;
		v /= 10;
	} while (v);
	return end;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void note_kmsg(int signo)
{
	char num[24], line[128] = "<4>berth: PID 1 fault: signal ";
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	strcat(line, utoa((uint64_t)signo, num + sizeof(num)));
	strcat(line, "; re-executing berth in recovery mode\n");
	(void)!write(fd, line, strlen(line));
	close(fd);
}

static void on_fault(int signo, siginfo_t *si, void *uc)
{
	struct hov_header *h = hov_header();
	char num[24], *argv[] = { "init", "--recover", NULL, NULL };

	(void)uc;
	if (h) {
		struct hov_fault *f = &h->faults[h->nfaults % HOV_FAULTS];

		f->mono_ns = clock_ns(CLOCK_MONOTONIC);
		f->wall_ns = (int64_t)clock_ns(CLOCK_REALTIME);
		f->signo = signo;
		f->addr = (uintptr_t)si->si_addr;
		h->nfaults++;
		h->console_pid = console_pid ? *console_pid : 0;
		timeline_save(h->timeline);
		dd_save(h->datadisk);
		for (uint32_t i = 0; i < h->count; i++)
			fcntl(hov_fd_at(i), F_SETFD, 0);
		fcntl(hov_memfd(), F_SETFD, 0);
	}
	note_kmsg(signo);
	argv[2] = utoa((uint64_t)(hov_memfd() >= 0 ? hov_memfd() : 0), num + sizeof(num));
	if (hov_memfd() < 0)
		argv[2] = "-1";
	execve("/proc/self/exe", argv, environ);
	execve("/sbin/init", argv, environ);
	/* Nothing left to try: the default action ends PID 1. */
	signal(signo, SIG_DFL);
}

void crash_install(const pid_t *con_pid)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	sigset_t set;

	console_pid = con_pid;
	if (sigaltstack(&ss, NULL) < 0)
		log_err("crash: sigaltstack: %s; a stack overflow will not be survived",
			strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++) {
		sigaction(fault_signals[i], &sa, NULL);
		sigaddset(&set, fault_signals[i]);
	}
	/* A re-exec from the handler inherits the fault signal blocked. */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

int crash_recent_faults(void)
{
	struct hov_header *h = hov_header();
	uint64_t now = now_ns(), window = CRASH_WINDOW_S * 1000000000ull;
	int n = 0;

	for (uint32_t i = 0; h && i < HOV_FAULTS && i < h->nfaults; i++) {
		if (now - h->faults[i].mono_ns <= window)
			n++;
	}
	return n;
}

void crash_describe(char *buf, size_t size)
{
	struct hov_header *h = hov_header();
	const struct hov_fault *f;
	char when[48];

	if (!h || !h->nfaults) {
		snprintf(buf, size, "none");
		return;
	}
	f = &h->faults[(h->nfaults - 1) % HOV_FAULTS];
	iso_time_ns(f->wall_ns, when, sizeof(when));
	snprintf(buf, size, "%u (last: %s at %#lx, %s)", h->nfaults, strsignal(f->signo),
		 (unsigned long)f->addr, when);
}

void crash_enable_injection(bool on)
{
	injection = on;
}

bool crash_injection_enabled(void)
{
	return injection;
}

void crash_inject(int signo)
{
	log_warn("crash: injecting %s (berth.debug)", strsignal(signo));
	if (signo == SIGSEGV) {
		int *volatile nowhere = NULL; /* the compiler cannot see it is NULL */
		*nowhere = 1;
	}
	else if (signo == SIGABRT)
		abort();
	raise(signo);
}
