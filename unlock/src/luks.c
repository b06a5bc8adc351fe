/* SPDX-License-Identifier: MIT */
/* luks.c: loads LUKS headers and activates devices through libcryptsetup. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <libcryptsetup.h>

#include "log.h"
#include "luks.h"

struct luks_dev {
	struct crypt_device	*cd;
};

/* Length of the run of hex or base64 characters starting at s. */
static size_t
token_run(const char *s)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '/' ||
	    s[n] == '=' || s[n] == '-' || s[n] == '_')
		n++;
	return n;
}

size_t
luks_scrub(const char *msg, char *out, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return 0;
	/*
	 * libcryptsetup does not log keys unless its own debug is on (it is
	 * not); still, never pass on a run of 32+ key-like characters, and
	 * keep the line on one line.
	 */
	for (const char *p = msg; *p != '\0' && o + 11 < len;) {
		size_t run = token_run(p);

		if (run >= 32) {
			memcpy(out + o, "[redacted]", 10);
			o += 10;
			p += run;
		} else if (run > 0) {
			size_t k = run < len - 11 - o ? run : len - 11 - o;

			memcpy(out + o, p, k);
			o += k;
			p += run;
		} else {
			out[o++] = (*p == '\n' || *p == '\r') ? ' ' : *p;
			p++;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return o;
}

static void
cryptsetup_log(int level, const char *msg, void *usrptr)
{
	char line[512];

	(void)level;
	(void)usrptr;
	if (!log_debug_enabled() || msg == NULL)
		return;
	luks_scrub(msg, line, sizeof(line));
	log_debug("libcryptsetup", "%s", line);
}

void
luks_setup_logging(void)
{
	crypt_set_log_callback(NULL, cryptsetup_log, NULL);
}

/*
 * libcryptsetup is not safe to call from two threads at once, even on two
 * contexts: its device-mapper layer keeps one global context (switched on
 * every call) and a plain reference count that releases libdevmapper when it
 * drops to zero. Parallel opens crashed on 2 vCPUs (a segfault, "No such file
 * or directory" from a released control fd). So every call into it holds this
 * lock: ade-unlock's threads still wait for their devices side by side, while
 * the key derivation and activation run one at a time (an Argon2 keyslot
 * still uses its lanes on every CPU: libcryptsetup's own threads).
 */
static pthread_mutex_t cs_lock = PTHREAD_MUTEX_INITIALIZER;

static void get_info_locked(struct luks_dev *ld, struct luks_info *ret);

static void
free_locked(struct luks_dev *ld)
{
	if (ld == NULL)
		return;
	crypt_free(ld->cd);
	free(ld);
}

int
luks_load(const char *device, const char *header, struct luks_dev **ret)
{
	struct luks_dev *ld;
	int r;

	ld = calloc(1, sizeof(*ld));
	if (ld == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&cs_lock);
	if (header != NULL)
		r = crypt_init_data_device(&ld->cd, header, device);
	else
		r = crypt_init(&ld->cd, device);
	if (r < 0)
		goto out;
	crypt_set_log_callback(ld->cd, cryptsetup_log, NULL);
	r = crypt_load(ld->cd, CRYPT_LUKS, NULL);
out:
	if (r < 0)
		free_locked(ld);
	pthread_mutex_unlock(&cs_lock);
	if (r < 0)
		return r;
	*ret = ld;
	return 0;
}

void
luks_free(struct luks_dev *ld)
{
	pthread_mutex_lock(&cs_lock);
	free_locked(ld);
	pthread_mutex_unlock(&cs_lock);
}

void
luks_get_info(struct luks_dev *ld, struct luks_info *ret)
{
	pthread_mutex_lock(&cs_lock);
	get_info_locked(ld, ret);
	pthread_mutex_unlock(&cs_lock);
}

int
luks_cipher_is_plain(const char *cipher, size_t key_size)
{
	char low[64];
	size_t n;

	if (cipher == NULL || *cipher == '\0' || key_size == 0)
		return 1;
	for (n = 0; cipher[n] != '\0' && n + 1 < sizeof(low); n++)
		low[n] = (char)tolower((unsigned char)cipher[n]);
	low[n] = '\0';
	if (strstr(low, "cipher_null") != NULL)
		return 1;
	/* "null" alone or as the cipher of "null-MODE". */
	return strncmp(low, "null", 4) == 0 && (low[4] == '\0' || low[4] == '-');
}

/*
 * True if the header's requirements name "online-reencrypt" itself: the
 * version-1 metadata of cryptsetup before 2.3.7/2.4.3, which has no digest
 * (later versions write "online-reencrypt-v2" or "-v3"). libcryptsetup
 * offers no call for the version: its JSON (already validated by crypt_load)
 * says it.
 */
static bool
reencrypt_is_old(struct crypt_device *cd)
{
	const char *text = NULL;
	json_object *root, *cfg, *req, *mand;
	bool old = false;

	if (crypt_dump_json(cd, &text, 0) < 0 || text == NULL)
		return false;
	root = json_tokener_parse(text);
	if (root == NULL)
		return false;
	if (json_object_object_get_ex(root, "config", &cfg) &&
	    json_object_object_get_ex(cfg, "requirements", &req) &&
	    json_object_object_get_ex(req, "mandatory", &mand) &&
	    json_object_is_type(mand, json_type_array)) {
		size_t n = json_object_array_length(mand);

		for (size_t i = 0; i < n; i++) {
			const char *f = json_object_get_string(
			    json_object_array_get_idx(mand, i));

			if (f != NULL && strcmp(f, "online-reencrypt") == 0)
				old = true;
		}
	}
	json_object_put(root);
	return old;
}

static void
get_info_locked(struct luks_dev *ld, struct luks_info *ret)
{
	const char *type = crypt_get_type(ld->cd);
	const char *uuid = crypt_get_uuid(ld->cd);
	int max = crypt_keyslot_max(type);
	uint32_t rq = 0;

	memset(ret, 0, sizeof(*ret));
	ret->plain_keyslot = -1;
	snprintf(ret->type, sizeof(ret->type), "%s", type != NULL ? type : "?");
	snprintf(ret->uuid, sizeof(ret->uuid), "%s", uuid != NULL ? uuid : "");
	for (int slot = 0; slot < max; slot++) {
		crypt_keyslot_info ki = crypt_keyslot_status(ld->cd, slot);
		struct crypt_pbkdf_type pbkdf;

		if (ki != CRYPT_SLOT_ACTIVE && ki != CRYPT_SLOT_ACTIVE_LAST)
			continue;
		ret->active_keyslots++;
		/*
		 * The area cipher of the keyslot (LUKS1: the header's one
		 * cipher). libcryptsetup before 2.8.1 opens a LUKS2 keyslot
		 * stored with cipher_null with any passphrase.
		 */
		{
			size_t ks = 0;
			const char *c = crypt_keyslot_get_encryption(ld->cd, slot, &ks);

			if (ret->plain_keyslot < 0 && luks_cipher_is_plain(c, ks))
				ret->plain_keyslot = slot;
		}
		if (crypt_keyslot_get_pbkdf(ld->cd, slot, &pbkdf) == 0 &&
		    pbkdf.type != NULL && strcmp(pbkdf.type, CRYPT_KDF_PBKDF2) != 0 &&
		    pbkdf.max_memory_kb > ret->max_pbkdf_kb)
			ret->max_pbkdf_kb = pbkdf.max_memory_kb;
	}
	if (crypt_persistent_flags_get(ld->cd, CRYPT_FLAGS_REQUIREMENTS, &rq) == 0 &&
	    (rq & CRYPT_REQUIREMENT_ONLINE_REENCRYPT))
		ret->reencrypt = true;
	/*
	 * In an online encryption (or decryption) the not yet encrypted part
	 * is a plain segment by design, and its metadata is bound to the
	 * volume key by a digest (libcryptsetup >= 2.3.7 refuses it
	 * otherwise). Outside one, a plain data segment behind a real
	 * keyslot means somebody swapped the cipher: the key would open a
	 * disk whose contents anyone could have written.
	 */
	if (ret->reencrypt)
		ret->reencrypt_old = reencrypt_is_old(ld->cd);
	if (ret->reencrypt && !ret->reencrypt_old)
		ret->reencrypt_crash = crypt_reencrypt_status(ld->cd, NULL) ==
		    CRYPT_REENCRYPT_CRASH;
	if (!ret->reencrypt)
		ret->plain_segment = luks_cipher_is_plain(crypt_get_cipher(ld->cd),
		    (size_t)crypt_get_volume_key_size(ld->cd)) != 0;
}

static bool
is_active_locked(const char *name)
{
	crypt_status_info st = crypt_status(NULL, name);

	return st == CRYPT_ACTIVE || st == CRYPT_BUSY;
}

int
luks_activate(struct luks_dev *ld, const char *name, const struct secret *key,
    uint32_t flags)
{
	int r;

	pthread_mutex_lock(&cs_lock);
	if (name != NULL && is_active_locked(name))
		r = -EEXIST;
	else
		r = crypt_activate_by_passphrase(ld->cd, name, CRYPT_ANY_SLOT,
		    (const char *)key->buf, key->len, flags);
	/*
	 * The key derivation ran on this thread's stack (nettle's PBKDF2
	 * HMAC state, libcryptsetup's locals around it): wiped here.
	 */
	secret_scrub_stack();
	pthread_mutex_unlock(&cs_lock);
	return r;
}

int
luks_is_active(const char *name)
{
	bool on;

	pthread_mutex_lock(&cs_lock);
	on = is_active_locked(name);
	pthread_mutex_unlock(&cs_lock);
	return on;
}
