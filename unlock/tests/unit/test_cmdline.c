/* SPDX-License-Identifier: MIT */
/* test_cmdline.c: kernel command line parsing of cmdline.c (DESIGN 3.1). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cmdline.h"

#define U1	"0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
#define U1UP	"0B0C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3"
#define U2	"11111111-2222-4333-8444-555555555555"

static struct cmdline c;
static struct config_error err;
static struct config_warnings warn;

static int
parse(const char *s)
{
	memset(&err, 0, sizeof(err));
	memset(&warn, 0, sizeof(warn));
	cmdline_init(&c);
	return cmdline_parse(s, strlen(s), &c, &err, &warn);
}

/* Parses s and expects an error of code r naming field. */
static void
expect_error(const char *s, int r, const char *field)
{
	struct cmdline before;

	cmdline_init(&c);
	c.debug = true;		/* a marker: ret must stay untouched */
	memcpy(&before, &c, sizeof(c));
	memset(&err, 0, sizeof(err));
	if (cmdline_parse(s, strlen(s), &c, &err, NULL) != r)
		fail_msg("'%s' did not return %d", s, r);
	assert_string_equal(err.field, field);
	assert_true(strlen(err.reason) > 0);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
test_empty(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_false(c.disabled);
	assert_false(c.luks_disabled);
	assert_int_equal(c.timeout_s, -1);
	assert_false(c.label_set);
	assert_false(c.debug);
	assert_int_equal(c.n_uuids, 0);
	assert_int_equal(c.n_names, 0);
	assert_string_equal(c.ade_partuuid, "");
	assert_string_equal(c.ade_bootuuid, "");
	assert_int_equal(warn.count, 0);
	assert_int_equal(parse("   \n\t  "), 0);
	assert_int_equal(cmdline_parse(NULL, 0, &c, &err, &warn), 0);
}

static void
test_real_cmdline(void **state)
{
	(void)state;
	assert_int_equal(parse("BOOT_IMAGE=/vmlinuz-6.1.0-18-cloud-amd64 "
	    "root=/dev/mapper/osencrypt ro console=tty1 console=ttyS0 "
	    "earlyprintk=ttyS0 rd.luks.ade.partuuid=" U1 " "
	    "rd.luks.ade.bootuuid=" U2 " net.ifnames=0 quiet\n"), 0);
	assert_string_equal(c.ade_partuuid, U1);
	assert_string_equal(c.ade_bootuuid, U2);
	assert_false(c.disabled);
	assert_int_equal(warn.count, 0);
}

static void
test_quoting(void **state)
{
	(void)state;
	assert_int_equal(parse("rd.ade.label=\"BEK VOLUME\" quiet"), 0);
	assert_true(c.label_set);
	assert_string_equal(c.label, "BEK VOLUME");
	/* The whole word quoted. */
	assert_int_equal(parse("\"rd.ade.label=MY KEYS\""), 0);
	assert_string_equal(c.label, "MY KEYS");
	/* A quote in the middle of the value. */
	assert_int_equal(parse("rd.ade.label=BEK\" \"VOL"), 0);
	assert_string_equal(c.label, "BEK VOL");
	/* A quoted value holding '=' and a tab. */
	assert_int_equal(parse("rd.ade.label=\"a=b c\" rd.ade.debug"), 0);
	assert_string_equal(c.label, "a=b c");
	assert_true(c.debug);
	/* Unterminated quote: runs to the end. */
	assert_int_equal(parse("quiet rd.ade.label=\"BEK VOLUME rd.ade=0"), 0);
	assert_string_equal(c.label, "BEK VOLUME rd.ade=0");
	assert_false(c.disabled);
	/* Others' quoted words with blanks inside are skipped as one word. */
	assert_int_equal(parse("foo=\"rd.ade=0 x\" rd.ade.debug"), 0);
	assert_false(c.disabled);
	assert_true(c.debug);
	/* udev-style escape in the label. */
	assert_int_equal(parse("rd.ade.label=BEK\\x20VOLUME"), 0);
	assert_string_equal(c.label, "BEK VOLUME");
}

static void
test_last_wins(void **state)
{
	(void)state;
	assert_int_equal(parse("rd.ade.timeout=5 rd.ade.label=A "
	    "rd.ade.timeout=7 rd.ade.label=B"), 0);
	assert_int_equal(c.timeout_s, 7);
	assert_string_equal(c.label, "B");
	assert_int_equal(parse("rd.ade=0 rd.ade=1"), 0);
	assert_false(c.disabled);
	assert_int_equal(parse("rd.ade=1 rd.ade=0"), 0);
	assert_true(c.disabled);
	assert_int_equal(parse("rd.ade.debug rd.ade.debug=0"), 0);
	assert_false(c.debug);
	assert_int_equal(parse("rd.luks.ade.partuuid=" U1
	    " rd.luks.ade.partuuid=" U2), 0);
	assert_string_equal(c.ade_partuuid, U2);
}

static void
test_booleans(void **state)
{
	static const char *const off[] = { "0", "no", "off", "false", "n", "f",
	    "NO", "Off", "FALSE" };
	static const char *const on[] = { "1", "yes", "on", "true", "y", "t",
	    "YES", "On" };
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		snprintf(buf, sizeof(buf), "rd.ade=%s", off[i]);
		assert_int_equal(parse(buf), 0);
		assert_true(c.disabled);
		snprintf(buf, sizeof(buf), "rd.luks=%s", off[i]);
		assert_int_equal(parse(buf), 0);
		assert_true(c.luks_disabled);
		assert_false(c.disabled);
	}
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		snprintf(buf, sizeof(buf), "rd.ade=0 rd.ade=%s", on[i]);
		assert_int_equal(parse(buf), 0);
		assert_false(c.disabled);
		snprintf(buf, sizeof(buf), "rd.ade.debug=%s", on[i]);
		assert_int_equal(parse(buf), 0);
		assert_true(c.debug);
	}
	assert_int_equal(parse("rd.ade=0 rd.ade"), 0);
	assert_false(c.disabled);
	assert_int_equal(parse("rd.luks=0 rd.luks"), 0);
	assert_false(c.luks_disabled);
	assert_int_equal(parse("rd.ade.debug"), 0);
	assert_true(c.debug);
	/* Not ours: similar prefixes. */
	assert_int_equal(parse("rd.aded=0 rd.luksx=0 xrd.ade=0 luks=0"), 0);
	assert_false(c.disabled);
	assert_false(c.luks_disabled);
	expect_error("rd.ade=maybe", -EINVAL, "rd.ade");
	expect_error("rd.ade=", -EINVAL, "rd.ade");
	expect_error("rd.luks=2", -EINVAL, "rd.luks");
	expect_error("rd.ade.debug=yess", -EINVAL, "rd.ade.debug");
}

