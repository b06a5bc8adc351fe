/* SPDX-License-Identifier: MIT */
/* aeskw.h: AES Key Wrap (RFC 3394), the key wrap of JWE "A256KW". */
#ifndef ADE_AESKW_H
#define ADE_AESKW_H

#include <stddef.h>

/*
 * kek_len is 16, 24 or 32. in_len is a multiple of 8 and at least 16;
 * out receives in_len + 8 bytes. Returns 0 or -EINVAL.
 */
int aeskw_wrap(const unsigned char *kek, size_t kek_len,
    const unsigned char *in, size_t in_len, unsigned char *out);

/*
 * in_len is a multiple of 8 and at least 24; out receives in_len - 8 bytes
 * (out may not overlap in). Returns 0, -EINVAL for bad sizes, or -EBADMSG
 * when the integrity check fails, in which case out is wiped.
 */
int aeskw_unwrap(const unsigned char *kek, size_t kek_len,
    const unsigned char *in, size_t in_len, unsigned char *out);

#endif
