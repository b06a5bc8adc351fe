/* SPDX-License-Identifier: MIT */
/* unlock.c: the unlock run: config, BEK volume, key files, devices, summary. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <libcryptsetup.h>

#include "bekvol.h"
#include "blockdev.h"
#include "cmdline.h"
#include "conf.h"
#include "crypttab.h"
#include "fat.h"
#include "header.h"
#include "keyfile.h"
#include "log.h"
#include "luks.h"
#include "secret.h"
#include "unlock.h"
#include "util.h"

#define ADE_KEY_FILE		"LinuxPassPhraseFileName"
#define ADE_OS_NAME		"osencrypt"
#define MAX_DEVS		(CRYPTTAB_MAX_ENTRIES + 1)
#define MAX_KEYS		64
#define MAX_WORKERS		16
#define CONFIG_FILE_MAX		(1u << 20)
#define DEFAULT_TIMEOUT_S	60
/* The least time reading the key files gets, however late the volume came. */
#define KEY_READ_MIN_MS		10000
/*
 * A nofail device still missing when every device the boot needs is done
 * gets this much longer; then it is left to the host (DESIGN 2: nofail
 * never delays the root).
 */
#define NOFAIL_GRACE_MS		2000
/* ADE's own device wait for its OS disk (91adeOnline's timeout=10). */
#define ADE_OS_TIMEOUT_S	10

enum dev_state {
	DEV_PENDING,
	DEV_OPENED,
	DEV_VERIFIED,		/* --dry-run: the key opens a keyslot */
	DEV_ALREADY,
	DEV_SKIPPED,
	DEV_FAILED,
};

/* One device we own, and how it ended. */
struct dev {
	char		name[128];
	char		spec[256];
	char		header[256];
	char		header_dev[256];
	char		bek_file[256];	/* the file its config names, or "" */
	unsigned	ct_flags;
	unsigned	timeout_s;	/* the device wait, resolved */
	bool		nofail;		/* nofail, and not the root's device */
	uint64_t	keyfile_size, keyfile_offset;

	enum dev_state	state;
	char		reason[512];
	char		key_used[256];
	char		type[8];
	int		keyslot;
	uint64_t	ms;
	bool		was_active;	/* dry run: it is open now */
	bool		ade_os;		/* rd.luks.ade.partuuid='s osencrypt */
	bool		from_cmdline;	/* added by rd.luks.uuid= / rd.luks.name= */
	bool		claimed;	/* owns its LUKS UUID in this run */
	char		uuid[40];	/* of its LUKS header, once loaded */
};

/* One key file read from the BEK volume. */
struct key {
	char		file[256];
	struct secret	*pass;		/* NULL when unusable */
	int		err;
	const char	*why;		/* reason when unusable */
	char		detail[160];	/* what the decoder saw, if anything */
};

struct run {
	const struct unlock_opts *opts;
	struct cmdline	cmd;
	struct conf	conf;
	struct crypttab	*ct;
	struct dev	devs[MAX_DEVS];
	unsigned	n_devs;
	struct key	keys[MAX_KEYS];
	unsigned	n_keys;
	const char	*label;
	unsigned	device_timeout_s;

	/* The work queue and the PBKDF memory budget. */
	pthread_mutex_t	lock;
	pthread_cond_t	cond;
	unsigned	next;
	unsigned	order[MAX_DEVS];	/* required devices first */
	unsigned	required_left;	/* pending devices that are not nofail */
	uint64_t	release_ms;	/* nofail waits end here (atomic) */
	uint64_t	budget_kb, inflight_kb;
	unsigned	inflight, max_parallel;
};

