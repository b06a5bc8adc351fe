/* SPDX-License-Identifier: MIT */
/* fat.h: a read-only FAT12/FAT16/FAT32 reader for an untrusted BEK volume. */
#ifndef ADE_FAT_H
#define ADE_FAT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Everything below treats the volume as hostile: every size, offset,
 * cluster number and name read from it is checked before use, cluster
 * chains are checked for loops, and directory walks are capped. No heap is
 * used; all I/O is pread() on the caller's descriptor, which is never
 * written to. Functions return 0 or a negative errno; fat_strerror() says
 * what each code means here, fat_explain() says exactly what was wrong.
 */

/* A long name in UTF-8, NUL included (255 UTF-16 units, 3 bytes each). */
#define FAT_NAME_MAX		768
/* Entries walked in one directory before giving up (the kernel's limit). */
#define FAT_DIR_MAX_ENTRIES	65536
/* Path components fat_find() follows. */
#define FAT_PATH_MAX_DEPTH	32
/*
 * The work one open volume may cost, whatever its structures say: bytes read
 * from the device and FAT links followed (fat_set_limits() changes them).
 * ADE's BEK volume is 48 MiB, its files a few hundred bytes: reading all of
 * it stays far below these; a hostile volume's long or looping chains hit
 * them (-EDQUOT) instead of costing hours.
 */
#define FAT_BUDGET_BYTES	(64u << 20)
#define FAT_BUDGET_LINKS	(1u << 20)

/* Directory entry attributes. */
#define FAT_ATTR_READ_ONLY	0x01
#define FAT_ATTR_HIDDEN		0x02
#define FAT_ATTR_SYSTEM		0x04
#define FAT_ATTR_VOLUME_ID	0x08
#define FAT_ATTR_DIRECTORY	0x10
#define FAT_ATTR_ARCHIVE	0x20

/*
 * An open volume. Caller-owned (no release needed), no interior pointers;
 * fields are read-only for callers. Not thread safe: one thread per volume.
 */
struct fat_volume {
	int		 fd;		/* -1 when not open */
	unsigned	 type;		/* 12, 16 or 32; 0 when not open */
	uint64_t	 dev_size;	/* bytes the caller says the device has */
	uint32_t	 sector_size;
	uint32_t	 cluster_size;	/* bytes, <= 64 KiB */
	uint32_t	 clusters;	/* data clusters, numbered 2..clusters+1 */
	uint32_t	 root_cluster;	/* FAT32: first cluster of the root */
	uint32_t	 root_entries;	/* FAT12/16: size of the fixed root */
	uint64_t	 fat_offset;	/* byte offset of the FAT in use */
	uint64_t	 fat_bytes;	/* bytes of one FAT */
	uint64_t	 root_offset;	/* FAT12/16: byte offset of the root */
	uint64_t	 data_offset;	/* byte offset of cluster 2 */
	/* Work left (see FAT_BUDGET_*) and the deadline (0: none). */
	uint64_t	 budget_bytes;
	uint32_t	 budget_links;
	uint32_t	 ticks;		/* reads and links, for the clock */
	uint64_t	 deadline_ms;	/* on now_ms()'s clock */
	/* Why the last call failed (static strings); see fat_explain(). */
	int		 last_error;
	const char	*last_why;
	/* A window of the FAT, so that chains do not cost a read per link. */
	uint64_t	 cache_off;
	uint32_t	 cache_len;
	unsigned char	 cache[1024];
};

/* One directory entry as fat_find() and fat_list_dir() report it. */
struct fat_entry {
	/*
	 * The long (VFAT) name in UTF-8 when the entry has a valid one;
	 * otherwise the 8.3 name as "NAME.EXT" (or "NAME"), lowercased where
	 * the entry's NT case flags say so, code page 437 mapped to UTF-8.
	 */
	char		name[FAT_NAME_MAX];
	/* The 8.3 name as stored ("NAME.EXT", no case flags applied). */
	char		short_name[13];
	uint32_t	first_cluster;
	uint32_t	size;
	uint8_t		attr;		/* FAT_ATTR_* */
};

/*
 * Reads and validates the boot sector of the FAT filesystem on fd (opened
 * O_RDONLY by the caller) whose size is dev_size bytes. On success v is
 * ready for the calls below. On failure v is marked not open and returns
 * -EINVAL (not FAT, or a boot sector field out of range: fat_explain()
 * names it), -EIO or -EBADF (fd < 0). fd stays the caller's to close.
 */
int fat_open(struct fat_volume *v, int fd, uint64_t dev_size);

/*
 * Sets the work the open volume may still cost: bytes read, FAT links
 * followed, and a deadline on now_ms()'s clock (0: none), checked every few
 * hundred reads and links. Past any of them every call fails: -EDQUOT (work)
 * or -ETIMEDOUT (time), and fat_explain() says which. fat_open() starts
 * with FAT_BUDGET_BYTES, FAT_BUDGET_LINKS and no deadline.
 */
void fat_set_limits(struct fat_volume *v, uint64_t bytes, uint32_t links,
    uint64_t deadline_ms);

/*
 * Looks up path: "NAME", "/NAME" or "dir/sub/NAME"; "" or "/" is the root.
 * Each component matches an entry's long name or its 8.3 name, ignoring
 * ASCII case, as Linux vfat does; the first match in directory order wins.
 * Fills *ret on success only. Errors: -ENOENT, -ENOTDIR (a component before
 * the last is not a directory), -ENAMETOOLONG, or any walk error.
 */
int fat_find(struct fat_volume *v, const char *path, struct fat_entry *ret);

/*
 * Reads the whole file e into buf (cap bytes), straight from disk cluster by
 * cluster; *ret_len gets e->size. -EISDIR for a directory and -EFBIG when
 * e->size > cap are found before anything is read (buf untouched). On any
 * later failure buf's first e->size bytes are wiped. *ret_len is untouched
 * on failure.
 */
int fat_read_file(struct fat_volume *v, const struct fat_entry *e,
    unsigned char *buf, size_t cap, size_t *ret_len);

/*
 * Directory listing callback: < 0 stops the walk with that error, > 0 stops
 * it with success, 0 continues. e is valid only during the call.
 */
typedef int (*fat_dir_cb)(const struct fat_entry *e, void *userdata);

/*
 * Calls cb for each entry of directory path ("" or "/" = root), in directory
 * order, skipping deleted entries, the volume label, "." and "..".
 */
int fat_list_dir(struct fat_volume *v, const char *path, fat_dir_cb cb,
    void *userdata);

/*
 * Wipes the reader's own cache and drops the device's page cache (a block
 * device's whole buffer cache with BLKFLSBUF, then POSIX_FADV_DONTNEED), so
 * no copy of a key stays there. Returns 0, or the -errno of the first step
 * that failed (the cache may still hold the key files' clusters).
 */
int fat_drop_cache(struct fat_volume *v);

/* What an error code returned by this module means (static string). */
const char *fat_strerror(int r);

/*
 * The precise reason of the last failure on v (for example which boot
 * sector field is invalid) when r is what that call returned; otherwise
 * fat_strerror(r).
 */
const char *fat_explain(const struct fat_volume *v, int r);

#endif
