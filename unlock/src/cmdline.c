/* SPDX-License-Identifier: MIT */
/* cmdline.c: parses the kernel command line options of DESIGN 3.1. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmdline.h"

_Static_assert(CMDLINE_WORD_MAX == 4096, "cmdline_word() says 4095 bytes");

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

/* What is only known once the whole line is read (dracut's precedence). */
struct parse_state {
	bool	ade_set;		/* a well-formed rd.ade word seen */
	bool	ade_on;			/* ... the last one's value */
	bool	no_ade;			/* rd_NO_ADE: the last one counts */
	char	old_partuuid[40];	/* rd_LUKS_PARTUUID= */
	char	old_bootuuid[40];	/* rd_LUKS_BOOTUUID= */
	bool	uuids_full;		/* warned once about the 65th */
	bool	names_full;
};

struct opt_ctx {
	struct cmdline		*c;
	struct parse_state	*st;
	struct config_warnings	*warn;
	const char		*key;	/* the option, for messages */
	const char		*v;	/* its value, NULL when bare */
	size_t			 vn;
};

/*
 * The warning for a word of ours that is ignored; returns r so that a
 * parser can say "return bad_value(...)" before it writes anything.
 */
static int
bad_value(const struct opt_ctx *x, int r, const char *what)
{
	if (x->v == NULL) {
		config_warn(x->warn, "kernel command line: %s: %s; ignored",
		    x->key, what);
	} else {
		char q[80];

		config_warn(x->warn, "kernel command line: %s=%s: %s; ignored",
		    x->key, config_quote(q, sizeof(q), x->v, x->vn), what);
	}
	return r;
}

static int
need_value(const struct opt_ctx *x)
{
	if (x->v == NULL || x->vn == 0)
		return bad_value(x, -EINVAL, "needs a value");
	return 0;
}

/* rd.ade, rd.luks, rd.ade.debug, rd.ade.unlock: bare = true. */
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
		return bad_value(x, r, why != NULL ? why : "bad escape");
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

/*
 * rd.luks.uuid=: a malformed value is ignored as if not written (cmdline.h),
 * so it does not turn the filter on. systemd's cryptsetup-generator
 * (src/cryptsetup/cryptsetup-generator.c, parse_proc_cmdline_item()) does
 * not check luks.uuid= at all: any value, "luks-" stripped, goes into its
 * table and turns its allow-list on, so a lone malformed one lets nothing
 * from crypttab through and names a device that never appears. It does log
 * and ignore a luks.name= that sscanf("%m[0-9a-fA-F-]=%ms") cannot split
 * ("Failed to parse luks name switch %s. Ignoring."), and a luks.key= whose
 * UUID is invalid, as here. ade-unlock warns and opens what it would open
 * without the word, rather than nothing.
 */
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
	if (c->n_uuids >= CMDLINE_MAX_UUIDS) {
		if (!x->st->uuids_full)
			config_warn(x->warn, "kernel command line: more than "
			    "%u rd.luks.uuid= values, the rest ignored",
			    CMDLINE_MAX_UUIDS);
		x->st->uuids_full = true;
		return -E2BIG;
	}
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
		if (c->n_names >= CMDLINE_MAX_UUIDS) {
			if (!x->st->names_full)
				config_warn(x->warn, "kernel command line: "
				    "more than %u rd.luks.name= UUIDs, the "
				    "rest ignored", CMDLINE_MAX_UUIDS);
			x->st->names_full = true;
			return -E2BIG;
		}
		c->n_names++;
	}
	memcpy(c->names[i].uuid, uuid, sizeof(uuid));
	memcpy(c->names[i].name, name, nn);
	c->names[i].name[nn] = '\0';
	return 0;
}

/* rd.luks.ade.partuuid= and rd_LUKS_PARTUUID= into dst. */
static int
parse_partuuid(const struct opt_ctx *x, char dst[40])
{
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	if (!config_uuid_valid(x->v, x->vn) &&
	    !mbr_partuuid_valid(x->v, x->vn))
		return bad_value(x, -EINVAL,
		    "not a PARTUUID (GPT UUID or MBR 1234abcd-01)");
	copy_lower(dst, x->v, x->vn);
	return 0;
}

/* rd.luks.ade.bootuuid= and rd_LUKS_BOOTUUID= into dst. */
static int
parse_bootuuid(const struct opt_ctx *x, char dst[40])
{
	int r;

	if ((r = need_value(x)) < 0)
		return r;
	if (config_uuid_valid(x->v, x->vn)) {
		copy_lower(dst, x->v, x->vn);
	} else if (fat_id_valid(x->v, x->vn)) {
		for (size_t i = 0; i < x->vn; i++)
			dst[i] = upper(x->v[i]);
		dst[x->vn] = '\0';
	} else {
		return bad_value(x, -EINVAL,
		    "not a filesystem UUID (or FAT id ABCD-1234)");
	}
	return 0;
}

