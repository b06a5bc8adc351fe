/* SPDX-License-Identifier: MIT */
/* test_crypttab.c: crypttab(5) parsing and BEK ownership of crypttab.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypttab.h"

#define U1	"0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
#define U2	"11111111-2222-4333-8444-555555555555"
#define FILE_	"/etc/crypttab"

/* About 220 KB each: static, never on the stack. */
static struct crypttab t, before;
static struct config_error err;
static struct config_warnings warn;

static int
parse(const char *s)
{
	memset(&err, 0, sizeof(err));
	memset(&warn, 0, sizeof(warn));
	return crypttab_parse(s, strlen(s), FILE_, &t, &err, &warn);
}

/* Expects error r on line, naming field; t must stay untouched. */
static void
expect_error_at(const char *s, int r, unsigned line, const char *field)
{
	memset(&t, 0x5a, sizeof(t));
	memcpy(&before, &t, sizeof(t));
	memset(&err, 0, sizeof(err));
	if (crypttab_parse(s, strlen(s), FILE_, &t, &err, NULL) != r)
		fail_msg("'%.200s' did not fail with %d (%s:%u: %s: %s)", s, r,
		    err.file, err.line, err.field, err.reason);
	assert_string_equal(err.file, FILE_);
	assert_int_equal(err.line, line);
	assert_string_equal(err.field, field);
	assert_true(strlen(err.reason) > 0);
	assert_memory_equal(&t, &before, sizeof(t));
}

static void
expect_error(const char *s, int r, const char *field)
{
	expect_error_at(s, r, 1, field);
}

/* crypttab_entry_bek_file() of entry i with the default label. */
static int
bek(unsigned i, const char *label, const char *uuid, char *file)
{
	file[0] = '\0';
	return crypttab_entry_bek_file(&t.e[i], label, uuid, file, 256);
}

static bool
warned(const char *needle)
{
	for (unsigned i = 0; i < warn.count && i < CONFIG_WARNINGS_MAX; i++)
		if (strstr(warn.msg[i], needle) != NULL)
			return true;
	return false;
}

