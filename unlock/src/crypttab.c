/* SPDX-License-Identifier: MIT */
/* crypttab.c: crypttab(5) parsing, and which entries have their key on BEK. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypttab.h"

struct ct_ctx {
	const char		*file;
	unsigned		 line;
	struct config_error	*err;
	struct config_warnings	*warn;
};

/* Field separators, as sscanf("%s") and strstrip() see them. */
static bool
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool
starts(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);

	return n >= pn && memcmp(s, prefix, pn) == 0;
}

static const char *const dev_tags[] = {
	"UUID=", "PARTUUID=", "LABEL=", "PARTLABEL=", "ID="
};

/* s starts a device spec: a tag above or "/dev/". */
static bool
is_dev_spec(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(dev_tags) / sizeof(dev_tags[0]); i++)
		if (starts(s, n, dev_tags[i]))
			return true;
	return starts(s, n, "/dev/");
}

/* A device: a tag with a value, or an absolute path that is not just "/". */
static bool
device_valid(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(dev_tags) / sizeof(dev_tags[0]); i++)
		if (starts(s, n, dev_tags[i]))
			return n > strlen(dev_tags[i]);
	return n >= 2 && s[0] == '/';
}

static bool
has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

/* The first ':' of s that is followed by a device spec, or NULL. */
static const char *
find_dev_colon(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == ':' && is_dev_spec(s + i + 1, n - i - 1))
			return s + i;
	return NULL;
}

/* Copies s[0..n) to dst[cap]; false when it does not fit. */
static bool
copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

/*
 * Unescapes raw field s[0..n) into dst[cap]; on error fills err for field.
 * Returns the decoded length or -errno.
 */
static int
ct_unescape(const struct ct_ctx *x, const char *field, const char *s,
    size_t n, char *dst, size_t cap)
{
	const char *why = NULL;
	char q[64];
	int r;

	r = config_unescape(s, n, dst, cap, &why);
	if (r == -ENAMETOOLONG) {
		config_error_set(x->err, x->file, x->line, field,
		    "%s is longer than %zu bytes",
		    config_quote(q, sizeof(q), s, n), cap - 1);
	} else if (r < 0) {
		config_error_set(x->err, x->file, x->line, field, "%s: %s",
		    config_quote(q, sizeof(q), s, n), why);
	} else if (has_control(dst, (size_t)r)) {
		config_error_set(x->err, x->file, x->line, field,
		    "%s decodes to a control byte",
		    config_quote(q, sizeof(q), s, n));
		r = -EINVAL;
	}
	return r;
}

/*
 * PATH[:DEVICE] (decoded, s[0..n)) into path and dev (256 bytes each).
 * field names the field in errors.
 */
static int
split_location(const struct ct_ctx *x, const char *field, const char *s,
    size_t n, char path[256], char dev[256])
{
	const char *colon = find_dev_colon(s, n);
	size_t pn = colon != NULL ? (size_t)(colon - s) : n;
	char q[64];

	if (pn == 0) {
		config_error_set(x->err, x->file, x->line, field,
		    "%s: no file before ':'", config_quote(q, sizeof(q), s, n));
		return -EINVAL;
	}
	if (!copy_field(path, 256, s, pn)) {
		config_error_set(x->err, x->file, x->line, field,
		    "file %s is longer than 255 bytes",
		    config_quote(q, sizeof(q), s, pn));
		return -ENAMETOOLONG;
	}
	dev[0] = '\0';
	if (colon == NULL)
		return 0;
	s = colon + 1;
	n -= pn + 1;
	if (!device_valid(s, n)) {
		config_error_set(x->err, x->file, x->line, field,
		    "device %s has no value", config_quote(q, sizeof(q), s, n));
		return -EINVAL;
	}
	if (!copy_field(dev, 256, s, n)) {
		config_error_set(x->err, x->file, x->line, field,
		    "device %s is longer than 255 bytes",
		    config_quote(q, sizeof(q), s, n));
		return -ENAMETOOLONG;
	}
	return 0;
}

