// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* Node ids, addresses and the XOR distance metric. */
#include "kd_types.h"

#define KD_IPV4_LEN	4
#define KD_IPV6_LEN	16

void kd_id_distance(struct kd_id *out, const struct kd_id *a, const struct kd_id *b)
{
	unsigned int i;

	for (i = 0; i < KDHT_ID_LEN; i++)
		out->b[i] = a->b[i] ^ b->b[i];
}

int kd_id_cmp_distance(const struct kd_id *target, const struct kd_id *a,
		       const struct kd_id *b)
{
	unsigned int i;

	/* The first byte where a and b differ decides; target's bits there flip both. */
	for (i = 0; i < KDHT_ID_LEN; i++) {
		u8 da = a->b[i] ^ target->b[i];
		u8 db = b->b[i] ^ target->b[i];

		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

unsigned int kd_id_bucket(const struct kd_id *self, const struct kd_id *other)
{
	unsigned int i, bit;

	for (i = 0; i < KDHT_ID_LEN; i++) {
		u8 x = self->b[i] ^ other->b[i];

		if (!x)
			continue;
		for (bit = 0; !(x & 0x80); bit++)
			x <<= 1;
		return i * 8 + bit;
	}
	return KD_ID_BITS;
}

void kd_id_in_bucket(struct kd_id *out, const struct kd_id *self, unsigned int b,
		     const u8 *rnd)
{
	unsigned int byte = b / 8;
	u8 flip, keep;

	if (b >= KD_ID_BITS) {
		*out = *self;
		return;
	}
	memcpy(out->b, self->b, byte);
	memcpy(out->b + byte, rnd + byte, KDHT_ID_LEN - byte);
	flip = (u8)(0x80 >> (b % 8));
	keep = (u8)~(0xff >> (b % 8));
	out->b[byte] = (u8)((self->b[byte] & keep) | (~self->b[byte] & flip) |
			    (out->b[byte] & ~(keep | flip)));
}

static unsigned int kd_addr_iplen(const struct kd_addr *a)
{
	return a->family == KDHT_AF_INET ? KD_IPV4_LEN : KD_IPV6_LEN;
}

bool kd_addr_equal(const struct kd_addr *a, const struct kd_addr *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->ip, b->ip, kd_addr_iplen(a)) == 0;
}

static bool kd_ip_all_zero(const u8 *ip, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		if (ip[i])
			return false;
	return true;
}

bool kd_addr_usable(const struct kd_addr *a)
{
	if (!a->port)
		return false;
	switch (a->family) {
	case KDHT_AF_INET:
		/* 0.0.0.0/8 names "this network", never a peer. */
		if (a->ip[0] == 0)
			return false;
		if ((a->ip[0] & 0xf0) == 0xe0)
			return false;
		return !(a->ip[0] == 0xff && a->ip[1] == 0xff &&
			 a->ip[2] == 0xff && a->ip[3] == 0xff);
	case KDHT_AF_INET6:
		if (kd_ip_all_zero(a->ip, KD_IPV6_LEN))
			return false;
		return a->ip[0] != 0xff;
	default:
		return false;
	}
}

/* ::ffff:a.b.c.d reaches the IPv4 host a.b.c.d */
static bool kd_addr_v4mapped(const struct kd_addr *a)
{
	return a->family == KDHT_AF_INET6 && kd_ip_all_zero(a->ip, 10) &&
	       a->ip[10] == 0xff && a->ip[11] == 0xff;
}

static enum kd_scope kd_ipv4_scope(const u8 *ip)
{
	if (ip[0] == 127)
		return KD_SCOPE_LOOPBACK;
	if (ip[0] == 169 && ip[1] == 254)
		return KD_SCOPE_LINK_LOCAL;
	if (ip[0] == 10 || (ip[0] == 172 && (ip[1] & 0xf0) == 16) ||
	    (ip[0] == 192 && ip[1] == 168))
		return KD_SCOPE_PRIVATE;
	return KD_SCOPE_GLOBAL;
}

enum kd_scope kd_addr_scope(const struct kd_addr *a)
{
	if (a->family == KDHT_AF_INET)
		return kd_ipv4_scope(a->ip);
	if (kd_addr_v4mapped(a))
		return KD_SCOPE_V4_MAPPED;
	if (kd_ip_all_zero(a->ip, KD_IPV6_LEN - 1) && a->ip[KD_IPV6_LEN - 1] == 1)
		return KD_SCOPE_LOOPBACK;
	if (a->ip[0] == 0xfe && (a->ip[1] & 0xc0) == 0x80)
		return KD_SCOPE_LINK_LOCAL;
	if ((a->ip[0] & 0xfe) == 0xfc)
		return KD_SCOPE_PRIVATE;
	return KD_SCOPE_GLOBAL;
}

bool kd_addr_learnable(const struct kd_addr *peer, const struct kd_addr *entry)
{
	enum kd_scope from = kd_addr_scope(peer);

	switch (kd_addr_scope(entry)) {
	case KD_SCOPE_LOOPBACK:
		return from == KD_SCOPE_LOOPBACK;
	case KD_SCOPE_LINK_LOCAL:
		return from == KD_SCOPE_LINK_LOCAL;
	case KD_SCOPE_PRIVATE:
		return from <= KD_SCOPE_PRIVATE;
	case KD_SCOPE_GLOBAL:
		return true;
	default:
		return false;
	}
}

u64 kd_addr_subnet(const struct kd_addr *a)
{
	u64 key = (u64)a->family << 56;
	unsigned int prefix = a->family == KDHT_AF_INET ? 3 : 6;	/* /24, /48 */
	const u8 *ip = a->ip;
	unsigned int i;

	/* A mapped address counts against its IPv4 /24, or a host could count twice. */
	if (kd_addr_v4mapped(a)) {
		key = (u64)KDHT_AF_INET << 56;
		prefix = 3;
		ip += 12;
	}
	for (i = 0; i < prefix; i++)
		key |= (u64)ip[i] << (8 * (prefix - 1 - i));
	return key;
}