static void
test_timeout(void **state)
{
	(void)state;
	assert_int_equal(parse("rd.ade.timeout=30"), 0);
	assert_int_equal(c.timeout_s, 30);
	assert_int_equal(parse("rd.ade.timeout=0"), 0);
	assert_int_equal(c.timeout_s, 0);
	assert_int_equal(parse("rd.ade.timeout=30s"), 0);
	assert_int_equal(c.timeout_s, 30);
	assert_int_equal(parse("rd.ade.timeout=2min"), 0);
	assert_int_equal(c.timeout_s, 120);
	assert_int_equal(parse("rd.ade.timeout=\"1min 30s\""), 0);
	assert_int_equal(c.timeout_s, 90);
	assert_int_equal(parse("rd.ade.timeout=1500ms"), 0);
	assert_int_equal(c.timeout_s, 2);
	assert_int_equal(warn.count, 0);
	/* Above the cap: capped, with a warning. */
	assert_int_equal(parse("rd.ade.timeout=99999999999999999999999"), 0);
	assert_int_equal(c.timeout_s, CONFIG_TIMEOUT_MAX);
	assert_int_equal(warn.count, 1);
	assert_non_null(strstr(warn.msg[0], "rd.ade.timeout"));
	assert_int_equal(parse("rd.ade.timeout=2h"), 0);
	assert_int_equal(c.timeout_s, 3600);
	assert_int_equal(parse("rd.ade.timeout=infinity"), 0);
	assert_int_equal(c.timeout_s, 3600);
	expect_error("rd.ade.timeout=abc", -EINVAL, "rd.ade.timeout");
	expect_error("rd.ade.timeout=-1", -EINVAL, "rd.ade.timeout");
	expect_error("rd.ade.timeout=10x", -EINVAL, "rd.ade.timeout");
	expect_error("rd.ade.timeout=0x10", -EINVAL, "rd.ade.timeout");
	expect_error("rd.ade.timeout= ", -EINVAL, "rd.ade.timeout");
	expect_error("rd.ade.timeout=", -EINVAL, "rd.ade.timeout");
	expect_error("rd.ade.timeout", -EINVAL, "rd.ade.timeout");
	expect_error("rd.ade.timeout=1.s", -EINVAL, "rd.ade.timeout");
	assert_non_null(strstr(err.reason, "1.s"));
}