static int
opt_partuuid(const struct opt_ctx *x)
{
	return parse_partuuid(x, x->c->ade_partuuid);
}

static int
opt_bootuuid(const struct opt_ctx *x)
{
	return parse_bootuuid(x, x->c->ade_bootuuid);
}

static int
opt_old_partuuid(const struct opt_ctx *x)
{
	return parse_partuuid(x, x->st->old_partuuid);
}

static int
opt_old_bootuuid(const struct opt_ctx *x)
{
	return parse_bootuuid(x, x->st->old_bootuuid);
}

static int
opt_ade(const struct opt_ctx *x)
{
	bool on;
	int r;

	if ((r = opt_bool(x, &on)) < 0)
		return r;
	x->st->ade_set = true;
	x->st->ade_on = on;
	return 0;
}

/*
 * rd_NO_ADE: dracut's "getarg -n" is true when _dogetarg finds the name,
 * bare or with a non-empty value (the value itself is not looked at); the
 * last occurrence decides, and "rd_NO_ADE=" is not found.
 */
static int
opt_no_ade(const struct opt_ctx *x)
{
	x->st->no_ade = x->v == NULL || x->vn > 0;
	return 0;
}

static int
opt_unlock(const struct opt_ctx *x)
{
	bool on;
	int r;

	if ((r = opt_bool(x, &on)) < 0)
		return r;
	x->c->unlock_disabled = !on;
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
	{ "rd.ade.unlock", opt_unlock },
	{ "rd.ade.timeout", opt_timeout },
	{ "rd.ade.label", opt_label },
	{ "rd.ade.debug", opt_debug },
	{ "rd.luks", opt_luks },
	{ "rd.luks.uuid", opt_uuid },
	{ "rd.luks.name", opt_name },
	{ "rd.luks.ade.partuuid", opt_partuuid },
	{ "rd.luks.ade.bootuuid", opt_bootuuid },
	/* ADE's deprecated spellings (cmdline.h). */
	{ "rd_NO_ADE", opt_no_ade },
	{ "rd_LUKS_PARTUUID", opt_old_partuuid },
	{ "rd_LUKS_BOOTUUID", opt_old_bootuuid },
};

/*
 * One word "key[=value]". A parser's negative return means the word was
 * ignored; it has added the warning saying why.
 */
static void
cmdline_word(struct cmdline *c, struct parse_state *st, const char *w,
    size_t wn, bool over, struct config_warnings *warn)
{
	const char *eq = memchr(w, '=', wn);
	size_t kn = eq != NULL ? (size_t)(eq - w) : wn;
	struct opt_ctx x = { c, st, warn, NULL, NULL, 0 };

	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		if (strlen(options[i].key) != kn ||
		    memcmp(options[i].key, w, kn) != 0)
			continue;
		x.key = options[i].key;
		if (eq != NULL) {
			x.v = eq + 1;
			x.vn = wn - kn - 1;
		}
		if (over) {
			(void)bad_value(&x, -ENAMETOOLONG, "too long (the "
			    "word is over 4095 bytes)");
			return;
		}
		(void)options[i].parse(&x);
		return;
	}
	if ((kn > 7 && memcmp(w, "rd.ade.", 7) == 0) ||
	    (kn > 12 && memcmp(w, "rd.luks.ade.", 12) == 0)) {
		char q[80];

		config_warn(warn, "kernel command line: unknown option %s, "
		    "ignored", config_quote(q, sizeof(q), w, kn));
	}
}

/* see cmdline.h */
int
cmdline_parse(const char *text, size_t len, struct cmdline *ret,
    struct config_error *err, struct config_warnings *warn)
{
	struct cmdline tmp;
	struct parse_state st;
	char w[CMDLINE_WORD_MAX];
	const char *z = len > 0 ? memchr(text, '\0', len) : NULL;
	size_t n = z != NULL ? (size_t)(z - text) : len, pos = 0, wn;
	bool over;

