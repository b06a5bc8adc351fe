/* SPDX-License-Identifier: MIT */
/* selfcheck.c: known-answer tests of the primitives the unlock relies on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_alg.h>

#include <bearssl.h>
#include <libcryptsetup.h>
#include <libdevmapper.h>

#include "aeskw.h"
#include "log.h"
#include "secret.h"
#include "selfcheck.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif

#ifdef ADE_STATIC
/*
 * libcryptsetup's own PBKDF entry point (lib/crypto_backend/crypto_backend.h),
 * the code that derives keyslot keys at unlock. The shared library of the
 * host test build does not export it, the static archive does.
 */
int crypt_pbkdf(const char *kdf, const char *hash,
    const char *password, size_t password_length,
    const char *salt, size_t salt_length,
    char *key, size_t key_length,
    uint32_t iterations, uint32_t memory, uint32_t parallel);
#endif

/*
 * With the kernel backend, libcryptsetup's HMAC (so PBKDF2) runs in the
 * kernel through AF_ALG; with nettle it runs in userspace. Argon2 is
 * libcryptsetup's own code with every backend.
 */
#ifdef ADE_BACKEND_KERNEL
#define PBKDF2_KIND	SELFCHECK_KERNEL
#else
#define PBKDF2_KIND	SELFCHECK_USER
#endif

struct check {
	const char	*name;
	unsigned	 kind;
	int		(*run)(void);	/* 0 ok, -errno on failure */
};

static int
hex_equal(const unsigned char *got, const char *hex, size_t len)
{
	unsigned char want[128];

	if (len > sizeof(want) || strlen(hex) != 2 * len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return 0;
		want[i] = (unsigned char)v;
	}
	return memcmp(got, want, len) == 0;
}

#ifdef ADE_STATIC
/* PBKDF2-HMAC-SHA256, RFC 7914 section 11: P="passwd", S="salt", c=1. */
static int
check_pbkdf2_rfc7914(void)
{
	unsigned char dk[64];
	int r;

	r = crypt_pbkdf("pbkdf2", "sha256", "passwd", 6, "salt", 4,
	    (char *)dk, sizeof(dk), 1, 0, 0);
	if (r < 0)
		return r;
	return hex_equal(dk, "55ac046e56e3089fec1691c22544b605"
	    "f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef31"
	    "7c71b845b1e30bd509112041d3a19783", sizeof(dk)) ? 0 : -EBADMSG;
}

/* PBKDF2-HMAC-SHA256, RFC 7914: P="Password", S="NaCl", c=80000. */
static int
check_pbkdf2_80000(void)
{
	unsigned char dk[64];
	int r;

	r = crypt_pbkdf("pbkdf2", "sha256", "Password", 8, "NaCl", 4,
	    (char *)dk, sizeof(dk), 80000, 0, 0);
	if (r < 0)
		return r;
	return hex_equal(dk, "4ddcd8f60b98be21830cee5ef22701f9"
	    "641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b317"
	    "6a272bdebba1d078478f62b397f33c8d", sizeof(dk)) ? 0 : -EBADMSG;
}

/*
 * Argon2id and Argon2i, t=3, m=256 KiB, p=2, 32 bytes; expected values
 * computed by an independent implementation (Debian's python3-argon2,
 * argon2.low_level.hash_secret_raw).
 */
static int
check_argon2(const char *kdf, const char *hex)
{
	unsigned char dk[32];
	int r;

	r = crypt_pbkdf(kdf, NULL, "password", 8, "somesaltsomesalt", 16,
	    (char *)dk, sizeof(dk), 3, 256, 2);
	if (r < 0)
		return r;
	return hex_equal(dk, hex, sizeof(dk)) ? 0 : -EBADMSG;
}

static int
check_argon2id(void)
{
	return check_argon2("argon2id",
	    "4405b9089a2a4a7add167d11d63f8ec41c2408e1d8e45e02b85bf4ac98102e51");
}

static int
check_argon2i(void)
{
	return check_argon2("argon2i",
	    "c97cc38160875b5880a518f82c6372a788c65a0154e2109a040b70a43b1bb818");
}
#endif

