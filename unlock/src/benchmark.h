/* SPDX-License-Identifier: MIT */
/* benchmark.h: PBKDF speeds, printed as `cryptsetup benchmark` prints them. */
#ifndef ADE_BENCHMARK_H
#define ADE_BENCHMARK_H

/* time_ms: target time per PBKDF (cryptsetup: 1000 for PBKDF2, 2000 for Argon2). */
int benchmark_run(unsigned time_ms);

#endif
