/* SPDX-License-Identifier: MIT */
/* test_secret.c: the secret slots are locked, wiped on free, and bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_makes_undumpable),
		cmocka_unit_test(test_free_wipes_slot),
		cmocka_unit_test(test_slots_are_bounded_and_reused),
		cmocka_unit_test(test_equal_and_wipe),
	};

	return cmocka_run_group_tests_name("secret", tests, NULL, NULL);
}
