// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * SipHash-2-4: the keyed hash behind address-validation tokens, the rate
 * limiter's source keys and the core's random numbers; and its 128-bit
 * variant, the tag of every datagram in a closed mesh. Integer arithmetic
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

static void kd_sip_init(struct kd_sip *s, const u8 key[KD_SECRET_LEN])
{
	u64 k0 = kd_get_le64(key), k1 = kd_get_le64(key + 8);

	s->v0 = k0 ^ 0x736f6d6570736575ull;
	s->v1 = k1 ^ 0x646f72616e646f6dull;
	s->v2 = k0 ^ 0x6c7967656e657261ull;
	s->v3 = k1 ^ 0x7465646279746573ull;
}

/* Every 8-byte block, then the final one, which carries the length's low byte. */
static void kd_sip_absorb(struct kd_sip *s, const u8 *data, size_t len)
{
	size_t off = 0;
	u64 last;
	unsigned int i;

	for (; len - off >= 8; off += 8)
		kd_sip_block(s, kd_get_le64(data + off));
	last = (u64)(len & 0xff) << 56;
	for (i = 0; off + i < len; i++)
		last |= (u64)data[off + i] << (8 * i);
	kd_sip_block(s, last);
}

/* Four rounds after the finalisation constant x, and the state folded. */
static u64 kd_sip_final(struct kd_sip *s, u64 x)
{
	unsigned int i;

	s->v2 ^= x;
	for (i = 0; i < 4; i++)
		kd_sip_round(s);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

u64 kd_siphash(const u8 key[KD_SECRET_LEN], const u8 *data, size_t len)
{
	struct kd_sip s;

	kd_sip_init(&s, key);
	kd_sip_absorb(&s, data, len);
	return kd_sip_final(&s, 0xff);
}

static void kd_put_le64(u8 *p, u64 v)
{
	unsigned int i;

	for (i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

void kd_siphash128(const u8 key[KD_SECRET_LEN], const u8 *data, size_t len,
		   u8 out[KD_SIPHASH128_LEN])
{
	struct kd_sip s;

	kd_sip_init(&s, key);
	/* The 128-bit variant differs in two constants, and squeezes twice. */
	s.v1 ^= 0xee;
	kd_sip_absorb(&s, data, len);
	kd_put_le64(out, kd_sip_final(&s, 0xee));
	s.v1 ^= 0xdd;
	kd_put_le64(out + 8, kd_sip_final(&s, 0));
}

bool kd_equal_ct(const u8 *a, const u8 *b, size_t len)
{
	u8 diff = 0;
	size_t i;

	for (i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}
