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
#include <sys/statvfs.h>
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

/*
 * Opens path under root one component at a time, never following a symlink
 * (a planted /luks -> /elsewhere link is refused, not followed) and never
 * climbing out with "..". Works on every kernel (openat2's RESOLVE_ flags
 * need 5.6; Ubuntu 20.04 boots 5.4).
 */
static int
open_under(const char *root, const char *path, int flags)
{
	char comp[256];
	int dir, fd;

	dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	for (;;) {
		const char *end;
		size_t n;

		while (*path == '/')
			path++;
		end = strchr(path, '/');
		n = end != NULL ? (size_t)(end - path) : strlen(path);
		if (n == 0 || n >= sizeof(comp) ||
		    (n == 2 && path[0] == '.' && path[1] == '.')) {
			close(dir);
			errno = n >= sizeof(comp) ? ENAMETOOLONG : EINVAL;
			return -1;
		}
		memcpy(comp, path, n);
		comp[n] = '\0';
		path += n;
		while (*path == '/')
			path++;
		if (*path == '\0')
			break;
		fd = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0) {
			struct stat st;
			int e = errno;

			/* O_DIRECTORY answers a symlink with ENOTDIR: name it. */
			if (e == ENOTDIR && fstatat(dir, comp, &st,
			    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				e = ELOOP;
			close(dir);
			errno = e;
			return -1;
		}
		close(dir);
		dir = fd;
	}
	fd = openat(dir, comp, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	{
		int e = errno;

		close(dir);
		errno = e;
	}
	return fd;
}

/*
 * Mounts dev in mnt (read-only without journal replay, or read-write), or
 * finds where it is mounted already. Sets *ret_root to the directory to
 * read under and *ret_mounted when the mount is ours.
 */
static int
mount_dev(const struct blockdev *dev, bool rw, char *mnt, char *other,
    size_t other_len, const char **ret_root, bool *ret_mounted)
{
	unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (!rw)
		fl |= MS_RDONLY;
	/*
	 * EBUSY: someone else holds the device. Where it is mounted already,
	 * read it there; but systemd may be mounting it at this very moment
	 * (its mount not yet in mountinfo), so look again for a while.
	 */
	for (int tries = 0;; tries++) {
		if (mount(dev->node, mnt, dev->type, fl,
		    rw ? "" : ro_options(dev->type)) == 0) {
			*ret_root = mnt;
			*ret_mounted = true;
			return 0;
		}
		int r = -errno;

		if (r != -EBUSY)
			return r;
		if (find_mount(dev, other, other_len) == 0) {
			*ret_root = other;
			return 0;
		}
		if (tries >= HEADER_BUSY_TRIES)
			return r;
		sleep_ms(100);
	}
}

/* The header file at path under root, or path without a leading "/boot". */
static int
open_header(const char *root, const char *path, int flags)
{
	int fd = open_under(root, path, flags);

	if (fd < 0 && errno == ENOENT && strncmp(path, "/boot/", 6) == 0)
		fd = open_under(root, path + 5, flags);
	return fd;
}

/* Refuses what is not a plausible header file. */
static int
check_header_file(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if ((uint64_t)st->st_size > HEADER_MAX || st->st_size < 4096)
		return -EFBIG;
	return 0;
}

/*
 * A private directory to mount the header's filesystem on (mode 0700, by
 * mkdtemp): in /run, else /tmp. buf holds at least 32 bytes. Returns 0 or
 * -errno (buf then "").
 */
static int
private_dir(char *buf, size_t len)
{
	static const char *const where[] = {
		"/run/ade-unlock-hdr.XXXXXX", "/tmp/ade-unlock-hdr.XXXXXX",
	};
	int r = -ENOENT;

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		snprintf(buf, len, "%s", where[i]);
		if (mkdtemp(buf) != NULL)
			return 0;
		r = -errno;
	}
	buf[0] = '\0';
	return r;
}

int
header_fetch(const struct blockdev *dev, const char *path, int *ret_fd,
    char *ret_path, size_t path_len)
{
	char mnt[64], other[256];
	const char *root = NULL;
	struct stat st;
	int in = -1, out = -1, r;
	bool mounted = false;

	if ((r = private_dir(mnt, sizeof(mnt))) < 0)
		return r;
	r = mount_dev(dev, false, mnt, other, sizeof(other), &root, &mounted);
	if (r < 0)
		goto out;
	in = open_header(root, path, O_RDONLY);
	if (in < 0) {
		r = -errno;
		goto out;
	}
	if ((r = check_header_file(in, &st)) < 0)
		goto out;
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

int
header_open_rw(const struct blockdev *dev, const char *path,
    struct header_rw *ret)
{
	char other[256];
	const char *root = NULL;
	struct stat st;
	bool mounted = false;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->fd = -1;
	if ((r = private_dir(ret->mnt, sizeof(ret->mnt))) < 0)
		return r;
	r = mount_dev(dev, true, ret->mnt, other, sizeof(other), &root, &mounted);
	ret->mounted = mounted;
	if (r < 0)
		goto fail;
	if (!mounted) {
		struct statvfs sv;

		/* Mounted elsewhere: bound here, and made writable if need be. */
		if (mount(other, ret->mnt, NULL, MS_BIND, NULL) < 0) {
			r = -errno;
			goto fail;
		}
		ret->mounted = true;
		root = ret->mnt;
		if (statvfs(ret->mnt, &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
			if (mount(NULL, ret->mnt, NULL, MS_REMOUNT | MS_NOSUID |
			    MS_NODEV | MS_NOEXEC, NULL) < 0) {
				r = -errno;
				goto fail;
			}
			ret->made_rw = true;
		}
	}
	ret->fd = open_header(root, path, O_RDWR);
	if (ret->fd < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = check_header_file(ret->fd, &st)) < 0)
		goto fail;
	snprintf(ret->path, sizeof(ret->path), "/proc/self/fd/%d", ret->fd);
	return 0;
fail:
	(void)header_close_rw(ret);
	return r;
}

int
header_close_rw(struct header_rw *h)
{
	int r = 0;

	if (h->fd >= 0) {
		if (fsync(h->fd) < 0)
			r = -errno;
		if (close(h->fd) < 0 && r == 0 && errno != EINTR)
			r = -errno;
		h->fd = -1;
	}
	/*
	 * EBUSY right after the header file was closed is mostly the loop
	 * device libcryptsetup put under it: autoclear releases it
	 * asynchronously (seen in QEMU under load: "Resource busy" while the
	 * header had been written). So each step is tried again for a while.
	 */
	if (h->made_rw) {
		/* Read-only again (the remount writes the filesystem back). */
		int e = 0;

		for (int tries = 0; mount(NULL, h->mnt, NULL, MS_REMOUNT |
		    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0;
		    tries++) {
			e = errno;
			if (e != EBUSY || tries >= HEADER_BUSY_TRIES)
				break;
			e = 0;
			sleep_ms(100);
		}
		if (e != 0 && r == 0)
			r = -e;
		h->made_rw = false;
	}
	if (h->mounted) {
		/*
		 * A plain unmount writes the filesystem back before it
		 * returns; only if something still holds it is it detached
		 * (after a sync, so nothing is left in memory alone).
		 */
		int e = 0;

		for (int tries = 0; umount2(h->mnt, 0) < 0; tries++) {
			e = errno;
			if (e != EBUSY || tries >= HEADER_BUSY_TRIES)
				break;
			e = 0;
			sleep_ms(100);
		}
		if (e != 0) {
			if (r == 0)
				r = -e;
			sync();
			(void)umount2(h->mnt, MNT_DETACH);
		}
		h->mounted = false;
	}
	if (h->mnt[0] != '\0') {
		(void)rmdir(h->mnt);
		h->mnt[0] = '\0';
	}
	return r;
}
