// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Senders that have not proven their address. A request names its source
 * address, and anyone can forge it: a sender becomes a routing-table member,
 * and so is handed out in NODES, only once it answered a request of ours.
 * Until then it waits here, in a list of max_unproven entries (the least
 * recently heard one gives way), and is pinged once. The ping is paid for
 * by the sender: everything we send an address while it is unproven, our
 * replies and the ping, never adds up to more bytes than it sent us, so a
 * forged source draws no more than the forger sent. A sender that presented
 * our token has proven its address already and is pinged at once.
 */
#include "kd_core_int.h"

/* What our ping to an unproven sender costs: an unpadded PING. */
#define KD_PROBE_LEN	KDHT_HDR_LEN

static struct kd_unproven *kd_unproven_find(struct kd_core *c, const struct kd_addr *a)
{
	unsigned int i;

	for (i = 0; i < c->p.max_unproven; i++)
		if (c->unproven[i].used && kd_addr_equal(&c->unproven[i].node.addr, a))
			return &c->unproven[i];
	return NULL;
}

/* A free entry, or the least recently heard one. */
static struct kd_unproven *kd_unproven_slot(struct kd_core *c)
{
	struct kd_unproven *oldest = &c->unproven[0];
	unsigned int i;

	for (i = 0; i < c->p.max_unproven; i++) {
		if (!c->unproven[i].used)
			return &c->unproven[i];
		if (c->unproven[i].heard_at < oldest->heard_at)
			oldest = &c->unproven[i];
	}
	return oldest;
}

static u32 kd_add_sat(u32 a, size_t b)
{
	return (u32)KD_MIN((u64)a + b, (u64)0xffffffff);
}

/* Pinged already, out of ping slots, or not paid for: no ping now. */
static bool kd_unproven_may_ping(const struct kd_core *c, const struct kd_unproven *u)
{
	if (u->pinged || c->probes_out >= KD_PROBES_MAX)
		return false;
	return u->proven || (u64)u->tx_bytes + KD_PROBE_LEN <= u->rx_bytes;
}

void kd_unproven_heard(struct kd_core *c, u64 now, const struct kd_node *n,
		       size_t rx_len, size_t tx_len, bool proven)
{
	struct kd_unproven *u = kd_unproven_find(c, &n->addr);

	if (!u) {
		u = kd_unproven_slot(c);
		memset(u, 0, sizeof(*u));
		u->used = 1;
		u->node = *n;
	}
	if (!u->pinged)
		u->node.id = n->id;
	u->heard_at = now;
	u->rx_bytes = kd_add_sat(u->rx_bytes, rx_len);
	u->tx_bytes = kd_add_sat(u->tx_bytes, tx_len);
	u->proven |= proven;
	if (!kd_unproven_may_ping(c, u) || kd_core_probe(c, now, &u->node) < 0)
		return;
	u->pinged = 1;
	u->tx_bytes = kd_add_sat(u->tx_bytes, KD_PROBE_LEN);
}

void kd_unproven_forget(struct kd_core *c, const struct kd_addr *addr)
{
	struct kd_unproven *u = kd_unproven_find(c, addr);

	if (u)
		u->used = 0;
}
