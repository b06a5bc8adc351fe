/* SPDX-License-Identifier: MIT */
/* test_blockdev.c: device specs, tag matching, and sysfs listing on this host. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>

#include <cmocka.h>

#include "blockdev.h"

static void
test_spec_valid(void **state)
{
	(void)state;
	assert_true(blockdev_spec_valid("UUID=1234"));
	assert_true(blockdev_spec_valid("PARTUUID=abcd-01"));
	assert_true(blockdev_spec_valid("LABEL=BEK VOLUME"));
	assert_true(blockdev_spec_valid("PARTLABEL=root"));
	assert_true(blockdev_spec_valid("/dev/sda1"));
	assert_false(blockdev_spec_valid("UUID="));
	assert_false(blockdev_spec_valid("/dev/"));
	assert_false(blockdev_spec_valid("sda1"));
	assert_false(blockdev_spec_valid("ID=foo"));
	assert_false(blockdev_spec_valid(""));
}

static void
test_match(void **state)
{
	struct blockdev d;

	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(d.uuid, sizeof(d.uuid), "6a9f5c43-0d44-4a34-9a8a-6e0f1b2f3c4d");
	snprintf(d.label, sizeof(d.label), "BEK VOLUME");
	snprintf(d.partuuid, sizeof(d.partuuid), "c0c85054-dc81-cc4c-8571-b44349139e05");
	/* UUIDs compare case-insensitively, labels exactly. */
	assert_int_equal(blockdev_match(&d, "UUID=6A9F5C43-0D44-4A34-9A8A-6E0F1B2F3C4D"), 1);
	assert_int_equal(blockdev_match(&d, "UUID=6a9f5c43-0d44-4a34-9a8a-6e0f1b2f3c4e"), 0);
	assert_int_equal(blockdev_match(&d, "PARTUUID=C0C85054-DC81-CC4C-8571-B44349139E05"), 1);
	assert_int_equal(blockdev_match(&d, "LABEL=BEK VOLUME"), 1);
	assert_int_equal(blockdev_match(&d, "LABEL=bek volume"), 0);
	assert_int_equal(blockdev_match(&d, "LABEL=BEK VOLUME "), 0);
	/* An absent tag never matches. */
	assert_int_equal(blockdev_match(&d, "PARTLABEL=x"), 0);
	d.uuid[0] = '\0';
	assert_int_equal(blockdev_match(&d, "UUID=x"), 0);
	/* A path matches by devno; one that does not exist matches nothing. */
	d.devno = makedev(1, 3);
	assert_int_equal(blockdev_match(&d, "/dev/no-such-device-here"), 0);
	assert_int_equal(blockdev_match(&d, "sda"), -EINVAL);
}

static void
test_list_this_host(void **state)
{
	static struct blockdev devs[BLOCKDEV_MAX];
	size_t n = 0;

	(void)state;
	assert_int_equal(blockdev_list(devs, BLOCKDEV_MAX, &n), 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(devs[i].size > 0);
		assert_true(devs[i].name[0] != '\0');
		assert_true(major(devs[i].devno) != 0 || minor(devs[i].devno) != 0);
	}
	/* A cap of 0 lists nothing and does not write. */
	assert_int_equal(blockdev_list(devs, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(blockdev_find("bogus", &devs[0]), -EINVAL);
	assert_int_equal(blockdev_find("UUID=00000000-dead-beef-0000-000000000000",
	    &devs[0]), -ENOENT);
	blockdev_cleanup();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_valid),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_list_this_host),
	};

	return cmocka_run_group_tests_name("blockdev", tests, NULL, NULL);
}
