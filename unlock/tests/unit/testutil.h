/* SPDX-License-Identifier: MIT */
/* testutil.h: helpers shared by the unit tests (temp dirs, running tools). */
#ifndef ADE_TESTUTIL_H
#define ADE_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Runs argv (NULL-terminated) with stdout/stderr to /dev/null; exit status. */
static inline int
tu_run(const char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
	    environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Makes a fresh temporary directory; the path is static storage per call site. */
static inline char *
tu_mkdtemp(char *buf, size_t len, const char *tag)
{
	const char *t = getenv("TMPDIR");

	snprintf(buf, len, "%s/ade-%s-XXXXXX", t != NULL ? t : "/tmp", tag);
	return mkdtemp(buf);
}

/* Writes exactly len bytes to path (mode 0600); 0 or -errno. */
static inline int
tu_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* rm -rf dir */
static inline void
tu_rmtree(const char *dir)
{
	const char *argv[] = { "rm", "-rf", dir, NULL };

	(void)tu_run(argv);
}

/* Skips a whole test program (exit 77) with a reason, as automake does. */
#define TU_SKIP_PROGRAM(...) do { \
	fprintf(stderr, "SKIP: " __VA_ARGS__); \
	fprintf(stderr, "\n"); \
	exit(77); \
} while (0)

/* The base64url alphabet (RFC 4648 section 5). */
static const char tu_b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * Reference encoder (unpadded base64url), independent of the code under test;
 * out needs 4 * ceil(n / 3) + 1 bytes. Returns the length written.
 */
static inline size_t
tu_b64url(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = tu_b64url_alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = tu_b64url_alphabet[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	return o;
}

#endif
