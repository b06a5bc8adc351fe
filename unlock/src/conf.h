/* SPDX-License-Identifier: MIT */
/* conf.h: /etc/ade-unlock.conf, and what every configuration parser shares. */
#ifndef ADE_CONF_H
#define ADE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Conventions of every parser (cmdline.c, crypttab.c, conf.c):
 * - Input is untrusted text of len bytes; it need not be NUL-terminated.
 * - Return 0, or -errno: -EINVAL for syntax errors and bad values,
 *   -ENAMETOOLONG for a value longer than its fixed field (never truncated),
 *   -E2BIG for more entries than the fixed table holds.
 * - On failure err (if not NULL) says where and why, and ret is untouched.
 * - Non-fatal findings are appended to warn (if not NULL); the caller zeroes
 *   it once, so one struct can collect the warnings of several sources.
 * - User-supplied text quoted in err/warn is sanitised: '...', bytes outside
 *   printable ASCII as \xNN, cut with "..." when long.
 * - Library code, so nothing is logged.
 */

/* Filled on a parse error. */
struct config_error {
	char		file[256];	/* which file ("" when not a file) */
	unsigned	line;		/* 1-based, 0 = not about one line */
	char		field[64];	/* "name", "device", "keyfile",
					 * "options: tries=", "rd.ade.timeout",
					 * "" when about the whole line/file */
	char		reason[160];	/* why, in words */
};

/* Non-fatal: unknown options, _netdev skipped, values capped, ... */
#define CONFIG_WARNINGS_MAX	32
struct config_warnings {
	unsigned	count;		/* may exceed 32; the first 32 kept */
	char		msg[CONFIG_WARNINGS_MAX][200];
};

/* Longest line of crypttab and of the conf file, without the newline. */
#define CONFIG_LINE_MAX		4096
/* Largest timeout anywhere (cmdline, conf, crypttab); bigger is capped. */
#define CONFIG_TIMEOUT_MAX	3600

