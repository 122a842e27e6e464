/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A reproducible random stream for the unit tests (xorshift64): a test sets
 * rng_state to its seed, and a failure replays exactly.
 */
#ifndef KDHT_UNIT_RNG_H
#define KDHT_UNIT_RNG_H

#include <stddef.h>

#include "kd_types.h"

static u64 rng_state;

static inline u64 rng_next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static inline void rng_fill(u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (u8)rng_next();
}

#endif /* KDHT_UNIT_RNG_H */
