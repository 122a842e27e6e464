/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * What the core's own files share and no host may use: the node's state and
 * the calls between kd_core.c (requests and lookups), kd_receive.c (the
 * receive path) and kd_token.c (the tokens peers issued us). Like the rest
 * of the core, nothing here locks: the host serialises every core call.
 */
#ifndef KD_CORE_INT_H
#define KD_CORE_INT_H

#include "kd_core.h"

/* Tokens remembered for peers that are not (yet) table contacts. */
#define KD_TOKEN_CACHE		64
#define KD_NO_LOOKUP		0xffff
#define KD_WANT_ALL		(KDHT_WANT_V4 | KDHT_WANT_V6)
/* The bound of kd_params.max_unproven. */
#define KD_UNPROVEN_MAX		1024
/* A PING without a token: room for the PONG and for a PING back. */
#define KD_PING_PADDED		(2 * KDHT_HDR_LEN)
/* Pings to unproven senders in flight at once, so lookups keep their slots. */
#define KD_PROBES_MAX		8

enum kd_req_kind {
	KD_REQ_FREE,
	KD_REQ_PING,		/* the host's kd_core_ping() */
	KD_REQ_LIVENESS,	/* a table member's liveness check */
	KD_REQ_BOOT,		/* a bootstrap address */
	KD_REQ_FIND,		/* a lookup's FIND_NODE */
	KD_REQ_PROBE,		/* a PING to an unproven sender (kd_unproven.c) */
};

struct kd_req {
	struct kd_addr to;
	struct kd_id id;	/* whom we asked, when id_known */
	u64 sent_at;
	u32 timeout_ms;		/* kd_table_timeout() when sent */
	u32 txid;
	u32 prev_txid;		/* a resent FIND: the earlier attempt's, or 0 */
	u32 cookie;
	u16 lookup;		/* the lookup slot of a FIND, or KD_NO_LOOKUP */
	u8 kind;
	u8 id_known;
	u8 parked;		/* a timed-out FIND kept for its resend */
};

struct kd_lk_slot {
	struct kd_lookup l;
	u32 cookie;
	u32 gen;		/* bumped at every start: stale handles miss */
	u8 used;
	u8 internal;		/* a refresh or bootstrap lookup: no event */
};

struct kd_tok_entry {
	struct kd_addr addr;
	u64 got_at;
	u8 token[KDHT_TOKEN_LEN];
	u8 used;
};

/* A sender heard from that has not answered us at its address yet. */
struct kd_unproven {
	struct kd_node node;	/* the id it claims */
	u64 heard_at;
	u32 rx_bytes;		/* what it sent us */
	u32 tx_bytes;		/* what we sent it: replies, and our ping */
	u8 used;
	u8 pinged;		/* our ping is out, or was */
	u8 proven;		/* it presented our token */
};

struct kd_core {
	struct kd_params p;
	struct kd_id self;
	struct kd_io io;
	struct kd_table table;
	struct kd_tokens tokens;
	u64 next_rotate;
	u8 rng_key[KD_SECRET_LEN];
	u64 rng_ctr;
	struct kd_req *req;
	struct kd_lk_slot *lk;
	struct kd_lookup_cand *cand;
	struct kd_unproven *unproven;	/* max_unproven entries */
	u16 reqs_used;
	u16 probes_out;		/* KD_REQ_PROBE requests in flight */
	u16 lookups_used;
	u8 repl_init;		/* repl_per_bucket the table was sized for */
	struct kd_tok_entry tcache[KD_TOKEN_CACHE];
	u16 tcache_next;
	struct kd_addr boot[KD_BOOTSTRAP_MAX];
	u8 nboot;
	u8 boot_lookup_started;
	u32 boot_backoff;
	u64 boot_next;
	u64 last_tick;
	/* Unvalidated requests the node may still answer (unvalidated_rate). */
	struct kd_rl_bucket unvalidated;
	u64 now;		/* the time of the call in progress */
	u64 due;		/* kd_core_next_due()'s answer, while due_valid */
	u8 due_valid;
	/* A closed mesh: every datagram in and out is tagged under tag_key. */
	u8 closed;
	u8 tag_key[KD_SECRET_LEN];
	/* Scratch for one call at a time; kept here to keep stack frames small. */
	u8 pkt[KDHT_MAX_DATAGRAM];
	struct kd_nodes nodes;
	struct kd_node closest[KD_K_MAX + 1];
	struct kd_lookup_hit hits[KD_K_MAX];
};

