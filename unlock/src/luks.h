/* SPDX-License-Identifier: MIT */
/* luks.h: the one wrapper around libcryptsetup. */
#ifndef ADE_LUKS_H
#define ADE_LUKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "secret.h"

struct luks_dev;	/* a loaded LUKS header (libcryptsetup context) */

struct luks_info {
	char		type[8];		/* "LUKS1" or "LUKS2" */
	char		uuid[40];
	bool		reencrypt;		/* LUKS2 in (online) reencryption */
	/*
	 * Its metadata is the old form, without a digest over it (cryptsetup
	 * before 2.3.7/2.4.3, CVE-2021-4122): libcryptsetup 2.6.1 refuses it
	 * until "cryptsetup repair" upgrades it.
	 */
	bool		reencrypt_old;
	/*
	 * The reencryption was interrupted mid-step (power loss, a kill):
	 * activating it runs libcryptsetup's crash recovery, which rewrites
	 * the hotzone on the data device and records that in the header.
	 */
	bool		reencrypt_crash;
	unsigned	active_keyslots;
	uint32_t	max_pbkdf_kb;		/* largest Argon2 memory cost of a keyslot */
	/*
	 * A header that needs no key: the first active keyslot whose area is
	 * not encrypted (cipher_null: any passphrase "decrypts" it), else -1;
	 * and, outside reencryption, a data segment stored in plain text.
	 */
	int		plain_keyslot;
	bool		plain_segment;
};

/*
 * Routes libcryptsetup's messages to our debug log, with anything that
 * looks like key material (long hex or base64 runs) redacted.
 */
void luks_setup_logging(void);

/*
 * The scrubbing luks_setup_logging applies: copies msg into out (len bytes,
 * NUL-terminated) with runs of 32 or more hex/base64 characters replaced by
 * "[redacted]" and newlines by spaces. Returns the length written.
 */
size_t luks_scrub(const char *msg, char *out, size_t len);

/*
 * Loads the LUKS header of device (or the detached one at header when not
 * NULL) without changing anything on disk. Returns 0 or -errno
 * (-EINVAL: not a LUKS device).
 */
int luks_load(const char *device, const char *header, struct luks_dev **ret);
void luks_free(struct luks_dev *ld);

void luks_get_info(struct luks_dev *ld, struct luks_info *ret);

/*
 * 1 if a cipher specification does not encrypt: NULL, empty, "null" or any
 * spelling of the kernel's cipher_null ("cipher_null-ecb", ...), or a key
 * size of 0. libcryptsetup's own test is a substring match on
 * "cipher_null"; this one also ignores case, as the header's JSON may not.
 */
int luks_cipher_is_plain(const char *cipher, size_t key_size);

/*
 * Tries key against every keyslot and, unless name is NULL (dry run: the
 * key is only verified), activates the device under name with the
 * CRYPT_ACTIVATE_* flags. Returns the keyslot that opened (>= 0), -EPERM if
 * no keyslot accepts the key, -EEXIST if name is active, or -errno.
 */
int luks_activate(struct luks_dev *ld, const char *name,
    const struct secret *key, uint32_t flags);

/* 1 if a device-mapper device called name is active (or busy), else 0. */
int luks_is_active(const char *name);

#endif
