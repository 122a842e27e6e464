// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * get: part 0 is asked of the first r replicas of the list. The best answer
 * so far (the first holder of an immutable value, the highest sequence
 * number of a mutable one) keeps its bytes, so a value of one part costs a
 * single round after the lookup. An immutable value is taken at once; a
 * mutable one once every replica asked has answered. The other parts come
 * from the chosen replica, a window at a time; should it stop answering,
 * another that holds the same record takes over. The caller hears the value
 * as soon as it is whole and verified; the operation then waits for the
 * replicas still to answer, and sends the record to those that lack it or
 * hold an older one. A copy is verified before it may win: a whole one
 * when it comes, a longer one once assembled; one that fails no longer
 * counts, and the newest of the others (or a spare replica) takes over.
 * When every replica of the set answered and none holds a copy, up to r
 * candidates past the set are asked, once.
 */
#include "op_int.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "errors.h"

static bool has_part(const struct op *o, uint32_t part)
{
	return o->got[part / 8] & (1u << (part % 8));
}

static void take_part(struct op *o, uint32_t part, const uint8_t *data, uint32_t len)
{
	if (has_part(o, part))
		return;
	o->got[part / 8] |= (uint8_t)(1u << (part % 8));
	o->parts_have++;
	if (len)
		memcpy(o->value + (size_t)part * KDD_PART_LEN, data, len);
}

static void forget_parts(struct op *o)
{
	memset(o->got, 0, sizeof(o->got));
	o->parts_have = 0;
}

static bool same_record(const struct kdd_part *a, const struct kdd_part *b)
{
	return a->seq == b->seq && a->total_len == b->total_len &&
	       a->is_mutable == b->is_mutable && a->parts == b->parts;
}

static bool beats_best(const struct op *o, const struct kdd_part *p)
{
	return o->best < 0 || p->seq > o->rep[o->best].meta.seq;
}

/* Reads this node's own copy into *held; false if it holds none. */
static bool read_own(struct kdd_op_engine *c, struct op *o, struct kdd_record *held)
{
	return kdd_store_get(c->local->store, &o->key, kdd_wall_s(), held,
			     c->local->valbuf, sizeof(c->local->valbuf)) == 0;
}

static void take_whole(struct op *o, const struct kdd_record *held)
{
	uint32_t part;

	forget_parts(o);
	for (part = 0; part < kdd_parts_for(held->len); part++)
		take_part(o, part, held->value + (size_t)part * KDD_PART_LEN,
			  KD_MIN(held->len - part * KDD_PART_LEN, (uint32_t)KDD_PART_LEN));
}

/* This node's own copy answers at once, and whole. */
static void answer_from_store(struct kdd_op_engine *c, struct op *o, unsigned int i)
{
	struct replica *r = &o->rep[i];
	struct kdd_record held;
	uint64_t now = kdd_wall_s();

	if (!read_own(c, o, &held)) {
		r->state = REP_NONE;
		return;
	}
	r->state = REP_OK;
	r->has_value = true;
	kdd_part_of_record(&r->meta, &held, 0, now);
	/* Metadata only: held's bytes do not outlive this call. */
	r->meta.data = NULL;
	r->meta.len = 0;
	if (!beats_best(o, &r->meta))
		return;
	o->best = (int)i;
	take_whole(o, &held);
}

static bool start_replica(struct kdd_op_engine *c, struct op *o, unsigned int i)
{
	struct replica *r = &o->rep[i];

	if (r->self) {
		answer_from_store(c, o, i);
		return true;
	}
	r->state = REP_BUSY;
	if (kdd_op_request(c, o, i, KDHT_MSG_FIND_VALUE, 0)) {
		r->state = REP_FAILED;
		return false;
	}
	return true;
}

/* Asks the source for parts still missing, KDD_PART_WINDOW at most at once. */
static int fetch_more(struct kdd_op_engine *c, struct op *o)
{
	struct replica *r = &o->rep[o->source];
	int rc;

	while (r->next_part < o->meta.parts && o->inflight < KDD_PART_WINDOW) {
		if (!has_part(o, r->next_part)) {
			rc = kdd_op_request(c, o, o->source, KDHT_MSG_FIND_VALUE,
					    r->next_part);
			if (rc)
				return rc;
			o->inflight++;
		}
		r->next_part++;
	}
	return 0;
}

static void report_found(struct kdd_op_engine *c, struct op *o)
{
	struct kdd_record rec;

	kdd_record_of_part(&rec, &o->meta, o->value, &o->meta.publisher);
	rec.key = o->key;
	rec.expires = kdd_wall_s() + o->meta.ttl_s;
	o->found = true;
	kdd_op_report_get(c, o, 0, &rec);
}

