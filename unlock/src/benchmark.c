/* SPDX-License-Identifier: MIT */
/* benchmark.c: PBKDF speeds measured by libcryptsetup, in cryptsetup's format. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libcryptsetup.h>

#include "benchmark.h"
#include "log.h"

static int
bench_pbkdf2(const char *hash, unsigned time_ms)
{
	struct crypt_pbkdf_type pbkdf = {
		.type = CRYPT_KDF_PBKDF2, .hash = hash, .time_ms = time_ms,
	};
	int r;

	r = crypt_benchmark_pbkdf(NULL, &pbkdf, "foobarfo", 8,
	    "0123456789abcdef0123456789abcdef", 32, 32, NULL, NULL);
	if (r < 0) {
		printf("PBKDF2-%-9s     N/A\n", hash);
		return r;
	}
	printf("PBKDF2-%-9s %7llu iterations per second for 256-bit key\n", hash,
	    (unsigned long long)pbkdf.iterations * 1000ULL / time_ms);
	return 0;
}

static int
bench_argon2(const char *kdf, unsigned time_ms)
{
	struct crypt_pbkdf_type pbkdf = {
		.type = kdf, .time_ms = time_ms, .max_memory_kb = 1048576,
		.parallel_threads = 4,
	};
	int r;

	r = crypt_benchmark_pbkdf(NULL, &pbkdf, "foobarfo", 8,
	    "0123456789abcdef0123456789abcdef", 32, 32, NULL, NULL);
	if (r < 0) {
		printf("%-10s N/A\n", kdf);
		return r;
	}
	printf("%-10s %4u iterations, %7u memory, %1u parallel threads (CPUs) "
	    "for 256-bit key (requested %u ms time)\n", kdf, pbkdf.iterations,
	    pbkdf.max_memory_kb, pbkdf.parallel_threads, time_ms);
	return 0;
}

int
benchmark_run(unsigned time_ms)
{
	static const char *hashes[] = { "sha1", "sha256", "sha512" };
	int r = 0;

	if (time_ms == 0)
		time_ms = 1000;
	printf("# Tests are approximate using memory only (no storage IO).\n");
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
		if (bench_pbkdf2(hashes[i], time_ms) < 0)
			r = -EIO;
	if (bench_argon2(CRYPT_KDF_ARGON2I, 2 * time_ms) < 0)
		r = -EIO;
	if (bench_argon2(CRYPT_KDF_ARGON2ID, 2 * time_ms) < 0)
		r = -EIO;
	fflush(stdout);
	return r;
}
