/* probe.c - run inside test containers: try one privileged operation in a
 * harmless way (bad arguments that fail after the permission check) and
 * print "NAME ok" or "NAME errno=N (text)". Built static by the test. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

static int report(const char *name, long r)
{
	if (r < 0) {
		printf("%s errno=%d (%s)\n", name, errno, strerror(errno));
		return 1;
	}
	printf("%s ok\n", name);
	return 0;
}

int main(int argc, char **argv)
{
	const char *p = argc > 1 ? argv[1] : "";
	static char junk[64];

	if (!strcmp(p, "raw"))
		return report(p, socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	if (!strcmp(p, "vsock"))
		return report(p, socket(40, SOCK_STREAM, 0));
	if (!strcmp(p, "init_module")) /* bogus image: EFAULT/ENOEXEC if allowed */
		return report(p, syscall(SYS_init_module, junk, sizeof(junk), ""));
	if (!strcmp(p, "keyctl")) /* KEYCTL_GET_KEYRING_ID of the session keyring */
		return report(p, syscall(SYS_keyctl, 0, -3, 0));
	if (!strcmp(p, "add_key"))
		return report(p, syscall(SYS_add_key, "user", "berth", "x", 1, -3));
	if (!strcmp(p, "ptrace")) /* argv[2]: pid */
		return report(p, ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0));
	if (!strcmp(p, "sysrq")) /* open for write, never write */
		return report(p, open("/proc/sysrq-trigger", O_WRONLY));
	if (!strcmp(p, "unshare"))
		return report(p, unshare(CLONE_NEWNS));
	if (!strcmp(p, "mount"))
		return report(p, mount("none", "/tmp", "tmpfs", 0, NULL));
	if (!strcmp(p, "personality")) /* READ_IMPLIES_EXEC is not allowed */
		return report(p, personality(0x0400000));
	if (!strcmp(p, "reboot")) /* bad magic: EINVAL if allowed */
		return report(p, syscall(SYS_reboot, 1, 2, 3, NULL));
	if (!strcmp(p, "clone_ns")) {
		long r = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid(r, NULL, 0);
		return report(p, r);
	}
	if (!strcmp(p, "mknod")) { /* argv[2] path, argv[3] b|c, argv[4] MAJ:MIN */
		int maj = atoi(argv[4]), min = atoi(strchr(argv[4], ':') + 1);
		mode_t type = argv[3][0] == 'b' ? S_IFBLK : S_IFCHR;
		if (mknod(argv[2], type | 0600, makedev(maj, min)) < 0)
			return report("mknod", -1);
		/* read-only open, nothing is read */
		return report("open", open(argv[2], O_RDONLY));
	}
	if (!strcmp(p, "int80")) { /* the i386 getpid through the compat entry */
		long r;
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
		if (r < 0) {
			errno = -r;
			r = -1;
		}
		return report(p, r);
	}
	fprintf(stderr, "probe: unknown %s\n", p);
	return 2;
}
