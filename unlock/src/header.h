/* SPDX-License-Identifier: MIT */
/* header.h: detached LUKS headers kept on another filesystem (ADE's /boot). */
#ifndef ADE_HEADER_H
#define ADE_HEADER_H

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
 * a path libcryptsetup can open ("/proc/self/fd/N").
 * Returns 0 or -errno (-ENOENT: no such file on the filesystem).
 */
int header_fetch(const struct blockdev *dev, const char *path, int *ret_fd,
    char *ret_path, size_t path_len);

#endif
