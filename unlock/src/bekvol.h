/* SPDX-License-Identifier: MIT */
/* bekvol.h: finding the BEK volume among the block devices, waiting for it. */
#ifndef ADE_BEKVOL_H
#define ADE_BEKVOL_H

#include "blockdev.h"

struct bekvol_scan {
	unsigned	devices;	/* distinct block devices probed */
	char		seen[256];	/* their names, for the log ("sda sda1 ...") */
	unsigned	waited_ms;	/* time from the start until the answer */
};

/*
 * Looks for a FAT filesystem whose label is exactly `label` (or whose
 * filesystem UUID is `uuid`, when uuid is not NULL or empty) on every block
 * device, re-scanning for new devices until timeout_ms has passed.
 * Returns 0 with ret filled, or:
 *   -ETIMEDOUT    nothing matched in time;
 *   -ENOTUNIQ     two devices match (ret and ret_other name them);
 *   -EMEDIUMTYPE  only a device that is not FAT has the label (ret names it).
 * info is filled in every case.
 */
int bekvol_find(const char *label, const char *uuid, unsigned timeout_ms,
    struct blockdev *ret, struct blockdev *ret_other, struct bekvol_scan *info);

#endif
