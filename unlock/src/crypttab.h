/* SPDX-License-Identifier: MIT */
/* crypttab.h: /etc/crypttab in systemd's crypttab(5) syntax (DESIGN 3.2). */
#ifndef ADE_CRYPTTAB_H
#define ADE_CRYPTTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

#define CRYPTTAB_MAX_ENTRIES	128
/* Largest keyfile-size=: bigger key files are refused anyway (DESIGN 4.2). */
#define CRYPTTAB_KEYFILE_SIZE_MAX	8192
/* Largest keyfile-offset=: it must fit in off_t. */
#define CRYPTTAB_KEYFILE_OFFSET_MAX	INT64_MAX
#define CRYPTTAB_TRIES_MAX	1000

/* The mount points ADE uses for the BEK volume (DESIGN 4.1). */
#define CRYPTTAB_ADE_BEK_DIR	"/mnt/azure_bek_disk/"
#define CRYPTTAB_ADE_BEK_DIR2	"/bek/"

enum crypttab_flag {
	CT_DISCARD			= 1 << 0, /* also allow-discards */
	CT_READONLY			= 1 << 1, /* readonly, read-only */
	CT_NOFAIL			= 1 << 2,
	CT_SAME_CPU_CRYPT		= 1 << 3,
	CT_SUBMIT_FROM_CRYPT_CPUS	= 1 << 4,
	CT_NO_READ_WORKQUEUE		= 1 << 5,
	CT_NO_WRITE_WORKQUEUE		= 1 << 6,
	CT_INITRD_ATTACH		= 1 << 7, /* x-initrd.attach */
	CT_NETDEV			= 1 << 8, /* _netdev: skipped */
	CT_LUKS				= 1 << 9,
	CT_HEADER			= 1 << 10, /* header= given */
	CT_NOAUTO			= 1 << 11, /* noauto: not opened unless
						    * rd.luks.uuid= names it */
};

struct crypttab_entry {
	char		name[128];	/* a device-mapper name (see
					 * config_dm_name_valid()) */
	char		device[256];	/* as written, unescaped: UUID=...,
					 * PARTUUID=, LABEL=, PARTLABEL=, ID=,
					 * or an absolute path */
	char		keyfile[256];	/* "" when absent, "-" or "none" */
	char		keyfile_dev[256]; /* "/FILE:DEVICE" form: DEVICE (e.g.
					 * "LABEL=BEK VOLUME"); keyfile then
					 * holds FILE; "" otherwise */
	char		header[256];	/* header=PATH[:DEVICE]: PATH */
	char		header_dev[256]; /* DEVICE, "" when not given */
	unsigned	flags;		/* enum crypttab_flag */
	/*
	 * x-systemd.device-timeout=: systemd waits this long for the device
	 * to show up; so does ade-unlock, per device, instead of the conf
	 * file's device-timeout. 0 means do not wait (valid: the flag tells
	 * it from unset); "infinity" is capped at CONFIG_TIMEOUT_MAX.
	 */
	unsigned	device_timeout_s;
	bool		device_timeout_set;
	/*
	 * timeout=: systemd's password prompt timeout (0 = unset here; to
	 * systemd also "no timeout"). ade-unlock never prompts: kept only so
	 * the option is known. Not the device wait.
	 */
	unsigned	prompt_timeout_s;
	/*
	 * keyfile-timeout=: systemd waits this long for the key file's device
	 * before falling back to a password (0 = unset). Parsed, not used.
	 */
	unsigned	keyfile_timeout_s;
	uint64_t	keyfile_size;	/* keyfile-size=: bytes read from the
					 * key file (0 = unset: all of it) */
	uint64_t	keyfile_offset;	/* keyfile-offset=: bytes skipped at
					 * its start (0 = unset) */
	unsigned	tries;		/* tries=: password attempts for
					 * systemd (0 = unset); not used */
	unsigned	line;		/* line number in the file */
};

struct crypttab {
	unsigned		n;
	struct crypttab_entry	e[CRYPTTAB_MAX_ENTRIES];
};

