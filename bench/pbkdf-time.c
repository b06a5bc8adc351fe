/* SPDX-License-Identifier: MIT */
/*
 * pbkdf-time.c: how long one PBKDF with given parameters takes, through
 * libcryptsetup's own entry point (the code that derives keyslot keys at
 * unlock). Run inside the QEMU guest by bench/guest-pbkdf.sh, so the figure
 * is what a LUKS header's parameters demand on that (emulated) CPU.
 *
 * usage: pbkdf-time KDF HASH ITERATIONS MEMORY_KIB THREADS ROUNDS
 *   e.g. pbkdf-time pbkdf2 sha256 1000 0 1 5
 *        pbkdf-time argon2id - 4 65536 1 3
 * prints: "pbkdf-time KDF HASH ITER MEM THREADS: min MS median MS max MS"
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int crypt_pbkdf(const char *kdf, const char *hash,
    const char *password, size_t password_length,
    const char *salt, size_t salt_length,
    char *key, size_t key_length,
    uint32_t iterations, uint32_t memory, uint32_t parallel);

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	/* An ADE passphrase is 172 characters; a LUKS2 salt is 32 bytes. */
	char pass[172], salt[32], key[64];
	double t[64];
	unsigned iter, mem, par, rounds;
	const char *hash;

	if (argc != 7) {
		fprintf(stderr, "usage: pbkdf-time KDF HASH ITERATIONS "
		    "MEMORY_KIB THREADS ROUNDS\n");
		return 2;
	}
	hash = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	iter = (unsigned)strtoul(argv[3], NULL, 10);
	mem = (unsigned)strtoul(argv[4], NULL, 10);
	par = (unsigned)strtoul(argv[5], NULL, 10);
	rounds = (unsigned)strtoul(argv[6], NULL, 10);
	if (rounds < 1)
		rounds = 1;
	if (rounds > 64)
		rounds = 64;
	memset(pass, 'A', sizeof(pass));
	memset(salt, 's', sizeof(salt));
	for (unsigned i = 0; i < rounds; i++) {
		double t0 = now_ms();

		if (crypt_pbkdf(argv[1], hash, pass, sizeof(pass), salt,
		    sizeof(salt), key, sizeof(key), iter, mem, par) < 0) {
			printf("pbkdf-time %s %s %u %u %u: failed\n", argv[1],
			    argv[2], iter, mem, par);
			return 1;
		}
		t[i] = now_ms() - t0;
	}
	qsort(t, rounds, sizeof(t[0]), cmp_double);
	printf("pbkdf-time %s %s %u %u %u: min %.1f median %.1f max %.1f ms\n",
	    argv[1], argv[2], iter, mem, par, t[0], t[rounds / 2],
	    t[rounds - 1]);
	return 0;
}
