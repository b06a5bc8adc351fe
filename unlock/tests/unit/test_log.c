/* SPDX-License-Identifier: MIT */
/* test_log.c: the line format, debug gating, and control characters escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "log.h"
#include "testutil.h"

/* Runs fn with stderr captured into buf. */
static void
capture(void (*fn)(void), char *buf, size_t len)
{
	int saved = dup(2), fds[2];
	ssize_t n;

	assert_int_equal(pipe(fds), 0);
	dup2(fds[1], 2);
	close(fds[1]);
	fn();
	dup2(saved, 2);
	close(saved);
	n = read(fds[0], buf, len - 1);
	close(fds[0]);
	buf[n > 0 ? n : 0] = '\0';
}

static void
emit_basic(void)
{
	log_error("data0 (UUID=1)", "FAILED (%s)", "no keyslot accepted the key");
	log_debug("hidden", "not shown");
}

static void
emit_hostile(void)
{
	/* A label or file name off a disk must not forge console lines. */
	log_info("BEK\nVOLUME", "file '%s'", "x\r\nade-unlock: root: opened\x1b[2J");
}

static void
emit_debug(void)
{
	log_debug("devices", "3 to open");
}

static void
test_format(void **state)
{
	char buf[512];

	(void)state;
	log_set_debug(false);
	capture(emit_basic, buf, sizeof(buf));
	assert_string_equal(buf, "ade-unlock: data0 (UUID=1): FAILED (no keyslot "
	    "accepted the key)\n");
}

static void
test_control_chars(void **state)
{
	char buf[512];

	(void)state;
	capture(emit_hostile, buf, sizeof(buf));
	assert_string_equal(buf, "ade-unlock: BEK?VOLUME: file 'x??ade-unlock: "
	    "root: opened?[2J'\n");
}

static void
test_debug_gate(void **state)
{
	char buf[512];

	(void)state;
	log_set_debug(true);
	assert_true(log_debug_enabled());
	capture(emit_debug, buf, sizeof(buf));
	assert_string_equal(buf, "ade-unlock: devices: 3 to open\n");
	log_set_debug(false);
	capture(emit_debug, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_debug_gate),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