static const struct {
	const char	*name;
	unsigned	 flag;
} flag_options[] = {
	{ "luks", CT_LUKS },
	{ "discard", CT_DISCARD },
	{ "allow-discards", CT_DISCARD },
	{ "readonly", CT_READONLY },
	{ "read-only", CT_READONLY },
	{ "nofail", CT_NOFAIL },
	{ "same-cpu-crypt", CT_SAME_CPU_CRYPT },
	{ "submit-from-crypt-cpus", CT_SUBMIT_FROM_CRYPT_CPUS },
	{ "no-read-workqueue", CT_NO_READ_WORKQUEUE },
	{ "no-write-workqueue", CT_NO_WRITE_WORKQUEUE },
	{ "x-initrd.attach", CT_INITRD_ATTACH },
	{ "_netdev", CT_NETDEV },
	{ "noauto", CT_NOAUTO },
};

/* Legal systemd (and Debian) options that ade-unlock does not act on. */
static const char *const ignored_options[] = {
	"plain", "bitlk", "tcrypt", "tcrypt-hidden", "tcrypt-system",
	"tcrypt-veracrypt", "veracrypt-pim", "tcrypt-keyfile", "auto",
	"verify", "swap", "tmp", "keyslot", "key-slot", "password-echo",
	"cipher", "size", "hash", "offset", "skip", "sector-size",
	"token-timeout", "headless", "try-empty-password", "keyfile-erase",
	"fixate-volume-key", "link-volume-key", "integrity", "silent",
	"check", "checkargs", "keyscript", "initramfs", "noearly", "loud",
	"quiet",
};
static const char *const ignored_prefixes[] = {
	"tpm2-", "fido2-", "pkcs11-", "x-systemd.", "x-initrd."
};

static bool
is_ignored_option(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(ignored_options) / sizeof(ignored_options[0]);
	    i++)
		if (strlen(ignored_options[i]) == n &&
		    memcmp(ignored_options[i], name, n) == 0)
			return true;
	for (i = 0; i < sizeof(ignored_prefixes) / sizeof(ignored_prefixes[0]);
	    i++)
		if (starts(name, n, ignored_prefixes[i]))
			return true;
	return false;
}

/* Parses a duration option value ("infinity" is capped like any other). */
static int
opt_seconds(const struct ct_ctx *x, const char *field, const char *v,
    size_t vn, unsigned *ret)
{
	char q[64];
	bool capped;

	if (config_parse_seconds(v, vn, CONFIG_TIMEOUT_MAX, ret, &capped) < 0) {
		config_error_set(x->err, x->file, x->line, field,
		    "%s is not a duration (e.g. 10, 10s, 1min)",
		    config_quote(q, sizeof(q), v, vn));
		return -EINVAL;
	}
	if (capped)
		config_warn(x->warn, "%s:%u: %s%s capped at %u s", x->file,
		    x->line, field + sizeof("options: ") - 1,
		    config_quote(q, sizeof(q), v, vn), CONFIG_TIMEOUT_MAX);
	return 0;
}

static int
opt_number(const struct ct_ctx *x, const char *field, const char *v,
    size_t vn, uint64_t max, uint64_t *ret)
{
	char q[64];
	int r;

	r = config_parse_u64(v, vn, max, ret);
	if (r == -ERANGE) {
		config_error_set(x->err, x->file, x->line, field,
		    "%s is out of range (max %llu)",
		    config_quote(q, sizeof(q), v, vn), (unsigned long long)max);
		return -EINVAL;
	}
	if (r < 0) {
		config_error_set(x->err, x->file, x->line, field,
		    "%s is not a decimal number",
		    config_quote(q, sizeof(q), v, vn));
		return -EINVAL;
	}
	return 0;
}

