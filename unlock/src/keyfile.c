/* SPDX-License-Identifier: MIT */
/* keyfile.c: key file formats: the plain passphrase, or JWE (A256KW/dir, A256GCM) unwrapped with BearSSL. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bearssl.h>
#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "aeskw.h"
#include "b64.h"
#include "keyfile.h"
#include "secret.h"

/* Largest decoded protected header: a whole key file, decoded. */
#define HEADER_MAX	(KEYFILE_MAX / 4 * 3)
/* JSON nesting allowed in a header or a JWK (the members we read are flat). */
#define JSON_DEPTH	8

#define JWE_IV_LEN	12		/* A256GCM: 96-bit IV */
#define JWE_TAG_LEN	16		/* A256GCM: 128-bit tag */
#define JWE_CEK_LEN	32		/* A256GCM key, A256KW/dir KEK */
#define JWE_EK_LEN	(JWE_CEK_LEN + 8)	/* A256KW of the CEK */

_Static_assert(KEYFILE_MAX <= SECRET_MAX, "a plain key file fits a secret");
_Static_assert(KEYFILE_KEK_MAX < SECRET_MAX, "a JWK file (+1 byte) fits a secret");

enum { SEG_HEADER, SEG_EK, SEG_IV, SEG_CT, SEG_TAG, SEG_COUNT };
enum jwe_alg { ALG_A256KW, ALG_DIR };

/* A JWE compact serialization, cut at its dots (pointers into the file). */
struct jwe {
	const char	*seg[SEG_COUNT];
	size_t		 len[SEG_COUNT];
	enum jwe_alg	 alg;
};

/* What is wrong with a segment that does not decode, or has the wrong size. */
static const struct {
	const char	*not_b64, *bad_size;
} seg_err[SEG_COUNT] = {
	[SEG_HEADER] = { "protected header is not valid base64url",
	    "protected header is too large" },
	[SEG_EK] = { "encrypted key is not valid base64url",
	    "encrypted key is not 40 bytes (A256KW of a 256-bit key)" },
	[SEG_IV] = { "initialization vector is not valid base64url",
	    "initialization vector is not 96 bits" },
	[SEG_CT] = { "ciphertext is not valid base64url",
	    "plaintext is larger than a secret" },
	[SEG_TAG] = { "authentication tag is not valid base64url",
	    "authentication tag is not 128 bits" },
};

/*
 * Wipes every string in a parsed JSON tree: any of them may be key
 * material (a JWK's "k", or a plain passphrase that was sniffed).
 */
