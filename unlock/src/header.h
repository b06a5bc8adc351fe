/* SPDX-License-Identifier: MIT */
/* header.h: detached LUKS headers kept on another filesystem (ADE's /boot). */
#ifndef ADE_HEADER_H
#define ADE_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "blockdev.h"

/* A header is refused above this size (LUKS2's largest is 4 MiB + keyslots). */
#define HEADER_MAX	(64u << 20)

/*
 * Mounts dev read-only (no journal replay) in a private directory, copies
 * the file at path on it (and, failing that, path without a leading
 * "/boot": ADE names the header by its host path /boot/luks/osluksheader,
 * while on the boot filesystem itself it is /luks/osluksheader) into an
 * anonymous memory file, unmounts, and returns that file's descriptor and
 * a path libcryptsetup can open ("/proc/self/fd/N"). No symlink on the way
 * to the file is followed, and ".." is refused.
 * Returns 0 or -errno (-ENOENT: no such file on the filesystem).
 */
int header_fetch(const struct blockdev *dev, const char *path, int *ret_fd,
    char *ret_path, size_t path_len);

/* The real header file, open for writing on its filesystem. */
struct header_rw {
	int	fd;		/* the header file, O_RDWR, or -1 */
	bool	mounted;	/* mnt is our mount (else it was mounted already) */
	bool	made_rw;	/* the filesystem was read-only: back to it after */
	char	mnt[32];	/* our private mount point, or "" */
	char	path[32];	/* what libcryptsetup opens: /proc/self/fd/N */
};

/*
 * For the one write the boot path makes (DESIGN: the crash recovery of an
 * interrupted LUKS2 reencryption, against the real header, never a copy):
 * mounts dev read-write in a private directory, opens the header file found
 * as header_fetch finds it, with no symlink followed, for reading and
 * writing. Where dev is mounted already (systemd mounts a header= device
 * itself, read-only), that mount is bound there instead and, if read-only,
 * the filesystem made writable through it until header_close_rw (the other
 * mount stays read-only itself). Returns 0 or -errno.
 */
int header_open_rw(const struct blockdev *dev, const char *path,
    struct header_rw *ret);

/*
 * Writes the header file back (fsync), closes it and unmounts what
 * header_open_rw mounted. Returns 0 or the -errno of the first failure.
 */
int header_close_rw(struct header_rw *h);

#endif