static void switch_source(struct kdd_op_engine *c, struct op *o);

/*
 * Whether o's assembled record (or one whole part) may live under o's key,
 * as a storing node checks it (kdd_record_check): 0 or a negative errno.
 */
static int copy_check(const struct kdd_op_engine *c, const struct op *o,
		      const struct kdd_part *m, const uint8_t *value)
{
	struct kdd_record r;

	kdd_record_of_part(&r, m, value, &m->publisher);
	r.key = o->key;
	return kdd_error_from_wire(kdd_record_check(&r, c->local->mesh_id));
}

/* Replica i's copy failed its check (err): it no longer counts as holding one. */
static void copy_unverified(struct kdd_op_engine *c, struct op *o, unsigned int i, int err)
{
	c->counters[OC_BAD_COPIES]++;
	o->bad_copy = err;
	o->rep[i].has_value = false;
	o->rep[i].state = REP_FAILED;
}

/* Every part is in: checks the signature, then the caller has the value. */
static void assembled(struct kdd_op_engine *c, struct op *o)
{
	int err = copy_check(c, o, &o->meta, o->value);

	o->fetching = false;
	if (err) {
		copy_unverified(c, o, o->source, err);
		forget_parts(o);
		switch_source(c, o);
		return;
	}
	report_found(c, o);
}

/* Reads the rest of the record from replica src (its part 0 may be held). */
static void fetch_from(struct kdd_op_engine *c, struct op *o, unsigned int src)
{
	o->fetching = true;
	o->source = src;
	o->best = (int)src;
	o->inflight = 0;
	o->meta = o->rep[src].meta;
	o->meta.data = NULL;
	if (o->rep[src].self) {
		struct kdd_record held;

		if (!read_own(c, o, &held) || held.seq != o->meta.seq ||
		    held.len != o->meta.total_len) {
			switch_source(c, o);
			return;
		}
		take_whole(o, &held);
	}
	if (o->parts_have == o->meta.parts) {
		assembled(c, o);
		return;
	}
	o->rep[src].next_part = 0;
	if (fetch_more(c, o))
		switch_source(c, o);
}

/* The replica holding the newest record not yet found wanting, or -1. */
static int next_source(const struct op *o)
{
	unsigned int i;
	int best = -1;

	for (i = 0; i < o->nrep; i++) {
		const struct replica *r = &o->rep[i];

		if (r->state == REP_OK && r->has_value &&
		    (best < 0 || r->meta.seq > o->rep[best].meta.seq))
			best = (int)i;
	}
	return best;
}

/*
 * The source failed (fell silent, or its copy did not verify): the replica
 * with the newest of the other copies takes over. Parts of the same
 * mutable record are kept (the signature checks the whole); any other is
 * read again from its start, since nothing tells two immutable values of
 * one key apart. With no copy left a spare replica is asked, if any.
 */
static void switch_source(struct kdd_op_engine *c, struct op *o)
{
	unsigned int old = o->source;
	int next;

	kdd_op_cancel(c, o, (int)old);
	o->rep[old].state = REP_FAILED;
	o->inflight = 0;
	next = next_source(o);
	if (next >= 0) {
		c->counters[OC_SOURCE_SWITCHES]++;
		if (!o->meta.is_mutable || !same_record(&o->rep[next].meta, &o->meta))
			forget_parts(o);
		fetch_from(c, o, (unsigned int)next);
		return;
	}
	o->fetching = false;
	o->best = -1;
	forget_parts(o);
	if (!o->reported)
		kdd_op_substitute(c, o, start_replica);
}

/*
 * Replicas that answered without the record, or with an older one, are
 * sent it: the copies lost to churn or never received come back. Fire and
 * forget: a lost repair is made again by the next get.
 */
static void repair(struct kdd_op_engine *c, struct op *o)
{
	unsigned int i;
	uint32_t part;

	for (i = 0; i < o->nrep; i++) {
		struct replica *r = &o->rep[i];

		if (r->state != REP_NONE &&
		    !(r->state == REP_OK && r->has_value && r->meta.seq < o->meta.seq))
			continue;
		c->counters[OC_REPAIRS]++;
		if (r->self) {
			kdd_serve_commit(c->local, &o->meta, o->value, &r->node.id,
					 kdd_wall_s());
			continue;
		}
		for (part = 0; part < o->meta.parts; part++)
			if (kdd_op_send_once(c, o, i, KDHT_MSG_STORE, part))
				break;
	}
}

