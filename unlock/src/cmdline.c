/* SPDX-License-Identifier: MIT */
/* cmdline.c: parses the kernel command line options of DESIGN 3.1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

/* see cmdline.h */
void
cmdline_init(struct cmdline *c)
{
	memset(c, 0, sizeof(*c));
	c->timeout_s = -1;
}

/* The kernel's isspace(). */
static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' ||
	    ch == '\f' || ch == '\r';
}

/*
 * Takes the word starting at or after *pos: quotes removed, at most cap - 1
 * bytes kept in w (NUL-terminated); *ret_over says more did not fit.
 * Returns false when no word is left.
 */
static bool
next_word(const char *s, size_t n, size_t *pos, char *w, size_t cap,
    size_t *ret_wn, bool *ret_over)
{
	size_t i = *pos, o = 0;
	bool quoted = false, over = false;

	while (i < n && is_space(s[i]))
		i++;
	if (i == n) {
		*pos = i;
		return false;
	}
	for (; i < n && (quoted || !is_space(s[i])); i++) {
		if (s[i] == '"') {
			quoted = !quoted;
			continue;
		}
		if (o + 1 < cap)
			w[o++] = s[i];
		else
			over = true;
	}
	w[o] = '\0';
	*pos = i;
	*ret_wn = o;
	*ret_over = over;
	return true;
}

static char
lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static char
upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
}

static bool
is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	    (ch >= 'A' && ch <= 'F');
}

/* An MBR PARTUUID: the disk signature and the partition number in hex. */
static bool
mbr_partuuid_valid(const char *s, size_t n)
{
	if (n != 11 || s[8] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != 8 && !is_hex(s[i]))
			return false;
	return true;
}

/* A FAT volume id, ABCD-1234. */
static bool
fat_id_valid(const char *s, size_t n)
{
	if (n != 9 || s[4] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != 4 && !is_hex(s[i]))
			return false;
	return true;
}

/* Copies n bytes (n < 40) to dst in lowercase. */
static void
copy_lower(char dst[40], const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = lower(s[i]);
	dst[n] = '\0';
}

/* Drops a "luks-" prefix, as systemd and dracut do for rd.luks.uuid=. */
static void
strip_luks(const char **s, size_t *n)
{
	if (*n >= 5 && memcmp(*s, "luks-", 5) == 0) {
		*s += 5;
		*n -= 5;
	}
}

struct opt_ctx {
	struct cmdline		*c;
	struct config_error	*err;
	struct config_warnings	*warn;
	const char		*key;	/* the option, for messages */
	const char		*v;	/* its value, NULL when bare */
	size_t			 vn;
};

static int
bad_value(const struct opt_ctx *x, int r, const char *what)
{
	char q[80];

	config_error_set(x->err, "", 0, x->key, "%s: %s=%s", what, x->key,
	    config_quote(q, sizeof(q), x->v != NULL ? x->v : "",
	    x->v != NULL ? x->vn : 0));
	return r;
}

static int
need_value(const struct opt_ctx *x)
{
	if (x->v == NULL || x->vn == 0) {
		config_error_set(x->err, "", 0, x->key, "%s needs a value",
		    x->key);
		return -EINVAL;
	}
	return 0;
}

/* rd.ade, rd.luks, rd.ade.debug: bare = true. */
static int
opt_bool(const struct opt_ctx *x, bool *ret)
{
	if (x->v == NULL) {
		*ret = true;
		return 0;
	}
	if (config_parse_bool(x->v, x->vn, ret) < 0)
		return bad_value(x, -EINVAL,
		    "not a boolean (1/0, yes/no, on/off)");
	return 0;
}

static int
opt_timeout(const struct opt_ctx *x)
{
	unsigned secs;
	bool capped;
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	if (config_parse_seconds(x->v, x->vn, CONFIG_TIMEOUT_MAX, &secs,
	    &capped) < 0)
		return bad_value(x, -EINVAL,
		    "not a duration in seconds (e.g. 30, 30s, 2min)");
	if (capped) {
		char q[64];

		config_warn(x->warn,
		    "kernel command line: %s=%s capped at %u s",
		    x->key, config_quote(q, sizeof(q), x->v, x->vn),
		    CONFIG_TIMEOUT_MAX);
	}
	x->c->timeout_s = (int)secs;
	return 0;
}

