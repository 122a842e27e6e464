/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A per-source token-bucket rate limiter in a fixed-size table, which the
 * host consults from the core's io->admit for requests only, after replies
 * were matched (kd_core_input). It does not lock; the host serialises
 * access to each limiter.
 */
#ifndef KD_RATELIMIT_H
#define KD_RATELIMIT_H

#include "kd_types.h"
#include "kd_siphash.h"

/* One token bucket; kd_rl_bucket_take() refills and spends it. */
struct kd_rl_bucket {
	u64 last_ms;
	u32 tokens;	/* in thousandths of a request */
};

struct kd_rl_entry {
	u64 key;	/* 0: free */
	struct kd_rl_bucket b;
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
 * address, IPv6 by /64, and requests that proved their source address (our
 * token, or a loopback source: proven) have a bucket of their own, which a
 * flood spoofed in the source's name cannot spend. A new unproven bucket
 * starts with one request's worth, so that spraying sources earns no burst
 * each; a proven one, which no spoofer can create, starts full. When the
 * table has no room for a new bucket the request is refused: live entries
 * are never recycled, so spraying cannot evict a real peer's. Only
 * kd_rl_collect() frees entries.
 */
bool kd_rl_allow(struct kd_ratelimit *rl, u64 now, const struct kd_addr *src,
		 bool proven);
/* A bucket holding burst requests' worth at now. */
void kd_rl_bucket_init(struct kd_rl_bucket *b, u64 now, u32 burst);
/*
 * Refills b at rate requests per second up to burst, then takes one
 * request's worth; false (and nothing taken) if less than one is left.
 */
bool kd_rl_bucket_take(struct kd_rl_bucket *b, u64 now, u32 rate, u32 burst);
/* Frees entries idle for idle_ms or more; returns how many were freed. */
u32 kd_rl_collect(struct kd_ratelimit *rl, u64 now, u32 idle_ms);

#endif /* KD_RATELIMIT_H */
