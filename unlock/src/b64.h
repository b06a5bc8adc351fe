/* SPDX-License-Identifier: MIT */
/* b64.h: strict base64url decoding (RFC 4648 section 5, no padding), as JOSE uses it. */
#ifndef ADE_B64_H
#define ADE_B64_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bytes that in_len base64url characters decode to, or SIZE_MAX when no
 * input can have that length (in_len % 4 == 1).
 */
size_t b64url_decoded_len(size_t in_len);

/*
 * Decodes in_len characters of unpadded base64url (RFC 7515 appendix C)
 * into out, which has room for out_size bytes; *ret_len gets the decoded
 * length. Strict: only A-Z a-z 0-9 '-' '_' are accepted (no '=', '+', '/',
 * whitespace or NUL), in_len % 4 == 1 is refused, and the unused low bits
 * of the last character must be zero, so every byte string has exactly
 * one encoding. The empty input decodes to zero bytes.
 *
 * The characters are mapped without table lookups or branches on their
 * value, so decoding a secret (a JWK's "k") leaks only its length.
 *
 * Returns 0; -EINVAL for malformed input (the bytes written so far are
 * wiped, *ret_len untouched); -ENOBUFS when out_size is too small
 * (nothing written).
 */
int b64url_decode(const char *in, size_t in_len, unsigned char *out,
    size_t out_size, size_t *ret_len);

/*
 * Lenient, for telling formats apart only: decodes the whole bytes that
 * the leading base64url characters of in (up to the first character
 * outside the alphabet, at most in_len) encode, ignoring unused low bits
 * and a last lone character. Writes at most out_size bytes and returns
 * how many. Where it stops depends on the data; nothing else does.
 */
size_t b64url_decode_prefix(const char *in, size_t in_len, unsigned char *out,
    size_t out_size);

#endif
