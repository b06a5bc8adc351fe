/* SPDX-License-Identifier: MIT */
/* header.c: copies a detached LUKS header off a read-only mounted filesystem. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "header.h"
#include "util.h"

/* How often a busy header device is looked for again, 100 ms apart (5 s). */
#define HEADER_BUSY_TRIES	50

/* Mount options that keep a read-only mount from writing: no journal replay. */
static const char *
ro_options(const char *fstype)
{
	if (strcmp(fstype, "ext3") == 0 || strcmp(fstype, "ext4") == 0)
		return "noload";
	if (strcmp(fstype, "xfs") == 0)
		return "norecovery";
	if (strcmp(fstype, "btrfs") == 0)
		return "nologreplay";
	return "";
}

static int
copy_fd(int in, int out, uint64_t size)
{
	char buf[65536];
	uint64_t done = 0;

	while (done < size) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		for (ssize_t w = 0; w < n;) {
			ssize_t k = write(out, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -errno;
			w += k;
		}
		done += (uint64_t)n;
	}
	return 0;
}

/*
 * Where dev is mounted already (systemd's cryptsetup generator mounts a
 * header= device itself, read-write, so ours fails with EBUSY): its mount
 * point from /proc/self/mountinfo, when the mount shows the filesystem root.
 */
static int
find_mount(const struct blockdev *dev, char *ret, size_t len)
{
	char line[1024], want[32];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int r = -ENOENT;

	if (f == NULL)
		return -errno;
	snprintf(want, sizeof(want), "%u:%u", major(dev->devno),
	    minor(dev->devno));
	while (fgets(line, sizeof(line), f) != NULL) {
		char devno[32], root[256], mnt[256];
		size_t o = 0;

		/* id parent major:minor root mount-point ... */
		if (sscanf(line, "%*s %*s %31s %255s %255s", devno, root, mnt) != 3)
			continue;
		if (strcmp(devno, want) != 0 || strcmp(root, "/") != 0)
			continue;
		/* Undo the octal escapes of spaces and the like (\040). */
		for (size_t i = 0; mnt[i] != '\0' && o + 1 < len; i++) {
			if (mnt[i] == '\\' && mnt[i + 1] >= '0' && mnt[i + 1] <= '3' &&
			    mnt[i + 2] >= '0' && mnt[i + 2] <= '7' &&
			    mnt[i + 3] >= '0' && mnt[i + 3] <= '7') {
				ret[o++] = (char)((mnt[i + 1] - '0') * 64 +
				    (mnt[i + 2] - '0') * 8 + (mnt[i + 3] - '0'));
				i += 3;
			} else
				ret[o++] = mnt[i];
		}
		ret[o] = '\0';
		r = 0;
		break;
	}
	fclose(f);
	return r;
}

/* Opens path under root, refusing to follow a final symlink. */
static int
open_under(const char *root, const char *path)
{
	char full[512];

	while (*path == '/')
		path++;
	if (snprintf(full, sizeof(full), "%s/%s", root, path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	return open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int
header_fetch(const struct blockdev *dev, const char *path, int *ret_fd,
    char *ret_path, size_t path_len)
{
	char dir[] = "/run/ade-unlock-hdr.XXXXXX";
	char tdir[] = "/tmp/ade-unlock-hdr.XXXXXX";
	char *mnt, other[256];
	const char *root;
	struct stat st;
	int in = -1, out = -1, r;
	bool mounted = false;

	mnt = mkdtemp(dir);
	if (mnt == NULL)
		mnt = mkdtemp(tdir);
	if (mnt == NULL)
		return -errno;
	root = mnt;
	/*
	 * EBUSY: someone else holds the device. Where it is mounted already,
	 * read it there; but systemd may be mounting it at this very moment
	 * (its mount not yet in mountinfo), so look again for a while.
	 */
	for (int tries = 0;; tries++) {
		if (mount(dev->node, mnt, dev->type, MS_RDONLY | MS_NOSUID |
		    MS_NODEV | MS_NOEXEC, ro_options(dev->type)) == 0) {
			mounted = true;
			break;
		}
		r = -errno;
		if (r != -EBUSY)
			goto out;
		if (find_mount(dev, other, sizeof(other)) == 0) {
			root = other;	/* read it where it is mounted */
			break;
		}
		if (tries >= HEADER_BUSY_TRIES)
			goto out;
		sleep_ms(100);
	}
	in = open_under(root, path);
	if (in < 0 && errno == ENOENT && strncmp(path, "/boot/", 6) == 0)
		in = open_under(root, path + 5);
	if (in < 0) {
		r = -errno;
		goto out;
	}
	if (fstat(in, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > HEADER_MAX || st.st_size < 4096) {
		r = -EFBIG;
		goto out;
	}
	out = memfd_create("ade-unlock-header", MFD_CLOEXEC);
	if (out < 0) {
		r = -errno;
		goto out;
	}
	if ((r = copy_fd(in, out, (uint64_t)st.st_size)) < 0)
		goto out;
	snprintf(ret_path, path_len, "/proc/self/fd/%d", out);
	*ret_fd = out;
	out = -1;	/* transferred */
	r = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (mounted)
		(void)umount2(mnt, MNT_DETACH);
	(void)rmdir(mnt);
	return r;
}
