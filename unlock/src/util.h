/* SPDX-License-Identifier: MIT */
/* util.h: monotonic time and sleeping, the little the rest shares. */
#ifndef ADE_UTIL_H
#define ADE_UTIL_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (BOOTTIME where available). */
uint64_t now_ms(void);

/* Sleeps ms milliseconds, resuming after signals. */
void sleep_ms(unsigned ms);

#endif
