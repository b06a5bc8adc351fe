/* SPDX-License-Identifier: MIT */
/*
 * test_luks.c: luks.c on real LUKS1/LUKS2 images made by Debian's cryptsetup:
 * header info (type, UUID, Argon2 memory cost, keyslots, reencryption),
 * key verification without device-mapper, detached headers, log scrubbing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "luks.h"
#include "secret.h"
#include "testutil.h"

static char dir[256], keyfile[300], newkey[300];
static char img1[300], img2[300], data3[300], hdr3[300], reenc[300];
static const char pass[] = "the-old-passphrase";
static const char pass2[] = "the-new-passphrase";

static int
fmt(const char *type, const char *pbkdf, const char *img, const char *header)
{
	const char *argv[24];
	int n = 0;

	argv[n++] = "cryptsetup";
	argv[n++] = "luksFormat";
	argv[n++] = "--batch-mode";
	argv[n++] = "--type";
	argv[n++] = type;
	argv[n++] = "--pbkdf";
	argv[n++] = pbkdf;
	argv[n++] = "--pbkdf-force-iterations";
	argv[n++] = strcmp(pbkdf, "pbkdf2") == 0 ? "1000" : "4";
	if (strcmp(pbkdf, "pbkdf2") != 0)
		argv[n++] = "--pbkdf-memory=65536";
	argv[n++] = "--uuid";
	argv[n++] = "6a9f5c43-0d44-4a34-9a8a-6e0f1b2f3c4d";
	if (header != NULL) {
		argv[n++] = "--header";
		argv[n++] = header;
	}
	argv[n++] = "--key-file";
	argv[n++] = keyfile;
	argv[n++] = img;
	argv[n] = NULL;
	return tu_run(argv);
}

static int
setup(void **state)
{
	(void)state;
	luks_setup_logging();	/* libcryptsetup's messages: debug log only */
	if (tu_mkdtemp(dir, sizeof(dir), "luksc") == NULL)
		return -1;
	snprintf(keyfile, sizeof(keyfile), "%s/key", dir);
	snprintf(newkey, sizeof(newkey), "%s/newkey", dir);
	snprintf(img1, sizeof(img1), "%s/l1.img", dir);
	snprintf(img2, sizeof(img2), "%s/l2.img", dir);
	snprintf(data3, sizeof(data3), "%s/d3.img", dir);
	snprintf(hdr3, sizeof(hdr3), "%s/h3.img", dir);
	snprintf(reenc, sizeof(reenc), "%s/re.img", dir);
	if (tu_write_file(keyfile, pass, strlen(pass)) < 0 ||
	    tu_write_file(newkey, pass2, strlen(pass2)) < 0)
		return -1;
	{
		const char *t1[] = { "truncate", "-s", "20M", img1, img2, data3,
			reenc, NULL };
		const char *t2[] = { "truncate", "-s", "16M", hdr3, NULL };
		/* A second keyslot, as a key rotation leaves it. */
		const char *add[] = { "cryptsetup", "luksAddKey", "--batch-mode",
			"--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000",
			"--key-file", keyfile, img2, newkey, NULL };
		/* ADE's first boot: LUKS2 still in (online) reencryption. */
		const char *re[] = { "cryptsetup", "reencrypt", "--encrypt",
			"--init-only", "--batch-mode", "--type", "luks2",
			"--reduce-device-size", "8M", "--pbkdf", "pbkdf2",
			"--pbkdf-force-iterations", "1000", "--key-file", keyfile,
			reenc, NULL };

		if (tu_run(t1) != 0 || tu_run(t2) != 0)
			return -1;
		if (fmt("luks1", "pbkdf2", img1, NULL) != 0 ||
		    fmt("luks2", "argon2id", img2, NULL) != 0 ||
		    tu_run(add) != 0 ||
		    fmt("luks2", "pbkdf2", data3, hdr3) != 0 ||
		    tu_run(re) != 0) {
			fprintf(stderr, "making LUKS images failed\n");
			return -1;
		}
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	return 0;
}

static struct secret *
key(const char *s)
{
	struct secret *k = secret_new();

	assert_non_null(k);
	memcpy(k->buf, s, strlen(s));
	k->len = strlen(s);
	return k;
}

static void
test_info(void **state)
{
	struct luks_dev *ld = NULL;
	struct luks_info info;

	(void)state;
	assert_int_equal(luks_load(img1, NULL, &ld), 0);
	luks_get_info(ld, &info);
	assert_string_equal(info.type, "LUKS1");
	assert_string_equal(info.uuid, "6a9f5c43-0d44-4a34-9a8a-6e0f1b2f3c4d");
	assert_int_equal(info.active_keyslots, 1);
	assert_int_equal(info.max_pbkdf_kb, 0);	/* PBKDF2 costs no memory */
	assert_false(info.reencrypt);
	assert_int_equal(info.plain_keyslot, -1);
	assert_false(info.plain_segment);
	luks_free(ld);

	assert_int_equal(luks_load(img2, NULL, &ld), 0);
	luks_get_info(ld, &info);
	assert_string_equal(info.type, "LUKS2");
	assert_int_equal(info.active_keyslots, 2);
	assert_int_equal(info.max_pbkdf_kb, 65536);
	assert_int_equal(info.plain_keyslot, -1);
	assert_false(info.plain_segment);
	luks_free(ld);
}

