/* SPDX-License-Identifier: MIT */
/* fat.c: a read-only FAT12/FAT16/FAT32 reader for an untrusted BEK volume. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "fat.h"
#include "secret.h"
#include "util.h"

/*
 * References: Microsoft's "FAT: General Overview of On-Disk Format"
 * (fatgen103) for the layout and the cluster-count rule, and Linux's
 * fs/fat for what a real reader accepts (long name parsing, case flags).
 */

#define DIRENT_SIZE	32
/* Directories are read in chunks of this size (every cluster is a multiple). */
#define DIR_CHUNK	512
#define ATTR_LFN	0x0f
#define ATTR_LFN_MASK	0x3f
#define LFN_LAST	0x40
#define LFN_SLOTS_MAX	20
#define LFN_UNITS	13
/* Longest long name, in UTF-16 units (the kernel's FAT_LFN_LEN). */
#define LFN_LEN_MAX	255
/* NT reserved byte: the 8.3 base or extension is displayed in lower case. */
#define CASE_LOWER_BASE	0x08
#define CASE_LOWER_EXT	0x10
/* FAT32 has 28-bit cluster numbers and at most this many clusters. */
#define FAT32_MASK	0x0fffffffu
#define FAT32_MAX_CLUSTERS 0x0ffffff5u

/* Microsoft's rule: the cluster count alone decides the FAT type. */
#define FAT12_MAX_CLUSTERS 4084u
#define FAT16_MAX_CLUSTERS 65524u

