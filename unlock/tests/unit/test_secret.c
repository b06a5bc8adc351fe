/* SPDX-License-Identifier: MIT */
/* test_secret.c: the secret slots are locked, wiped on free, and bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "secret.h"

static void
assert_all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			fail_msg("byte %zu is 0x%02x after wipe", i, p[i]);
}

static void
test_init_makes_undumpable(void **state)
{
	bool locked;

	(void)state;
	assert_int_equal(secret_init(&locked), 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	/* Idempotent. */
	assert_int_equal(secret_init(NULL), 0);
}

static void
test_free_wipes_slot(void **state)
{
	struct secret *s = secret_new();
	unsigned char *raw;

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->len, 0);
	assert_all_zero(s->buf, SECRET_MAX);
	memset(s->buf, 0x5a, SECRET_MAX);
	s->len = SECRET_MAX;
	/* The slot stays mapped after free: read it back through the test hook
	 * of holding the raw pointer. */
	raw = s->buf;
	secret_free(s);
	assert_all_zero(raw, SECRET_MAX);
	assert_int_equal(((struct secret *)(void *)(raw - offsetof(struct secret, buf)))->len, 0);
	secret_free(NULL);
}

static void
test_slots_are_bounded_and_reused(void **state)
{
	struct secret *all[SECRET_SLOTS];

	(void)state;
	for (size_t i = 0; i < SECRET_SLOTS; i++) {
		all[i] = secret_new();
		assert_non_null(all[i]);
		all[i]->buf[0] = 1;
	}
	assert_null(secret_new());
	secret_free(all[7]);
	all[7] = secret_new();
	assert_non_null(all[7]);
	assert_int_equal(all[7]->buf[0], 0);
	secret_wipe_all();
	for (size_t i = 0; i < SECRET_SLOTS; i++) {
		assert_int_equal(all[i]->buf[0], 0);
		secret_free(all[i]);
	}
}

static void
test_equal_and_wipe(void **state)
{
	unsigned char a[32], b[32];

	(void)state;
	memset(a, 7, sizeof(a));
	memcpy(b, a, sizeof(b));
	assert_int_equal(secret_equal(a, b, sizeof(a)), 1);
	for (size_t i = 0; i < sizeof(a); i++) {
		b[i] ^= 0x80;
		assert_int_equal(secret_equal(a, b, sizeof(a)), 0);
		b[i] ^= 0x80;
	}
	assert_int_equal(secret_equal(a, b, 0), 1);
	secret_wipe(a, sizeof(a));
	assert_all_zero(a, sizeof(a));
	secret_wipe(NULL, 10);
	secret_wipe(a, 0);
}

static struct secret *crash_secret;
static int crash_pipe = -1;

/* The fatal hook: reports whether the secret was wiped before it ran. */
static void
crash_hook(int sig)
{
	char c = 'Z';

	(void)sig;
	for (size_t i = 0; i < sizeof(crash_secret->buf); i++)
		if (crash_secret->buf[i] != 0)
			c = 'N';
	if (crash_secret->len != 0)
		c = 'N';
	(void)write(crash_pipe, &c, 1);
}

/*
 * The child's part, in a fresh process (the pool is MADV_DONTFORK: a forked
 * child does not have it): a secret, then abort(), as a library's assert().
 */
static int
crash_child(int fd)
{
	crash_pipe = fd;
	crash_secret = secret_new();
	if (crash_secret == NULL)
		return 90;
	memset(crash_secret->buf, 0xA5, 64);
	crash_secret->len = 64;
	secret_on_fatal(crash_hook);
	secret_install_signal_wipe();
	abort();
}

/* A pipe, and a child process (pid 0 in the child). */
static pid_t
fork_piped(int p[2])
{
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	return pid;
}

/* The exit status of a child that must have exited (not been killed). */
static int
exit_status(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_abort_wipes_and_exits(void **state)
{
	int p[2];
	char c = '?';
	pid_t pid;

	(void)state;
	pid = fork_piped(p);
	if (pid == 0) {
		char fd[16];

		close(p[0]);
		snprintf(fd, sizeof(fd), "%d", p[1]);
		execl("/proc/self/exe", "test_secret", "--crash-child", fd,
		    (char *)NULL);
		_exit(91);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(exit_status(pid), 128 + SIGABRT);
	assert_int_equal(c, 'Z');
}

static void
test_closed_pipe_does_not_kill(void **state)
{
	int p[2];
	pid_t pid;

	(void)state;
	pid = fork_piped(p);
	if (pid == 0) {
		close(p[0]);
		secret_install_signal_wipe();
		/* The reader is gone: EPIPE, not death by SIGPIPE. */
		_exit(write(p[1], "x", 1) < 0 && errno == EPIPE ? 0 : 1);
	}
	close(p[0]);
	close(p[1]);
	assert_int_equal(exit_status(pid), 0);
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--crash-child") == 0)
		return crash_child(atoi(argv[2]));
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_makes_undumpable),
		cmocka_unit_test(test_free_wipes_slot),
		cmocka_unit_test(test_slots_are_bounded_and_reused),
		cmocka_unit_test(test_equal_and_wipe),
		cmocka_unit_test(test_abort_wipes_and_exits),
		cmocka_unit_test(test_closed_pipe_does_not_kill),
	};

	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
