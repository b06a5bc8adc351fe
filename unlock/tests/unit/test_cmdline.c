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
#include <sys/stat.h>

#include "cmdline.h"
#include "testutil.h"

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

/* Every option of ours set, so that an ignored word shows if it changed one. */
#define FULL	"rd.ade=1 rd.ade.unlock=1 rd.ade.timeout=5 rd.ade.label=L " \
	"rd.ade.debug rd.luks=1 rd.luks.uuid=" U2 " rd.luks.name=" U2 "=n " \
	"rd.luks.ade.partuuid=" U2 " rd.luks.ade.bootuuid=" U2

/*
 * Parses "base bad": expects 0, the result of base alone (the word ignored
 * as if not written), and one more warning, naming key and "; ignored".
 */
static void
expect_ignored_after(const char *base, const char *bad, const char *key)
{
	struct cmdline want;
	size_t n = strlen(base) + strlen(bad) + 2;
	char *buf = malloc(n);
	unsigned nw;

	assert_non_null(buf);
	assert_int_equal(parse(base), 0);
	memcpy(&want, &c, sizeof(c));
	nw = warn.count;
	snprintf(buf, n, "%s %s", base, bad);
	assert_int_equal(parse(buf), 0);
	if (memcmp(&want, &c, sizeof(c)) != 0)
		fail_msg("'%s' was not ignored", bad);
	assert_int_equal(warn.count, nw + 1);
	assert_true(strncmp(warn.msg[nw], "kernel command line: ", 21) == 0);
	assert_non_null(strstr(warn.msg[nw], key));
	assert_non_null(strstr(warn.msg[nw], "; ignored"));
	free(buf);
}

/* A malformed word of ours: warned and ignored, alone and among others. */
static void
expect_ignored(const char *bad, const char *key)
{
	expect_ignored_after("", bad, key);
	expect_ignored_after(FULL, bad, key);
}

static void
test_empty(void **state)
{
	(void)state;
	assert_int_equal(parse(""), 0);
	assert_false(c.disabled);
	assert_null(c.disabled_by);
	assert_false(c.unlock_disabled);
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
	assert_string_equal(c.disabled_by, "rd.ade=0");
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
	expect_ignored("rd.ade=maybe", "rd.ade='maybe'");
	expect_ignored("rd.ade=", "rd.ade=''");
	expect_ignored("rd.luks=2", "rd.luks='2'");
	expect_ignored("rd.ade.debug=yess", "rd.ade.debug='yess'");
	/* An ignored rd.ade= keeps the earlier one. */
	expect_ignored_after("rd.ade=0", "rd.ade=maybe", "rd.ade");
	assert_true(c.disabled);
	assert_int_equal(parse("rd.ade=maybe"), 0);
	assert_string_equal(warn.msg[0], "kernel command line: "
	    "rd.ade='maybe': not a boolean (1/0, yes/no, on/off); ignored");
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
	expect_ignored("rd.ade.timeout=abc", "rd.ade.timeout='abc'");
	expect_ignored("rd.ade.timeout=-1", "rd.ade.timeout='-1'");
	expect_ignored("rd.ade.timeout=10x", "rd.ade.timeout='10x'");
	expect_ignored("rd.ade.timeout=0x10", "rd.ade.timeout='0x10'");
	expect_ignored("rd.ade.timeout= ", "rd.ade.timeout=''");
	expect_ignored("rd.ade.timeout=", "rd.ade.timeout=''");
	expect_ignored("rd.ade.timeout", "rd.ade.timeout: needs a value");
	expect_ignored("rd.ade.timeout=1.s", "rd.ade.timeout='1.s'");
	assert_int_equal(parse("rd.ade.timeout=7 rd.ade.timeout=abc"), 0);
	assert_int_equal(c.timeout_s, 7);
	assert_string_equal(warn.msg[0], "kernel command line: "
	    "rd.ade.timeout='abc': not a duration in seconds (e.g. 30, 30s, "
	    "2min); ignored");
	assert_int_equal(parse("rd.ade.timeout"), 0);
	assert_string_equal(warn.msg[0], "kernel command line: "
	    "rd.ade.timeout: needs a value; ignored");
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
	expect_ignored(buf, "label too long (max 63 bytes)");
	expect_ignored("rd.ade.label=", "rd.ade.label=''");
	expect_ignored("rd.ade.label=\"\"", "rd.ade.label=''");
	expect_ignored("rd.ade.label", "rd.ade.label: needs a value");
	expect_ignored("rd.ade.label=a\\x01b", "rd.ade.label='a\\x5cx01b'");
	expect_ignored("rd.ade.label=a\\x00b", "rd.ade.label");
	expect_ignored("rd.ade.label=a\\q", "rd.ade.label");
	expect_ignored("rd.ade.label=a\\", "rd.ade.label");
	assert_int_equal(parse("rd.ade.label=A rd.ade.label=a\\x01b"), 0);
	assert_string_equal(c.label, "A");
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
	expect_ignored("rd.luks.uuid=1234", "rd.luks.uuid='1234'");
	expect_ignored("rd.luks.uuid=", "rd.luks.uuid=''");
	expect_ignored("rd.luks.uuid=luks-", "rd.luks.uuid='luks-'");
	expect_ignored("rd.luks.uuid=0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2cg",
	    "rd.luks.uuid");
	expect_ignored("rd.luks.uuid=0b0c1d2e3f40-4a5b-8c6d-7e8f90a1b2c3-",
	    "rd.luks.uuid");
	expect_ignored("rd.luks.uuid=" U1 "0", "rd.luks.uuid");
	expect_ignored("rd.luks.uuid=LUKS-" U1, "rd.luks.uuid");
	expect_ignored("rd.luks.uuid", "rd.luks.uuid: needs a value");
	assert_int_equal(parse("rd.luks.uuid=garbage"), 0);
	assert_int_equal(warn.count, 1);
	assert_string_equal(warn.msg[0], "kernel command line: "
	    "rd.luks.uuid='garbage': not a UUID (8-4-4-4-12 hexadecimal "
	    "digits); ignored");
}

