// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * SipHash-2-4: the keyed hash behind address-validation tokens, the rate
 * limiter's source keys and the core's random numbers. Integer arithmetic
 * only, so the same file builds in the kernel.
 */
#include "kd_siphash.h"

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