static void
test_verify_keys(void **state)
{
	struct luks_dev *ld = NULL;
	struct secret *good = key(pass), *rotated = key(pass2), *bad = key("nope");

	(void)state;
	assert_int_equal(luks_load(img1, NULL, &ld), 0);
	assert_int_equal(luks_activate(ld, NULL, good, 0), 0);
	assert_int_equal(luks_activate(ld, NULL, bad, 0), -EPERM);
	luks_free(ld);

	assert_int_equal(luks_load(img2, NULL, &ld), 0);
	assert_int_equal(luks_activate(ld, NULL, good, 0), 0);
	assert_int_equal(luks_activate(ld, NULL, rotated, 0), 1);
	assert_int_equal(luks_activate(ld, NULL, bad, 0), -EPERM);
	luks_free(ld);
	secret_free(good);
	secret_free(rotated);
	secret_free(bad);
}

static void
test_detached_header(void **state)
{
	struct luks_dev *ld = NULL;
	struct secret *good = key(pass);

	(void)state;
	/* The data device alone is not LUKS. */
	assert_int_equal(luks_load(data3, NULL, &ld), -EINVAL);
	assert_int_equal(luks_load(data3, hdr3, &ld), 0);
	assert_int_equal(luks_activate(ld, NULL, good, 0), 0);
	luks_free(ld);
	secret_free(good);
}

static void
test_reencryption(void **state)
{
	struct luks_dev *ld = NULL;
	struct luks_info info;
	struct secret *good = key(pass);
	unsigned char before[4096], after[4096];
	int fd;

	(void)state;
	fd = open(reenc, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, before, sizeof(before), 0), sizeof(before));
	assert_int_equal(luks_load(reenc, NULL, &ld), 0);
	luks_get_info(ld, &info);
	assert_string_equal(info.type, "LUKS2");
	assert_true(info.reencrypt);
	assert_false(info.reencrypt_old);	/* v2 metadata, with its digest */
	/* Its plain segment is the encryption's own: not refused. */
	assert_int_equal(info.plain_keyslot, -1);
	assert_false(info.plain_segment);
	assert_true(luks_activate(ld, NULL, good, 0) >= 0);
	luks_free(ld);
	/* Verifying the key did not touch the header. */
	assert_int_equal(pread(fd, after, sizeof(after), 0), sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
	close(fd);
	secret_free(good);
}

static void
test_not_luks(void **state)
{
	struct luks_dev *ld = NULL;

	(void)state;
	char zeros[300];
	static const unsigned char z[8192];

	snprintf(zeros, sizeof(zeros), "%s/zeros.img", dir);
	assert_int_equal(tu_write_file(zeros, z, sizeof(z)), 0);
	assert_int_equal(luks_load(zeros, NULL, &ld), -EINVAL);
	assert_true(luks_load("/nonexistent/x", NULL, &ld) < 0);
	assert_null(ld);
	assert_int_equal(luks_is_active("ade-unlock-test-no-such-name"), 0);
}

static void
test_cipher_is_plain(void **state)
{
	(void)state;
	/* Every spelling libcryptsetup or the kernel reads as "no cipher". */
	assert_true(luks_cipher_is_plain("cipher_null-ecb", 64));
	assert_true(luks_cipher_is_plain("cipher_null", 32));
	assert_true(luks_cipher_is_plain("CIPHER_NULL-ecb", 32));
	assert_true(luks_cipher_is_plain("capi:ecb(cipher_null)", 32));
	assert_true(luks_cipher_is_plain("null", 32));
	assert_true(luks_cipher_is_plain("null-ecb", 32));
	assert_true(luks_cipher_is_plain("", 32));
	assert_true(luks_cipher_is_plain(NULL, 32));
	assert_true(luks_cipher_is_plain("aes-xts-plain64", 0));
	/* Real ciphers, including names that merely contain "null". */
	assert_false(luks_cipher_is_plain("aes-xts-plain64", 64));
	assert_false(luks_cipher_is_plain("aes", 32));
	assert_false(luks_cipher_is_plain("serpent-cbc-essiv:sha256", 32));
	assert_false(luks_cipher_is_plain("nullify-xts", 32));
}

static void
test_scrub(void **state)
{
	char out[128];

	(void)state;
	luks_scrub("Key slot 0 unlocked.\n", out, sizeof(out));
	assert_string_equal(out, "Key slot 0 unlocked.");
	luks_scrub("vk 00112233445566778899aabbccddeeff0011 end", out, sizeof(out));
	assert_string_equal(out, "vk [redacted] end");
	luks_scrub("pass dMfe2mB6I37OI5yCRLB/fth1yvBtw1lc9V+a4dd7 x", out, sizeof(out));
	assert_string_equal(out, "pass [redacted] x");
	/* Short buffers stay terminated. */
	assert_true(luks_scrub("a very long line indeed, longer than it", out, 12) <= 11);
	assert_int_equal(out[strlen(out)], '\0');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_verify_keys),
		cmocka_unit_test(test_detached_header),
		cmocka_unit_test(test_reencryption),
		cmocka_unit_test(test_not_luks),
		cmocka_unit_test(test_cipher_is_plain),
		cmocka_unit_test(test_scrub),
	};

	if (access("/usr/sbin/cryptsetup", X_OK) != 0)
		TU_SKIP_PROGRAM("Debian's cryptsetup CLI is not installed");
	return cmocka_run_group_tests_name("luks", tests, setup, teardown);
}
