/* SPDX-License-Identifier: MIT */
/* test_aeskw.c: RFC 3394 vectors and failure cases for aeskw.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aeskw.h"

static void
unhex(const char *hex, unsigned char *out, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

struct vec {
	const char	*kek, *data, *wrapped;
};

/* RFC 3394 section 4: all six vectors. */
static const struct vec rfc3394[] = {
	{ "000102030405060708090A0B0C0D0E0F", "00112233445566778899AABBCCDDEEFF",
	  "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5" },
	{ "000102030405060708090A0B0C0D0E0F1011121314151617",
	  "00112233445566778899AABBCCDDEEFF",
	  "96778B25AE6CA435F92B5B97C050AED2468AB8A17AD84E5D" },
	{ "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	  "00112233445566778899AABBCCDDEEFF",
	  "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7" },
	{ "000102030405060708090A0B0C0D0E0F1011121314151617",
	  "00112233445566778899AABBCCDDEEFF0001020304050607",
	  "031D33264E15D33268F24EC260743EDCE1C6C7DDEE725A936BA814915C6762D2" },
	{ "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	  "00112233445566778899AABBCCDDEEFF0001020304050607",
	  "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1" },
	{ "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
	  "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
	  "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21" },
};

static void
test_rfc3394_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rfc3394) / sizeof(rfc3394[0]); i++) {
		const struct vec *v = &rfc3394[i];
		size_t kl = strlen(v->kek) / 2, dl = strlen(v->data) / 2;
		unsigned char kek[32], data[32], want[40], got[40], back[32];

		unhex(v->kek, kek, kl);
		unhex(v->data, data, dl);
		unhex(v->wrapped, want, dl + 8);
		assert_int_equal(aeskw_wrap(kek, kl, data, dl, got), 0);
		assert_memory_equal(got, want, dl + 8);
		assert_int_equal(aeskw_unwrap(kek, kl, want, dl + 8, back), 0);
		assert_memory_equal(back, data, dl);
	}
}

static void
test_unwrap_rejects_tampering(void **state)
{
	const struct vec *v = &rfc3394[5];
	unsigned char kek[32], wrapped[40], out[32];

	(void)state;
	unhex(v->kek, kek, 32);
	for (size_t bit = 0; bit < 40 * 8; bit += 13) {
		unhex(v->wrapped, wrapped, 40);
		wrapped[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(aeskw_unwrap(kek, 32, wrapped, 40, out), -EBADMSG);
		/* A failed unwrap leaves nothing behind. */
		for (size_t i = 0; i < sizeof(out); i++)
			assert_int_equal(out[i], 0);
	}
	/* Wrong key. */
	unhex(v->wrapped, wrapped, 40);
	kek[0] ^= 1;
	assert_int_equal(aeskw_unwrap(kek, 32, wrapped, 40, out), -EBADMSG);
}

static void
test_bad_sizes(void **state)
{
	unsigned char kek[32] = { 0 }, buf[64] = { 0 }, out[64];

	(void)state;
	assert_int_equal(aeskw_wrap(kek, 20, buf, 16, out), -EINVAL);
	assert_int_equal(aeskw_wrap(kek, 32, buf, 8, out), -EINVAL);
	assert_int_equal(aeskw_wrap(kek, 32, buf, 17, out), -EINVAL);
	assert_int_equal(aeskw_unwrap(kek, 32, buf, 16, out), -EINVAL);
	assert_int_equal(aeskw_unwrap(kek, 32, buf, 25, out), -EINVAL);
	assert_int_equal(aeskw_unwrap(kek, 0, buf, 24, out), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3394_vectors),
		cmocka_unit_test(test_unwrap_rejects_tampering),
		cmocka_unit_test(test_bad_sizes),
	};

	return cmocka_run_group_tests_name("aeskw", tests, NULL, NULL);
}
