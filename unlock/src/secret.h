/* SPDX-License-Identifier: MIT */
/* secret.h: the only memory that ever holds key material. */
#ifndef ADE_SECRET_H
#define ADE_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Largest secret: a key file is refused above 8 KiB (DESIGN 4.2). */
#define SECRET_MAX	8192
/* Secrets alive at once: key candidates plus unwrap scratch. */
#define SECRET_SLOTS	96

/*
 * A fixed-size buffer inside the one locked, non-dumpable region.
 * len is the number of meaningful bytes in buf; the rest is zero.
 */
struct secret {
	size_t		len;
	unsigned char	buf[SECRET_MAX];
};

/*
 * Sets up the process for holding secrets: mlockall (best effort),
 * PR_SET_DUMPABLE 0, and the locked MADV_DONTDUMP region the slots live in.
 * Returns 0, or -errno if the region cannot be had. Idempotent.
 * ret_locked, if not NULL, says whether the region is locked in RAM.
 */
int secret_init(bool *ret_locked);

/* Takes a zeroed slot; NULL when all SECRET_SLOTS are in use. Thread safe. */
struct secret *secret_new(void);

/* Wipes the whole slot and returns it; NULL is accepted. Thread safe. */
void secret_free(struct secret *s);

/* Wipes every slot, used or not (exit and fatal-signal paths). */
void secret_wipe_all(void);

/* explicit_bzero that accepts NULL and 0. */
void secret_wipe(void *p, size_t n);

/*
 * Zeroes SECRET_STACK_SCRUB bytes of stack below the caller's frame, where
 * the library code it just called kept key material in its own locals
 * (BearSSL's expanded AES subkeys, nettle's HMAC state in PBKDF2). Call it
 * right after such a call, from the function that made it.
 */
#define SECRET_STACK_SCRUB	(32u << 10)
void secret_scrub_stack(void);

/* Constant-time comparison: 1 when equal, 0 otherwise (length not secret). */
int secret_equal(const void *a, const void *b, size_t n);

/*
 * Wipes the secrets on SIGTERM, SIGINT, SIGHUP, SIGQUIT, then dies of it;
 * on SIGABRT and the faults (SEGV, BUS, ILL, FPE, TRAP, SYS; under
 * AddressSanitizer only ABRT) wipes, calls the fatal hook and _exits with
 * 128 + the signal; ignores SIGPIPE (a closed log pipe never kills a run).
 */
void secret_install_signal_wipe(void);

/*
 * The function a crash signal calls after the wipe, before _exit (the last
 * word on the console): it must be async-signal-safe. NULL: none.
 */
void secret_on_fatal(void (*fn)(int sig));

#endif