/*
 * Parses crypttab text (len bytes; NUL-terminated or not; a NUL followed by
 * anything but NULs is an error). struct crypttab is about 220 KB: callers
 * keep it static or on the heap. The parser itself uses about 30 KB of stack.
 *
 * Lines: '#' comment lines and blank lines are ignored; leading and trailing
 * whitespace (and a CR) dropped; fields separated by blanks; 2 to 4 fields
 * "name device [keyfile [options]]". Every field is unescaped as systemd's
 * unit files do (config_unescape(): \xNN, \\, octal, ...), options one by
 * one after splitting at unescaped commas. A key file or header=
 * "FILE:DEVICE" is split at the first ':' followed by a device spec
 * (UUID=, PARTUUID=, LABEL=, PARTLABEL=, ID=, /dev/).
 *
 * ADE's glued line: ADE appends its OS-disk line (options ending in
 * "header=/boot/luks/osluksheader") without a newline and then a data-disk
 * line right after it. A line of 5 to 7 fields whose 4th field has an option
 * "header=/boot/luks/osluksheader" followed directly by more bytes (not ',')
 * is read as two entries, split after "osluksheader": fields 1 to 4, then
 * the rest of field 4 and fields 5 on (2 to 4 fields). Both get the line's
 * number, with a warning naming both entries.
 *
 * Options, as in crypttab(5): luks, header=, discard, allow-discards,
 * readonly, read-only, nofail, keyfile-size= (1..8192), keyfile-offset=,
 * tries= (0..1000), no-read-workqueue, no-write-workqueue, same-cpu-crypt,
 * submit-from-crypt-cpus, x-initrd.attach into fields and flags; the
 * durations x-systemd.device-timeout= (the device wait), timeout= (the
 * password prompt, unused) and keyfile-timeout= (unused) as
 * config_parse_seconds() reads them, capped at CONFIG_TIMEOUT_MAX with a
 * warning ("infinity" too); _netdev sets CT_NETDEV and warns that it is
 * skipped; noauto sets CT_NOAUTO; other systemd options ("plain", other
 * "x-systemd.*", "tpm2-device=", ...) and unknown ones are a warning naming
 * the option and the line, then ignored.
 *
 * Errors (-EINVAL unless said): fewer than 2 or more than 4 fields (but
 * for ADE's glued line), a line over CONFIG_LINE_MAX bytes, a bad escape,
 * an invalid name, a device that is neither a spec nor an absolute path, an
 * empty key file or header path, a bad option value; a field longer than its buffer (-ENAMETOOLONG); more
 * than CRYPTTAB_MAX_ENTRIES entries (-E2BIG); a name used twice (naming
 * both lines). err names file, line and field; ret is written on success
 * only. filename (may be NULL) is used in err and warnings.
 */
int crypttab_parse(const char *text, size_t len, const char *filename,
    struct crypttab *ret, struct config_error *err,
    struct config_warnings *warn);

/*
 * Whether the entry's key file lives on the BEK volume, and where on it:
 * - ADE's form: keyfile under CRYPTTAB_ADE_BEK_DIR or CRYPTTAB_ADE_BEK_DIR2
 *   with no keyfile_dev (the rest of the path is the file on the volume);
 * - systemd's form: keyfile_dev is "LABEL=<label>" (exact match after
 *   unescaping, double quotes around the label allowed),
 *   "/dev/disk/by-label/<label>", or, when bek_uuid is not NULL or "",
 *   "UUID=<bek_uuid>" or "/dev/disk/by-uuid/<bek_uuid>" (case ignored);
 *   keyfile is then the path on the volume.
 * label NULL means CONF_DEFAULT_LABEL. Returns 1 and writes the file's path
 * on the volume, normalised by config_bek_path() (e.g.
 * "LinuxPassPhraseFileName_1_0"), to ret_file; 0 if not ours (including a
 * path that would leave the volume's root, such as ".."); -ENAMETOOLONG if
 * ret_len is too small (ret_file untouched).
 */
int crypttab_entry_bek_file(const struct crypttab_entry *e, const char *label,
    const char *bek_uuid, char *ret_file, size_t ret_len);

/* The entry named name, or NULL. */
const struct crypttab_entry *crypttab_find(const struct crypttab *t,
    const char *name);

#endif
