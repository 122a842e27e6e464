/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * What the routing core's fuzz targets share: a failed check aborts (the
 * fuzzer's crash), and a script is the fuzzer's input read byte by byte,
 * zeros once it runs out.
 */
#ifndef KDHT_FUZZ_SCRIPT_H
#define KDHT_FUZZ_SCRIPT_H

#include <stddef.h>
#include <stdlib.h>

#include "kd_types.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

struct script {
	const u8 *p;
	size_t left;
};

static inline u8 take(struct script *s)
{
	if (!s->left)
		return 0;
	s->left--;
	return *s->p++;
}

#endif /* KDHT_FUZZ_SCRIPT_H */
