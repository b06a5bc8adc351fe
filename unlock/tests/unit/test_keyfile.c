/* SPDX-License-Identifier: MIT */
/* test_keyfile.c: key file formats, JWE unwrap against jwcrypto's tokens, and KEK loading. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "b64.h"
#include "keyfile.h"
#include "secret.h"
#include "testutil.h"

/* ADE's format: base64 (standard alphabet, padded) of 127 random bytes. */
#define ADE_KEY "dMfe2mB6I37OI5yCRLB/fth1yvBtw1lc9V+a4dd7iFNr6b/r+JIN3QVPAprp" \
	"91/kIGs6lwjSrsfRDP8xE6IhemJ3TU0B4FBnfz9+akNO4L8R0aqg0+ly1UgapbsumhIwP" \
	"yX68VX1XuRYX1YbR4plY8VXWwtIP58m7t1ZnjvAFA=="

#define TOK_MAX	4096


/* Tokens made once by make-jwe.py (jwcrypto), and what they need. */
static struct {
	char		 dir[256];
	char		 helper[512];
	char		 kek_hex[65];
	char		 kek16_hex[33];
	unsigned char	 kek[32];
	char		 a256kw[TOK_MAX];	/* A256KW + A256GCM */
	char		 direct[TOK_MAX];	/* dir + A256GCM */
	char		 spaced[TOK_MAX];	/* A256KW, header with spaces */
	char		 rsa[TOK_MAX];		/* RSA-OAEP + A256GCM */
	char		 a128kw[TOK_MAX];	/* A128KW + A256GCM */
	char		 cbc[TOK_MAX];		/* A256KW + A128CBC-HS256 */
	char		 zip[TOK_MAX];		/* A256KW + A256GCM, zip DEF */
	char		 crit[TOK_MAX];		/* A256KW + A256GCM, crit */
	struct secret	*k;			/* holds kek */
	struct secret	*pass;
} fx;

/* A token cut at its dots. */
struct parts {
	char	s[5][TOK_MAX];
};

/* ---- helpers ------------------------------------------------------------ */


static void
enc_str(const char *s, char *out)
{
	tu_b64url((const unsigned char *)s, strlen(s), out);
}

static int
all_zero(const unsigned char *p, size_t n)
{
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= p[i];
	return d == 0;
}

static void
split5(const char *tok, struct parts *p)
{
	const char *s = tok;

	for (int i = 0; i < 5; i++) {
		const char *e = strchr(s, '.');
		size_t n = e != NULL ? (size_t)(e - s) : strlen(s);

		assert_true(i < 4 ? e != NULL : e == NULL);
		assert_true(n < TOK_MAX);
		memcpy(p->s[i], s, n);
		p->s[i][n] = '\0';
		s = e != NULL ? e + 1 : s + n;
	}
}

/* Joins the parts with dots, leaving out segment skip (-1: none). */
static void
join(const struct parts *p, int skip, char *out)
{
	out[0] = '\0';
	for (int i = 0, first = 1; i < 5; i++) {
		if (i == skip)
			continue;
		if (!first)
			strcat(out, ".");
		strcat(out, p->s[i]);
		first = 0;
	}
}

static size_t
seg_bytes(const struct parts *p, int i, unsigned char *b, size_t size)
{
	size_t n = 0;

	assert_int_equal(b64url_decode(p->s[i], strlen(p->s[i]), b, size, &n), 0);
	return n;
}

static void
hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* out = a b, in a TOK_MAX buffer. */
static void
cat2(char *out, const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);

	assert_true(n + m < TOK_MAX);
	memcpy(out, a, n);
	memcpy(out + n, b, m + 1);
}

static void
fill_pattern(struct secret *s)
{
	memset(s->buf, 0xa5, sizeof(s->buf));
	s->len = 1234;
}

/* Decodes; expects failure with code want, and pass wiped. */
static struct keyfile_diag
expect_err(const void *data, size_t len, const struct secret *kek, int want)
{
	struct keyfile_diag d;

	memset(&d, 0x5a, sizeof(d));
	fill_pattern(fx.pass);
	assert_int_equal(keyfile_decode_ex(data, len, kek, fx.pass, &d), want);
	assert_int_equal(fx.pass->len, 0);
	assert_true(all_zero(fx.pass->buf, sizeof(fx.pass->buf)));
	assert_non_null(d.detail);
	return d;
}

static void
expect_err_str(const char *tok, const struct secret *kek, int want)
{
	(void)expect_err(tok, strlen(tok), kek, want);
}

/* Decodes; expects the passphrase want, and the rest of pass zero. */
static struct keyfile_diag
expect_ok(const void *data, size_t len, const struct secret *kek,
    const void *want, size_t want_len)
{
	struct keyfile_diag d;

	memset(&d, 0x5a, sizeof(d));
	fill_pattern(fx.pass);
	assert_int_equal(keyfile_decode_ex(data, len, kek, fx.pass, &d), 0);
	assert_int_equal(fx.pass->len, want_len);
	assert_memory_equal(fx.pass->buf, want, want_len);
	assert_true(all_zero(fx.pass->buf + want_len,
	    sizeof(fx.pass->buf) - want_len));
	assert_null(d.detail);
	return d;
}

static void
expect_ade_key(const char *tok, const struct secret *kek)
{
	(void)expect_ok(tok, strlen(tok), kek, ADE_KEY, strlen(ADE_KEY));
}