static void
test_luks_uuid_limit(void **state)
{
	char *buf = malloc(66 * 60 + 1);
	size_t o = 0, at64 = 0;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < 66; i++) {
		if (i == 64)
			at64 = o;
		o += (size_t)sprintf(buf + o,
		    "rd.luks.uuid=%08x-0000-4000-8000-000000000000 ", i);
	}
	/* 64 fit; the same one again is not counted twice. */
	buf[at64] = '\0';
	assert_int_equal(parse(buf), 0);
	assert_int_equal(c.n_uuids, 64);
	assert_int_equal(warn.count, 0);
	assert_string_equal(c.uuids[63], "0000003f-0000-4000-8000-000000000000");
	/* The 65th and 66th: one warning, the rest ignored. */
	buf[at64] = 'r';
	assert_int_equal(parse(buf), 0);
	assert_int_equal(c.n_uuids, 64);
	assert_int_equal(warn.count, 1);
	assert_string_equal(warn.msg[0], "kernel command line: more than 64 "
	    "rd.luks.uuid= values, the rest ignored");
	assert_true(cmdline_uuid_allowed(&c,
	    "0000003f-0000-4000-8000-000000000000"));
	assert_false(cmdline_uuid_allowed(&c,
	    "00000040-0000-4000-8000-000000000000"));
	free(buf);
}