static void
test_label(void **state)
{
	char buf[200];

	(void)state;
	/* 63 bytes fit, 64 do not. */
	snprintf(buf, sizeof(buf), "rd.ade.label=%063d", 7);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(strlen(c.label), 63);
	snprintf(buf, sizeof(buf), "rd.ade.label=%064d", 7);
	expect_error(buf, -ENAMETOOLONG, "rd.ade.label");
	expect_error("rd.ade.label=", -EINVAL, "rd.ade.label");
	expect_error("rd.ade.label=\"\"", -EINVAL, "rd.ade.label");
	expect_error("rd.ade.label", -EINVAL, "rd.ade.label");
	expect_error("rd.ade.label=a\\x01b", -EINVAL, "rd.ade.label");
	expect_error("rd.ade.label=a\\x00b", -EINVAL, "rd.ade.label");
	expect_error("rd.ade.label=a\\q", -EINVAL, "rd.ade.label");
	expect_error("rd.ade.label=a\\", -EINVAL, "rd.ade.label");
}

static void
test_luks_uuid(void **state)
{
	(void)state;
	assert_int_equal(parse("rd.luks.uuid=" U1), 0);
	assert_int_equal(c.n_uuids, 1);
	assert_string_equal(c.uuids[0], U1);
	assert_int_equal(parse("rd.luks.uuid=luks-" U1 " rd.luks.uuid=" U2),
	    0);
	assert_int_equal(c.n_uuids, 2);
	assert_string_equal(c.uuids[0], U1);
	assert_string_equal(c.uuids[1], U2);
	/* Upper case is normalised; duplicates are dropped. */
	assert_int_equal(parse("rd.luks.uuid=" U1UP " rd.luks.uuid=luks-" U1),
	    0);
	assert_int_equal(c.n_uuids, 1);
	assert_string_equal(c.uuids[0], U1);
	expect_error("rd.luks.uuid=1234", -EINVAL, "rd.luks.uuid");
	expect_error("rd.luks.uuid=", -EINVAL, "rd.luks.uuid");
	expect_error("rd.luks.uuid=luks-", -EINVAL, "rd.luks.uuid");
	expect_error("rd.luks.uuid=0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2cg",
	    -EINVAL, "rd.luks.uuid");
	expect_error("rd.luks.uuid=0b0c1d2e3f40-4a5b-8c6d-7e8f90a1b2c3-",
	    -EINVAL, "rd.luks.uuid");
	expect_error("rd.luks.uuid=" U1 "0", -EINVAL, "rd.luks.uuid");
	expect_error("rd.luks.uuid=LUKS-" U1, -EINVAL, "rd.luks.uuid");
}

static void
test_luks_uuid_limit(void **state)
{
	char *buf = malloc(65 * 60 + 1);
	size_t o = 0, at64 = 0;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < 65; i++) {
		if (i == 64)
			at64 = o;
		o += (size_t)sprintf(buf + o,
		    "rd.luks.uuid=%08x-0000-4000-8000-000000000000 ", i);
	}
	/* 64 fit; the same one again is not counted twice. */
	buf[at64] = '\0';
	assert_int_equal(parse(buf), 0);
	assert_int_equal(c.n_uuids, 64);
	assert_string_equal(c.uuids[63], "0000003f-0000-4000-8000-000000000000");
	buf[at64] = 'r';
	expect_error(buf, -E2BIG, "rd.luks.uuid");
	free(buf);
}

