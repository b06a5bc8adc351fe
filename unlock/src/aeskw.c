/* SPDX-License-Identifier: MIT */
/* aeskw.c: RFC 3394 AES Key Wrap over BearSSL's constant-time AES (ct64). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <bearssl.h>

#include "aeskw.h"
#include "secret.h"

/* Largest key data wrapped or unwrapped: far above a 32-byte JWE CEK. */
#define AESKW_MAX_DATA	1024

static const unsigned char aeskw_iv[8] = {
	0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6
};

static int
check_sizes(size_t kek_len, size_t data_len)
{
	if (kek_len != 16 && kek_len != 24 && kek_len != 32)
		return -EINVAL;
	if (data_len % 8 != 0 || data_len < 16 || data_len > AESKW_MAX_DATA)
		return -EINVAL;
	return 0;
}

/* a ^= big-endian 64-bit t */
static void
xor_t(unsigned char a[8], uint64_t t)
{
	for (int k = 7; k >= 0; k--) {
		a[k] ^= (unsigned char)(t & 0xff);
		t >>= 8;
	}
}

int
aeskw_wrap(const unsigned char *kek, size_t kek_len,
    const unsigned char *in, size_t in_len, unsigned char *out)
{
	br_aes_ct64_cbcenc_keys ctx;
	unsigned char b[16], iv[16];
	size_t n = in_len / 8;
	int r;

	if ((r = check_sizes(kek_len, in_len)) < 0)
		return r;
	br_aes_ct64_cbcenc_init(&ctx, kek, kek_len);
	memcpy(b, aeskw_iv, 8);
	memmove(out + 8, in, in_len);
	for (uint64_t j = 0; j < 6; j++) {
		for (size_t i = 1; i <= n; i++) {
			memcpy(b + 8, out + 8 * i, 8);
			memset(iv, 0, sizeof(iv));
			/* One CBC block under a zero IV is one AES block. */
			br_aes_ct64_cbcenc_run(&ctx, iv, b, 16);
			xor_t(b, n * j + i);
			memcpy(out + 8 * i, b + 8, 8);
		}
	}
	memcpy(out, b, 8);
	secret_wipe(b, sizeof(b));
	secret_wipe(iv, sizeof(iv));
	secret_wipe(&ctx, sizeof(ctx));
	return 0;
}

int
aeskw_unwrap(const unsigned char *kek, size_t kek_len,
    const unsigned char *in, size_t in_len, unsigned char *out)
{
	br_aes_ct64_cbcdec_keys ctx;
	unsigned char b[16], iv[16];
	size_t n;
	int r;

	if (in_len < 24 || (r = check_sizes(kek_len, in_len - 8)) < 0)
		return -EINVAL;
	n = in_len / 8 - 1;
	br_aes_ct64_cbcdec_init(&ctx, kek, kek_len);
	memcpy(b, in, 8);
	memcpy(out, in + 8, in_len - 8);
	for (uint64_t j = 6; j-- > 0;) {
		for (size_t i = n; i >= 1; i--) {
			xor_t(b, n * j + i);
			memcpy(b + 8, out + 8 * (i - 1), 8);
			memset(iv, 0, sizeof(iv));
			br_aes_ct64_cbcdec_run(&ctx, iv, b, 16);
			memcpy(out + 8 * (i - 1), b + 8, 8);
		}
	}
	r = secret_equal(b, aeskw_iv, 8) ? 0 : -EBADMSG;
	if (r < 0)
		secret_wipe(out, in_len - 8);
	secret_wipe(b, sizeof(b));
	secret_wipe(iv, sizeof(iv));
	secret_wipe(&ctx, sizeof(ctx));
	return r;
}
