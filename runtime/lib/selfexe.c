#include "selfexe.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* Linux >= 6.3: memfds are executable only when created with MFD_EXEC
 * once vm.memfd_noexec is 1 (older kernels reject the flag: EINVAL). */
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

bool selfexe_is_sealed(void)
{
	_cleanup_fd_ int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int seals;

	if (fd < 0)
		return false;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & SEALS) == SEALS;
}

int selfexe_seal(char **argv, struct berr *e)
{
	_cleanup_fd_ int src = -1, mfd = -1;
	struct stat sb;
	off_t off = 0;

	if (selfexe_is_sealed())
		return 0;
	src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (src < 0 || fstat(src, &sb) < 0)
		return berr_set(e, errno, "open /proc/self/exe");
	mfd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (mfd < 0 && errno == EINVAL)
		mfd = memfd_create("berth", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 && errno == EACCES)
		return berr_set(e, errno, "memfd_create: vm.memfd_noexec = 2 forbids executable memfds");
	if (mfd < 0)
		return berr_set(e, errno, "memfd_create");
	while (off < sb.st_size) {
		ssize_t n = sendfile(mfd, src, &off, sb.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berr_set(e, n < 0 ? errno : EIO, "copy berth into a memfd");
	}
	if (fcntl(mfd, F_ADD_SEALS, SEALS) < 0)
		return berr_set(e, errno, "seal the memfd");
	syscall(SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
	return berr_set(e, errno, "re-exec from the sealed memfd");
}