static void
test_luks_name(void **state)
{
	char buf[300];

	(void)state;
	assert_int_equal(parse("rd.luks.name=" U1 "=cryptroot "
	    "rd.luks.name=luks-" U2 "=data0"), 0);
	assert_int_equal(c.n_names, 2);
	assert_string_equal(c.names[0].uuid, U1);
	assert_string_equal(c.names[0].name, "cryptroot");
	assert_string_equal(c.names[1].uuid, U2);
	assert_string_equal(c.names[1].name, "data0");
	assert_int_equal(c.n_uuids, 0);
	/* The same UUID again: the last name wins. */
	assert_int_equal(parse("rd.luks.name=" U1UP "=a rd.luks.name=" U1
	    "=b"), 0);
	assert_int_equal(c.n_names, 1);
	assert_string_equal(c.names[0].name, "b");
	expect_error("rd.luks.name=" U1, -EINVAL, "rd.luks.name");
	expect_error("rd.luks.name=" U1 "=", -EINVAL, "rd.luks.name");
	expect_error("rd.luks.name=" U1 "=a/b", -EINVAL, "rd.luks.name");
	expect_error("rd.luks.name=" U1 "=..", -EINVAL, "rd.luks.name");
	expect_error("rd.luks.name=xyz=root", -EINVAL, "rd.luks.name");
	expect_error("rd.luks.name==root", -EINVAL, "rd.luks.name");
	snprintf(buf, sizeof(buf), "rd.luks.name=" U1 "=%0128d", 1);
	expect_error(buf, -ENAMETOOLONG, "rd.luks.name");
	snprintf(buf, sizeof(buf), "rd.luks.name=" U1 "=%0127d", 1);
	assert_int_equal(parse(buf), 0);
}

static void
test_allowed(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_true(cmdline_uuid_allowed(&c, U1));
	assert_int_equal(parse("rd.luks=0"), 0);
	assert_false(cmdline_uuid_allowed(&c, U1));
	assert_int_equal(parse("rd.luks.uuid=" U1 " rd.luks.name=" U2 "=d"),
	    0);
	assert_true(cmdline_uuid_allowed(&c, U1));
	assert_true(cmdline_uuid_allowed(&c, "luks-" U1UP));
	assert_true(cmdline_uuid_allowed(&c, U2));
	assert_false(cmdline_uuid_allowed(&c,
	    "99999999-2222-4333-8444-555555555555"));
	assert_false(cmdline_uuid_allowed(&c, "garbage"));
	assert_false(cmdline_uuid_allowed(&c, NULL));
	assert_string_equal(cmdline_uuid_name(&c, U2), "d");
	assert_null(cmdline_uuid_name(&c, U1));
	assert_null(cmdline_uuid_name(&c, NULL));
}

static void
test_ade_uuids(void **state)
{
	(void)state;
	assert_int_equal(parse("rd.luks.ade.partuuid=" U1UP
	    " rd.luks.ade.bootuuid=" U1UP), 0);
	assert_string_equal(c.ade_partuuid, U1);
	assert_string_equal(c.ade_bootuuid, U1);
	/* MBR PARTUUID, FAT boot id. */
	assert_int_equal(parse("rd.luks.ade.partuuid=8D2B2F1A-02 "
	    "rd.luks.ade.bootuuid=abcd-12ef"), 0);
	assert_string_equal(c.ade_partuuid, "8d2b2f1a-02");
	assert_string_equal(c.ade_bootuuid, "ABCD-12EF");
	expect_error("rd.luks.ade.partuuid=/dev/sda2", -EINVAL,
	    "rd.luks.ade.partuuid");
	expect_error("rd.luks.ade.partuuid=", -EINVAL, "rd.luks.ade.partuuid");
	expect_error("rd.luks.ade.bootuuid=xyz", -EINVAL,
	    "rd.luks.ade.bootuuid");
	expect_error("rd.luks.ade.bootuuid", -EINVAL, "rd.luks.ade.bootuuid");
}