static void
test_luks_name_limit(void **state)
{
	char *buf = malloc(66 * 70 + 1);
	size_t o = 0;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < 66; i++)
		o += (size_t)sprintf(buf + o,
		    "rd.luks.name=%08x-0000-4000-8000-000000000000=d%u ", i, i);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(c.n_names, 64);
	assert_int_equal(warn.count, 1);
	assert_string_equal(warn.msg[0], "kernel command line: more than 64 "
	    "rd.luks.name= UUIDs, the rest ignored");
	assert_string_equal(cmdline_uuid_name(&c,
	    "0000003f-0000-4000-8000-000000000000"), "d63");
	assert_null(cmdline_uuid_name(&c,
	    "00000040-0000-4000-8000-000000000000"));
	/* A UUID already named may still be renamed when the table is full. */
	sprintf(buf + o, "rd.luks.name=00000000-0000-4000-8000-000000000000="
	    "again");
	assert_int_equal(parse(buf), 0);
	assert_string_equal(cmdline_uuid_name(&c,
	    "00000000-0000-4000-8000-000000000000"), "again");
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
	expect_ignored("rd.luks.name=" U1, "expected UUID=NAME");
	expect_ignored("rd.luks.name=" U1 "=", "not a valid device-mapper");
	expect_ignored("rd.luks.name=" U1 "=a/b", "rd.luks.name");
	expect_ignored("rd.luks.name=" U1 "=..", "rd.luks.name");
	expect_ignored("rd.luks.name=xyz=root", "rd.luks.name='xyz=root': "
	    "not a UUID");
	expect_ignored("rd.luks.name==root", "rd.luks.name");
	expect_ignored("rd.luks.name", "rd.luks.name: needs a value");
	snprintf(buf, sizeof(buf), "rd.luks.name=" U1 "=%0128d", 1);
	expect_ignored(buf, "name too long (max 127)");
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
	expect_ignored("rd.luks.ade.partuuid=/dev/sda2",
	    "rd.luks.ade.partuuid='/dev/sda2': not a PARTUUID");
	expect_ignored("rd.luks.ade.partuuid=", "rd.luks.ade.partuuid");
	expect_ignored("rd.luks.ade.bootuuid=xyz",
	    "rd.luks.ade.bootuuid='xyz': not a filesystem UUID");
	expect_ignored("rd.luks.ade.bootuuid", "rd.luks.ade.bootuuid");
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
	/* Every prefix parses (a cut value is at worst a warning). */
	for (size_t i = 0; i <= n; i++)
		assert_int_equal(cmdline_parse(buf, i, &c, &err, &warn), 0);
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
	/* A huge value of ours is ignored with a warning, not truncated... */
	memcpy(buf, "rd.ade.label=", 13);
	assert_int_equal(parse(buf), 0);
	assert_false(c.label_set);
	assert_true(c.disabled);
	assert_int_equal(warn.count, 1);
	assert_non_null(strstr(warn.msg[0], "rd.ade.label='xxx"));
	assert_non_null(strstr(warn.msg[0],
	    "': too long (the word is over 4095 bytes); ignored"));
	/* ... and leaves the rest as it was. */
	buf[n - 9] = '\0';
	expect_ignored(buf, "rd.ade.label='xxx");
	memcpy(buf, "rd.luks.uuid=", 13);
	expect_ignored(buf, "rd.luks.uuid");
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

static void
test_malformed_continues(void **state)
{
	(void)state;
	/* Each bad word warned and ignored; the good ones all applied. */
	assert_int_equal(parse("rd.luks.uuid=garbage rd.ade.timeout=abc "
	    "rd.ade.label= rd.luks.uuid=" U1 " rd.ade.timeout=7 rd.ade=maybe "
	    "rd.luks.name=" U2 "=a/b rd.ade.label=K rd.ade.debug=2 "
	    "rd.luks.ade.partuuid=nope rd.luks.ade.bootuuid=" U2), 0);
	assert_int_equal(warn.count, 7);
	assert_non_null(strstr(warn.msg[0], "rd.luks.uuid='garbage'"));
	assert_non_null(strstr(warn.msg[1], "rd.ade.timeout='abc'"));
	assert_non_null(strstr(warn.msg[2], "rd.ade.label=''"));
	assert_non_null(strstr(warn.msg[3], "rd.ade='maybe'"));
	assert_non_null(strstr(warn.msg[4], "rd.luks.name='" U2 "=a/b'"));
	assert_non_null(strstr(warn.msg[5], "rd.ade.debug='2'"));
	assert_non_null(strstr(warn.msg[6], "rd.luks.ade.partuuid='nope'"));
	assert_int_equal(c.n_uuids, 1);
	assert_string_equal(c.uuids[0], U1);
	assert_int_equal(c.n_names, 0);
	assert_int_equal(c.timeout_s, 7);
	assert_string_equal(c.label, "K");
	assert_false(c.disabled);
	assert_false(c.debug);
	assert_string_equal(c.ade_partuuid, "");
	assert_string_equal(c.ade_bootuuid, U2);
	/* Works without a warnings struct too. */
	assert_int_equal(cmdline_parse("rd.ade=x rd.ade.timeout=3", 25, &c,
	    NULL, NULL), 0);
	assert_int_equal(c.timeout_s, 3);
}

