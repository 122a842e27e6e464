// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The per-source token-bucket rate limiter, in a fixed-size table. Integer
 * arithmetic only, no 64-bit division, so the same file builds in the kernel.
 */
#include "kd_ratelimit.h"
#include "kd_params.h"

/*
 * Slots one source may land in. Lookups scan the whole window without
 * stopping at free slots, so freeing an entry never hides another one.
 */
#define KD_RL_PROBE	8
#define KD_RL_MILLI	1000u	/* tokens are kept in thousandths of a request */
/* Longer idle periods refill no further than a full bucket anyway. */
#define KD_RL_ELAPSED_MAX	0xffffffffull

static u32 kd_rl_slots(u32 nentries)
{
	u32 n = 1;

	nentries = KD_MIN(nentries, KD_RL_ENTRIES_MAX);
	while (n < nentries)
		n <<= 1;
	return n;
}

size_t kd_rl_memsize(u32 nentries)
{
	return (size_t)kd_rl_slots(nentries) * sizeof(struct kd_rl_entry);
}

void kd_rl_init(struct kd_ratelimit *rl, void *mem, u32 nentries, u32 rate,
		u32 burst, const u8 key[KD_SECRET_LEN])
{
	rl->e = mem;
	rl->nentries = kd_rl_slots(nentries);
	rl->used = 0;
	memset(rl->e, 0, kd_rl_memsize(nentries));
	memcpy(rl->key, key, KD_SECRET_LEN);
	kd_rl_set(rl, rate, burst);
}

static u32 kd_rl_cap(const struct kd_ratelimit *rl)
{
	return rl->burst * KD_RL_MILLI;
}

void kd_rl_set(struct kd_ratelimit *rl, u32 rate, u32 burst)
{
	u32 i;

	rl->rate = KD_MIN(rate, (u32)KD_RL_RATE_MAX);
	rl->burst = KD_MIN(burst, (u32)KD_RL_BURST_MAX);
	for (i = 0; i < rl->nentries; i++)
		if (rl->e[i].key)
			rl->e[i].b.tokens = KD_MIN(rl->e[i].b.tokens, kd_rl_cap(rl));
}

/*
 * One source: an IPv4 address, or an IPv6 /64 (what one host can easily
 * vary within); requests that proved the address (our token) count apart,
 * so that a flood spoofed in a peer's name cannot spend the peer's own.
 */
static u64 kd_rl_source(const struct kd_ratelimit *rl, const struct kd_addr *src,
			bool proven)
{
	u8 msg[1 + 8];
	size_t len = src->family == KDHT_AF_INET ? 4 : 8;
	u64 h;

	msg[0] = src->family | (proven ? 0x80 : 0);
	memcpy(msg + 1, src->ip, len);
	h = kd_siphash(rl->key, msg, 1 + len);
	return h ? h : 1;
}

/* src's entry; a new one in a free slot of the probe window, or NULL if none is free. */
static struct kd_rl_entry *kd_rl_slot(struct kd_ratelimit *rl, u64 key, u64 now,
				      bool proven)
{
	u32 mask = rl->nentries - 1;
	u32 window = KD_MIN((u32)KD_RL_PROBE, rl->nentries);
	struct kd_rl_entry *spare = NULL, *e;
	u32 i;

	for (i = 0; i < window; i++) {
		e = &rl->e[((u32)key + i) & mask];
		if (e->key == key)
			return e;
		if (!e->key && !spare)
			spare = e;
	}
	if (!spare)
		return NULL;
	rl->used++;
	spare->key = key;
	spare->b.last_ms = now;
	spare->b.tokens = proven ? kd_rl_cap(rl) : KD_RL_MILLI;
	return spare;
}

void kd_rl_bucket_init(struct kd_rl_bucket *b, u64 now, u32 burst)
{
	b->last_ms = now;
	b->tokens = KD_MIN(burst, (u32)KD_RL_BURST_MAX) * KD_RL_MILLI;
}

bool kd_rl_bucket_take(struct kd_rl_bucket *b, u64 now, u32 rate, u32 burst)
{
	u64 elapsed = now > b->last_ms ? now - b->last_ms : 0;
	u64 cap = (u64)KD_MIN(burst, (u32)KD_RL_BURST_MAX) * KD_RL_MILLI;
	u64 tokens;

	/* rate requests per second is rate thousandths of a request per ms. */
	elapsed = KD_MIN(elapsed, KD_RL_ELAPSED_MAX);
	tokens = b->tokens + elapsed * KD_MIN(rate, (u32)KD_RL_RATE_MAX);
	b->tokens = (u32)KD_MIN(tokens, cap);
	if (now > b->last_ms)
		b->last_ms = now;
	if (b->tokens < KD_RL_MILLI)
		return false;
	b->tokens -= KD_RL_MILLI;
	return true;
}

bool kd_rl_allow(struct kd_ratelimit *rl, u64 now, const struct kd_addr *src,
		 bool proven)
{
	struct kd_rl_entry *e = kd_rl_slot(rl, kd_rl_source(rl, src, proven), now, proven);

	return e && kd_rl_bucket_take(&e->b, now, rl->rate, rl->burst);
}

u32 kd_rl_collect(struct kd_ratelimit *rl, u64 now, u32 idle_ms)
{
	u32 i, freed = 0;

	for (i = 0; i < rl->nentries; i++) {
		struct kd_rl_entry *e = &rl->e[i];

		if (e->key && now >= e->b.last_ms && now - e->b.last_ms >= idle_ms) {
			memset(e, 0, sizeof(*e));
			freed++;
		}
	}
	rl->used -= freed;
	return freed;
}
