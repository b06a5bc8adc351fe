/* SPDX-License-Identifier: MIT */
/* test_b64.c: RFC 4648/7515 vectors and strictness of b64.c's base64url decoder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "b64.h"
#include "testutil.h"


/* Decodes a C string; returns the result code, *n the length. */
static int
dec(const char *s, unsigned char *out, size_t size, size_t *n)
{
	return b64url_decode(s, strlen(s), out, size, n);
}

static void
test_rfc4648_vectors(void **state)
{
	/* RFC 4648 section 10, without the padding (RFC 7515 appendix C). */
	static const struct {
		const char	*plain, *b64;
	} v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
	};
	unsigned char out[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = 99;
		assert_int_equal(dec(v[i].b64, out, sizeof(out), &n), 0);
		assert_int_equal(n, strlen(v[i].plain));
		assert_memory_equal(out, v[i].plain, n);
	}
}

static void
test_tu_b64url_alphabet(void **state)
{
	/* RFC 7515 appendix C's example, and the two url-only characters. */
	static const unsigned char c_ex[] = { 3, 236, 255, 224, 193 };
	static const unsigned char ff[] = { 0xfb, 0xff, 0xbf };
	unsigned char out[8];
	size_t n;

	(void)state;
	assert_int_equal(dec("A-z_4ME", out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(c_ex));
	assert_memory_equal(out, c_ex, n);
	assert_int_equal(dec("-_-_", out, sizeof(out), &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, ff, 3);
}

/* The lenient prefix decoder used to sniff a JOSE header. */
static void
test_decode_prefix(void **state)
{
	unsigned char out[16];

	(void)state;
	memset(out, 0, sizeof(out));
	assert_int_equal(b64url_decode_prefix("Zm9vYmFy", 8, out, 16), 6);
	assert_memory_equal(out, "foobar", 6);
	/* Stops at the first character outside the alphabet. */
	assert_int_equal(b64url_decode_prefix("Zm9v.YmFy", 9, out, 16), 3);
	assert_int_equal(b64url_decode_prefix("Zm9vYg==", 8, out, 16), 4);
	assert_int_equal(b64url_decode_prefix("Zm9+", 4, out, 16), 2);
	assert_int_equal(b64url_decode_prefix("", 0, out, 16), 0);
	assert_int_equal(b64url_decode_prefix("=", 1, out, 16), 0);
	/* Unused bits and a lone last character are ignored. */
	assert_int_equal(b64url_decode_prefix("Zh", 2, out, 16), 1);
	assert_int_equal(out[0], 'f');
	assert_int_equal(b64url_decode_prefix("Zm9vY", 5, out, 16), 3);
	/* Never more than out_size, nor past in_len. */
	assert_int_equal(b64url_decode_prefix("Zm9vYmFy", 8, out, 4), 4);
	assert_int_equal(b64url_decode_prefix("Zm9vYmFy", 4, out, 16), 3);
}

/* Every byte string of length 0..48 built from a pattern round-trips. */
static void
test_roundtrip(void **state)
{
	unsigned char in[48] = { 0 }, out[48];
	char text[80];
	size_t n, tl;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		for (unsigned seed = 0; seed < 256; seed += 37) {
			for (size_t i = 0; i < len; i++)
				in[i] = (unsigned char)(seed + i * 151);
			tl = tu_b64url(in, len, text);
			assert_int_equal(b64url_decoded_len(tl), len);
			assert_int_equal(b64url_decode(text, tl, out, len, &n), 0);
			assert_int_equal(n, len);
			assert_memory_equal(out, in, len);
		}
	}
}

/* All two-character inputs: accepted exactly when canonical. */
static void
test_exhaustive_two_chars(void **state)
{
	unsigned char out[4];
	char s[2];
	size_t n;

	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			const char *pa, *pb;
			int want;

			s[0] = (char)a;
			s[1] = (char)b;
			pa = a != 0 ? strchr(tu_b64url_alphabet, (int)a) : NULL;
			pb = b != 0 ? strchr(tu_b64url_alphabet, (int)b) : NULL;
			want = pa != NULL && pb != NULL &&
			    ((pb - tu_b64url_alphabet) & 15) == 0;
			n = 99;
			assert_int_equal(b64url_decode(s, 2, out, sizeof(out), &n),
			    want ? 0 : -EINVAL);
			if (want) {
				assert_int_equal(n, 1);
				assert_int_equal(out[0],
				    (unsigned char)(((pa - tu_b64url_alphabet) << 2) |
				    ((pb - tu_b64url_alphabet) >> 4)));
			} else
				assert_int_equal(n, 99);
		}
	}
}

