/* SPDX-License-Identifier: MIT */
/*
 * test_fat.c: fat.c against real FAT12/16/32 images made by mkfs.vfat and
 * mtools at test time, and against copies of them patched into malicious
 * shapes (loops, chains past the end, endless directories, bad names, bad
 * boot sectors).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "fat.h"
#include "testutil.h"

/* ADE's key: base64 of 127 random bytes, 172 characters, no newline. */
static const char ade_key[] =
    "dMfe2mB6I37OI5yCRLB/fth1yvBtw1lc9V+a4dd7iFNr6b/r+JIN3QVPAprp91/kIGs6lw"
    "jSrsfRDP8xE6IhenTH3tpgeiN+ziOcgkSwf37YdcrwbcNZXPVfmuHXe4hTa+m/6/iSDd0F"
    "TwKa6fdf5CBrOpcI0q7H0Qz/MROiIQ==";

#define CHAIN_LEN	5000	/* chain.bin: 10 clusters of 512 bytes */
#define SCHL		"Schl\xc3\xbcssel_\xe2\x82\xac.txt"	/* Schlüssel_€.txt */
#define LONG_LEN	255

struct img {
	const char	*fat;	/* mkfs.vfat -F */
	const char	*kib;	/* size */
	unsigned	 type;
	char		 path[512];
};

static char dir[256];
static char stage[300];
static char long_name[LONG_LEN + 1];
static struct img imgs[] = {
	{ "12", "1440", 12, "" },
	{ "16", "4096", 16, "" },	/* -s 1: 8095 clusters of 512 bytes */
	{ "32", "34000", 32, "" },
};
#define IMG12	(&imgs[0])
#define IMG16	(&imgs[1])
#define IMG32	(&imgs[2])

/*
 * The root of every base image as listed, in directory order (the deleted
 * file that came first is not listed, nor is the volume label).
 */
static const char *root_names[] = {
	"LinuxPassPhraseFileName", "LinuxPassPhraseFileName_1_0", "README.TXT",
	"lower.txt", "Mixed.Txt", "EMPTY", "CRITICAL_DATA_WARNING_README.txt",
	long_name, "Checksum_Test_File.txt", SCHL, "Surrogate_XX.bin",
	"chain.bin", "dir",
};

/* ---- helpers: running tools, files -------------------------------------- */

#define RUN(...) do { \
	const char *argv_[] = { __VA_ARGS__, NULL }; \
	if (tu_run(argv_) != 0) \
		fail_msg("command failed: %s", argv_[0]); \
} while (0)

static void
pr(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void
pw(const char *path, uint64_t off, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void
copy_img(const char *src, const char *dst)
{
	RUN("cp", "--sparse=always", src, dst);
}

static uint64_t
file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_size;
}

/* Opens path as a volume: returns fat_open()'s result, *ret_fd the fd. */
static int
vopen_size(const char *path, struct fat_volume *v, uint64_t size, int *ret_fd)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	*ret_fd = fd;
	return fat_open(v, fd, size);
}

static int
vopen(const char *path, struct fat_volume *v)
{
	int fd, r;

	r = vopen_size(path, v, file_size(path), &fd);
	if (r != 0)
		fail_msg("fat_open(%s): %s", path, fat_explain(v, r));
	return fd;
}

static void
assert_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			fail_msg("byte %zu is 0x%02x, not wiped", i, p[i]);
}

static void
assert_explains(const struct fat_volume *v, int r, const char *what)
{
	if (strstr(fat_explain(v, r), what) == NULL)
		fail_msg("'%s' does not say '%s'", fat_explain(v, r), what);
}

/* Finds path and reads it whole; the result of whichever failed. */
static int
read_path(struct fat_volume *v, const char *path, unsigned char *buf,
    size_t cap, size_t *len)
{
	struct fat_entry e;
	int r;

	if ((r = fat_find(v, path, &e)) < 0)
		return r;
	return fat_read_file(v, &e, buf, cap, len);
}

static void
assert_key_at(struct fat_volume *v, const char *path)
{
	unsigned char buf[8192];
	size_t len = 0;
	int r = read_path(v, path, buf, sizeof(buf), &len);

	if (r != 0)
		fail_msg("%s: %s", path, fat_explain(v, r));
	assert_int_equal(len, 172);
	assert_memory_equal(buf, ade_key, 172);
}

static unsigned char
chain_byte(size_t i)
{
	return (unsigned char)(i * 7 + 3 + i / 251);
}

/* ---- helpers: patching images (geometry from the reader under test) ----- */

struct geo {
	struct fat_volume	v;
	unsigned		nfats;
	unsigned char		*fat;	/* FAT copy 0 */
};

static void
geo_load(const char *path, struct geo *g)
{
	unsigned char bs[512];
	int fd = vopen(path, &g->v);

	close(fd);
	pr(path, 0, bs, sizeof(bs));
	g->nfats = bs[16];
	g->fat = malloc(g->v.fat_bytes);
	assert_non_null(g->fat);
	pr(path, g->v.fat_offset, g->fat, g->v.fat_bytes);
}

static void
geo_store(const char *path, const struct geo *g)
{
	uint64_t first = g->v.fat_offset;

	for (unsigned i = 0; i < g->nfats; i++)
		pw(path, first + i * g->v.fat_bytes, g->fat, g->v.fat_bytes);
}

static void
geo_free(struct geo *g)
{
	free(g->fat);
	g->fat = NULL;
}

static uint32_t
fget(const struct geo *g, uint32_t c)
{
	const unsigned char *p;

	switch (g->v.type) {
	case 12:
		p = g->fat + c + c / 2;
		return (c & 1) ? (uint32_t)(p[0] >> 4 | p[1] << 4) :
		    (uint32_t)(p[0] | (p[1] & 0x0f) << 8);
	case 16:
		p = g->fat + 2 * c;
		return (uint32_t)(p[0] | p[1] << 8);
	default:
		p = g->fat + 4 * c;
		return ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24) & 0x0fffffff;
	}
}

/* Sets the raw entry (FAT32: all 32 bits, to test the masking). */
static void
fset(struct geo *g, uint32_t c, uint32_t val)
{
	unsigned char *p;

	switch (g->v.type) {
	case 12:
		p = g->fat + c + c / 2;
		if (c & 1) {
			p[0] = (unsigned char)((p[0] & 0x0f) | (val & 0x0f) << 4);
			p[1] = (unsigned char)(val >> 4);
		} else {
			p[0] = (unsigned char)val;
			p[1] = (unsigned char)((p[1] & 0xf0) | (val >> 8 & 0x0f));
		}
		break;
	case 16:
		p = g->fat + 2 * c;
		p[0] = (unsigned char)val;
		p[1] = (unsigned char)(val >> 8);
		break;
	default:
		p = g->fat + 4 * c;
		for (int i = 0; i < 4; i++)
			p[i] = (unsigned char)(val >> (8 * i));
		break;
	}
}

static uint32_t
eoc(const struct geo *g)
{
	return g->v.type == 12 ? 0xfff : g->v.type == 16 ? 0xffff : 0x0fffffff;
}

static uint64_t
cluster_off(const struct geo *g, uint32_t c)
{
	return g->v.data_offset + (uint64_t)(c - 2) * g->v.cluster_size;
}

/*
 * Byte offset of the 8.3 entry named name11 (11 bytes, padded) in the root
 * (dir_cluster 0) or in the directory starting at dir_cluster.
 */