/* One option, unescaped: o[0..on). */
static int
ct_option(const struct ct_ctx *x, struct crypttab_entry *e, const char *o,
    size_t on)
{
	const char *eq = memchr(o, '=', on), *v = NULL;
	size_t kn = eq != NULL ? (size_t)(eq - o) : on, vn = 0;
	char field[64], q[80];
	uint64_t u;
	int r;

	if (eq != NULL) {
		v = eq + 1;
		vn = on - kn - 1;
	}
	snprintf(field, sizeof(field), "options: %.*s=",
	    (int)(kn < 40 ? kn : 40), o);

	if (eq == NULL) {
		for (size_t i = 0;
		    i < sizeof(flag_options) / sizeof(flag_options[0]); i++) {
			if (strlen(flag_options[i].name) != on ||
			    memcmp(flag_options[i].name, o, on) != 0)
				continue;
			e->flags |= flag_options[i].flag;
			if (flag_options[i].flag == CT_NETDEV)
				config_warn(x->warn, "%s:%u: %s: _netdev: "
				    "skipped in the initramfs", x->file,
				    x->line, e->name);
			return 0;
		}
	} else if (kn == 6 && memcmp(o, "header", 6) == 0) {
		r = split_location(x, field, v, vn, e->header, e->header_dev);
		if (r < 0)
			return r;
		if (e->header[0] != '/' || e->header[1] == '\0') {
			config_error_set(x->err, x->file, x->line, field,
			    "%s is not an absolute path",
			    config_quote(q, sizeof(q), e->header,
			    strlen(e->header)));
			return -EINVAL;
		}
		e->flags |= CT_HEADER;
		return 0;
	} else if (kn == 7 && memcmp(o, "timeout", 7) == 0) {
		return opt_seconds(x, field, v, vn, &e->prompt_timeout_s);
	} else if (kn == 24 &&
	    memcmp(o, "x-systemd.device-timeout", 24) == 0) {
		if ((r = opt_seconds(x, field, v, vn,
		    &e->device_timeout_s)) < 0)
			return r;
		e->device_timeout_set = true;
		return 0;
	} else if (kn == 15 && memcmp(o, "keyfile-timeout", 15) == 0) {
		return opt_seconds(x, field, v, vn, &e->keyfile_timeout_s);
	} else if (kn == 12 && memcmp(o, "keyfile-size", 12) == 0) {
		return opt_number(x, field, v, vn, CRYPTTAB_KEYFILE_SIZE_MAX,
		    &e->keyfile_size);
	} else if (kn == 14 && memcmp(o, "keyfile-offset", 14) == 0) {
		return opt_number(x, field, v, vn, CRYPTTAB_KEYFILE_OFFSET_MAX,
		    &e->keyfile_offset);
	} else if (kn == 5 && memcmp(o, "tries", 5) == 0) {
		if ((r = opt_number(x, field, v, vn, CRYPTTAB_TRIES_MAX,
		    &u)) < 0)
			return r;
		e->tries = (unsigned)u;
		return 0;
	}

	if (on == 0)
		config_warn(x->warn, "%s:%u: %s: empty option, ignored",
		    x->file, x->line, e->name);
	else if (is_ignored_option(o, kn))
		config_warn(x->warn, "%s:%u: %s: option %s is not used by "
		    "ade-unlock, ignored", x->file, x->line, e->name,
		    config_quote(q, sizeof(q), o, on));
	else
		config_warn(x->warn, "%s:%u: %s: unknown option %s, ignored",
		    x->file, x->line, e->name,
		    config_quote(q, sizeof(q), o, on));
	return 0;
}

/* The options field, raw: split at unescaped commas, each unescaped. */
static int
ct_options(const struct ct_ctx *x, struct crypttab_entry *e, const char *s,
    size_t n)
{
	char opt[CONFIG_LINE_MAX + 1];
	size_t i = 0;

	if ((n == 1 && s[0] == '-') || (n == 4 && memcmp(s, "none", 4) == 0))
		return 0;
	for (;;) {
		size_t o0 = i;
		int r;

		while (i < n && s[i] != ',') {
			/* An escaped byte (\, included) never splits. */
			if (s[i] == '\\' && i + 1 < n)
				i++;
			i++;
		}
		r = ct_unescape(x, "options", s + o0, i - o0, opt, sizeof(opt));
		if (r < 0)
			return r;
		if ((r = ct_option(x, e, opt, (size_t)r)) < 0)
			return r;
		if (i >= n)
			break;
		i++;	/* the comma */
	}
	return 0;
}