static void
json_wipe_strings(struct json_object *o, int depth)
{
	size_t n;

	if (o == NULL || depth > JSON_DEPTH)
		return;
	switch (json_object_get_type(o)) {
	case json_type_string:
		/* json-c keeps the string inside the object, writable. */
		secret_wipe((char *)(uintptr_t)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_object: {
		json_object_object_foreach(o, name, val) {
			(void)name;
			json_wipe_strings(val, depth + 1);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			json_wipe_strings(json_object_array_get_idx(o, i),
			    depth + 1);
		break;
	default:
		break;
	}
}

/* Wipes the strings of o, then frees it; NULL is accepted. */
static void
json_free(struct json_object *o)
{
	json_wipe_strings(o, 0);
	(void)json_object_put(o);
}

/*
 * Parses len bytes of JSON (strict) into an object: NULL when it is not
 * one or, unless prefix is set, when anything but whitespace follows it.
 *
 * json-c copies every string token into the tokener's scratch buffer
 * (tok->pb) before it makes the string object. That buffer is sized up
 * front so it is never moved by realloc (which would free a copy without
 * wiping it), and wiped before the tokener is freed; the string objects
 * are wiped by json_free(). Both rely on json-c internals that its
 * headers expose: struct json_tokener's pb (marked deprecated for outside
 * use) and printbuf_memset() (exported, but versioned JSONC_PRIVATE in
 * Debian's shared library); json-c 0.16 is the version built and tested
 * here, and a json-c that hides them fails to compile. Residual risk: when a syntax error follows a string (a malformed
 * file), json-c frees the objects it made so far itself, unwiped; the
 * heap block keeps the text until reused, in this non-dumpable process.
 */
static struct json_object *
json_parse_object(const char *s, size_t len, bool prefix)
{
	struct json_tokener *tok;
	struct json_object *o = NULL;

	if (len > KEYFILE_MAX)
		return NULL;
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (tok == NULL)
		return NULL;
	/*
	 * Trailing characters are refused below, not by json-c: it would
	 * free the finished object itself, without wiping its strings.
	 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	if (printbuf_memset(tok->pb, 0, 0, (int)len + 1) < 0)
		goto out;
	printbuf_reset(tok->pb);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o != NULL && (!json_object_is_type(o, json_type_object) ||
	    (!prefix && json_tokener_get_parse_end(tok) != len))) {
		json_free(o);
		o = NULL;
	}
out:
	secret_wipe(tok->pb->buf, (size_t)tok->pb->size);
	json_tokener_free(tok);
	return o;
}

/* Whether the JSON string s is exactly lit (s may hold NUL bytes). */
static bool
json_str_eq(struct json_object *s, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)json_object_get_string_len(s) == n &&
	    memcmp(json_object_get_string(s), lit, n) == 0;
}

/* Copies a header string for the log: printable ASCII, '?' for the rest. */
static void
copy_printable(char *dst, size_t size, struct json_object *s)
{
	const char *p = json_object_get_string(s);
	size_t n = (size_t)json_object_get_string_len(s), i;

	for (i = 0; i < n && i + 1 < size; i++) {
		unsigned char c = (unsigned char)p[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[i] = '\0';
}

/*
 * Whether data starts with a base64url-encoded JSON object that has "alg"
 * and "enc" members: a JOSE protected header. The leading base64url
 * characters are decoded leniently (a lost dot, a stray character or a
 * cut after the header still leave its bytes intact); json-c then stops
 * after the object.
 */
static bool
starts_with_jose_header(const unsigned char *data, size_t len)
{
	unsigned char hdr[HEADER_MAX];
	struct json_object *o;
	size_t n;
	bool ret;

	n = b64url_decode_prefix((const char *)data, len, hdr, sizeof(hdr));
	o = json_parse_object((const char *)hdr, n, true);
	ret = o != NULL && json_object_object_get_ex(o, "alg", NULL) &&
	    json_object_object_get_ex(o, "enc", NULL);
	/* For a plain file, this was (part of) the passphrase. */
	json_free(o);
	secret_wipe(hdr, n);
	return ret;
}

int
keyfile_detect(const unsigned char *data, size_t len)
{
	if (data == NULL || len == 0)
		return KEYFILE_PLAIN;
	return starts_with_jose_header(data, len) ? KEYFILE_JWE : KEYFILE_PLAIN;
}

/* Cuts data at its dots into exactly five segments. */
static int
jwe_split(const unsigned char *data, size_t len, struct jwe *j)
{
	size_t start = 0, k = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && data[i] != '.')
			continue;
		if (k == SEG_COUNT)
			return -EINVAL;
		j->seg[k] = (const char *)data + start;
		j->len[k] = i - start;
		k++;
		start = i + 1;
	}
	return k == SEG_COUNT ? 0 : -EINVAL;
}

/*
 * Decodes segment i into out (size bytes); *ret_len gets its length.
 * Too long for out: -EINVAL, or -EMSGSIZE for the ciphertext.
 */
static int
jwe_seg_decode(const struct jwe *j, int i, unsigned char *out, size_t size,
    size_t *ret_len, struct keyfile_diag *d)
{
	int r;

	r = b64url_decode(j->seg[i], j->len[i], out, size, ret_len);
	if (r == -ENOBUFS) {
		d->detail = seg_err[i].bad_size;
		return i == SEG_CT ? -EMSGSIZE : -EINVAL;
	}
	if (r < 0) {
		d->detail = seg_err[i].not_b64;
		return -EINVAL;
	}
	return 0;
}

/* Reads and checks the protected header: sets j->alg, d->alg, d->enc. */
static int
jwe_header(struct jwe *j, struct keyfile_diag *d)
{
	unsigned char hdr[HEADER_MAX];
	struct json_object *o = NULL, *alg, *enc;
	size_t n = 0;
	int r;

	if ((r = jwe_seg_decode(j, SEG_HEADER, hdr, sizeof(hdr), &n, d)) < 0)
		goto out;
	o = json_parse_object((const char *)hdr, n, false);
	if (o == NULL) {
		d->detail = "protected header is not a JSON object";
		r = -EINVAL;
		goto out;
	}
	if (!json_object_object_get_ex(o, "alg", &alg) ||
	    !json_object_object_get_ex(o, "enc", &enc) ||
	    !json_object_is_type(alg, json_type_string) ||
	    !json_object_is_type(enc, json_type_string)) {
		d->detail = "protected header: \"alg\" and \"enc\" must be strings";
		r = -EINVAL;
		goto out;
	}
	copy_printable(d->alg, sizeof(d->alg), alg);
	copy_printable(d->enc, sizeof(d->enc), enc);
	r = -EPROTONOSUPPORT;
	if (json_str_eq(alg, "A256KW"))
		j->alg = ALG_A256KW;
	else if (json_str_eq(alg, "dir"))
		j->alg = ALG_DIR;
	else {
		d->detail = "unsupported \"alg\" (supported: \"A256KW\", \"dir\")";
		goto out;
	}
	if (!json_str_eq(enc, "A256GCM")) {
		d->detail = "unsupported \"enc\" (supported: \"A256GCM\")";
		goto out;
	}
	if (json_object_object_get_ex(o, "zip", NULL)) {
		d->detail = "\"zip\" (compression) is not supported";
		goto out;
	}
	if (json_object_object_get_ex(o, "crit", NULL)) {
		d->detail = "\"crit\" (critical extensions) is not supported";
		goto out;
	}
	r = 0;
out:
	json_free(o);
	secret_wipe(hdr, n);
	return r;
}

/*
 * Unwraps a JWE into pass (a wiped slot; the caller wipes it again on
 * failure). The ciphertext is decoded into pass->buf and decrypted there,
 * so the plaintext never leaves the secret; the AES and GCM contexts and
 * the CEK are wiped at the one exit.
 */
static int
jwe_decode(const unsigned char *data, size_t len, const struct secret *kek,
    struct secret *pass, struct keyfile_diag *d)
{
	unsigned char ek[JWE_EK_LEN], iv[JWE_IV_LEN], tag[JWE_TAG_LEN];
	br_aes_ct64_ctr_keys aes;
	br_gcm_context gcm;
	struct secret *cek = NULL;
	const unsigned char *key;
	struct jwe j;
	size_t n = 0, ct_len = 0;
	int r;

	/* One line end after the token, as echo or an editor leaves it. */
	if (len > 0 && data[len - 1] == '\n') {
		len--;
		if (len > 0 && data[len - 1] == '\r')
			len--;
	}
	if ((r = jwe_split(data, len, &j)) < 0) {
		d->detail = "not five dot-separated segments";
		goto out;
	}
	if ((r = jwe_header(&j, d)) < 0)
		goto out;

	if (j.alg == ALG_DIR && j.len[SEG_EK] != 0) {
		d->detail = "encrypted key is not empty (alg \"dir\")";
		r = -EINVAL;
		goto out;
	}
	if (j.alg == ALG_A256KW) {
		if ((r = jwe_seg_decode(&j, SEG_EK, ek, sizeof(ek), &n, d)) < 0)
			goto out;
		if (n != JWE_EK_LEN) {
			d->detail = seg_err[SEG_EK].bad_size;
			r = -EINVAL;
			goto out;
		}
	}
	if ((r = jwe_seg_decode(&j, SEG_IV, iv, sizeof(iv), &n, d)) < 0)
		goto out;
	if (n != JWE_IV_LEN) {
		d->detail = seg_err[SEG_IV].bad_size;
		r = -EINVAL;
		goto out;
	}
	if ((r = jwe_seg_decode(&j, SEG_TAG, tag, sizeof(tag), &n, d)) < 0)
		goto out;
	if (n != JWE_TAG_LEN) {
		d->detail = seg_err[SEG_TAG].bad_size;
		r = -EINVAL;
		goto out;
	}
	if ((r = jwe_seg_decode(&j, SEG_CT, pass->buf, sizeof(pass->buf),
	    &ct_len, d)) < 0)
		goto out;
	if (ct_len == 0) {
		d->detail = "ciphertext is empty";
		r = -EINVAL;
		goto out;
	}

	if (kek == NULL || kek->len == 0) {
		d->detail = "no key-encryption key";
		r = -ENOKEY;
		goto out;
	}
	if (kek->len != JWE_CEK_LEN) {
		d->detail = "key-encryption key is not 256 bits";
		r = -EKEYREJECTED;
		goto out;
	}
	if (j.alg == ALG_A256KW) {
		if ((cek = secret_new()) == NULL) {
			d->detail = "no free secret slot";
			r = -ENOMEM;
			goto out;
		}
		r = aeskw_unwrap(kek->buf, kek->len, ek, JWE_EK_LEN, cek->buf);
		if (r < 0) {
			d->detail = "A256KW integrity check failed "
			    "(wrong key-encryption key)";
			r = r == -EBADMSG ? -EKEYREJECTED : r;
			goto out;
		}
		cek->len = JWE_CEK_LEN;
		key = cek->buf;
	} else
		key = kek->buf;

	br_aes_ct64_ctr_init(&aes, key, JWE_CEK_LEN);
	br_gcm_init(&gcm, &aes.vtable, br_ghash_ctmul64);
	br_gcm_reset(&gcm, iv, sizeof(iv));
	/* AAD: the protected header as it appears in the file. */
	br_gcm_aad_inject(&gcm, j.seg[SEG_HEADER], j.len[SEG_HEADER]);
	br_gcm_flip(&gcm);
	br_gcm_run(&gcm, 0, pass->buf, ct_len);
	if (!br_gcm_check_tag(&gcm, tag)) {
		d->detail = "AES-GCM authentication tag mismatch";
		r = -EBADMSG;
		goto out;
	}
	pass->len = ct_len;
	r = 0;
out:
	secret_free(cek);
	secret_wipe(&aes, sizeof(aes));
	secret_wipe(&gcm, sizeof(gcm));
	return r;
}

int
keyfile_decode_ex(const unsigned char *data, size_t len,
    const struct secret *kek, struct secret *ret_pass,
    struct keyfile_diag *diag)
{
	struct keyfile_diag d = { .format = KEYFILE_PLAIN };
	uintptr_t a = (uintptr_t)data, p = (uintptr_t)ret_pass;
	int r;

	if (ret_pass == NULL)
		return -EINVAL;
	if (len == 0) {
		d.detail = "the file is empty";
		r = -ENODATA;
		goto out;
	}
	if (len > KEYFILE_MAX) {
		d.detail = "the file is larger than 8192 bytes";
		r = -EFBIG;
		goto out;
	}
	if (data == NULL || (a < p + sizeof(*ret_pass) && p < a + len)) {
		d.detail = "invalid arguments";
		r = -EINVAL;
		goto out;
	}
	secret_wipe(ret_pass, sizeof(*ret_pass));
	if (!starts_with_jose_header(data, len)) {
		/* ADE: the bytes are the passphrase, exactly. */
		memcpy(ret_pass->buf, data, len);
		ret_pass->len = len;
		r = 0;
		goto out;
	}
	d.format = KEYFILE_JWE;
	r = jwe_decode(data, len, kek, ret_pass, &d);
	/* BearSSL's block calls expand the AES subkeys on their stack. */
	secret_scrub_stack();
out:
	if (r < 0)
		secret_wipe(ret_pass, sizeof(*ret_pass));
	else
		d.detail = NULL;
	if (diag != NULL)
		*diag = d;
	return r;
}

int
keyfile_decode(const unsigned char *data, size_t len,
    const struct secret *kek, struct secret *ret_pass)
{
	return keyfile_decode_ex(data, len, kek, ret_pass, NULL);
}

int
keyfile_kek_parse(const char *json, size_t len, struct secret *ret_kek)
{
	unsigned char k[JWE_CEK_LEN];
	struct json_object *o = NULL, *kty, *kv;
	size_t n = 0;
	int r;

	if (json == NULL || ret_kek == NULL)
		return -EINVAL;
	if (len == 0)
		return -ENODATA;
	if (len > KEYFILE_KEK_MAX)
		return -EFBIG;
	o = json_parse_object(json, len, false);
	if (o == NULL ||
	    !json_object_object_get_ex(o, "kty", &kty) ||
	    !json_object_is_type(kty, json_type_string)) {
		r = -EINVAL;
		goto out;
	}
	if (!json_str_eq(kty, "oct")) {
		r = -EPROTONOSUPPORT;
		goto out;
	}
	/*
	 * A key meant for something else (a JWK's "alg" or "use" naming
	 * another purpose: a signing key, RSA) is not used to unwrap.
	 */
	{
		struct json_object *a;

		if (json_object_object_get_ex(o, "alg", &a) &&
		    (!json_object_is_type(a, json_type_string) ||
		    (!json_str_eq(a, "A256KW") && !json_str_eq(a, "dir") &&
		    !json_str_eq(a, "A256GCM")))) {
			r = -EPROTOTYPE;
			goto out;
		}
		if (json_object_object_get_ex(o, "use", &a) &&
		    (!json_object_is_type(a, json_type_string) ||
		    !json_str_eq(a, "enc"))) {
			r = -EPROTOTYPE;
			goto out;
		}
	}
	if (!json_object_object_get_ex(o, "k", &kv) ||
	    !json_object_is_type(kv, json_type_string) ||
	    b64url_decode(json_object_get_string(kv),
	    (size_t)json_object_get_string_len(kv), k, sizeof(k), &n) < 0 ||
	    (n != 16 && n != 24 && n != JWE_CEK_LEN)) {
		r = -EINVAL;
		goto out;
	}
	/* A256KW and A256GCM take 256-bit keys: a shorter AES key is named. */
	if (n != JWE_CEK_LEN) {
		r = -ERANGE;
		goto out;
	}
	memcpy(ret_kek->buf, k, n);
	secret_wipe(ret_kek->buf + n, sizeof(ret_kek->buf) - n);
	ret_kek->len = n;
	r = 0;
out:
	json_free(o);
	secret_wipe(k, sizeof(k));
	return r;
}

int
keyfile_kek_load(const char *path, struct secret *ret_kek)
{
	struct secret *raw = NULL;
	struct stat st;
	size_t n = 0;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EBADFD;
		goto out;
	}
	if ((st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0 ||
	    (geteuid() == 0 && st.st_uid != 0)) {
		r = -EPERM;
		goto out;
	}
	if (st.st_size > KEYFILE_KEK_MAX) {
		r = -EFBIG;
		goto out;
	}
	if ((raw = secret_new()) == NULL) {
		r = -ENOMEM;
		goto out;
	}
	/* One byte more than allowed, to see a file that grew since fstat. */
	while (n <= KEYFILE_KEK_MAX) {
		ssize_t k = read(fd, raw->buf + n, KEYFILE_KEK_MAX + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (n > KEYFILE_KEK_MAX) {
		r = -EFBIG;
		goto out;
	}
	r = keyfile_kek_parse((const char *)raw->buf, n, ret_kek);
out:
	secret_free(raw);
	if (fd >= 0)
		close(fd);
	return r;
}

const char *
keyfile_strerror(int r)
{
	switch (r) {
	case 0:
		return "success";
	case -ENODATA:
		return "the file is empty";
	case -EFBIG:
		return "the file is too large (key files are limited to 8192 "
		    "bytes, key-encryption key files to 4096)";
	case -ENOKEY:
		return "the key file is wrapped (JWE) but no key-encryption "
		    "key is available";
	case -EKEYREJECTED:
		return "the key-encryption key is not the one the file was "
		    "wrapped with (A256KW integrity check failed)";
	case -EBADMSG:
		return "AES-GCM authentication failed: the wrapped key file "
		    "is corrupted or was tampered with (with alg \"dir\": "
		    "or the key-encryption key is wrong)";
	case -EPROTONOSUPPORT:
		return "unsupported algorithm (supported: JWE alg \"A256KW\" "
		    "or \"dir\" with enc \"A256GCM\", no \"zip\" or \"crit\"; "
		    "JWK kty \"oct\")";
	case -EINVAL:
		return "malformed (not a valid JWE compact serialization or "
		    "JWK)";
	case -EMSGSIZE:
		return "the unwrapped passphrase is larger than 8192 bytes";
	case -ENOMEM:
		return "out of memory for secrets";
	case -EPERM:
		return "refused: the key-encryption key file must be owned by "
		    "root and readable by root only (mode 0600 or 0400)";
	case -ELOOP:
		return "refused: the key-encryption key file is a symbolic "
		    "link";
	case -EBADFD:
		return "refused: not a regular file";
	case -ERANGE:
		return "the key-encryption key is a 128- or 192-bit AES key: "
		    "A256KW and A256GCM need a 256-bit one";
	case -EPROTOTYPE:
		return "the key-encryption key's JWK is for another use (its "
		    "\"alg\" must be \"A256KW\", \"dir\" or \"A256GCM\", its "
		    "\"use\" \"enc\")";
	default:
		return r < 0 ? strerror(-r) : "success";
	}
}
