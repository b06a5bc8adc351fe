/* SPDX-License-Identifier: MIT */
/* version.c: --version: our version and the versions of the linked libraries. */
#include <stdio.h>

#include <blkid/blkid.h>
#include <json-c/json.h>
#include <libdevmapper.h>

#include "version.h"

/*
 * Library versions known at build time (Debian source package versions),
 * written by scripts/build-libs.sh for the static build and by the
 * Makefile for the host test build.
 */
#include "ade-lib-versions.h"

#ifndef ADE_VERSION
#define ADE_VERSION "unknown"
#endif
#ifndef ADE_CRYPTO_BACKEND
#define ADE_CRYPTO_BACKEND "unknown"
#endif

#ifdef ADE_STATIC
/* libcryptsetup's crypto backend name and version (crypto_backend.h). */
const char *crypt_backend_version(void);
#endif

void
version_print(FILE *f)
{
	const char *blkid_ver = NULL;
	char dm_ver[64] = "?";

	(void)blkid_get_library_version(&blkid_ver, NULL);
	if (!dm_get_library_version(dm_ver, sizeof(dm_ver)))
		dm_ver[0] = '\0';

	fprintf(f, "ade-unlock %s\n", ADE_VERSION);
	fprintf(f, "  libcryptsetup %s (%s), crypto backend %s",
	    ADE_V_CRYPTSETUP, ADE_DEB_CRYPTSETUP, ADE_CRYPTO_BACKEND);
#ifdef ADE_STATIC
	fprintf(f, " (%s)", crypt_backend_version());
#endif
	fprintf(f, "\n");
	fprintf(f, "  libdevmapper %s (%s)\n", dm_ver, ADE_DEB_LVM2);
	fprintf(f, "  json-c %s (%s)\n", json_c_version(), ADE_DEB_JSONC);
	fprintf(f, "  libblkid %s (%s)\n", blkid_ver != NULL ? blkid_ver : "?",
	    ADE_DEB_UTILLINUX);
	fprintf(f, "  BearSSL %s (%s)\n", ADE_V_BEARSSL, ADE_DEB_BEARSSL);
	fprintf(f, "  libc %s\n", ADE_V_LIBC);
}