/* Code page 437, bytes 0x80..0xff, as Unicode (Linux vfat's default). */
static const uint16_t cp437_high[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
	0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
	0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
	0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
	0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

/* A cluster chain being followed, with Brent's cycle detection. */
struct chain {
	uint32_t	cur;		/* the cluster we are on */
	uint32_t	saved;		/* Brent's tortoise */
	uint32_t	power, lam;
	uint32_t	steps;		/* links followed */
};

/* A long name being collected from its LFN entries (last one first). */
struct lfn {
	uint16_t	units[LFN_SLOTS_MAX * LFN_UNITS];
	unsigned	slots;		/* entries in the sequence; 0 = none */
	unsigned	expect;		/* next ordinal wanted; 0 = complete */
	uint8_t		csum;		/* checksum of the 8.3 name it belongs to */
};

/* What fat_find() looks for in one directory. */
struct match {
	const char		*name;
	size_t			 len;
	struct fat_entry	*found;
	bool			 hit;
};

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static bool
is_pow2(uint32_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* Records why the call fails and returns r. */
static int
fail(struct fat_volume *v, int r, const char *why)
{
	v->last_error = r;
	v->last_why = why;
	return r;
}

/* Starts a public call: the volume must be open, the last failure is old. */
static int
begin(struct fat_volume *v)
{
	v->last_error = 0;
	v->last_why = NULL;
	if (v->fd < 0 || v->type == 0)
		return fail(v, -EBADF, "volume not open");
	return 0;
}

/*
 * Charges one read of len bytes (or one link, len 0) to the volume's budget:
 * 0, or -EDQUOT / -ETIMEDOUT once the work or the time allowed is spent.
 */
static int
charge(struct fat_volume *v, size_t len)
{
	if (len > v->budget_bytes)
		return fail(v, -EDQUOT, "more reading than any BEK volume needs "
		    "(64 MiB read): refused");
	v->budget_bytes -= len;
	if (len == 0) {
		if (v->budget_links == 0)
			return fail(v, -EDQUOT, "more cluster links than any BEK "
			    "volume has (1048576 followed): refused");
		v->budget_links--;
	}
	if (v->deadline_ms != 0 && (++v->ticks & 255) == 0 &&
	    now_ms() >= v->deadline_ms) {
		/* Every later call fails too, at once. */
		v->budget_bytes = 0;
		v->budget_links = 0;
		v->deadline_ms = 0;
		return fail(v, -ETIMEDOUT, "reading the volume took longer "
		    "than the deadline");
	}
	return 0;
}

/* Reads exactly len bytes at off, inside the device. */
static int
read_at(struct fat_volume *v, uint64_t off, void *buf, size_t len)
{
	unsigned char *p = buf;
	int r;

	if (off > v->dev_size || len > v->dev_size - off)
		return fail(v, -ERANGE, "read past the end of the device");
	if ((r = charge(v, len)) < 0)
		return r;
	while (len > 0) {
		ssize_t n = pread(v->fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail(v, -EIO, "read error on the device");
		}
		if (n == 0)
			return fail(v, -EIO,
			    "short read: the device ends before its size");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static bool
cluster_valid(const struct fat_volume *v, uint32_t c)
{
	return c >= 2 && c - 2 < v->clusters;
}

/* Reads len bytes from the start of data cluster c. */
static int
cluster_read(struct fat_volume *v, uint32_t c, void *buf, size_t len)
{
	uint64_t off = v->data_offset + (uint64_t)(c - 2) * v->cluster_size;

	if (off > v->dev_size || len > v->dev_size - off)
		return fail(v, -ERANGE, "cluster lies past the end of the device");
	return read_at(v, off, buf, len);
}

/* The FAT entry of cluster c (c valid), high 4 bits masked on FAT32. */
static int
read_fat_entry(struct fat_volume *v, uint32_t c, uint32_t *ret)
{
	const unsigned char *p;
	uint64_t off;
	uint32_t val;
	size_t len;

	switch (v->type) {
	case 12:
		off = (uint64_t)c + c / 2;
		len = 2;
		break;
	case 16:
		off = (uint64_t)c * 2;
		len = 2;
		break;
	default:
		off = (uint64_t)c * 4;
		len = 4;
		break;
	}
	/* fat_open() made sure the FAT holds an entry for every cluster. */
	if (off + len > v->fat_bytes)
		return fail(v, -ERANGE, "FAT entry lies past the end of the FAT");
	off += v->fat_offset;
	if (v->cache_len == 0 || off < v->cache_off ||
	    off + len > v->cache_off + v->cache_len) {
		/* A 1 KiB window from the 512-byte boundary below the entry. */
		uint64_t start = v->fat_offset +
		    ((off - v->fat_offset) & ~(uint64_t)511);
		uint64_t end = v->fat_offset + v->fat_bytes;
		int r;

		v->cache_len = 0;
		if (end - start > sizeof(v->cache))
			end = start + sizeof(v->cache);
		if ((r = read_at(v, start, v->cache, (size_t)(end - start))) < 0)
			return r;
		v->cache_off = start;
		v->cache_len = (uint32_t)(end - start);
	}
	p = v->cache + (off - v->cache_off);
	switch (v->type) {
	case 12:
		val = le16(p);
		val = (c & 1) ? val >> 4 : val & 0xfff;
		break;
	case 16:
		val = le16(p);
		break;
	default:
		val = le32(p) & FAT32_MASK;
		break;
	}
	*ret = val;
	return 0;
}

static void
chain_start(struct chain *ch, uint32_t first)
{
	ch->cur = first;
	ch->saved = first;
	ch->power = 1;
	ch->lam = 0;
	ch->steps = 0;
}

/*
 * Follows one link: 0 when ch->cur moved to the next cluster, 1 at the end
 * of the chain, or -errno for a link that is out of range, free, bad, or
 * closes a loop.
 */
static int
chain_next(struct fat_volume *v, struct chain *ch)
{
	uint32_t next, eoc, bad;
	int r;

	if ((r = charge(v, 0)) < 0 ||
	    (r = read_fat_entry(v, ch->cur, &next)) < 0)
		return r;
	switch (v->type) {
	case 12:
		eoc = 0xff8;
		bad = 0xff7;
		break;
	case 16:
		eoc = 0xfff8;
		bad = 0xfff7;
		break;
	default:
		eoc = 0x0ffffff8;
		bad = 0x0ffffff7;
		break;
	}
	if (next >= eoc)
		return 1;
	if (next == bad)
		return fail(v, -EUCLEAN, "bad cluster inside a cluster chain");
	if (next == 0)
		return fail(v, -EUCLEAN, "free cluster inside a cluster chain");
	if (!cluster_valid(v, next))
		return fail(v, -ERANGE,
		    "FAT entry points past the last cluster of the volume");
	/* A chain of distinct clusters is never longer than the volume. */
	if (next == ch->saved || ++ch->steps >= v->clusters)
		return fail(v, -ELOOP, "cluster chain loops");
	if (++ch->lam == ch->power) {
		ch->saved = next;
		ch->power <<= 1;
		ch->lam = 0;
	}
	ch->cur = next;
	return 0;
}

static unsigned char
ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Case-insensitive (ASCII only, as Linux vfat) comparison of name[0..len). */
static bool
name_eq(const char *name, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || ascii_lower((unsigned char)name[i]) !=
		    ascii_lower((unsigned char)s[i]))
			return false;
	}
	return s[i] == '\0';
}

/* Appends code point cp as UTF-8 at out + *o; out has room (callers size it). */
static void
put_utf8(char *out, size_t *o, uint32_t cp)
{
	unsigned char *p = (unsigned char *)out + *o;

	if (cp < 0x80) {
		p[0] = (unsigned char)cp;
		*o += 1;
	} else if (cp < 0x800) {
		p[0] = (unsigned char)(0xc0 | cp >> 6);
		p[1] = (unsigned char)(0x80 | (cp & 0x3f));
		*o += 2;
	} else if (cp < 0x10000) {
		p[0] = (unsigned char)(0xe0 | cp >> 12);
		p[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		p[2] = (unsigned char)(0x80 | (cp & 0x3f));
		*o += 3;
	} else {
		p[0] = (unsigned char)(0xf0 | cp >> 18);
		p[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
		p[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		p[3] = (unsigned char)(0x80 | (cp & 0x3f));
		*o += 4;
	}
}

static void
lfn_reset(struct lfn *l)
{
	l->slots = 0;
	l->expect = 0;
}

/*
 * Takes one LFN entry. A sequence starts at the entry flagged last (highest
 * ordinal) and counts down to 1, all with the same checksum; anything else
 * drops what was collected, as the kernel does.
 */
static void
lfn_add(struct lfn *l, const unsigned char *d)
{
	static const unsigned char at[LFN_UNITS] = {
		1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30
	};
	unsigned ord = d[0], slot;

	if (ord & LFN_LAST) {
		ord &= ~(unsigned)LFN_LAST;
		if (ord == 0 || ord > LFN_SLOTS_MAX) {
			lfn_reset(l);
			return;
		}
		l->slots = ord;
		l->expect = ord;
		l->csum = d[13];
	} else if (l->expect == 0 || ord != l->expect || d[13] != l->csum) {
		lfn_reset(l);
		return;
	}
	slot = l->expect - 1;
	for (unsigned i = 0; i < LFN_UNITS; i++)
		l->units[slot * LFN_UNITS + i] = le16(d + at[i]);
	l->expect--;
}

static uint8_t
short_checksum(const unsigned char *d)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + d[i]);
	return sum;
}

/*
 * The collected long name for 8.3 entry d as UTF-8 in out (FAT_NAME_MAX
 * bytes); false when there is none or it is not valid (wrong checksum,
 * incomplete, empty, too long, unpaired surrogate).
 */
static bool
lfn_name(const struct lfn *l, const unsigned char *d, char *out)
{
	size_t len = 0, units, o = 0;

	if (l->slots == 0 || l->expect != 0 || short_checksum(d) != l->csum)
		return false;
	units = (size_t)l->slots * LFN_UNITS;
	while (len < units && l->units[len] != 0)
		len++;
	if (len == 0 || len > LFN_LEN_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint32_t cp = l->units[i];

		if (cp >= 0xdc00 && cp <= 0xdfff)
			return false;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			uint32_t lo = i + 1 < len ? l->units[i + 1] : 0;

			if (lo < 0xdc00 || lo > 0xdfff)
				return false;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i++;
		}
		/* At most 3 bytes per unit: 255 * 3 + 1 <= FAT_NAME_MAX. */
		put_utf8(out, &o, cp);
	}
	out[o] = '\0';
	return true;
}

/*
 * The 8.3 name of entry d: raw as stored ("NAME.EXT", 13 bytes) and for
 * display (case flags applied, code page 437 to UTF-8; 40 bytes).
 */
static void
short_name(const unsigned char *d, char *raw, char *disp)
{
	size_t blen = 8, elen = 3, r = 0, o = 0;

	while (blen > 0 && d[blen - 1] == ' ')
		blen--;
	while (elen > 0 && d[8 + elen - 1] == ' ')
		elen--;
	for (size_t i = 0; i < blen + elen; i++) {
		size_t k = i < blen ? i : 8 + i - blen;
		unsigned char c = d[k];
		bool lower = (d[12] & (i < blen ? CASE_LOWER_BASE :
		    CASE_LOWER_EXT)) != 0;

		if (i == blen) {
			raw[r++] = '.';
			disp[o++] = '.';
		}
		/* 0x05 stands for a real 0xe5 in the first byte. */
		if (k == 0 && c == 0x05)
			c = 0xe5;
		raw[r++] = (char)c;
		if (c >= 0x80)
			put_utf8(disp, &o, cp437_high[c - 0x80]);
		else
			disp[o++] = (char)(lower ? ascii_lower(c) : c);
	}
	raw[r] = '\0';
	disp[o] = '\0';
}

/* Fills e from 8.3 entry d and the long name collected before it. */
static void
make_entry(const struct fat_volume *v, const unsigned char *d,
    const struct lfn *l, struct fat_entry *e)
{
	char disp[40];	/* 11 characters of up to 3 bytes, '.', NUL */

	short_name(d, e->short_name, disp);
	if (!lfn_name(l, d, e->name))
		memcpy(e->name, disp, strlen(disp) + 1);
	e->attr = d[11];
	e->size = le32(d + 28);
	e->first_cluster = le16(d + 26);
	/* The high half is only meaningful on FAT32 (OS/2 used it before). */
	if (v->type == 32)
		e->first_cluster |= (uint32_t)le16(d + 20) << 16;
	e->first_cluster &= FAT32_MASK;
}

/*
 * Calls cb for each live entry of a directory: the fixed FAT12/16 root when
 * first is 0, else the directory whose chain starts at cluster first. Stops
 * at the end marker, the end of the chain, or after FAT_DIR_MAX_ENTRIES.
 */
static int
walk_dir(struct fat_volume *v, uint32_t first, fat_dir_cb cb, void *userdata)
{
	unsigned char chunk[DIR_CHUNK];
	struct fat_entry e;
	struct lfn l;
	struct chain ch;
	uint64_t pos = 0, left = 0;
	uint32_t seen = 0;
	bool fixed = first == 0;
	int r = 0;

	lfn_reset(&l);
	if (fixed) {
		pos = v->root_offset;
		left = (uint64_t)v->root_entries * DIRENT_SIZE;
	} else if (!cluster_valid(v, first)) {
		r = fail(v, -ERANGE,
		    "directory starts past the last cluster of the volume");
		goto out;
	} else {
		chain_start(&ch, first);
		pos = v->data_offset + (uint64_t)(first - 2) * v->cluster_size;
		left = v->cluster_size;
	}
	for (;;) {
		size_t n;

		if (left == 0) {
			if (fixed)
				break;
			if ((r = chain_next(v, &ch)) != 0) {
				if (r > 0)
					r = 0;
				goto out;
			}
			pos = v->data_offset +
			    (uint64_t)(ch.cur - 2) * v->cluster_size;
			left = v->cluster_size;
		}
		n = left < sizeof(chunk) ? (size_t)left : sizeof(chunk);
		if (pos > v->dev_size || n > v->dev_size - pos) {
			r = fail(v, -ERANGE,
			    "directory lies past the end of the device");
			goto out;
		}
		if ((r = read_at(v, pos, chunk, n)) < 0)
			goto out;
		for (size_t i = 0; i + DIRENT_SIZE <= n; i += DIRENT_SIZE) {
			const unsigned char *d = chunk + i;

			if (++seen > FAT_DIR_MAX_ENTRIES) {
				r = fail(v, -E2BIG, "directory has more than "
				    "65536 entries and no end marker");
				goto out;
			}
			if (d[0] == 0x00)
				goto out;
			if (d[0] == 0xe5) {
				lfn_reset(&l);
				continue;
			}
			if ((d[11] & ATTR_LFN_MASK) == ATTR_LFN) {
				lfn_add(&l, d);
				continue;
			}
			if ((d[11] & FAT_ATTR_VOLUME_ID) || d[0] == '.') {
				lfn_reset(&l);
				continue;
			}
			make_entry(v, d, &l, &e);
			lfn_reset(&l);
			if ((r = cb(&e, userdata)) != 0) {
				if (r > 0)
					r = 0;
				goto out;
			}
		}
		pos += n;
		left -= n;
	}
out:
	secret_wipe(chunk, sizeof(chunk));
	secret_wipe(&l, sizeof(l));
	secret_wipe(&e, sizeof(e));
	return r;
}

static int
match_cb(const struct fat_entry *e, void *userdata)
{
	struct match *m = userdata;

	if (!name_eq(m->name, m->len, e->name) &&
	    !name_eq(m->name, m->len, e->short_name))
		return 0;
	*m->found = *e;
	m->hit = true;
	return 1;
}

/* The entry standing for the root directory. */
static void
root_entry(const struct fat_volume *v, struct fat_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->name[0] = '/';
	e->attr = FAT_ATTR_DIRECTORY;
	e->first_cluster = v->type == 32 ? v->root_cluster : 0;
}

/* Where walk_dir() starts for directory entry e (is_root: the root). */
static int
dir_start(struct fat_volume *v, const struct fat_entry *e, bool is_root,
    uint32_t *ret_first)
{
	if (!(e->attr & FAT_ATTR_DIRECTORY))
		return fail(v, -ENOTDIR, "not a directory");
	if (is_root) {
		*ret_first = v->type == 32 ? v->root_cluster : 0;
		return 0;
	}
	if (e->first_cluster == 0)
		return fail(v, -EUCLEAN, "directory entry has no first cluster");
	if (!cluster_valid(v, e->first_cluster))
		return fail(v, -ERANGE,
		    "directory starts past the last cluster of the volume");
	*ret_first = e->first_cluster;
	return 0;
}

/* Checks path's length limits before any read: 0 or -ENAMETOOLONG. */
static int
path_check(struct fat_volume *v, const char *path)
{
	unsigned depth = 0;
	size_t len;

	for (const char *p = path; *p != '\0'; p += len) {
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if (len >= FAT_NAME_MAX)
			return fail(v, -ENAMETOOLONG, "path component too long");
		if (++depth > FAT_PATH_MAX_DEPTH)
			return fail(v, -ENAMETOOLONG, "path too deep");
	}
	return 0;
}

/* fat_find() without begin(); *ret_is_root tells the root apart. */
static int
resolve(struct fat_volume *v, const char *path, struct fat_entry *ret,
    bool *ret_is_root)
{
	struct fat_entry cur;
	struct match m;
	const char *p = path;
	bool is_root = true, slash = false;
	uint32_t first;
	int r;

	root_entry(v, &cur);
	if ((r = path_check(v, path)) < 0)
		goto out;
	for (;;) {
		size_t len;

		while (*p == '/') {
			p++;
			slash = true;
		}
		if (*p == '\0')
			break;
		slash = false;
		len = strcspn(p, "/");
		if ((r = dir_start(v, &cur, is_root, &first)) < 0)
			goto out;
		m.name = p;
		m.len = len;
		m.found = &cur;
		m.hit = false;
		if ((r = walk_dir(v, first, match_cb, &m)) < 0)
			goto out;
		if (!m.hit) {
			r = fail(v, -ENOENT, "no such file or directory");
			goto out;
		}
		is_root = false;
		p += len;
	}
	/* "file/" names a directory that is not one. */
	if (slash && !is_root && !(cur.attr & FAT_ATTR_DIRECTORY)) {
		r = fail(v, -ENOTDIR, "not a directory");
		goto out;
	}
	*ret = cur;
	*ret_is_root = is_root;
out:
	secret_wipe(&cur, sizeof(cur));
	return r;
}

/* see fat.h */
int
fat_open(struct fat_volume *v, int fd, uint64_t dev_size)
{
	unsigned char bs[512];
	uint32_t bps, spc, rsvd, nfats, root_ent, tot, fatsz, fatsz16, active;
	uint64_t root_sectors, data_sector, clusters, need;
	const char *why = NULL;
	unsigned type;
	int r;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	v->budget_bytes = FAT_BUDGET_BYTES;
	v->budget_links = FAT_BUDGET_LINKS;
	if (fd < 0)
		return fail(v, -EBADF, "invalid file descriptor");
	if (dev_size < sizeof(bs))
		return fail(v, -EINVAL, "device smaller than a boot sector");
	if (dev_size > (uint64_t)INT64_MAX)
		return fail(v, -EINVAL, "device size out of range");
	v->fd = fd;
	v->dev_size = dev_size;
	if ((r = read_at(v, 0, bs, sizeof(bs))) < 0)
		goto out;
	if (bs[510] != 0x55 || bs[511] != 0xaa) {
		why = "not a FAT filesystem: no boot sector signature";
		goto out;
	}
	bps = le16(bs + 11);
	spc = bs[13];
	rsvd = le16(bs + 14);
	nfats = bs[16];
	root_ent = le16(bs + 17);
	tot = le16(bs + 19) != 0 ? le16(bs + 19) : le32(bs + 32);
	fatsz16 = le16(bs + 22);
	fatsz = fatsz16 != 0 ? fatsz16 : le32(bs + 36);
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096) {
		why = "boot sector: bytes per sector not 512, 1024, 2048 "
		    "or 4096";
		goto out;
	}
	if (!is_pow2(spc) || bps * spc > 65536) {
		why = "boot sector: sectors per cluster not a power of 2 "
		    "or cluster larger than 64 KiB";
		goto out;
	}
	if (rsvd == 0) {
		why = "boot sector: no reserved sectors";
		goto out;
	}
	if (nfats < 1 || nfats > 4) {
		why = "boot sector: number of FATs not 1 to 4";
		goto out;
	}
	if (bs[21] != 0xf0 && bs[21] < 0xf8) {
		why = "boot sector: invalid media descriptor";
		goto out;
	}
	if (fatsz == 0) {
		why = "boot sector: FAT size is zero";
		goto out;
	}
	if (tot == 0) {
		why = "boot sector: total sectors is zero";
		goto out;
	}
	root_sectors = ((uint64_t)root_ent * DIRENT_SIZE + bps - 1) / bps;
	data_sector = rsvd + (uint64_t)nfats * fatsz + root_sectors;
	if (data_sector >= tot) {
		why = "boot sector: total sectors leave no data region";
		goto out;
	}
	clusters = (tot - data_sector) / spc;
	if (clusters == 0) {
		why = "boot sector: no data clusters";
		goto out;
	}
	if (clusters <= FAT12_MAX_CLUSTERS)
		type = 12;
	else if (clusters <= FAT16_MAX_CLUSTERS)
		type = 16;
	else
		type = 32;
	if (type == 32) {
		if (fatsz16 != 0) {
			why = "boot sector: FAT32 cluster count with a "
			    "16-bit FAT size";
			goto out;
		}
		if (root_ent != 0) {
			why = "boot sector: FAT32 with a fixed root "
			    "directory";
			goto out;
		}
		if (clusters > FAT32_MAX_CLUSTERS) {
			why = "boot sector: too many clusters for FAT32";
			goto out;
		}
		need = (clusters + 2) * 4;
	} else {
		if (fatsz16 == 0) {
			why = "boot sector: FAT12/16 cluster count with "
			    "the FAT32 boot sector layout";
			goto out;
		}
		if (root_ent == 0) {
			why = "boot sector: FAT12/16 without root "
			    "directory entries";
			goto out;
		}
		need = type == 16 ? (clusters + 2) * 2 :
		    ((clusters + 2) * 3 + 1) / 2;
	}
	if ((uint64_t)fatsz * bps < need) {
		why = "boot sector: FAT too small for the cluster count";
		goto out;
	}
	/* FAT32 may mirror no FAT but one active copy (extended flags). */
	active = 0;
	if (type == 32 && (le16(bs + 40) & 0x80)) {
		active = le16(bs + 40) & 0x0f;
		if (active >= nfats) {
			why = "boot sector: active FAT does not exist";
			goto out;
		}
	}
	if (data_sector * bps > dev_size) {
		why = "boot sector: FATs and root directory extend past "
		    "the end of the device";
		goto out;
	}
	v->type = type;
	v->sector_size = bps;
	v->cluster_size = bps * spc;
	v->clusters = (uint32_t)clusters;
	v->fat_offset = (rsvd + (uint64_t)active * fatsz) * bps;
	v->fat_bytes = (uint64_t)fatsz * bps;
	v->root_offset = (rsvd + (uint64_t)nfats * fatsz) * bps;
	v->root_entries = root_ent;
	v->data_offset = data_sector * bps;
	if (type == 32) {
		v->root_cluster = le32(bs + 44) & FAT32_MASK;
		if (!cluster_valid(v, v->root_cluster)) {
			why = "boot sector: FAT32 root cluster out of "
			    "range";
			goto out;
		}
	}
out:
	if (why != NULL)
		r = fail(v, -EINVAL, why);
	if (r < 0) {
		v->fd = -1;
		v->type = 0;
	}
	return r;
}

/* see fat.h */
int
fat_find(struct fat_volume *v, const char *path, struct fat_entry *ret)
{
	bool is_root;
	int r;

	if ((r = begin(v)) < 0)
		return r;
	return resolve(v, path, ret, &is_root);
}

/* see fat.h */
int
fat_list_dir(struct fat_volume *v, const char *path, fat_dir_cb cb,
    void *userdata)
{
	struct fat_entry e;
	uint32_t first;
	bool is_root;
	int r;

	if ((r = begin(v)) < 0)
		return r;
	if ((r = resolve(v, path, &e, &is_root)) < 0)
		goto out;
	if ((r = dir_start(v, &e, is_root, &first)) < 0)
		goto out;
	r = walk_dir(v, first, cb, userdata);
out:
	secret_wipe(&e, sizeof(e));
	return r;
}

/* see fat.h */
int
fat_read_file(struct fat_volume *v, const struct fat_entry *e,
    unsigned char *buf, size_t cap, size_t *ret_len)
{
	struct chain ch;
	size_t done = 0, wipe = 0;
	bool longer = false;
	int r;

	if ((r = begin(v)) < 0)
		return r;
	if (e->attr & FAT_ATTR_DIRECTORY)
		return fail(v, -EISDIR, "is a directory");
	if (e->size > cap)
		return fail(v, -EFBIG, "file larger than the buffer");
	wipe = e->size;
	if (e->size == 0) {
		*ret_len = 0;
		return 0;
	}
	if (e->size > (uint64_t)v->clusters * v->cluster_size) {
		r = fail(v, -EUCLEAN, "file size larger than the volume");
		goto out;
	}
	if (e->first_cluster == 0) {
		r = fail(v, -EUCLEAN, "file has a size but no first cluster");
		goto out;
	}
	if (!cluster_valid(v, e->first_cluster)) {
		r = fail(v, -ERANGE,
		    "file starts past the last cluster of the volume");
		goto out;
	}
	chain_start(&ch, e->first_cluster);
	for (;;) {
		size_t n = e->size - done;

		if (n > v->cluster_size)
			n = v->cluster_size;
		if ((r = cluster_read(v, ch.cur, buf + done, n)) < 0)
			goto out;
		done += n;
		if (done == e->size)
			break;
		if ((r = chain_next(v, &ch)) != 0) {
			if (r > 0)
				r = fail(v, -EUCLEAN, "cluster chain ends "
				    "before the file size");
			goto out;
		}
	}
	/*
	 * The chain must end here. Following a longer one to its end (at
	 * most one link per cluster of the volume) tells a loop, which may
	 * close before the size is reached, from a mere inconsistency.
	 */
	while ((r = chain_next(v, &ch)) == 0)
		longer = true;
	if (r < 0)
		goto out;
	if (longer) {
		r = fail(v, -EUCLEAN, "cluster chain longer than the file size");
		goto out;
	}
	*ret_len = done;
	r = 0;
out:
	if (r < 0)
		secret_wipe(buf, wipe);
	return r;
}

/* see fat.h */
void
fat_set_limits(struct fat_volume *v, uint64_t bytes, uint32_t links,
    uint64_t deadline_ms)
{
	v->budget_bytes = bytes;
	v->budget_links = links;
	v->deadline_ms = deadline_ms;
}

/* see fat.h */
int
fat_drop_cache(struct fat_volume *v)
{
	int r = 0;

	if (v->fd >= 0) {
		struct stat st;
		int e;

		/*
		 * The key files' clusters are in the page cache now: dropped,
		 * a block device's whole cache (BLKFLSBUF, root only), and in
		 * any case this file's clean pages.
		 */
		if (fstat(v->fd, &st) == 0 && S_ISBLK(st.st_mode) &&
		    ioctl(v->fd, BLKFLSBUF, 0) < 0)
			r = -errno;
		e = posix_fadvise(v->fd, 0, 0, POSIX_FADV_DONTNEED);
		if (e != 0 && r == 0)
			r = -e;
	}
	v->cache_len = 0;
	secret_wipe(v->cache, sizeof(v->cache));
	return r;
}

/* see fat.h */
const char *
fat_strerror(int r)
{
	switch (r) {
	case 0:
		return "success";
	case -EINVAL:
		return "not a FAT filesystem, or invalid boot sector";
	case -ERANGE:
		return "a FAT entry or cluster number points past the end of "
		    "the volume";
	case -ELOOP:
		return "cluster chain loops";
	case -EUCLEAN:
		return "filesystem inconsistent: a cluster chain does not "
		    "match its file size or holds a free or bad cluster";
	case -E2BIG:
		return "directory has more than 65536 entries and no end "
		    "marker";
	case -EFBIG:
		return "file larger than the buffer";
	case -ENOENT:
		return "no such file or directory";
	case -ENOTDIR:
		return "not a directory";
	case -EISDIR:
		return "is a directory";
	case -EIO:
		return "read error or short read on the device";
	case -ENAMETOOLONG:
		return "path too long or too deep";
	case -EBADF:
		return "volume not open";
	case -EDQUOT:
		return "more work than any BEK volume needs: refused";
	case -ETIMEDOUT:
		return "reading the volume took longer than the deadline";
	default:
		return "unknown error";
	}
}

/* see fat.h */
const char *
fat_explain(const struct fat_volume *v, int r)
{
	if (v != NULL && r < 0 && r == v->last_error && v->last_why != NULL)
		return v->last_why;
	return fat_strerror(r);
}