/* Reads a whole config file; a missing optional file reads as empty. */
static int
read_config(const char *path, bool optional, char **ret, size_t *ret_len)
{
	char *buf = malloc(CONFIG_FILE_MAX);
	int r;

	if (buf == NULL)
		return -ENOMEM;
	r = conf_read_file(path, buf, CONFIG_FILE_MAX, ret_len);
	if (r == -ENOENT && optional) {
		buf[0] = '\0';
		*ret_len = 0;
		r = 0;
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	return 0;
}

/* The parsers' warnings already name file and line. */
static void
log_warnings(const struct config_warnings *w, const char *what)
{
	for (unsigned i = 0; i < w->count && i < 32; i++)
		log_warn("config", "%s", w->msg[i]);
	if (w->count > 32)
		log_warn(what, "%u more warnings not shown", w->count - 32);
}

static void
log_config_error(const struct config_error *e, int r)
{
	if (e->line > 0)
		log_error(e->file, "line %u: %s: %s; nothing was tried", e->line,
		    e->field, e->reason[0] != '\0' ? e->reason : strerror(-r));
	else
		log_error(e->file[0] != '\0' ? e->file : "config",
		    "%s: %s; nothing was tried", e->field,
		    e->reason[0] != '\0' ? e->reason : strerror(-r));
}

/* Loads cmdline, conf and crypttab. Returns 0 or an exit code. */
static int
load_config(struct run *run)
{
	const struct unlock_opts *o = run->opts;
	struct config_error err;
	struct config_warnings warn;
	char *text = NULL;
	size_t len = 0;
	int r, code = EXIT_CONFIG;

	cmdline_init(&run->cmd);
	conf_init(&run->conf);

	memset(&err, 0, sizeof(err));
	memset(&warn, 0, sizeof(warn));
	/* dracut's getcmdline(): cmdline_dir's *.conf, /etc/cmdline, /proc. */
	if ((text = malloc(CMDLINE_TEXT_MAX)) == NULL) {
		log_error("memory", "out of memory; nothing was tried");
		goto out;
	}
	if ((r = cmdline_read_all(o->cmdline_dir, o->etc_cmdline_path,
	    o->cmdline_path, text, CMDLINE_TEXT_MAX, &len, &warn)) < 0) {
		log_warnings(&warn, o->cmdline_path);
		log_error(o->cmdline_path, "cannot read: %s; nothing was tried",
		    strerror(-r));
		goto out;
	}
	/* A bad word is a warning and ignored: only an internal error fails. */
	r = cmdline_parse(text, len, &run->cmd, &err, &warn);
	free(text);
	text = NULL;
	if (r < 0) {
		snprintf(err.file, sizeof(err.file), "%s", o->cmdline_path);
		log_config_error(&err, r);
		goto out;
	}
	if (run->cmd.debug || o->debug)
		log_set_debug(true);
	log_warnings(&warn, o->cmdline_path);
	/* Each switch named: rd.ade=0 and rd_NO_ADE, then rd.ade.unlock=0. */
	if (run->cmd.disabled) {
		log_notice("config", "disabled by %s: nothing done",
		    run->cmd.disabled_by != NULL ? run->cmd.disabled_by :
		    "rd.ade=0");
		code = 0;
		goto out;
	}
	if (run->cmd.unlock_disabled) {
		log_notice("config", "disabled by rd.ade.unlock=0: nothing done "
		    "(ADE's own module, if installed, unlocks instead)");
		code = 0;
		goto out;
	}

	memset(&err, 0, sizeof(err));
	memset(&warn, 0, sizeof(warn));
	if ((r = read_config(o->conf_path, true, &text, &len)) < 0) {
		log_error(o->conf_path, "cannot read: %s; nothing was tried",
		    strerror(-r));
		goto out;
	}
	r = conf_parse(text, len, o->conf_path, &run->conf, &err, &warn);
	free(text);
	text = NULL;
	if (r < 0) {
		log_config_error(&err, r);
		goto out;
	}
	log_warnings(&warn, o->conf_path);
	cmdline_apply(&run->cmd, &run->conf);

	memset(&err, 0, sizeof(err));
	memset(&warn, 0, sizeof(warn));
	if ((r = read_config(o->crypttab_path, true, &text, &len)) < 0) {
		log_error(o->crypttab_path, "cannot read: %s; nothing was tried",
		    strerror(-r));
		goto out;
	}
	r = crypttab_parse(text, len, o->crypttab_path, run->ct, &err, &warn);
	free(text);
	text = NULL;
	if (r < 0) {
		log_config_error(&err, r);
		goto out;
	}
	log_warnings(&warn, o->crypttab_path);

	run->label = run->conf.label;
	run->device_timeout_s = run->conf.device_timeout_s;
	code = -1;	/* go on */
out:
	free(text);
	return code;
}

static struct dev *
add_dev(struct run *run, const char *name)
{
	struct dev *d;

	for (unsigned i = 0; i < run->n_devs; i++)
		if (strcmp(run->devs[i].name, name) == 0)
			return NULL;
	if (run->n_devs == MAX_DEVS)
		return NULL;
	d = &run->devs[run->n_devs++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->keyslot = -1;
	return d;
}

/* Builds the list of devices we own from crypttab, the conf and cmdline. */
static void
plan_devices(struct run *run)
{
	const char *bek_uuid = run->conf.bek_uuid[0] != '\0' ?
	    run->conf.bek_uuid : NULL;

	for (unsigned i = 0; i < run->ct->n; i++) {
		const struct crypttab_entry *e = &run->ct->e[i];
		char file[256];
		const char *cf = conf_key_file(&run->conf, e->name);
		struct dev *d;

		if (crypttab_entry_bek_file(e, run->label, bek_uuid, file,
		    sizeof(file)) != 1) {
			if (cf == NULL) {
				log_info(e->name, "not ours (key file '%s'): left "
				    "to the normal path", e->keyfile[0] != '\0' ?
				    e->keyfile : "none");
				continue;
			}
			snprintf(file, sizeof(file), "%s", cf);
		}
		d = add_dev(run, e->name);
		if (d == NULL)
			continue;
		snprintf(d->spec, sizeof(d->spec), "%s", e->device);
		snprintf(d->bek_file, sizeof(d->bek_file), "%s", file);
		snprintf(d->header, sizeof(d->header), "%s", e->header);
		snprintf(d->header_dev, sizeof(d->header_dev), "%s", e->header_dev);
		d->ct_flags = e->flags;
		/*
		 * crypttab(5): the device wait is x-systemd.device-timeout=
		 * (timeout= is the prompt's, and ade-unlock never prompts).
		 * ADE's OS disk keeps ADE's 10 s; every other the conf's.
		 */
		if (e->device_timeout_set)
			d->timeout_s = e->device_timeout_s;
		else if (strcmp(e->name, ADE_OS_NAME) == 0)
			d->timeout_s = ADE_OS_TIMEOUT_S;
		else
			d->timeout_s = run->device_timeout_s;
		/*
		 * The root's device is never nofail here: it opens first, and
		 * keeps its prompt. ADE writes its OS line with nofail on some
		 * paths (CryptMountConfigUtil.add_crypt_item_to_crypttab).
		 */
		d->nofail = (e->flags & CT_NOFAIL) &&
		    strcmp(e->name, ADE_OS_NAME) != 0;
		if ((e->flags & CT_NOFAIL) && !d->nofail)
			log_info(e->name, "nofail ignored: ADE's OS disk is the "
			    "root's, opened first and prompted for on failure");
		d->keyfile_size = e->keyfile_size;
		d->keyfile_offset = e->keyfile_offset;
		if (e->flags & CT_NETDEV) {
			d->state = DEV_SKIPPED;
			snprintf(d->reason, sizeof(d->reason),
			    "_netdev: needs the network, not opened in the initramfs");
		} else if ((e->flags & CT_NOAUTO) &&
		    run->cmd.n_uuids + run->cmd.n_names == 0) {
			/*
			 * As systemd: noauto is not opened at boot. Named in
			 * rd.luks.uuid=/rd.luks.name=, it is (the list decides
			 * once the header's UUID is known).
			 */
			d->state = DEV_SKIPPED;
			snprintf(d->reason, sizeof(d->reason),
			    "noauto: not opened at boot");
		} else if (!blockdev_spec_valid(d->spec)) {
			d->state = DEV_FAILED;
			snprintf(d->reason, sizeof(d->reason), "device '%.200s' is not "
			    "UUID=, PARTUUID=, LABEL=, PARTLABEL= or /dev/...",
			    d->spec);
		}
	}

	/* ADE's OS disk: rd.luks.ade.partuuid= (+ bootuuid= for the header). */
	if (run->cmd.ade_partuuid[0] != '\0') {
		struct dev *d = add_dev(run, ADE_OS_NAME);

		if (d != NULL) {
			snprintf(d->spec, sizeof(d->spec), "PARTUUID=%s",
			    run->cmd.ade_partuuid);
			snprintf(d->bek_file, sizeof(d->bek_file), ADE_KEY_FILE);
			d->ade_os = true;
			d->ct_flags = CT_DISCARD;
			d->timeout_s = ADE_OS_TIMEOUT_S;
			if (run->cmd.ade_bootuuid[0] != '\0') {
				snprintf(d->header, sizeof(d->header),
				    "/boot/luks/osluksheader");
				snprintf(d->header_dev, sizeof(d->header_dev),
				    "UUID=%s", run->cmd.ade_bootuuid);
			}
		} else
			log_info("osencrypt", "rd.luks.ade.partuuid= given, "
			    "crypttab's osencrypt entry is used");
	}

	/*
	 * rd.luks.uuid= and rd.luks.name= devices crypttab does not name:
	 * opened as luks-UUID or the rd.luks.name= name, with ADE's key files.
	 */
	for (unsigned i = 0; i < run->cmd.n_uuids + run->cmd.n_names; i++) {
		const char *uuid = i < run->cmd.n_uuids ? run->cmd.uuids[i] :
		    run->cmd.names[i - run->cmd.n_uuids].uuid;
		const char *rdname = cmdline_uuid_name(&run->cmd, uuid);
		char name[128], spec[64];
		bool known = false;
		struct dev *d;

		snprintf(spec, sizeof(spec), "UUID=%s", uuid);
		for (unsigned k = 0; k < run->n_devs; k++)
			if (strcasecmp(run->devs[k].spec, spec) == 0)
				known = true;
		for (unsigned k = 0; k < run->ct->n && !known; k++)
			if (strcasecmp(run->ct->e[k].device, spec) == 0)
				known = true;	/* crypttab's, not ours */
		if (known)
			continue;
		if (rdname != NULL)
			snprintf(name, sizeof(name), "%s", rdname);
		else
			snprintf(name, sizeof(name), "luks-%s", uuid);
		d = add_dev(run, name);
		if (d == NULL)
			continue;
		snprintf(d->spec, sizeof(d->spec), "%s", spec);
		d->from_cmdline = true;
		d->timeout_s = run->device_timeout_s;
	}

	if (run->cmd.luks_disabled) {
		for (unsigned i = 0; i < run->n_devs; i++) {
			struct dev *d = &run->devs[i];

			if (d->state != DEV_PENDING)
				continue;
			d->state = DEV_SKIPPED;
			snprintf(d->reason, sizeof(d->reason), "rd.luks=0");
		}
	}
}

static bool
any_pending(const struct run *run)
{
	for (unsigned i = 0; i < run->n_devs; i++)
		if (run->devs[i].state == DEV_PENDING)
			return true;
	return false;
}

/* ---- key files ------------------------------------------------------- */

static struct key *
find_key(struct run *run, const char *file)
{
	for (unsigned i = 0; i < run->n_keys; i++)
		if (strcasecmp(run->keys[i].file, file) == 0)
			return &run->keys[i];
	return NULL;
}

static void
want_key(struct run *run, const char *file)
{
	if (file[0] == '\0' || find_key(run, file) != NULL ||
	    run->n_keys == MAX_KEYS)
		return;
	run->keys[run->n_keys] = (struct key){ .pass = NULL };
	snprintf(run->keys[run->n_keys].file, sizeof(run->keys[0].file), "%s",
	    file);
	run->n_keys++;
}

static int
collect_ade_names(const struct fat_entry *e, void *userdata)
{
	struct run *run = userdata;

	if (e->attr & 0x10)	/* a directory */
		return 0;
	if (strncasecmp(e->name, ADE_KEY_FILE, strlen(ADE_KEY_FILE)) == 0)
		want_key(run, e->name);
	return 0;
}

static int
cmp_keys(const void *a, const void *b)
{
	return strverscmp(((const struct key *)a)->file,
	    ((const struct key *)b)->file);
}

/*
 * Reads every key file any device may need, once: the files the config
 * names, LinuxPassPhraseFileName, and the other LinuxPassPhraseFileName*
 * files in version order, within the FAT reader's work budget and by
 * deadline (now_ms() clock). Returns the number of usable keys, or -errno.
 */
/*
 * True if path lives on a filesystem that ends with the boot (the
 * initramfs's rootfs, tmpfs, ramfs): a file there is a copy, and what is
 * written to it is lost.
 */
static bool
on_volatile_fs(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return false;
	return (unsigned long)sf.f_type == TMPFS_MAGIC ||
	    (unsigned long)sf.f_type == RAMFS_MAGIC;
}

/*
 * The KEK file in the initramfs, overwritten in place and removed as soon as
 * it is loaded: it is needed once, and a tmpfs frees its pages unwiped. Not
 * on a filesystem that outlives the boot (a dry run on the booted system
 * reads the real file), never through a symlink.
 */
static void
destroy_kek_file(const char *path)
{
	static const unsigned char zero[512];
	struct stat st;
	int fd;

	if (!on_volatile_fs(path))
		return;
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_warn(path, "cannot overwrite the key-encryption key: %s",
		    fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return;
	}
	for (off_t o = 0; o < st.st_size;) {
		size_t n = (size_t)(st.st_size - o) < sizeof(zero) ?
		    (size_t)(st.st_size - o) : sizeof(zero);
		ssize_t w = pwrite(fd, zero, n, o);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_warn(path, "cannot overwrite the key-encryption key: %s",
			    w < 0 ? strerror(errno) : "short write");
			break;
		}
		o += w;
	}
	(void)fsync(fd);
	close(fd);
	if (unlink(path) < 0)
		log_warn(path, "cannot remove the key-encryption key: %s",
		    strerror(errno));
	else
		log_debug(path, "key-encryption key overwritten and removed");
}

static int
read_keys(struct run *run, const struct blockdev *bek, uint64_t deadline)
{
	static struct fat_volume vol;
	struct secret *kek = NULL;
	bool kek_tried = false;
	int fd, r, r2, usable = 0;
	unsigned named;

	fd = open(bek->node, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		log_error(run->label, "cannot open %s: %s", bek->node,
		    strerror(-r));
		return r;
	}
	r = fat_open(&vol, fd, bek->size);
	if (r < 0) {
		log_error(run->label, "%s: not a readable FAT filesystem: %s",
		    bek->name, fat_explain(&vol, r));
		goto out;
	}
	fat_set_limits(&vol, FAT_BUDGET_BYTES, FAT_BUDGET_LINKS, deadline);

	for (unsigned i = 0; i < run->n_devs; i++)
		if (run->devs[i].state == DEV_PENDING)
			want_key(run, run->devs[i].bek_file);
	named = run->n_keys;
	want_key(run, ADE_KEY_FILE);
	r = fat_list_dir(&vol, "/", collect_ade_names, run);
	if (r < 0)
		log_warn(run->label, "%s: cannot list the root directory: %s",
		    bek->name, fat_explain(&vol, r));
	/* Named and LinuxPassPhraseFileName first, the rest in a fixed order. */
	if (run->n_keys > named + 1)
		qsort(&run->keys[named + 1], run->n_keys - named - 1,
		    sizeof(run->keys[0]), cmp_keys);

	for (unsigned i = 0; i < run->n_keys; i++) {
		struct key *k = &run->keys[i];
		struct fat_entry fe;
		struct secret *raw = NULL;
		struct keyfile_diag diag = { .detail = NULL };

		r = fat_find(&vol, k->file, &fe);
		if (r == 0 && (raw = secret_new()) == NULL)
			r = -ENOMEM;
		if (r == 0)
			r = fat_read_file(&vol, &fe, raw->buf, KEYFILE_MAX,
			    &raw->len);
		if (r == -EDQUOT || r == -ETIMEDOUT) {
			/* The volume is spent: no later file can be read. */
			log_error(run->label, "%s: stopped reading at key file "
			    "'%s': %s; %u key files not read", bek->name,
			    k->file, fat_explain(&vol, r), run->n_keys - i);
			for (unsigned j = i; j < run->n_keys; j++) {
				run->keys[j].err = -ECANCELED;
				run->keys[j].why = "not read";
			}
			secret_free(raw);
			break;
		}
		if (r < 0) {
			k->err = r;
			k->why = r == -EFBIG ? "larger than 8 KiB: refused" :
			    fat_explain(&vol, r);
			secret_free(raw);
			continue;
		}
		if (keyfile_detect(raw->buf, raw->len) == KEYFILE_JWE &&
		    !kek_tried) {
			kek_tried = true;
			kek = secret_new();
			r = kek == NULL ? -ENOMEM :
			    keyfile_kek_load(run->conf.kek_path, kek);
			if (r < 0) {
				log_error(run->conf.kek_path, "cannot load the "
				    "key-encryption key: %s", keyfile_strerror(r));
				secret_free(kek);
				kek = NULL;
			}
		}
		k->pass = secret_new();
		r = k->pass == NULL ? -ENOMEM :
		    keyfile_decode_ex(raw->buf, raw->len, kek, k->pass, &diag);
		secret_free(raw);
		if (r < 0) {
			k->err = r;
			k->why = keyfile_strerror(r);
			/* Only where the code alone does not say what was wrong. */
			if (r == -EPROTONOSUPPORT || (r == -EINVAL &&
			    diag.detail != NULL))
				snprintf(k->detail, sizeof(k->detail),
				    "alg '%s', enc '%s'%s%s", diag.alg, diag.enc,
				    diag.detail != NULL ? ": " : "",
				    diag.detail != NULL ? diag.detail : "");
			secret_free(k->pass);
			k->pass = NULL;
			continue;
		}
		usable++;
		log_debug(run->label, "key file '%s': %zu bytes, usable",
		    k->file, k->pass->len);
	}
	r = usable;
out:
	if ((r2 = fat_drop_cache(&vol)) < 0)
		log_debug(run->label, "page cache of %s not dropped: %s",
		    bek->name, strerror(-r2));
	close(fd);
	if (kek != NULL && !run->opts->dry_run)
		destroy_kek_file(run->conf.kek_path);
	secret_free(kek);
	return r;
}

static void
free_keys(struct run *run)
{
	for (unsigned i = 0; i < run->n_keys; i++) {
		secret_free(run->keys[i].pass);
		run->keys[i].pass = NULL;
	}
	secret_wipe_all();
}

/* ---- devices ----------------------------------------------------------- */

/*
 * Waits until spec names exactly one device, or the deadline passes; for a
 * nofail device also until run->release_ms (once the devices the boot
 * needs are done). *ret_released says that cut the wait short.
 */
static int
wait_for(const struct run *run, const struct dev *d, const char *spec,
    uint64_t deadline, struct blockdev *ret, bool *ret_released)
{
	unsigned pause = 50;

	*ret_released = false;
	for (;;) {
		int r = blockdev_find(spec, ret);
		uint64_t t = now_ms();

		if (r != -ENOENT || t >= deadline)
			return r;
		if (d->nofail &&
		    t >= __atomic_load_n(&run->release_ms, __ATOMIC_ACQUIRE)) {
			*ret_released = true;
			return r;
		}
		sleep_ms(pause);
		if (pause < 250)
			pause *= 2;
	}
}

static uint32_t
activate_flags(const struct dev *d)
{
	uint32_t f = 0;

	if (d->ct_flags & CT_DISCARD)
		f |= CRYPT_ACTIVATE_ALLOW_DISCARDS;
	if (d->ct_flags & CT_READONLY)
		f |= CRYPT_ACTIVATE_READONLY;
	if (d->ct_flags & CT_SAME_CPU_CRYPT)
		f |= CRYPT_ACTIVATE_SAME_CPU_CRYPT;
	if (d->ct_flags & CT_SUBMIT_FROM_CRYPT_CPUS)
		f |= CRYPT_ACTIVATE_SUBMIT_FROM_CRYPT_CPUS;
	if (d->ct_flags & CT_NO_READ_WORKQUEUE)
		f |= CRYPT_ACTIVATE_NO_READ_WORKQUEUE;
	if (d->ct_flags & CT_NO_WRITE_WORKQUEUE)
		f |= CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE;
	return f;
}

/* The budget: PBKDF memory in flight against MemAvailable, and a CPU cap. */
static void
budget_take(struct run *run, uint64_t kb)
{
	pthread_mutex_lock(&run->lock);
	while (run->inflight > 0 && (run->inflight >= run->max_parallel ||
	    run->inflight_kb + kb > run->budget_kb))
		pthread_cond_wait(&run->cond, &run->lock);
	run->inflight++;
	run->inflight_kb += kb;
	pthread_mutex_unlock(&run->lock);
}

static void
budget_give(struct run *run, uint64_t kb)
{
	pthread_mutex_lock(&run->lock);
	run->inflight--;
	run->inflight_kb -= kb;
	pthread_cond_broadcast(&run->cond);
	pthread_mutex_unlock(&run->lock);
}

/* Tries one key on a device, applying keyfile-offset= and keyfile-size=. */
static int
try_key(struct luks_dev *ld, const struct dev *d, const struct key *k,
    const char *name)
{
	struct secret *s;
	uint64_t off = d->keyfile_offset, len;
	int r;

	if (d->keyfile_offset == 0 && d->keyfile_size == 0)
		return luks_activate(ld, name, k->pass, activate_flags(d));
	if (off >= k->pass->len)
		return -ENODATA;
	len = k->pass->len - off;
	if (d->keyfile_size != 0) {
		if (d->keyfile_size > len)
			return -ENODATA;
		len = d->keyfile_size;
	}
	s = secret_new();
	if (s == NULL)
		return -ENOMEM;
	memcpy(s->buf, k->pass->buf + off, len);
	s->len = len;
	r = luks_activate(ld, name, s, activate_flags(d));
	secret_free(s);
	return r;
}

/* The order a device tries keys in: its own file, ADE's, then the rest. */
static unsigned
key_order(const struct run *run, const struct dev *d, unsigned *order)
{
	unsigned n = 0;
	bool used[MAX_KEYS] = { false };

	for (unsigned pass = 0; pass < 3; pass++) {
		for (unsigned i = 0; i < run->n_keys; i++) {
			const char *f = run->keys[i].file;

			if (used[i] || (pass == 0 && strcasecmp(f, d->bek_file) != 0) ||
			    (pass == 1 && strcasecmp(f, ADE_KEY_FILE) != 0))
				continue;
			used[i] = true;
			order[n++] = i;
		}
	}
	return n;
}

static void
set_reason(struct dev *d, enum dev_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_reason(struct dev *d, enum dev_state st, const char *fmt, ...)
{
	va_list ap;

	d->state = st;
	va_start(ap, fmt);
	vsnprintf(d->reason, sizeof(d->reason), fmt, ap);
	va_end(ap);
}

static void
open_one(struct run *run, struct dev *d)
{
	struct blockdev bd, hd;
	struct luks_dev *ld = NULL;
	struct luks_info info;
	char hpath[64];
	const char *header = NULL;
	unsigned order[MAX_KEYS], n;
	unsigned tout = d->timeout_s;
	uint64_t start = now_ms(), deadline = start + (uint64_t)tout * 1000;
	uint64_t kb = 0;
	bool took = false, rejected = false, released;
	struct header_rw hrw = { .fd = -1 };
	int hfd = -1, r;

	/* A dry run on a live system verifies the key even of open devices. */
	if (luks_is_active(d->name)) {
		if (!run->opts->dry_run) {
			set_reason(d, DEV_ALREADY, "/dev/mapper/%s exists; left "
			    "alone", d->name);
			goto out;
		}
		d->was_active = true;
	}
	r = wait_for(run, d, d->spec, deadline, &bd, &released);
	if (r == -ENOENT && released) {
		uint64_t w = now_ms() - start;

		set_reason(d, DEV_FAILED, "device not found by the time the "
		    "devices the boot needs were done (waited %llu.%llu s); "
		    "left to the host after switch_root",
		    (unsigned long long)w / 1000,
		    (unsigned long long)(w % 1000) / 100);
		goto out;
	} else if (r == -ENOENT) {
		set_reason(d, DEV_FAILED, "device not found after %u s", tout);
		goto out;
	} else if (r == -ENOTUNIQ) {
		set_reason(d, DEV_FAILED, "'%s' matches more than one device",
		    d->spec);
		goto out;
	} else if (r < 0) {
		set_reason(d, DEV_FAILED, "cannot look for the device: %s",
		    strerror(-r));
		goto out;
	}

	if (d->header[0] != '\0' && d->header_dev[0] != '\0') {
		r = wait_for(run, d, d->header_dev, deadline, &hd, &released);
		if (r < 0) {
			set_reason(d, DEV_FAILED, "header device '%s' %s%s",
			    d->header_dev, r == -ENOENT ? "not found" :
			    strerror(-r), released ? " by the time the devices "
			    "the boot needs were done" : "");
			goto out;
		}
		r = header_fetch(&hd, d->header, &hfd, hpath, sizeof(hpath));
		if (r < 0) {
			set_reason(d, DEV_FAILED, "cannot read header '%s' from "
			    "%s (%s): %s", d->header, hd.name, hd.type,
			    r == -ELOOP ? "a symbolic link on its path (never "
			    "followed)" : strerror(-r));
			goto out;
		}
		header = hpath;
	} else if (d->header[0] != '\0')
		header = d->header;

reload:
	r = luks_load(bd.node, header, &ld);
	if (r < 0) {
		set_reason(d, DEV_FAILED, "%s: %s", header != NULL ? header :
		    bd.node, r == -EINVAL ? "no LUKS header" : strerror(-r));
		goto out;
	}
	luks_get_info(ld, &info);
	snprintf(d->type, sizeof(d->type), "%s", info.type);
	snprintf(d->uuid, sizeof(d->uuid), "%s", info.uuid);
	/* ADE's OS disk is named by rd.luks.ade.partuuid= itself. */
	if (!d->ade_os && !cmdline_uuid_allowed(&run->cmd, info.uuid)) {
		set_reason(d, DEV_SKIPPED, "UUID %s not in rd.luks.uuid=",
		    info.uuid);
		goto out;
	}
	/*
	 * A header that needs no key is hostile (DESIGN: a disk is hostile
	 * until its header proves a real key is needed): refused before any
	 * key derivation, and before it can claim its UUID.
	 */
	if (info.plain_keyslot >= 0) {
		set_reason(d, DEV_FAILED, "keyslot %d does not encrypt: refused",
		    info.plain_keyslot);
		goto out;
	}
	if (info.plain_segment) {
		set_reason(d, DEV_FAILED, "data segment is not encrypted: refused");
		goto out;
	}
	if (info.reencrypt_old) {
		set_reason(d, DEV_FAILED, "its reencryption metadata has no "
		    "digest (written by cryptsetup before 2.3.7): run 'cryptsetup "
		    "repair%s%s %s' with its passphrase, then resume the "
		    "encryption", header != NULL ? " --header " : "",
		    header != NULL ? d->header : "", d->spec);
		goto out;
	}
	/*
	 * An interrupted reencryption step is recovered by the activation:
	 * the hotzone rewritten on the data device and the header updated.
	 * DESIGN allows that one write, against the real header only: a
	 * recovery written to a copy is lost, the header on disk stays
	 * "crashed", and every later open replays stale data over the hotzone.
	 */
	if (info.reencrypt_crash && !run->opts->dry_run && hfd >= 0) {
		/* The copy read off the boot filesystem: load the real file. */
		luks_free(ld);
		ld = NULL;
		close(hfd);
		hfd = -1;
		r = header_open_rw(&hd, d->header, &hrw);
		if (r < 0) {
			set_reason(d, DEV_FAILED, "its reencryption was interrupted, "
			    "and its header '%s' on %s cannot be opened for the "
			    "recovery: %s", d->header, hd.name, strerror(-r));
			goto out;
		}
		log_info(d->name, "its reencryption was interrupted: recovering "
		    "it against the real header '%s' on %s (mounted read-write "
		    "for this step)", d->header, hd.name);
		header = hrw.path;
		goto reload;
	}
	if (info.reencrypt_crash && !run->opts->dry_run && header != NULL &&
	    hrw.fd < 0 && on_volatile_fs(header)) {
		set_reason(d, DEV_FAILED, "its reencryption was interrupted, and "
		    "its header '%s' is a copy inside the initramfs: a recovery "
		    "written there would be lost; open it once with the real "
		    "header (cryptsetup open --header) to recover it", d->header);
		goto out;
	}
	if (info.reencrypt_crash && (run->opts->dry_run || header == NULL))
		log_info(d->name, "its reencryption was interrupted: %s recovers "
		    "it on %s", run->opts->dry_run ? "opening it" : "opening it now",
		    header != NULL ? d->header : "the device's own header");
	else if (info.reencrypt && !info.reencrypt_crash)
		log_info(d->name, "LUKS2 header in reencryption: opening it "
		    "as it is (the reencryption resumes after boot)");

	/* One LUKS device, one mapping: the first to load its header owns it. */
	{
		const struct dev *owner = NULL;

		pthread_mutex_lock(&run->lock);
		for (unsigned i = 0; i < run->n_devs && owner == NULL; i++)
			if (&run->devs[i] != d && run->devs[i].claimed &&
			    strcasecmp(run->devs[i].uuid, d->uuid) == 0)
				owner = &run->devs[i];
		if (owner == NULL)
			d->claimed = true;
		pthread_mutex_unlock(&run->lock);
		if (owner != NULL) {
			set_reason(d, DEV_SKIPPED, "same LUKS device as '%s'",
			    owner->name);
			goto out;
		}
	}

	kb = info.max_pbkdf_kb;
	budget_take(run, kb);
	took = true;
	n = key_order(run, d, order);
	for (unsigned i = 0; i < n; i++) {
		const struct key *k = &run->keys[order[i]];

		if (k->pass == NULL)
			continue;
		r = try_key(ld, d, k, run->opts->dry_run ? NULL : d->name);
		if (r == -EPERM || r == -ENODATA) {
			rejected = true;
			log_debug(d->name, "key file '%s': no keyslot accepts it",
			    k->file);
			continue;
		}
		if (r == -EEXIST) {
			set_reason(d, DEV_ALREADY, "/dev/mapper/%s exists; left "
			    "alone", d->name);
			goto out;
		}
		if (r < 0) {
			set_reason(d, DEV_FAILED, "activation failed: %s",
			    strerror(-r));
			goto out;
		}
		d->keyslot = r;
		snprintf(d->key_used, sizeof(d->key_used), "%s", k->file);
		d->state = run->opts->dry_run ? DEV_VERIFIED : DEV_OPENED;
		goto out;
	}
	set_reason(d, DEV_FAILED, rejected ? "no keyslot accepted the key" :
	    "no usable key file for it");
out:
	if (took)
		budget_give(run, kb);
	luks_free(ld);
	if (hfd >= 0)
		close(hfd);
	if (hrw.fd >= 0 || hrw.mnt[0] != '\0') {
		r = header_close_rw(&hrw);
		if (r < 0)
			log_error(d->name, "writing back the header '%s' on %s "
			    "failed: %s (check it before resuming the encryption)",
			    d->header, hd.name, strerror(-r));
		else if (d->state == DEV_OPENED)
			log_info(d->name, "reencryption recovered; the header '%s' "
			    "written back and %s unmounted", d->header, hd.name);
	}
	d->ms = now_ms() - start;
}

/* Sets when the nofail waits end: NOFAIL_GRACE_MS after the last needed. */
static void
release_nofail(struct run *run)
{
	uint64_t t = now_ms() + NOFAIL_GRACE_MS;

	__atomic_store_n(&run->release_ms, t, __ATOMIC_RELEASE);
	log_debug("devices", "every device the boot needs is done: nofail "
	    "devices get %u ms more", NOFAIL_GRACE_MS);
}

static void
required_done(struct run *run)
{
	bool last;

	pthread_mutex_lock(&run->lock);
	last = --run->required_left == 0;
	pthread_mutex_unlock(&run->lock);
	if (last)
		release_nofail(run);
}

static void *
worker(void *arg)
{
	struct run *run = arg;

	for (;;) {
		struct dev *d = NULL;

		pthread_mutex_lock(&run->lock);
		while (run->next < run->n_devs && d == NULL) {
			struct dev *c = &run->devs[run->order[run->next]];

			if (c->state == DEV_PENDING)
				d = c;
			run->next++;
		}
		pthread_mutex_unlock(&run->lock);
		if (d == NULL)
			return NULL;
		open_one(run, d);
		if (!d->nofail)
			required_done(run);
	}
}

static uint64_t
mem_available_kb(void)
{
	char buf[4096];
	char *p;
	unsigned long long kb;
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "MemAvailable:");
	if (p == NULL || sscanf(p + 13, "%llu", &kb) != 1)
		return 0;
	return kb;
}

static void
open_all(struct run *run)
{
	pthread_t th[MAX_WORKERS];
	unsigned n_pending = 0, n_threads, started = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t avail = mem_available_kb();

	/*
	 * The devices the boot needs first, nofail ones after them: with
	 * fewer PBKDF slots than devices, the root's go first.
	 */
	run->next = 0;
	run->required_left = 0;
	for (unsigned pass = 0, k = 0; pass < 2; pass++)
		for (unsigned i = 0; i < run->n_devs; i++) {
			const struct dev *d = &run->devs[i];

			if (d->nofail != (pass == 1))
				continue;
			run->order[k++] = i;
			if (d->state != DEV_PENDING)
				continue;
			n_pending++;
			if (!d->nofail)
				run->required_left++;
		}
	run->release_ms = UINT64_MAX;
	if (run->required_left == 0)
		release_nofail(run);
	/* Half of what is free for PBKDFs in flight; one always may run. */
	run->budget_kb = avail > 0 ? avail / 2 : 256 * 1024;
	run->max_parallel = run->conf.parallel != 0 ? run->conf.parallel :
	    (unsigned)(cpus > 0 ? cpus : 1);
	/* Waiting for devices costs no CPU: more threads than PBKDF slots. */
	n_threads = n_pending < MAX_WORKERS ? n_pending : MAX_WORKERS;
	log_debug("devices", "%u to open, %u threads, %u PBKDFs at once, "
	    "budget %llu MiB", n_pending, n_threads, run->max_parallel,
	    (unsigned long long)run->budget_kb / 1024);
	for (unsigned i = 0; i < n_threads; i++)
		if (pthread_create(&th[started], NULL, worker, run) == 0)
			started++;
	if (started == 0)
		worker(run);
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
}

static void
report(const struct run *run)
{
	for (unsigned i = 0; i < run->n_devs; i++) {
		const struct dev *d = &run->devs[i];
		char subj[400];

		snprintf(subj, sizeof(subj), "%s (%s)", d->name, d->spec);
		switch (d->state) {
		case DEV_OPENED:
			log_notice(subj, "opened as /dev/mapper/%s in %llu.%llu s "
			    "(keyslot %d, %s, key file '%s')", d->name,
			    (unsigned long long)d->ms / 1000,
			    (unsigned long long)(d->ms % 1000) / 100, d->keyslot,
			    d->type, d->key_used);
			break;
		case DEV_VERIFIED:
			log_notice(subj, "verified: %s /dev/mapper/%s (keyslot "
			    "%d, %s, key file '%s')", d->was_active ?
			    "the key opens it; open now as" : "would open as",
			    d->name, d->keyslot, d->type, d->key_used);
			break;
		case DEV_ALREADY:
			log_notice(subj, "already-open (%s)", d->reason);
			break;
		case DEV_SKIPPED:
			log_notice(subj, "skipped (%s)", d->reason);
			break;
		case DEV_FAILED:
		case DEV_PENDING:
			log_error(subj, "FAILED (%s)%s", d->reason,
			    d->nofail ? "; nofail: the boot "
			    "goes on without it" : "; left to the passphrase "
			    "prompt");
			break;
		}
	}
}

/*
 * A small report file written whole or not at all: opened as PATH.tmp
 * (into tmp, of tmp_len bytes), renamed over PATH by report_close.
 * Failures are one warning under subject; NULL when it cannot be written.
 */
static FILE *
report_open(const char *path, const char *subject, char *tmp, size_t tmp_len)
{
	FILE *f;
	int fd;

	if ((size_t)snprintf(tmp, tmp_len, "%s.tmp", path) >= tmp_len) {
		log_warn(subject, "cannot write %s: %s", path,
		    strerror(ENAMETOOLONG));
		return NULL;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		log_warn(subject, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return f;
}

static void
report_close(FILE *f, const char *path, const char *subject, const char *tmp)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad != 0 || rename(tmp, path) != 0) {
		log_warn(subject, "cannot write %s: %s", path, strerror(errno));
		(void)unlink(tmp);
	}
}

/*
 * --status FILE: one line per device, "NAME STATE" plus " nofail" for a
 * nofail entry; STATE is opened, verified, already-open, skipped or failed.
 * The dracut module reads it (a nofail device we failed is not prompted for
 * in the initramfs). Names and states only: nothing secret. Written to
 * FILE.tmp and renamed, so a reader sees all of it or nothing.
 */
static void
write_status(const struct run *run, const char *path)
{
	static const char *const names[] = {
		[DEV_PENDING] = "failed", [DEV_OPENED] = "opened",
		[DEV_VERIFIED] = "verified", [DEV_ALREADY] = "already-open",
		[DEV_SKIPPED] = "skipped", [DEV_FAILED] = "failed",
	};
	char tmp[4096];
	FILE *f;

	if (path == NULL || (f = report_open(path, "status", tmp,
	    sizeof(tmp))) == NULL)
		return;
	for (unsigned i = 0; i < run->n_devs; i++) {
		const struct dev *d = &run->devs[i];

		fprintf(f, "%s %s%s\n", d->name, names[d->state],
		    d->nofail ? " nofail" : "");
	}
	report_close(f, path, "status", tmp);
}

/* Whether a crypttab field can be written as it is (no blank, no escape). */
static bool
plain_field(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s == '\\' || *s == '#' || *s == 0x7f)
			return false;
	return true;
}

