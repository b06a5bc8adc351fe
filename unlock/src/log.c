/* SPDX-License-Identifier: MIT */
/* log.c: console and /dev/kmsg logging with one line format. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	1024

/*
 * The kernel rate-limits each open /dev/kmsg file (printk.devkmsg=ratelimit,
 * the default outside systemd: a burst of 10 lines per 5 s, the rest
 * dropped), so that 16 disks' lines would go missing from the kernel log and
 * the journal. A fresh open has a fresh budget: the file is reopened after
 * KMSG_BURST lines.
 */
#define KMSG_BURST	8

static bool debug_on;
static int kmsg_fd = -1;
static unsigned kmsg_lines;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void
log_set_debug(bool on)
{
	debug_on = on;
}

bool
log_debug_enabled(void)
{
	return debug_on;
}

static int
kmsg_open(void)
{
	return open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
}

int
log_open_kmsg(void)
{
	if (kmsg_fd >= 0)
		return 0;
	kmsg_fd = kmsg_open();
	return kmsg_fd < 0 ? -errno : 0;
}

void
log_close(void)
{
	if (kmsg_fd >= 0)
		close(kmsg_fd);
	kmsg_fd = -1;
}

/* Writes all of buf, retrying on EINTR; a console that fails is ignored. */
static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void
log_msg(int prio, const char *subject, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno;
	va_list ap;
	int off, n;
	size_t len;

	if (prio == LOG_DEBUG && !debug_on)
		return;

	/* "<P>" prefix for kmsg, skipped for the console. */
	off = snprintf(line, sizeof(line), "<%d>ade-unlock: %s: ", prio & 7,
	    subject != NULL ? subject : "-");
	if (off < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + off, sizeof(line) - (size_t)off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len = strlen(line);
	/* Control characters would let a disk label forge console lines. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';

	pthread_mutex_lock(&log_lock);
	{
		const char *con = strchr(line, '>') + 1;

		write_all(STDERR_FILENO, con, len - (size_t)(con - line));
		if (kmsg_fd >= 0 && kmsg_lines > 0 &&
		    kmsg_lines % KMSG_BURST == 0) {
			int fd = kmsg_open();

			if (fd >= 0) {	/* else the old one, limited */
				close(kmsg_fd);
				kmsg_fd = fd;
			}
		}
		if (kmsg_fd >= 0) {
			write_all(kmsg_fd, line, len);
			kmsg_lines++;
		}
	}
	pthread_mutex_unlock(&log_lock);
	errno = saved_errno;
}