	(void)err;	/* nothing can fail today */
	cmdline_init(&tmp);
	memset(&st, 0, sizeof(st));
	while (next_word(text, n, &pos, w, sizeof(w), &wn, &over))
		cmdline_word(&tmp, &st, w, wn, over, warn);
	/* dracut's getarg order: the new spelling first, the old if absent. */
	if (st.ade_set) {
		tmp.disabled = !st.ade_on;
		tmp.disabled_by = tmp.disabled ? "rd.ade=0" : NULL;
	} else if (st.no_ade) {
		tmp.disabled = true;
		tmp.disabled_by = "rd_NO_ADE";
	}
	if (tmp.ade_partuuid[0] == '\0')
		memcpy(tmp.ade_partuuid, st.old_partuuid,
		    sizeof(tmp.ade_partuuid));
	if (tmp.ade_bootuuid[0] == '\0')
		memcpy(tmp.ade_bootuuid, st.old_bootuuid,
		    sizeof(tmp.ade_bootuuid));
	memcpy(ret, &tmp, sizeof(tmp));
	return 0;
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

/* Why conf_read_file() refused a file, for a warning. */
static const char *
read_error(int r)
{
	switch (r) {
	case -ELOOP:
		return "a symbolic link (only regular files are read)";
	case -EISDIR:
		return "a directory";
	case -EINVAL:
		return "not a regular file";
	default:
		return strerror(-r);
	}
}

/* The pieces of cmdline_read_all(): proc's text sits at buf[end..cap-1). */
struct gather {
	char			*buf;
	size_t			 cap;
	size_t			 off;	/* the text of the files so far */
	size_t			 end;	/* where proc's text starts */
	bool			 full;	/* one did not fit: the rest ignored */
	struct config_warnings	*warn;
};

/*
 * Appends the file path (if it exists) to g, followed by a space: newlines
 * as spaces, an odd double quote closed.
 */
static void
gather_file(struct gather *g, const char *path)
{
	char *p = g->buf + g->off, none[1];
	size_t n = 0, quotes = 0;
	int r;

	if (g->full)
		return;
	/*
	 * Room for the text, its NUL, then a closing quote and a space; with
	 * no room left, a missing or empty file is still fine.
	 */
	if (g->end - g->off < 3)
		p = none;
	r = conf_read_file(path, p, p == none ? sizeof(none) :
	    g->end - g->off - 1, &n);
	if (r == -ENOENT)
		return;
	if (r == 0 && config_text_len(p, n, path, NULL, &n) < 0) {
		config_warn(g->warn, "%s: NUL byte inside, not a text file; "
		    "ignored", path);
		return;
	}
	if (r == -EFBIG) {
		config_warn(g->warn, "%s: the kernel command line would be "
		    "over %zu bytes; this file and those after it ignored",
		    path, g->cap - 1);
		g->full = true;
		return;
	}
	if (r < 0) {
		config_warn(g->warn, "%s: not read: %s; ignored", path,
		    read_error(r));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			p[i] = ' ';
		else if (p[i] == '"')
			quotes++;
	}
	if (n == 0)
		return;
	if (quotes % 2 != 0) {
		config_warn(g->warn, "%s: unterminated double quote, closed "
		    "at the end of the file", path);
		p[n++] = '"';
	}
	p[n++] = ' ';
	g->off += n;
}

/* A name the shell glob "*.conf" matches (no leading dot). */
static bool
conf_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

/*
 * The "*.conf" files of dir, in strcmp order, without a list: each round
 * takes the least name greater than the one before (a handful of files).
 */
static void
gather_dir(struct gather *g, const char *dir)
{
	char prev[NAME_MAX + 1] = "", best[NAME_MAX + 1], path[PATH_MAX];
	unsigned count = 0;
	DIR *d = opendir(dir);

	if (d == NULL) {
		if (errno != ENOENT)
			config_warn(g->warn, "%s: cannot read the directory: "
			    "%s; ignored", dir, strerror(errno));
		return;
	}
	for (;;) {
		const struct dirent *e;
		bool found = false;

		rewinddir(d);
		while ((e = readdir(d)) != NULL) {
			if (!conf_name(e->d_name) ||
			    strlen(e->d_name) > NAME_MAX ||
			    (count > 0 && strcmp(e->d_name, prev) <= 0) ||
			    (found && strcmp(e->d_name, best) >= 0))
				continue;
			memcpy(best, e->d_name, strlen(e->d_name) + 1);
			found = true;
		}
		if (!found)
			break;
		if (count == CMDLINE_DIR_MAX_FILES) {
			config_warn(g->warn, "%s: more than %u *.conf files, "
			    "the rest ignored", dir, CMDLINE_DIR_MAX_FILES);
			break;
		}
		count++;
		memcpy(prev, best, sizeof(prev));
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, best) >=
		    sizeof(path)) {
			config_warn(g->warn, "%s: file name too long; ignored",
			    dir);
			continue;
		}
		gather_file(g, path);
	}
	closedir(d);
}

/* see cmdline.h */
int
cmdline_read_all(const char *dir, const char *etc_cmdline,
    const char *proc_cmdline, char *buf, size_t cap, size_t *ret_len,
    struct config_warnings *warn)
{
	struct gather g = { buf, cap, 0, 0, false, warn };
	size_t pn;
	int r;

	if (cap == 0)
		return -EINVAL;
	if ((r = conf_read_file(proc_cmdline, buf, cap, &pn)) < 0)
		return r;
	pn = strnlen(buf, pn);
	for (size_t i = 0; i < pn; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	/* Park proc's text at the end; the files fill the front. */
	g.end = cap - 1 - pn;
	memmove(buf + g.end, buf, pn);
	buf[cap - 1] = '\0';
	if (dir != NULL)
		gather_dir(&g, dir);
	if (etc_cmdline != NULL)
		gather_file(&g, etc_cmdline);
	memmove(buf + g.off, buf + g.end, pn);
	buf[g.off + pn] = '\0';
	*ret_len = g.off + pn;
	return 0;
}