static uint64_t
dirent_off(const char *path, const struct geo *g, uint32_t dir_cluster,
    const char *name11)
{
	unsigned char d[32];
	uint64_t off, left;
	uint32_t c = dir_cluster;

	if (c == 0 && g->v.type == 32)
		c = g->v.root_cluster;
	if (c == 0) {
		off = g->v.root_offset;
		left = (uint64_t)g->v.root_entries * 32;
	} else {
		off = cluster_off(g, c);
		left = g->v.cluster_size;
	}
	for (int guard = 0; guard < 100000; guard++) {
		if (left == 0) {
			assert_true(c != 0);
			c = fget(g, c);
			assert_true(c >= 2 && c < 0x0ffffff8);
			off = cluster_off(g, c);
			left = g->v.cluster_size;
		}
		pr(path, off, d, sizeof(d));
		if (memcmp(d, name11, 11) == 0 && d[11] != 0x0f)
			return off;
		off += 32;
		left -= 32;
	}
	fail_msg("no entry '%s' in %s", name11, path);
	return 0;
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* ---- images --------------------------------------------------------------- */

static void
stage_file(const char *name, const void *data, size_t len)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", stage, name);
	assert_int_equal(tu_write_file(p, data, len), 0);
}

static char *
sp(const char *name)
{
	static char bufs[32][1024];
	static unsigned n;
	char *p = bufs[n++ % 32];

	snprintf(p, 1024, "%s/%s", stage, name);
	return p;
}

static int
build_base(struct img *m)
{
	const char *mkfs[] = { "mkfs.vfat", "-F", m->fat, "-s", "1", "-n",
		"BEK VOLUME", "-C", m->path, m->kib, NULL };
	const char *cp[] = { "mcopy", "-i", m->path,
		sp("Deleted_First_File.txt"), sp("LinuxPassPhraseFileName"),
		sp("LinuxPassPhraseFileName_1_0"), sp("README.TXT"),
		sp("lower.txt"), sp("Mixed.Txt"), sp("EMPTY"),
		sp("CRITICAL_DATA_WARNING_README.txt"), sp(long_name),
		sp("Checksum_Test_File.txt"), sp(SCHL), sp("Surrogate_XX.bin"),
		sp("chain.bin"), "::/", NULL };
	const char *md[] = { "mmd", "-i", m->path, "::dir", "::dir/sub",
		"::dir/sub/deeper", NULL };
	const char *cp2[] = { "mcopy", "-i", m->path,
		sp("LinuxPassPhraseFileName"), "::dir/sub/deeper/Nested_Key_File",
		NULL };
	const char *cp3[] = { "mcopy", "-i", m->path, sp("README.TXT"),
		"::dir/gone.txt", NULL };
	const char *cp4[] = { "mcopy", "-i", m->path, sp("README.TXT"),
		"::dir/file_in_dir.txt", NULL };
	const char *del[] = { "mdel", "-i", m->path,
		"::Deleted_First_File.txt", "::dir/gone.txt", NULL };

	snprintf(m->path, sizeof(m->path), "%s/base%s.img", dir, m->fat);
	if (tu_run(mkfs) != 0 || tu_run(cp) != 0 || tu_run(md) != 0 ||
	    tu_run(cp2) != 0 || tu_run(cp3) != 0 || tu_run(cp4) != 0 ||
	    tu_run(del) != 0) {
		fprintf(stderr, "building %s failed\n", m->path);
		return -1;
	}
	return 0;
}

