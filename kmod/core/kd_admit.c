// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Admission: SipHash-2-4, address-validation tokens and the per-source
 * rate limiter. Integer arithmetic only, no 64-bit division, so the same
 * file builds in the kernel.
 */
#include "kd_admit.h"
#include "kd_params.h"

/*
 * Slots one source may land in. Lookups scan the whole window without
 * stopping at free slots, so freeing an entry never hides another one.
 */
#define KD_RL_PROBE	8
#define KD_RL_MILLI	1000u	/* tokens are kept in thousandths of a request */
/* Longer idle periods refill no further than a full bucket anyway. */
#define KD_RL_ELAPSED_MAX	0xffffffffull

static inline u64 kd_rotl(u64 x, unsigned int b)
{
	return (x << b) | (x >> (64 - b));
}

struct kd_sip {
	u64 v0, v1, v2, v3;
};

static void kd_sip_round(struct kd_sip *s)
{
	s->v0 += s->v1;
	s->v1 = kd_rotl(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = kd_rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = kd_rotl(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = kd_rotl(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = kd_rotl(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = kd_rotl(s->v2, 32);
}

static void kd_sip_block(struct kd_sip *s, u64 m)
{
	s->v3 ^= m;
	kd_sip_round(s);
	kd_sip_round(s);
	s->v0 ^= m;
}

u64 kd_siphash(const u8 key[KD_SECRET_LEN], const u8 *data, size_t len)
{
	u64 k0 = kd_get_le64(key), k1 = kd_get_le64(key + 8);
	struct kd_sip s = {
		.v0 = k0 ^ 0x736f6d6570736575ull,
		.v1 = k1 ^ 0x646f72616e646f6dull,
		.v2 = k0 ^ 0x6c7967656e657261ull,
		.v3 = k1 ^ 0x7465646279746573ull,
	};
	size_t off = 0;
	u64 last;
	unsigned int i;

	for (; len - off >= 8; off += 8)
		kd_sip_block(&s, kd_get_le64(data + off));
	/* The final block carries the length's low byte on top of the tail bytes. */
	last = (u64)(len & 0xff) << 56;
	for (i = 0; off + i < len; i++)
		last |= (u64)data[off + i] << (8 * i);
	kd_sip_block(&s, last);
	s.v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		kd_sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void kd_tokens_init(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now)
{
	memcpy(t->cur, secret, KD_SECRET_LEN);
	memcpy(t->prev, secret, KD_SECRET_LEN);
	t->rotated_at = now;
}

void kd_tokens_rotate(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now)
{
	memcpy(t->prev, t->cur, KD_SECRET_LEN);
	memcpy(t->cur, secret, KD_SECRET_LEN);
	t->rotated_at = now;
}

/* The token binds family, port and address, so it is useless from anywhere else. */
static void kd_token_calc(const u8 secret[KD_SECRET_LEN], const struct kd_addr *a,
			  u8 out[KDHT_TOKEN_LEN])
{
	u8 msg[3 + sizeof(a->ip)];
	size_t iplen = a->family == KDHT_AF_INET ? 4 : sizeof(a->ip);

	msg[0] = a->family;
	kd_put_be16(msg + 1, a->port);
	memcpy(msg + 3, a->ip, iplen);
	kd_put_be64(out, kd_siphash(secret, msg, 3 + iplen));
}

void kd_token_make(const struct kd_tokens *t, const struct kd_addr *a,
		   u8 out[KDHT_TOKEN_LEN])
{
	kd_token_calc(t->cur, a, out);
}

/* Compares without an early exit, so timing does not tell how much matched. */
static bool kd_token_equal(const u8 *a, const u8 *b)
{
	u8 diff = 0;
	unsigned int i;

	for (i = 0; i < KDHT_TOKEN_LEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

bool kd_token_check(const struct kd_tokens *t, const struct kd_addr *a,
		    const u8 tok[KDHT_TOKEN_LEN])
{
	u8 want[KDHT_TOKEN_LEN];
	bool ok;

	kd_token_calc(t->cur, a, want);
	ok = kd_token_equal(want, tok);
	kd_token_calc(t->prev, a, want);
	return kd_token_equal(want, tok) || ok;
}

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
			rl->e[i].tokens = KD_MIN(rl->e[i].tokens, kd_rl_cap(rl));
}

/* One source: an IPv4 address, or an IPv6 /64 (what one host can easily vary within). */
static u64 kd_rl_source(const struct kd_ratelimit *rl, const struct kd_addr *src)
{
	u8 msg[1 + 8];
	size_t len = src->family == KDHT_AF_INET ? 4 : 8;
	u64 h;

	msg[0] = src->family;
	memcpy(msg + 1, src->ip, len);
	h = kd_siphash(rl->key, msg, 1 + len);
	return h ? h : 1;
}

static struct kd_rl_entry *kd_rl_slot(struct kd_ratelimit *rl, u64 key, u64 now)
{
	u32 mask = rl->nentries - 1;
	u32 window = KD_MIN((u32)KD_RL_PROBE, rl->nentries);
	struct kd_rl_entry *spare = NULL, *stalest = NULL, *e;
	u32 i;

	for (i = 0; i < window; i++) {
		e = &rl->e[((u32)key + i) & mask];
		if (e->key == key)
			return e;
		if (!e->key) {
			if (!spare)
				spare = e;
		} else if (!stalest || e->last_ms < stalest->last_ms) {
			stalest = e;
		}
	}
	if (spare)
		rl->used++;
	else
		spare = stalest;
	spare->key = key;
	spare->last_ms = now;
	spare->tokens = kd_rl_cap(rl);
	return spare;
}

bool kd_rl_allow(struct kd_ratelimit *rl, u64 now, const struct kd_addr *src)
{
	struct kd_rl_entry *e = kd_rl_slot(rl, kd_rl_source(rl, src), now);
	u64 elapsed = now > e->last_ms ? now - e->last_ms : 0;
	u64 tokens;

	/* rate requests per second is rate thousandths of a request per ms. */
	elapsed = KD_MIN(elapsed, KD_RL_ELAPSED_MAX);
	tokens = e->tokens + elapsed * rl->rate;
	e->tokens = (u32)KD_MIN(tokens, (u64)kd_rl_cap(rl));
	if (now > e->last_ms)
		e->last_ms = now;
	if (e->tokens < KD_RL_MILLI)
		return false;
	e->tokens -= KD_RL_MILLI;
	return true;
}

u32 kd_rl_collect(struct kd_ratelimit *rl, u64 now, u32 idle_ms)
{
	u32 i, freed = 0;

	for (i = 0; i < rl->nentries; i++) {
		struct kd_rl_entry *e = &rl->e[i];

		if (e->key && now >= e->last_ms && now - e->last_ms >= idle_ms) {
			memset(e, 0, sizeof(*e));
			freed++;
		}
	}
	rl->used -= freed;
	return freed;
}
