/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * SipHash-2-4, the core's one keyed hash: tokens, rate-limiter keys, random
 * numbers and the closed mesh's datagram tags are all drawn from it under
 * secrets of KD_SECRET_LEN bytes.
 */
#ifndef KD_SIPHASH_H
#define KD_SIPHASH_H

#include "kd_types.h"

#define KD_SECRET_LEN 16

/* SipHash-2-4 of data under a 128-bit key. */
u64 kd_siphash(const u8 key[KD_SECRET_LEN], const u8 *data, size_t len);

#define KD_SIPHASH128_LEN 16

/*
 * SipHash-2-4 with 128-bit output (the reference siphash128, libsodium's
 * crypto_shorthash_siphashx24) of data under a 128-bit key, into out.
 */
void kd_siphash128(const u8 key[KD_SECRET_LEN], const u8 *data, size_t len,
		   u8 out[KD_SIPHASH128_LEN]);

/* a and b hold the same len bytes; the time taken does not depend on where they differ. */
bool kd_equal_ct(const u8 *a, const u8 *b, size_t len);

#endif /* KD_SIPHASH_H */
