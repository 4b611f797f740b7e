/* keeper.c - the process that holds a daemon's descriptors across its
 * death (see keeper.h), and the daemon's side of talking to it. */
#include "keeper.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/lib/file.h"
#include "runtime/lib/util.h"

#define MSG_MAX 128

static int send_msg(int sock, char op, const char *name, int fd, int flags)
{
	char buf[MSG_MAX], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, 0 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };

	iov.iov_len = (size_t)snprintf(buf, sizeof(buf), "%c%s", op, name ? name : "");
	if (iov.iov_len >= sizeof(buf))
		iov.iov_len = sizeof(buf) - 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &m, MSG_NOSIGNAL | flags) == 0 + (ssize_t)iov.iov_len)
		return 0;
	if (!(flags & MSG_DONTWAIT) || errno != EAGAIN)
		return -1;
	/* a burst of starts filled the socket: give the keeper a moment */
	if (poll(&(struct pollfd){ .fd = sock, .events = POLLOUT }, 1, 200) <= 0)
		return -1;
	return sendmsg(sock, &m, MSG_NOSIGNAL | flags) < 0 ? -1 : 0;
}

/* One message: its length (0 = EOF, -1 = error), buf NUL-terminated, *fd
 * the descriptor it carried or -1. */
static ssize_t recv_msg(int sock, char *buf, size_t size, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { buf, size - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);

	*fd = -1;
	if (n < 0)
		return -1;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (int i = 0; i < nfd; i++) {
				int x;
				memcpy(&x, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (*fd < 0)
					*fd = x;
				else
					close(x); /* only one is expected */
			}
		}
	}
	return n;
}

/* ---- the keeper process ---- */

struct held {
	char name[MSG_MAX];
	int fd;
};

static struct held *held;
static int nheld, capheld;

static void held_drop(const char *name)
{
	for (int i = 0; i < nheld; i++) {
		if (strcmp(held[i].name, name) == 0) {
			close(held[i].fd);
			held[i] = held[--nheld];
			return;
		}
	}
}

static void held_put(const char *name, int fd)
{
	held_drop(name);
	if (nheld == capheld) {
		int cap = capheld ? capheld * 2 : 64;
		struct held *g = realloc(held, cap * sizeof(*g));
		if (!g) {
			close(fd);
			return;
		}
		held = g;
		capheld = cap;
	}
	snprintf(held[nheld].name, sizeof(held[nheld].name), "%s", name);
	held[nheld++].fd = fd;
}

/* One message from the daemon; false when the connection is over. */
static bool keeper_serve(int conn, const char *path)
{
	char buf[MSG_MAX];
	int fd;
	ssize_t n = recv_msg(conn, buf, sizeof(buf), &fd);

	if (n <= 0)
		return false;
	switch (buf[0]) {
	case 'P':
		if (fd >= 0)
			held_put(buf + 1, fd);
		return true;
	case 'D':
		held_drop(buf + 1);
		break;
	case 'L':
		for (int i = 0; i < nheld; i++)
			send_msg(conn, 'E', held[i].name, held[i].fd, 0);
		send_msg(conn, 'Z', NULL, -1, 0);
		break;
	case 'B':
		unlink(path);
		_exit(0);
	default:
		break;
	}
	if (fd >= 0)
		close(fd);
	return true;
}

static bool same_socket(const char *path, const struct stat *was)
{
	struct stat st;

	return stat(path, &st) == 0 && st.st_ino == was->st_ino && st.st_dev == was->st_dev;
}

static void keeper_run(int lfd, const char *path)
{
	struct stat self;
	int conn = -1;

	if (stat(path, &self) < 0)
		_exit(1);
	for (;;) {
		struct pollfd p[2] = { { lfd, POLLIN, 0 }, { conn, POLLIN, 0 } };
		int r = poll(p, conn >= 0 ? 2 : 1, 10000);

		/* the root was removed or taken over: nobody can come back */
		if (!same_socket(path, &self))
			_exit(0);
		if (r <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				if (conn >= 0)
					close(conn);
				conn = c;
				continue;
			}
		}
		if (conn >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !keeper_serve(conn, path)) {
			close(conn); /* the daemon died: keep everything for the next */
			conn = -1;
		}
	}
}

static int keeper_spawn(const char *path, struct berr *e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	_cleanup_fd_ int lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	sigset_t all;
	pid_t pid;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4) < 0)
		return berr_set(e, errno, "keeper: listen on %s", path);
	chmod(path, 0600);
	pid = fork();
	if (pid < 0)
		return berr_set(e, errno, "keeper: fork");
	if (pid > 0)
		return 0;
	/* the keeper: nothing of the daemon's but the socket */
	setsid();
	prctl(PR_SET_NAME, "berth-keeper");
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (int fd = 0; fd < 1024; fd++) {
		if (fd != lfd && fd > 2)
			close(fd);
	}
	keeper_run(lfd, path);
	_exit(0);
}

/* ---- the daemon's side ---- */

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof(a)) == 0)
		return s;
	if (s >= 0)
		close(s);
	return -1;
}

static int take_list(int s, struct keeper_fd **got, int *n)
{
	int cap = 0;

	*got = NULL;
	*n = 0;
	if (send_msg(s, 'L', NULL, -1, 0) < 0)
		return -1;
	for (;;) {
		char buf[MSG_MAX];
		int fd;
		ssize_t len = recv_msg(s, buf, sizeof(buf), &fd);

		if (len <= 0)
			return -1;
		if (buf[0] == 'Z')
			return 0;
		if (buf[0] != 'E' || fd < 0)
			continue;
		if (*n == cap) {
			struct keeper_fd *g = realloc(*got, (cap = cap ? cap * 2 : 64) * sizeof(*g));
			if (!g) {
				close(fd);
				continue;
			}
			*got = g;
		}
		(*got)[*n].fd = fd;
		snprintf((*got)[(*n)++].name, sizeof((*got)[0].name), "%s", buf + 1);
	}
}

int keeper_connect(const char *root, struct keeper_fd **got, int *n, struct berr *e)
{
	char path[600];
	int s, r;

	snprintf(path, sizeof(path), "%s/run/berth", root);
	if (mkdir_p(path, 0700) < 0)
		return berr_set(e, errno, "keeper: create %s", path);
	snprintf(path, sizeof(path), "%s/run/berth/keeper.sock", root);
	s = connect_to(path);
	if (s < 0) {
		r = keeper_spawn(path, e);
		if (r < 0)
			return r;
		s = connect_to(path);
		if (s < 0)
			return berr_set(e, errno, "keeper: connect to %s", path);
	}
	if (take_list(s, got, n) < 0) {
		for (int i = 0; i < *n; i++)
			close((*got)[i].fd);
		free(*got);
		*got = NULL;
		*n = 0;
		close(s);
		return berr_set(e, errno ? errno : EPROTO, "keeper: list %s", path);
	}
	return s;
}

int keeper_put(int sock, const char *name, int fd)
{
	return send_msg(sock, 'P', name, fd, MSG_DONTWAIT);
}

int keeper_drop(int sock, const char *name)
{
	return send_msg(sock, 'D', name, -1, MSG_DONTWAIT);
}

void keeper_bye(int sock)
{
	send_msg(sock, 'B', NULL, -1, MSG_DONTWAIT);
	close(sock);
}