/* AES-256-GCM, McGrew & Viega test cases 13 and 14 (zero key, zero IV). */
static int
check_aes_gcm(void)
{
	unsigned char key[32] = { 0 }, iv[12] = { 0 }, buf[16] = { 0 };
	unsigned char tag[16];
	br_aes_ct64_ctr_keys aes;
	br_gcm_context gcm;
	int ok;

	br_aes_ct64_ctr_init(&aes, key, sizeof(key));
	br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul64);

	/* Test case 13: empty plaintext. */
	br_gcm_reset(&gcm, iv, sizeof(iv));
	br_gcm_flip(&gcm);
	br_gcm_get_tag(&gcm, tag);
	ok = hex_equal(tag, "530f8afbc74536b9a963b4f1c4cb738b", 16);

	/* Test case 14: one zero block, encrypt then decrypt and check. */
	br_gcm_reset(&gcm, iv, sizeof(iv));
	br_gcm_flip(&gcm);
	br_gcm_run(&gcm, 1, buf, sizeof(buf));
	br_gcm_get_tag(&gcm, tag);
	ok &= hex_equal(buf, "cea7403d4d606b6e074ec5d3baf39d18", 16);
	ok &= hex_equal(tag, "d0d1c8a799996bf0265b98b5d48ab919", 16);
	br_gcm_reset(&gcm, iv, sizeof(iv));
	br_gcm_flip(&gcm);
	br_gcm_run(&gcm, 0, buf, sizeof(buf));
	ok &= br_gcm_check_tag(&gcm, tag);
	for (size_t i = 0; i < sizeof(buf); i++)
		ok &= buf[i] == 0;
	secret_wipe(&aes, sizeof(aes));
	secret_wipe(&gcm, sizeof(gcm));
	return ok ? 0 : -EBADMSG;
}

/* AES key wrap, RFC 3394 sections 4.1 (128-bit KEK) and 4.6 (256/256). */
static int
check_aes_kw(void)
{
	unsigned char kek[32], data[32], wrapped[40], back[32];
	int ok;

	for (int i = 0; i < 32; i++)
		kek[i] = (unsigned char)i;
	for (int i = 0; i < 16; i++)
		data[i] = (unsigned char)(0x11 * i);
	for (int i = 0; i < 16; i++)
		data[16 + i] = (unsigned char)i;

	ok = aeskw_wrap(kek, 16, data, 16, wrapped) == 0 &&
	    hex_equal(wrapped, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5", 24);
	ok &= aeskw_wrap(kek, 32, data, 32, wrapped) == 0 &&
	    hex_equal(wrapped, "28c9f404c4b810f4cbccb35cfb87f826"
	    "3f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21", 40);
	ok &= aeskw_unwrap(kek, 32, wrapped, 40, back) == 0 &&
	    memcmp(back, data, 32) == 0;
	/* A flipped bit must fail the integrity check. */
	wrapped[20] ^= 1;
	ok &= aeskw_unwrap(kek, 32, wrapped, 40, back) == -EBADMSG;
	return ok ? 0 : -EBADMSG;
}

/* bind() an AF_ALG socket of the given type and algorithm. */
static int
af_alg_bind(const char *type, const char *name)
{
	struct sockaddr_alg sa;
	int fd, r = 0;

	memset(&sa, 0, sizeof(sa));
	sa.salg_family = AF_ALG;
	snprintf((char *)sa.salg_type, sizeof(sa.salg_type), "%s", type);
	snprintf((char *)sa.salg_name, sizeof(sa.salg_name), "%s", name);
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int
check_af_alg_skcipher(void)
{
	return af_alg_bind("skcipher", "xts(aes)");
}

static int
check_af_alg_hash(void)
{
	return af_alg_bind("hash", "sha256");
}

/* libdevmapper's own messages go to the debug log, not the console. */
static void
dm_quiet_log(int level, const char *file, int line, int dm_errno,
    const char *fmt, ...)
{
	(void)level;
	(void)file;
	(void)line;
	(void)dm_errno;
	(void)fmt;
}

static int
check_device_mapper(void)
{
	char ver[64];
	int ok;

	dm_log_with_errno_init(dm_quiet_log);
	ok = dm_driver_version(ver, sizeof(ver));
	dm_log_with_errno_init(NULL);
	if (!ok)
		return -ENODEV;
	log_debug("self-check", "device-mapper driver %s", ver);
	return 0;
}

/* Routes libcryptsetup's messages to the debug log during the round trip. */
static void
roundtrip_log(int level, const char *msg, void *usrptr)
{
	(void)level;
	(void)usrptr;
	log_debug("self-check", "libcryptsetup: %.*s", (int)strcspn(msg, "\n"), msg);
}

/*
 * Formats a LUKS2 header in a temporary file, adds a keyslot and opens it
 * again without activation: PBKDF, AF and the keyslot cipher (AF_ALG or a
 * temporary dm-crypt mapping) all on the path a real unlock takes.
 */
static int
check_luks2_roundtrip(void)
{
	static const char pass[] = "ade-unlock self-check";
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2, .hash = "sha256", .iterations = 1000,
		.flags = CRYPT_PBKDF_NO_BENCHMARK,
	};
	struct crypt_params_luks2 params = { .sector_size = 512 };
	char path[] = "/tmp/ade-unlock-selfcheck-XXXXXX";
	struct crypt_device *cd = NULL;
	const char *dir = getenv("TMPDIR");
	char tpl[256];
	int fd, r;

	if (dir != NULL && strlen(dir) < 200) {
		snprintf(tpl, sizeof(tpl), "%s/ade-unlock-selfcheck-XXXXXX", dir);
		fd = mkstemp(tpl);
	} else {
		fd = mkstemp(path);
		snprintf(tpl, sizeof(tpl), "%s", path);
	}
	if (fd < 0)
		return -errno;
	r = ftruncate(fd, 4 << 20) < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		goto out;

	crypt_set_log_callback(NULL, roundtrip_log, NULL);
	if ((r = crypt_init(&cd, tpl)) < 0)
		goto out;
	crypt_set_log_callback(cd, roundtrip_log, NULL);
	if ((r = crypt_set_pbkdf_type(cd, &pbkdf)) < 0 ||
	    (r = crypt_set_metadata_size(cd, 16384, 1 << 20)) < 0 ||
	    (r = crypt_format(cd, CRYPT_LUKS2, "aes", "xts-plain64", NULL, NULL,
	    64, &params)) < 0 ||
	    (r = crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 64,
	    pass, strlen(pass))) < 0)
		goto out;
	crypt_free(cd);
	cd = NULL;
	if ((r = crypt_init(&cd, tpl)) < 0 ||
	    (r = crypt_load(cd, CRYPT_LUKS2, NULL)) < 0)
		goto out;
	crypt_set_log_callback(cd, roundtrip_log, NULL);
	r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pass,
	    strlen(pass), 0);
	if (r < 0)
		goto out;
	/* And a wrong passphrase must be refused. */
	r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pass, 3, 0);
	r = r == -EPERM ? 0 : (r < 0 ? r : -EBADMSG);
