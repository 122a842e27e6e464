/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * put and get across the network. put: a lookup of the key, the record sent
 * in parts to r of the closest nodes spread over subnets (this node among
 * them if it is one), success once w committed it; a replica that fails is
 * replaced by the next. get: a lookup, FIND_VALUE to the same r; an
 * immutable value ends the search at once, a mutable one is read from every
 * replica and the highest sequence number wins; replicas found lacking the
 * record, or holding an older one, are sent it. Each request is retried a
 * bounded number of times.
 */
#ifndef KDD_OP_H
#define KDD_OP_H

#include "backend.h"
#include "serve.h"

#define KDD_OP_MAX	32	/* puts and gets in flight */
#define KDD_OP_MAX_REQS	2048	/* value requests awaiting a reply */
#define KDD_OP_TICK_MS	50	/* retransmission timer granularity, while an operation runs */
#define KDD_MAX_R		KDHT_MAX_NODES	/* replicas of one value at most */

struct kdd_op_params {
	unsigned int r, w;
	uint32_t default_ttl_s;	/* a put without a lifetime */
	uint32_t timeout_ms;	/* one request */
	unsigned int retries;
	uint32_t max_value;
	/*
	 * An operation's replicas of one /24 (/48) at most, this node counted
	 * by the addresses it is bound to; a second of a subnet is taken only
	 * when fewer than r subnets are at hand. 0: no limit, no spreading.
	 */
	unsigned int per_subnet;
};

/* Where an operation's time went, for the caller to show. */
struct kdd_op_info {
	uint64_t elapsed_us;	/* from the call to the callback */
	uint64_t lookup_us;	/* of which the lookup of the key */
	uint16_t lookup_rounds;	/* the lookup's rounds (hops) */
	uint16_t asked;		/* other nodes sent a request, substitutes included */
	uint16_t acks;		/* put: replicas that committed it so far */
	uint64_t held_seq;	/* put: the highest seq a refusing replica holds */
};

/* status: 0 or a negative errno; why: one line when status != 0. */
typedef void (*kdd_op_put_cb)(void *arg, int status, const char *why,
			      const struct kdd_op_info *info);
/* status: 0 (rec valid during the call), -ENOENT, -ETIMEDOUT, -EIO... */
typedef void (*kdd_op_get_cb)(void *arg, int status, const struct kdd_record *rec,
			      const struct kdd_op_info *info);

struct kdd_op_engine;

int kdd_op_create(struct kdd_op_engine **out, uv_loop_t *loop, struct kdd_backend *b,
		  struct kdd_serve *local, const struct kdd_op_params *p);

/*
 * Starts a put of rec (key, value, len, is_mutable; for a mutable record
 * also seq, publisher, sig, name and cas). -EMSGSIZE over max_value, -EBUSY when
 * KDD_OP_MAX run; otherwise cb follows, as soon as w replicas
 * committed (the others are still sent the record) or the put failed.
 */
int kdd_op_put(struct kdd_op_engine *c, const struct kdd_record *rec, uint32_t ttl_s,
	       kdd_op_put_cb cb, void *arg);
int kdd_op_get(struct kdd_op_engine *c, const struct kd_id *key, kdd_op_get_cb cb, void *arg);

/* Operations that may start now (KDD_OP_MAX less those running). */
unsigned int kdd_op_room(const struct kdd_op_engine *c);

/* Whether the retransmission tick runs: only while an operation does, so an idle node sleeps. */
bool kdd_op_ticking(const struct kdd_op_engine *c);

/*
 * Resends or fails the requests whose deadline is before now_ms (monotonic),
 * then ends any operation left waiting on nothing. The engine's timer calls
 * it every KDD_OP_TICK_MS while an operation runs; a test or fuzzer may call
 * it with its own clock.
 */
void kdd_op_expire(struct kdd_op_engine *c, uint64_t now_ms);

/* A STORE_ACK, VALUE or ERROR reply. */
void kdd_op_on_reply(struct kdd_op_engine *c, const struct kdd_msg *m);

unsigned int kdd_op_counters(struct kdd_op_engine *c, struct kdd_counter *out,
			     unsigned int max);

/* Fails every operation in flight and closes the timer; free after the loop ran. */
void kdd_op_stop(struct kdd_op_engine *c);
void kdd_op_destroy(struct kdd_op_engine *c);

#endif /* KDD_OP_H */
