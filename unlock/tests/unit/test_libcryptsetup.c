/* SPDX-License-Identifier: MIT */
/*
 * test_libcryptsetup.c: real LUKS1 and LUKS2 images, formatted by Debian's
 * cryptsetup CLI, checked through libcryptsetup: the right passphrase is
 * accepted and a wrong one refused (activation with a NULL name, which
 * needs no device-mapper).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libcryptsetup.h>

#include "testutil.h"

/* ADE's key: base64 of 127 random bytes, 172 characters, used as-is. */
static const char ade_key[] =
    "dMfe2mB6I37OI5yCRLB/fth1yvBtw1lc9V+a4dd7iFNr6b/r+JIN3QVPAprp91/kIGs6lw"
    "jSrsfRDP8xE6IhenTH3tpgeiN+ziOcgkSwf37YdcrwbcNZXPVfmuHXe4hTa+m/6/iSDd0F"
    "TwKa6fdf5CBrOpcI0q7H0Qz/MROiIQ==";

struct img {
	const char	*type;	/* luks1 or luks2 */
	const char	*pbkdf;
	char		 path[512];
};

static char dir[256];
static struct img imgs[] = {
	{ "luks1", "pbkdf2", "" },
	{ "luks2", "pbkdf2", "" },
	{ "luks2", "argon2id", "" },
};

static int
setup(void **state)
{
	char keyfile[300];

	(void)state;
	if (tu_mkdtemp(dir, sizeof(dir), "luks") == NULL)
		return -1;
	snprintf(keyfile, sizeof(keyfile), "%s/key", dir);
	if (tu_write_file(keyfile, ade_key, strlen(ade_key)) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(imgs) / sizeof(imgs[0]); i++) {
		struct img *m = &imgs[i];
		const char *trunc[] = { "truncate", "-s", "20M", m->path, NULL };
		int luks1 = strcmp(m->type, "luks1") == 0;
		/* LUKS1 has no memory cost: its slot holds a harmless repeat. */
		const char *fmt[] = { "cryptsetup", "luksFormat", "--batch-mode",
			"--type", m->type, "--pbkdf", m->pbkdf,
			"--pbkdf-force-iterations",
			strcmp(m->pbkdf, "pbkdf2") == 0 ? "1000" : "4",
			luks1 ? "--batch-mode" : "--pbkdf-memory=32",
			"--key-file", keyfile, m->path, NULL };

		snprintf(m->path, sizeof(m->path), "%s/%s-%s.img", dir, m->type,
		    m->pbkdf);
		if (tu_run(trunc) != 0 || tu_run(fmt) != 0) {
			fprintf(stderr, "cryptsetup luksFormat %s failed\n", m->path);
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

static int
try_passphrase(const struct img *m, const char *pass, size_t len)
{
	struct crypt_device *cd = NULL;
	int r;

	r = crypt_init(&cd, m->path);
	if (r == 0)
		r = crypt_load(cd, CRYPT_LUKS, NULL);
	if (r == 0)
		r = crypt_activate_by_passphrase(cd, NULL, CRYPT_ANY_SLOT, pass,
		    len, 0);
	crypt_free(cd);
	return r;
}

static void
test_right_key_accepted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(imgs) / sizeof(imgs[0]); i++)
		assert_int_equal(try_passphrase(&imgs[i], ade_key,
		    strlen(ade_key)), 0);	/* keyslot 0 */
}

static void
test_wrong_key_refused(void **state)
{
	char wrong[sizeof(ade_key)];

	(void)state;
	memcpy(wrong, ade_key, sizeof(wrong));
	wrong[100] ^= 1;
	for (size_t i = 0; i < sizeof(imgs) / sizeof(imgs[0]); i++) {
		assert_int_equal(try_passphrase(&imgs[i], wrong, strlen(wrong)),
		    -EPERM);
		/* A trailing newline is a different key: the file is used as-is. */
		char nl[sizeof(ade_key) + 1];

		memcpy(nl, ade_key, strlen(ade_key));
		nl[strlen(ade_key)] = '\n';
		assert_int_equal(try_passphrase(&imgs[i], nl, strlen(ade_key) + 1),
		    -EPERM);
	}
}

static void
test_key_is_ade_shaped(void **state)
{
	(void)state;
	assert_int_equal(strlen(ade_key), 172);
}

static void
test_header_type(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(imgs) / sizeof(imgs[0]); i++) {
		struct crypt_device *cd = NULL;

		assert_int_equal(crypt_init(&cd, imgs[i].path), 0);
		assert_int_equal(crypt_load(cd, CRYPT_LUKS, NULL), 0);
		assert_string_equal(crypt_get_type(cd),
		    strcmp(imgs[i].type, "luks1") == 0 ? CRYPT_LUKS1 : CRYPT_LUKS2);
		crypt_free(cd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_is_ade_shaped),
		cmocka_unit_test(test_right_key_accepted),
		cmocka_unit_test(test_wrong_key_refused),
		cmocka_unit_test(test_header_type),
	};

	if (access("/usr/sbin/cryptsetup", X_OK) != 0)
		TU_SKIP_PROGRAM("Debian's cryptsetup CLI is not installed");
	return cmocka_run_group_tests_name("libcryptsetup", tests, setup,
	    teardown);
}