/*
 * --fallback-crypttab FILE: a crypttab(5) line, key "none", for each device
 * the boot needs (not nofail) that this run did not open (failed, or never
 * reached), whether it came from crypttab or from the command line:
 * "NAME SPEC none luks[,header=PATH[:DEVICE]]". initramfs-tools' boot script
 * appends them to cryptsetup-initramfs's table, whose prompt then asks for
 * exactly these. Names, device specs and header paths only: nothing secret.
 * Written to FILE.tmp and renamed; an empty file when nothing is left.
 */
static void
write_fallback(const struct run *run, const char *path)
{
	char tmp[4096];
	FILE *f;

	if (path == NULL || (f = report_open(path, "fallback", tmp,
	    sizeof(tmp))) == NULL)
		return;
	for (unsigned i = 0; i < run->n_devs; i++) {
		const struct dev *d = &run->devs[i];

		if ((d->state != DEV_FAILED && d->state != DEV_PENDING) ||
		    d->nofail)
			continue;
		if (!plain_field(d->name) || !plain_field(d->spec) ||
		    (d->header[0] != '\0' && !plain_field(d->header)) ||
		    (d->header_dev[0] != '\0' && !plain_field(d->header_dev))) {
			log_warn(d->name, "its device or header has a blank or an "
			    "escape: not handed to the fallback prompt's table");
			continue;
		}
		fprintf(f, "%s %s none luks%s%s%s%s\n", d->name, d->spec,
		    d->header[0] != '\0' ? ",header=" : "", d->header,
		    d->header[0] != '\0' && d->header_dev[0] != '\0' ? ":" : "",
		    d->header[0] != '\0' ? d->header_dev : "");
	}
	report_close(f, path, "fallback", tmp);
}

