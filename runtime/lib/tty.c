#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "file.h"
#include "util.h"

static struct termios saved;
static bool raw_on;
static int winch_pipe[2] = {-1, -1};

void tty_raw_end(void)
{
	if (raw_on)
		tcsetattr(0, TCSADRAIN, &saved);
	raw_on = false;
}

/* Restore the terminal, then die of the signal as we would have. */
static void on_fatal(int sig)
{
	if (raw_on)
		tcsetattr(0, TCSANOW, &saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_winch(int sig)
{
	int err = errno;

	(void)sig;
	if (winch_pipe[1] >= 0)
		(void)!write(winch_pipe[1], "w", 1);
	errno = err;
}

void tty_raw_begin(void)
{
	static const int fatal[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT};
	struct termios t;

	if (raw_on || !isatty(0) || tcgetattr(0, &saved) < 0)
		return;
	t = saved;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
		signal(fatal[i], on_fatal);
	if (tcsetattr(0, TCSADRAIN, &t) < 0)
		return;
	raw_on = true;
	atexit(tty_raw_end);
}

bool tty_winsize(unsigned short *rows, unsigned short *cols)
{
	struct winsize ws;

	if (!isatty(0) || ioctl(0, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
		return false;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return true;
}

int tty_openpty(const char *ptmx, int *master, int *slave, struct berr *e)
{
	_cleanup_fd_ int m = -1;
	int s, unlock = 0;
	struct stat st;

	m = open(ptmx ? ptmx : "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return berr_set(e, errno, "open %s", ptmx ? ptmx : "/dev/ptmx");
	/* A container's path may lead anywhere: only the multiplexer will do. */
	if (fstat(m, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2))
		return berr_msg(e, ENOTTY, "%s is not a pty multiplexer",
				ptmx ? ptmx : "/dev/ptmx");
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
		return berr_set(e, errno, "unlock pty");
	/* The peer of this very master, without a path lookup. */
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0)
		return berr_set(e, errno, "open pty slave");
	*master = steal_fd(&m);
	*slave = s;
	return 0;
}

static void send_size(struct tty_relay *r)
{
	unsigned short rows, cols;

	if (r->resize && tty_winsize(&rows, &cols))
		r->resize(r->ctx, rows, cols);
}

/* After the end: what is still in out_src, until EOF or a quiet 200 ms. */
static void drain(int fd)
{
	char buf[4096];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			return;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0 || write_all(1, buf, n) < 0)
			return;
	}
}

int tty_relay_run(struct tty_relay *r)
{
	char in[4096], out[8192];
	size_t in_len = 0, in_off = 0;
	bool stdin_open = r->in_dst >= 0;

	if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	signal(SIGWINCH, on_winch);
	signal(SIGPIPE, SIG_IGN);
	if (r->in_dst >= 0)
		fcntl(r->in_dst, F_SETFL, fcntl(r->in_dst, F_GETFL) | O_NONBLOCK);
	fcntl(r->out_src, F_SETFL, fcntl(r->out_src, F_GETFL) | O_NONBLOCK);
	send_size(r);
	for (;;) {
		struct pollfd p[5] = {
		    {.fd = stdin_open && in_len == 0 ? 0 : -1, .events = POLLIN},
		    {.fd = in_len ? r->in_dst : -1, .events = POLLOUT},
		    {.fd = r->out_src, .events = POLLIN},
		    {.fd = r->end_fd, .events = POLLIN},
		    {.fd = winch_pipe[0], .events = POLLIN},
		};
		ssize_t n;

		if (poll(p, 5, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[4].revents) {
			char junk[64];
			while (read(winch_pipe[0], junk, sizeof(junk)) > 0)
				;
			send_size(r);
		}
		if (p[0].revents) {
			n = read(0, in, sizeof(in));
			if (n > 0) {
				in_len = n;
				in_off = 0;
			} else if (n == 0 || errno != EINTR) {
				stdin_open = false;
				if (r->eof_closes_in) {
					close(r->in_dst);
					r->in_dst = -1;
				}
			}
		}
		if (in_len && r->in_dst >= 0) {
			n = write(r->in_dst, in + in_off, in_len);
			if (n > 0) {
				in_off += n;
				in_len -= n;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				in_len = 0; /* the other side is gone: input goes nowhere */
				stdin_open = false;
			}
		}
		if (p[2].revents) {
			n = read(r->out_src, out, sizeof(out));
			/* Our stdout gone (a closed pipe): the output has nowhere
			 * else to go, and reading on keeps the container from
			 * blocking on a full pty. */
			if (n > 0)
				berr_ignore(write_all(1, out, n));
			else if (n == 0 || (errno != EAGAIN && errno != EINTR))
				r->out_src = -1; /* EOF or EIO: only the end is left */
		}
		if ((p[3].revents && (!r->ended || r->ended(r->end_ctx))) ||
		    (r->out_src < 0 && r->end_fd < 0))
			break;
	}
	if (r->out_src >= 0)
		drain(r->out_src);
	return 0;
}
