/* log.h - one logging path for PID 1, the daemon and the CLI.
 *
 * PID 1 writes to /dev/kmsg (so `dmesg` keeps it and the kernel stamps it);
 * everything else writes to stderr. Lines are prefixed "berth: ".
 */
#ifndef BERTH_LOG_H
#define BERTH_LOG_H

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* Send log lines to /dev/kmsg (true) or stderr (false). */
void log_to_kmsg(int enable);
void log_set_debug(int enable);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
