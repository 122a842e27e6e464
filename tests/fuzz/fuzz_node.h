/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * What the fuzz targets that drive a whole routing node share: the
 * addresses of the handful of peers a script names, and the script's calls
 * into the node other than datagrams.
 */
#ifndef KDHT_FUZZ_NODE_H
#define KDHT_FUZZ_NODE_H

#include "kd_core.h"
#include "fuzz_script.h"

#define FUZZ_PEERS	8
#define FUZZ_CALLS	4	/* fuzz_call()'s ops */

/* Small tables and few slots, so that a short script fills them. */
static inline void fuzz_small_params(struct kd_params *p)
{
	kd_params_default(p);
	p->k = 4;
	p->max_contacts = 64;
	p->max_inflight = 16;
	p->max_lookups = 2;
	p->lookup_width = 16;
}

/* Peer v's address: FUZZ_PEERS of them, IPv4 and IPv6 in turn. */
static inline struct kd_addr fuzz_peer_addr(u8 v)
{
	struct kd_addr a;

	memset(&a, 0, sizeof(a));
	a.family = v & 1 ? KDHT_AF_INET6 : KDHT_AF_INET;
	a.port = (u16)(4650 + (v % FUZZ_PEERS));
	a.ip[0] = a.family == KDHT_AF_INET ? 10 : 0x20;
	a.ip[3] = (u8)(v % FUZZ_PEERS + 1);
	return a;
}

/* A datagram of the script's bytes into buf (cap bytes), its length first; returns it. */
static inline size_t fuzz_bytes(struct script *s, u8 *buf, size_t cap)
{
	size_t len = (size_t)take(s) << 8, i;

	len = KD_MIN((len | take(s)) % (cap + 1), s->left);
	for (i = 0; i < len; i++)
		buf[i] = take(s);
	return len;
}

/* Op 0..FUZZ_CALLS-1 of the script: a time step, a lookup, a ping, a bootstrap. */
static inline void fuzz_call(struct kd_core *c, struct script *s, u64 *now, unsigned int op)
{
	struct kd_addr a;
	struct kd_id id;

	switch (op) {
	case 0:
		*now += (u64)take(s) * 100;
		CHECK(kd_core_tick(c, *now) > *now);
		break;
	case 1:
		memset(id.b, take(s), KDHT_ID_LEN);
		kd_core_lookup(c, *now, &id, 0);
		break;
	case 2:
		a = fuzz_peer_addr(take(s));
		kd_core_ping(c, *now, &a, 0);
		break;
	case 3:
		a = fuzz_peer_addr(take(s));
		kd_core_bootstrap(c, *now, &a);
		break;
	}
}

#endif /* KDHT_FUZZ_NODE_H */