static void
test_unrelated_ignored(void **state)
{
	(void)state;
	assert_int_equal(parse("root=UUID=" U1 " rd.luks.key=/k:LABEL=x "
	    "rd.luks.options=discard rd.lvm.vg=rootvg luks.uuid=bad "
	    "rd.ade_timeout=abc rd.adetimeout=x ade.timeout=x "
	    "rd.luks.uuidx=1 -- rd.lvm=0 \"quoted junk\" = == =x"), 0);
	assert_int_equal(c.n_uuids, 0);
	assert_int_equal(c.timeout_s, -1);
	assert_int_equal(warn.count, 0);
	/* Typos in our own namespace are named. */
	assert_int_equal(parse("rd.ade.timout=5 rd.luks.ade.partuid=x"), 0);
	assert_int_equal(warn.count, 2);
	assert_non_null(strstr(warn.msg[0], "rd.ade.timout"));
	assert_non_null(strstr(warn.msg[1], "rd.luks.ade.partuid"));
}

static void
test_not_nul_terminated(void **state)
{
	static const char text[] = "rd.ade.timeout=12 rd.ade.label=\"BEK VOL\"";
	size_t n = sizeof(text) - 1;
	char *buf = malloc(n);

	(void)state;
	assert_non_null(buf);
	/* Exactly n bytes on the heap: ASan catches a read past them. */
	memcpy(buf, text, n);
	assert_int_equal(cmdline_parse(buf, n, &c, &err, &warn), 0);
	assert_int_equal(c.timeout_s, 12);
	assert_string_equal(c.label, "BEK VOL");
	/* Cut inside the value: "rd.ade.timeout=1". */
	assert_int_equal(cmdline_parse(buf, 16, &c, &err, &warn), 0);
	assert_int_equal(c.timeout_s, 1);
	/* Every prefix parses or fails cleanly. */
	for (size_t i = 0; i <= n; i++) {
		int r = cmdline_parse(buf, i, &c, &err, &warn);

		assert_true(r == 0 || r == -EINVAL);
	}
	free(buf);
	/* A NUL ends the text. */
	assert_int_equal(cmdline_parse("rd.ade=1\0rd.ade=0", 17, &c, &err,
	    &warn), 0);
	assert_false(c.disabled);
}

static void
test_long_words(void **state)
{
	size_t n = CMDLINE_WORD_MAX * 3;
	char *buf = malloc(n + 1);

	(void)state;
	assert_non_null(buf);
	/* A huge word that is not ours is skipped. */
	memset(buf, 'x', n);
	memcpy(buf + n - 9, " rd.ade=0", 9);
	buf[n] = '\0';
	assert_int_equal(parse(buf), 0);
	assert_true(c.disabled);
	/* A huge value of ours is an error, not truncated. */
	memcpy(buf, "rd.ade.label=", 13);
	expect_error(buf, -ENAMETOOLONG, "rd.ade.label");
	memcpy(buf, "rd.luks.uuid=", 13);
	expect_error(buf, -ENAMETOOLONG, "rd.luks.uuid");
	free(buf);
}

static void
test_apply(void **state)
{
	struct conf *cf = malloc(sizeof(*cf));

	(void)state;
	assert_non_null(cf);
	conf_init(cf);
	snprintf(cf->label, sizeof(cf->label), "FROM CONF");
	cf->timeout_s = 45;
	assert_int_equal(parse("quiet"), 0);
	cmdline_apply(&c, cf);
	assert_string_equal(cf->label, "FROM CONF");
	assert_int_equal(cf->timeout_s, 45);
	assert_int_equal(parse("rd.ade.label=\"BEK VOLUME\" rd.ade.timeout=0"),
	    0);
	cmdline_apply(&c, cf);
	assert_string_equal(cf->label, "BEK VOLUME");
	assert_int_equal(cf->timeout_s, 0);
	free(cf);
}

static void
test_warnings_overflow(void **state)
{
	char *buf = malloc(40 * 20 + 1);
	size_t o = 0;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < 40; i++)
		o += (size_t)sprintf(buf + o, "rd.ade.x%u=1 ", i);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(warn.count, 40);
	assert_non_null(strstr(warn.msg[31], "rd.ade.x31"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_real_cmdline),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_last_wins),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_label),
		cmocka_unit_test(test_luks_uuid),
		cmocka_unit_test(test_luks_uuid_limit),
		cmocka_unit_test(test_luks_name),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_ade_uuids),
		cmocka_unit_test(test_unrelated_ignored),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_long_words),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_warnings_overflow),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