static void
test_malformed_filter(void **state)
{
	(void)state;
	/* As if not written: a lone bad rd.luks.uuid= is no filter. */
	assert_int_equal(parse("rd.luks.uuid=garbage"), 0);
	assert_int_equal(c.n_uuids, 0);
	assert_true(cmdline_uuid_allowed(&c, U1));
	assert_int_equal(parse("rd.luks.name=xyz=root"), 0);
	assert_int_equal(c.n_names, 0);
	assert_true(cmdline_uuid_allowed(&c, U1));
	/* With a good one besides, only the good one passes. */
	assert_int_equal(parse("rd.luks.uuid=garbage rd.luks.uuid=" U2), 0);
	assert_true(cmdline_uuid_allowed(&c, U2));
	assert_false(cmdline_uuid_allowed(&c, U1));
	assert_false(cmdline_uuid_allowed(&c, "garbage"));
	/* rd.luks=0 is not undone by a bad rd.luks=. */
	assert_int_equal(parse("rd.luks=0 rd.luks=perhaps"), 0);
	assert_false(cmdline_uuid_allowed(&c, U1));
}

static void
test_legacy_ade(void **state)
{
	(void)state;
	assert_int_equal(parse("rd_NO_ADE"), 0);
	assert_true(c.disabled);
	assert_string_equal(c.disabled_by, "rd_NO_ADE");
	assert_int_equal(warn.count, 0);
	/* dracut's -n does not look at the value... */
	assert_int_equal(parse("rd_NO_ADE=1"), 0);
	assert_true(c.disabled);
	assert_int_equal(parse("rd_NO_ADE=0"), 0);
	assert_true(c.disabled);
	/* ... but an empty one is not found; the last occurrence decides. */
	assert_int_equal(parse("rd_NO_ADE="), 0);
	assert_false(c.disabled);
	assert_int_equal(parse("rd_NO_ADE rd_NO_ADE="), 0);
	assert_false(c.disabled);
	assert_int_equal(parse("rd_NO_ADE= rd_NO_ADE"), 0);
	assert_true(c.disabled);
	/* rd.ade anywhere wins over rd_NO_ADE, whatever the order. */
	assert_int_equal(parse("rd_NO_ADE rd.ade=1"), 0);
	assert_false(c.disabled);
	assert_null(c.disabled_by);
	assert_int_equal(parse("rd.ade=1 rd_NO_ADE"), 0);
	assert_false(c.disabled);
	assert_int_equal(parse("rd.ade rd_NO_ADE"), 0);
	assert_false(c.disabled);
	assert_int_equal(parse("rd_NO_ADE rd.ade=0"), 0);
	assert_true(c.disabled);
	assert_string_equal(c.disabled_by, "rd.ade=0");
	/* A malformed rd.ade= is not there: rd_NO_ADE applies. */
	assert_int_equal(parse("rd.ade=maybe rd_NO_ADE"), 0);
	assert_true(c.disabled);
	assert_string_equal(c.disabled_by, "rd_NO_ADE");
	assert_int_equal(warn.count, 1);
	/* Case matters, as in dracut; not ours, no warning. */
	assert_int_equal(parse("rd_no_ade RD_NO_ADE rd_NO_ADEX"), 0);
	assert_false(c.disabled);
	assert_int_equal(warn.count, 0);
}