static int
group_setup(void **state)
{
	unsigned char chain[CHAIN_LEN];
	const char *path = getenv("PATH");
	char newpath[4096];

	(void)state;
	snprintf(newpath, sizeof(newpath), "%s:/usr/sbin:/sbin",
	    path != NULL ? path : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	/* mtools converts names from the locale's charset. */
	setenv("LC_ALL", "C.UTF-8", 1);
	if (tu_mkdtemp(dir, sizeof(dir), "fat") == NULL)
		return -1;
	snprintf(stage, sizeof(stage), "%s/stage", dir);
	if (mkdir(stage, 0700) != 0)
		return -1;
	/* 255 characters: the longest name, 20 LFN entries. */
	memcpy(long_name, "Long_", 5);
	for (size_t i = 5; i < LONG_LEN - 4; i++)
		long_name[i] = (char)('a' + i % 26);
	memcpy(long_name + LONG_LEN - 4, ".bin", 5);
	for (size_t i = 0; i < sizeof(chain); i++)
		chain[i] = chain_byte(i);
	stage_file("Deleted_First_File.txt", "gone\n", 5);
	stage_file("LinuxPassPhraseFileName", ade_key, 172);
	stage_file("LinuxPassPhraseFileName_1_0", ade_key, 172);
	stage_file("README.TXT", "readme\n", 7);
	stage_file("lower.txt", "lower\n", 6);
	stage_file("Mixed.Txt", "mixed\n", 6);
	stage_file("EMPTY", "", 0);
	stage_file("CRITICAL_DATA_WARNING_README.txt", "warning\n", 8);
	stage_file(long_name, "long\n", 5);
	stage_file("Checksum_Test_File.txt", "checksum\n", 9);
	stage_file(SCHL, "key\n", 4);
	stage_file("Surrogate_XX.bin", "smile\n", 6);
	stage_file("chain.bin", chain, sizeof(chain));
	for (size_t i = 0; i < sizeof(imgs) / sizeof(imgs[0]); i++)
		if (build_base(&imgs[i]) < 0)
			return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	tu_rmtree(dir);
	return 0;
}

/* ---- good images ---------------------------------------------------------- */

static void
test_key_file(void **state)
{
	const struct img *m = *state;
	struct fat_volume v;
	struct fat_entry e, e2;
	int fd = vopen(m->path, &v);

	assert_int_equal(v.type, m->type);
	assert_key_at(&v, "LinuxPassPhraseFileName");
	assert_key_at(&v, "/LinuxPassPhraseFileName");
	assert_key_at(&v, "linuxpassphrasefilename");
	assert_key_at(&v, "LINUXPASSPHRASEFILENAME");
	assert_key_at(&v, "LinuxPassPhraseFileName_1_0");
	/* The 8.3 alias finds the same file. */
	assert_int_equal(fat_find(&v, "LinuxPassPhraseFileName_1_0", &e), 0);
	assert_string_equal(e.name, "LinuxPassPhraseFileName_1_0");
	assert_int_equal(strncmp(e.short_name, "LINUXP~", 7), 0);
	assert_int_equal(fat_find(&v, e.short_name, &e2), 0);
	assert_int_equal(e2.first_cluster, e.first_cluster);
	assert_string_equal(e2.name, e.name);
	assert_int_equal(e.size, 172);
	assert_int_equal(e.attr & FAT_ATTR_DIRECTORY, 0);
	fat_drop_cache(&v);
	assert_key_at(&v, "LinuxPassPhraseFileName");
	close(fd);
}

static void
test_names(void **state)
{
	const struct img *m = *state;
	struct fat_volume v;
	struct fat_entry e;
	char upper[LONG_LEN + 1];
	int fd = vopen(m->path, &v);

	/* 8.3 only, upper case. */
	assert_int_equal(fat_find(&v, "readme.txt", &e), 0);
	assert_string_equal(e.name, "README.TXT");
	assert_string_equal(e.short_name, "README.TXT");
	/* 8.3 with the NT lower-case flags. */
	assert_int_equal(fat_find(&v, "LOWER.TXT", &e), 0);
	assert_string_equal(e.name, "lower.txt");
	assert_string_equal(e.short_name, "LOWER.TXT");
	/* Mixed case needs a long name. */
	assert_int_equal(fat_find(&v, "mixed.txt", &e), 0);
	assert_string_equal(e.name, "Mixed.Txt");
	assert_string_equal(e.short_name, "MIXED.TXT");
	/* Several LFN entries. */
	assert_int_equal(fat_find(&v, "critical_data_warning_readme.TXT", &e),
	    0);
	assert_string_equal(e.name, "CRITICAL_DATA_WARNING_README.txt");
	assert_int_equal(e.size, 8);
	/* The longest name: 20 LFN entries. */
	for (size_t i = 0; i <= LONG_LEN; i++)
		upper[i] = (char)(long_name[i] >= 'a' && long_name[i] <= 'z' ?
		    long_name[i] - 'a' + 'A' : long_name[i]);
	assert_int_equal(fat_find(&v, upper, &e), 0);
	assert_int_equal(strlen(e.name), LONG_LEN);
	assert_string_equal(e.name, long_name);
	/* UTF-8; only ASCII folds. */
	assert_int_equal(fat_find(&v, SCHL, &e), 0);
	assert_string_equal(e.name, SCHL);
	assert_int_equal(fat_find(&v, "SCHL\xc3\xbcSSEL_\xe2\x82\xac.TXT", &e),
	    0);
	assert_int_equal(fat_find(&v, "SCHL\xc3\x9cSSEL_\xe2\x82\xac.TXT", &e),
	    -ENOENT);
	/* Not a prefix match, not a suffix match. */
	assert_int_equal(fat_find(&v, "LinuxPassPhraseFileNam", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "LinuxPassPhraseFileName_", &e),
	    -ENOENT);
	assert_int_equal(fat_find(&v, "inuxPassPhraseFileName", &e), -ENOENT);
	close(fd);
}

struct listing {
	char	names[64][FAT_NAME_MAX];
	size_t	n;
	size_t	stop_after;
	int	stop_with;
};

static int
list_cb(const struct fat_entry *e, void *userdata)
{
	struct listing *l = userdata;

	assert_true(l->n < 64);
	snprintf(l->names[l->n++], FAT_NAME_MAX, "%s", e->name);
	if (l->stop_after != 0 && l->n == l->stop_after)
		return l->stop_with;
	return 0;
}

static void
assert_listing(struct fat_volume *v, const char *path,
    const char *const *want, size_t nwant)
{
	static struct listing l;
	int r;

	memset(&l, 0, sizeof(l));
	r = fat_list_dir(v, path, list_cb, &l);
	if (r != 0)
		fail_msg("list '%s': %s", path, fat_explain(v, r));
	for (size_t i = 0; i < l.n && i < nwant; i++)
		if (strcmp(l.names[i], want[i]) != 0)
			fail_msg("'%s' entry %zu: '%s', want '%s'", path, i,
			    l.names[i], want[i]);
	assert_int_equal(l.n, nwant);
}

static void
test_list_dir(void **state)
{
	const struct img *m = *state;
	static const char *dir_names[] = { "sub", "file_in_dir.txt" };
	static const char *sub_names[] = { "deeper" };
	static const char *deeper_names[] = { "Nested_Key_File" };
	static struct listing l;
	struct fat_volume v;
	int fd = vopen(m->path, &v);

	/* No label, no deleted file; "." and ".." skipped. */
	assert_listing(&v, "", root_names,
	    sizeof(root_names) / sizeof(root_names[0]));
	assert_listing(&v, "/", root_names,
	    sizeof(root_names) / sizeof(root_names[0]));
	assert_listing(&v, "dir", dir_names, 2);
	assert_listing(&v, "/DIR/", dir_names, 2);
	assert_listing(&v, "dir/sub", sub_names, 1);
	assert_listing(&v, "dir/sub/deeper", deeper_names, 1);
	/* The callback stops the walk. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	l.stop_with = 1;
	assert_int_equal(fat_list_dir(&v, "", list_cb, &l), 0);
	assert_int_equal(l.n, 2);
	memset(&l, 0, sizeof(l));
	l.stop_after = 3;
	l.stop_with = -ECANCELED;
	assert_int_equal(fat_list_dir(&v, "/", list_cb, &l), -ECANCELED);
	assert_int_equal(l.n, 3);
	assert_int_equal(fat_list_dir(&v, "README.TXT", list_cb, &l), -ENOTDIR);
	assert_int_equal(fat_list_dir(&v, "nope", list_cb, &l), -ENOENT);
	close(fd);
}

static void
test_subdirs(void **state)
{
	const struct img *m = *state;
	struct fat_volume v;
	struct fat_entry e;
	char deep[200] = "";
	char big[1000];
	int fd = vopen(m->path, &v);

	assert_key_at(&v, "dir/sub/deeper/Nested_Key_File");
	assert_key_at(&v, "/DIR/SUB/DEEPER/nested_key_file");
	assert_key_at(&v, "dir//sub///deeper/Nested_Key_File");
	assert_int_equal(fat_find(&v, "dir", &e), 0);
	assert_true(e.attr & FAT_ATTR_DIRECTORY);
	assert_string_equal(e.name, "dir");
	assert_string_equal(e.short_name, "DIR");
	assert_int_equal(fat_find(&v, "dir/sub/", &e), 0);
	assert_string_equal(e.name, "sub");
	assert_int_equal(fat_find(&v, "", &e), 0);
	assert_true(e.attr & FAT_ATTR_DIRECTORY);
	assert_int_equal(fat_find(&v, "/", &e), 0);
	assert_true(e.attr & FAT_ATTR_DIRECTORY);
	assert_int_equal(fat_find(&v, "README.TXT/", &e), -ENOTDIR);
	assert_int_equal(fat_find(&v, "README.TXT/x", &e), -ENOTDIR);
	assert_int_equal(fat_find(&v, "dir/nope", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "nope/x", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "dir/sub/deeper/Nested_Key_File/x", &e),
	    -ENOTDIR);
	/* "." and ".." are not followed. */
	assert_int_equal(fat_find(&v, "dir/./sub", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "dir/../dir", &e), -ENOENT);
	/* Limits, checked before any read. */
	for (int i = 0; i < FAT_PATH_MAX_DEPTH + 1; i++)
		strcat(deep, "d/");
	assert_int_equal(fat_find(&v, deep, &e), -ENAMETOOLONG);
	assert_explains(&v, -ENAMETOOLONG, "deep");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(fat_find(&v, big, &e), -ENAMETOOLONG);
	close(fd);
}

static void
test_deleted(void **state)
{
	const struct img *m = *state;
	struct fat_volume v;
	struct fat_entry e;
	int fd = vopen(m->path, &v);

	assert_int_equal(fat_find(&v, "Deleted_First_File.txt", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "DELETE~1.TXT", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "dir/gone.txt", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "dir/file_in_dir.txt", &e), 0);
	/* Neither is the volume label an entry. */
	assert_int_equal(fat_find(&v, "BEK VOLUME", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "BEK VOLUME.", &e), -ENOENT);
	close(fd);
}

static void
test_read_cases(void **state)
{
	const struct img *m = *state;
	struct fat_volume v;
	struct fat_entry e;
	unsigned char buf[8192];
	size_t len;
	int fd = vopen(m->path, &v);

	/* Multi-cluster file. */
	len = 0;
	assert_int_equal(read_path(&v, "chain.bin", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, CHAIN_LEN);
	for (size_t i = 0; i < CHAIN_LEN; i++)
		assert_int_equal(buf[i], chain_byte(i));
	/* Exactly the cap is fine, one byte less is -EFBIG and reads nothing. */
	assert_int_equal(read_path(&v, "chain.bin", buf, CHAIN_LEN, &len), 0);
	memset(buf, 0xaa, sizeof(buf));
	len = 12345;
	assert_int_equal(fat_find(&v, "LinuxPassPhraseFileName", &e), 0);
	assert_int_equal(fat_read_file(&v, &e, buf, 171, &len), -EFBIG);
	assert_explains(&v, -EFBIG, "larger than the buffer");
	assert_int_equal(len, 12345);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xaa);
	/* Empty file. */
	len = 12345;
	assert_int_equal(read_path(&v, "empty", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(buf[0], 0xaa);
	assert_int_equal(read_path(&v, "EMPTY", buf, 0, &len), 0);
	/* Directories. */
	len = 12345;
	assert_int_equal(read_path(&v, "dir", buf, sizeof(buf), &len), -EISDIR);
	assert_int_equal(read_path(&v, "/", buf, sizeof(buf), &len), -EISDIR);
	assert_int_equal(len, 12345);
	close(fd);
}

/* A file whose chain jumps over other files' clusters reads back right. */
static void
test_fragmented(void **state)
{
	const struct img *m = *state;
	char img[512], src[8][600], bigsrc[600];
	unsigned char big[6000], buf[8192];
	struct fat_volume v;
	struct fat_entry e;
	struct geo g;
	uint32_t c, jumps = 0, n = 1;
	size_t len = 0;
	int fd;

	snprintf(img, sizeof(img), "%s/frag%s.img", dir, m->fat);
	RUN("mkfs.vfat", "-F", m->fat, "-s", "1", "-C", img, m->kib);
	for (int i = 0; i < 8; i++) {
		char name[32], data[512];

		snprintf(name, sizeof(name), "small%d", i);
		memset(data, 'a' + i, sizeof(data));
		snprintf(src[i], sizeof(src[i]), "%s/%s", stage, name);
		assert_int_equal(tu_write_file(src[i], data, sizeof(data)), 0);
	}
	RUN("mcopy", "-i", img, src[0], src[1], src[2], src[3], src[4], src[5],
	    src[6], src[7], "::/");
	RUN("mdel", "-i", img, "::small1", "::small3", "::small5", "::small7");
	if (m->type == 32) {
		/* Forget FSInfo's next-free hint so mtools fills the holes. */
		unsigned char ff[4] = { 0xff, 0xff, 0xff, 0xff };

		pw(img, 512 + 492, ff, 4);
	}
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 13 + 5);
	snprintf(bigsrc, sizeof(bigsrc), "%s/big", stage);
	assert_int_equal(tu_write_file(bigsrc, big, sizeof(big)), 0);
	RUN("mcopy", "-i", img, bigsrc, "::Fragmented File.bin");
	/* Its chain really jumps. */
	geo_load(img, &g);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "fragmented file.bin", &e), 0);
	for (c = e.first_cluster; fget(&g, c) < eoc(&g) - 7; c = fget(&g, c),
	    n++)
		if (fget(&g, c) != c + 1)
			jumps++;
	assert_int_equal(n, 12);
	assert_true(jumps >= 3);
	assert_int_equal(fat_read_file(&v, &e, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(buf, big, sizeof(big));
	/* The small files that stayed are intact. */
	assert_int_equal(read_path(&v, "small6", buf, sizeof(buf), &len), 0);
	assert_int_equal(len, 512);
	assert_int_equal(buf[511], 'g');
	geo_free(&g);
	close(fd);
}

/* A fixed FAT12/16 root filled to the last slot has no end marker. */
static void
test_full_root(void **state)
{
	const struct img *m = *state;
	static struct listing l;
	char img[512], src[600], name[32];
	struct fat_volume v;
	struct fat_entry e;
	int fd, n = 0;

	snprintf(img, sizeof(img), "%s/full%s.img", dir, m->fat);
	RUN("mkfs.vfat", "-F", m->fat, "-s", "1", "-r", "16", "-n",
	    "BEK VOLUME", "-C", img, m->kib);
	snprintf(src, sizeof(src), "%s/README.TXT", stage);
	for (;;) {
		char dst[32];
		const char *argv[] = { "mcopy", "-i", img, src, dst, NULL };

		snprintf(dst, sizeof(dst), "::F%03d.TXT", n);
		if (tu_run(argv) != 0)
			break;
		assert_true(++n < 100);
	}
	assert_int_equal(n, 15);	/* 16 slots, one is the label */
	fd = vopen(img, &v);
	assert_int_equal(v.root_entries, 16);
	assert_int_equal(fat_find(&v, "F000.TXT", &e), 0);
	snprintf(name, sizeof(name), "f%03d.txt", n - 1);
	assert_int_equal(fat_find(&v, name, &e), 0);
	assert_int_equal(e.size, 7);
	assert_int_equal(fat_find(&v, "F999.TXT", &e), -ENOENT);
	memset(&l, 0, sizeof(l));
	assert_int_equal(fat_list_dir(&v, "", list_cb, &l), 0);
	assert_int_equal(l.n, (size_t)n);
	close(fd);
}

/* ---- malicious images ----------------------------------------------------- */

struct chain_case {
	const char	*what;
	int		 at;	/* index in the file's chain whose entry is set */
	int		 to;	/* 0: start, -1: past the end, -2: EOC, -3: free,
				   -4: bad, -5: cluster 1, 1: itself */
	int		 want;
	const char	*why;
};

static uint32_t
case_value(const struct geo *g, const uint32_t *ch, const struct chain_case *k)
{
	switch (k->to) {
	case 0:
		return ch[0];
	case 1:
		return ch[k->at];
	case -1:
		return g->v.clusters + 2;
	case -2:
		return eoc(g);
	case -3:
		return 0;
	case -4:
		return eoc(g) - 8;
	default:
		return 1;
	}
}

static void
test_bad_chains(void **state)
{
	static const struct chain_case cases[] = {
		{ "last links to the first", 9, 0, -ELOOP, "loops" },
		{ "first links to itself", 0, 1, -ELOOP, "loops" },
		{ "middle links to itself", 5, 1, -ELOOP, "loops" },
		{ "link past the last cluster", 4, -1, -ERANGE,
		  "past the last cluster" },
		{ "link to cluster 1", 0, -5, -ERANGE, "past the last cluster" },
		{ "chain ends early", 4, -2, -EUCLEAN, "ends before" },
		{ "free cluster in the chain", 4, -3, -EUCLEAN, "free cluster" },
		{ "bad cluster in the chain", 4, -4, -EUCLEAN, "bad cluster" },
		{ "bad cluster after the data", 9, -4, -EUCLEAN, "bad cluster" },
		{ "link past the end after the data", 9, -1, -ERANGE,
		  "past the last cluster" },
		{ "chain loops back before the data ends", 8, 0, -ELOOP,
		  "loops" },
	};
	const struct img *m = *state;
	unsigned char *orig, buf[8192];
	char img[512];
	struct fat_volume v;
	struct fat_entry e;
	struct geo g;
	uint32_t ch[10];
	size_t len;
	int fd;

	snprintf(img, sizeof(img), "%s/chain%s.img", dir, m->fat);
	copy_img(m->path, img);
	geo_load(img, &g);
	orig = malloc(g.v.fat_bytes);
	assert_non_null(orig);
	memcpy(orig, g.fat, g.v.fat_bytes);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "chain.bin", &e), 0);
	close(fd);
	ch[0] = e.first_cluster;
	for (int i = 1; i < 10; i++)
		ch[i] = fget(&g, ch[i - 1]);
	assert_true(fget(&g, ch[9]) >= eoc(&g) - 7);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct chain_case *c = &cases[k];
		int r;

		memcpy(g.fat, orig, g.v.fat_bytes);
		fset(&g, ch[c->at], case_value(&g, ch, c));
		geo_store(img, &g);
		fd = vopen(img, &v);
		assert_int_equal(fat_find(&v, "chain.bin", &e), 0);
		memset(buf, 0xaa, sizeof(buf));
		len = 12345;
		r = fat_read_file(&v, &e, buf, sizeof(buf), &len);
		if (r != c->want)
			fail_msg("FAT%u %s: got %d (%s), want %d", m->type,
			    c->what, r, fat_explain(&v, r), c->want);
		assert_explains(&v, r, c->why);
		/* Nothing of the file is left behind, nothing is returned. */
		assert_zero(buf, CHAIN_LEN);
		assert_int_equal(buf[CHAIN_LEN], 0xaa);
		assert_int_equal(len, 12345);
		close(fd);
	}
	if (m->type == 32) {
		/* The top 4 bits of a FAT32 entry are reserved: ignored. */
		memcpy(g.fat, orig, g.v.fat_bytes);
		fset(&g, ch[0], 0xf0000000 | ch[1]);
		fset(&g, ch[9], 0xffffffff);
		geo_store(img, &g);
		fd = vopen(img, &v);
		assert_int_equal(read_path(&v, "chain.bin", buf, sizeof(buf),
		    &len), 0);
		assert_int_equal(len, CHAIN_LEN);
		assert_int_equal(buf[CHAIN_LEN - 1], chain_byte(CHAIN_LEN - 1));
		close(fd);
	}
	/* The directory entry's first cluster. */
	memcpy(g.fat, orig, g.v.fat_bytes);
	geo_store(img, &g);
	{
		uint64_t off = dirent_off(img, &g, 0, "CHAIN   BIN");
		unsigned char d[32], bad[32];

		pr(img, off, d, sizeof(d));
		memcpy(bad, d, sizeof(d));
		bad[26] = (unsigned char)(g.v.clusters + 2);
		bad[27] = (unsigned char)((g.v.clusters + 2) >> 8);
		bad[20] = (unsigned char)((g.v.clusters + 2) >> 16);
		bad[21] = (unsigned char)((g.v.clusters + 2) >> 24);
		pw(img, off, bad, sizeof(bad));
		fd = vopen(img, &v);
		assert_int_equal(read_path(&v, "chain.bin", buf, sizeof(buf),
		    &len), -ERANGE);
		close(fd);
		memset(bad + 20, 0, 2);
		memset(bad + 26, 0, 2);
		pw(img, off, bad, sizeof(bad));
		fd = vopen(img, &v);
		assert_int_equal(read_path(&v, "chain.bin", buf, sizeof(buf),
		    &len), -EUCLEAN);
		assert_explains(&v, -EUCLEAN, "no first cluster");
		close(fd);
		/* A size that needs 2 of its 10 clusters. */
		memcpy(bad, d, sizeof(d));
		put_le32(bad + 28, 600);
		pw(img, off, bad, sizeof(bad));
		fd = vopen(img, &v);
		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(read_path(&v, "chain.bin", buf, sizeof(buf),
		    &len), -EUCLEAN);
		assert_explains(&v, -EUCLEAN, "longer than the file size");
		assert_zero(buf, 600);
		close(fd);
		pw(img, off, d, sizeof(d));
	}
	free(orig);
	geo_free(&g);
	unlink(img);
}

