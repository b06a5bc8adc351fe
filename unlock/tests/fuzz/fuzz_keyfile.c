/* SPDX-License-Identifier: MIT */
/* fuzz_keyfile.c: key file decoding, the JWK parser and base64url on arbitrary input: no crash, leak or lost secret slot. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "keyfile.h"
#include "secret.h"

/*
 * The fixed key-encryption key: bytes 00..1f (RFC 3394's 256-bit KEK). The
 * JWE seeds in corpus/keyfile were made with it (make-jwe.py --kek
 * 000102...1f), so mutations reach the AES-GCM path.
 */
static struct secret *kek, *pass, *jwk;
static unsigned long runs;

#define CHECK(x) do { if (!(x)) abort(); } while (0)

static int
all_zero(const unsigned char *p, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= p[i];
	return d == 0;
}

static void
setup(void)
{
	CHECK(secret_init(NULL) == 0);
	kek = secret_new();
	pass = secret_new();
	jwk = secret_new();
	CHECK(kek != NULL && pass != NULL && jwk != NULL);
	for (int i = 0; i < 32; i++)
		kek->buf[i] = (unsigned char)i;
	kek->len = 32;
}

/* Every slot but the three held here can be had: none leaked. */
static void
check_no_slot_leak(void)
{
	static struct secret *s[SECRET_SLOTS];
	size_t n = 0;

	while (n < SECRET_SLOTS && (s[n] = secret_new()) != NULL)
		n++;
	CHECK(n == SECRET_SLOTS - 3);
	while (n > 0)
		secret_free(s[--n]);
}

/* A successful strict decode re-encodes to exactly the input. */
static void
check_b64_canonical(const uint8_t *data, size_t size)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	static unsigned char out[KEYFILE_MAX];
	size_t n, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (size > KEYFILE_MAX ||
	    b64url_decode((const char *)data, size, out, sizeof(out), &n) < 0)
		return;
	CHECK(n == b64url_decoded_len(size));
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | out[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			CHECK(o < size && data[o++] == (uint8_t)a[(acc >> bits) & 63]);
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		CHECK(o < size && data[o++] == (uint8_t)a[(acc << (6 - bits)) & 63]);
	CHECK(o == size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyfile_diag d;
	int fmt, r;

	if (kek == NULL)
		setup();

	fmt = keyfile_detect(data, size);
	CHECK(fmt == KEYFILE_PLAIN || fmt == KEYFILE_JWE);

	r = keyfile_decode_ex(data, size, kek, pass, &d);
	if (r == 0) {
		CHECK(d.detail == NULL);
		CHECK(pass->len > 0 && pass->len <= SECRET_MAX);
		CHECK(all_zero(pass->buf + pass->len, SECRET_MAX - pass->len));
		/* Plain: the bytes exactly. */
		if (fmt == KEYFILE_PLAIN)
			CHECK(pass->len == size &&
			    memcmp(pass->buf, data, size) == 0);
	} else {
		CHECK(d.detail != NULL);
		CHECK(pass->len == 0 && all_zero(pass->buf, SECRET_MAX));
		CHECK(keyfile_strerror(r) != NULL);
	}
	if (size > 0 && size <= KEYFILE_MAX)
		CHECK(d.format == fmt);
	if (fmt == KEYFILE_PLAIN && size > 0 && size <= KEYFILE_MAX)
		CHECK(r == 0);

	/* Without a KEK a JWE never decodes, and plain is unchanged. */
	r = keyfile_decode(data, size, NULL, pass);
	if (fmt == KEYFILE_JWE)
		CHECK(r < 0 && pass->len == 0);

	/* The same bytes as a JWK. */
	r = keyfile_kek_parse((const char *)data, size, jwk);
	if (r == 0)
		CHECK(jwk->len == 16 || jwk->len == 24 || jwk->len == 32);
	secret_wipe(jwk, sizeof(*jwk));

	check_b64_canonical(data, size);

	if (++runs % 4096 == 0)
		check_no_slot_leak();
	return 0;
}