/* Fills err (if not NULL); file may be NULL. */
void config_error_set(struct config_error *err, const char *file,
    unsigned line, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Appends one warning to warn (if not NULL). */
void config_warn(struct config_warnings *warn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writes s[0..n) into dst (size cap >= 8) as '...' for a message: bytes
 * outside printable ASCII as \xNN, the middle cut with "..." when long.
 * Returns dst.
 */
char *config_quote(char *dst, size_t cap, const char *s, size_t n);

/*
 * Decodes the escapes of s[0..n) into dst (cap bytes including the NUL):
 * \\ \" \' \, \a \b \f \n \r \t \v \s (space), \xNN and octal \NNN, as
 * systemd's unit-file unescaping does. Returns the decoded length, -EINVAL
 * for a malformed escape or an encoded NUL (*ret_why then says which), or
 * -ENAMETOOLONG when the result does not fit. dst is NUL-terminated on
 * success only.
 */
int config_unescape(const char *s, size_t n, char *dst, size_t cap,
    const char **ret_why);

/* systemd's booleans, any case: 1 yes y true t on / 0 no n false f off. */
int config_parse_bool(const char *s, size_t n, bool *ret);

/* Decimal digits only (no sign, no spaces, no base prefix), <= max. */
int config_parse_u64(const char *s, size_t n, uint64_t max, uint64_t *ret);

/*
 * A duration in whole seconds: "30", "30s", "2min", "1min30s", "1h",
 * "500ms" (rounded up), "infinity"; units as systemd.time(7) (us, ms, s,
 * min, h, d, w and their long forms), components may be separated by
 * spaces. Sets *ret_capped when the value was above max and *ret holds max.
 */
int config_parse_seconds(const char *s, size_t n, unsigned max,
    unsigned *ret, bool *ret_capped);

/* 8-4-4-4-12 hexadecimal digits, either case (exactly n bytes). */
bool config_uuid_valid(const char *s, size_t n);

/*
 * A device-mapper name as the crypttab first field: 1 to 127 bytes of
 * printable ASCII other than space and '/', and not "." or "..".
 */
bool config_dm_name_valid(const char *s, size_t n);

/*
 * A file path on the BEK volume: leading '/' dropped, components neither
 * empty, "." nor ".." (nothing leaves the volume's root), no control
 * bytes. Writes the normalised path to ret (cap bytes incl. NUL).
 * Returns 0, -EINVAL or -ENAMETOOLONG.
 */
int config_bek_path(const char *s, size_t n, char *ret, size_t cap);

/*
 * The length of the text in a file buffer: up to the first NUL, which may
 * only be followed by more NULs (so a NUL-terminated buffer's whole size may
 * be passed). Returns 0, or -EINVAL (err names the line) for a NUL byte
 * inside the text: binary junk, not a config file.
 */
int config_text_len(const char *text, size_t len, const char *file,
    struct config_error *err, size_t *ret_len);

#define CONF_MAX_KEYS		128
#define CONF_DEFAULT_LABEL	"BEK VOLUME"
#define CONF_DEFAULT_KEK	"/etc/ade-unlock/kek.jwk"
#define CONF_DEFAULT_TIMEOUT	60
#define CONF_DEFAULT_DEVICE_TIMEOUT 30
#define CONF_MAX_PARALLEL	64

struct conf {
	char		label[64];	/* label = (default "BEK VOLUME") */
	char		bek_uuid[40];	/* uuid = filesystem UUID of the BEK
					 * volume; "" if unset. FAT ids are
					 * kept uppercase ("ABCD-1234"), UUIDs
					 * lowercase; compare ignoring case */
	int		timeout_s;	/* timeout = SEC (default 60) */
	unsigned	device_timeout_s; /* device-timeout = SEC: per-device
					 * wait when crypttab has no
					 * x-systemd.device-timeout=
					 * (default 30) */
	char		kek_path[256];	/* kek = absolute path */
	unsigned	parallel;	/* parallel = N, 0 = auto (default) */
	unsigned	n_keys;
	struct {
		char	name[128];	/* crypttab name */
		char	file[256];	/* file on the BEK volume, normalised
					 * as by config_bek_path() */
	} keys[CONF_MAX_KEYS];		/* key.<crypttab-name> = <file>: marks
					 * that crypttab entry as ours even
					 * though its key field is "none" */
};

/* The defaults above. */
void conf_init(struct conf *c);

/*
 * Parses the conf file text: "key = value" lines, '#' comment lines, blank
 * lines; whitespace around key, '=' and value trimmed; a value may be
 * double-quoted (taken literally between the quotes, no escapes; no inline
 * comments). Starts from conf_init() defaults; a key given twice: the last
 * wins, with a warning, except key.<name> given twice, which is an error.
 * Unknown keys: warning. Bad values: error. Timeouts above
 * CONFIG_TIMEOUT_MAX are capped with a warning. filename names the file in
 * err and warn (may be NULL). ret is written on success only.
 */
int conf_parse(const char *text, size_t len, const char *filename,
    struct conf *ret, struct config_error *err, struct config_warnings *warn);

/* The file on the BEK volume that conf assigns to crypttab name, or NULL. */
const char *conf_key_file(const struct conf *c, const char *name);

/*
 * Reads a whole config file (path) into buf, NUL-terminated, at most cap - 1
 * bytes of content: O_RDONLY|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY|O_NONBLOCK, regular
 * file only (-EISDIR for a directory, -EINVAL for FIFOs, devices, sockets;
 * -ELOOP for a symlink), -EFBIG when over cap - 1 bytes, other errors (such
 * as -ENOENT) passed through. Reads until EOF, so /proc files (size 0) work.
 * *ret_len is written on success only; on failure buf holds "".
 */
int conf_read_file(const char *path, char *buf, size_t cap, size_t *ret_len);

#endif
