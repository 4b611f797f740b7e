/* signame.c - the signal names of Linux. */
#include "signame.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const struct {
	const char *name;
	int sig;
} sig_names[] = {
    {"SIGHUP", SIGHUP},	    {"SIGINT", SIGINT},	    {"SIGQUIT", SIGQUIT},     {"SIGILL", SIGILL},
    {"SIGTRAP", SIGTRAP},   {"SIGABRT", SIGABRT},   {"SIGIOT", SIGIOT},	      {"SIGBUS", SIGBUS},
    {"SIGFPE", SIGFPE},	    {"SIGKILL", SIGKILL},   {"SIGUSR1", SIGUSR1},     {"SIGSEGV", SIGSEGV},
    {"SIGUSR2", SIGUSR2},   {"SIGPIPE", SIGPIPE},   {"SIGALRM", SIGALRM},     {"SIGTERM", SIGTERM},
    {"SIGSTKFLT", SIGSTKFLT}, {"SIGCHLD", SIGCHLD}, {"SIGCONT", SIGCONT},     {"SIGSTOP", SIGSTOP},
    {"SIGTSTP", SIGTSTP},   {"SIGTTIN", SIGTTIN},   {"SIGTTOU", SIGTTOU},     {"SIGURG", SIGURG},
    {"SIGXCPU", SIGXCPU},   {"SIGXFSZ", SIGXFSZ},   {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF},
    {"SIGWINCH", SIGWINCH}, {"SIGIO", SIGIO},	    {"SIGPOLL", SIGPOLL},     {"SIGPWR", SIGPWR},
    {"SIGSYS", SIGSYS},
};

int sig_parse(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s && !*end)
		return n > 0 && n < NSIG ? (int)n : 0;
	for (size_t i = 0; i < ARRAY_SIZE(sig_names); i++) {
		if (strcasecmp(sig_names[i].name, s) == 0 || strcasecmp(sig_names[i].name + 3, s) == 0)
			return sig_names[i].sig;
	}
	return 0;
}

const char *sig_name(int sig)
{
	for (size_t i = 0; i < ARRAY_SIZE(sig_names); i++) {
		if (sig_names[i].sig == sig)
			return sig_names[i].name;
	}
	return NULL;
}
