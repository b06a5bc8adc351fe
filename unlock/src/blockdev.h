/* SPDX-License-Identifier: MIT */
/* blockdev.h: block devices from /sys/class/block, their nodes and their tags. */
#ifndef ADE_BLOCKDEV_H
#define ADE_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BLOCKDEV_MAX	1024

struct blockdev {
	char		name[64];	/* kernel name, e.g. "sdb1" */
	dev_t		devno;
	uint64_t	size;		/* bytes */
	char		node[160];	/* path to open: /dev/NAME or a private node */
	/* libblkid tags, "" when absent */
	char		type[32];
	char		uuid[64];
	char		label[128];
	char		partuuid[64];
	char		partlabel[128];
};

/*
 * Lists the block devices the kernel has now (disks and partitions), with
 * name, devno and size; devices of size 0 (empty loop, no media) are left
 * out. ret has room for cap entries. Returns 0 or -errno.
 */
int blockdev_list(struct blockdev *ret, size_t cap, size_t *ret_n);

/*
 * Finds a node to open d by: /dev/NAME if it is a block device with d's
 * devno, else one made with mknod in a private 0700 directory (initramfs
 * before udev). Returns 0 or -errno.
 */
int blockdev_node(struct blockdev *d);

/*
 * Probes d read-only with libblkid for its filesystem or LUKS tags (TYPE,
 * UUID, LABEL) and its partition entry (PARTUUID, PARTLABEL).
 * Returns 0 (tags filled, possibly empty), or -errno.
 */
int blockdev_probe(struct blockdev *d);

/*
 * Whether d is what spec names: UUID=, PARTUUID=, LABEL=, PARTLABEL=
 * (tags compared exactly, UUIDs case-insensitively) or a /dev/ path
 * (same devno). Returns 1, 0, or -EINVAL for a spec of unknown form.
 */
int blockdev_match(const struct blockdev *d, const char *spec);

/* Whether spec has one of the forms blockdev_match understands. */
bool blockdev_spec_valid(const char *spec);

/*
 * Looks once through the current block devices for the one spec names,
 * probing each device at most once per devno and size (a cache shared by
 * all threads). Returns 0 with ret filled, -ENOENT if none matches now,
 * -ENOTUNIQ if several do (ret is the first), -EINVAL for a bad spec.
 */
int blockdev_find(const char *spec, struct blockdev *ret);

/* Removes the private nodes made by blockdev_node. */
void blockdev_cleanup(void);

#endif