/*
 * One entry from its raw fields f[0..nf) (2 to 4) into e, numbered x->line.
 * Returns 0 or -errno.
 */
static int
ct_entry(const struct ct_ctx *x, const char *const *f, const size_t *fn,
    size_t nf, struct crypttab_entry *e)
{
	char q[64];
	int r;

	memset(e, 0, sizeof(*e));
	e->line = x->line;
	if ((r = ct_unescape(x, "name", f[0], fn[0], e->name,
	    sizeof(e->name))) < 0)
		return r;
	if (!config_dm_name_valid(e->name, (size_t)r)) {
		config_error_set(x->err, x->file, x->line, "name",
		    "%s is not a valid device-mapper name",
		    config_quote(q, sizeof(q), e->name, (size_t)r));
		return -EINVAL;
	}
	if ((r = ct_unescape(x, "device", f[1], fn[1], e->device,
	    sizeof(e->device))) < 0)
		return r;
	if (!device_valid(e->device, (size_t)r)) {
		config_error_set(x->err, x->file, x->line, "device",
		    "%s is neither an absolute path nor UUID=, PARTUUID=, "
		    "LABEL=, PARTLABEL=, ID= with a value",
		    config_quote(q, sizeof(q), e->device, (size_t)r));
		return -EINVAL;
	}
	if (nf >= 3) {
		char buf[CONFIG_LINE_MAX + 1];

		if ((r = ct_unescape(x, "keyfile", f[2], fn[2], buf,
		    sizeof(buf))) < 0)
			return r;
		if (strcmp(buf, "-") != 0 && strcmp(buf, "none") != 0 &&
		    (r = split_location(x, "keyfile", buf, (size_t)r,
		    e->keyfile, e->keyfile_dev)) < 0)
			return r;
	}
	if (nf == 4 && (r = ct_options(x, e, f[3], fn[3])) < 0)
		return r;
	return 0;
}

/* The option ADE's OS-disk line ends with (azure-linux-extensions). */
#define ADE_OS_HEADER_OPT	"header=/boot/luks/osluksheader"

/*
 * ADE appends its OS-disk line ("osencrypt DEV KEY luks,discard,header=
 * /boot/luks/osluksheader") without a newline, and then its data-disk line
 * right after it. Returns where the glued name starts in the raw options
 * field s[0..n): just after the last ADE_OS_HEADER_OPT that begins an option
 * and is followed by a byte other than ','; 0 if there is none.
 */
static size_t
ade_glue_at(const char *s, size_t n)
{
	const size_t hn = sizeof(ADE_OS_HEADER_OPT) - 1;
	size_t at = 0;

	for (size_t i = 0; i + hn < n; i++)
		if ((i == 0 || s[i - 1] == ',') &&
		    memcmp(s + i, ADE_OS_HEADER_OPT, hn) == 0 &&
		    s[i + hn] != ',')
			at = i + hn;
	return at;
}

/*
 * ADE's glued line, raw fields f[0..nf) (5 to 7): the first entry is fields
 * 1 to 4 with field 4 cut at glue; the second is the rest of field 4 and
 * fields 5 on. Both get the line's number. Returns 2 or -errno.
 */
static int
ct_glued(const struct ct_ctx *x, const char *const *f, const size_t *fn,
    size_t nf, size_t glue, struct crypttab_entry e[2])
{
	const size_t fn1[4] = { fn[0], fn[1], fn[2], glue };
	const char *g[4] = { f[3] + glue };
	size_t gn[4] = { fn[3] - glue };
	char q1[40], q2[40];
	int r;

	for (size_t k = 4; k < nf; k++) {
		g[k - 3] = f[k];
		gn[k - 3] = fn[k];
	}
	if ((r = ct_entry(x, f, fn1, 4, &e[0])) < 0)
		return r;
	if ((r = ct_entry(x, g, gn, nf - 3, &e[1])) < 0)
		return r;
	config_warn(x->warn, "%s:%u: two entries on one line (%s and %s): "
	    "ADE appended its osencrypt line without a newline; read as two "
	    "lines", x->file, x->line,
	    config_quote(q1, sizeof(q1), e[0].name, strlen(e[0].name)),
	    config_quote(q2, sizeof(q2), e[1].name, strlen(e[1].name)));
	return 2;
}

