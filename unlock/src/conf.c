/* SPDX-License-Identifier: MIT */
/* conf.c: /etc/ade-unlock.conf, config file reading, shared value parsers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

/* see conf.h */
void
config_error_set(struct config_error *err, const char *file, unsigned line,
    const char *field, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", file != NULL ? file : "");
	err->line = line;
	snprintf(err->field, sizeof(err->field), "%s",
	    field != NULL ? field : "");
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
}

/* see conf.h */
void
config_warn(struct config_warnings *warn, const char *fmt, ...)
{
	if (warn == NULL)
		return;
	if (warn->count < CONFIG_WARNINGS_MAX) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(warn->msg[warn->count], sizeof(warn->msg[0]), fmt,
		    ap);
		va_end(ap);
	}
	if (warn->count < ~0u)
		warn->count++;
}

/* How many bytes quote_byte() writes for c. */
static size_t
quoted_size(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\'' && c != '\\' ? 1 : 4;
}

/* Appends c to dst at o as itself or \xNN; returns the new offset. */
static size_t
quote_byte(char *dst, size_t o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (quoted_size(c) == 1) {
		dst[o++] = (char)c;
	} else {
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 15];
	}
	return o;
}

/* see conf.h */
char *
config_quote(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0, need = 0, head = 0, tail = 0, i;

	if (cap < 8) {
		if (cap > 0)
			dst[0] = '\0';
		return dst;
	}
	for (i = 0; i < n && need <= cap; i++)
		need += quoted_size((unsigned char)s[i]);
	if (need + 3 <= cap) {
		head = n;
	} else {
		/* Quotes, "...", NUL; the rest split between head and tail. */
		size_t budget = cap - 6, used = 0;

		while (head < n && used + quoted_size((unsigned char)s[head]) <=
		    budget / 2)
			used += quoted_size((unsigned char)s[head++]);
		while (head + tail < n && used + quoted_size((unsigned char)
		    s[n - 1 - tail]) <= budget)
			used += quoted_size((unsigned char)s[n - 1 - tail++]);
	}
	dst[o++] = '\'';
	for (i = 0; i < head; i++)
		o = quote_byte(dst, o, (unsigned char)s[i]);
	if (head < n) {
		memcpy(dst + o, "...", 3);
		o += 3;
		for (i = n - tail; i < n; i++)
			o = quote_byte(dst, o, (unsigned char)s[i]);
	}
	dst[o++] = '\'';
	dst[o] = '\0';
	return dst;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* see conf.h */
int
config_unescape(const char *s, size_t n, char *dst, size_t cap,
    const char **ret_why)
{
	static const char simple_in[] = "\\\"',abfnrtvs";
	static const char simple_out[] = "\\\"',\a\b\f\n\r\t\v ";
	const char *why = NULL;
	size_t i = 0, o = 0;
	int r;

	while (i < n) {
		unsigned v;
		const char *p;

		if (s[i] != '\\') {
			v = (unsigned char)s[i++];
		} else if (i + 1 >= n) {
			why = "backslash at the end";
			r = -EINVAL;
			goto out;
		} else if (s[i + 1] != '\0' &&
		    (p = strchr(simple_in, s[i + 1])) != NULL) {
			v = (unsigned char)simple_out[p - simple_in];
			i += 2;
		} else if (s[i + 1] == 'x') {
			int h, l;

			if (n - i < 4 || (h = hexval(s[i + 2])) < 0 ||
			    (l = hexval(s[i + 3])) < 0) {
				why = "\\x needs two hexadecimal digits";
				r = -EINVAL;
				goto out;
			}
			v = (unsigned)(h << 4 | l);
			i += 4;
		} else if (s[i + 1] >= '0' && s[i + 1] <= '3') {
			if (n - i < 4 || s[i + 2] < '0' || s[i + 2] > '7' ||
			    s[i + 3] < '0' || s[i + 3] > '7') {
				why = "octal escape needs three digits";
				r = -EINVAL;
				goto out;
			}
			v = (unsigned)((s[i + 1] - '0') << 6 |
			    (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 4;
		} else {
			why = "unknown backslash escape";
			r = -EINVAL;
			goto out;
		}
		if (v == 0) {
			why = "NUL byte";
			r = -EINVAL;
			goto out;
		}
		if (o + 1 >= cap) {
			why = "too long";
			r = -ENAMETOOLONG;
			goto out;
		}
		dst[o++] = (char)v;
	}
	if (cap == 0) {
		why = "too long";
		r = -ENAMETOOLONG;
		goto out;
	}
	dst[o] = '\0';
	r = (int)o;
out:
	if (r < 0 && ret_why != NULL)
		*ret_why = why;
	return r;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* s[0..n) equals the NUL-terminated word w, ignoring ASCII case. */
static bool
word_eq(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (w[i] == '\0' || lower((unsigned char)s[i]) != w[i])
			return false;
	return w[i] == '\0';
}

/* see conf.h */
int
config_parse_bool(const char *s, size_t n, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
	static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (word_eq(s, n, yes[i])) {
			*ret = true;
			return 0;
		}
		if (word_eq(s, n, no[i])) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* see conf.h */
int
config_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t
sat_mul(uint64_t a, uint64_t b)
{
	return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

struct time_unit {
	const char	*name;
	uint64_t	usec;
};

#define USEC_S	UINT64_C(1000000)
static const struct time_unit time_units[] = {
	{ "us", 1 }, { "usec", 1 },
	{ "ms", 1000 }, { "msec", 1000 },
	{ "s", USEC_S }, { "sec", USEC_S }, { "second", USEC_S },
	{ "seconds", USEC_S },
	{ "m", 60 * USEC_S }, { "min", 60 * USEC_S },
	{ "minute", 60 * USEC_S }, { "minutes", 60 * USEC_S },
	{ "h", 3600 * USEC_S }, { "hr", 3600 * USEC_S },
	{ "hour", 3600 * USEC_S }, { "hours", 3600 * USEC_S },
	{ "d", 86400 * USEC_S }, { "day", 86400 * USEC_S },
	{ "days", 86400 * USEC_S },
	{ "w", 604800 * USEC_S }, { "week", 604800 * USEC_S },
	{ "weeks", 604800 * USEC_S },
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* see conf.h */
int
config_parse_seconds(const char *s, size_t n, unsigned max, unsigned *ret,
    bool *ret_capped)
{
	uint64_t total = 0, secs;
	size_t i = 0;

	while (i < n && is_blank(s[i]))
		i++;
	while (n > i && is_blank(s[n - 1]))
		n--;
	if (i == n)
		return -EINVAL;
	if (n - i == 8 && memcmp(s + i, "infinity", 8) == 0) {
		total = UINT64_MAX;
		goto done;
	}
	while (i < n) {
		uint64_t ipart = 0, unit = USEC_S, frac = 0, fdiv = 1;
		size_t d0 = i, u0;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			ipart = sat_add(sat_mul(ipart, 10),
			    (uint64_t)(s[i++] - '0'));
		if (i == d0)
			return -EINVAL;
		if (i < n && s[i] == '.') {
			size_t f0 = ++i;

			while (i < n && s[i] >= '0' && s[i] <= '9') {
				/* Digits beyond microseconds are dropped. */
				if (fdiv < USEC_S) {
					frac = frac * 10 +
					    (uint64_t)(s[i] - '0');
					fdiv *= 10;
				}
				i++;
			}
			if (i == f0)
				return -EINVAL;
		}
		while (i < n && is_blank(s[i]))
			i++;
		u0 = i;
		while (i < n && ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z')))
			i++;
		if (i > u0) {
			bool found = false;

			for (size_t k = 0;
			    k < sizeof(time_units) / sizeof(time_units[0]);
			    k++) {
				if (strlen(time_units[k].name) == i - u0 &&
				    memcmp(time_units[k].name, s + u0,
				    i - u0) == 0) {
					unit = time_units[k].usec;
					found = true;
					break;
				}
			}
			if (!found)
				return -EINVAL;
		}
		total = sat_add(total, sat_mul(ipart, unit));
		/* frac < fdiv <= 1e6, unit <= 6.1e11: the product fits. */
		total = sat_add(total, (frac * unit + fdiv - 1) / fdiv);
		while (i < n && is_blank(s[i]))
			i++;
	}
done:
	secs = total / USEC_S + (total % USEC_S != 0);
	if (ret_capped != NULL)
		*ret_capped = secs > max;
	*ret = secs > max ? max : (unsigned)secs;
	return 0;
}

/* see conf.h */
bool
config_uuid_valid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (hexval(s[i]) < 0) {
			return false;
		}
	}
	return true;
}

/* see conf.h */
bool
config_dm_name_valid(const char *s, size_t n)
{
	if (n == 0 || n > 127)
		return false;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '/')
			return false;
	return true;
}

/* see conf.h */
int
config_bek_path(const char *s, size_t n, char *ret, size_t cap)
{
	size_t i = 0, c0;

	while (i < n && s[i] == '/')
		i++;
	if (i == n)
		return -EINVAL;
	if (n - i + 1 > cap)
		return -ENAMETOOLONG;
	for (c0 = i; i <= n; i++) {
		if (i < n && s[i] != '/') {
			if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
				return -EINVAL;
			continue;
		}
		/* A component ends at s[i]. */
		if (i == c0 || (i - c0 == 1 && s[c0] == '.') ||
		    (i - c0 == 2 && s[c0] == '.' && s[c0 + 1] == '.'))
			return -EINVAL;
		c0 = i + 1;
	}
	i = 0;
	while (s[i] == '/')
		i++;
	memcpy(ret, s + i, n - i);
	ret[n - i] = '\0';
	return 0;
}

/* see conf.h */
void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->label, sizeof(c->label), "%s", CONF_DEFAULT_LABEL);
	c->timeout_s = CONF_DEFAULT_TIMEOUT;
	c->device_timeout_s = CONF_DEFAULT_DEVICE_TIMEOUT;
	snprintf(c->kek_path, sizeof(c->kek_path), "%s", CONF_DEFAULT_KEK);
	c->parallel = 0;
}

/* see conf.h */
const char *
conf_key_file(const struct conf *c, const char *name)
{
	for (unsigned i = 0; i < c->n_keys && i < CONF_MAX_KEYS; i++)
		if (strcmp(c->keys[i].name, name) == 0)
			return c->keys[i].file;
	return NULL;
}

/* A label: 1 to 63 bytes, no control bytes. */
static bool
label_valid(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

/* A FAT volume id "ABCD-1234". */
static bool
fat_id_valid(const char *s, size_t n)
{
	if (n != 9 || s[4] != '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (i != 4 && hexval(s[i]) < 0)
			return false;
	return true;
}

/* see conf.h */
int
config_text_len(const char *text, size_t len, const char *file,
    struct config_error *err, size_t *ret_len)
{
	const char *z = len > 0 ? memchr(text, '\0', len) : NULL;
	size_t n = z != NULL ? (size_t)(z - text) : len;
	unsigned line = 1;

	for (size_t i = n; i < len; i++) {
		if (text[i] != '\0') {
			for (size_t j = 0; j < n; j++)
				line += text[j] == '\n';
			config_error_set(err, file, line, "",
			    "NUL byte at offset %zu (not a text file)", n);
			return -EINVAL;
		}
	}
	*ret_len = n;
	return 0;
}

/* Scalar keys, in the order of seen[] in conf_parse(). */
enum { K_LABEL, K_UUID, K_TIMEOUT, K_DEVTIMEOUT, K_KEK, K_PARALLEL, K_N };
static const char *const conf_keys[K_N] = {
	"label", "uuid", "timeout", "device-timeout", "kek", "parallel"
};

struct conf_ctx {
	const char		*file;
	unsigned		 line;
	struct config_error	*err;
	struct config_warnings	*warn;
};

/* A duration value for key (0..CONFIG_TIMEOUT_MAX, capped with a warning). */
static int
conf_seconds(const struct conf_ctx *x, const char *key, const char *v,
    size_t vn, unsigned *ret)
{
	char q[64];
	bool capped;
	int r;

	r = config_parse_seconds(v, vn, CONFIG_TIMEOUT_MAX, ret, &capped);
	if (r < 0) {
		config_error_set(x->err, x->file, x->line, key,
		    "%s is not a duration in seconds (e.g. 30, 30s, 2min)",
		    config_quote(q, sizeof(q), v, vn));
		return -EINVAL;
	}
	if (capped)
		config_warn(x->warn, "%s:%u: %s %s capped at %u s", x->file,
		    x->line, key, config_quote(q, sizeof(q), v, vn),
		    CONFIG_TIMEOUT_MAX);
	return 0;
}

/* One "key = value" assignment into c. */
static int
conf_assign(const struct conf_ctx *x, struct conf *c, unsigned *seen,
    const char *k, size_t kn, const char *v, size_t vn)
{
	char q[64];
	unsigned secs;
	uint64_t u;
	size_t id;
	int r = 0;

	if (kn >= 4 && memcmp(k, "key.", 4) == 0) {
		const char *name = k + 4;
		size_t nn = kn - 4;
		char field[64];
		unsigned i;

		snprintf(field, sizeof(field), "key.%.*s",
		    (int)(nn < 40 ? nn : 40), name);
		if (!config_dm_name_valid(name, nn)) {
			config_error_set(x->err, x->file, x->line, field,
			    "%s is not a valid crypttab name",
			    config_quote(q, sizeof(q), name, nn));
			return -EINVAL;
		}
		for (i = 0; i < c->n_keys; i++) {
			if (strlen(c->keys[i].name) == nn &&
			    memcmp(c->keys[i].name, name, nn) == 0) {
				config_error_set(x->err, x->file, x->line,
				    field, "key for %s given twice",
				    config_quote(q, sizeof(q), name, nn));
				return -EINVAL;
			}
		}
		if (c->n_keys >= CONF_MAX_KEYS) {
			config_error_set(x->err, x->file, x->line, field,
			    "more than %u key.<name> entries", CONF_MAX_KEYS);
			return -E2BIG;
		}
		r = config_bek_path(v, vn, c->keys[c->n_keys].file,
		    sizeof(c->keys[0].file));
		if (r == -ENAMETOOLONG) {
			config_error_set(x->err, x->file, x->line, field,
			    "%s is too long (max %zu bytes)",
			    config_quote(q, sizeof(q), v, vn),
			    sizeof(c->keys[0].file) - 1);
			return r;
		}
		if (r < 0) {
			config_error_set(x->err, x->file, x->line, field,
			    "%s is not a file path on the BEK volume",
			    config_quote(q, sizeof(q), v, vn));
			return r;
		}
		memcpy(c->keys[c->n_keys].name, name, nn);
		c->keys[c->n_keys].name[nn] = '\0';
		c->n_keys++;
		return 0;
	}

	for (id = 0; id < K_N; id++)
		if (strlen(conf_keys[id]) == kn &&
		    memcmp(conf_keys[id], k, kn) == 0)
			break;
	if (id == K_N) {
		config_warn(x->warn, "%s:%u: unknown key %s, ignored", x->file,
		    x->line, config_quote(q, sizeof(q), k, kn));
		return 0;
	}
	if (seen[id] != 0)
		config_warn(x->warn, "%s:%u: %s also set on line %u; line %u "
		    "wins", x->file, x->line, conf_keys[id], seen[id], x->line);
	seen[id] = x->line;

	switch (id) {
	case K_LABEL:
		if (vn >= sizeof(c->label)) {
			config_error_set(x->err, x->file, x->line, "label",
			    "%s is too long (max %zu bytes)",
			    config_quote(q, sizeof(q), v, vn),
			    sizeof(c->label) - 1);
			return -ENAMETOOLONG;
		}
		if (!label_valid(v, vn)) {
			config_error_set(x->err, x->file, x->line, "label",
			    "%s is not a volume label",
			    config_quote(q, sizeof(q), v, vn));
			return -EINVAL;
		}
		memcpy(c->label, v, vn);
		c->label[vn] = '\0';
		break;
	case K_UUID:
		if (vn == 0) {
			c->bek_uuid[0] = '\0';
			break;
		}
		if (!config_uuid_valid(v, vn) && !fat_id_valid(v, vn)) {
			config_error_set(x->err, x->file, x->line, "uuid",
			    "%s is neither a FAT volume id (ABCD-1234) nor a "
			    "UUID", config_quote(q, sizeof(q), v, vn));
			return -EINVAL;
		}
		/* As blkid prints them: FAT ids upper case, UUIDs lower. */
		for (size_t i = 0; i < vn; i++) {
			int ch = lower((unsigned char)v[i]);

			if (vn == 9 && ch >= 'a' && ch <= 'f')
				ch = ch - 'a' + 'A';
			c->bek_uuid[i] = (char)ch;
		}
		c->bek_uuid[vn] = '\0';
		break;
	case K_TIMEOUT:
		if ((r = conf_seconds(x, "timeout", v, vn, &secs)) < 0)
			return r;
		c->timeout_s = (int)secs;
		break;
	case K_DEVTIMEOUT:
		if ((r = conf_seconds(x, "device-timeout", v, vn, &secs)) < 0)
			return r;
		c->device_timeout_s = secs;
		break;
	case K_KEK:
		if (vn >= sizeof(c->kek_path)) {
			config_error_set(x->err, x->file, x->line, "kek",
			    "%s is too long (max %zu bytes)",
			    config_quote(q, sizeof(q), v, vn),
			    sizeof(c->kek_path) - 1);
			return -ENAMETOOLONG;
		}
		if (vn < 2 || v[0] != '/' || v[vn - 1] == '/' ||
		    memchr(v, '\n', vn) != NULL) {
			config_error_set(x->err, x->file, x->line, "kek",
			    "%s is not an absolute file path",
			    config_quote(q, sizeof(q), v, vn));
			return -EINVAL;
		}
		for (size_t i = 0; i < vn; i++) {
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
				config_error_set(x->err, x->file, x->line,
				    "kek", "%s holds a control byte",
				    config_quote(q, sizeof(q), v, vn));
				return -EINVAL;
			}
		}
		memcpy(c->kek_path, v, vn);
		c->kek_path[vn] = '\0';
		break;
	case K_PARALLEL:
		if (config_parse_u64(v, vn, CONF_MAX_PARALLEL, &u) < 0) {
			config_error_set(x->err, x->file, x->line, "parallel",
			    "%s is not a number from 0 (auto) to %u",
			    config_quote(q, sizeof(q), v, vn),
			    CONF_MAX_PARALLEL);
			return -EINVAL;
		}
		c->parallel = (unsigned)u;
		break;
	default:
		break;
	}
	return 0;
}

/* One line (no newline) of the conf file. */
static int
conf_line(const struct conf_ctx *x, struct conf *c, unsigned *seen,
    const char *s, size_t n)
{
	const char *eq, *k, *v;
	size_t kn, vn;
	char q[64];

	while (n > 0 && (is_blank(*s) || *s == '\r'))
		s++, n--;
	while (n > 0 && (is_blank(s[n - 1]) || s[n - 1] == '\r'))
		n--;
	if (n == 0 || s[0] == '#')
		return 0;
	eq = memchr(s, '=', n);
	if (eq == NULL) {
		config_error_set(x->err, x->file, x->line, "",
		    "expected 'key = value', got %s",
		    config_quote(q, sizeof(q), s, n));
		return -EINVAL;
	}
	k = s;
	kn = (size_t)(eq - s);
	while (kn > 0 && is_blank(k[kn - 1]))
		kn--;
	v = eq + 1;
	vn = n - (size_t)(v - s);
	while (vn > 0 && is_blank(*v))
		v++, vn--;
	if (kn == 0) {
		config_error_set(x->err, x->file, x->line, "",
		    "no key before '='");
		return -EINVAL;
	}
	for (size_t i = 0; i < kn; i++) {
		if ((unsigned char)k[i] <= ' ' || k[i] == 0x7f) {
			config_error_set(x->err, x->file, x->line, "",
			    "key %s holds blanks or control bytes",
			    config_quote(q, sizeof(q), k, kn));
			return -EINVAL;
		}
	}
	if (vn > 0 && v[0] == '"') {
		if (vn < 2 || v[vn - 1] != '"') {
			config_error_set(x->err, x->file, x->line, "",
			    "unterminated quote in the value of %s",
			    config_quote(q, sizeof(q), k, kn));
			return -EINVAL;
		}
		v++;
		vn -= 2;
	}
	for (size_t i = 0; i < vn; i++) {
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t') {
			config_error_set(x->err, x->file, x->line, "",
			    "the value of %s holds a control byte",
			    config_quote(q, sizeof(q), k, kn));
			return -EINVAL;
		}
	}
	return conf_assign(x, c, seen, k, kn, v, vn);
}

/* see conf.h */
int
conf_parse(const char *text, size_t len, const char *filename,
    struct conf *ret, struct config_error *err, struct config_warnings *warn)
{
	struct conf_ctx x = { filename != NULL ? filename : "ade-unlock.conf",
	    0, err, warn };
	unsigned seen[K_N] = { 0 };
	struct conf tmp;	/* ~50 KB: ret is written on success only */
	size_t n, pos = 0;
	int r = 0;

	conf_init(&tmp);
	if ((r = config_text_len(text, len, x.file, err, &n)) < 0)
		goto out;
	while (pos < n) {
		const char *s = text + pos, *nl = memchr(s, '\n', n - pos);
		size_t ln = nl != NULL ? (size_t)(nl - s) : n - pos;

		x.line++;
		if (ln > CONFIG_LINE_MAX) {
			config_error_set(err, x.file, x.line, "",
			    "line longer than %d bytes", CONFIG_LINE_MAX);
			r = -EINVAL;
			goto out;
		}
		if ((r = conf_line(&x, &tmp, seen, s, ln)) < 0)
			goto out;
		pos += ln + (nl != NULL);
	}
	memcpy(ret, &tmp, sizeof(tmp));
	r = 0;
out:
	return r;
}

/* see conf.h */
int
conf_read_file(const char *path, char *buf, size_t cap, size_t *ret_len)
{
	struct stat st;
	size_t total = 0;
	int fd = -1, r;

	if (cap == 0)
		return -EINVAL;
	buf[0] = '\0';
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > cap - 1) {
		r = -EFBIG;
		goto out;
	}
	/* Until EOF: /proc files report size 0, and files may grow. */
	for (;;) {
		char probe;
		ssize_t k;

		if (total < cap - 1)
			k = read(fd, buf + total, cap - 1 - total);
		else
			k = read(fd, &probe, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			goto out;
		}
		if (k == 0)
			break;
		if (total == cap - 1) {
			r = -EFBIG;
			goto out;
		}
		total += (size_t)k;
	}
	buf[total] = '\0';
	*ret_len = total;
	r = 0;
out:
	if (r < 0)
		buf[0] = '\0';
	if (fd >= 0)
		close(fd);
	return r;
}
