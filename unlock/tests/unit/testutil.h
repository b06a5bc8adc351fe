/* SPDX-License-Identifier: MIT */
/* testutil.h: helpers shared by the unit tests (temp dirs, running tools). */
#ifndef ADE_TESTUTIL_H
#define ADE_TESTUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
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

#endif
