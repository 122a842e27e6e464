/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Node ids, addresses and the distance metric. */
#ifndef KD_TYPES_H
#define KD_TYPES_H

#include "kd_port.h"
#include "kdht_wire.h"

#define KD_ID_BITS	(KDHT_ID_LEN * 8)

struct kd_id {
	u8 b[KDHT_ID_LEN];
};

/* A UDP endpoint. family is KDHT_AF_INET or KDHT_AF_INET6; port in host order. */
struct kd_addr {
	u8 family;
	u8 reserved;
	u16 port;
	u8 ip[16];	/* IPv4 in ip[0..3], ip[4..15] zero */
};

struct kd_node {
	struct kd_id id;
	struct kd_addr addr;
};

static inline bool kd_id_equal(const struct kd_id *a, const struct kd_id *b)
{
	return memcmp(a->b, b->b, KDHT_ID_LEN) == 0;
}

/* out = a XOR b */
void kd_id_distance(struct kd_id *out, const struct kd_id *a, const struct kd_id *b);

/* < 0 if a is closer to target than b, 0 if equal, > 0 if farther. */
int kd_id_cmp_distance(const struct kd_id *target, const struct kd_id *a,
		       const struct kd_id *b);

/*
 * The bucket of other in self's table: the length of their common prefix,
 * 0..KD_ID_BITS - 1; KD_ID_BITS when the ids are equal.
 */
unsigned int kd_id_bucket(const struct kd_id *self, const struct kd_id *other);

/*
 * An id in bucket b of self: the first b bits of self, bit b flipped, the
 * rest taken from rnd (KDHT_ID_LEN random bytes). Used to refresh buckets.
 */
void kd_id_in_bucket(struct kd_id *out, const struct kd_id *self, unsigned int b,
		     const u8 *rnd);

bool kd_addr_equal(const struct kd_addr *a, const struct kd_addr *b);

/*
 * True for an address a node may be contacted at: a known family, a non-zero
 * port, not unspecified, not multicast, not IPv4 broadcast. Loopback and
 * private ranges are allowed (test meshes use them).
 */
bool kd_addr_usable(const struct kd_addr *a);

/* How far an address reaches, narrowest first; mapped addresses apart. */
enum kd_scope {
	KD_SCOPE_LOOPBACK,	/* 127.0.0.0/8, ::1 */
	KD_SCOPE_LINK_LOCAL,	/* 169.254.0.0/16, fe80::/10 */
	KD_SCOPE_PRIVATE,	/* 10/8, 172.16/12, 192.168/16, fc00::/7 */
	KD_SCOPE_GLOBAL,
	KD_SCOPE_V4_MAPPED,	/* ::ffff:0:0/96, an IPv4 address in disguise */
};

enum kd_scope kd_addr_scope(const struct kd_addr *a);

/*
 * Whether a node entry at `entry`, received from a peer at `peer`, may be
 * contacted: never of a narrower scope than the peer's, so that no remote
 * peer can aim us at our loopback, link or private network. Loopback only
 * from loopback, link-local only from link-local (the wire carries no scope
 * id to tell links apart), private only from loopback, link-local or
 * private; a mapped address never.
 */
bool kd_addr_learnable(const struct kd_addr *peer, const struct kd_addr *entry);

/*
 * The subnet an address counts against for IP diversity: /24 for IPv4, /48
 * for IPv6, as one 64-bit key (family in the top byte).
 */
u64 kd_addr_subnet(const struct kd_addr *a);

#endif /* KD_TYPES_H */
