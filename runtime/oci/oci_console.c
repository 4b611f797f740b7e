/* oci_console.c - the container's pty and --console-socket. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "oci_rt.h"
#include "runtime/lib/tty.h"
#include "runtime/lib/util.h"

int oci_console_open(unsigned rows, unsigned cols, int *master, int *slave, struct berr *e)
{
	int r = tty_openpty(NULL, master, slave, e);

	if (r < 0)
		return r;
	if (rows && cols) {
		struct winsize ws = {.ws_row = rows, .ws_col = cols};

		if (ioctl(*master, TIOCSWINSZ, &ws) < 0) {
			close(*master);
			close(*slave);
			return berr_set(e, errno, "set the console size");
		}
	}
	return 0;
}

int oci_console_send(const char *socket_path, int master, struct berr *e)
{
	return oci_send_fd(socket_path, master, "/dev/ptmx", "console", e);
}

int oci_send_fd(const char *socket_path, int sfd, const char *text, const char *what,
		struct berr *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (char *)text, .iov_len = strlen(text)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof(ctl)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	_cleanup_fd_ int fd = -1;

	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return berr_msg(e, ENAMETOOLONG, "%s socket path %s is too long", what, socket_path);
	strcpy(sa.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berr_set(e, errno, "connect to %s socket %s", what, socket_path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &sfd, sizeof(int));
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return berr_set(e, errno, "send the %s to %s", what, socket_path);
	return 0;
}

int oci_wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 255;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
