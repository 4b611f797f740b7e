/* ctr_init.c - berth as a container's init (`--init`, tini's job): the
 * same static binary, bind-mounted read-only at /sbin/docker-init, runs
 * the command as its child in its own process group, forwards the
 * signals it gets to it, reaps every zombie the container makes, and
 * exits with the command's exit code once the command is gone. */
#include "hostcfg.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Signals that concern the init itself (faults) or job control. */
static bool forwarded(int sig)
{
	return sig != SIGCHLD && sig != SIGFPE && sig != SIGILL && sig != SIGSEGV &&
	       sig != SIGBUS && sig != SIGABRT && sig != SIGTRAP && sig != SIGSYS &&
	       sig != SIGTTIN && sig != SIGTTOU;
}

static pid_t spawn(char **argv, const sigset_t *mask)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* its own process group, in the terminal's foreground if there is one */
	setpgid(0, 0);
	signal(SIGTTOU, SIG_IGN);
	berr_ignore(tcsetpgrp(0, getpgrp())); /* no terminal: nothing to hand over */
	signal(SIGTTOU, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "docker-init: exec %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Reap every zombie; the command's status when it is among them. */
static bool reap(pid_t child, int *code)
{
	bool done = false;
	pid_t p;
	int st;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p != child)
			continue;
		*code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		done = true;
	}
	return done;
}

int hx_init_main(int argc, char **argv)
{
	sigset_t all, old;
	pid_t child;
	int i = 1, code = 0;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "docker-init: usage: docker-init -- COMMAND [ARG...]\n");
		return 1;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	child = spawn(argv + i, &old);
	if (child < 0) {
		fprintf(stderr, "docker-init: fork: %s\n", strerror(errno));
		return 1;
	}
	for (;;) {
		struct timespec tick = { 1, 0 };
		siginfo_t si;
		int sig = sigtimedwait(&all, &si, &tick);

		if (sig > 0 && forwarded(sig) && kill(child, sig) < 0 && errno != ESRCH)
			fprintf(stderr, "docker-init: forward signal %d: %s\n", sig, strerror(errno));
		if (reap(child, &code))
			return code;
	}
}