/* The exit code from the devices' states. */
static int
exit_code(const struct run *run)
{
	unsigned ok = 0, failed = 0;

	for (unsigned i = 0; i < run->n_devs; i++) {
		switch (run->devs[i].state) {
		case DEV_OPENED:
		case DEV_VERIFIED:
		case DEV_ALREADY:
			ok++;
			break;
		case DEV_SKIPPED:
			break;
		default:
			failed++;
		}
	}
	if (failed == 0)
		return EXIT_ALL_OPEN;
	return ok > 0 ? EXIT_PARTIAL : EXIT_NONE_OPEN;
}

/*
 * An rd.luks.uuid= device whose UUID never showed up as a block device,
 * while another device of this run opened a header with that UUID: its
 * header is detached (ADE's OS disk), it is open under the other name.
 */
static void
settle_detached(struct run *run)
{
	for (unsigned i = 0; i < run->n_devs; i++) {
		struct dev *d = &run->devs[i];

		if (!d->from_cmdline || d->state != DEV_FAILED ||
		    strncmp(d->spec, "UUID=", 5) != 0)
			continue;
		for (unsigned k = 0; k < run->n_devs; k++) {
			const struct dev *o = &run->devs[k];

			if (k == i || strcasecmp(o->uuid, d->spec + 5) != 0 ||
			    (o->state != DEV_OPENED && o->state != DEV_VERIFIED &&
			    o->state != DEV_ALREADY))
				continue;
			set_reason(d, DEV_SKIPPED, "its header is detached: "
			    "opened as '%s'", o->name);
			break;
		}
	}
}