/* Fills len bytes at off with deleted entries (never an end marker). */
static void
fill_deleted(const char *img, uint64_t off, size_t len)
{
	unsigned char *p = malloc(len);

	assert_non_null(p);
	for (size_t i = 0; i < len; i += 32) {
		memcpy(p + i, "\xe5" "ELETED TXT", 11);
		memset(p + i + 11, 0, 21);
	}
	pw(img, off, p, len);
	free(p);
}

/* The tail of directory cluster c from its end marker on: deleted entries. */
static void
unend_cluster(const char *img, const struct geo *g, uint32_t c)
{
	unsigned char d[32];
	uint64_t off = cluster_off(g, c);

	for (uint32_t i = 0; i < g->v.cluster_size; i += 32) {
		pr(img, off + i, d, 1);
		if (d[0] == 0) {
			fill_deleted(img, off + i, g->v.cluster_size - i);
			return;
		}
	}
}

static void
test_endless_dirs(void **state)
{
	static struct listing l;
	const struct img *m = *state;
	unsigned char *orig;
	char img[512];
	struct fat_volume v;
	struct fat_entry e;
	struct geo g;
	uint32_t c0, s, run = FAT_DIR_MAX_ENTRIES / 16 + 4;
	int fd;

	snprintf(img, sizeof(img), "%s/endless%s.img", dir, m->fat);
	copy_img(m->path, img);
	geo_load(img, &g);
	assert_int_equal(g.v.cluster_size, 512);
	orig = malloc(g.v.fat_bytes);
	assert_non_null(orig);
	memcpy(orig, g.fat, g.v.fat_bytes);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "dir", &e), 0);
	close(fd);
	c0 = e.first_cluster;
	unend_cluster(img, &g, c0);

	/* A directory that is its own next cluster. */
	fset(&g, c0, c0);
	geo_store(img, &g);
	fd = vopen(img, &v);
	memset(&l, 0, sizeof(l));
	assert_int_equal(fat_list_dir(&v, "dir", list_cb, &l), -ELOOP);
	assert_explains(&v, -ELOOP, "cluster chain loops");
	assert_int_equal(l.n, 2);	/* what came before is reported */
	assert_int_equal(fat_find(&v, "dir/nothing", &e), -ELOOP);
	assert_int_equal(fat_find(&v, "dir/file_in_dir.txt", &e), 0);
	close(fd);

	/* Two clusters pointing at each other. */
	for (s = g.v.clusters + 1; fget(&g, s) == 0; s--)
		;
	s++;
	assert_true(s + run < g.v.clusters + 2);
	memcpy(g.fat, orig, g.v.fat_bytes);
	fset(&g, c0, s);
	fset(&g, s, c0);
	geo_store(img, &g);
	fill_deleted(img, cluster_off(&g, s), g.v.cluster_size);
	fd = vopen(img, &v);
	memset(&l, 0, sizeof(l));
	assert_int_equal(fat_list_dir(&v, "dir", list_cb, &l), -ELOOP);
	close(fd);

	/* No loop, but more than FAT_DIR_MAX_ENTRIES entries and no end. */
	memcpy(g.fat, orig, g.v.fat_bytes);
	fset(&g, c0, s);
	for (uint32_t i = 0; i < run - 1; i++)
		fset(&g, s + i, s + i + 1);
	fset(&g, s + run - 1, eoc(&g));
	geo_store(img, &g);
	fill_deleted(img, cluster_off(&g, s), (size_t)run * g.v.cluster_size);
	fd = vopen(img, &v);
	memset(&l, 0, sizeof(l));
	assert_int_equal(fat_list_dir(&v, "dir", list_cb, &l), -E2BIG);
	assert_explains(&v, -E2BIG, "65536");
	assert_int_equal(fat_find(&v, "dir/nothing", &e), -E2BIG);
	assert_int_equal(fat_find(&v, "dir/FILE_IN_DIR.TXT", &e), 0);
	close(fd);

	/* Exactly the cap and then the chain ends: fine. */
	fset(&g, s + run - 6, eoc(&g));
	geo_store(img, &g);
	fd = vopen(img, &v);
	memset(&l, 0, sizeof(l));
	assert_int_equal(fat_list_dir(&v, "dir", list_cb, &l), 0);
	assert_int_equal(l.n, 2);
	/* The directory's chain leaves the volume. */
	fset(&g, c0, g.v.clusters + 2);
	geo_store(img, &g);
	fat_drop_cache(&v);	/* forget the FAT window read before */
	assert_int_equal(fat_list_dir(&v, "dir", list_cb, &l), -ERANGE);
	assert_int_equal(fat_find(&v, "dir/x", &e), -ERANGE);
	close(fd);
	free(orig);
	geo_free(&g);
	unlink(img);
}

