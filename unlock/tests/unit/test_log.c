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
emit_unicode(void)
{
	/*
	 * A FAT long name as UTF-8: C1 CSI (U+009B) and a raw 0x9B byte (CSI
	 * on an 8-bit console), a right-to-left override (U+202E), an isolate
	 * (U+2066), an overlong '/' (C0 AF), a cut sequence; and real letters.
	 */
	log_info("BEK VOLUME", "file '%s'",
	    "a\xc2\x9b" "2Jb\x9b" "c\xe2\x80\xae" "evil\xe2\x81\xa6"
	    "d\xc0\xaf" "Schl\xc3\xbc" "ssel-\xe6\x97\xa5\xf0\x9f\x94\x91"
	    "-\xe2\x80");
}

static void
test_unicode(void **state)
{
	char buf[512];

	(void)state;
	capture(emit_unicode, buf, sizeof(buf));
	assert_string_equal(buf, "ade-unlock: BEK VOLUME: file 'a?2Jb?c?evil?d??"
	    "Schl\xc3\xbc" "ssel-\xe6\x97\xa5\xf0\x9f\x94\x91-?" "?'\n");
}

static char long_subject[4000];

static void
emit_long_subject(void)
{
	memset(long_subject, 'x', sizeof(long_subject) - 1);
	log_error(long_subject, "FAILED (%s)", "the reason");
}

static void
test_long_subject(void **state)
{
	char buf[2048];
	const char *tail = "...: FAILED (the reason)\n";

	(void)state;
	capture(emit_long_subject, buf, sizeof(buf));
	/* Cut, marked, the message kept: never dropped, never overflowing. */
	assert_int_equal(strncmp(buf, "ade-unlock: xxx", 15), 0);
	assert_true(strlen(buf) < 1024);
	assert_non_null(strstr(buf, tail));
	assert_string_equal(buf + strlen(buf) - strlen(tail), tail);
}

static void
test_sanitize_in_place(void **state)
{
	char s[] = "ok\x1b\xc2\x85\xe2\x80\xa8\xe2\x80\x8f\x7f\xff end";

	(void)state;
	/* ESC, NEL (U+0085), LINE SEPARATOR, RLM, DEL, a byte never in UTF-8. */
	assert_int_equal(log_sanitize(s, strlen(s)), strlen("ok?????? end"));
	assert_string_equal(s, "ok?????? end");
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
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_long_subject),
		cmocka_unit_test(test_sanitize_in_place),
		cmocka_unit_test(test_debug_gate),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
