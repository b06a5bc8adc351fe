/* SPDX-License-Identifier: MIT */
/* fuzz_cmdline.c: cmdline_parse on any bytes: no crash, overflow or junk. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cmdline.h"

#define CHECK(x)	do { if (!(x)) __builtin_trap(); } while (0)
#define TERMINATED(a)	CHECK(memchr((a), '\0', sizeof(a)) != NULL)

static struct cmdline c;
static struct conf cf;
static struct config_error err;
static struct config_warnings warn;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r;

	memset(&warn, 0, sizeof(warn));
	cmdline_init(&c);
	r = cmdline_parse((const char *)data, size, &c, &err, &warn);
	/* A bad word is a warning: parsing never fails on input. */
	CHECK(r == 0);
	CHECK(c.disabled == (c.disabled_by != NULL));
	CHECK(c.disabled_by == NULL || strcmp(c.disabled_by, "rd.ade=0") == 0 ||
	    strcmp(c.disabled_by, "rd_NO_ADE") == 0);
	CHECK(c.n_uuids <= CMDLINE_MAX_UUIDS && c.n_names <= CMDLINE_MAX_UUIDS);
	CHECK(c.timeout_s >= -1 && c.timeout_s <= CONFIG_TIMEOUT_MAX);
	TERMINATED(c.label);
	CHECK(!c.label_set || c.label[0] != '\0');
	TERMINATED(c.ade_partuuid);
	TERMINATED(c.ade_bootuuid);
	for (unsigned i = 0; i < c.n_uuids; i++) {
		CHECK(config_uuid_valid(c.uuids[i], strlen(c.uuids[i])));
		CHECK(cmdline_uuid_allowed(&c, c.uuids[i]) == !c.luks_disabled);
	}
	for (unsigned i = 0; i < c.n_names; i++) {
		CHECK(config_uuid_valid(c.names[i].uuid,
		    strlen(c.names[i].uuid)));
		CHECK(config_dm_name_valid(c.names[i].name,
		    strnlen(c.names[i].name, sizeof(c.names[i].name))));
		CHECK(cmdline_uuid_name(&c, c.names[i].uuid) != NULL);
	}
	for (unsigned i = 0; i < warn.count && i < CONFIG_WARNINGS_MAX; i++) {
		TERMINATED(warn.msg[i]);
		CHECK(strncmp(warn.msg[i], "kernel command line: ", 21) == 0);
	}
	(void)cmdline_uuid_allowed(&c,
	    "luks-0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3");
	conf_init(&cf);
	cmdline_apply(&c, &cf);
	TERMINATED(cf.label);
	return 0;
}
