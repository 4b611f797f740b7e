/* init.h - entry points of the supervisor personalities. */
#ifndef BERTH_INIT_H
#define BERTH_INIT_H

/* PID 1: boot the appliance, then supervise. Never returns. */
int init_main(int argc, char **argv);
/* `berth daemon --root DIR`: the supervisor on an ordinary host. */
int daemon_main(int argc, char **argv);

#endif