static void
test_legacy_uuids(void **state)
{
	(void)state;
	assert_int_equal(parse("rd_LUKS_PARTUUID=" U1UP
	    " rd_LUKS_BOOTUUID=abcd-12ef"), 0);
	assert_string_equal(c.ade_partuuid, U1);
	assert_string_equal(c.ade_bootuuid, "ABCD-12EF");
	assert_int_equal(warn.count, 0);
	/* The last one wins among the old spellings. */
	assert_int_equal(parse("rd_LUKS_PARTUUID=" U1
	    " rd_LUKS_PARTUUID=8d2b2f1a-02"), 0);
	assert_string_equal(c.ade_partuuid, "8d2b2f1a-02");
	/* The new spelling wins, before or after. */
	assert_int_equal(parse("rd_LUKS_PARTUUID=" U1
	    " rd.luks.ade.partuuid=" U2 " rd.luks.ade.bootuuid=" U2
	    " rd_LUKS_BOOTUUID=" U1), 0);
	assert_string_equal(c.ade_partuuid, U2);
	assert_string_equal(c.ade_bootuuid, U2);
	assert_int_equal(parse("rd.luks.ade.partuuid=" U2
	    " rd_LUKS_PARTUUID=" U1), 0);
	assert_string_equal(c.ade_partuuid, U2);
	/* A bad old one: warned by its own name, ignored. */
	expect_ignored("rd_LUKS_PARTUUID=/dev/sda2",
	    "rd_LUKS_PARTUUID='/dev/sda2': not a PARTUUID");
	expect_ignored("rd_LUKS_BOOTUUID=xyz", "rd_LUKS_BOOTUUID='xyz'");
	expect_ignored("rd_LUKS_BOOTUUID", "rd_LUKS_BOOTUUID: needs a value");
	assert_int_equal(parse("rd_LUKS_PARTUUID=" U1
	    " rd_LUKS_PARTUUID=bad"), 0);
	assert_string_equal(c.ade_partuuid, U1);
	/* A bad new one is not there: the old one applies. */
	assert_int_equal(parse("rd.luks.ade.partuuid=bad rd_LUKS_PARTUUID="
	    U1), 0);
	assert_string_equal(c.ade_partuuid, U1);
	assert_int_equal(warn.count, 1);
}

static void
test_unlock_switch(void **state)
{
	(void)state;
	assert_int_equal(parse("rd.ade.unlock=0"), 0);
	assert_true(c.unlock_disabled);
	assert_false(c.disabled);
	assert_null(c.disabled_by);
	assert_true(cmdline_uuid_allowed(&c, U1));
	assert_int_equal(parse("rd.ade.unlock=off"), 0);
	assert_true(c.unlock_disabled);
	assert_int_equal(parse("rd.ade.unlock"), 0);
	assert_false(c.unlock_disabled);
	assert_int_equal(parse("rd.ade.unlock=0 rd.ade.unlock"), 0);
	assert_false(c.unlock_disabled);
	assert_int_equal(parse("rd.ade.unlock=yes rd.ade.unlock=n"), 0);
	assert_true(c.unlock_disabled);
	/* Independent of rd.ade. */
	assert_int_equal(parse("rd.ade.unlock=0 rd.ade=0"), 0);
	assert_true(c.unlock_disabled);
	assert_true(c.disabled);
	assert_int_equal(parse("rd.ade=0 rd.ade.unlock=1"), 0);
	assert_false(c.unlock_disabled);
	assert_true(c.disabled);
	expect_ignored("rd.ade.unlock=maybe", "rd.ade.unlock='maybe'");
	expect_ignored_after("rd.ade.unlock=0", "rd.ade.unlock=",
	    "rd.ade.unlock");
	assert_true(c.unlock_disabled);
	/* A typo is an unknown option of ours. */
	assert_int_equal(parse("rd.ade.unlok=0"), 0);
	assert_false(c.unlock_disabled);
	assert_int_equal(warn.count, 1);
	assert_non_null(strstr(warn.msg[0], "unknown option 'rd.ade.unlok'"));
}

/* ---- cmdline_read_all() ------------------------------------------------ */

static char tmp[256], dir[300], etc[300], proc[300];
static char joined[CMDLINE_TEXT_MAX];
static size_t joined_len;

/* d/name, in one static buffer (used at once). */
static const char *
in(const char *d, const char *name)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/%s", d, name);
	return path;
}

static void
put(const char *path, const char *content)
{
	assert_int_equal(tu_write_file(path, content, strlen(content)), 0);
}

