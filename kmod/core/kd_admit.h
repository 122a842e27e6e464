/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Admission: what a node accepts and how much it may send back.
 *  - Address-validation tokens: a keyed hash of the peer's address under a
 *    secret rotated every token_rotate_ms; a token from the current or the
 *    previous period is accepted.
 *  - The reply budget: to an unvalidated source, reply bytes never exceed
 *    request bytes.
 *  - A per-source token-bucket rate limiter in a fixed-size table.
 * None of these lock; the host serialises access to each object.
 */
#ifndef KD_ADMIT_H
#define KD_ADMIT_H

#include "kd_types.h"

#define KD_SECRET_LEN 16

/* SipHash-2-4 of data under a 128-bit key. */
u64 kd_siphash(const u8 key[KD_SECRET_LEN], const u8 *data, size_t len);

struct kd_tokens {
	u8 cur[KD_SECRET_LEN];
	u8 prev[KD_SECRET_LEN];
	u64 rotated_at;
};

void kd_tokens_init(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now);
/* Installs a fresh secret; the current one becomes the previous one. */
void kd_tokens_rotate(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now);
void kd_token_make(const struct kd_tokens *t, const struct kd_addr *a,
		   u8 out[KDHT_TOKEN_LEN]);
bool kd_token_check(const struct kd_tokens *t, const struct kd_addr *a,
		    const u8 tok[KDHT_TOKEN_LEN]);

/* Bytes a reply may have: request_len if unvalidated, a full datagram if validated. */
static inline size_t kd_reply_budget(bool validated, size_t request_len)
{
	return validated ? KDHT_MAX_DATAGRAM : KD_MIN(request_len, (size_t)KDHT_MAX_DATAGRAM);
}

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

#endif /* KD_ADMIT_H */