static int
opt_label(const struct opt_ctx *x)
{
	char label[sizeof(x->c->label)];
	const char *why = NULL;
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	r = config_unescape(x->v, x->vn, label, sizeof(label), &why);
	if (r == -ENAMETOOLONG)
		return bad_value(x, r, "label too long (max 63 bytes)");
	if (r < 0)
		return bad_value(x, r, why);
	for (int i = 0; i < r; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f)
			return bad_value(x, -EINVAL, "control byte in label");
	if (r == 0)
		return bad_value(x, -EINVAL, "empty label");
	memcpy(x->c->label, label, (size_t)r + 1);
	x->c->label_set = true;
	return 0;
}

/* A LUKS UUID value into dst (lowercase, "luks-" stripped). */
static int
parse_luks_uuid(const struct opt_ctx *x, const char *s, size_t n,
    char dst[40])
{
	strip_luks(&s, &n);
	if (!config_uuid_valid(s, n))
		return bad_value(x, -EINVAL,
		    "not a UUID (8-4-4-4-12 hexadecimal digits)");
	copy_lower(dst, s, n);
	return 0;
}

static int
opt_uuid(const struct opt_ctx *x)
{
	struct cmdline *c = x->c;
	char uuid[40];
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	if ((r = parse_luks_uuid(x, x->v, x->vn, uuid)) < 0)
		return r;
	for (unsigned i = 0; i < c->n_uuids; i++)
		if (strcmp(c->uuids[i], uuid) == 0)
			return 0;
	if (c->n_uuids >= CMDLINE_MAX_UUIDS)
		return bad_value(x, -E2BIG, "too many rd.luks.uuid= (max 64)");
	memcpy(c->uuids[c->n_uuids++], uuid, sizeof(uuid));
	return 0;
}

static int
opt_name(const struct opt_ctx *x)
{
	struct cmdline *c = x->c;
	const char *eq, *name;
	char uuid[40];
	size_t nn;
	unsigned i;
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	eq = memchr(x->v, '=', x->vn);
	if (eq == NULL)
		return bad_value(x, -EINVAL, "expected UUID=NAME");
	if ((r = parse_luks_uuid(x, x->v, (size_t)(eq - x->v), uuid)) < 0)
		return r;
	name = eq + 1;
	nn = x->vn - (size_t)(name - x->v);
	if (nn >= sizeof(c->names[0].name))
		return bad_value(x, -ENAMETOOLONG, "name too long (max 127)");
	if (!config_dm_name_valid(name, nn))
		return bad_value(x, -EINVAL, "not a valid device-mapper name");
	for (i = 0; i < c->n_names; i++)
		if (strcmp(c->names[i].uuid, uuid) == 0)
			break;
	if (i == c->n_names) {
		if (c->n_names >= CMDLINE_MAX_UUIDS)
			return bad_value(x, -E2BIG,
			    "too many rd.luks.name= (max 64)");
		c->n_names++;
	}
	memcpy(c->names[i].uuid, uuid, sizeof(uuid));
	memcpy(c->names[i].name, name, nn);
	c->names[i].name[nn] = '\0';
	return 0;
}

static int
opt_partuuid(const struct opt_ctx *x)
{
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	if (!config_uuid_valid(x->v, x->vn) &&
	    !mbr_partuuid_valid(x->v, x->vn))
		return bad_value(x, -EINVAL,
		    "not a PARTUUID (GPT UUID or MBR 1234abcd-01)");
	copy_lower(x->c->ade_partuuid, x->v, x->vn);
	return 0;
}

static int
opt_bootuuid(const struct opt_ctx *x)
{
	char *d = x->c->ade_bootuuid;
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	if (config_uuid_valid(x->v, x->vn)) {
		copy_lower(d, x->v, x->vn);
	} else if (fat_id_valid(x->v, x->vn)) {
		for (size_t i = 0; i < x->vn; i++)
			d[i] = upper(x->v[i]);
		d[x->vn] = '\0';
	} else {
		return bad_value(x, -EINVAL,
		    "not a filesystem UUID (or FAT id ABCD-1234)");
	}
	return 0;
}

static int
opt_ade(const struct opt_ctx *x)
{
	bool on;
	int r;

	if ((r = opt_bool(x, &on)) < 0)
		return r;
	x->c->disabled = !on;
	return 0;
}

static int
opt_luks(const struct opt_ctx *x)
{
	bool on;
	int r;

	if ((r = opt_bool(x, &on)) < 0)
		return r;
	x->c->luks_disabled = !on;
	return 0;
}