static int
setup_dir(void **state)
{
	(void)state;
	if (tu_mkdtemp(tmp, sizeof(tmp), "cmdline") == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/cmdline.d", tmp);
	snprintf(etc, sizeof(etc), "%s/cmdline", tmp);
	snprintf(proc, sizeof(proc), "%s/proc-cmdline", tmp);
	return mkdir(dir, 0700);
}

static int
teardown_dir(void **state)
{
	(void)state;
	tu_rmtree(tmp);
	return 0;
}

/* cmdline_read_all(d, e, proc) into joined (cap bytes), junk before. */
static int
read_all(const char *d, const char *e, size_t cap)
{
	int r;

	memset(&warn, 0, sizeof(warn));
	memset(joined, 'Z', sizeof(joined));
	joined_len = 12345;
	r = cmdline_read_all(d, e, proc, joined, cap, &joined_len, &warn);
	if (r == 0)
		assert_int_equal(joined_len, strlen(joined));
	else
		assert_int_equal(joined_len, 12345);
	return r;
}

/* The warning holding s, or the test fails. */
static void
expect_warning(const char *s)
{
	for (unsigned i = 0; i < warn.count && i < CONFIG_WARNINGS_MAX; i++)
		if (strstr(warn.msg[i], s) != NULL)
			return;
	fail_msg("no warning says '%s'", s);
}

static void
test_read_all_order(void **state)
{
	(void)state;
	put(in(dir, "b.conf"), "rd.ade.timeout=2\nrd.ade.label=B\n");
	put(in(dir, "a.conf"), "rd.ade.timeout=1 rd.ade.label=A");
	put(in(dir, "10-z.conf"), "rd.luks.uuid=" U1 "\n");
	put(in(dir, "9-y.conf"), "rd.ade.debug\n");
	put(in(dir, "B.conf"), "rd.luks.uuid=" U2);
	put(in(dir, "empty.conf"), "");
	/* Names the shell glob "*.conf" does not match: silently skipped. */
	put(in(dir, "c.txt"), "rd.ade=0");
	put(in(dir, ".hidden.conf"), "rd.ade=0");
	put(in(dir, ".conf"), "rd.ade=0");
	put(in(dir, "x.conf.bak"), "rd.ade=0");
	put(in(dir, "conf"), "rd.ade=0");
	put(etc, "rd.ade.timeout=3 rd.ade.label=E\n");
	put(proc, "rd.ade.timeout=4\n");
	assert_int_equal(read_all(dir, etc, sizeof(joined)), 0);
	/* strcmp order: digits, upper case, lower case. */
	assert_string_equal(joined, "rd.luks.uuid=" U1 "  rd.ade.debug  "
	    "rd.luks.uuid=" U2 " rd.ade.timeout=1 rd.ade.label=A "
	    "rd.ade.timeout=2 rd.ade.label=B  rd.ade.timeout=3 rd.ade.label=E  "
	    "rd.ade.timeout=4 ");
	assert_int_equal(warn.count, 0);
	/* Later words override earlier ones; the lists add up. */
	assert_int_equal(cmdline_parse(joined, joined_len, &c, &err, &warn), 0);
	assert_int_equal(c.timeout_s, 4);
	assert_string_equal(c.label, "E");
	assert_true(c.debug);
	assert_int_equal(c.n_uuids, 2);
	assert_false(c.disabled);
	/* Without the directory, without /etc/cmdline. */
	assert_int_equal(read_all(NULL, etc, sizeof(joined)), 0);
	assert_string_equal(joined, "rd.ade.timeout=3 rd.ade.label=E  "
	    "rd.ade.timeout=4 ");
	assert_int_equal(read_all(dir, NULL, sizeof(joined)), 0);
	assert_null(strstr(joined, "rd.ade.label=E"));
	assert_non_null(strstr(joined, "rd.ade.label=B"));
	assert_int_equal(read_all(NULL, NULL, sizeof(joined)), 0);
	assert_string_equal(joined, "rd.ade.timeout=4 ");
}

static void
test_read_all_refused(void **state)
{
	char target[600];

	(void)state;
	snprintf(target, sizeof(target), "%s/target", tmp);
	put(target, "rd.ade=0");
	put(in(dir, "g.conf"), "rd.ade.debug");
	assert_int_equal(symlink(target, in(dir, "s.conf")), 0);
	assert_int_equal(mkdir(in(dir, "d.conf"), 0700), 0);
	assert_int_equal(mkfifo(in(dir, "f.conf"), 0600), 0);
	assert_int_equal(tu_write_file(in(dir, "n.conf"), "rd.ade=1\0rd.ade=0",
	    17), 0);
	assert_int_equal(tu_write_file(in(dir, "t.conf"), "rd.luks=1\0\0", 11),
	    0);
	assert_int_equal(symlink(target, etc), 0);
	put(proc, "quiet");
	assert_int_equal(read_all(dir, etc, sizeof(joined)), 0);
	assert_string_equal(joined, "rd.ade.debug rd.luks=1 quiet");
	assert_int_equal(warn.count, 5);
	expect_warning("/cmdline.d/d.conf: not read: a directory; ignored");
	expect_warning("/cmdline.d/f.conf: not read: not a regular file; "
	    "ignored");
	expect_warning("/cmdline.d/n.conf: NUL byte inside, not a text file; "
	    "ignored");
	expect_warning("/cmdline.d/s.conf: not read: a symbolic link (only "
	    "regular files are read); ignored");
	expect_warning("/cmdline: not read: a symbolic link");
	/* The directory itself not a directory. */
	assert_int_equal(read_all(target, NULL, sizeof(joined)), 0);
	assert_string_equal(joined, "quiet");
	assert_int_equal(warn.count, 1);
	expect_warning("/target: cannot read the directory: ");
}

static void
test_read_all_missing(void **state)
{
	(void)state;
	put(proc, "rd.ade.timeout=4");
	/* A missing directory or /etc/cmdline is fine. */
	assert_int_equal(read_all(in(tmp, "nope"), in(tmp, "nope2"),
	    sizeof(joined)), 0);
	assert_string_equal(joined, "rd.ade.timeout=4");
	assert_int_equal(warn.count, 0);
	/* /proc/cmdline is not. */
	assert_int_equal(unlink(proc), 0);
	assert_int_equal(read_all(dir, etc, sizeof(joined)), -ENOENT);
	assert_string_equal(joined, "");
	assert_int_equal(symlink(etc, proc), 0);
	put(etc, "x");
	assert_int_equal(read_all(NULL, NULL, sizeof(joined)), -ELOOP);
	assert_int_equal(cmdline_read_all(NULL, NULL, proc, joined, 0,
	    &joined_len, &warn), -EINVAL);
}

static void
test_read_all_cap(void **state)
{
	char *big = malloc(CMDLINE_TEXT_MAX + 10);

	(void)state;
	assert_non_null(big);
	/* 64 bytes: proc's 26 parked first; then the files, while they fit. */
	put(proc, "rd.ade.timeout=9 rd.ade=0\n");
	put(in(dir, "a.conf"), "rd.ade.debug");
	put(in(dir, "b.conf"), "rd.ade.label=0123456789012345678901234567");
	put(in(dir, "c.conf"), "rd.luks=0");
	put(etc, "rd.ade.label=E");
	assert_int_equal(read_all(dir, etc, 64), 0);
	assert_string_equal(joined, "rd.ade.debug rd.ade.timeout=9 rd.ade=0 ");
	assert_int_equal(warn.count, 1);
	expect_warning("/cmdline.d/b.conf: the kernel command line would be "
	    "over 63 bytes; this file and those after it ignored");
	/*
	 * The boundary: a file's bytes, a space and proc's 8 fit in 63 while
	 * room for a closing quote is left too: 53 bytes do, 54 do not.
	 */
	put(proc, "rd.ade=0");
	assert_int_equal(unlink(in(dir, "b.conf")), 0);
	assert_int_equal(unlink(in(dir, "c.conf")), 0);
	memset(big, 'y', 53);
	big[53] = '\0';
	put(in(dir, "a.conf"), big);
	assert_int_equal(read_all(dir, NULL, 64), 0);
	assert_int_equal(joined_len, 53 + 1 + 8);
	assert_int_equal(warn.count, 0);
	big[53] = 'y';
	big[54] = '\0';
	put(in(dir, "a.conf"), big);
	assert_int_equal(read_all(dir, NULL, 64), 0);
	assert_string_equal(joined, "rd.ade=0");
	assert_int_equal(warn.count, 1);
	/* A file bigger than the whole buffer: /proc's words still there. */
	memset(big, 'x', CMDLINE_TEXT_MAX + 9);
	big[CMDLINE_TEXT_MAX + 9] = '\0';
	put(in(dir, "a.conf"), big);
	put(proc, "rd.ade.timeout=9 rd.ade=0\n");
	assert_int_equal(read_all(dir, etc, sizeof(joined)), 0);
	assert_string_equal(joined, "rd.ade.timeout=9 rd.ade=0 ");
	assert_int_equal(warn.count, 1);
	assert_int_equal(cmdline_parse(joined, joined_len, &c, &err, &warn), 0);
	assert_true(c.disabled);
	assert_int_equal(c.timeout_s, 9);
	/* /proc/cmdline alone too big: an error. */
	assert_int_equal(read_all(NULL, NULL, 10), -EFBIG);
	assert_string_equal(joined, "");
	free(big);
}

static void
test_read_all_text(void **state)
{
	(void)state;
	/* An open quote is closed at the end of its file. */
	put(in(dir, "a.conf"), "rd.ade.label=\"A B");
	/* '#' is no comment, for dracut either. */
	put(in(dir, "b.conf"), "# rd.ade.timeout=5\n");
	put(proc, "rd.ade=0");
	assert_int_equal(read_all(dir, NULL, sizeof(joined)), 0);
	assert_string_equal(joined, "rd.ade.label=\"A B\" # rd.ade.timeout=5  "
	    "rd.ade=0");
	assert_int_equal(warn.count, 1);
	expect_warning("/cmdline.d/a.conf: unterminated double quote, closed "
	    "at the end of the file");
	assert_int_equal(cmdline_parse(joined, joined_len, &c, &err, &warn), 0);
	assert_string_equal(c.label, "A B");
	assert_int_equal(c.timeout_s, 5);
	assert_true(c.disabled);
	/* /proc/cmdline is cut at a NUL, as cmdline_parse() would. */
	assert_int_equal(tu_write_file(proc, "rd.ade.debug\0rd.ade=0", 21), 0);
	assert_int_equal(read_all(NULL, NULL, sizeof(joined)), 0);
	assert_string_equal(joined, "rd.ade.debug");
}

static void
test_read_all_many(void **state)
{
	char name[32], val[32];

	(void)state;
	for (unsigned i = 0; i < CMDLINE_DIR_MAX_FILES + 2; i++) {
		snprintf(name, sizeof(name), "f%03u.conf", i);
		snprintf(val, sizeof(val), "rd.ade.timeout=%u", i);
		put(in(dir, name), val);
	}
	put(proc, "");
	assert_int_equal(read_all(dir, NULL, sizeof(joined)), 0);
	assert_int_equal(warn.count, 1);
	expect_warning("/cmdline.d: more than 128 *.conf files, the rest "
	    "ignored");
	assert_int_equal(cmdline_parse(joined, joined_len, &c, &err, &warn), 0);
	assert_int_equal(c.timeout_s, CMDLINE_DIR_MAX_FILES - 1);
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
		cmocka_unit_test(test_luks_name_limit),
		cmocka_unit_test(test_luks_name),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_ade_uuids),
		cmocka_unit_test(test_unrelated_ignored),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_long_words),
		cmocka_unit_test(test_apply),
		cmocka_unit_test(test_warnings_overflow),
		cmocka_unit_test(test_malformed_continues),
		cmocka_unit_test(test_malformed_filter),
		cmocka_unit_test(test_legacy_ade),
		cmocka_unit_test(test_legacy_uuids),
		cmocka_unit_test(test_unlock_switch),
		cmocka_unit_test_setup_teardown(test_read_all_order, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_all_refused,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_all_missing,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_all_cap, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_all_text, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_read_all_many, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
