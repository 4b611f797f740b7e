/* bless.c - PID 1's part of a trial boot: watchdog and mark-good child. */
#include "bless.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/lib/log.h"
#include "runtime/update/esp.h"

static void bless_child(const struct boot_params *p)
{
	char g[16], t[16];
	char *argv[] = { "berth", "update", "bless", "--grace", g, "--timeout", t, NULL };
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	snprintf(g, sizeof(g), "%d", p->update_grace);
	snprintf(t, sizeof(t), "%d", p->update_timeout);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	execv("/proc/self/exe", argv);
	_exit(127);
}

void bless_boot(struct boot_params *p)
{
	char sel[128], path[256];
	struct berr e;
	pid_t pid;

	if (!esp_efi_booted())
		return;
	if (esp_loader_var("LoaderEntrySelected", sel, sizeof(sel), &e) == 0)
		log_info("update: booted %s", sel);
	if (esp_loader_var("LoaderBootCountPath", path, sizeof(path), &e) < 0)
		return; /* a good entry (or not systemd-boot): no trial */
	log_info("update: trial boot of %s: marked good after %d s of health", path,
		 p->update_grace);
	if (p->watchdog == 0) {
		p->watchdog = BLESS_WATCHDOG;
		log_info("update: watchdog armed (%d s) for the trial boot", BLESS_WATCHDOG);
	}
	pid = fork();
	if (pid == 0)
		bless_child(p);
	if (pid < 0)
		log_err("update: fork the mark-good child: %s; this slot stays on trial",
			strerror(errno));
}