static int
opt_debug(const struct opt_ctx *x)
{
	return opt_bool(x, &x->c->debug);
}

static const struct {
	const char	*key;
	int		(*parse)(const struct opt_ctx *);
} options[] = {
	{ "rd.ade", opt_ade },
	{ "rd.ade.timeout", opt_timeout },
	{ "rd.ade.label", opt_label },
	{ "rd.ade.debug", opt_debug },
	{ "rd.luks", opt_luks },
	{ "rd.luks.uuid", opt_uuid },
	{ "rd.luks.name", opt_name },
	{ "rd.luks.ade.partuuid", opt_partuuid },
	{ "rd.luks.ade.bootuuid", opt_bootuuid },
};

/* One word "key[=value]". */
static int
cmdline_word(struct cmdline *c, const char *w, size_t wn, bool over,
    struct config_error *err, struct config_warnings *warn)
{
	const char *eq = memchr(w, '=', wn);
	size_t kn = eq != NULL ? (size_t)(eq - w) : wn;
	struct opt_ctx x = { c, err, warn, NULL, NULL, 0 };

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (strlen(options[i].key) != kn ||
		    memcmp(options[i].key, w, kn) != 0)
			continue;
		x.key = options[i].key;
		if (over) {
			config_error_set(err, "", 0, x.key,
			    "the value of %s is too long", x.key);
			return -ENAMETOOLONG;
		}
		if (eq != NULL) {
			x.v = eq + 1;
			x.vn = wn - kn - 1;
		}
		return options[i].parse(&x);
	}
	if ((kn > 7 && memcmp(w, "rd.ade.", 7) == 0) ||
	    (kn > 12 && memcmp(w, "rd.luks.ade.", 12) == 0)) {
		char q[80];

		config_warn(warn, "kernel command line: unknown option %s, "
		    "ignored", config_quote(q, sizeof(q), w, kn));
	}
	return 0;
}

/* see cmdline.h */
int
cmdline_parse(const char *text, size_t len, struct cmdline *ret,
    struct config_error *err, struct config_warnings *warn)
{
	struct cmdline tmp;
	char w[CMDLINE_WORD_MAX];
	const char *z = len > 0 ? memchr(text, '\0', len) : NULL;
	size_t n = z != NULL ? (size_t)(z - text) : len, pos = 0, wn;
	bool over;
	int r = 0;

	cmdline_init(&tmp);
	while (next_word(text, n, &pos, w, sizeof(w), &wn, &over)) {
		if ((r = cmdline_word(&tmp, w, wn, over, err, warn)) < 0)
			goto out;
	}
	memcpy(ret, &tmp, sizeof(tmp));
	r = 0;
out:
	return r;
}

/* see cmdline.h */
void
cmdline_apply(const struct cmdline *c, struct conf *conf)
{
	if (c->label_set)
		memcpy(conf->label, c->label, sizeof(conf->label));
	if (c->timeout_s >= 0)
		conf->timeout_s = c->timeout_s;
}

/* uuid without "luks-", lowercased into buf; false if not a UUID. */
static bool
norm_uuid(const char *uuid, char buf[40])
{
	size_t n = strnlen(uuid, 64);

	strip_luks(&uuid, &n);
	if (!config_uuid_valid(uuid, n))
		return false;
	copy_lower(buf, uuid, n);
	return true;
}

/* see cmdline.h */
bool
cmdline_uuid_allowed(const struct cmdline *c, const char *uuid)
{
	char u[40];

	if (c->luks_disabled)
		return false;
	if (c->n_uuids == 0 && c->n_names == 0)
		return true;
	if (uuid == NULL || !norm_uuid(uuid, u))
		return false;
	for (unsigned i = 0; i < c->n_uuids && i < CMDLINE_MAX_UUIDS; i++)
		if (strcmp(c->uuids[i], u) == 0)
			return true;
	return cmdline_uuid_name(c, u) != NULL;
}

/* see cmdline.h */
const char *
cmdline_uuid_name(const struct cmdline *c, const char *uuid)
{
	char u[40];

	if (uuid == NULL || !norm_uuid(uuid, u))
		return NULL;
	for (unsigned i = 0; i < c->n_names && i < CMDLINE_MAX_UUIDS; i++)
		if (strcmp(c->names[i].uuid, u) == 0)
			return c->names[i].name;
	return NULL;
}
