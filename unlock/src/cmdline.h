/* SPDX-License-Identifier: MIT */
/* cmdline.h: kernel command line options ade-unlock honours (DESIGN 3.1). */
#ifndef ADE_CMDLINE_H
#define ADE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

#define CMDLINE_MAX_UUIDS	64
/* Longest single word looked at; a longer word of ours is an error. */
#define CMDLINE_WORD_MAX	4096

struct cmdline {
	bool		disabled;	/* rd.ade=0 (no/off/false/n/f too);
					 * rd.ade=1/yes/on/true or bare rd.ade
					 * = enabled */
	bool		luks_disabled;	/* rd.luks=0 (same words; bare = 1) */
	int		timeout_s;	/* rd.ade.timeout=SEC, -1 if not given;
					 * 0 = no wait; capped at
					 * CONFIG_TIMEOUT_MAX with a warning */
	bool		label_set;
	char		label[64];	/* rd.ade.label=, quotes removed, \xNN
					 * escapes decoded ("BEK\x20VOLUME") */
	bool		debug;		/* rd.ade.debug (bare) or =bool */
	unsigned	n_uuids;	/* rd.luks.uuid= (repeatable, deduped):
					 * "luks-" prefix stripped, lowercase */
	char		uuids[CMDLINE_MAX_UUIDS][40];
	unsigned	n_names;	/* rd.luks.name=UUID=NAME (repeatable; a
					 * UUID given again: the last wins) */
	struct {
		char	uuid[40];	/* as uuids[] */
		char	name[128];	/* a valid device-mapper name */
	} names[CMDLINE_MAX_UUIDS];
	char		ade_partuuid[40]; /* rd.luks.ade.partuuid=: a GPT
					 * PARTUUID or an MBR one (1234abcd-02),
					 * lowercase; "" if not given */
	char		ade_bootuuid[40]; /* rd.luks.ade.bootuuid=: a UUID
					 * (lowercase) or a FAT volume id
					 * (uppercase); "" if not given */
};

/* Defaults: enabled, timeout_s -1, nothing else set. */
void cmdline_init(struct cmdline *c);

/*
 * Parses a kernel command line (/proc/cmdline's text, len bytes; parsing
 * stops at a NUL). Linux syntax: words separated by whitespace, double
 * quotes group and are removed wherever they are (rd.ade.label="BEK VOLUME"),
 * an unterminated quote runs to the end. A scalar given twice: the last
 * wins. Options that are not ours are ignored; an unknown rd.ade.* or
 * rd.luks.ade.* option is a warning (a typo of ours). A malformed value of
 * one of ours is -EINVAL (-ENAMETOOLONG when too long, -E2BIG for more than
 * CMDLINE_MAX_UUIDS UUIDs or names) with err->field naming the option (file
 * "", line 0). Starts from cmdline_init(); ret is written on success only.
 */
int cmdline_parse(const char *text, size_t len, struct cmdline *ret,
    struct config_error *err, struct config_warnings *warn);

/*
 * Precedence: the command line overrides the conf file. Copies rd.ade.label
 * (if given) into conf->label and rd.ade.timeout (if given) into
 * conf->timeout_s. rd.ade.debug has no conf key: c->debug is the switch.
 */
void cmdline_apply(const struct cmdline *c, struct conf *conf);

/*
 * Whether the LUKS device with this UUID may be opened, as systemd and
 * dracut read rd.luks=: false after rd.luks=0; when rd.luks.uuid= or
 * rd.luks.name= were given, true only for the UUIDs listed there (either
 * list); true otherwise. uuid may carry a "luks-" prefix; case is ignored.
 */
bool cmdline_uuid_allowed(const struct cmdline *c, const char *uuid);

/* The rd.luks.name= name for this UUID (as above), or NULL. */
const char *cmdline_uuid_name(const struct cmdline *c, const char *uuid);

#endif
