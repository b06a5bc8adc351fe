/* SPDX-License-Identifier: MIT */
/* bekvol.c: polls the block devices for the BEK volume until a deadline. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bekvol.h"
#include "log.h"
#include "util.h"

/*
 * Devices already probed, by devno and size (a resized device is re-probed),
 * and what the last probe found: a re-probed device replaces its own count,
 * never adds a second volume.
 */
enum { SEEN_NONE, SEEN_FAT, SEEN_OTHER_FS };

struct seen {
	dev_t		devno;
	uint64_t	size;
	int		match;
};

/* How long to look for a second labelled volume after the first. */
#define BEK_CONFIRM_MS	250

static bool
is_match(const struct blockdev *d, const char *label, const char *uuid)
{
	if (uuid != NULL && uuid[0] != '\0')
		return strcasecmp(d->uuid, uuid) == 0;
	return strcmp(d->label, label) == 0;
}

static void
note_seen(struct bekvol_scan *info, const char *name)
{
	size_t len = strlen(info->seen);

	if (len + strlen(name) + 5 >= sizeof(info->seen)) {
		if (len + 4 < sizeof(info->seen) && strcmp(info->seen + len -
		    (len >= 3 ? 3 : len), "...") != 0)
			strcat(info->seen, " ...");
		return;
	}
	if (len > 0)
		info->seen[len++] = ' ';
	strcpy(info->seen + len, name);
}

int
bekvol_find(const char *label, const char *uuid, unsigned timeout_ms,
    struct blockdev *ret, struct blockdev *ret_other, struct bekvol_scan *info)
{
	static struct blockdev devs[BLOCKDEV_MAX];
	static struct seen seen[BLOCKDEV_MAX];
	struct blockdev found, other_fs, *fat[2] = { &found, ret_other };
	size_t n_seen = 0;
	uint64_t start = now_ms(), deadline = start + timeout_ms, found_at = 0;
	unsigned n_found = 0, n_other_fs = 0, pause_ms = 50;

	memset(info, 0, sizeof(*info));
	for (;;) {
		size_t n = 0;
		int r;

		if ((r = blockdev_list(devs, BLOCKDEV_MAX, &n)) < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			struct blockdev *d = &devs[i];
			size_t k;

			for (k = 0; k < n_seen; k++)
				if (seen[k].devno == d->devno)
					break;
			if (k < n_seen && seen[k].size == d->size)
				continue;
			if (k == n_seen) {
				if (n_seen == BLOCKDEV_MAX)
					continue;
				n_seen++;
				seen[k].match = SEEN_NONE;
				info->devices++;
				note_seen(info, d->name);
			}
			seen[k].devno = d->devno;
			seen[k].size = d->size;
			/* Re-probed (resized): its earlier match no longer counts. */
			if (seen[k].match == SEEN_OTHER_FS)
				n_other_fs--;
			if (seen[k].match == SEEN_FAT) {
				if (n_found > 1 && fat[0]->devno == d->devno)
					*fat[0] = *fat[1];
				n_found--;
			}
			seen[k].match = SEEN_NONE;
			r = blockdev_probe(d);
			if (r < 0) {
				log_debug(label, "%s: cannot probe: %s", d->name,
				    strerror(-r));
				/* Try again on the next pass. */
				seen[k].size = 0;
				continue;
			}
			log_debug(label, "%s: type '%s' label '%s' uuid '%s'",
			    d->name, d->type, d->label, d->uuid);
			if (!is_match(d, label, uuid))
				continue;
			if (strcmp(d->type, "vfat") != 0) {
				seen[k].match = SEEN_OTHER_FS;
				if (n_other_fs++ == 0)
					other_fs = *d;
				continue;
			}
			seen[k].match = SEEN_FAT;
			if (n_found < 2)
				*fat[n_found] = *d;
			n_found++;
		}
		/*
		 * Disks of one controller appear milliseconds apart: a second
		 * volume with the label may be one scan behind the first. Look
		 * again for BEK_CONFIRM_MS before taking it (seen in QEMU: two
		 * labelled disks, the second attached 12 ms after the first).
		 */
		if (n_found > 1)
			break;
		if (n_found == 0)
			found_at = 0;	/* the one found is gone (re-probed) */
		if (n_found == 1) {
			if (found_at == 0)
				found_at = now_ms();
			if (now_ms() >= found_at + BEK_CONFIRM_MS)
				break;
			sleep_ms(50);
			continue;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(pause_ms);
		if (pause_ms < 250)
			pause_ms *= 2;
	}
	info->waited_ms = (unsigned)((found_at != 0 ? found_at : now_ms()) -
	    start);
	if (n_found > 1) {
		*ret = found;
		return -ENOTUNIQ;
	}
	if (n_found == 1) {
		*ret = found;
		return 0;
	}
	if (n_other_fs > 0) {
		*ret = other_fs;
		return -EMEDIUMTYPE;
	}
	return -ETIMEDOUT;
}