static inline void kd_emit(struct kd_core *c, const struct kd_event *ev)
{
	if (c->io.event)
		c->io.event(c->io.ctx, ev);
}

/*
 * The most a datagram may hold before its tag, and so the capacity every
 * encoder of the core is given: in a closed mesh the tag's room is kept.
 */
static inline size_t kd_pkt_cap(const struct kd_core *c)
{
	return c->closed ? KDHT_MAX_TAGGED_PLAIN : KDHT_MAX_DATAGRAM;
}

/* In a closed mesh: flags and tags the len bytes in c->pkt; the length to send, or 0. */
size_t kd_tag_append(struct kd_core *c, size_t len);

static inline void kd_send(struct kd_core *c, const struct kd_addr *to, size_t len)
{
	if (len && c->closed)
		len = kd_tag_append(c, len);
	if (len && c->io.send)
		c->io.send(c->io.ctx, to, c->pkt, len);
}

/*
 * kd_core_next_due() is asked after every call, so it answers from a cache
 * that every change able to bring a deadline forward drops: a request sent
 * or failed, a lookup started, a table member added or removed, a
 * bootstrap, new parameters, a tick. A deadline that moves later (a reply,
 * a contact seen again) leaves the cache early, and the host's timer then
 * fires early: a tick that finds nothing due and recomputes.
 */
static inline void kd_due_changed(struct kd_core *c)
{
	c->due_valid = 0;
}

/* kd_core.c */

/* Frees request slot i; its lookup, if any, is not told. */
void kd_req_free(struct kd_core *c, unsigned int i);
/*
 * Request slot i got no usable answer (timeout: it timed out): the peer
 * failed and whoever waited learns it, or the slot is parked for a resend.
 */
void kd_req_fail(struct kd_core *c, u64 now, unsigned int i, bool timeout);
/*
 * n was heard from (is_reply: it answered a request of ours, in rtt_ms):
 * the table learns it, and may want its least recently seen member pinged.
 */
void kd_core_seen(struct kd_core *c, u64 now, const struct kd_node *n,
		  u8 flags, bool is_reply, u32 rtt_ms);
/* Sends what lookup slot li wants sent, within free request slots; completes it when done. */
void kd_core_lookup_pump(struct kd_core *c, u64 now, unsigned int li);
/*
 * Starts a lookup of target in a free slot (internal: a refresh or bootstrap
 * lookup, which ends without an event). Returns its handle, or -ENOSPC.
 */
int kd_core_lookup_start(struct kd_core *c, u64 now, const struct kd_id *target,
			 u32 cookie, bool internal);

/* Sends KD_REQ_PROBE, a PING to n; its request slot, or -ENOSPC. */
int kd_core_probe(struct kd_core *c, u64 now, const struct kd_node *n);

/* kd_unproven.c */

/*
 * A request of rx_len bytes, or a reply for the daemon, came from n, which
 * has not answered us at that address, and we answered it with tx_len bytes
 * (for a request handed up, its whole reply budget: the daemon may use it).
 * proven: it carried our token. n is kept and pinged once what it sent
 * covers the ping, or at once if proven.
 */
void kd_unproven_heard(struct kd_core *c, u64 now, const struct kd_node *n,
		       size_t rx_len, size_t tx_len, bool proven);
/* The sender at addr answered a request of ours, or never will: forgotten. */
void kd_unproven_forget(struct kd_core *c, const struct kd_addr *addr);

/* kd_token.c */

/*
 * The token `to` issued us and we may still trust, or NULL: from its contact
 * when id is known, else from the cache (or any contact at that address).
 */
const u8 *kd_token_for(struct kd_core *c, const struct kd_addr *to,
		       const struct kd_id *id);
/* Keeps the token from's reply carried: in its contact, else in the cache. */
void kd_token_store(struct kd_core *c, const struct kd_node *from, const u8 *tok);

#endif /* KD_CORE_INT_H */