/* Sets UTF-16 unit i (0-based) of the LFN entry at off. */
static void
set_unit(const char *img, uint64_t off, int i, uint16_t u)
{
	static const unsigned char at[13] = {
		1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30
	};
	unsigned char b[2] = { (unsigned char)u, (unsigned char)(u >> 8) };

	pw(img, off + at[i], b, 2);
}

static void
test_bad_names(void **state)
{
	const struct img *m = *state;
	unsigned char d[32], save[96];
	char img[512];
	struct fat_volume v;
	struct fat_entry e;
	struct geo g;
	uint64_t off;
	int fd;

	snprintf(img, sizeof(img), "%s/names%s.img", dir, m->fat);
	copy_img(m->path, img);
	geo_load(img, &g);

	/* Wrong checksum in every LFN entry: the 8.3 name stands. */
	off = dirent_off(img, &g, 0, "CHECKS~1TXT");
	pr(img, off - 64, save, sizeof(save));
	pr(img, off - 64, d, 32);
	assert_int_equal(d[0], 0x42);
	d[13] ^= 1;
	pw(img, off - 64, d, 32);
	pr(img, off - 32, d, 32);
	assert_int_equal(d[0], 0x01);
	d[13] ^= 1;
	pw(img, off - 32, d, 32);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "Checksum_Test_File.txt", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "checks~1.txt", &e), 0);
	assert_string_equal(e.name, "CHECKS~1.TXT");
	assert_int_equal(e.size, 9);
	close(fd);
	/* Ordinals out of sequence: the same. */
	pw(img, off - 64, save, sizeof(save));
	pr(img, off - 64, d, 32);
	d[0] = 0x43;
	pw(img, off - 64, d, 32);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "Checksum_Test_File.txt", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "CHECKS~1.TXT", &e), 0);
	close(fd);
	/* The LFN entry with the start of the name deleted: the same. */
	pw(img, off - 64, save, sizeof(save));
	d[0] = 0xe5;
	pw(img, off - 32, d, 1);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "CHECKS~1.TXT", &e), 0);
	assert_string_equal(e.name, "CHECKS~1.TXT");
	close(fd);
	pw(img, off - 64, save, sizeof(save));

	/* A surrogate pair in a long name becomes one 4-byte character. */
	off = dirent_off(img, &g, 0, "SURROG~1BIN");
	set_unit(img, off - 32, 10, 0xd83d);
	set_unit(img, off - 32, 11, 0xde00);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "surrogate_\xf0\x9f\x98\x80.BIN", &e), 0);
	assert_string_equal(e.name, "Surrogate_\xf0\x9f\x98\x80.bin");
	close(fd);
	/* An unpaired one makes the long name invalid. */
	set_unit(img, off - 32, 11, 'X');
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "SURROG~1.BIN", &e), 0);
	assert_string_equal(e.name, "SURROG~1.BIN");
	close(fd);

	/* Code page 437 in an 8.3 name, when the long name is gone. */
	off = dirent_off(img, &g, 0, "SCHL\x9aS~1TXT");
	pr(img, off - 32, d, 32);
	d[13] ^= 0x80;
	pw(img, off - 32, d, 32);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, SCHL, &e), -ENOENT);
	assert_int_equal(fat_find(&v, "SCHL\x9aS~1.TXT", &e), 0);
	assert_string_equal(e.name, "SCHL\xc3\x9cS~1.TXT");
	assert_string_equal(e.short_name, "SCHL\x9aS~1.TXT");
	close(fd);

	/* 0x05 in the first byte stands for 0xe5 (CP437 sigma). */
	off = dirent_off(img, &g, 0, "README  TXT");
	d[0] = 0x05;
	pw(img, off, d, 1);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "README.TXT", &e), -ENOENT);
	assert_int_equal(fat_find(&v, "\xe5" "EADME.TXT", &e), 0);
	assert_string_equal(e.name, "\xcf\x83" "EADME.TXT");
	close(fd);
	geo_free(&g);
	unlink(img);
}