out:
	crypt_free(cd);
	unlink(tpl);
	return r;
}

static const struct check checks[] = {
#ifdef ADE_STATIC
	{ "pbkdf2-sha256 (RFC 7914, 1 iteration)", PBKDF2_KIND, check_pbkdf2_rfc7914 },
	{ "pbkdf2-sha256 (RFC 7914, 80000 iterations)", PBKDF2_KIND, check_pbkdf2_80000 },
	{ "argon2id", SELFCHECK_USER, check_argon2id },
	{ "argon2i", SELFCHECK_USER, check_argon2i },
#endif
	{ "aes-256-gcm (BearSSL)", SELFCHECK_USER, check_aes_gcm },
	{ "aes-kw (RFC 3394)", SELFCHECK_USER, check_aes_kw },
	{ "af_alg-hash sha256", SELFCHECK_KERNEL, check_af_alg_hash },
	{ "af_alg-skcipher xts(aes)", SELFCHECK_KERNEL, check_af_alg_skcipher },
	{ "device-mapper", SELFCHECK_KERNEL, check_device_mapper },
	{ "luks2-keyslot-roundtrip", SELFCHECK_KERNEL, check_luks2_roundtrip },
};

int
selfcheck_run(unsigned flags)
{
	const char *first_failed = NULL;
	unsigned passed = 0, failed = 0, skipped = 0;

	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const struct check *c = &checks[i];
		int r;

		if (!(c->kind & flags)) {
			log_info("self-check", "%s: not run (needs the kernel: "
			    "--self-check=all)", c->name);
			skipped++;
			continue;
		}
		r = c->run();
		if (r == 0) {
			log_info("self-check", "%s: ok", c->name);
			passed++;
		} else {
			log_error("self-check", "%s: FAILED (%s)", c->name,
			    r == -EBADMSG ? "wrong result" : strerror(-r));
			failed++;
			if (first_failed == NULL)
				first_failed = c->name;
		}
	}
	if (failed > 0) {
		log_error("self-check", "FAILED: %u of %u checks failed, first: %s",
		    failed, failed + passed, first_failed);
		return 1;
	}
	log_info("self-check", "passed (%u checks, %u kernel checks not run)",
	    passed, skipped);
	return 0;
}
