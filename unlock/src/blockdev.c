/* SPDX-License-Identifier: MIT */
/* blockdev.c: lists block devices from sysfs, makes nodes, probes with libblkid. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <blkid/blkid.h>

#include "blockdev.h"

#ifndef ADE_SYSFS_BLOCK
#define ADE_SYSFS_BLOCK "/sys/class/block"
#endif

static pthread_mutex_t node_lock = PTHREAD_MUTEX_INITIALIZER;
static char node_dir[64];

/* Reads a small sysfs attribute into buf, newline stripped. */
static int
read_attr(const char *dev, const char *attr, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), ADE_SYSFS_BLOCK "/%s/%s", dev,
	    attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*ret = v;
	return 0;
}

static int
read_devno(const char *dev, dev_t *ret)
{
	char buf[32], *colon;
	uint64_t maj, min;

	if (read_attr(dev, "dev", buf, sizeof(buf)) < 0)
		return -ENODEV;
	colon = strchr(buf, ':');
	if (colon == NULL)
		return -EINVAL;
	*colon = '\0';
	if (parse_u64(buf, &maj) < 0 || parse_u64(colon + 1, &min) < 0 ||
	    maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	*ret = makedev((unsigned)maj, (unsigned)min);
	return 0;
}

int
blockdev_list(struct blockdev *ret, size_t cap, size_t *ret_n)
{
	DIR *dir;
	struct dirent *de;
	size_t n = 0;

	dir = opendir(ADE_SYSFS_BLOCK);
	if (dir == NULL)
		return -errno;
	while ((de = readdir(dir)) != NULL && n < cap) {
		struct blockdev *d = &ret[n];
		char buf[32];
		uint64_t sectors;

		size_t nl = strlen(de->d_name);

		if (de->d_name[0] == '.' || nl >= sizeof(d->name))
			continue;
		memset(d, 0, sizeof(*d));
		memcpy(d->name, de->d_name, nl + 1);
		if (read_devno(d->name, &d->devno) < 0)
			continue;
		/* sysfs "size" is in 512-byte sectors whatever the block size. */
		if (read_attr(d->name, "size", buf, sizeof(buf)) < 0 ||
		    parse_u64(buf, &sectors) < 0 || sectors == 0 ||
		    sectors > UINT64_MAX / 512)
			continue;
		d->size = sectors * 512;
		n++;
	}
	closedir(dir);
	*ret_n = n;
	return 0;
}

static bool
is_node_of(const char *path, dev_t devno)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == devno;
}

/* The private directory for nodes: /run/ade-unlock.XXXXXX, else /tmp. */
static int
ensure_node_dir(void)
{
	static const char *const bases[] = { "/run", "/tmp" };

	if (node_dir[0] != '\0')
		return 0;
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(node_dir, sizeof(node_dir), "%s/ade-unlock.XXXXXX",
		    bases[i]);
		if (mkdtemp(node_dir) != NULL)
			return 0;
	}
	node_dir[0] = '\0';
	return -errno;
}

int
blockdev_node(struct blockdev *d)
{
	char path[sizeof(d->node)];
	int r = 0;

	snprintf(path, sizeof(path), "/dev/%s", d->name);
	if (is_node_of(path, d->devno))
		goto found;

	pthread_mutex_lock(&node_lock);
	r = ensure_node_dir();
	if (r == 0) {
		snprintf(path, sizeof(path), "%s/%s", node_dir, d->name);
		if (!is_node_of(path, d->devno)) {
			(void)unlink(path);
			if (mknod(path, S_IFBLK | 0600, d->devno) < 0)
				r = -errno;
		}
	}
	pthread_mutex_unlock(&node_lock);
	if (r < 0)
		return r;
found:
	snprintf(d->node, sizeof(d->node), "%s", path);
	return 0;
}

static void
copy_tag(blkid_probe pr, const char *tag, char *dst, size_t len)
{
	const char *v = NULL;
	size_t vlen = 0;

	dst[0] = '\0';
	if (blkid_probe_lookup_value(pr, tag, &v, &vlen) == 0 && v != NULL)
		snprintf(dst, len, "%s", v);
}

