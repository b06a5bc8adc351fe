/* SPDX-License-Identifier: MIT */
/* selfcheck.h: known-answer tests that prove this binary works where it runs. */
#ifndef ADE_SELFCHECK_H
#define ADE_SELFCHECK_H

/* Userspace checks: need nothing from the kernel, pass anywhere. */
#define SELFCHECK_USER		0x1
/* Kernel checks: AF_ALG, device-mapper, a LUKS2 keyslot round trip. */
#define SELFCHECK_KERNEL	0x2

/*
 * Runs the checks selected by flags, printing one line per check.
 * Returns 0 if all selected checks passed, 1 otherwise.
 */
int selfcheck_run(unsigned flags);

#endif