/* Runs make-jwe.py; 0 or -1. header may be NULL. */
static int
make_jwe(const char *alg, const char *enc_name, const char *kek_hex,
    const char *header, char *out)
{
	char pt[300], tok[300];
	const char *argv[16];
	int n = 0, fd;
	ssize_t got;

	snprintf(pt, sizeof(pt), "%s/plaintext", fx.dir);
	snprintf(tok, sizeof(tok), "%s/token", fx.dir);
	if (tu_write_file(pt, ADE_KEY, strlen(ADE_KEY)) < 0)
		return -1;
	(void)unlink(tok);
	argv[n++] = "/usr/bin/python3";
	argv[n++] = fx.helper;
	argv[n++] = "--alg";
	argv[n++] = alg;
	argv[n++] = "--enc";
	argv[n++] = enc_name;
	argv[n++] = "--kek";
	argv[n++] = kek_hex;
	if (header != NULL) {
		argv[n++] = "--header";
		argv[n++] = header;
	}
	argv[n++] = "--plaintext";
	argv[n++] = pt;
	argv[n++] = "--out";
	argv[n++] = tok;
	argv[n] = NULL;
	if (tu_run(argv) != 0) {
		fprintf(stderr, "make-jwe.py --alg %s --enc %s failed\n", alg,
		    enc_name);
		return -1;
	}
	if ((fd = open(tok, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	got = read(fd, out, TOK_MAX - 1);
	close(fd);
	if (got <= 0 || got >= TOK_MAX - 1)
		return -1;
	out[got] = '\0';
	return 0;
}

/*
 * make-jwe.py: $ADE_MAKE_JWE, else from the top of the tree (the current
 * directory, or three levels above build/host/test_keyfile).
 */
static int
find_helper(const char *env)
{
	static const char rel[] = "unlock/tests/unit/make-jwe.py";
	char exe[256];
	ssize_t n;

	if (env != NULL) {
		snprintf(fx.helper, sizeof(fx.helper), "%s", env);
		return access(fx.helper, R_OK);
	}
	snprintf(fx.helper, sizeof(fx.helper), "%s", rel);
	if (access(fx.helper, R_OK) == 0)
		return 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');

		if (slash == NULL)
			return -1;
		*slash = '\0';
	}
	snprintf(fx.helper, sizeof(fx.helper), "%s/%s", exe, rel);
	return access(fx.helper, R_OK);
}

static int
group_setup(void **state)
{
	const char *env = getenv("ADE_MAKE_JWE");
	unsigned char k16[16];

	(void)state;
	if (secret_init(NULL) < 0)
		return -1;
	if (tu_mkdtemp(fx.dir, sizeof(fx.dir), "keyfile") == NULL)
		return -1;
	if (find_helper(env) < 0) {
		fprintf(stderr, "test_keyfile: make-jwe.py not found: run from "
		    "the top of the tree or set ADE_MAKE_JWE\n");
		return -1;
	}
	for (int i = 0; i < 32; i++)
		fx.kek[i] = (unsigned char)(0x40 + 3 * i);
	for (int i = 0; i < 16; i++)
		k16[i] = (unsigned char)(0x90 + i);
	hex(fx.kek, 32, fx.kek_hex);
	hex(k16, 16, fx.kek16_hex);
	fx.k = secret_new();
	fx.pass = secret_new();
	if (fx.k == NULL || fx.pass == NULL)
		return -1;
	memcpy(fx.k->buf, fx.kek, 32);
	fx.k->len = 32;

	if (make_jwe("A256KW", "A256GCM", fx.kek_hex, NULL, fx.a256kw) < 0 ||
	    make_jwe("dir", "A256GCM", fx.kek_hex, NULL, fx.direct) < 0 ||
	    make_jwe("A256KW", "A256GCM", fx.kek_hex,
	    "{ \"enc\" : \"A256GCM\",\n  \"alg\": \"A256KW\", \"kid\": \"bek\" }",
	    fx.spaced) < 0 ||
	    make_jwe("RSA-OAEP", "A256GCM", fx.kek_hex, NULL, fx.rsa) < 0 ||
	    make_jwe("A128KW", "A256GCM", fx.kek16_hex, NULL, fx.a128kw) < 0 ||
	    make_jwe("A256KW", "A128CBC-HS256", fx.kek_hex, NULL, fx.cbc) < 0 ||
	    make_jwe("A256KW", "A256GCM", fx.kek_hex,
	    "{\"alg\":\"A256KW\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}",
	    fx.zip) < 0 ||
	    make_jwe("A256KW", "A256GCM", fx.kek_hex,
	    "{\"alg\":\"A256KW\",\"enc\":\"A256GCM\",\"crit\":[\"exp\"],"
	    "\"exp\":1}", fx.crit) < 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	secret_free(fx.k);
	secret_free(fx.pass);
	tu_rmtree(fx.dir);
	return 0;
}

/* ---- plain key files ---------------------------------------------------- */

static void
test_plain_ade_key(void **state)
{
	(void)state;
	assert_int_equal(strlen(ADE_KEY), 172);
	assert_int_equal(keyfile_detect((const unsigned char *)ADE_KEY, 172),
	    KEYFILE_PLAIN);
	/* The 172 characters themselves, never their base64 decoding. */
	expect_ade_key(ADE_KEY, fx.k);
	expect_ade_key(ADE_KEY, NULL);
}

static void
test_plain_newline_kept(void **state)
{
	static const char key_nl[] = ADE_KEY "\n";
	static const char crlf[] = "secret passphrase\r\n";

	(void)state;
	(void)expect_ok(key_nl, 173, NULL, key_nl, 173);
	(void)expect_ok(crlf, strlen(crlf), NULL, crlf, strlen(crlf));
	(void)expect_ok("\n", 1, NULL, "\n", 1);
	(void)expect_ok(" x ", 3, NULL, " x ", 3);
}

static void
test_plain_binary(void **state)
{
	unsigned char b[256];

	(void)state;
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(255 - i);
	b[10] = 0;
	(void)expect_ok(b, sizeof(b), fx.k, b, sizeof(b));
	(void)expect_ok("\0", 1, NULL, "\0", 1);
}

static void
test_plain_empty(void **state)
{
	struct keyfile_diag d;

	(void)state;
	d = expect_err("", 0, fx.k, -ENODATA);
	assert_int_equal(d.format, KEYFILE_PLAIN);
	(void)expect_err("x", 0, NULL, -ENODATA);
}

static void
test_plain_size_limit(void **state)
{
	static unsigned char big[KEYFILE_MAX + 1];

	(void)state;
	memset(big, 'k', sizeof(big));
	(void)expect_ok(big, KEYFILE_MAX, NULL, big, KEYFILE_MAX);
	(void)expect_err(big, KEYFILE_MAX + 1, NULL, -EFBIG);
	(void)expect_err(big, SIZE_MAX, NULL, -EFBIG);
	/* Over the limit even when it would be a token. */
	memset(big, 0, sizeof(big));
	memcpy(big, fx.a256kw, strlen(fx.a256kw));
	(void)expect_err(big, KEYFILE_MAX + 1, fx.k, -EFBIG);
}

static void
test_plain_dots_stay_plain(void **state)
{
	static const char *const plain[] = {
		"correct.horse.battery.staple.x",
		"a.b.c.d.e",
		"....",
		"..",
		"eyJ.eyJ.eyJ.eyJ.eyJ",
		/* A JOSE-ish header without "enc" is not a JWE header. */
		"eyJhbGciOiJkaXIifQ..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
		/* Not a JSON object. */
		"WyJhbGciLCJlbmMiXQ.a.b.c.d",
	};
	char hdr[128], tok[TOK_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		size_t n = strlen(plain[i]);

		assert_int_equal(keyfile_detect((const unsigned char *)plain[i],
		    n), KEYFILE_PLAIN);
		(void)expect_ok(plain[i], n, fx.k, plain[i], n);
	}
	/*
	 * A file that starts with a whole JOSE header is a JWE, whatever
	 * follows; it is refused, not passed on as a passphrase.
	 */
	enc_str("{\"alg\":\"dir\",\"enc\":\"A256GCM\"}", hdr);
	cat2(tok, hdr, "=");
	assert_int_equal(keyfile_detect((const unsigned char *)tok,
	    strlen(tok)), KEYFILE_JWE);
	expect_err_str(tok, fx.k, -EINVAL);
	cat2(tok, hdr, " my passphrase");
	expect_err_str(tok, fx.k, -EINVAL);
	/* An unterminated header: no complete JOSE header, so plain. */
	enc_str("{\"alg\":\"dir\",\"enc\":\"A256GCM\"", hdr);
	snprintf(tok, sizeof(tok), "%s..AAAA.AAAA.AAAA", hdr);
	assert_int_equal(keyfile_detect((const unsigned char *)tok,
	    strlen(tok)), KEYFILE_PLAIN);
}

/* ---- JWE: the supported forms ------------------------------------------- */

static void
test_jwe_a256kw(void **state)
{
	struct keyfile_diag d;
	char tok[TOK_MAX];

	(void)state;
	assert_int_equal(keyfile_detect((const unsigned char *)fx.a256kw,
	    strlen(fx.a256kw)), KEYFILE_JWE);
	d = expect_ok(fx.a256kw, strlen(fx.a256kw), fx.k, ADE_KEY, 172);
	assert_int_equal(d.format, KEYFILE_JWE);
	assert_string_equal(d.alg, "A256KW");
	assert_string_equal(d.enc, "A256GCM");
	assert_int_equal(keyfile_decode((const unsigned char *)fx.a256kw,
	    strlen(fx.a256kw), fx.k, fx.pass), 0);
	assert_memory_equal(fx.pass->buf, ADE_KEY, 172);
	/* One line end after the token is allowed. */
	cat2(tok, fx.a256kw, "\n");
	expect_ade_key(tok, fx.k);
	cat2(tok, fx.a256kw, "\r\n");
	expect_ade_key(tok, fx.k);
}

static void
test_jwe_dir(void **state)
{
	struct keyfile_diag d;

	(void)state;
	assert_int_equal(keyfile_detect((const unsigned char *)fx.direct,
	    strlen(fx.direct)), KEYFILE_JWE);
	d = expect_ok(fx.direct, strlen(fx.direct), fx.k, ADE_KEY, 172);
	assert_string_equal(d.alg, "dir");
	assert_string_equal(d.enc, "A256GCM");
}

/* The AAD is the header segment as in the file, not a re-serialization. */
static void
test_jwe_header_verbatim(void **state)
{
	(void)state;
	expect_ade_key(fx.spaced, fx.k);
}

/* ---- JWE: wrong key, tampering ------------------------------------------ */

static void
test_jwe_wrong_kek(void **state)
{
	struct secret *w = secret_new();

	(void)state;
	assert_non_null(w);
	memcpy(w->buf, fx.kek, 32);
	w->buf[31] ^= 0x01;
	w->len = 32;
	expect_err_str(fx.a256kw, w, -EKEYREJECTED);
	expect_err_str(fx.spaced, w, -EKEYREJECTED);
	/* dir has no key check of its own: the tag fails. */
	expect_err_str(fx.direct, w, -EBADMSG);
	/* A key of another size can never be the right one. */
	w->len = 16;
	expect_err_str(fx.a256kw, w, -EKEYREJECTED);
	expect_err_str(fx.direct, w, -EKEYREJECTED);
	w->len = 24;
	expect_err_str(fx.direct, w, -EKEYREJECTED);
	secret_free(w);
}

static void
test_jwe_no_kek(void **state)
{
	struct secret *none = secret_new();

	(void)state;
	assert_non_null(none);
	expect_err_str(fx.a256kw, NULL, -ENOKEY);
	expect_err_str(fx.direct, NULL, -ENOKEY);
	expect_err_str(fx.a256kw, none, -ENOKEY);
	secret_free(none);
}

/* Flips each step-th bit of segment seg and expects code want. */
static void
flip_bits(const char *tok, int seg, unsigned step, int want)
{
	unsigned char b[TOK_MAX];
	struct parts p;
	char t[TOK_MAX];
	size_t n;

	split5(tok, &p);
	n = seg_bytes(&p, seg, b, sizeof(b));
	assert_true(n > 0);
	for (size_t bit = 0; bit < n * 8; bit += step) {
		struct parts q = p;

		b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		tu_b64url(b, n, q.s[seg]);
		b[bit / 8] ^= (unsigned char)(1u << (bit % 8));
		join(&q, -1, t);
		expect_err_str(t, fx.k, want);
	}
}

static void
test_jwe_tampered(void **state)
{
	char hdr[256], t[TOK_MAX];
	struct parts p;

	(void)state;
	for (int k = 0; k < 2; k++) {
		const char *tok = k == 0 ? fx.a256kw : fx.direct;

		flip_bits(tok, 2, 1, -EBADMSG);		/* IV */
		flip_bits(tok, 3, 3, -EBADMSG);		/* ciphertext */
		flip_bits(tok, 4, 1, -EBADMSG);		/* tag */
	}
	/* The encrypted key: the key wrap's integrity check catches it. */
	flip_bits(fx.a256kw, 1, 1, -EKEYREJECTED);

	/* Another header, still valid and supported: the AAD differs. */
	split5(fx.a256kw, &p);
	enc_str("{\"alg\":\"A256KW\",\"enc\":\"A256GCM\",\"kid\":\"x\"}", hdr);
	strcpy(p.s[0], hdr);
	join(&p, -1, t);
	expect_err_str(t, fx.k, -EBADMSG);
	enc_str("{\"enc\":\"A256GCM\",\"alg\":\"A256KW\"}", hdr);
	strcpy(p.s[0], hdr);
	join(&p, -1, t);
	expect_err_str(t, fx.k, -EBADMSG);
	/* The spaced token's header, re-serialized compactly. */
	split5(fx.spaced, &p);
	enc_str("{\"enc\":\"A256GCM\",\"alg\":\"A256KW\",\"kid\":\"bek\"}", hdr);
	strcpy(p.s[0], hdr);
	join(&p, -1, t);
	expect_err_str(t, fx.k, -EBADMSG);
	split5(fx.direct, &p);
	enc_str("{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"typ\":\"JWE\"}", hdr);
	strcpy(p.s[0], hdr);
	join(&p, -1, t);
	expect_err_str(t, fx.k, -EBADMSG);
}

/* Segments swapped between two valid tokens under the same KEK fail. */
static void
test_jwe_spliced(void **state)
{
	struct parts a, b, q;
	char t[TOK_MAX];

	(void)state;
	split5(fx.a256kw, &a);
	split5(fx.spaced, &b);
	for (int seg = 1; seg < 5; seg++) {
		q = a;
		strcpy(q.s[seg], b.s[seg]);
		join(&q, -1, t);
		expect_err_str(t, fx.k, -EBADMSG);
	}
}

/* ---- JWE: malformed ----------------------------------------------------- */

static void
test_jwe_truncated(void **state)
{
	const char *tok = fx.a256kw;
	char t[TOK_MAX], u[TOK_MAX];
	struct parts p;
	size_t n = strlen(tok);

	(void)state;
	split5(tok, &p);
	/* Each segment left out in turn. */
	for (int seg = 0; seg < 5; seg++) {
		join(&p, seg, t);
		if (seg == 0)
			continue;	/* no header: not a JWE any more */
		assert_int_equal(keyfile_detect((const unsigned char *)t,
		    strlen(t)), KEYFILE_JWE);
		expect_err_str(t, fx.k, -EINVAL);
	}
	/* Each dot left out in turn, and all four. */
	for (size_t i = 0, dots = 0; i < n; i++) {
		if (tok[i] != '.')
			continue;
		memcpy(t, tok, i);
		strcpy(t + i, tok + i + 1);
		assert_int_equal(keyfile_detect((const unsigned char *)t,
		    strlen(t)), KEYFILE_JWE);
		expect_err_str(t, fx.k, -EINVAL);
		dots++;
		if (dots == 4)
			break;
	}
	for (size_t i = 0, o = 0; i <= n; i++)
		if (tok[i] != '.')
			t[o++] = tok[i];
	assert_int_equal(keyfile_detect((const unsigned char *)t, strlen(t)),
	    KEYFILE_JWE);
	expect_err_str(t, fx.k, -EINVAL);
	/* The header alone, with and without its dot. */
	expect_err_str(p.s[0], fx.k, -EINVAL);
	cat2(t, p.s[0], ".");
	expect_err_str(t, fx.k, -EINVAL);
	/* Cut anywhere after the header. */
	for (size_t cut = strlen(p.s[0]) + 1; cut < n; cut += 7)
		expect_err(tok, cut, fx.k, -EINVAL);
	/* A sixth segment, an empty tag, more than one line end, a space. */
	cat2(t, tok, ".AAAA");
	expect_err_str(t, fx.k, -EINVAL);
	cat2(t, tok, ".");
	expect_err_str(t, fx.k, -EINVAL);
	cat2(t, tok, "\n\n");
	expect_err_str(t, fx.k, -EINVAL);
	cat2(t, tok, " ");
	expect_err_str(t, fx.k, -EINVAL);
	cat2(t, tok, "\r");
	expect_err_str(t, fx.k, -EINVAL);
	/* dir: one of its two adjacent dots lost. */
	split5(fx.direct, &p);
	join(&p, 1, u);
	expect_err_str(u, fx.k, -EINVAL);
}

/* Replaces segment seg with n bytes of b and expects -EINVAL. */
static void
expect_bad_seg(const char *tok, int seg, const unsigned char *b, size_t n)
{
	struct parts p;
	char t[TOK_MAX];

	split5(tok, &p);
	tu_b64url(b, n, p.s[seg]);
	join(&p, -1, t);
	expect_err_str(t, fx.k, -EINVAL);
}

static void
test_jwe_bad_sizes(void **state)
{
	unsigned char z[64] = { 0 };

	(void)state;
	for (int k = 0; k < 2; k++) {
		const char *tok = k == 0 ? fx.a256kw : fx.direct;

		expect_bad_seg(tok, 2, z, 11);		/* IV */
		expect_bad_seg(tok, 2, z, 13);
		expect_bad_seg(tok, 2, z, 16);
		expect_bad_seg(tok, 2, z, 0);
		expect_bad_seg(tok, 4, z, 15);		/* tag */
		expect_bad_seg(tok, 4, z, 17);
		expect_bad_seg(tok, 4, z, 12);
		expect_bad_seg(tok, 4, z, 0);
		expect_bad_seg(tok, 3, z, 0);		/* empty ciphertext */
	}
	expect_bad_seg(fx.a256kw, 1, z, 32);		/* encrypted key */
	expect_bad_seg(fx.a256kw, 1, z, 39);
	expect_bad_seg(fx.a256kw, 1, z, 41);
	expect_bad_seg(fx.a256kw, 1, z, 48);
	expect_bad_seg(fx.a256kw, 1, z, 0);
	expect_bad_seg(fx.direct, 1, z, 1);		/* dir: must be empty */
	expect_bad_seg(fx.direct, 1, z, 40);
}

static void
test_jwe_bad_base64url(void **state)
{
	static const char *const junk[] = { "=", "==", "+", "/", " ", "!" };
	char t[TOK_MAX];
	struct parts p;

	(void)state;
	for (int seg = 0; seg < 5; seg++) {
		for (size_t j = 0; j < sizeof(junk) / sizeof(junk[0]); j++) {
			split5(fx.a256kw, &p);
			if (seg == 0 && junk[j][0] == '!')
				continue;
			strcat(p.s[seg], junk[j]);
			join(&p, -1, t);
			expect_err_str(t, fx.k, -EINVAL);
		}
		/*
		 * A character put in the middle (of the header: no longer a
		 * JOSE header, so the file is plain; see test_plain_*).
		 */
		split5(fx.a256kw, &p);
		p.s[seg][2] = '+';
		join(&p, -1, t);
		if (seg == 0)
			(void)expect_ok(t, strlen(t), fx.k, t, strlen(t));
		else
			expect_err_str(t, fx.k, -EINVAL);
		/* Non-canonical: set an unused low bit of the last character. */
		split5(fx.a256kw, &p);
		if (strlen(p.s[seg]) % 4 != 0) {
			char *c = &p.s[seg][strlen(p.s[seg]) - 1];

			*c = tu_b64url_alphabet[(strchr(tu_b64url_alphabet, *c) -
			    tu_b64url_alphabet) ^ 1];
			join(&p, -1, t);
			expect_err_str(t, fx.k, -EINVAL);
		}
		/* A length no base64url text has. */
		split5(fx.a256kw, &p);
		while (strlen(p.s[seg]) % 4 != 1)
			strcat(p.s[seg], "A");
		join(&p, -1, t);
		expect_err_str(t, fx.k, -EINVAL);
	}
}

/* Headers that are JOSE-like enough to be a JWE, but malformed. */
static void
test_jwe_bad_header(void **state)
{
	static const char *const hdrs[] = {
		"{\"alg\":\"A256KW\",\"enc\":\"A256GCM\"} x",
		"{\"alg\":\"A256KW\",\"enc\":\"A256GCM\"}}",
		"{\"alg\":\"A256KW\",\"enc\":\"A256GCM\"}[]",
		"{\"alg\":5,\"enc\":\"A256GCM\"}",
		"{\"alg\":\"A256KW\",\"enc\":null}",
		"{\"alg\":[\"A256KW\"],\"enc\":\"A256GCM\"}",
		"{\"alg\":\"A256KW\",\"enc\":{}}",
	};
	char t[TOK_MAX];
	struct parts p;

	(void)state;
	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		struct keyfile_diag d;

		split5(fx.a256kw, &p);
		enc_str(hdrs[i], p.s[0]);
		join(&p, -1, t);
		assert_int_equal(keyfile_detect((const unsigned char *)t,
		    strlen(t)), KEYFILE_JWE);
		d = expect_err(t, strlen(t), fx.k, -EINVAL);
		assert_int_equal(d.format, KEYFILE_JWE);
	}
}

static void
test_jwe_unsupported(void **state)
{
	static const struct {
		const char	*hdr, *alg, *enc;
	} crafted[] = {
		{ "{\"alg\":\"none\",\"enc\":\"A256GCM\"}", "none", "A256GCM" },
		{ "{\"alg\":\"A256GCMKW\",\"enc\":\"A256GCM\"}", "A256GCMKW",
		  "A256GCM" },
		{ "{\"alg\":\"a256kw\",\"enc\":\"A256GCM\"}", "a256kw", "A256GCM" },
		{ "{\"alg\":\"A256KW \",\"enc\":\"A256GCM\"}", "A256KW ",
		  "A256GCM" },
		{ "{\"alg\":\"A256KW\\u0000\",\"enc\":\"A256GCM\"}", "A256KW?",
		  "A256GCM" },
		{ "{\"alg\":\"dir\",\"enc\":\"A128GCM\"}", "dir", "A128GCM" },
		{ "{\"alg\":\"dir\",\"enc\":\"\"}", "dir", "" },
		{ "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"zip\":null}", "dir",
		  "A256GCM" },
		{ "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"crit\":[]}", "dir",
		  "A256GCM" },
	};
	struct keyfile_diag d;
	char t[TOK_MAX];
	struct parts p;

	(void)state;
	d = expect_err(fx.rsa, strlen(fx.rsa), fx.k, -EPROTONOSUPPORT);
	assert_string_equal(d.alg, "RSA-OAEP");
	assert_non_null(strstr(d.detail, "alg"));
	d = expect_err(fx.a128kw, strlen(fx.a128kw), fx.k, -EPROTONOSUPPORT);
	assert_string_equal(d.alg, "A128KW");
	d = expect_err(fx.cbc, strlen(fx.cbc), fx.k, -EPROTONOSUPPORT);
	assert_string_equal(d.alg, "A256KW");
	assert_string_equal(d.enc, "A128CBC-HS256");
	assert_non_null(strstr(d.detail, "enc"));
	d = expect_err(fx.zip, strlen(fx.zip), fx.k, -EPROTONOSUPPORT);
	assert_non_null(strstr(d.detail, "zip"));
	d = expect_err(fx.crit, strlen(fx.crit), fx.k, -EPROTONOSUPPORT);
	assert_non_null(strstr(d.detail, "crit"));
	/* Unsupported is said before a missing key is. */
	(void)expect_err(fx.rsa, strlen(fx.rsa), NULL, -EPROTONOSUPPORT);
	(void)expect_err(fx.zip, strlen(fx.zip), NULL, -EPROTONOSUPPORT);

	for (size_t i = 0; i < sizeof(crafted) / sizeof(crafted[0]); i++) {
		split5(fx.direct, &p);
		enc_str(crafted[i].hdr, p.s[0]);
		join(&p, -1, t);
		d = expect_err(t, strlen(t), fx.k, -EPROTONOSUPPORT);
		assert_string_equal(d.alg, crafted[i].alg);
		assert_string_equal(d.enc, crafted[i].enc);
	}
}

/* ---- secret slots ------------------------------------------------------- */

/* A run of decodes of every kind, success and failure. */
static void
decode_mix(void)
{
	struct parts p;
	char t[TOK_MAX];

	expect_ade_key(fx.a256kw, fx.k);
	expect_ade_key(fx.direct, fx.k);
	expect_ade_key(ADE_KEY, NULL);
	expect_err_str(fx.a256kw, NULL, -ENOKEY);
	expect_err_str(fx.rsa, fx.k, -EPROTONOSUPPORT);
	split5(fx.a256kw, &p);
	p.s[1][5] = p.s[1][5] == 'A' ? 'B' : 'A';
	join(&p, -1, t);
	expect_err_str(t, fx.k, -EKEYREJECTED);
	split5(fx.a256kw, &p);
	p.s[3][5] = p.s[3][5] == 'A' ? 'B' : 'A';
	join(&p, -1, t);
	expect_err_str(t, fx.k, -EBADMSG);
	join(&p, 3, t);
	expect_err_str(t, fx.k, -EINVAL);
}

static void
test_slots_returned(void **state)
{
	struct secret *s[SECRET_SLOTS];

	(void)state;
	for (int i = 0; i < 100; i++)
		decode_mix();
	/* Every slot is free again once the test's own two are returned. */
	secret_free(fx.k);
	secret_free(fx.pass);
	for (size_t i = 0; i < SECRET_SLOTS; i++) {
		s[i] = secret_new();
		assert_non_null(s[i]);
	}
	assert_null(secret_new());
	for (size_t i = 0; i < SECRET_SLOTS; i++)
		secret_free(s[i]);
	fx.k = secret_new();
	fx.pass = secret_new();
	assert_non_null(fx.k);
	assert_non_null(fx.pass);
	memcpy(fx.k->buf, fx.kek, 32);
	fx.k->len = 32;
}

/* With no slot left, A256KW fails cleanly; dir and plain need none. */
static void
test_slots_exhausted(void **state)
{
	static const char jwk16[] =
	    "{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"}";
	struct secret *s[SECRET_SLOTS];
	size_t n = 0;
	char path[300];

	(void)state;
	while (n < SECRET_SLOTS && (s[n] = secret_new()) != NULL)
		n++;
	expect_err_str(fx.a256kw, fx.k, -ENOMEM);
	expect_ade_key(fx.direct, fx.k);
	expect_ade_key(ADE_KEY, fx.k);
	snprintf(path, sizeof(path), "%s/kek-nomem.jwk", fx.dir);
	assert_int_equal(tu_write_file(path, jwk16, strlen(jwk16)), 0);
	assert_int_equal(keyfile_kek_load(path, fx.k), -ENOMEM);
	while (n > 0)
		secret_free(s[--n]);
	assert_int_equal(fx.k->len, 32);
	assert_memory_equal(fx.k->buf, fx.kek, 32);
	expect_ade_key(fx.a256kw, fx.k);
}

/* ---- the key-encryption key --------------------------------------------- */

static void
jwk_text(const unsigned char *k, size_t n, const char *extra, char *out,
    size_t size)
{
	char kb[64];

	tu_b64url(k, n, kb);
	snprintf(out, size, "{\"kty\":\"oct\",\"k\":\"%s\"%s}", kb, extra);
}

static void
test_kek_parse(void **state)
{
	static const struct {
		const char	*json;
		int		 want;
	} bad[] = {
		{ "", -ENODATA },
		{ "{", -EINVAL },
		{ "[]", -EINVAL },
		{ "\"oct\"", -EINVAL },
		{ "{\"kty\":\"oct\"}", -EINVAL },
		{ "{\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"}", -EINVAL },
		{ "{\"kty\":5,\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"}", -EINVAL },
		{ "{\"kty\":\"RSA\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"}",
		  -EPROTONOSUPPORT },
		{ "{\"kty\":\"EC\"}", -EPROTONOSUPPORT },
		{ "{\"kty\":\"OCT\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"}",
		  -EPROTONOSUPPORT },
		{ "{\"kty\":\"oct\",\"k\":5}", -EINVAL },
		{ "{\"kty\":\"oct\",\"k\":\"\"}", -EINVAL },
		{ "{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}", -EINVAL },
		{ "{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAA+/\"}", -EINVAL },
		{ "{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAB\"}", -EINVAL },
		{ "{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"} x", -EINVAL },
		{ "{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\",}", -EINVAL },
	};
	unsigned char k[40];
	char json[256];
	struct secret *out = secret_new();

	(void)state;
	assert_non_null(out);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fill_pattern(out);
		assert_int_equal(keyfile_kek_parse(bad[i].json,
		    strlen(bad[i].json), out), bad[i].want);
		/* Untouched on failure. */
		assert_int_equal(out->len, 1234);
		assert_int_equal(out->buf[0], 0xa5);
	}
	for (size_t i = 0; i < sizeof(k); i++)
		k[i] = (unsigned char)(i * 29 + 1);
	/*
	 * 32 bytes is the key; 16 and 24 are AES keys of the wrong size
	 * (named: -ERANGE); other lengths are not keys.
	 */
	for (size_t n = 0; n <= sizeof(k); n++) {
		int ok = n == 32;

		jwk_text(k, n, ",\"alg\":\"A256KW\",\"kid\":\"x\",\"use\":\"enc\"",
		    json, sizeof(json));
		memset(out->buf, 0xa5, sizeof(out->buf));
		out->len = 1234;
		assert_int_equal(keyfile_kek_parse(json, strlen(json), out),
		    ok ? 0 : n == 16 || n == 24 ? -ERANGE : -EINVAL);
		if (ok) {
			assert_int_equal(out->len, n);
			assert_memory_equal(out->buf, k, n);
			assert_true(all_zero(out->buf + n, sizeof(out->buf) - n));
		} else
			assert_int_equal(out->len, 1234);
	}
	/* The JWK's purpose: a key-encryption key for A256KW or "dir". */
	{
		static const struct { const char *extra; int want; } use[] = {
			{ ",\"alg\":\"dir\"", 0 },
			{ ",\"alg\":\"A256GCM\"", 0 },
			{ ",\"use\":\"enc\"", 0 },
			{ ",\"alg\":\"HS256\"", -EPROTOTYPE },
			{ ",\"alg\":\"A128KW\"", -EPROTOTYPE },
			{ ",\"alg\":7", -EPROTOTYPE },
			{ ",\"use\":\"sig\"", -EPROTOTYPE },
		};

		for (size_t i = 0; i < sizeof(use) / sizeof(use[0]); i++) {
			jwk_text(k, 32, use[i].extra, json, sizeof(json));
			assert_int_equal(keyfile_kek_parse(json, strlen(json),
			    out), use[i].want);
		}
	}
	/* Not NUL-terminated: only len bytes are read. */
	jwk_text(k, 32, "", json, sizeof(json));
	memcpy(json + strlen(json), "garbage", 8);
	assert_int_equal(keyfile_kek_parse(json, strlen(json) - 7, out), 0);
	assert_int_equal(keyfile_kek_parse(json, 5000, out), -EFBIG);
	secret_free(out);
}

