/* SPDX-License-Identifier: MIT */
/* fuzz_conf.c: conf_parse on any bytes: no crash, no overflow, no junk. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)
#define TERMINATED(a)	CHECK(memchr((a), '\0', sizeof(a)) != NULL)

static struct conf c;
static struct config_error err;
static struct config_warnings warn;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r;

	memset(&warn, 0, sizeof(warn));
	conf_init(&c);
	r = conf_parse((const char *)data, size, "fuzz", &c, &err, &warn);
	if (r < 0) {
		CHECK(r == -EINVAL || r == -ENAMETOOLONG || r == -E2BIG);
		TERMINATED(err.file);
		TERMINATED(err.field);
		TERMINATED(err.reason);
		CHECK(err.line > 0 && err.reason[0] != '\0');
		return 0;
	}
	CHECK(r == 0);
	TERMINATED(c.label);
	TERMINATED(c.bek_uuid);
	TERMINATED(c.kek_path);
	CHECK(c.label[0] != '\0' && c.kek_path[0] == '/');
	CHECK(c.timeout_s >= 0 && c.timeout_s <= CONFIG_TIMEOUT_MAX);
	CHECK(c.device_timeout_s <= CONFIG_TIMEOUT_MAX);
	CHECK(c.parallel <= CONF_MAX_PARALLEL);
	CHECK(c.n_keys <= CONF_MAX_KEYS);
	for (unsigned i = 0; i < c.n_keys; i++) {
		TERMINATED(c.keys[i].name);
		TERMINATED(c.keys[i].file);
		CHECK(config_dm_name_valid(c.keys[i].name,
		    strlen(c.keys[i].name)));
		CHECK(c.keys[i].file[0] != '\0' && c.keys[i].file[0] != '/');
		CHECK(conf_key_file(&c, c.keys[i].name) == c.keys[i].file);
	}
	for (unsigned i = 0; i < warn.count && i < CONFIG_WARNINGS_MAX; i++)
		TERMINATED(warn.msg[i]);
	return 0;
}