static bool any_busy(const struct op *o)
{
	unsigned int i;

	for (i = 0; i < o->nrep; i++)
		if (o->rep[i].state == REP_BUSY)
			return true;
	return false;
}

/* Why a get found nothing: copies that did not verify, none held, or silence. */
static int get_failure(const struct op *o)
{
	unsigned int i;

	if (o->bad_copy)
		return o->bad_copy;
	for (i = 0; i < o->nrep; i++)
		if (o->rep[i].state == REP_NONE)
			return -ENOENT;
	return -ETIMEDOUT;
}

/*
 * When the whole set answered and none holds a copy, up to r candidates
 * past it are asked, once: a put's lookup and this get's may have met
 * different nodes among the closest, and the copies are then just past the
 * set this get chose. Returns whether any was asked (this node's own copy
 * among them answers at once).
 */
static bool ask_past_the_set(struct kdd_op_engine *c, struct op *o)
{
	unsigned int asked = 0;

	if (o->past_asked || o->reported || o->fetching || o->best >= 0 || any_busy(o))
		return false;
	o->past_asked = true;
	while (asked < c->p.r && kdd_op_substitute(c, o, start_replica))
		asked++;
	return asked > 0;
}

static void get_progress(struct kdd_op_engine *c, struct op *o)
{
	do {
		/* An immutable value needs no second opinion; a mutable one waits for all. */
		if (!o->reported && !o->fetching && o->best >= 0 &&
		    (!o->rep[o->best].meta.is_mutable || !any_busy(o)))
			fetch_from(c, o, (unsigned int)o->best);
	} while (ask_past_the_set(c, o));
	if (!o->reported && !o->fetching && !any_busy(o))
		kdd_op_report_get(c, o, get_failure(o), NULL);
	if (!o->reported || o->fetching || any_busy(o))
		return;
	if (o->found)
		repair(c, o);
	kdd_op_done(c, o);
}

void kdd_op_get_start(struct kdd_op_engine *c, struct op *o)
{
	kdd_op_start_replicas(c, o, start_replica);
	get_progress(c, o);
}

void kdd_op_get_failed(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint32_t code)
{
	struct replica *r = &o->rep[rep];

	if (o->fetching && rep == o->source) {
		switch_source(c, o);
	} else if (r->state == REP_BUSY) {
		kdd_op_cancel(c, o, (int)rep);
		r->state = REP_FAILED;
		if (!o->reported)
			kdd_op_substitute(c, o, start_replica);
	} else {
		return;
	}
	get_progress(c, o);
}

static void on_first_answer(struct kdd_op_engine *c, struct op *o, unsigned int i,
			    const struct kdd_value *v)
{
	struct replica *r = &o->rep[i];
	int err;

	r->has_value = v->has_record;
	r->state = v->has_record ? REP_OK : REP_NONE;
	if (!v->has_record)
		return;
	r->meta = v->rec;
	r->meta.data = NULL;
	/* A whole record is checked now: a forged one must not outbid the rest. */
	err = v->rec.parts == 1 ? copy_check(c, o, &v->rec, v->rec.data) : 0;
	if (err) {
		copy_unverified(c, o, i, err);
		if (!o->reported)
			kdd_op_substitute(c, o, start_replica);
		return;
	}
	if (!beats_best(o, &v->rec) || o->fetching || o->reported)
		return;
	o->best = (int)i;
	forget_parts(o);
	take_part(o, 0, v->rec.data, v->rec.len);
}

void kdd_op_get_on_value(struct kdd_op_engine *c, struct op *o, struct req *q,
			 const struct kdd_value *v)
{
	unsigned int i = q->rep;
	uint32_t part = q->part;
	struct replica *r = &o->rep[i];

	kdd_op_req_done(c, q);
	if (r->state == REP_BUSY) {
		if (v->has_record && (v->rec.part != 0 || v->rec.len > KDD_PART_LEN ||
				      v->rec.parts != kdd_parts_for(v->rec.total_len))) {
			c->counters[OC_BAD_REPLIES]++;
			kdd_op_get_failed(c, o, i, KDHT_ERR_MALFORMED);
			return;
		}
		on_first_answer(c, o, i, v);
	} else if (o->fetching && i == o->source) {
		o->inflight--;
		if (!v->has_record || !same_record(&v->rec, &o->meta) || v->rec.part != part) {
			c->counters[OC_BAD_REPLIES]++;
			switch_source(c, o);
		} else {
			take_part(o, part, v->rec.data, v->rec.len);
			if (o->parts_have == o->meta.parts)
				assembled(c, o);
			else if (fetch_more(c, o))
				switch_source(c, o);
		}
	} else {
		return;
	}
	get_progress(c, o);
}
