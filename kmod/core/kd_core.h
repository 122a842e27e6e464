/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * One DHT node's routing, sans-IO. The host hands it datagrams and the time
 * (milliseconds on a monotonic clock), and random bytes at init; the core
 * sends through io->send and reports through io->event, both called from
 * within core calls. It never allocates: all its memory is the block the
 * host passes to kd_core_init(). It does not lock; the host serialises calls.
 */
#ifndef KD_CORE_H
#define KD_CORE_H

#include "kd_types.h"
#include "kd_params.h"
#include "kd_codec.h"
#include "kd_token.h"
#include "kd_ratelimit.h"
#include "kd_table.h"
#include "kd_lookup.h"

#define KD_NEVER ((u64)-1)

enum kd_event_type {
	KD_EV_LOOKUP_DONE,	/* lookup, target, stats, hits */
	KD_EV_PING_DONE,	/* cookie, ok, node (id known if ok), rtt_ms */
	KD_EV_CONTACT_ADDED,	/* node */
	KD_EV_CONTACT_REMOVED,	/* node */
};

struct kd_event {
	u8 type;
	u8 ok;			/* lookup: finished in time; ping: answered */
	u32 cookie;		/* the host's tag from kd_core_lookup/kd_core_ping */
	struct kd_node node;
	u32 rtt_ms;
	struct kd_id target;
	struct kd_lookup_stats stats;
	unsigned int nhits;
	const struct kd_lookup_hit *hits;	/* valid during the callback only */
};

struct kd_io {
	void *ctx;
	void (*send)(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len);
	void (*event)(void *ctx, const struct kd_event *ev);
	/*
	 * May a request from `from` be answered now? The host's per-source
	 * rate limiter (kd_rl_allow()), asked for requests only, once replies
	 * are matched: a flood in a peer's name then costs the peer its
	 * unproven requests' share, never its replies. proven: the request
	 * carries our token for `from`, or `from` is a loopback address.
	 * NULL: every request may.
	 */
	bool (*admit)(void *ctx, u64 now, const struct kd_addr *from, bool proven);
};

/* What kd_core_input() found, for the host's counters and upcalls. */
struct kd_input {
	struct kd_hdr hdr;
	const u8 *body;		/* unpadded body, inside the caller's datagram */
	size_t body_len;
	bool validated;		/* token valid, or the source answered us before */
	/*
	 * The source address is beyond forgery: a reply to our request from
	 * the address we sent it to, or a request carrying our token for that
	 * address (or from loopback). What a host learns about an address from
	 * a datagram (as the local address it reaches us at) it learns from
	 * these only, else a spray of forged sources overwrites real peers'.
	 */
	bool proven;
	/* kd_reply_budget() for this message; in a closed mesh, before the tag */
	size_t reply_budget;
	bool upcall;		/* a value message: the host hands it up */
	/* Answered, but cut to reply_budget: the host counts KD_R_UNVALIDATED. */
	bool reply_cut;
	bool has_key;		/* an upcall whose body starts with its key */
	struct kd_id key;	/* that key, by kd_decode_key() */
	/*
	 * NODES entries refused for their scope, the rest of the reply kept:
	 * the host counts scope_refused[i] as reason KD_R_SCOPE_LOOPBACK + i.
	 */
	u8 scope_refused[KD_R_SCOPE_COUNT];
};

/* A message the host composes: a value message, or an ERROR answering one. */
struct kd_value_msg {
	u8 type;
	u8 flags;		/* KDHT_F_REPLY for a reply */
	u32 txid;		/* a reply: the request's; a request: its own, or 0 */
	const u8 *body;		/* the protobuf body, body_len bytes */
	size_t body_len;
	size_t pad_to;		/* pads the datagram to that many bytes; 0: none */
};

struct kd_core;

size_t kd_core_memsize(const struct kd_params *p);

/*
 * mem: kd_core_memsize(p) bytes, 8-byte aligned, zeroed or not. seed: 32
 * random bytes (token secret and txids). Returns -EINVAL for bad params or a
 * short block.
 */
int kd_core_init(void *mem, size_t len, const struct kd_params *p,
		 const struct kd_id *self, const u8 seed[32], u64 now,
		 const struct kd_io *io, struct kd_core **out);

/*
 * One datagram from `from`. In a closed mesh its tag is checked first (else
 * KD_R_BAD_TAG, before the limiter and before anything is learnt) and
 * stripped: in->body and in->reply_budget never count it. Returns KD_R_OK
 * when it was accepted (answered
 * here, or in->upcall set for the host to hand up, with in->key when the
 * body starts with one), or the reason it was dropped. Replies are matched
 * first and never limited; a request must then pass io->admit (else
 * KD_R_RATE_LIMITED) and, if unvalidated, the node's unvalidated_rate (else
 * KD_R_UNDER_LOAD: under load, only validated requests are answered).
 */