/* Writes a JWK file with mode; returns its path in buf. */
static const char *
write_jwk(const char *name, const char *text, size_t len, mode_t mode,
    char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", fx.dir, name);
	(void)unlink(buf);
	assert_int_equal(tu_write_file(buf, text, len), 0);
	assert_int_equal(chmod(buf, mode), 0);
	return buf;
}

static void
expect_kek_err(const char *path, int want)
{
	struct secret *out = secret_new();

	assert_non_null(out);
	fill_pattern(out);
	assert_int_equal(keyfile_kek_load(path, out), want);
	assert_int_equal(out->len, 1234);
	assert_int_equal(out->buf[0], 0xa5);
	secret_free(out);
}

static void
test_kek_load(void **state)
{
	static const mode_t loose[] = { 0644, 0640, 0604, 0620, 0602, 0660,
	    0666, 0440, 0404 };
	char json[256], path[300], big[KEYFILE_KEK_MAX + 2], link[300];
	struct secret *out = secret_new();
	size_t n;

	(void)state;
	assert_non_null(out);
	jwk_text(fx.kek, 32, ",\"alg\":\"A256KW\",\"kid\":\"bek\"", json,
	    sizeof(json));
	strcat(json, "\n");
	n = strlen(json);

	/* 0600 and 0400: loaded, and it unwraps jwcrypto's tokens. */
	write_jwk("kek.jwk", json, n, 0600, path, sizeof(path));
	assert_int_equal(keyfile_kek_load(path, out), 0);
	assert_int_equal(out->len, 32);
	assert_memory_equal(out->buf, fx.kek, 32);
	assert_true(all_zero(out->buf + 32, sizeof(out->buf) - 32));
	(void)expect_ok(fx.a256kw, strlen(fx.a256kw), out, ADE_KEY, 172);
	(void)expect_ok(fx.direct, strlen(fx.direct), out, ADE_KEY, 172);
	secret_wipe(out, sizeof(*out));
	write_jwk("kek.jwk", json, n, 0400, path, sizeof(path));
	assert_int_equal(keyfile_kek_load(path, out), 0);
	assert_memory_equal(out->buf, fx.kek, 32);
	secret_free(out);

	/* Group or others may read or write: refused. */
	for (size_t i = 0; i < sizeof(loose) / sizeof(loose[0]); i++) {
		write_jwk("kek.jwk", json, n, loose[i], path, sizeof(path));
		expect_kek_err(path, -EPERM);
	}
	/* Owned by someone else while we are root: refused. */
	write_jwk("kek.jwk", json, n, 0600, path, sizeof(path));
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 1, 1), 0);
		expect_kek_err(path, -EPERM);
		assert_int_equal(chown(path, 0, 0), 0);
	}

	/* A symbolic link to a good file: refused. */
	snprintf(link, sizeof(link), "%s/kek-link.jwk", fx.dir);
	(void)unlink(link);
	assert_int_equal(symlink(path, link), 0);
	expect_kek_err(link, -ELOOP);

	/* Not a regular file (a FIFO must not block). */
	expect_kek_err(fx.dir, -EBADFD);
	snprintf(link, sizeof(link), "%s/kek.fifo", fx.dir);
	assert_int_equal(mkfifo(link, 0600), 0);
	expect_kek_err(link, -EBADFD);
	expect_kek_err("/dev/null", -EBADFD);
	expect_kek_err("/nonexistent/kek.jwk", -ENOENT);

	/* Sizes: 4096 bytes (padded with spaces) is fine, 4097 is not. */
	memset(big, ' ', sizeof(big));
	memcpy(big, json, n);
	write_jwk("big.jwk", big, KEYFILE_KEK_MAX, 0600, path, sizeof(path));
	out = secret_new();
	assert_int_equal(keyfile_kek_load(path, out), 0);
	secret_free(out);
	write_jwk("big.jwk", big, KEYFILE_KEK_MAX + 1, 0600, path,
	    sizeof(path));
	expect_kek_err(path, -EFBIG);
	write_jwk("empty.jwk", "", 0, 0600, path, sizeof(path));
	expect_kek_err(path, -ENODATA);

	/* Content errors come through from keyfile_kek_parse(). */
	write_jwk("bad.jwk", "{\"kty\":\"oct\",", 13, 0600, path, sizeof(path));
	expect_kek_err(path, -EINVAL);
	write_jwk("bad.jwk", "{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
	    35, 0600, path, sizeof(path));
	expect_kek_err(path, -EPROTONOSUPPORT);
	jwk_text(fx.kek, 31, "", json, sizeof(json));
	write_jwk("bad.jwk", json, strlen(json), 0600, path, sizeof(path));
	expect_kek_err(path, -EINVAL);
	jwk_text(fx.kek, 32, "", json, sizeof(json));
	strcat(json, " x");
	write_jwk("bad.jwk", json, strlen(json), 0600, path, sizeof(path));
	expect_kek_err(path, -EINVAL);
}

