/* SPDX-License-Identifier: MIT */
/* fuzz_crypttab.c: crypttab_parse and BEK ownership on any bytes, safely. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypttab.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)
#define TERMINATED(a)	CHECK(memchr((a), '\0', sizeof(a)) != NULL)

static struct crypttab t;
static struct config_error err;
static struct config_warnings warn;

/* A path on the BEK volume as crypttab_entry_bek_file() promises it. */
static void
check_bek_file(const char *f)
{
	size_t n = strlen(f);

	CHECK(n > 0 && f[0] != '/' && f[n - 1] != '/');
	CHECK(strstr(f, "//") == NULL);
	CHECK(strcmp(f, "..") != 0 && strncmp(f, "../", 3) != 0);
	CHECK(strstr(f, "/../") == NULL);
	CHECK(n < 3 || strcmp(f + n - 3, "/..") != 0);
}

static void
check_entry(const struct crypttab_entry *e)
{
	static const char *const labels[] = { NULL, "BEK VOLUME", "x" };
	char f[256];

	TERMINATED(e->name);
	TERMINATED(e->device);
	TERMINATED(e->keyfile);
	TERMINATED(e->keyfile_dev);
	TERMINATED(e->header);
	TERMINATED(e->header_dev);
	CHECK(config_dm_name_valid(e->name, strlen(e->name)));
	CHECK(e->device[0] != '\0');
	CHECK(e->keyfile_size <= CRYPTTAB_KEYFILE_SIZE_MAX);
	CHECK(e->keyfile_offset <= (uint64_t)CRYPTTAB_KEYFILE_OFFSET_MAX);
	CHECK(e->tries <= CRYPTTAB_TRIES_MAX);
	CHECK(e->prompt_timeout_s <= CONFIG_TIMEOUT_MAX);
	CHECK(e->device_timeout_s <= CONFIG_TIMEOUT_MAX);
	CHECK(e->device_timeout_set || e->device_timeout_s == 0);
	CHECK(e->keyfile_timeout_s <= CONFIG_TIMEOUT_MAX);
	CHECK(!(e->flags & CT_HEADER) == (e->header[0] == '\0'));
	CHECK(e->keyfile_dev[0] == '\0' || e->keyfile[0] != '\0');
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		for (int u = 0; u < 2; u++) {
			int r = crypttab_entry_bek_file(e, labels[i],
			    u ? "ABCD-1234" : NULL, f, sizeof(f));

			CHECK(r == 0 || r == 1);
			if (r == 1)
				check_bek_file(f);
		}
	}
	/* A tiny output buffer is refused, never overrun. */
	CHECK(crypttab_entry_bek_file(e, NULL, NULL, f, 2) <= 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r;

	memset(&warn, 0, sizeof(warn));
	t.n = 0;
	r = crypttab_parse((const char *)data, size, "fuzz", &t, &err, &warn);
	if (r < 0) {
		CHECK(r == -EINVAL || r == -ENAMETOOLONG || r == -E2BIG);
		TERMINATED(err.file);
		TERMINATED(err.field);
		TERMINATED(err.reason);
		CHECK(err.line > 0 && err.reason[0] != '\0');
		CHECK(t.n == 0);
		return 0;
	}
	CHECK(r == 0 && t.n <= CRYPTTAB_MAX_ENTRIES);
	for (unsigned i = 0; i < t.n; i++) {
		check_entry(&t.e[i]);
		CHECK(crypttab_find(&t, t.e[i].name) == &t.e[i]);
		/* ADE's glued line: two entries of one line number. */
		CHECK(i == 0 || t.e[i].line >= t.e[i - 1].line);
	}
	for (unsigned i = 0; i < warn.count && i < CONFIG_WARNINGS_MAX; i++)
		TERMINATED(warn.msg[i]);
	return 0;
}