int kd_core_input(struct kd_core *c, u64 now, const struct kd_addr *from,
		  const u8 *pkt, size_t len, struct kd_input *in);

/*
 * The host could not hand up the value request in (a KD_R_OK upcall from
 * `from`): answers it with ERROR code, so that the requester tries another
 * node at once rather than waiting for its timeout. Nothing is sent for a
 * reply, nor when an ERROR does not fit in->reply_budget.
 */
void kd_core_refuse(struct kd_core *c, const struct kd_addr *from,
		    const struct kd_input *in, u16 code);

/* Runs what is due at now; returns when to be called next (or KD_NEVER). */
u64 kd_core_tick(struct kd_core *c, u64 now);
/*
 * When the core wants kd_core_tick() next (or KD_NEVER); cheap enough to ask
 * after every call. It may answer earlier than needed, never later.
 */
u64 kd_core_next_due(struct kd_core *c);

/*
 * Starts an iterative FIND_NODE for target; KD_EV_LOOKUP_DONE follows (at
 * once, with no hits, if the table is empty). Returns a lookup handle >= 0
 * or -ENOSPC when max_lookups are running.
 */
int kd_core_lookup(struct kd_core *c, u64 now, const struct kd_id *target, u32 cookie);

/* Cancels a running lookup without an event. */
void kd_core_lookup_cancel(struct kd_core *c, int handle);

/* PINGs an address; KD_EV_PING_DONE follows. -ENOSPC if no request slot. */
int kd_core_ping(struct kd_core *c, u64 now, const struct kd_addr *to, u32 cookie);

/*
 * Bootstrap: remembers addr (up to KD_BOOTSTRAP_MAX) and pings it; while the
 * table has fewer than KD_JOIN_MEMBERS members, every remembered address is
 * pinged again with a backoff of bootstrap_min_ms doubling to
 * bootstrap_max_ms. The first answer to each round triggers a lookup of our
 * own id.
 */
int kd_core_bootstrap(struct kd_core *c, u64 now, const struct kd_addr *addr);

/*
 * Changes the parameters that do not size memory (k, alpha, repl_per_bucket
 * up to its initial value, max_fails, diversity limits, timeouts, intervals).
 * -EINVAL if p changes a sizing field or is out of bounds.
 */
int kd_core_set_params(struct kd_core *c, const struct kd_params *p);

/*
 * Closes the mesh under tag_key (KD_SECRET_LEN bytes, derived from the mesh
 * key, PROTOCOL.md "Closed mesh"), or opens it with NULL, the old key wiped.
 * Closed, kd_core_input() drops every datagram without a valid tag as
 * KD_R_BAD_TAG before reading anything else of it, and every datagram sent
 * is tagged; open, a tagged datagram is dropped as KD_R_BAD_TAG.
 */
void kd_core_set_mesh_key(struct kd_core *c, const u8 *tag_key);
bool kd_core_closed(const struct kd_core *c);

const struct kd_params *kd_core_params(const struct kd_core *c);
const struct kd_id *kd_core_self(const struct kd_core *c);
struct kd_table *kd_core_table(struct kd_core *c);
unsigned int kd_core_lookups_running(const struct kd_core *c);

/*
 * The k closest known good or questionable nodes to target (for FIND_VALUE
 * upcalls and the daemon's replies). Returns how many were written.
 */
unsigned int kd_core_closest(const struct kd_core *c, const struct kd_id *target,
			     u8 want, struct kd_node *out, unsigned int max);

/*
 * Fills the header of a message from this node to `to`: our id as sender; in
 * a request (no KDHT_F_REPLY) the token `to` issued us if we hold one; in a
 * reply a fresh token for `to`. txid: the request's for a reply; for a
 * request the caller's own, or 0 to have one drawn. body_len is left 0.
 */
void kd_core_make_hdr(struct kd_core *c, struct kd_hdr *h, u8 type, u8 flags,
		      const struct kd_addr *to, u32 txid);

/*
 * Sends m to `to` through io->send, with the header kd_core_make_hdr()
 * fills (sender, txid drawn if m->txid is 0, token) and the padding m asks
 * for, which a request that carries the peer's token goes without (it is
 * validated, PROTOCOL.md section 5). *txid (may be NULL) gets the txid
 * sent, for matching the reply.
 * Returns 0, or -EMSGSIZE if the message does not fit a datagram (nothing
 * is sent).
 */
int kd_core_send(struct kd_core *c, const struct kd_addr *to,
		 const struct kd_value_msg *m, u32 *txid);

#endif /* KD_CORE_H */
