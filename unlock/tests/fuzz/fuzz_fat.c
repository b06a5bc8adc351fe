/* SPDX-License-Identifier: MIT */
/* fuzz_fat.c: the FAT reader on arbitrary disk images never crashes, hangs or leaks. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fat.h"

/* Files read per listing, so that one input stays fast. */
#define READS_PER_LIST	4

struct walk {
	struct fat_volume	*v;
	unsigned		 reads;
	char			 subdir[FAT_NAME_MAX];
};

static int memfd = -1;

/* Every name handed out is a NUL-terminated, well-formed UTF-8 string. */
static void
check_utf8(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strnlen(s, max);

	if (len >= max)
		abort();
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		size_t n;

		if (c < 0x80)
			n = 0;
		else if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3;
		else
			abort();
		if (n > len - i - 1)
			abort();
		for (size_t k = 1; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				abort();
		i += n + 1;
	}
}

static void
check_entry(const struct fat_entry *e)
{
	check_utf8(e->name, sizeof(e->name));
	if (strnlen(e->short_name, sizeof(e->short_name)) >=
	    sizeof(e->short_name))
		abort();
}

/* Reads e whole, and checks what the reader promises about it. */
static void
read_entry(struct fat_volume *v, const struct fat_entry *e)
{
	unsigned char buf[8192];
	size_t len = 0xdead;
	int r;

	r = fat_read_file(v, e, buf, sizeof(buf), &len);
	if (fat_explain(v, r) == NULL)
		abort();
	if (r == 0 && len != e->size)
		abort();
	if (r < 0 && len != 0xdead)
		abort();
	if ((e->attr & FAT_ATTR_DIRECTORY) && r != -EISDIR)
		abort();
}

static int
list_cb(const struct fat_entry *e, void *userdata)
{
	struct walk *w = userdata;

	check_entry(e);
	if (e->attr & FAT_ATTR_DIRECTORY) {
		if (w->subdir[0] == '\0')
			memcpy(w->subdir, e->name, strlen(e->name) + 1);
	} else if (w->reads++ < READS_PER_LIST) {
		read_entry(w->v, e);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
		"LinuxPassPhraseFileName", "linuxpassphrasefilename_1_0",
		"/dir/sub/deeper/Nested_Key_File", "README.TXT", "LINUXP~1",
		"chain.bin", "dir/sub", "dir/file_in_dir.txt/", "a/b/c/d/e",
	};
	struct fat_volume v;
	struct fat_entry e;
	struct walk w;
	int r;

	if (memfd < 0 && (memfd = memfd_create("fuzz-fat", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(memfd, 0) < 0)
		abort();
	if (size > 0 && pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();
	r = fat_open(&v, memfd, size);
	if (fat_explain(&v, r) == NULL)
		abort();
	if (r < 0)
		return 0;
	memset(&w, 0, sizeof(w));
	w.v = &v;
	(void)fat_list_dir(&v, "", list_cb, &w);
	if (w.subdir[0] != '\0') {
		char sub[FAT_NAME_MAX];

		memcpy(sub, w.subdir, sizeof(sub));
		w.subdir[0] = '\0';
		w.reads = 0;
		(void)fat_list_dir(&v, sub, list_cb, &w);
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (fat_find(&v, paths[i], &e) == 0) {
			check_entry(&e);
			read_entry(&v, &e);
		}
	}
	fat_drop_cache(&v);
	return 0;
}