static void
test_ade_data_disk(void **state)
{
	char f[256];

	(void)state;
	assert_int_equal(parse("data0 /dev/disk/azure/scsi1/lun0 "
	    "/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,nofail\n"),
	    0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.e[0].name, "data0");
	assert_string_equal(t.e[0].device, "/dev/disk/azure/scsi1/lun0");
	assert_string_equal(t.e[0].keyfile,
	    "/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0");
	assert_string_equal(t.e[0].keyfile_dev, "");
	assert_int_equal(t.e[0].flags, CT_LUKS | CT_NOFAIL);
	assert_int_equal(t.e[0].line, 1);
	assert_int_equal(t.e[0].prompt_timeout_s, 0);
	assert_int_equal(t.e[0].device_timeout_s, 0);
	assert_false(t.e[0].device_timeout_set);
	assert_int_equal(t.e[0].tries, 0);
	assert_int_equal(warn.count, 0);
	assert_int_equal(bek(0, NULL, NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName_1_0");
	/* ADE's path does not depend on the label. */
	assert_int_equal(bek(0, "OTHER", NULL, f), 1);
}

static void
test_ade_os_disk(void **state)
{
	char f[256];

	(void)state;
	assert_int_equal(parse("osencrypt UUID=" U1 " /bek/LinuxPassPhraseFileName "
	    "timeout=10,discard,header=/boot/luks/osluksheader"), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.e[0].name, "osencrypt");
	assert_string_equal(t.e[0].device, "UUID=" U1);
	assert_string_equal(t.e[0].keyfile, "/bek/LinuxPassPhraseFileName");
	assert_int_equal(t.e[0].prompt_timeout_s, 10);
	assert_false(t.e[0].device_timeout_set);
	assert_int_equal(t.e[0].flags, CT_DISCARD | CT_HEADER);
	assert_string_equal(t.e[0].header, "/boot/luks/osluksheader");
	assert_string_equal(t.e[0].header_dev, "");
	assert_int_equal(bek(0, NULL, NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName");
	assert_int_equal(warn.count, 0);
}

static void
test_systemd_form(void **state)
{
	char f[256];

	(void)state;
	assert_int_equal(parse(
	    "d1 UUID=" U1 " /LinuxPassPhraseFileName_1_1:LABEL=BEK\\x20VOLUME luks\n"
	    "d2 UUID=" U2 " /keys/k:UUID=ABCD-1234\n"
	    "d3 PARTUUID=" U2 " /k:/dev/disk/by-label/BEK\\x20VOLUME\n"
	    "d4 /dev/sdc /k:LABEL=\"BEK\\x20VOLUME\"\n"
	    "d5 /dev/sdd /k:/dev/disk/by-uuid/abcd-1234\n"
	    "d6 /dev/sde /LinuxPassPhraseFileName:LABEL=OTHER\n"), 0);
	assert_int_equal(t.n, 6);
	assert_string_equal(t.e[0].keyfile, "/LinuxPassPhraseFileName_1_1");
	assert_string_equal(t.e[0].keyfile_dev, "LABEL=BEK VOLUME");
	assert_int_equal(bek(0, NULL, NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName_1_1");
	assert_int_equal(bek(0, "BEK VOLUME", NULL, f), 1);
	/* A different label: not ours. Labels compare exactly. */
	assert_int_equal(bek(0, "OTHER", NULL, f), 0);
	assert_int_equal(bek(0, "bek volume", NULL, f), 0);
	/* By filesystem UUID, only when the BEK UUID is configured. */
	assert_string_equal(t.e[1].keyfile_dev, "UUID=ABCD-1234");
	assert_int_equal(bek(1, NULL, NULL, f), 0);
	assert_int_equal(bek(1, NULL, "", f), 0);
	assert_int_equal(bek(1, NULL, "abcd-1234", f), 1);
	assert_string_equal(f, "keys/k");
	assert_int_equal(bek(1, NULL, "ABCD-1235", f), 0);
	assert_int_equal(bek(2, NULL, NULL, f), 1);
	assert_string_equal(f, "k");
	assert_int_equal(bek(3, NULL, NULL, f), 1);
	assert_int_equal(bek(4, NULL, NULL, f), 0);
	assert_int_equal(bek(4, NULL, "ABCD-1234", f), 1);
	assert_int_equal(bek(5, NULL, NULL, f), 0);
	assert_int_equal(bek(5, "OTHER", NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName");
}

static void
test_header_device(void **state)
{
	(void)state;
	assert_int_equal(parse("osencrypt PARTUUID=" U2 " none "
	    "header=/boot/luks/osluksheader:UUID=" U1 ",discard"), 0);
	assert_string_equal(t.e[0].header, "/boot/luks/osluksheader");
	assert_string_equal(t.e[0].header_dev, "UUID=" U1);
	assert_int_equal(t.e[0].flags, CT_HEADER | CT_DISCARD);
	assert_string_equal(t.e[0].keyfile, "");
	/* A header on a device given by path; escaped comma in a value. */
	assert_int_equal(parse("x /dev/sda2 - header=/h\\x2cx:/dev/sda1"), 0);
	assert_string_equal(t.e[0].header, "/h,x");
	assert_string_equal(t.e[0].header_dev, "/dev/sda1");
	assert_int_equal(parse("x /dev/sda2 - header=/h\\,y,luks"), 0);
	assert_string_equal(t.e[0].header, "/h,y");
	assert_int_equal(t.e[0].flags, CT_HEADER | CT_LUKS);
	/* A colon not followed by a device spec is part of the path. */
	assert_int_equal(parse("x /dev/sda2 - header=/a:b"), 0);
	assert_string_equal(t.e[0].header, "/a:b");
	assert_string_equal(t.e[0].header_dev, "");
	expect_error("x /dev/sda2 - header=", -EINVAL, "options: header=");
	expect_error("x /dev/sda2 - header=boot/h", -EINVAL,
	    "options: header=");
	expect_error("x /dev/sda2 - header=:UUID=" U1, -EINVAL,
	    "options: header=");
	expect_error("x /dev/sda2 - header=/h:LABEL=", -EINVAL,
	    "options: header=");
	expect_error("x /dev/sda2 - header=/", -EINVAL, "options: header=");
}

static void
test_keyfile_forms(void **state)
{
	(void)state;
	assert_int_equal(parse("a /dev/sda none\nb /dev/sdb -\nc /dev/sdc\n"
	    "d /dev/sdd /a:b:LABEL=x\ne /dev/sde /dev/disk/by-id/usb-x:0:1\n"
	    "f /dev/sdf /key:/dev/sdb1\ng /dev/sdg /k:PARTLABEL=p\n"
	    "h /dev/sdh /k:ID=usb-1\ni /dev/sdi /k:PARTUUID=" U1 "\n"
	    "j /dev/sdj nonex\n"), 0);
	assert_int_equal(t.n, 10);
	assert_string_equal(t.e[0].keyfile, "");
	assert_string_equal(t.e[1].keyfile, "");
	assert_string_equal(t.e[2].keyfile, "");
	assert_string_equal(t.e[3].keyfile, "/a:b");
	assert_string_equal(t.e[3].keyfile_dev, "LABEL=x");
	assert_string_equal(t.e[4].keyfile, "/dev/disk/by-id/usb-x:0:1");
	assert_string_equal(t.e[4].keyfile_dev, "");
	assert_string_equal(t.e[5].keyfile, "/key");
	assert_string_equal(t.e[5].keyfile_dev, "/dev/sdb1");
	assert_string_equal(t.e[6].keyfile_dev, "PARTLABEL=p");
	assert_string_equal(t.e[7].keyfile_dev, "ID=usb-1");
	assert_string_equal(t.e[8].keyfile_dev, "PARTUUID=" U1);
	/* Relative key files are left alone (Debian keyscripts use them). */
	assert_string_equal(t.e[9].keyfile, "nonex");
	expect_error("a /dev/sda :LABEL=x", -EINVAL, "keyfile");
	expect_error("a /dev/sda /k:UUID=", -EINVAL, "keyfile");
}

static void
test_escapes(void **state)
{
	(void)state;
	assert_int_equal(parse("my\\x2dname /dev/disk/by-id/a\\x20b\\040c "
	    "/k\\\\ey\\x3a:LABEL=BEK\\sVOLUME luks\n"), 0);
	assert_string_equal(t.e[0].name, "my-name");
	assert_string_equal(t.e[0].device, "/dev/disk/by-id/a b c");
	assert_string_equal(t.e[0].keyfile, "/k\\ey:");
	assert_string_equal(t.e[0].keyfile_dev, "LABEL=BEK VOLUME");
	expect_error("a\\q /dev/sda", -EINVAL, "name");
	expect_error("a /dev/sd\\x4", -EINVAL, "device");
	expect_error("a /dev/sd\\x4g", -EINVAL, "device");
	expect_error("a /dev/sda /k\\x00", -EINVAL, "keyfile");
	expect_error("a /dev/sda /k\\000", -EINVAL, "keyfile");
	expect_error("a /dev/sda /k\\", -EINVAL, "keyfile");
	expect_error("a /dev/sda /k\\x0a", -EINVAL, "keyfile");
	expect_error("a /dev/sda /k luks,\\q", -EINVAL, "options");
	expect_error("a /dev/sda /k \\", -EINVAL, "options");
	/* A blank or control byte decoded into a name is refused. */
	expect_error("a\\x20b /dev/sda", -EINVAL, "name");
	expect_error("a\\x7f /dev/sda", -EINVAL, "name");
}

static void
test_comments_blanks_tabs(void **state)
{
	(void)state;
	assert_int_equal(parse("# crypttab\n\n   \n\t# indented comment\n"
	    "\tdata0\t/dev/sdb\t\t/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0"
	    "\tluks,nofail  \r\n"
	    "#data1 /dev/sdc none\n"
	    "   data2 \t /dev/sdd   \r\n"
	    "data3 /dev/sde none luks"), 0);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.e[0].name, "data0");
	assert_int_equal(t.e[0].line, 5);
	assert_int_equal(t.e[0].flags, CT_LUKS | CT_NOFAIL);
	assert_string_equal(t.e[1].name, "data2");
	assert_string_equal(t.e[1].device, "/dev/sdd");
	assert_int_equal(t.e[1].line, 7);
	assert_string_equal(t.e[2].name, "data3");
	assert_int_equal(t.e[2].line, 8);
	assert_int_equal(parse(""), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(parse("\n\n# only comments\n"), 0);
	assert_int_equal(t.n, 0);
	assert_int_equal(crypttab_parse(NULL, 0, NULL, &t, &err, &warn), 0);
	assert_int_equal(t.n, 0);
}

static void
test_long_lines(void **state)
{
	char *buf = malloc(2 * CONFIG_LINE_MAX + 64);
	size_t n;

	(void)state;
	assert_non_null(buf);
	/* 4096 bytes: fine (trailing blanks count). */
	n = (size_t)sprintf(buf, "a /dev/sda none luks");
	memset(buf + n, ' ', CONFIG_LINE_MAX - n);
	strcpy(buf + CONFIG_LINE_MAX, "\nb /dev/sdb\n");
	assert_int_equal(parse(buf), 0);
	assert_int_equal(t.n, 2);
	/* 4097: an error naming the line, even for a comment. */
	strcpy(buf, "ok /dev/sda\n#");
	memset(buf + 13, 'x', CONFIG_LINE_MAX);
	strcpy(buf + 12 + CONFIG_LINE_MAX + 1, "\n");
	expect_error_at(buf, -EINVAL, 2, "");
	assert_non_null(strstr(err.reason, "4096"));
	/* Without a final newline too. */
	buf[12 + CONFIG_LINE_MAX + 1] = '\0';
	expect_error_at(buf, -EINVAL, 2, "");
	buf[12 + CONFIG_LINE_MAX] = '\0';
	assert_int_equal(parse(buf), 0);
	/* An option as long as the line allows. */
	n = (size_t)sprintf(buf, "a /dev/sda none luks,x-");
	memset(buf + n, 'y', CONFIG_LINE_MAX - n);
	buf[CONFIG_LINE_MAX] = '\0';
	assert_int_equal(parse(buf), 0);
	assert_int_equal(warn.count, 1);
	free(buf);
}

static void
test_every_option(void **state)
{
	const struct crypttab_entry *e;

	(void)state;
	assert_int_equal(parse("all /dev/sda /k luks,discard,readonly,nofail,"
	    "same-cpu-crypt,submit-from-crypt-cpus,no-read-workqueue,"
	    "no-write-workqueue,x-initrd.attach,_netdev,noauto,header=/h,"
	    "timeout=1min,keyfile-timeout=30s,keyfile-size=8192,"
	    "keyfile-offset=9223372036854775807,tries=1000\n"
	    "alias /dev/sdb /k allow-discards,read-only,tries=0,keyfile-size=0,"
	    "timeout=0\n"), 0);
	e = crypttab_find(&t, "all");
	assert_non_null(e);
	assert_int_equal(e->flags, CT_LUKS | CT_DISCARD | CT_READONLY |
	    CT_NOFAIL | CT_SAME_CPU_CRYPT | CT_SUBMIT_FROM_CRYPT_CPUS |
	    CT_NO_READ_WORKQUEUE | CT_NO_WRITE_WORKQUEUE | CT_INITRD_ATTACH |
	    CT_NETDEV | CT_NOAUTO | CT_HEADER);
	assert_string_equal(e->header, "/h");
	assert_int_equal(e->prompt_timeout_s, 60);
	assert_int_equal(e->keyfile_timeout_s, 30);
	assert_int_equal(e->keyfile_size, 8192);
	assert_true(e->keyfile_offset == INT64_MAX);
	assert_int_equal(e->tries, 1000);
	/* _netdev: the only warning, saying it is skipped. */
	assert_int_equal(warn.count, 1);
	assert_true(warned("/etc/crypttab:1: all: _netdev: skipped in the "
	    "initramfs"));
	e = crypttab_find(&t, "alias");
	assert_non_null(e);
	assert_int_equal(e->flags, CT_DISCARD | CT_READONLY);
	assert_null(crypttab_find(&t, "none"));
	/* The last value wins; options "-" and "none" are no options. */
	assert_int_equal(parse("a /dev/sda /k tries=3,tries=5\n"
	    "b /dev/sdb /k -\nc /dev/sdc /k none\n"), 0);
	assert_int_equal(t.e[0].tries, 5);
	assert_int_equal(t.e[1].flags, 0);
	assert_int_equal(t.e[2].flags, 0);
	assert_int_equal(warn.count, 0);
	/* Timeouts above the cap: capped, with a warning. */
	assert_int_equal(parse("a /dev/sda /k timeout=2h,keyfile-timeout=infinity"),
	    0);
	assert_int_equal(t.e[0].prompt_timeout_s, CONFIG_TIMEOUT_MAX);
	assert_int_equal(t.e[0].keyfile_timeout_s, CONFIG_TIMEOUT_MAX);
	assert_int_equal(warn.count, 2);
	assert_true(warned("timeout='2h' capped"));
}

static void
test_bad_values(void **state)
{
	(void)state;
	expect_error("a /dev/sda /k tries=1001", -EINVAL, "options: tries=");
	expect_error("a /dev/sda /k tries=abc", -EINVAL, "options: tries=");
	expect_error("a /dev/sda /k tries=", -EINVAL, "options: tries=");
	expect_error("a /dev/sda /k tries=-1", -EINVAL, "options: tries=");
	expect_error("a /dev/sda /k tries=+1", -EINVAL, "options: tries=");
	expect_error("a /dev/sda /k tries=99999999999999999999999", -EINVAL,
	    "options: tries=");
	expect_error("a /dev/sda /k keyfile-size=8193", -EINVAL,
	    "options: keyfile-size=");
	expect_error("a /dev/sda /k keyfile-size=0x10", -EINVAL,
	    "options: keyfile-size=");
	expect_error("a /dev/sda /k keyfile-offset=9223372036854775808",
	    -EINVAL, "options: keyfile-offset=");
	expect_error("a /dev/sda /k keyfile-offset=18446744073709551616",
	    -EINVAL, "options: keyfile-offset=");
	expect_error("a /dev/sda /k luks,timeout=abc", -EINVAL,
	    "options: timeout=");
	expect_error("a /dev/sda /k timeout=10q", -EINVAL, "options: timeout=");
	expect_error("a /dev/sda /k keyfile-timeout=", -EINVAL,
	    "options: keyfile-timeout=");
	assert_non_null(strstr(err.reason, "duration"));
	/* The error is reported on its line. */
	expect_error_at("ok /dev/sda\n\n# c\nbad /dev/sdb none tries=x\n",
	    -EINVAL, 4, "options: tries=");
}

static void
test_unknown_options(void **state)
{
	(void)state;
	assert_int_equal(parse("ok /dev/sda none luks\n"
	    "a /dev/sda2 /k foo,plain,noauto,x-systemd.after=foo.service,"
	    "tpm2-device=auto,keyslot=1,bogus=1,discard=1,,luks,"
	    "fido2-device=auto,pkcs11-uri=auto,token-timeout=5,headless=1,"
	    "cipher=aes-xts-plain64,size=512,hash=sha256,sector-size=4096,"
	    "password-echo=no,verify,bitlk,tcrypt,auto\n"), 0);
	assert_int_equal(t.n, 2);
	/* Only the known ones took effect. */
	assert_int_equal(t.e[1].flags, CT_LUKS | CT_NOAUTO);
	assert_int_equal(warn.count, 21);
	assert_true(warned("/etc/crypttab:2: a: unknown option 'foo', ignored"));
	assert_true(warned("/etc/crypttab:2: a: option 'plain' is not used"));
	assert_true(warned("option 'x-systemd.after=foo.service' is not used"));
	assert_true(warned("option 'tpm2-device=auto' is not used"));
	assert_true(warned("unknown option 'bogus=1'"));
	assert_true(warned("unknown option 'discard=1'"));
	assert_true(warned("/etc/crypttab:2: a: empty option"));
	assert_true(warned("option 'auto' is not used"));
	/* Only the first 32 warnings are kept; all are counted. */
	assert_int_equal(parse("a /dev/sda /k x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,"
	    "x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x"), 0);
	assert_int_equal(warn.count, 40);
	assert_non_null(strstr(warn.msg[31], "'x'"));
	/* A hostile option name is quoted and escaped in the warning. */
	assert_int_equal(parse("a /dev/sda /k \\xff\\x27x"), 0);
	assert_true(warned("unknown option '\\xff\\x27x'"));
	/* Control bytes are refused outright. */
	expect_error("a /dev/sda /k \\x1b[31m", -EINVAL, "options");
}

static void
test_field_counts(void **state)
{
	(void)state;
	expect_error("lonely", -EINVAL, "device");
	expect_error("  lonely  \n", -EINVAL, "device");
	expect_error("a /dev/sda none luks extra", -EINVAL, "");
	assert_non_null(strstr(err.reason, "more than 4 fields"));
	expect_error_at("a /dev/sda\nb /dev/sdb none luks # comment\n", -EINVAL,
	    2, "");
}

static void
test_names_and_devices(void **state)
{
	char buf[512];

	(void)state;
	expect_error("a/b /dev/sda", -EINVAL, "name");
	expect_error(". /dev/sda", -EINVAL, "name");
	expect_error(".. /dev/sda", -EINVAL, "name");
	assert_int_equal(parse("... /dev/sda\n.a /dev/sdb\nluks-" U1
	    " UUID=" U1 "\n"), 0);
	snprintf(buf, sizeof(buf), "%0127d /dev/sda", 0);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(strlen(t.e[0].name), 127);
	snprintf(buf, sizeof(buf), "%0128d /dev/sda", 0);
	expect_error(buf, -ENAMETOOLONG, "name");
	expect_error("a sda", -EINVAL, "device");
	expect_error("a /", -EINVAL, "device");
	expect_error("a UUID=", -EINVAL, "device");
	expect_error("a LABEL=", -EINVAL, "device");
	expect_error("a uuid=" U1, -EINVAL, "device");
	assert_int_equal(parse("a LABEL=x\nb PARTLABEL=y\nc ID=z\n"
	    "d /var/lib/disk.img\n"), 0);
	snprintf(buf, sizeof(buf), "a /%0254d", 0);
	assert_int_equal(parse(buf), 0);
	snprintf(buf, sizeof(buf), "a /%0255d", 0);
	expect_error(buf, -ENAMETOOLONG, "device");
	snprintf(buf, sizeof(buf), "a /dev/sda /%0255d", 0);
	expect_error(buf, -ENAMETOOLONG, "keyfile");
	snprintf(buf, sizeof(buf), "a /dev/sda /k:/dev/%0251d", 0);
	expect_error(buf, -ENAMETOOLONG, "keyfile");
	snprintf(buf, sizeof(buf), "a /dev/sda /k:/dev/%0250d", 0);
	assert_int_equal(parse(buf), 0);
	snprintf(buf, sizeof(buf), "a /dev/sda - header=/%0255d", 0);
	expect_error(buf, -ENAMETOOLONG, "options: header=");
}

static void
test_duplicates(void **state)
{
	(void)state;
	expect_error_at("a /dev/sda\nb /dev/sdb\n# x\na /dev/sdc\n", -EINVAL, 4,
	    "name");
	assert_non_null(strstr(err.reason, "line 1"));
	assert_non_null(strstr(err.reason, "'a'"));
	/* Same name after unescaping. */
	expect_error_at("a-b /dev/sda\na\\x2db /dev/sdb\n", -EINVAL, 2, "name");
}

static void
test_entry_limit(void **state)
{
	char *buf = malloc(200 * 32);
	size_t o = 0, at128 = 0;

	(void)state;
	assert_non_null(buf);
	for (unsigned i = 0; i < 129; i++) {
		if (i == 128)
			at128 = o;
		o += (size_t)sprintf(buf + o, "d%u /dev/sd%u none luks\n# c\n",
		    i, i);
	}
	buf[at128] = '\0';
	assert_int_equal(parse(buf), 0);
	assert_int_equal(t.n, CRYPTTAB_MAX_ENTRIES);
	assert_string_equal(t.e[127].name, "d127");
	assert_int_equal(t.e[127].line, 255);
	buf[at128] = 'd';
	expect_error_at(buf, -E2BIG, 257, "");
	free(buf);
}

static void
test_not_nul_terminated(void **state)
{
	static const char text[] = "data0 /dev/sdb /bek/LinuxPassPhraseFileName_1_0 luks";
	size_t n = sizeof(text) - 1;
	char *buf = malloc(n), f[256];

	(void)state;
	assert_non_null(buf);
	memcpy(buf, text, n);
	assert_int_equal(crypttab_parse(buf, n, NULL, &t, &err, &warn), 0);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.e[0].flags, CT_LUKS);
	assert_int_equal(bek(0, NULL, NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName_1_0");
	/* Every prefix parses or fails cleanly, and never reads past it. */
	for (size_t i = 0; i <= n; i++) {
		int r = crypttab_parse(buf, i, NULL, &t, &err, &warn);

		assert_true(r == 0 || r == -EINVAL);
	}
	free(buf);
	/* Trailing NULs are fine; a NUL inside the text is not. */
	assert_int_equal(crypttab_parse("a /dev/sda\n\0\0", 13, NULL, &t, &err,
	    &warn), 0);
	assert_int_equal(t.n, 1);
	memset(&err, 0, sizeof(err));
	assert_int_equal(crypttab_parse("a /dev/sda\nb /dev/s\0db\n", 23, NULL,
	    &t, &err, &warn), -EINVAL);
	assert_string_equal(err.file, "crypttab");
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.reason, "NUL"));
}

static void
test_ownership(void **state)
{
	char f[256], small[8];

	(void)state;
	assert_int_equal(parse(
	    "a /dev/sda /etc/keys/a.key luks\n"
	    "b /dev/sdb /root/key:LABEL=OTHER\n"
	    "c /dev/sdc none\n"
	    "d /dev/sdd /mnt/azure_bek_disk/../../etc/shadow\n"
	    "e /dev/sde /mnt/azure_bek_disk/\n"
	    "f /dev/sdf /mnt/azure_bek_diskX/LinuxPassPhraseFileName\n"
	    "g /dev/sdg /mnt/azure_bek_disk//LinuxPassPhraseFileName\n"
	    "h /dev/sdh /bek/sub/./x\n"
	    "i /dev/sdi /mnt/azure_bek_disk/LinuxPassPhraseFileName:LABEL=BEK\\x20VOLUME\n"
	    "j /dev/sdj /bek/LinuxPassPhraseFileName:LABEL=ELSEWHERE\n"
	    "k /dev/sdk /mnt/azure_bek_disk\n"
	    "l /dev/sdl /bek\n"
	    "m /dev/sdm /LinuxPassPhraseFileName:UUID=BEK\\x20VOLUME\n"), 0);
	assert_int_equal(bek(0, NULL, NULL, f), 0);
	assert_int_equal(bek(1, NULL, NULL, f), 0);
	assert_int_equal(bek(2, NULL, NULL, f), 0);
	/* Nothing that leaves the volume's root. */
	assert_int_equal(bek(3, NULL, NULL, f), 0);
	assert_int_equal(bek(4, NULL, NULL, f), 0);
	assert_int_equal(bek(5, NULL, NULL, f), 0);
	assert_int_equal(bek(6, NULL, NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName");
	assert_int_equal(bek(7, NULL, NULL, f), 0);
	/* FILE:DEVICE: FILE is the path on that device. */
	assert_int_equal(bek(8, NULL, NULL, f), 1);
	assert_string_equal(f, "mnt/azure_bek_disk/LinuxPassPhraseFileName");
	assert_int_equal(bek(9, NULL, NULL, f), 0);
	assert_int_equal(bek(10, NULL, NULL, f), 0);
	assert_int_equal(bek(11, NULL, NULL, f), 0);
	assert_int_equal(bek(12, NULL, NULL, f), 0);
	/* Too small an output: an error, the output untouched. */
	assert_int_equal(parse("a /dev/sda /bek/LinuxPassPhraseFileName"), 0);
	memset(small, 'z', sizeof(small));
	assert_int_equal(crypttab_entry_bek_file(&t.e[0], NULL, NULL, small,
	    sizeof(small)), -ENAMETOOLONG);
	assert_int_equal(small[0], 'z');
	assert_int_equal(crypttab_entry_bek_file(&t.e[0], NULL, NULL, f, 24),
	    1);
	assert_int_equal(crypttab_entry_bek_file(&t.e[0], NULL, NULL, f, 23),
	    -ENAMETOOLONG);
}

/* ADE's OS-disk line (no newline after it) and the data line glued to it. */
#define ADE_OS	"osencrypt /dev/disk/by-partuuid/" U2 \
	" /mnt/azure_bek_disk/LinuxPassPhraseFileName " \
	"luks,discard,header=/boot/luks/osluksheader"
#define ADE_DATA0 "data0 /dev/disk/azure/scsi1/lun0 " \
	"/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0 luks,nofail"
#define UDATA	"5d3b7a9e-0c43-4a6f-9b9f-1f2e3d4c5b6a"

static void
test_ade_glued_line(void **state)
{
	char f[256];

	(void)state;
	assert_int_equal(parse(ADE_OS ADE_DATA0 "\n"), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.e[0].name, "osencrypt");
	assert_string_equal(t.e[0].device, "/dev/disk/by-partuuid/" U2);
	assert_string_equal(t.e[0].keyfile,
	    "/mnt/azure_bek_disk/LinuxPassPhraseFileName");
	assert_string_equal(t.e[0].keyfile_dev, "");
	assert_int_equal(t.e[0].flags, CT_LUKS | CT_DISCARD | CT_HEADER);
	assert_string_equal(t.e[0].header, "/boot/luks/osluksheader");
	assert_string_equal(t.e[0].header_dev, "");
	assert_int_equal(t.e[0].line, 1);
	assert_int_equal(bek(0, NULL, NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName");
	assert_string_equal(t.e[1].name, "data0");
	assert_string_equal(t.e[1].device, "/dev/disk/azure/scsi1/lun0");
	assert_string_equal(t.e[1].keyfile,
	    "/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_0");
	assert_int_equal(t.e[1].flags, CT_LUKS | CT_NOFAIL);
	assert_string_equal(t.e[1].header, "");
	assert_int_equal(t.e[1].line, 1);
	assert_int_equal(bek(1, NULL, NULL, f), 1);
	assert_string_equal(f, "LinuxPassPhraseFileName_1_0");
	assert_ptr_equal(crypttab_find(&t, "data0"), &t.e[1]);
	/* One warning, naming both entries. */
	assert_int_equal(warn.count, 1);
	assert_true(warned("without a newline"));
	assert_string_equal(warn.msg[0], "/etc/crypttab:1: two entries on one "
	    "line ('osencrypt' and 'data0'): ADE appended its osencrypt line "
	    "without a newline; read as two lines");
	/* The last line of the file: no newline at all. */
	assert_int_equal(parse(ADE_OS ADE_DATA0), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(warn.count, 1);
}

static void
test_ade_glued_in_file(void **state)
{
	(void)state;
	/* Lines before and after it parse as usual, numbered as lines. */
	assert_int_equal(parse("# /etc/crypttab\n"
	    "swap /dev/sdb1 /dev/urandom swap,cipher=aes-xts-plain64\n"
	    "\n"
	    ADE_OS ADE_DATA0 "\n"
	    "data1 /dev/disk/azure/scsi1/lun1 "
	    "/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_1 luks,nofail\n"
	    "# end\n"
	    "data2\t/dev/disk/azure/scsi1/lun2\tnone\n"), 0);
	assert_int_equal(t.n, 5);
	assert_string_equal(t.e[0].name, "swap");
	assert_int_equal(t.e[0].line, 2);
	assert_string_equal(t.e[1].name, "osencrypt");
	assert_int_equal(t.e[1].line, 4);
	assert_string_equal(t.e[2].name, "data0");
	assert_int_equal(t.e[2].line, 4);
	assert_string_equal(t.e[3].name, "data1");
	assert_int_equal(t.e[3].line, 5);
	assert_int_equal(t.e[3].flags, CT_LUKS | CT_NOFAIL);
	assert_string_equal(t.e[4].name, "data2");
	assert_int_equal(t.e[4].line, 7);
	assert_true(warned("/etc/crypttab:4: two entries on one line"));
	/* An error further on still names its own line. */
	expect_error_at(ADE_OS ADE_DATA0 "\n\nbad /dev/sdc none tries=x\n",
	    -EINVAL, 3, "options: tries=");
}

static void
test_ade_glued_uuid_header(void **state)
{
	(void)state;
	/* A UUID as the data name, header= on the data part, tabs. */
	assert_int_equal(parse(ADE_OS UDATA "\t/dev/disk/azure/scsi1/lun1\t"
	    "/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_1\t"
	    "luks,nofail,header=/boot/luks/" UDATA ".hdr\n"), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.e[0].header, "/boot/luks/osluksheader");
	assert_int_equal(t.e[0].flags, CT_LUKS | CT_DISCARD | CT_HEADER);
	assert_string_equal(t.e[1].name, UDATA);
	assert_string_equal(t.e[1].device, "/dev/disk/azure/scsi1/lun1");
	assert_string_equal(t.e[1].keyfile,
	    "/mnt/azure_bek_disk/LinuxPassPhraseFileName_1_1");
	assert_int_equal(t.e[1].flags, CT_LUKS | CT_NOFAIL | CT_HEADER);
	assert_string_equal(t.e[1].header, "/boot/luks/" UDATA ".hdr");
	assert_int_equal(t.e[1].line, 1);
	assert_int_equal(warn.count, 1);
	assert_true(warned("('osencrypt' and '" UDATA "')"));
	assert_true(warned("without a newline"));
	/* The data line glued to ADE's own header option: header= again. */
	assert_int_equal(parse(ADE_OS "data0 /dev/sdc /k "
	    "luks,header=/boot/luks/osluksheader"), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.e[1].header, "/boot/luks/osluksheader");
	/* The glued part may have 2 or 3 fields too. */
	assert_int_equal(parse("os2 /dev/sda /k header=/boot/luks/osluksheader"
	    "d2 /dev/sdc\nos3 /dev/sdb /k luks,header=/boot/luks/osluksheader"
	    "d3 UUID=" U1 " none\n"), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.e[0].header, "/boot/luks/osluksheader");
	assert_string_equal(t.e[1].name, "d2");
	assert_string_equal(t.e[1].keyfile, "");
	assert_int_equal(t.e[1].flags, 0);
	assert_int_equal(t.e[2].flags, CT_LUKS | CT_HEADER);
	assert_string_equal(t.e[3].name, "d3");
	assert_string_equal(t.e[3].device, "UUID=" U1);
	assert_int_equal(t.e[3].line, 2);
	assert_int_equal(warn.count, 2);
}

static void
test_ade_glued_not_ade(void **state)
{
	(void)state;
	/* More than 4 fields and not ADE's shape: still an error. */
	expect_error("osencrypt /dev/sda /k luks,discard data0 /dev/sdb",
	    -EINVAL, "");
	assert_non_null(strstr(err.reason, "more than 4 fields"));
	/* Nothing glued after osluksheader: a ',' or the end of the field. */
	expect_error("osencrypt /dev/sda /k "
	    "header=/boot/luks/osluksheader,discard data0 /dev/sdb", -EINVAL,
	    "");
	expect_error("osencrypt /dev/sda /k "
	    "luks,header=/boot/luks/osluksheader data0 /dev/sdb", -EINVAL, "");
	/* Not an option of its own, or another path. */
	expect_error("osencrypt /dev/sda /k "
	    "xheader=/boot/luks/osluksheaderdata0 /dev/sdb", -EINVAL, "");
	expect_error("osencrypt /dev/sda /k "
	    "header=/boot/luks/osluksheadedata0 /dev/sdb", -EINVAL, "");
	expect_error("osencrypt /dev/sda /k "
	    "header=/boot/luks/osluks\\x68eaderdata0 /dev/sdb", -EINVAL, "");
	/* ADE's shape but more than 4 fields after the split. */
	expect_error(ADE_OS ADE_DATA0 " extra", -EINVAL, "");
	assert_non_null(strstr(err.reason, "more than 4 fields"));
	expect_error(ADE_OS ADE_DATA0 " x y z", -EINVAL, "");
	/* The glued entry is checked like any other. */
	expect_error(ADE_OS "data0 sdb", -EINVAL, "device");
	expect_error(ADE_OS "/x /dev/sdb", -EINVAL, "name");
	expect_error(ADE_OS "data0 /dev/sdb /k tries=x", -EINVAL,
	    "options: tries=");
	/* Four fields: a header path that merely starts the same way. */
	assert_int_equal(parse("osencrypt /dev/sda /k "
	    "header=/boot/luks/osluksheader.old"), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.e[0].header, "/boot/luks/osluksheader.old");
	assert_int_equal(warn.count, 0);
}

static void
test_ade_os_last_line(void **state)
{
	(void)state;
	/* ADE's OS-disk line last, without a newline, nothing glued. */
	assert_int_equal(parse("data0 /dev/sdc /k luks\n" ADE_OS), 0);
	assert_int_equal(t.n, 2);
	assert_string_equal(t.e[1].name, "osencrypt");
	assert_int_equal(t.e[1].line, 2);
	assert_int_equal(t.e[1].flags, CT_LUKS | CT_DISCARD | CT_HEADER);
	assert_string_equal(t.e[1].header, "/boot/luks/osluksheader");
	assert_int_equal(warn.count, 0);
	/* Trailing blanks or CR do not glue anything either. */
	assert_int_equal(parse(ADE_OS " \r"), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.e[0].header, "/boot/luks/osluksheader");
	assert_int_equal(warn.count, 0);
}

static void
test_ade_glued_duplicates(void **state)
{
	char *buf = malloc(128 * 32 + sizeof(ADE_OS ADE_DATA0));
	size_t o = 0;

	(void)state;
	assert_non_null(buf);
	/* Within the line, and against lines before and after it. */
	expect_error_at(ADE_OS "osencrypt /dev/sdb none", -EINVAL, 1, "name");
	assert_non_null(strstr(err.reason, "'osencrypt' is already used on "
	    "line 1"));
	expect_error_at(ADE_OS ADE_DATA0 "\ndata0 /dev/sdc none\n", -EINVAL, 2,
	    "name");
	assert_non_null(strstr(err.reason, "line 1"));
	expect_error_at("data0 /dev/sdc none\n" ADE_OS ADE_DATA0 "\n", -EINVAL,
	    2, "name");
	assert_non_null(strstr(err.reason, "'data0' is already used on line "
	    "1"));
	expect_error_at("osencrypt /dev/sdc none\n\n" ADE_OS ADE_DATA0, -EINVAL,
	    3, "name");
	/* Both entries count against the limit. */
	for (unsigned i = 0; i < 126; i++)
		o += (size_t)sprintf(buf + o, "d%u /dev/sd%u\n", i, i);
	strcpy(buf + o, ADE_OS ADE_DATA0);
	assert_int_equal(parse(buf), 0);
	assert_int_equal(t.n, CRYPTTAB_MAX_ENTRIES);
	assert_string_equal(t.e[127].name, "data0");
	assert_int_equal(t.e[127].line, 127);
	o += (size_t)sprintf(buf + o, "d126 /dev/sdx\n");
	strcpy(buf + o, ADE_OS ADE_DATA0);
	expect_error_at(buf, -E2BIG, 128, "");
	free(buf);
}

static void
test_timeouts(void **state)
{
	(void)state;
	/* timeout= is the prompt; x-systemd.device-timeout= the device wait. */
	assert_int_equal(parse("a /dev/sda /k timeout=10,"
	    "x-systemd.device-timeout=30\n"
	    "b /dev/sdb /k timeout=45\n"
	    "c /dev/sdc /k x-systemd.device-timeout=2min\n"
	    "d /dev/sdd /k x-systemd.device-timeout=0\n"
	    "e /dev/sde /k x-systemd.device-timeout=0s,timeout=0\n"
	    "f /dev/sdf /k x-systemd.device-timeout=1min30s\n"
	    "g /dev/sdg /k x-systemd.device-timeout=500ms\n"
	    "h /dev/sdh /k x-systemd.device-timeout=5,"
	    "x-systemd.device-timeout=0\n"
	    "i /dev/sdi\n"), 0);
	assert_int_equal(t.n, 9);
	assert_int_equal(t.e[0].prompt_timeout_s, 10);
	assert_int_equal(t.e[0].device_timeout_s, 30);
	assert_true(t.e[0].device_timeout_set);
	assert_int_equal(t.e[1].prompt_timeout_s, 45);
	assert_int_equal(t.e[1].device_timeout_s, 0);
	assert_false(t.e[1].device_timeout_set);
	assert_int_equal(t.e[2].device_timeout_s, 120);
	assert_true(t.e[2].device_timeout_set);
	assert_int_equal(t.e[2].prompt_timeout_s, 0);
	/* 0: do not wait, which is not unset. */
	assert_int_equal(t.e[3].device_timeout_s, 0);
	assert_true(t.e[3].device_timeout_set);
	assert_int_equal(t.e[4].device_timeout_s, 0);
	assert_true(t.e[4].device_timeout_set);
	assert_int_equal(t.e[4].prompt_timeout_s, 0);
	assert_int_equal(t.e[5].device_timeout_s, 90);
	assert_int_equal(t.e[6].device_timeout_s, 1);
	/* The last value wins. */
	assert_int_equal(t.e[7].device_timeout_s, 0);
	assert_true(t.e[7].device_timeout_set);
	assert_false(t.e[8].device_timeout_set);
	/* A known option now: no warning. */
	assert_int_equal(warn.count, 0);
	/* infinity and too long: capped with a warning. */
	assert_int_equal(parse("a /dev/sda /k "
	    "x-systemd.device-timeout=infinity\n"
	    "b /dev/sdb /k x-systemd.device-timeout=2h,timeout=infinity\n"),
	    0);
	assert_int_equal(t.e[0].device_timeout_s, CONFIG_TIMEOUT_MAX);
	assert_true(t.e[0].device_timeout_set);
	assert_int_equal(t.e[1].device_timeout_s, CONFIG_TIMEOUT_MAX);
	assert_int_equal(t.e[1].prompt_timeout_s, CONFIG_TIMEOUT_MAX);
	assert_int_equal(warn.count, 3);
	assert_true(warned("/etc/crypttab:1: "
	    "x-systemd.device-timeout='infinity' capped at 3600 s"));
	assert_true(warned("/etc/crypttab:2: x-systemd.device-timeout='2h' "
	    "capped"));
	assert_true(warned("/etc/crypttab:2: timeout='infinity' capped"));
	/* Bad values are errors. */
	expect_error("a /dev/sda /k x-systemd.device-timeout=abc", -EINVAL,
	    "options: x-systemd.device-timeout=");
	assert_non_null(strstr(err.reason, "duration"));
	expect_error("a /dev/sda /k x-systemd.device-timeout=", -EINVAL,
	    "options: x-systemd.device-timeout=");
	expect_error("a /dev/sda /k x-systemd.device-timeout=-1", -EINVAL,
	    "options: x-systemd.device-timeout=");
	expect_error("a /dev/sda /k luks,x-systemd.device-timeout=10q",
	    -EINVAL, "options: x-systemd.device-timeout=");
	/* Other x-systemd.* options: not used, as before. */
	assert_int_equal(parse("a /dev/sda /k x-systemd.device-timeoutx=5,"
	    "x-systemd.after=b.service,x-systemd.device-timeout\n"), 0);
	assert_false(t.e[0].device_timeout_set);
	assert_int_equal(warn.count, 3);
	assert_true(warned("option 'x-systemd.device-timeoutx=5' is not used"));
	assert_true(warned("option 'x-systemd.after=b.service' is not used"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ade_data_disk),
		cmocka_unit_test(test_ade_os_disk),
		cmocka_unit_test(test_systemd_form),
		cmocka_unit_test(test_header_device),
		cmocka_unit_test(test_keyfile_forms),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_comments_blanks_tabs),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_every_option),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_unknown_options),
		cmocka_unit_test(test_field_counts),
		cmocka_unit_test(test_names_and_devices),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_entry_limit),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_ade_glued_line),
		cmocka_unit_test(test_ade_glued_in_file),
		cmocka_unit_test(test_ade_glued_uuid_header),
		cmocka_unit_test(test_ade_glued_not_ade),
		cmocka_unit_test(test_ade_os_last_line),
		cmocka_unit_test(test_ade_glued_duplicates),
		cmocka_unit_test(test_timeouts),
	};

	return cmocka_run_group_tests_name("crypttab", tests, NULL, NULL);
}
