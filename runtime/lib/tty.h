/* tty.h - the CLI's side of interactive sessions (run -it, exec -it).
 *
 * Raw mode on the CLI's own terminal (restored at exit and on the signals
 * that would end the CLI), pty pairs, window sizes, and the byte relay
 * between the CLI's stdio and a container's pty master or PID 1's attach
 * FIFOs. Only the CLI uses this; PID 1 has its own non-blocking relay.
 */
#ifndef BERTH_TTY_H
#define BERTH_TTY_H

#include <stdbool.h>

#include "err.h"

/* Put fd 0 in raw mode if it is a terminal (no-op otherwise); the old
 * settings come back with tty_raw_end(), at exit and on SIGTERM, SIGHUP,
 * SIGINT, SIGQUIT. */
void tty_raw_begin(void);
void tty_raw_end(void);

/* The window size of fd 0's terminal; false if it is none. */
bool tty_winsize(unsigned short *rows, unsigned short *cols);

/* A new pty pair: master and slave (both close-on-exec, no controlling
 * terminal taken). ptmx: the ptmx node to open, NULL = /dev/ptmx. */
BERR_MUST int tty_openpty(const char *ptmx, int *master, int *slave, struct berr *e);

struct tty_relay {
	int in_dst;	    /* our stdin goes here (-1: stdin is not read) */
	int out_src;	    /* this goes to our stdout */
	int end_fd;	    /* readable when the session is over (pidfd, wait reply) */
	/* With end_fd readable: is it over? (NULL: yes; a wait reply may
	 * carry keep-alive bytes first) */
	bool (*ended)(void *end_ctx);
	void *end_ctx;
	bool eof_closes_in; /* close in_dst when our stdin ends (-i without -t) */
	/* Called at the start and on SIGWINCH when stdin is a terminal. */
	void (*resize)(void *ctx, unsigned short rows, unsigned short cols);
	void *ctx;
};

/* Relay until end_fd is readable, then drain out_src. 0 or -errno. */
BERR_MUST int tty_relay_run(struct tty_relay *r);

#endif
