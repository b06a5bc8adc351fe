/* SPDX-License-Identifier: MIT */
/* test_conf.c: ade-unlock.conf, conf_read_file and the shared value parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "testutil.h"

#define FILE_	"/etc/ade-unlock.conf"

/* About 50 KB each: static. */
static struct conf c, before;
static struct config_error err;
static struct config_warnings warn;

static int
parse(const char *s)
{
	memset(&err, 0, sizeof(err));
	memset(&warn, 0, sizeof(warn));
	return conf_parse(s, strlen(s), FILE_, &c, &err, &warn);
}

static void
expect_error_at(const char *s, int r, unsigned line, const char *field)
{
	memset(&c, 0x5a, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	memset(&err, 0, sizeof(err));
	if (conf_parse(s, strlen(s), FILE_, &c, &err, NULL) != r)
		fail_msg("'%.200s' did not fail with %d (%u: %s: %s)", s, r,
		    err.line, err.field, err.reason);
	assert_string_equal(err.file, FILE_);
	assert_int_equal(err.line, line);
	assert_string_equal(err.field, field);
	assert_true(strlen(err.reason) > 0);
	assert_memory_equal(&c, &before, sizeof(c));
}

static void
expect_error(const char *s, int r, const char *field)
{
	expect_error_at(s, r, 1, field);
}

static void
assert_defaults(const struct conf *x)
{
	assert_string_equal(x->label, "BEK VOLUME");
	assert_string_equal(x->bek_uuid, "");
	assert_int_equal(x->timeout_s, 60);
	assert_int_equal(x->device_timeout_s, 30);
	assert_string_equal(x->kek_path, "/etc/ade-unlock/kek.jwk");
	assert_int_equal(x->parallel, 0);
	assert_int_equal(x->n_keys, 0);
}

static void
test_defaults(void **state)
{
	(void)state;
	memset(&c, 0x5a, sizeof(c));
	conf_init(&c);
	assert_defaults(&c);
	assert_int_equal(parse(""), 0);
	assert_defaults(&c);
	assert_int_equal(parse("# nothing\n\n   \n\t# set\n"), 0);
	assert_defaults(&c);
	assert_int_equal(warn.count, 0);
	assert_int_equal(conf_parse(NULL, 0, NULL, &c, &err, &warn), 0);
	assert_defaults(&c);
}

static void
test_every_key(void **state)
{
	(void)state;
	assert_int_equal(parse(
	    "# ade-unlock configuration\n"
	    "label = MY KEYS\n"
	    "uuid = abcd-12ef\n"
	    "timeout = 90\n"
	    "device-timeout = 2min\n"
	    "kek = /etc/ade-unlock/other.jwk\n"
	    "parallel = 4\n"
	    "key.data0 = LinuxPassPhraseFileName_1_0\n"
	    "key.osencrypt = /LinuxPassPhraseFileName\n"), 0);
	assert_string_equal(c.label, "MY KEYS");
	assert_string_equal(c.bek_uuid, "ABCD-12EF");
	assert_int_equal(c.timeout_s, 90);
	assert_int_equal(c.device_timeout_s, 120);
	assert_string_equal(c.kek_path, "/etc/ade-unlock/other.jwk");
	assert_int_equal(c.parallel, 4);
	assert_int_equal(c.n_keys, 2);
	assert_string_equal(c.keys[0].name, "data0");
	assert_string_equal(c.keys[0].file, "LinuxPassPhraseFileName_1_0");
	assert_string_equal(c.keys[1].name, "osencrypt");
	assert_string_equal(c.keys[1].file, "LinuxPassPhraseFileName");
	assert_string_equal(conf_key_file(&c, "osencrypt"),
	    "LinuxPassPhraseFileName");
	assert_null(conf_key_file(&c, "data1"));
	assert_int_equal(warn.count, 0);
	/* A UUID is kept lowercase; an empty one unsets it. */
	assert_int_equal(parse("uuid=0B0C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3"), 0);
	assert_string_equal(c.bek_uuid, "0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3");
	assert_int_equal(parse("uuid = ABCD-1234\nuuid =\n"), 0);
	assert_string_equal(c.bek_uuid, "");
	assert_int_equal(parse("timeout = 0\nparallel=0\ndevice-timeout=0"), 0);
	assert_int_equal(c.timeout_s, 0);
	assert_int_equal(c.device_timeout_s, 0);
	assert_int_equal(parse("parallel = 64"), 0);
	assert_int_equal(c.parallel, 64);
}

static void
test_quoting_and_blanks(void **state)
{
	(void)state;
	assert_int_equal(parse("label = \"BEK VOLUME\""), 0);
	assert_string_equal(c.label, "BEK VOLUME");
	assert_int_equal(parse("\tlabel\t=\t\" padded # not a comment \"  \r\n"),
	    0);
	assert_string_equal(c.label, " padded # not a comment ");
	assert_int_equal(parse("label=A=B"), 0);
	assert_string_equal(c.label, "A=B");
	assert_int_equal(parse("kek=\"/k\"\nkey.a=\"x y\""), 0);
	assert_string_equal(c.kek_path, "/k");
	assert_string_equal(c.keys[0].file, "x y");
	expect_error("label = \"BEK VOLUME", -EINVAL, "");
	expect_error("label = \"", -EINVAL, "");
	expect_error("label = \"\"", -EINVAL, "label");
	expect_error("label =", -EINVAL, "label");
}

static void
test_unknown_and_repeated(void **state)
{
	(void)state;
	assert_int_equal(parse("label = A\nfrobnicate = yes\ntimeout = 5\n"
	    "label = B\nLabel = C\n"), 0);
	assert_string_equal(c.label, "B");
	assert_int_equal(c.timeout_s, 5);
	assert_int_equal(warn.count, 3);
	assert_non_null(strstr(warn.msg[0], FILE_ ":2: unknown key "
	    "'frobnicate'"));
	assert_non_null(strstr(warn.msg[1], ":4: label also set on line 1"));
	assert_non_null(strstr(warn.msg[2], "unknown key 'Label'"));
	/* Timeouts above the cap: capped, with a warning. */
	assert_int_equal(parse("timeout = 2h\ndevice-timeout = 99999999999"),
	    0);
	assert_int_equal(c.timeout_s, CONFIG_TIMEOUT_MAX);
	assert_int_equal(c.device_timeout_s, CONFIG_TIMEOUT_MAX);
	assert_int_equal(warn.count, 2);
	assert_non_null(strstr(warn.msg[0], "capped at 3600 s"));
}

static void
test_bad_values(void **state)
{
	char buf[400];

	(void)state;
	expect_error("timeout = abc", -EINVAL, "timeout");
	assert_non_null(strstr(err.reason, "'abc'"));
	expect_error("timeout = -1", -EINVAL, "timeout");
	expect_error("timeout = 10 # seconds", -EINVAL, "timeout");
	expect_error("timeout =", -EINVAL, "timeout");
	expect_error("device-timeout = 1x", -EINVAL, "device-timeout");
	expect_error("parallel = 65", -EINVAL, "parallel");
	expect_error("parallel = 1e3", -EINVAL, "parallel");
	expect_error("parallel = 99999999999999999999999", -EINVAL, "parallel");
	expect_error("uuid = ABCD1234", -EINVAL, "uuid");
	expect_error("uuid = /dev/sdb", -EINVAL, "uuid");
	expect_error("kek = kek.jwk", -EINVAL, "kek");
	expect_error("kek = /etc/", -EINVAL, "kek");
	expect_error("kek =", -EINVAL, "kek");
	snprintf(buf, sizeof(buf), "kek = /%0255d", 0);
	expect_error(buf, -ENAMETOOLONG, "kek");
	snprintf(buf, sizeof(buf), "kek = /%0254d", 0);
	assert_int_equal(parse(buf), 0);
	snprintf(buf, sizeof(buf), "label = %064d", 0);
	expect_error(buf, -ENAMETOOLONG, "label");
	snprintf(buf, sizeof(buf), "label = %063d", 0);
	assert_int_equal(parse(buf), 0);
	expect_error("label = a\x01" "b", -EINVAL, "");
	expect_error_at("\n# x\nlabel = ok\nno equals sign here\n", -EINVAL, 4,
	    "");
	expect_error("= value", -EINVAL, "");
	expect_error("bad key = value", -EINVAL, "");
}

static void
test_keys(void **state)
{
	char *buf = malloc(130 * 64);
	size_t o = 0, at128 = 0;

	(void)state;
	assert_non_null(buf);
	expect_error("key.a/b = f", -EINVAL, "key.a/b");
	expect_error("key.. = f", -EINVAL, "key..");
	expect_error("key. = f", -EINVAL, "key.");
	expect_error("key.a = ", -EINVAL, "key.a");
	expect_error("key.a = ../etc/shadow", -EINVAL, "key.a");
	expect_error("key.a = x/../../y", -EINVAL, "key.a");
	expect_error("key.a = /", -EINVAL, "key.a");
	expect_error("key.a = x//y", -EINVAL, "key.a");
	expect_error_at("key.a = x\nkey.b = y\nkey.a = z\n", -EINVAL, 3,
	    "key.a");
	assert_non_null(strstr(err.reason, "twice"));
	assert_int_equal(parse("key.a = sub/dir/file\nkey.luks-0b0c = //x"), 0);
	assert_string_equal(conf_key_file(&c, "a"), "sub/dir/file");
	assert_string_equal(conf_key_file(&c, "luks-0b0c"), "x");
	/* 128 fit, 129 do not. */
	for (unsigned i = 0; i < 129; i++) {
		if (i == 128)
			at128 = o;
		o += (size_t)sprintf(buf + o, "key.d%u = LinuxPassPhraseFileName_1_%u\n",
		    i, i);
	}
	buf[at128] = '\0';
	assert_int_equal(parse(buf), 0);
	assert_int_equal(c.n_keys, CONF_MAX_KEYS);
	assert_string_equal(conf_key_file(&c, "d127"),
	    "LinuxPassPhraseFileName_1_127");
	buf[at128] = 'k';
	expect_error_at(buf, -E2BIG, 129, "key.d128");
	free(buf);
}

static void
test_not_nul_terminated(void **state)
{
	static const char text[] = "label = \"BEK VOLUME\"\ntimeout = 15";
	size_t n = sizeof(text) - 1;
	char *buf = malloc(n);

	(void)state;
	assert_non_null(buf);
	memcpy(buf, text, n);
	assert_int_equal(conf_parse(buf, n, NULL, &c, &err, &warn), 0);
	assert_int_equal(c.timeout_s, 15);
	for (size_t i = 0; i <= n; i++) {
		int r = conf_parse(buf, i, NULL, &c, &err, &warn);

		assert_true(r == 0 || r == -EINVAL);
	}
	free(buf);
	memset(&err, 0, sizeof(err));
	assert_int_equal(conf_parse("label = A\0B", 11, NULL, &c, &err, &warn),
	    -EINVAL);
	assert_string_equal(err.file, "ade-unlock.conf");
	assert_int_equal(err.line, 1);
	assert_int_equal(conf_parse("label = A\0\0", 11, NULL, &c, &err, &warn),
	    0);
	assert_string_equal(c.label, "A");
}

static void
test_long_lines(void **state)
{
	char *buf = malloc(CONFIG_LINE_MAX + 64);

	(void)state;
	assert_non_null(buf);
	buf[0] = '#';
	memset(buf + 1, 'x', CONFIG_LINE_MAX - 1);
	strcpy(buf + CONFIG_LINE_MAX, "\nlabel = L\n");
	assert_int_equal(parse(buf), 0);
	assert_string_equal(c.label, "L");
	buf[CONFIG_LINE_MAX] = 'x';
	strcpy(buf + CONFIG_LINE_MAX + 1, "\nlabel = L\n");
	expect_error(buf, -EINVAL, "");
	free(buf);
}

/* ---- the shared helpers ------------------------------------------------ */

static unsigned
secs(const char *s)
{
	unsigned v = 12345;
	bool capped = true;

	assert_int_equal(config_parse_seconds(s, strlen(s), 1000000, &v,
	    &capped), 0);
	assert_false(capped);
	return v;
}

static void
test_parse_seconds(void **state)
{
	static const char *const bad[] = { "", " ", "s", "-1", "+1", "1x",
	    "1 x", "1.", ".5", "0x10", "1min-", "inf", "infinityx", "1,5s",
	    "1 min 2 fortnights" };
	unsigned v = 7;
	bool capped;

	(void)state;
	assert_int_equal(secs("0"), 0);
	assert_int_equal(secs("30"), 30);
	assert_int_equal(secs(" 30 "), 30);
	assert_int_equal(secs("30s"), 30);
	assert_int_equal(secs("30sec"), 30);
	assert_int_equal(secs("30 seconds"), 30);
	assert_int_equal(secs("2min"), 120);
	assert_int_equal(secs("2m"), 120);
	assert_int_equal(secs("1min30s"), 90);
	assert_int_equal(secs("1min 30s"), 90);
	assert_int_equal(secs("1h"), 3600);
	assert_int_equal(secs("1hr 1s"), 3601);
	assert_int_equal(secs("1d"), 86400);
	assert_int_equal(secs("1w"), 604800);
	assert_int_equal(secs("1.5s"), 2);
	assert_int_equal(secs("0.5min"), 30);
	assert_int_equal(secs("500ms"), 1);
	assert_int_equal(secs("1us"), 1);
	assert_int_equal(secs("1000000us"), 1);
	assert_int_equal(secs("1000001us"), 2);
	assert_int_equal(secs("0.0000001s"), 0);
	assert_int_equal(secs("007"), 7);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (config_parse_seconds(bad[i], strlen(bad[i]), 100, &v,
		    &capped) != -EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(v, 7);
	}
	assert_int_equal(config_parse_seconds("infinity", 8, 100, &v, &capped),
	    0);
	assert_int_equal(v, 100);
	assert_true(capped);
	assert_int_equal(config_parse_seconds("99999999999999999999999w", 24,
	    100, &v, &capped), 0);
	assert_int_equal(v, 100);
	assert_true(capped);
	assert_int_equal(config_parse_seconds("101", 3, 100, &v, &capped), 0);
	assert_true(capped);
	assert_int_equal(config_parse_seconds("100", 3, 100, &v, NULL), 0);
	assert_int_equal(v, 100);
	/* Only n bytes are read. */
	assert_int_equal(config_parse_seconds("12junk", 2, 100, &v, &capped),
	    0);
	assert_int_equal(v, 12);
}

static void
test_parse_numbers(void **state)
{
	uint64_t v = 9;
	bool b = false;

	(void)state;
	assert_int_equal(config_parse_u64("18446744073709551615", 20,
	    UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(config_parse_u64("18446744073709551616", 20,
	    UINT64_MAX, &v), -ERANGE);
	assert_int_equal(config_parse_u64("99999999999999999999", 20,
	    UINT64_MAX, &v), -ERANGE);
	assert_int_equal(config_parse_u64("11", 2, 10, &v), -ERANGE);
	assert_int_equal(config_parse_u64("", 0, 10, &v), -EINVAL);
	assert_int_equal(config_parse_u64(" 1", 2, 10, &v), -EINVAL);
	assert_int_equal(config_parse_u64("1 ", 2, 10, &v), -EINVAL);
	assert_true(v == UINT64_MAX);
	assert_int_equal(config_parse_u64("0010", 4, 10, &v), 0);
	assert_true(v == 10);
	assert_int_equal(config_parse_bool("TRUE", 4, &b), 0);
	assert_true(b);
	assert_int_equal(config_parse_bool("of", 2, &b), -EINVAL);
	assert_int_equal(config_parse_bool("offx", 4, &b), -EINVAL);
	assert_int_equal(config_parse_bool("off", 3, &b), 0);
	assert_false(b);
	assert_int_equal(config_parse_bool("", 0, &b), -EINVAL);
}

static void
test_validators(void **state)
{
	char out[16], big[300];
	const char *why = NULL;

	(void)state;
	assert_true(config_uuid_valid("0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3", 36));
	assert_true(config_uuid_valid("0B0C1D2E-3F40-4A5B-8C6D-7E8F90A1B2C3", 36));
	assert_false(config_uuid_valid("0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c", 35));
	assert_false(config_uuid_valid("0b0c1d2e+3f40-4a5b-8c6d-7e8f90a1b2c3", 36));
	assert_false(config_uuid_valid("0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2cz", 36));
	assert_true(config_dm_name_valid("luks-x_y.z", 10));
	assert_false(config_dm_name_valid("", 0));
	assert_false(config_dm_name_valid("a b", 3));
	assert_false(config_dm_name_valid("a\xff", 2));
	assert_int_equal(config_bek_path("/a/b", 4, out, sizeof(out)), 0);
	assert_string_equal(out, "a/b");
	assert_int_equal(config_bek_path("a/", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(config_bek_path("./a", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(config_bek_path("a/..", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(config_bek_path("..a", 3, out, sizeof(out)), 0);
	assert_int_equal(config_bek_path("a\nb", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(config_bek_path("0123456789abcdef", 16, out,
	    sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(config_bek_path("/0123456789abcde", 16, out,
	    sizeof(out)), 0);
	/* Unescaping: fits exactly, or not at all. */
	assert_int_equal(config_unescape("a\\x41\\101\\\\", 11, out, 4, &why),
	    -ENAMETOOLONG);
	assert_int_equal(config_unescape("a\\x41\\101\\\\", 11, out, 5, &why),
	    4);
	assert_string_equal(out, "aAA\\");
	assert_int_equal(config_unescape("abcd", 4, out, 4, &why),
	    -ENAMETOOLONG);
	assert_int_equal(config_unescape("", 0, out, 0, &why), -ENAMETOOLONG);
	assert_int_equal(config_unescape("", 0, out, 1, &why), 0);
	assert_int_equal(config_unescape("\\400", 4, out, 4, &why), -EINVAL);
	assert_int_equal(config_unescape("\\18", 3, out, 4, &why), -EINVAL);
	assert_int_equal(config_unescape("\\x4", 3, out, 4, &why), -EINVAL);
	assert_non_null(why);
	/* Quoting for messages: escaped, and cut in the middle when long. */
	assert_string_equal(config_quote(big, sizeof(big), "a'b\\\n\x80", 6),
	    "'a\\x27b\\x5c\\x0a\\x80'");
	memset(big, 'q', sizeof(big));
	assert_string_equal(config_quote(out, 8, big, 300), "'q...q'");
	config_quote(out, sizeof(out), "0123456789abcdefghij", 20);
	assert_string_equal(out, "'01234...fghij'");
	assert_int_equal(strlen(out), sizeof(out) - 1);
	config_quote(out, sizeof(out), "012345678901", 12);
	assert_string_equal(out, "'012345678901'");
	config_quote(out, sizeof(out), "\x01\x01\x01\x01\x01", 5);
	assert_true(strlen(out) < sizeof(out));
	assert_int_equal(strncmp(out, "'\\x01...", 8), 0);
}

static void
test_warnings_and_errors(void **state)
{
	struct config_error e;

	(void)state;
	memset(&warn, 0, sizeof(warn));
	for (unsigned i = 0; i < 40; i++)
		config_warn(&warn, "w%u", i);
	assert_int_equal(warn.count, 40);
	assert_string_equal(warn.msg[31], "w31");
	config_warn(NULL, "nothing");
	config_error_set(NULL, "f", 1, "x", "nothing");
	config_error_set(&e, NULL, 3, NULL, "why %d", 1);
	assert_string_equal(e.file, "");
	assert_int_equal(e.line, 3);
	assert_string_equal(e.field, "");
	assert_string_equal(e.reason, "why 1");
}

/* ---- conf_read_file ------------------------------------------------------ */

static char tmpdir[256];

static int
setup_dir(void **state)
{
	(void)state;
	return tu_mkdtemp(tmpdir, sizeof(tmpdir), "conf") != NULL ? 0 : -1;
}

static int
teardown_dir(void **state)
{
	(void)state;
	tu_rmtree(tmpdir);
	return 0;
}

static void
test_read_file(void **state)
{
	static const char text[] = "label = BEK VOLUME\ntimeout = 30\n";
	char path[512], buf[64];
	size_t n = 99;

	(void)state;
	snprintf(path, sizeof(path), "%s/ade-unlock.conf", tmpdir);
	assert_int_equal(tu_write_file(path, text, sizeof(text) - 1), 0);
	assert_int_equal(conf_read_file(path, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, sizeof(text) - 1);
	assert_string_equal(buf, text);
	assert_int_equal(conf_parse(buf, n, path, &c, &err, &warn), 0);
	assert_int_equal(c.timeout_s, 30);
	/* Exactly cap - 1 bytes fit; one more is -EFBIG. */
	n = 99;
	assert_int_equal(conf_read_file(path, buf, sizeof(text), &n), 0);
	assert_int_equal(n, sizeof(text) - 1);
	n = 99;
	assert_int_equal(conf_read_file(path, buf, sizeof(text) - 1, &n),
	    -EFBIG);
	assert_int_equal(n, 99);
	assert_string_equal(buf, "");
	/* Empty file. */
	assert_int_equal(tu_write_file(path, "", 0), 0);
	assert_int_equal(conf_read_file(path, buf, sizeof(buf), &n), 0);
	assert_int_equal(n, 0);
	assert_string_equal(buf, "");
	assert_int_equal(conf_read_file(path, buf, 0, &n), -EINVAL);
}

static void
test_read_file_refuses(void **state)
{
	char path[512], link[512], buf[64];
	size_t n = 99;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(conf_read_file(path, buf, sizeof(buf), &n), -ENOENT);
	/* A directory. */
	assert_int_equal(conf_read_file(tmpdir, buf, sizeof(buf), &n), -EISDIR);
	/* A FIFO with no writer: refused at once, no hang. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(conf_read_file(path, buf, sizeof(buf), &n), -EINVAL);
	/* A character device. */
	assert_int_equal(conf_read_file("/dev/null", buf, sizeof(buf), &n),
	    -EINVAL);
	/* A symlink, even to a good file. */
	snprintf(path, sizeof(path), "%s/real", tmpdir);
	assert_int_equal(tu_write_file(path, "x", 1), 0);
	snprintf(link, sizeof(link), "%s/link", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(conf_read_file(link, buf, sizeof(buf), &n), -ELOOP);
	assert_int_equal(n, 99);
	/* A big file. */
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	{
		char *big = calloc(1, 1 << 20);

		assert_non_null(big);
		assert_int_equal(tu_write_file(path, big, 1 << 20), 0);
		free(big);
	}
	assert_int_equal(conf_read_file(path, buf, sizeof(buf), &n), -EFBIG);
	assert_int_equal(n, 99);
}

/* conf_read_file(path) returns what stdio reads; true if stat said 0. */
static bool
read_like_stdio(const char *path)
{
	char buf[8192], want[8192];
	struct stat st;
	size_t n = 0, wn;
	FILE *f;

	assert_int_equal(stat(path, &st), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	wn = fread(want, 1, sizeof(want), f);
	fclose(f);
	assert_int_equal(conf_read_file(path, buf, sizeof(buf), &n), 0);
	assert_true(n > 0);
	assert_int_equal(n, wn);
	assert_memory_equal(buf, want, n);
	assert_int_equal(buf[n], '\0');
	/* A buffer one byte short: -EFBIG, whatever stat said. */
	assert_int_equal(conf_read_file(path, buf, n, &n), -EFBIG);
	return st.st_size == 0;
}

static void
test_read_proc_cmdline(void **state)
{
	bool zero;

	(void)state;
	if (access("/proc/cmdline", R_OK) < 0)
		skip();
	/* /proc/cmdline reports size 0 on most kernels (not on this host's). */
	zero = read_like_stdio("/proc/cmdline");
	/* /proc/version reports 0 everywhere: the read-until-EOF path. */
	zero |= read_like_stdio("/proc/version");
	assert_true(zero);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_quoting_and_blanks),
		cmocka_unit_test(test_unknown_and_repeated),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_parse_seconds),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_validators),
		cmocka_unit_test(test_warnings_and_errors),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_refuses),
		cmocka_unit_test(test_read_proc_cmdline),
	};

	return cmocka_run_group_tests_name("conf", tests, setup_dir,
	    teardown_dir);
}