static void
test_size_lies(void **state)
{
	const struct img *m = *state;
	unsigned char d[32], bad[32], buf[8192], *huge;
	char img[512];
	struct fat_volume v;
	struct fat_entry e;
	struct geo g;
	uint64_t off, vol;
	size_t len;
	int fd;

	snprintf(img, sizeof(img), "%s/size%s.img", dir, m->fat);
	copy_img(m->path, img);
	geo_load(img, &g);
	off = dirent_off(img, &g, 0, "LINUXP~1   ");
	pr(img, off, d, sizeof(d));
	memcpy(bad, d, sizeof(d));

	/* 4 GiB - 1: larger than any buffer; refused before reading. */
	put_le32(bad + 28, 0xffffffff);
	pw(img, off, bad, sizeof(bad));
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "LinuxPassPhraseFileName", &e), 0);
	assert_int_equal(e.size, 0xffffffff);
	len = 12345;
	assert_int_equal(fat_read_file(&v, &e, buf, sizeof(buf), &len), -EFBIG);
	assert_int_equal(len, 12345);
	close(fd);

	/* Larger than the volume but within a (large) buffer. */
	vol = (uint64_t)g.v.clusters * g.v.cluster_size;
	put_le32(bad + 28, (uint32_t)vol + 1);
	pw(img, off, bad, sizeof(bad));
	huge = malloc(vol + 1);
	assert_non_null(huge);
	fd = vopen(img, &v);
	assert_int_equal(fat_find(&v, "LinuxPassPhraseFileName", &e), 0);
	assert_int_equal(fat_read_file(&v, &e, huge, vol + 1, &len), -EUCLEAN);
	assert_explains(&v, -EUCLEAN, "larger than the volume");
	close(fd);
	free(huge);

	/* Larger than its one-cluster chain. */
	put_le32(bad + 28, 4096);
	pw(img, off, bad, sizeof(bad));
	fd = vopen(img, &v);
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(read_path(&v, "LinuxPassPhraseFileName", buf,
	    sizeof(buf), &len), -EUCLEAN);
	assert_explains(&v, -EUCLEAN, "ends before the file size");
	/* The part of the key that was read is wiped. */
	assert_zero(buf, 4096);
	assert_int_equal(buf[4096], 0xaa);
	close(fd);

	/* Within its one cluster. */
	put_le32(bad + 28, 100);
	pw(img, off, bad, sizeof(bad));
	fd = vopen(img, &v);
	assert_int_equal(read_path(&v, "LinuxPassPhraseFileName", buf,
	    sizeof(buf), &len), 0);
	assert_int_equal(len, 100);
	assert_memory_equal(buf, ade_key, 100);
	close(fd);
	pw(img, off, d, sizeof(d));
	geo_free(&g);
	unlink(img);
}

