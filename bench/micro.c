/* SPDX-License-Identifier: MIT */
/*
 * micro.c: host-side figures that need no VM: the FAT lookup of a key file
 * on a volume with many files, and parsing a 64-entry crypttab. Linked
 * against the same objects as the static binary.
 *
 * usage: micro FAT_IMAGE NAME CRYPTTAB [ROUNDS]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "crypttab.h"
#include "fat.h"
#include "secret.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Prints the median and the spread (min..max) of n samples in microseconds. */
static void
report(const char *what, double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%-44s median %9.1f us  (min %.1f, max %.1f, %d rounds)\n", what,
	    t[n / 2], t[0], t[n - 1], n);
}

int
main(int argc, char **argv)
{
	static struct fat_volume vol;
	static struct crypttab ct;
	static char text[1 << 20];
	struct config_error err;
	struct config_warnings warn;
	struct fat_entry e;
	struct secret *s;
	struct stat st;
	double *t;
	int rounds, fd, n;
	size_t len;

	if (argc < 4) {
		fprintf(stderr, "usage: micro FAT_IMAGE NAME CRYPTTAB [ROUNDS]\n");
		return 2;
	}
	rounds = argc > 4 ? atoi(argv[4]) : 200;
	if (rounds < 3)
		rounds = 3;
	t = calloc((size_t)rounds, sizeof(*t));
	s = secret_new();
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (t == NULL || s == NULL || fd < 0 || fstat(fd, &st) < 0) {
		perror(argv[1]);
		return 1;
	}

	/* Open + lookup + read of one key file: what the boot does per file. */
	for (int i = 0; i < rounds; i++) {
		double t0 = now_us();

		if (fat_open(&vol, fd, (uint64_t)st.st_size) < 0 ||
		    fat_find(&vol, argv[2], &e) < 0 ||
		    fat_read_file(&vol, &e, s->buf, SECRET_MAX, &s->len) < 0) {
			fprintf(stderr, "FAT lookup of '%s' failed\n", argv[2]);
			return 1;
		}
		t[i] = now_us() - t0;
	}
	report("FAT open + find + read (last of the files)", t, rounds);
	secret_free(s);
	close(fd);

	if (conf_read_file(argv[3], text, sizeof(text), &len) < 0) {
		perror(argv[3]);
		return 1;
	}
	for (int i = 0; i < rounds; i++) {
		double t0 = now_us();

		memset(&warn, 0, sizeof(warn));
		if (crypttab_parse(text, len, argv[3], &ct, &err, &warn) < 0) {
			fprintf(stderr, "%s:%u: %s\n", err.file, err.line, err.reason);
			return 1;
		}
		t[i] = now_us() - t0;
	}
	n = (int)ct.n;
	{
		char what[64];

		snprintf(what, sizeof(what), "crypttab parse (%d entries)", n);
		report(what, t, rounds);
	}
	free(t);
	return 0;
}
