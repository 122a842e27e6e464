// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * put: the record goes to r replicas of the list, in parts, a window of
 * them at a time. The caller hears of success once w committed it; the
 * operation lives on until every replica asked has answered, and a replica
 * that fails for want of a node behind it is replaced by a spare. Replicas
 * and spares are taken as kdd_op_start_replicas spreads them over subnets,
 * so that one subnet packed next to a key holds one copy while other
 * subnets are at hand.
 */
#include "op_int.h"

#include <errno.h>

#include "clock.h"
#include "errors.h"

/* A replica's failure (code: its ERROR or STORE_ACK code; 0: no answer) as an errno. */
static int failure_of(uint32_t code)
{
	return code ? kdd_error_from_wire(code) : -ETIMEDOUT;
}

/*
 * A replica refused the record with code: if it was by order (stale,
 * conflicting, or by cas), the seq it holds tells the putter which seq to
 * go past (PROTOCOL.md 9.2).
 */
static void learn_held_seq(struct op *o, uint32_t code, uint64_t held_seq)
{
	if (code == KDHT_ERR_STALE || code == KDHT_ERR_CONFLICT || code == KDHT_ERR_CAS_MISMATCH)
		o->info.held_seq = KD_MAX(o->info.held_seq, held_seq);
}

/* Sends parts while fewer than KDD_PART_WINDOW of them await their ack. */
static int send_parts(struct kdd_op_engine *c, struct op *o, unsigned int i)
{
	struct replica *r = &o->rep[i];
	int rc;

	while (r->next_part < o->meta.parts && r->next_part < r->parts_done + KDD_PART_WINDOW) {
		rc = kdd_op_request(c, o, i, KDHT_MSG_STORE, r->next_part);
		if (rc)
			return rc;
		r->next_part++;
	}
	return 0;
}

/*
 * Returns true if spare i takes its place among the r: it committed the
 * record, is now asked to, or (this node) refused the record itself, which
 * the next node must not be asked in its stead.
 */
static bool start_replica(struct kdd_op_engine *c, struct op *o, unsigned int i)
{
	struct replica *r = &o->rep[i];
	uint64_t held;
	uint32_t code;

	if (r->self) {
		code = kdd_serve_commit(c->local, &o->meta, o->value, &r->node.id,
					kdd_wall_s());
		if (code == KDD_ACK_STORED) {
			r->state = REP_OK;
			o->acks++;
			return true;
		}
		r->state = REP_FAILED;
		r->refused = !kdd_error_try_elsewhere(failure_of(code));
		o->why = kdd_error_refusal(failure_of(code));
		if (kdd_store_held_seq(c->local->store, &o->key, kdd_wall_s(), &held) == 0)
			learn_held_seq(o, code, held);
		return r->refused;
	}
	r->state = REP_BUSY;
	if (send_parts(c, o, i)) {
		kdd_op_cancel(c, o, (int)i);
		r->state = REP_FAILED;
		return false;
	}
	return true;
}

static void put_progress(struct kdd_op_engine *c, struct op *o)
{
	unsigned int i;

	if (o->acks >= c->p.w)
		kdd_op_report_put(c, o, 0, NULL);
	for (i = 0; i < o->nrep; i++)
		if (o->rep[i].state == REP_BUSY)
			return;
	kdd_op_report_put(c, o, -EIO, o->why ? o->why : "not enough replicas acknowledged");
	kdd_op_done(c, o);
}

void kdd_op_put_start(struct kdd_op_engine *c, struct op *o)
{
	unsigned int i;

	/*
	 * This node, if it is a replica, answers first and at once: when it
	 * refuses the record (it holds other bytes under an immutable key, or
	 * a newer version) no other node is asked, so the put cannot plant a
	 * second value on replicas that have not yet received the first.
	 */
	for (i = 0; i < o->nrep; i++) {
		if (!o->rep[i].self || !kdd_op_would_take(c, o, i))
			continue;
		start_replica(c, o, i);
		if (o->rep[i].refused) {
			put_progress(c, o);
			return;
		}
		break;
	}
	kdd_op_start_replicas(c, o, start_replica);
	put_progress(c, o);
}

void kdd_op_put_failed(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint32_t code)
{
	struct replica *r = &o->rep[rep];

	if (r->state != REP_BUSY)
		return;
	kdd_op_cancel(c, o, (int)rep);
	r->state = REP_FAILED;
	r->refused = !kdd_error_try_elsewhere(failure_of(code));
	if (code)
		o->why = kdd_error_refusal(failure_of(code));
	if (!r->refused)
		kdd_op_substitute(c, o, start_replica);
	put_progress(c, o);
}

/*
 * Every part was acknowledged, yet the replica holds fewer than all: it
 * dropped its reassembly (evicted or expired, PROTOCOL.md 9.2), so it is
 * sent the record again from its first part, KDD_PUT_RESENDS times at
 * most before it counts as failed. Returns true if parts are to be sent.
 */
static bool resend_lost(struct kdd_op_engine *c, struct op *o, unsigned int i)
{
	struct replica *r = &o->rep[i];

	kdd_op_cancel(c, o, (int)i);
	if (r->resends >= KDD_PUT_RESENDS) {
		kdd_op_put_failed(c, o, i, 0);
		return false;
	}
	r->resends++;
	c->counters[OC_RESENDS]++;
	r->next_part = 0;
	r->parts_done = 0;
	return true;
}

void kdd_op_put_on_ack(struct kdd_op_engine *c, struct op *o, struct req *q,
		       const struct kdd_ack *a)
{
	unsigned int i = q->rep;
	struct replica *r = &o->rep[i];

	kdd_op_req_done(c, q);
	if (r->state != REP_BUSY)
		return;
	if (a->status != KDD_ACK_STORED) {
		learn_held_seq(o, a->status, a->held_seq);
		kdd_op_put_failed(c, o, i, a->status);
		return;
	}
	r->parts_done++;
	/* The ack to whichever part completed the record says it is committed. */
	if (a->parts_held >= o->meta.parts) {
		kdd_op_cancel(c, o, (int)i);
		r->state = REP_OK;
		o->acks++;
		put_progress(c, o);
		return;
	}
	if (r->parts_done >= o->meta.parts && !resend_lost(c, o, i))
		return;
	if (send_parts(c, o, i))
		kdd_op_put_failed(c, o, i, 0);
}