/* Up to two fields of the boot sector set to new values. */
struct bpb_case {
	const char	*why;
	unsigned	 at, len;
	uint32_t	 val;
	unsigned	 at2, len2;
	uint32_t	 val2;
};

static void
try_bpb(const char *img, const struct bpb_case *c, size_t n, unsigned type)
{
	unsigned char bs[512], bad[512];

	pr(img, 0, bs, sizeof(bs));
	for (size_t k = 0; k < n; k++) {
		struct fat_volume v;
		int fd, r;

		memcpy(bad, bs, sizeof(bs));
		for (unsigned i = 0; i < c[k].len; i++)
			bad[c[k].at + i] = (unsigned char)(c[k].val >> (8 * i));
		for (unsigned i = 0; i < c[k].len2; i++)
			bad[c[k].at2 + i] = (unsigned char)(c[k].val2 >> (8 * i));
		pw(img, 0, bad, sizeof(bad));
		r = vopen_size(img, &v, file_size(img), &fd);
		if (r != -EINVAL)
			fail_msg("FAT%u case %zu (%s): got %d", type, k, c[k].why,
			    r);
		assert_explains(&v, r, c[k].why);
		assert_int_equal(v.fd, -1);
		/* A failed open leaves nothing usable. */
		assert_int_equal(fat_list_dir(&v, "", list_cb, NULL), -EBADF);
		close(fd);
	}
	pw(img, 0, bs, sizeof(bs));
}

static void
test_bad_boot_sector(void **state)
{
	static const struct bpb_case common[] = {
		{ "signature", 510, 2, 0, 0, 0, 0 },
		{ "bytes per sector", 11, 2, 0, 0, 0, 0 },
		{ "bytes per sector", 11, 2, 768, 0, 0, 0 },
		{ "bytes per sector", 11, 2, 8192, 0, 0, 0 },
		{ "bytes per sector", 11, 2, 256, 0, 0, 0 },
		{ "sectors per cluster", 13, 1, 0, 0, 0, 0 },
		{ "sectors per cluster", 13, 1, 3, 0, 0, 0 },
		{ "sectors per cluster", 13, 1, 0x81, 0, 0, 0 },
		{ "reserved", 14, 2, 0, 0, 0, 0 },
		{ "number of FATs", 16, 1, 0, 0, 0, 0 },
		{ "number of FATs", 16, 1, 5, 0, 0, 0 },
		{ "media", 21, 1, 0x12, 0, 0, 0 },
	};
	static const struct bpb_case fat16[] = {
		{ "FAT32 boot sector layout", 22, 2, 0, 36, 4, 32 },
		{ "total sectors is zero", 19, 2, 0, 0, 0, 0 },
		{ "no data region", 19, 2, 40, 0, 0, 0 },
		{ "without root directory entries", 17, 2, 0, 0, 0, 0 },
		{ "FAT too small", 22, 2, 1, 0, 0, 0 },
		{ "sectors per cluster", 13, 1, 128, 11, 2, 1024 },
	};
	static const struct bpb_case fat32[] = {
		{ "root cluster", 44, 4, 0, 0, 0, 0 },
		{ "root cluster", 44, 4, 1, 0, 0, 0 },
		{ "root cluster", 44, 4, 0x0ffffff0, 0, 0, 0 },
		{ "16-bit FAT size", 22, 2, 1, 0, 0, 0 },
		{ "fixed root directory", 17, 2, 16, 0, 0, 0 },
		{ "FAT size is zero", 36, 4, 0, 0, 0, 0 },
		{ "FAT too small", 36, 4, 3, 0, 0, 0 },
		{ "no data region", 36, 4, 0xffffffff, 0, 0, 0 },
		{ "active FAT", 40, 2, 0x83, 0, 0, 0 },
		{ "total sectors is zero", 32, 4, 0, 0, 0, 0 },
	};
	char img[512];
	unsigned char bs[512], ext[2] = { 0x81, 0x00 };
	struct fat_volume v;
	int fd, r;

	(void)state;
	snprintf(img, sizeof(img), "%s/bpb16.img", dir);
	copy_img(IMG16->path, img);
	try_bpb(img, common, sizeof(common) / sizeof(common[0]), 16);
	try_bpb(img, fat16, sizeof(fat16) / sizeof(fat16[0]), 16);
	/* The device is smaller than the FATs and root directory. */
	r = vopen_size(img, &v, 8192, &fd);
	assert_int_equal(r, -EINVAL);
	assert_explains(&v, r, "past the end of the device");
	close(fd);
	r = vopen_size(img, &v, 511, &fd);
	assert_int_equal(r, -EINVAL);
	assert_explains(&v, r, "smaller than a boot sector");
	close(fd);
	/* 64 KiB clusters are allowed (with fewer of them: FAT12). */
	pr(img, 0, bs, sizeof(bs));
	bs[13] = 128;
	bs[11] = 0;
	bs[12] = 2;
	pw(img, 0, bs, sizeof(bs));
	fd = vopen(img, &v);
	assert_int_equal(v.cluster_size, 65536);
	close(fd);
	unlink(img);

	snprintf(img, sizeof(img), "%s/bpb32.img", dir);
	copy_img(IMG32->path, img);
	try_bpb(img, common, sizeof(common) / sizeof(common[0]), 32);
	try_bpb(img, fat32, sizeof(fat32) / sizeof(fat32[0]), 32);
	/* Mirroring off, FAT #1 active: that copy is read. */
	pw(img, 40, ext, 2);
	fd = vopen(img, &v);
	assert_int_equal(v.fat_offset, (uint64_t)(32 + 1 * (v.fat_bytes / 512))
	    * 512);
	assert_key_at(&v, "LinuxPassPhraseFileName");
	close(fd);
	unlink(img);
}

static void
test_not_fat(void **state)
{
	static const char zeros[65536];
	char img[512];
	struct fat_volume v;
	struct fat_entry e;
	int fd, r;

	(void)state;
	snprintf(img, sizeof(img), "%s/zeros.img", dir);
	assert_int_equal(tu_write_file(img, zeros, sizeof(zeros)), 0);
	r = vopen_size(img, &v, sizeof(zeros), &fd);
	assert_int_equal(r, -EINVAL);
	assert_explains(&v, r, "not a FAT filesystem");
	close(fd);
	/* The file is shorter than the size the caller claims. */
	assert_int_equal(tu_write_file(img, zeros, 100), 0);
	r = vopen_size(img, &v, 4096, &fd);
	assert_int_equal(r, -EIO);
	assert_explains(&v, r, "short read");
	close(fd);
	unlink(img);

	snprintf(img, sizeof(img), "%s/ext4.img", dir);
	RUN("truncate", "-s", "4M", img);
	RUN("mkfs.ext4", "-q", "-F", img);
	r = vopen_size(img, &v, file_size(img), &fd);
	assert_int_equal(r, -EINVAL);
	close(fd);
	unlink(img);

	assert_int_equal(fat_open(&v, -1, 1 << 20), -EBADF);
	assert_int_equal(fat_find(&v, "x", &e), -EBADF);
	assert_string_equal(fat_explain(&v, -EBADF), "volume not open");
}

