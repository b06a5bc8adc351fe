/* SPDX-License-Identifier: MIT */
/* version.h: what this binary is and what it links. */
#ifndef ADE_VERSION_H
#define ADE_VERSION_H

#include <stdio.h>

void version_print(FILE *f);

#endif