static void
fail_pending(struct run *run, const char *why)
{
	for (unsigned i = 0; i < run->n_devs; i++)
		if (run->devs[i].state == DEV_PENDING)
			set_reason(&run->devs[i], DEV_FAILED, "%s", why);
}

int
unlock_run(const struct unlock_opts *o)
{
	static struct run run;
	struct blockdev bek, other;
	struct bekvol_scan scan;
	unsigned timeout_s;
	uint64_t t0 = now_ms(), keys_by;
	int code, r;

	memset(&run, 0, sizeof(run));
	run.opts = o;
	pthread_mutex_init(&run.lock, NULL);
	pthread_cond_init(&run.cond, NULL);
	run.ct = calloc(1, sizeof(*run.ct));
	if (run.ct == NULL) {
		log_error("memory", "out of memory; nothing was tried");
		return EXIT_CONFIG;
	}
	if (o->kmsg)
		(void)log_open_kmsg();
	if (secret_init(NULL) < 0)
		log_warn("memory", "cannot set up locked memory for keys");
	secret_on_fatal(log_fatal_signal);
	secret_install_signal_wipe();
	luks_setup_logging();

	code = load_config(&run);
	if (code == 0)
		goto out;	/* switched off: load_config() said by what */
	if (code > 0)
		goto out;

	plan_devices(&run);
	if (run.n_devs == 0) {
		log_notice("config", "nothing to do: no device uses the "
		    "'%s' volume", run.label);
		code = EXIT_ALL_OPEN;
		goto out;
	}
	if (!any_pending(&run))
		goto summary;

	/* The command line's rd.ade.timeout= is in conf by now. */
	timeout_s = run.conf.timeout_s >= 0 ? (unsigned)run.conf.timeout_s :
	    DEFAULT_TIMEOUT_S;
	r = bekvol_find(run.label, run.conf.bek_uuid, timeout_s * 1000, &bek,
	    &other, &scan);
	if (r == -ETIMEDOUT) {
		log_error(run.label, "not found after %u s (checked %u block "
		    "devices: %s); falling back to passphrase prompt", timeout_s,
		    scan.devices, scan.devices > 0 ? scan.seen : "none");
		fail_pending(&run, "BEK volume not found");
		report(&run);
		code = EXIT_NO_BEK;
		goto done;
	} else if (r == -ENOTUNIQ) {
		log_error(run.label, "found on both %s and %s: refusing to "
		    "guess; falling back to passphrase prompt", bek.name,
		    other.name);
		fail_pending(&run, "BEK volume ambiguous");
		report(&run);
		code = EXIT_NO_BEK;
		goto done;
	} else if (r == -EMEDIUMTYPE) {
		log_error(run.label, "label found on %s, but it holds '%s', not "
		    "FAT; falling back to passphrase prompt", bek.name,
		    bek.type[0] != '\0' ? bek.type : "no filesystem");
		fail_pending(&run, "BEK volume is not FAT");
		report(&run);
		code = EXIT_NO_BEK;
		goto done;
	} else if (r < 0) {
		log_error(run.label, "cannot scan block devices: %s",
		    strerror(-r));
		fail_pending(&run, "cannot scan block devices");
		report(&run);
		code = EXIT_NO_BEK;
		goto done;
	}
	log_info(run.label, "found on %s after %u.%u s (checked %u block "
	    "devices)", bek.name, scan.waited_ms / 1000,
	    (scan.waited_ms % 1000) / 100, scan.devices);

	/*
	 * Reading keys is inside the run's deadline, and never less than
	 * KEY_READ_MIN_MS, so that a volume found at the last moment is read.
	 */
	keys_by = t0 + (uint64_t)timeout_s * 1000;
	if (keys_by < now_ms() + KEY_READ_MIN_MS)
		keys_by = now_ms() + KEY_READ_MIN_MS;
	r = read_keys(&run, &bek, keys_by);
	for (unsigned i = 0; i < run.n_keys; i++)
		if (run.keys[i].pass == NULL && run.keys[i].err != -ENOENT &&
		    run.keys[i].err != -ECANCELED)
			log_warn(run.label, "key file '%s': %s%s%s%s",
			    run.keys[i].file, run.keys[i].why,
			    run.keys[i].detail[0] != '\0' ? " (" : "",
			    run.keys[i].detail,
			    run.keys[i].detail[0] != '\0' ? ")" : "");
	if (r <= 0) {
		log_error(run.label, "%s: no usable key file (%s); falling back "
		    "to passphrase prompt", bek.name, r < 0 ? "cannot read "
		    "the volume" : "looked for the files the config names and "
		    ADE_KEY_FILE "*");
		fail_pending(&run, "no usable key file on the BEK volume");
		report(&run);
		code = EXIT_NO_KEY;
		goto done;
	}

	open_all(&run);
	free_keys(&run);
	settle_detached(&run);
summary:
	report(&run);
	code = exit_code(&run);
done:
	write_status(&run, o->status_path);
	write_fallback(&run, o->fallback_path);
	/* The last line, on every path that tried to open something. */
	log_info("summary", "%s in %llu.%llu s; exit %d", code == 0 ?
	    "all devices handled" : code == EXIT_PARTIAL ? "some devices "
	    "FAILED" : code == EXIT_NO_BEK ? "BEK volume not usable" :
	    code == EXIT_NO_KEY ? "no usable key file" :
	    "no device could be opened",
	    (unsigned long long)(now_ms() - t0) / 1000,
	    (unsigned long long)((now_ms() - t0) % 1000) / 100, code);
out:
	free_keys(&run);
	blockdev_cleanup();
	free(run.ct);
	log_close();
	return code;
}