/* The device ends before the volume does. */
static void
test_short_device(void **state)
{
	const struct img *m = *state;
	unsigned char d[32], bad[32], buf[8192];
	char img[512], cut[64];
	struct fat_volume v;
	struct geo g;
	uint64_t off, full, keep;
	size_t len;
	int fd, r;

	snprintf(img, sizeof(img), "%s/short%s.img", dir, m->fat);
	copy_img(m->path, img);
	geo_load(img, &g);
	full = file_size(img);
	keep = cluster_off(&g, 200);
	off = dirent_off(img, &g, 0, "LINUXP~1   ");
	pr(img, off, d, sizeof(d));
	memcpy(bad, d, sizeof(d));
	bad[26] = (unsigned char)(g.v.clusters + 1);
	bad[27] = (unsigned char)((g.v.clusters + 1) >> 8);
	bad[20] = (unsigned char)((g.v.clusters + 1) >> 16);
	bad[21] = (unsigned char)((g.v.clusters + 1) >> 24);
	pw(img, off, bad, sizeof(bad));
	snprintf(cut, sizeof(cut), "%llu", (unsigned long long)keep);
	RUN("truncate", "-s", cut, img);
	/* The caller's size is right: the last cluster is past it. */
	r = vopen_size(img, &v, keep, &fd);
	assert_int_equal(r, 0);
	assert_int_equal(read_path(&v, "LinuxPassPhraseFileName", buf,
	    sizeof(buf), &len), -ERANGE);
	assert_explains(&v, -ERANGE, "past the end of the device");
	close(fd);
	/* The caller's size is wrong: the read comes back short. */
	r = vopen_size(img, &v, full, &fd);
	assert_int_equal(r, 0);
	assert_int_equal(read_path(&v, "LinuxPassPhraseFileName", buf,
	    sizeof(buf), &len), -EIO);
	assert_explains(&v, -EIO, "short read");
	/* What lies before the cut still reads. */
	assert_key_at(&v, "LinuxPassPhraseFileName_1_0");
	close(fd);
	geo_free(&g);
	unlink(img);
}

static void
test_strerror(void **state)
{
	static const int codes[] = {
		-EINVAL, -ERANGE, -ELOOP, -EUCLEAN, -E2BIG, -EFBIG, -ENOENT,
		-EDQUOT, -ETIMEDOUT,
		-ENOTDIR, -EISDIR, -EIO, -ENAMETOOLONG, -EBADF,
	};
	const size_t n = sizeof(codes) / sizeof(codes[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		assert_string_not_equal(fat_strerror(codes[i]), "unknown error");
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(fat_strerror(codes[i]),
			    fat_strerror(codes[j]));
	}
	assert_string_equal(fat_strerror(-ELOOP), "cluster chain loops");
	assert_string_equal(fat_strerror(-EPERM), "unknown error");
	assert_string_equal(fat_explain(NULL, -EIO), fat_strerror(-EIO));
}

/*
 * The work budget and the deadline: a read that needs more bytes or links
 * than are left, or comes after the deadline, fails with its reason, and so
 * does every later call.
 */
static void
test_limits(void **state)
{
	const struct img *m = *state;
	struct fat_volume v;
	struct fat_entry e;
	unsigned char buf[8192];
	size_t len;
	int fd = vopen(m->path, &v);

	/* chain.bin: 10 clusters, 9 links to follow and 1 to see the end. */
	assert_int_equal(fat_find(&v, "chain.bin", &e), 0);
	fat_set_limits(&v, FAT_BUDGET_BYTES, 9, 0);
	assert_int_equal(fat_read_file(&v, &e, buf, sizeof(buf), &len),
	    -EDQUOT);
	assert_explains(&v, -EDQUOT, "more cluster links than any BEK volume");
	assert_zero(buf, CHAIN_LEN);
	fat_set_limits(&v, FAT_BUDGET_BYTES, 10, 0);
	assert_int_equal(fat_read_file(&v, &e, buf, sizeof(buf), &len), 0);
	assert_int_equal(len, CHAIN_LEN);
	/* Bytes: the file's own 5000 and the FAT windows' reads. */
	fat_set_limits(&v, 4096, FAT_BUDGET_LINKS, 0);
	assert_int_equal(fat_read_file(&v, &e, buf, sizeof(buf), &len),
	    -EDQUOT);
	assert_explains(&v, -EDQUOT, "more reading than any BEK volume");
	assert_int_equal(fat_find(&v, "LinuxPassPhraseFileName", &e), -EDQUOT);
	/* A deadline already past: caught within 256 reads and links. */
	fat_set_limits(&v, FAT_BUDGET_BYTES, FAT_BUDGET_LINKS, 1);
	for (int i = 0; i < 64; i++) {
		int r = read_path(&v, "chain.bin", buf, sizeof(buf), &len);

		if (r == -ETIMEDOUT)
			break;
		assert_int_equal(r, 0);
	}
	assert_explains(&v, -ETIMEDOUT, "longer than the deadline");
	assert_int_equal(read_path(&v, "LinuxPassPhraseFileName", buf,
	    sizeof(buf), &len), -EDQUOT);
	/* fat_open() starts with the whole budget and no deadline. */
	close(fd);
	fd = vopen(m->path, &v);
	assert_int_equal(v.budget_links, FAT_BUDGET_LINKS);
	assert_true(v.deadline_ms == 0);
	assert_int_equal(read_path(&v, "chain.bin", buf, sizeof(buf), &len), 0);
	close(fd);
}

#define PER_TYPE(f) \
	{ #f "_fat12", f, NULL, NULL, &imgs[0] }, \
	{ #f "_fat16", f, NULL, NULL, &imgs[1] }, \
	{ #f "_fat32", f, NULL, NULL, &imgs[2] }

int
main(void)
{
	const struct CMUnitTest tests[] = {
		PER_TYPE(test_key_file),
		PER_TYPE(test_names),
		PER_TYPE(test_list_dir),
		PER_TYPE(test_subdirs),
		PER_TYPE(test_deleted),
		PER_TYPE(test_read_cases),
		PER_TYPE(test_fragmented),
		PER_TYPE(test_limits),
		{ "test_full_root_fat12", test_full_root, NULL, NULL, IMG12 },
		{ "test_full_root_fat16", test_full_root, NULL, NULL, IMG16 },
		PER_TYPE(test_bad_chains),
		{ "test_endless_dirs_fat16", test_endless_dirs, NULL, NULL,
		  IMG16 },
		PER_TYPE(test_bad_names),
		PER_TYPE(test_size_lies),
		cmocka_unit_test(test_bad_boot_sector),
		cmocka_unit_test(test_not_fat),
		PER_TYPE(test_short_device),
		cmocka_unit_test(test_strerror),
	};

	if (access("/usr/sbin/mkfs.vfat", X_OK) != 0 &&
	    access("/sbin/mkfs.vfat", X_OK) != 0)
		TU_SKIP_PROGRAM("mkfs.vfat (dosfstools) is not installed");
	if (access("/usr/bin/mcopy", X_OK) != 0)
		TU_SKIP_PROGRAM("mcopy (mtools) is not installed");
	return cmocka_run_group_tests_name("fat", tests, group_setup,
	    group_teardown);
}
