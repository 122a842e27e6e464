/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A per-source token-bucket rate limiter in a fixed-size table, which the
 * host consults before kd_core_input(). It does not lock; the host
 * serialises access to each limiter.
 */
#ifndef KD_RATELIMIT_H
#define KD_RATELIMIT_H

#include "kd_types.h"
#include "kd_siphash.h"

struct kd_rl_entry {
	u64 key;	/* 0: free */
	u64 last_ms;
	u32 tokens;	/* in thousandths of a request */
};

struct kd_ratelimit {
	struct kd_rl_entry *e;
	u32 nentries;	/* a power of two */
	u32 used;
	u32 rate;	/* requests per second */
	u32 burst;	/* requests */
	u8 key[KD_SECRET_LEN];
};

/* Bytes of memory for a limiter of nentries (rounded up to a power of two). */
size_t kd_rl_memsize(u32 nentries);
/*
 * mem: kd_rl_memsize(nentries) bytes. rate and burst are clamped to
 * KD_RL_RATE_MAX and KD_RL_BURST_MAX. key: a random secret, so that peers
 * cannot pick sources that crowd one probe window.
 */
void kd_rl_init(struct kd_ratelimit *rl, void *mem, u32 nentries, u32 rate,
		u32 burst, const u8 key[KD_SECRET_LEN]);
/* Changes rate and burst; existing entries keep their tokens, capped to burst. */
void kd_rl_set(struct kd_ratelimit *rl, u32 rate, u32 burst);
/*
 * Takes one request's worth from src's bucket. IPv4 sources are keyed by
 * address, IPv6 by /64. When the table is full, the stalest entry in the
 * probe window is reused, so memory stays bounded under address spraying.
 */
bool kd_rl_allow(struct kd_ratelimit *rl, u64 now, const struct kd_addr *src);
/* Frees entries idle for idle_ms or more; returns how many were freed. */
u32 kd_rl_collect(struct kd_ratelimit *rl, u64 now, u32 idle_ms);

#endif /* KD_RATELIMIT_H */
