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

__attribute__((noinline)) void
secret_scrub_stack(void)
{
	unsigned char area[SECRET_STACK_SCRUB];

	explicit_bzero(area, sizeof(area));
	/* Keep the array (and its wipe) even where nothing reads it. */
	__asm__ __volatile__("" : : "r"(area) : "memory");
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

static void (*fatal_hook)(int sig);

void
secret_on_fatal(void (*fn)(int sig))
{
	fatal_hook = fn;
}

/* A request to stop (TERM, INT, HUP, QUIT): wiped, then dies of it. */
static void
on_stop_signal(int sig)
{
	secret_wipe_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * A crash (ABRT: a library's assert or abort; SEGV, BUS, ILL, FPE, TRAP,
 * SYS: a fault, musl's a_crash): wiped, the hook told, and _exit at once
 * (no atexit handler, no stdio flush, nothing that could fault again). Only
 * async-signal-safe calls here.
 */
static void
on_crash_signal(int sig)
{
	secret_wipe_all();
	if (fatal_hook != NULL)
		fatal_hook(sig);
	_exit(128 + sig);
}

void
secret_install_signal_wipe(void)
{
	static const int stops[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	/*
	 * Under AddressSanitizer its own SEGV/BUS/FPE/ILL handlers report the
	 * fault (the test builds): only abort is ours there.
	 */
	static const int crashes[] = { SIGABRT,
#if !defined(__SANITIZE_ADDRESS__) && !ADE_HAS_ASAN
	    SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
#endif
	};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		(void)sigaction(stops[i], &sa, NULL);
	/* Every other signal is held while a crash is handled. */
	sa.sa_handler = on_crash_signal;
	sigfillset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++)
		(void)sigaction(crashes[i], &sa, NULL);
	/*
	 * A closed log pipe (the console gone, a wrapper's reader dead) must
	 * not kill a run holding keys halfway: writes fail with EPIPE, the
	 * run goes on, and /dev/kmsg still has every line.
	 */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);
}