static void
test_rejects_non_alphabet(void **state)
{
	static const char *const bad[] = {
		"Zg==", "Zm8=", "Zm9v====", "Zg=",	/* padding */
		"+/8", "Zm9+", "Zm9/", "a+b_",		/* standard alphabet */
		" Zm9v", "Zm9v ", "Zm 9v", "Zm9v\n", "Zm9v\r\n", "\tZm9v",
		"Zm9v.Zm9v", "Zm9v!", "Zm9\"", "Zm9v\x80", "\xffZm9",
	};
	unsigned char out[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 99;
		assert_int_equal(dec(bad[i], out, sizeof(out), &n), -EINVAL);
		assert_int_equal(n, 99);
	}
	/* A NUL inside the given length. */
	assert_int_equal(b64url_decode("Zm\0v", 4, out, sizeof(out), &n),
	    -EINVAL);
}

static void
test_rejects_bad_length(void **state)
{
	static const char *const bad[] = { "Z", "Zm9vY", "Zm9vYmFyZ", "A" };
	unsigned char out[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec(bad[i], out, sizeof(out), &n), -EINVAL);
	assert_true(b64url_decoded_len(1) == SIZE_MAX);
	assert_true(b64url_decoded_len(5) == SIZE_MAX);
	assert_int_equal(b64url_decoded_len(0), 0);
	assert_int_equal(b64url_decoded_len(2), 1);
	assert_int_equal(b64url_decoded_len(3), 2);
	assert_int_equal(b64url_decoded_len(4), 3);
	assert_int_equal(b64url_decoded_len(16), 12);	/* a JWE IV */
	assert_int_equal(b64url_decoded_len(22), 16);	/* a JWE tag */
	assert_int_equal(b64url_decoded_len(43), 32);	/* a 256-bit key */
	assert_int_equal(b64url_decoded_len(54), 40);	/* A256KW output */
}

static void
test_rejects_non_canonical(void **state)
{
	/* "Zg" is "f"; "Zh".."Zv" differ only in the unused low bits. */
	static const char *const bad[] = {
		"Zh", "Zi", "Zv", "Z_", "Zm9", "Zm-", "Zm_", "Zm9vYh",
		"Zm9vYmF", "Zm9vYmG",
	};
	unsigned char out[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec(bad[i], out, sizeof(out), &n), -EINVAL);
	assert_int_equal(dec("Zg", out, sizeof(out), &n), 0);
	assert_int_equal(dec("Zm8", out, sizeof(out), &n), 0);
	assert_int_equal(dec("Zm9vYmE", out, sizeof(out), &n), 0);
}

static void
test_buffer_size(void **state)
{
	unsigned char out[8];
	size_t n = 99;

	(void)state;
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(dec("Zm9vYmFy", out, 5, &n), -ENOBUFS);
	assert_int_equal(n, 99);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xaa);
	assert_int_equal(dec("Zm9vYmFy", out, 6, &n), 0);
	assert_int_equal(n, 6);
	/* The empty input needs no buffer at all. */
	assert_int_equal(b64url_decode("", 0, NULL, 0, &n), 0);
	assert_int_equal(n, 0);
}

/* A failed decode leaves none of the bytes it wrote behind. */
static void
test_wipes_on_error(void **state)
{
	unsigned char out[8];
	size_t n = 99;

	(void)state;
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(dec("Zm9vYmF!", out, sizeof(out), &n), -EINVAL);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(out[6], 0xaa);
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(dec("Zm9vYh", out, sizeof(out), &n), -EINVAL);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(out[i], 0);
	assert_int_equal(n, 99);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_tu_b64url_alphabet),
		cmocka_unit_test(test_decode_prefix),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_exhaustive_two_chars),
		cmocka_unit_test(test_rejects_non_alphabet),
		cmocka_unit_test(test_rejects_bad_length),
		cmocka_unit_test(test_rejects_non_canonical),
		cmocka_unit_test(test_buffer_size),
		cmocka_unit_test(test_wipes_on_error),
	};

	return cmocka_run_group_tests_name("b64", tests, NULL, NULL);
}
