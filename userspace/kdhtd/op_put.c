// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * put: the record goes to the first r replicas of the list, in parts, a
 * window of them at a time. The caller hears of success once w committed
 * it; the operation lives on until every replica asked has answered, and a
 * replica that fails for want of a node behind it is replaced by the next.
 * A replica whose /24 (/48) holds per_subnet of the set already is passed
 * over, so that one subnet packed next to a key cannot take every copy.
 */
#include "op_int.h"

#include <errno.h>

#include "addr.h"
#include "clock.h"
#include "errors.h"

#define SELF_ADDRS	4	/* addresses of this node counted against their subnets */

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

/* Whether r holds a place among the r replicas: asked, committed, or refused the record. */
static bool in_set(const struct replica *r)
{
	return r->state == REP_BUSY || r->state == REP_OK ||
	       (r->state == REP_FAILED && r->refused);
}

/* Whether this node is bound to an address in subnet (a wildcard counts for none). */
static bool self_in_subnet(struct kdd_op_engine *c, u64 subnet)
{
	char text[SELF_ADDRS][64];
	struct kd_addr a;
	unsigned int n, i;

	n = c->b->ops->addresses(c->b, text, SELF_ADDRS);
	for (i = 0; i < n; i++)
		if (kd_addr_parse(&a, text[i], 0) == 0 && kd_addr_subnet(&a) == subnet)
			return true;
	return false;
}

/* Whether replicas a and b share a /24 (/48); this node has no address in the list. */
static bool same_subnet(struct kdd_op_engine *c, const struct replica *a,
			const struct replica *b)
{
	if (a->self)
		return self_in_subnet(c, kd_addr_subnet(&b->node.addr));
	if (b->self)
		return self_in_subnet(c, kd_addr_subnet(&a->node.addr));
	return kd_addr_subnet(&a->node.addr) == kd_addr_subnet(&b->node.addr);
}

/* Whether per_subnet replicas of the set share replica i's subnet already. */
static bool subnet_full(struct kdd_op_engine *c, const struct op *o, unsigned int i)
{
	unsigned int j, same = 0;

	if (!c->p.per_subnet)
		return false;
	for (j = 0; j < o->nrep; j++)
		if (j != i && in_set(&o->rep[j]) && same_subnet(c, &o->rep[i], &o->rep[j]))
			same++;
	return same >= c->p.per_subnet;
}

/*
 * Returns true if replica i takes its place among the r: it committed the
 * record, is now asked to, or (this node) refused the record itself, which
 * the next node must not be asked in its stead. A node of a subnet at its
 * limit stays a spare, to be taken once one of its subnet has failed.
 */
static bool start_replica(struct kdd_op_engine *c, struct op *o, unsigned int i)
{
	struct replica *r = &o->rep[i];
	uint64_t held;
	uint32_t code;

	if (r->state != REP_SPARE)
		return in_set(r);
	if (subnet_full(c, o, i))
		return false;
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
	for (i = 0; i < o->nrep && i < c->p.r; i++) {
		if (!o->rep[i].self)
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