int
blockdev_probe(struct blockdev *d)
{
	blkid_probe pr = NULL;
	int fd = -1, r;

	d->type[0] = d->uuid[0] = d->label[0] = '\0';
	d->partuuid[0] = d->partlabel[0] = '\0';
	if (d->node[0] == '\0' && (r = blockdev_node(d)) < 0)
		return r;
	fd = open(d->node, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	pr = blkid_new_probe();
	if (pr == NULL) {
		r = -ENOMEM;
		goto out;
	}
	if (blkid_probe_set_device(pr, fd, 0, 0) != 0) {
		r = -EIO;
		goto out;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL |
	    BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	/* 0: found, 1: nothing, -2: ambiguous (left untagged), -1: error. */
	r = blkid_do_safeprobe(pr);
	if (r == 0) {
		copy_tag(pr, "TYPE", d->type, sizeof(d->type));
		copy_tag(pr, "UUID", d->uuid, sizeof(d->uuid));
		copy_tag(pr, "LABEL", d->label, sizeof(d->label));
		copy_tag(pr, "PART_ENTRY_UUID", d->partuuid, sizeof(d->partuuid));
		copy_tag(pr, "PART_ENTRY_NAME", d->partlabel, sizeof(d->partlabel));
	}
	r = r == -1 ? -EIO : 0;
out:
	if (pr != NULL)
		blkid_free_probe(pr);
	close(fd);
	return r;
}

bool
blockdev_spec_valid(const char *spec)
{
	static const char *const prefixes[] = {
		"UUID=", "PARTUUID=", "LABEL=", "PARTLABEL=", "/dev/",
	};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (strncmp(spec, prefixes[i], strlen(prefixes[i])) == 0 &&
		    spec[strlen(prefixes[i])] != '\0')
			return true;
	return false;
}

int
blockdev_match(const struct blockdev *d, const char *spec)
{
	if (strncmp(spec, "UUID=", 5) == 0)
		return d->uuid[0] != '\0' && strcasecmp(d->uuid, spec + 5) == 0;
	if (strncmp(spec, "PARTUUID=", 9) == 0)
		return d->partuuid[0] != '\0' &&
		    strcasecmp(d->partuuid, spec + 9) == 0;
	if (strncmp(spec, "LABEL=", 6) == 0)
		return d->label[0] != '\0' && strcmp(d->label, spec + 6) == 0;
	if (strncmp(spec, "PARTLABEL=", 10) == 0)
		return d->partlabel[0] != '\0' &&
		    strcmp(d->partlabel, spec + 10) == 0;
	if (strncmp(spec, "/dev/", 5) == 0) {
		struct stat st;

		/* A path that does not exist yet matches nothing (yet). */
		return stat(spec, &st) == 0 && S_ISBLK(st.st_mode) &&
		    st.st_rdev == d->devno;
	}
	return -EINVAL;
}

/* Probe results by devno, shared between threads under cache_lock. */
static struct blockdev cache[BLOCKDEV_MAX];
static size_t cache_n;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* Fills d's tags from the cache, probing when d is new or resized. */
static int
probe_cached(struct blockdev *d)
{
	size_t k;
	int r;

	pthread_mutex_lock(&cache_lock);
	for (k = 0; k < cache_n; k++)
		if (cache[k].devno == d->devno)
			break;
	if (k < cache_n && cache[k].size == d->size) {
		*d = cache[k];
		pthread_mutex_unlock(&cache_lock);
		return 0;
	}
	pthread_mutex_unlock(&cache_lock);

	/* Probing reads the device: done outside the lock. */
	r = blockdev_probe(d);
	if (r < 0)
		return r;
	pthread_mutex_lock(&cache_lock);
	for (k = 0; k < cache_n; k++)
		if (cache[k].devno == d->devno)
			break;
	if (k < BLOCKDEV_MAX) {
		cache[k] = *d;
		if (k == cache_n)
			cache_n++;
	}
	pthread_mutex_unlock(&cache_lock);
	return 0;
}

int
blockdev_find(const char *spec, struct blockdev *ret)
{
	struct blockdev *devs;
	size_t n = 0;
	int r, found = 0;

	if (!blockdev_spec_valid(spec))
		return -EINVAL;
	devs = calloc(BLOCKDEV_MAX, sizeof(*devs));
	if (devs == NULL)
		return -ENOMEM;
	if ((r = blockdev_list(devs, BLOCKDEV_MAX, &n)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct blockdev *d = &devs[i];

		/* A path needs no probe: its devno says it all. */
		if (strncmp(spec, "/dev/", 5) != 0 && probe_cached(d) < 0)
			continue;
		if (blockdev_match(d, spec) != 1)
			continue;
		if (d->node[0] == '\0' && blockdev_node(d) < 0)
			continue;
		if (found++ == 0)
			*ret = *d;
	}
	r = found == 0 ? -ENOENT : found > 1 ? -ENOTUNIQ : 0;
out:
	free(devs);
	return r;
}

void
blockdev_cleanup(void)
{
	DIR *dir;

	pthread_mutex_lock(&node_lock);
	if (node_dir[0] != '\0' && (dir = opendir(node_dir)) != NULL) {
		const struct dirent *de;

		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			(void)unlinkat(dirfd(dir), de->d_name, 0);
		}
		closedir(dir);
		(void)rmdir(node_dir);
	}
	node_dir[0] = '\0';
	pthread_mutex_unlock(&node_lock);
}
