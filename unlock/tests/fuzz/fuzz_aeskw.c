/* SPDX-License-Identifier: MIT */
/* fuzz_aeskw.c: aeskw_unwrap on arbitrary input never crashes or leaks. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aeskw.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char out[2048];
	size_t kl;

	if (size < 1)
		return 0;
	kl = (size_t)(data[0] % 3) * 8 + 16;
	if (size < 1 + kl)
		return 0;
	if (size - 1 - kl <= sizeof(out) + 8)
		(void)aeskw_unwrap(data + 1, kl, data + 1 + kl, size - 1 - kl, out);
	if (size - 1 - kl <= sizeof(out) - 8)
		(void)aeskw_wrap(data + 1, kl, data + 1 + kl, size - 1 - kl, out);
	return 0;
}
