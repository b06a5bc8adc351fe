/* SPDX-License-Identifier: MIT */
/* keyfile.h: turns a BEK key file's bytes into the LUKS passphrase (plain or JWE-wrapped). */
#ifndef ADE_KEYFILE_H
#define ADE_KEYFILE_H

#include <stddef.h>

#include "secret.h"

/* Bigger key files are refused (DESIGN 4.2). */
#define KEYFILE_MAX	8192
/* Bigger key-encryption key (JWK) files are refused. */
#define KEYFILE_KEK_MAX	4096

enum keyfile_format {
	KEYFILE_PLAIN = 0,	/* the bytes are the passphrase (ADE) */
	KEYFILE_JWE = 1,	/* a JWE compact serialization (RFC 7516) */
};

/*
 * Tells the formats apart by content. A JWE compact serialization is five
 * base64url segments separated by four dots whose first segment decodes to
 * a JSON object with "alg" and "enc" members (the JOSE protected header).
 * A file is reported as KEYFILE_JWE as soon as it starts with such a
 * header, even if the rest is damaged (a missing dot, a missing or extra
 * segment, a stray character): keyfile_decode() then refuses it with
 * -EINVAL instead of passing a damaged wrapped file on as a passphrase.
 * Anything else is KEYFILE_PLAIN; ADE's own files (standard base64 ending
 * in "=") always are. Returns KEYFILE_PLAIN or KEYFILE_JWE.
 */
int keyfile_detect(const unsigned char *data, size_t len);

/*
 * Parses a key-encryption key: a JWK (RFC 7517) {"kty":"oct","k":"..."};
 * other members ("alg", "kid", "use", ...) are allowed and ignored. "k"
 * must decode (strict base64url) to 16, 24 or 32 bytes; A256KW and dir
 * need 32, which keyfile_decode() checks at use. ret_kek is a slot from
 * secret_new(); on success its buf holds the key and len its size, on
 * failure it is untouched. The parse leaves no copy of the key behind in
 * json-c's memory (see keyfile.c). json need not be NUL-terminated.
 * Returns 0, -ENODATA (empty), -EFBIG (over KEYFILE_KEK_MAX), -EINVAL (not
 * a JSON object, "k" missing, not base64url or of another length, "kty"
 * missing), -EPROTONOSUPPORT ("kty" is not "oct"), -ENOMEM.
 */
int keyfile_kek_parse(const char *json, size_t len, struct secret *ret_kek);

/*
 * Loads the key-encryption key from a JWK file: opened O_RDONLY|O_CLOEXEC|
 * O_NOFOLLOW|O_NONBLOCK, a regular file of at most KEYFILE_KEK_MAX bytes,
 * not readable or writable by group or others and, when running as root,
 * owned by root. Then keyfile_kek_parse(). The file's bytes are read into
 * a secret slot and wiped. Returns 0 or keyfile_kek_parse()'s errors, and
 * -ELOOP (a symbolic link), -EBADFD (not a regular file), -EPERM (mode or
 * owner), -ENOENT and other -errno from open/read.
 */
int keyfile_kek_load(const char *path, struct secret *ret_kek);

/*
 * What keyfile_decode_ex() found, for the log (none of it is secret).
 * Filled on success and on failure as far as decoding got.
 */
struct keyfile_diag {
	int		 format;	/* enum keyfile_format */
	char		 alg[32];	/* header "alg", printable ASCII, "" if none */
	char		 enc[32];	/* header "enc", likewise */
	const char	*detail;	/* NULL on success, else the failed check */
};

/*
 * Decodes a key file's bytes into the passphrase, in ret_pass (a slot from
 * secret_new(), which must not hold data itself; len set, the rest of buf
 * zero).
 *  - plain: the exact bytes, as-is: no trimming, no base64 decoding.
 *  - JWE: "alg" "A256KW" (the CEK is the AES key wrap of the encrypted key
 *    segment under kek, 40 bytes) or "dir" (the CEK is kek, the encrypted
 *    key segment empty); "enc" "A256GCM" (96-bit IV, 128-bit tag, AAD =
 *    the protected header segment exactly as in the file); no "zip", no
 *    "crit". The plaintext is the passphrase. One "\n" or "\r\n" after the
 *    token is ignored. kek is a 32-byte key or NULL (then -ENOKEY).
 * On failure ret_pass is wiped with len 0; a wrapped file is never passed
 * on as a plain passphrase. Returns 0 or:
 *   -ENODATA		empty file
 *   -EFBIG		over KEYFILE_MAX
 *   -ENOKEY		JWE but no key-encryption key
 *   -EKEYREJECTED	A256KW integrity check failed (or a kek of another
 *			size than 32): not the key the file was wrapped with
 *   -EBADMSG		AES-GCM tag check failed (tampered or corrupted; with
 *			"dir" also a wrong key)
 *   -EPROTONOSUPPORT	"alg" or "enc" unsupported, "zip" or "crit" present
 *   -EINVAL		malformed JWE (see diag->detail for which part)
 *   -EMSGSIZE		plaintext larger than a secret
 *   -ENOMEM		no free secret slot
 */
int keyfile_decode(const unsigned char *data, size_t len,
    const struct secret *kek, struct secret *ret_pass);

/* keyfile_decode() that also reports what it found in diag (may be NULL). */
int keyfile_decode_ex(const unsigned char *data, size_t len,
    const struct secret *kek, struct secret *ret_pass,
    struct keyfile_diag *diag);

/* A precise reason for an error code of this module (static text). */
const char *keyfile_strerror(int r);

#endif