/* A 16-byte KEK loads, but A256KW and dir need 32. */
static void
test_kek_short_refused_at_use(void **state)
{
	unsigned char k16[16];
	char json[128];
	struct secret *out = secret_new();

	(void)state;
	assert_non_null(out);
	memcpy(k16, fx.kek, 16);
	jwk_text(k16, 16, "", json, sizeof(json));
	/* Named where it is loaded, not mistaken for a wrong key later. */
	fill_pattern(out);
	assert_int_equal(keyfile_kek_parse(json, strlen(json), out), -ERANGE);
	assert_int_equal(out->len, 1234);
	assert_non_null(strstr(keyfile_strerror(-ERANGE), "256-bit"));
	/* And if a short key got to the decoder anyway: refused there too. */
	memcpy(out->buf, k16, 16);
	secret_wipe(out->buf + 16, sizeof(out->buf) - 16);
	out->len = 16;
	expect_err_str(fx.a256kw, out, -EKEYREJECTED);
	expect_err_str(fx.direct, out, -EKEYREJECTED);
	secret_free(out);
}

/* ---- error texts -------------------------------------------------------- */

static void
test_strerror(void **state)
{
	static const int codes[] = {
		-ENODATA, -EFBIG, -ENOKEY, -EKEYREJECTED, -EBADMSG,
		-EPROTONOSUPPORT, -EINVAL, -EMSGSIZE, -ENOMEM, -EPERM, -ELOOP,
		-EBADFD, -ERANGE, -EPROTOTYPE,
	};
	const size_t n = sizeof(codes) / sizeof(codes[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		const char *s = keyfile_strerror(codes[i]);

		assert_non_null(s);
		assert_true(strlen(s) > 10);
		/* Our own words, not libc's. */
		assert_string_not_equal(s, strerror(-codes[i]));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, keyfile_strerror(codes[j]));
	}
	assert_string_equal(keyfile_strerror(-ENOENT), strerror(ENOENT));
	assert_string_equal(keyfile_strerror(0), "success");
	assert_non_null(strstr(keyfile_strerror(-EKEYREJECTED), "A256KW"));
	assert_non_null(strstr(keyfile_strerror(-EBADMSG), "GCM"));
}

