/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * SipHash-2-4, the core's one keyed hash: tokens, rate-limiter keys and
 * random numbers are all drawn from it under secrets of KD_SECRET_LEN bytes.
 */
#ifndef KD_SIPHASH_H
#define KD_SIPHASH_H

#include "kd_types.h"

#define KD_SECRET_LEN 16

/* SipHash-2-4 of data under a 128-bit key. */
u64 kd_siphash(const u8 key[KD_SECRET_LEN], const u8 *data, size_t len);

#endif /* KD_SIPHASH_H */
