/* SPDX-License-Identifier: MIT */
/* log.c: console and /dev/kmsg logging with one line format. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
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
log_fatal_signal(int sig)
{
	/* Async-signal-safe: no stdio, no locks, errno kept. */
	char line[96];
	static const char a[] = "ade-unlock: fatal: signal ";
	static const char b[] = "; keys wiped; exit ";
	size_t o = 0;
	int e = errno;

	memcpy(line + o, a, sizeof(a) - 1);
	o += sizeof(a) - 1;
	for (int pass = 0; pass < 2; pass++) {
		int v = pass == 0 ? sig : 128 + sig;
		char d[8];
		size_t n = 0;

		do {
			d[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0 && n < sizeof(d));
		while (n > 0)
			line[o++] = d[--n];
		if (pass == 0) {
			memcpy(line + o, b, sizeof(b) - 1);
			o += sizeof(b) - 1;
		}
	}
	line[o++] = '\n';
	write_all(STDERR_FILENO, line, o);
	if (kmsg_fd >= 0) {
		char k[100] = "<2>";

		memcpy(k + 3, line, o);
		write_all(kmsg_fd, k, o + 3);
	}
	errno = e;
}

/*
 * Length of the UTF-8 sequence at s (at most n bytes) and its code point, or
 * 0 if it is not well-formed (overlong, surrogate, past U+10FFFF, cut).
 */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/*
 * Code points that change how a console or a log viewer shows what follows:
 * C0 and C1 controls (U+009B is CSI on the Linux console, as ESC [ is),
 * DEL, the line and paragraph separators, and the bidirectional marks,
 * embeddings, overrides and isolates (a FAT long name could make a line
 * read backwards).
 */
static bool
cp_unsafe(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	    c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069);
}

size_t
log_sanitize(char *line, size_t len)
{
	unsigned char *s = (unsigned char *)line;
	size_t o = 0;

	/* In place: every replacement is no longer than what it replaces. */
	for (size_t i = 0; i < len;) {
		uint32_t c = 0;
		size_t n = utf8_next(s + i, len - i, &c);

		if (n == 0 || cp_unsafe(c)) {
			s[o++] = '?';	/* a stray byte, or a control */
			i += n != 0 ? n : 1;
			continue;
		}
		memmove(s + o, s + i, n);
		o += n;
		i += n;
	}
	line[o] = '\0';
	return o;
}

/* A subject longer than this is cut (with "...") to leave room for the message. */
#define LOG_SUBJECT_MAX	160

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

	if (subject == NULL)
		subject = "-";
	/* "<P>" prefix for kmsg, skipped for the console. */
	if (strlen(subject) > LOG_SUBJECT_MAX)
		off = snprintf(line, sizeof(line), "<%d>ade-unlock: %.*s...: ",
		    prio & 7, LOG_SUBJECT_MAX, subject);
	else
		off = snprintf(line, sizeof(line), "<%d>ade-unlock: %s: ",
		    prio & 7, subject);
	if (off < 0 || (size_t)off >= sizeof(line) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + off, sizeof(line) - (size_t)off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/*
	 * Control characters, C1 controls and bidi overrides would let a disk
	 * label or a file name forge console lines; a sequence cut by the
	 * line limit becomes '?' too.
	 */
	len = log_sanitize(line, strlen(line));
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
