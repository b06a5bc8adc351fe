/* SPDX-License-Identifier: MIT */
/* secret.c: one locked, non-dumpable region of fixed-size secret slots. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "secret.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ADE_HAS_ASAN 1
#endif
#endif
#ifndef ADE_HAS_ASAN
#define ADE_HAS_ASAN 0
#endif

static struct secret *pool;
static bool pool_used[SECRET_SLOTS];
static bool pool_locked;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

void
secret_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

int
secret_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	uint32_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint32_t)(x[i] ^ y[i]);
	/* d == 0 -> 1, else 0, without a branch on d. */
	return (int)(1 & ((d - 1) >> 8));
}

int
secret_init(bool *ret_locked)
{
	size_t size = sizeof(struct secret) * SECRET_SLOTS;
	void *p;
	int r = 0;

	pthread_mutex_lock(&pool_lock);
	if (pool != NULL)
		goto out;

	/*
	 * Best effort: also keeps libcryptsetup's own buffers out of swap.
	 * Only as root (CAP_IPC_LOCK): elsewhere RLIMIT_MEMLOCK would make
	 * later large allocations (Argon2) fail under MCL_FUTURE. Not under
	 * AddressSanitizer, whose shadow reservation must not be locked.
	 */
#if !defined(__SANITIZE_ADDRESS__) && !ADE_HAS_ASAN
	if (geteuid() == 0)
		(void)mlockall(MCL_CURRENT | MCL_FUTURE);
#endif
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		goto out;
	}
	(void)madvise(p, size, MADV_DONTDUMP);
	(void)madvise(p, size, MADV_DONTFORK);
	pool_locked = mlock(p, size) == 0;
	pool = p;
out:
	if (ret_locked != NULL)
		*ret_locked = pool_locked;
	pthread_mutex_unlock(&pool_lock);
	return r;
}

struct secret *
secret_new(void)
{
	struct secret *s = NULL;

	if (pool == NULL && secret_init(NULL) < 0)
		return NULL;
	pthread_mutex_lock(&pool_lock);
	for (size_t i = 0; i < SECRET_SLOTS; i++) {
		if (!pool_used[i]) {
			pool_used[i] = true;
			s = &pool[i];
			break;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	return s;
}

void
secret_free(struct secret *s)
{
	size_t i;

	if (s == NULL)
		return;
	secret_wipe(s, sizeof(*s));
	i = (size_t)(s - pool);
	pthread_mutex_lock(&pool_lock);
	if (pool != NULL && i < SECRET_SLOTS)
		pool_used[i] = false;
	pthread_mutex_unlock(&pool_lock);
}

void
secret_wipe_all(void)
{
	/* No lock: also called from a signal handler; a wipe is idempotent. */
	if (pool != NULL)
		secret_wipe(pool, sizeof(struct secret) * SECRET_SLOTS);
}

static void
on_fatal_signal(int sig)
{
	secret_wipe_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void
secret_install_signal_wipe(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}