static void
test_bad_arguments(void **state)
{
	(void)state;
	assert_int_equal(keyfile_decode((const unsigned char *)"x", 1, NULL,
	    NULL), -EINVAL);
	(void)expect_err(NULL, 5, NULL, -EINVAL);
	/* The input may not lie inside the output slot. */
	memcpy(fx.pass->buf, "abc", 3);
	assert_int_equal(keyfile_decode(fx.pass->buf, 3, NULL, fx.pass),
	    -EINVAL);
	assert_int_equal(fx.pass->len, 0);
	assert_int_equal(keyfile_detect(NULL, 0), KEYFILE_PLAIN);
	assert_int_equal(keyfile_detect((const unsigned char *)"", 0),
	    KEYFILE_PLAIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_ade_key),
		cmocka_unit_test(test_plain_newline_kept),
		cmocka_unit_test(test_plain_binary),
		cmocka_unit_test(test_plain_empty),
		cmocka_unit_test(test_plain_size_limit),
		cmocka_unit_test(test_plain_dots_stay_plain),
		cmocka_unit_test(test_jwe_a256kw),
		cmocka_unit_test(test_jwe_dir),
		cmocka_unit_test(test_jwe_header_verbatim),
		cmocka_unit_test(test_jwe_wrong_kek),
		cmocka_unit_test(test_jwe_no_kek),
		cmocka_unit_test(test_jwe_tampered),
		cmocka_unit_test(test_jwe_spliced),
		cmocka_unit_test(test_jwe_truncated),
		cmocka_unit_test(test_jwe_bad_sizes),
		cmocka_unit_test(test_jwe_bad_base64url),
		cmocka_unit_test(test_jwe_bad_header),
		cmocka_unit_test(test_jwe_unsupported),
		cmocka_unit_test(test_slots_returned),
		cmocka_unit_test(test_slots_exhausted),
		cmocka_unit_test(test_kek_parse),
		cmocka_unit_test(test_kek_load),
		cmocka_unit_test(test_kek_short_refused_at_use),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_bad_arguments),
	};
	const char *probe[] = { "/usr/bin/python3", "-c", "import jwcrypto", NULL };

	if (tu_run(probe) != 0)
		TU_SKIP_PROGRAM("test_keyfile: needs /usr/bin/python3 with "
		    "jwcrypto (Debian python3-jwcrypto) to make JWE vectors");
	return cmocka_run_group_tests_name("keyfile", tests, group_setup,
	    group_teardown);
}
