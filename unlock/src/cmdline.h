/* SPDX-License-Identifier: MIT */
/* cmdline.h: kernel command line options ade-unlock honours (DESIGN 3.1). */
#ifndef ADE_CMDLINE_H
#define ADE_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

#define CMDLINE_MAX_UUIDS	64
/* Longest single word looked at; a longer word of ours is ignored. */
#define CMDLINE_WORD_MAX	4096
/* The buffer cmdline_read_all() is meant to fill: all sources together. */
#define CMDLINE_TEXT_MAX	65536
/* cmdline_read_all() reads at most this many "*.conf" files. */
#define CMDLINE_DIR_MAX_FILES	128

struct cmdline {
	bool		disabled;	/* rd.ade=0 (no/off/false/n/f too);
					 * rd.ade=1/yes/on/true or bare rd.ade
					 * = enabled. ADE's old spelling
					 * rd_NO_ADE = rd.ade=0, unless an
					 * rd.ade= is given (see below) */
	const char	*disabled_by;	/* when disabled: "rd.ade=0" or
					 * "rd_NO_ADE" (static strings), for
					 * the log; NULL otherwise */
	bool		unlock_disabled; /* rd.ade.unlock=0 (booleans as
					 * rd.ade; bare = 1): ade-unlock alone
					 * stands down, so that ADE's own dracut
					 * module can unlock; rd.ade=0 means no
					 * ADE unlock by anyone */
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
	char		ade_partuuid[40]; /* rd.luks.ade.partuuid= (or ADE's
					 * old rd_LUKS_PARTUUID=): a GPT
					 * PARTUUID or an MBR one (1234abcd-02),
					 * lowercase; "" if not given */
	char		ade_bootuuid[40]; /* rd.luks.ade.bootuuid= (or
					 * rd_LUKS_BOOTUUID=): a UUID
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
 * rd.luks.ade.* option is a warning (a typo of ours).
 *
 * One bad word never disables the run. A malformed, missing or too long
 * value of one of ours is a warning naming the option and the quoted value
 * ("kernel command line: rd.luks.uuid='garbage': not a UUID (8-4-4-4-12
 * hexadecimal digits); ignored"), and that one word is ignored as if it had
 * not been written: the option keeps its earlier value or its default, and
 * parsing goes on. This holds for rd.luks.uuid= and rd.luks.name= too: a
 * malformed one does not make the lists a filter, so when it is the only
 * one, every device is allowed (with the warning saying why). (systemd's
 * generator ignores an rd.luks.name= it cannot split the same way, but takes
 * any rd.luks.uuid= unchecked: see opt_uuid() in cmdline.c.) Beyond
 * CMDLINE_MAX_UUIDS UUIDs (or names), one warning, the rest ignored.
 *
 * ADE's dracut module (91adeOnline) reads its options with dracut's
 * getarg/getargbool and their deprecated spellings; ade-unlock reads them
 * the same way:
 *   getargbool 1 rd.ade -d -n rd_NO_ADE
 *   getarg rd.luks.ade.partuuid -d rd_LUKS_PARTUUID
 *   getarg rd.luks.ade.bootuuid -d rd_LUKS_BOOTUUID
 * dracut (modules.d/99base/dracut-lib.sh) looks the names up in that order
 * and stops at the first found, each found by its last occurrence: so the
 * new spelling, anywhere on the line, wins over the old one, whatever their
 * order, and the old one counts only when the new one is absent. rd_NO_ADE
 * (bare, or with any value: -n only asks whether it is there; "rd_NO_ADE="
 * with an empty value counts as absent, as in dracut) means rd.ade=0.
 * rd_LUKS_PARTUUID= and rd_LUKS_BOOTUUID= take the values of the new
 * spellings. A malformed new spelling is ignored (above), so then the old
 * one applies; dracut would pass the bad value on instead.
 *
 * Returns 0; a negative errno only for an internal failure (none today), with
 * err (file "", line 0) saying why. Starts from cmdline_init(); ret is
 * written on success only.
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

/*
 * Builds the command line as dracut's getcmdline() does: the "*.conf" files
 * of dir (names not starting with '.', in strcmp order, at most
 * CMDLINE_DIR_MAX_FILES), then the file etc_cmdline, then proc_cmdline,
 * separated by spaces, so later words override earlier ones. dracut's
 * host-only command line (--hostonly-cmdline: rd.luks.uuid= and friends)
 * lives in the image's /etc/cmdline.d. dir or etc_cmdline may be NULL (not
 * read); a missing one is fine. Files are read by conf_read_file(): regular
 * files only, so a symlink, FIFO or directory is not read, with a warning,
 * as is an unreadable file, one with a NUL byte inside, and an over-long
 * name. Newlines become spaces; '#' is not a comment (dracut does not strip
 * comments either). A file with an odd number of double quotes gets one
 * appended, with a warning, so its quote cannot swallow the next file's
 * words. proc_cmdline must exist (its error is returned) and is cut at its
 * first NUL, as cmdline_parse() would. The total is bounded by cap - 1
 * bytes: proc_cmdline is read first and its words always come last; a
 * file that does not fit in the rest is ignored together with those after
 * it, with a warning. Writes the NUL-terminated text to buf and its length
 * to *ret_len (on success only). Returns 0, or -errno (-EFBIG when
 * proc_cmdline alone does not fit); on failure buf holds "".
 */
int cmdline_read_all(const char *dir, const char *etc_cmdline,
    const char *proc_cmdline, char *buf, size_t cap, size_t *ret_len,
    struct config_warnings *warn);

#endif
