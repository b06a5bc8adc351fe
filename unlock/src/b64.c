/* SPDX-License-Identifier: MIT */
/* b64.c: strict, constant-time base64url decoding for JOSE (JWE segments, JWK "k"). */
#include <errno.h>
#include <stdint.h>

#include "b64.h"
#include "secret.h"

/* All ones when a < b, else 0; a and b below 2^31. */
static uint32_t
lt_mask(uint32_t a, uint32_t b)
{
	return (uint32_t)0 - ((a - b) >> 31);
}

/* All ones when lo <= c <= hi, else 0. */
static uint32_t
range_mask(uint32_t c, uint32_t lo, uint32_t hi)
{
	return ~lt_mask(c, lo) & lt_mask(c, hi + 1);
}

/*
 * The 6-bit value of a base64url character; *ret_bad gets all ones when c
 * is outside the alphabet. No branch and no memory access depends on c.
 */
static uint32_t
char_value(unsigned char ch, uint32_t *ret_bad)
{
	uint32_t c = ch, upper, lower, digit, dash, uscore;

	upper = range_mask(c, 'A', 'Z');
	lower = range_mask(c, 'a', 'z');
	digit = range_mask(c, '0', '9');
	dash = range_mask(c, '-', '-');
	uscore = range_mask(c, '_', '_');
	*ret_bad = ~(upper | lower | digit | dash | uscore);
	return (upper & (c - 'A')) | (lower & (c - 'a' + 26)) |
	    (digit & (c - '0' + 52)) | (dash & 62) | (uscore & 63);
}

size_t
b64url_decoded_len(size_t in_len)
{
	static const size_t tail[4] = { 0, SIZE_MAX, 1, 2 };

	if (in_len % 4 == 1)
		return SIZE_MAX;
	return in_len / 4 * 3 + tail[in_len % 4];
}

int
b64url_decode(const char *in, size_t in_len, unsigned char *out,
    size_t out_size, size_t *ret_len)
{
	uint32_t acc = 0, bad = 0;
	size_t n, o = 0;
	unsigned bits = 0;

	n = b64url_decoded_len(in_len);
	if (n == SIZE_MAX)
		return -EINVAL;
	if (n > out_size)
		return -ENOBUFS;
	/* Branches depend on positions only, never on the characters. */
	for (size_t i = 0; i < in_len; i++) {
		uint32_t b;

		acc = (acc << 6) | char_value((unsigned char)in[i], &b);
		bad |= b;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* The 2 or 4 bits left over must be zero: one encoding per input. */
	bad |= acc;
	if (bad != 0) {
		secret_wipe(out, o);
		return -EINVAL;
	}
	*ret_len = n;
	return 0;
}

size_t
b64url_decode_prefix(const char *in, size_t in_len, unsigned char *out,
    size_t out_size)
{
	uint32_t acc = 0;
	size_t o = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < in_len && o < out_size; i++) {
		uint32_t bad, v = char_value((unsigned char)in[i], &bad);

		if (bad != 0)
			break;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return o;
}
