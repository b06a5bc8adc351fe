/* SPDX-License-Identifier: MIT */
/* log.h: the one place that turns events into console and kmsg lines. */
#ifndef ADE_LOG_H
#define ADE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

/*
 * Every line reads "ade-unlock: <subject>: <message>" on stderr and, once
 * log_open_kmsg() succeeded, on /dev/kmsg with the given syslog priority.
 * LOG_DEBUG lines are printed only after log_set_debug(true).
 * No caller passes key material here: the log never holds secrets.
 */
void log_set_debug(bool on);

/*
 * Makes line (len bytes) safe to print, in place: every C0/C1 control, DEL,
 * line separator and bidi control, and every byte that is not part of
 * well-formed UTF-8, becomes one '?'. Returns the new length (NUL written).
 */
size_t log_sanitize(char *line, size_t len);
bool log_debug_enabled(void);
int log_open_kmsg(void);

/*
 * "ade-unlock: fatal: signal N; keys wiped; exit 128+N" on stderr and
 * /dev/kmsg, async-signal-safe: the crash handler's last word.
 */
void log_fatal_signal(int sig);
void log_close(void);
void log_msg(int prio, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(subj, ...)	log_msg(LOG_ERR, subj, __VA_ARGS__)
#define log_warn(subj, ...)	log_msg(LOG_WARNING, subj, __VA_ARGS__)
#define log_notice(subj, ...)	log_msg(LOG_NOTICE, subj, __VA_ARGS__)
#define log_info(subj, ...)	log_msg(LOG_INFO, subj, __VA_ARGS__)
#define log_debug(subj, ...)	log_msg(LOG_DEBUG, subj, __VA_ARGS__)

#endif
