/* SPDX-License-Identifier: MIT */
/* unlock.h: the unlock run, from configuration to the exit code. */
#ifndef ADE_UNLOCK_H
#define ADE_UNLOCK_H

#include <stdbool.h>

/* Exit codes (DESIGN 3.3). */
enum {
	EXIT_ALL_OPEN = 0,	/* every owned device open, or disabled */
	EXIT_CONFIG = 1,	/* usage or configuration error: nothing tried */
	EXIT_NO_BEK = 2,	/* BEK volume not found before the deadline */
	EXIT_NO_KEY = 3,	/* BEK volume found, no usable key file on it */
	EXIT_PARTIAL = 4,	/* some devices opened, others failed */
	EXIT_NONE_OPEN = 5,	/* no device could be opened */
};

struct unlock_opts {
	const char	*cmdline_path;	/* default /proc/cmdline; read last */
	const char	*cmdline_dir;	/* its *.conf files first, or NULL;
					 * default /etc/cmdline.d */
	const char	*etc_cmdline_path; /* then this, or NULL; default
					 * /etc/cmdline (dracut's getcmdline) */
	const char	*crypttab_path;	/* default /etc/crypttab */
	const char	*conf_path;	/* default /etc/ade-unlock.conf */
	bool		 dry_run;	/* verify keys against headers, activate nothing */
	bool		 kmsg;		/* also log to /dev/kmsg */
	bool		 debug;		/* as rd.ade.debug */
	const char	*status_path;	/* --status: one line per device, or NULL */
	const char	*fallback_path;	/* --fallback-crypttab, or NULL */
};

/* Runs the whole unlock; returns one of the exit codes above. */
int unlock_run(const struct unlock_opts *o);

#endif