/* Fields of one line: 4 + ADE's glued 3, and one to see that it is more. */
#define CT_FIELDS_MAX	8

/*
 * One line (without its newline) into e[0] (and e[1]). Returns the number of
 * entries: 0 for a blank or comment line, 1, or 2 for ADE's glued line (see
 * ade_glue_at()); -errno on error.
 */
static int
ct_line(const struct ct_ctx *x, const char *s, size_t n,
    struct crypttab_entry e[2])
{
	const char *f[CT_FIELDS_MAX];
	size_t fn[CT_FIELDS_MAX], nf = 0, i = 0, glue = 0;
	int r;

	if (n > CONFIG_LINE_MAX) {
		config_error_set(x->err, x->file, x->line, "",
		    "line longer than %d bytes", CONFIG_LINE_MAX);
		return -EINVAL;
	}
	while (i < n && is_sep(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	while (i < n && nf < CT_FIELDS_MAX) {
		f[nf] = s + i;
		while (i < n && !is_sep(s[i]))
			i++;
		fn[nf] = (size_t)(s + i - f[nf]);
		nf++;
		while (i < n && is_sep(s[i]))
			i++;
	}
	if (nf < 2) {
		config_error_set(x->err, x->file, x->line, "device",
		    "only one field; expected 'name device [keyfile "
		    "[options]]'");
		return -EINVAL;
	}
	/* The glued entry is 2 to 4 fields: fields 5 to 7 at most. */
	if (nf > 4 && nf < CT_FIELDS_MAX)
		glue = ade_glue_at(f[3], fn[3]);
	if (nf > 4 && glue == 0) {
		config_error_set(x->err, x->file, x->line, "",
		    "more than 4 fields (write a blank inside a field as "
		    "\\x20)");
		return -EINVAL;
	}
	if (glue != 0)
		return ct_glued(x, f, fn, nf, glue, e);
	if ((r = ct_entry(x, f, fn, nf, &e[0])) < 0)
		return r;
	return 1;
}

/* Walks the lines of a text: start, length, 1-based number. */
struct ct_lines {
	const char	*text;
	size_t		 len, pos;
	unsigned	 line;
};

static bool
next_line(struct ct_lines *l, const char **ret_s, size_t *ret_n)
{
	const char *s, *nl;

	if (l->pos >= l->len)
		return false;
	s = l->text + l->pos;
	nl = memchr(s, '\n', l->len - l->pos);
	*ret_s = s;
	*ret_n = nl != NULL ? (size_t)(nl - s) : l->len - l->pos;
	l->pos += *ret_n + (nl != NULL);
	l->line++;
	return true;
}

/*
 * Records name, of line x->line, as entry *n of names and lines: -EINVAL if
 * it is already there, -E2BIG when the table is full.
 */
static int
ct_add_name(const struct ct_ctx *x, char names[][128], unsigned *lines,
    unsigned *n, const char *name)
{
	char q[80];

	for (unsigned i = 0; i < *n; i++) {
		if (strcmp(names[i], name) == 0) {
			config_error_set(x->err, x->file, x->line, "name",
			    "%s is already used on line %u",
			    config_quote(q, sizeof(q), name, strlen(name)),
			    lines[i]);
			return -EINVAL;
		}
	}
	if (*n == CRYPTTAB_MAX_ENTRIES) {
		config_error_set(x->err, x->file, x->line, "",
		    "more than %d entries", CRYPTTAB_MAX_ENTRIES);
		return -E2BIG;
	}
	memcpy(names[*n], name, strlen(name) + 1);
	lines[(*n)++] = x->line;
	return 0;
}

/* see crypttab.h */
int
crypttab_parse(const char *text, size_t len, const char *filename,
    struct crypttab *ret, struct config_error *err,
    struct config_warnings *warn)
{
	char names[CRYPTTAB_MAX_ENTRIES][128];
	unsigned lines[CRYPTTAB_MAX_ENTRIES];
	struct ct_ctx x = { filename != NULL ? filename : "crypttab", 0, err,
	    warn };
	struct crypttab_entry e[2];
	struct ct_lines l = { text, 0, 0, 0 };
	const char *s;
	unsigned n = 0;
	size_t sn;
	int r;

	if ((r = config_text_len(text, len, x.file, err, &l.len)) < 0)
		goto out;

	/* Pass 1: validate everything; ret is not touched. */
	while (next_line(&l, &s, &sn)) {
		int ne;

		x.line = l.line;
		if ((ne = ct_line(&x, s, sn, e)) < 0) {
			r = ne;
			goto out;
		}
		for (int k = 0; k < ne; k++)
			if ((r = ct_add_name(&x, names, lines, &n,
			    e[k].name)) < 0)
				goto out;
	}

	/* Pass 2: the same lines again, now into ret; cannot fail. */
	x.err = NULL;
	x.warn = NULL;
	l.pos = 0;
	l.line = 0;
	ret->n = 0;
	while (ret->n < n && next_line(&l, &s, &sn)) {
		x.line = l.line;
		r = ct_line(&x, s, sn, e);
		for (int k = 0; k < r && ret->n < n; k++)
			ret->e[ret->n++] = e[k];
	}
	r = 0;
out:
	return r;
}

/* see crypttab.h */
const struct crypttab_entry *
crypttab_find(const struct crypttab *t, const char *name)
{
	for (unsigned i = 0; i < t->n && i < CRYPTTAB_MAX_ENTRIES; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return &t->e[i];
	return NULL;
}

/* dev names the BEK volume: by label, or by UUID when bek_uuid is set. */
static bool
dev_is_bek(const char *dev, const char *label, const char *bek_uuid)
{
	size_t dn = strlen(dev), ln = strlen(label);

	if (starts(dev, dn, "LABEL=")) {
		const char *v = dev + 6;

		if (strcmp(v, label) == 0)
			return true;
		/* LABEL="BEK VOLUME", as fstab allows. */
		return dn - 6 == ln + 2 && v[0] == '"' && v[ln + 1] == '"' &&
		    memcmp(v + 1, label, ln) == 0;
	}
	if (starts(dev, dn, "/dev/disk/by-label/"))
		return strcmp(dev + 19, label) == 0;
	if (bek_uuid == NULL || bek_uuid[0] == '\0')
		return false;
	if (starts(dev, dn, "UUID="))
		return strcasecmp(dev + 5, bek_uuid) == 0;
	if (starts(dev, dn, "/dev/disk/by-uuid/"))
		return strcasecmp(dev + 18, bek_uuid) == 0;
	return false;
}

/* see crypttab.h */
int
crypttab_entry_bek_file(const struct crypttab_entry *e, const char *label,
    const char *bek_uuid, char *ret_file, size_t ret_len)
{
	char path[sizeof(e->keyfile)];
	const char *p;
	size_t kn, pn;

	if (label == NULL)
		label = CONF_DEFAULT_LABEL;
	kn = strnlen(e->keyfile, sizeof(e->keyfile));
	if (kn == 0 || kn == sizeof(e->keyfile))
		return 0;
	if (e->keyfile_dev[0] == '\0') {
		if (starts(e->keyfile, kn, CRYPTTAB_ADE_BEK_DIR))
			p = e->keyfile + strlen(CRYPTTAB_ADE_BEK_DIR);
		else if (starts(e->keyfile, kn, CRYPTTAB_ADE_BEK_DIR2))
			p = e->keyfile + strlen(CRYPTTAB_ADE_BEK_DIR2);
		else
			return 0;
	} else if (strnlen(e->keyfile_dev, sizeof(e->keyfile_dev)) <
	    sizeof(e->keyfile_dev) && dev_is_bek(e->keyfile_dev, label,
	    bek_uuid)) {
		p = e->keyfile;
	} else {
		return 0;
	}
	if (config_bek_path(p, kn - (size_t)(p - e->keyfile), path,
	    sizeof(path)) < 0)
		return 0;
	pn = strlen(path);
	if (pn >= ret_len)
		return -ENAMETOOLONG;
	memcpy(ret_file, path, pn + 1);
	return 1;
}
