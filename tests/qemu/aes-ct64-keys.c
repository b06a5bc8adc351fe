/* SPDX-License-Identifier: MIT */
/*
 * aes-ct64-keys.c: the forms an AES-256 key takes inside BearSSL's aes_ct64
 * (the implementation ade-unlock's AES key wrap and AES-GCM use), for the
 * secrets scenario to search guest memory for: the compressed bitsliced
 * subkeys a context holds (br_aes_ct64_keysched, 30 words) and the expanded
 * ones each encrypt or decrypt call builds on its stack
 * (br_aes_ct64_skey_expand, 120 words).
 *   aes-ct64-keys KEYFILE SKEY_OUT EXPANDED_OUT   (KEYFILE: 32 raw bytes)
 * Built and run on the host by the scenario, against Debian's libbearssl.a.
 */
#include <stdint.h>
#include <stdio.h>

/* BearSSL's inner.h (not installed): these are global in libbearssl.a. */
unsigned br_aes_ct64_keysched(uint64_t *comp_skey, const void *key,
    size_t key_len);
void br_aes_ct64_skey_expand(uint64_t *skey, unsigned num_rounds,
    const uint64_t *comp_skey);

static int
put(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n) {
		perror(path);
		return 1;
	}
	return fclose(f) != 0;
}

int
main(int argc, char **argv)
{
	unsigned char key[33];
	uint64_t comp[30], exp[120];
	unsigned rounds;
	size_t n;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: aes-ct64-keys KEYFILE SKEY_OUT EXPANDED_OUT\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (f == NULL) {
		perror(argv[1]);
		return 1;
	}
	n = fread(key, 1, sizeof(key), f);
	fclose(f);
	if (n != 32) {
		fprintf(stderr, "%s: %zu bytes, not a 256-bit key\n", argv[1], n);
		return 1;
	}
	rounds = br_aes_ct64_keysched(comp, key, 32);
	if (rounds != 14)
		return 1;
	br_aes_ct64_skey_expand(exp, rounds, comp);
	return put(argv[2], comp, sizeof(comp)) | put(argv[3], exp, sizeof(exp));
}
