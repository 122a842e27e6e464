// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "serve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "errors.h"

const char *const kdd_serve_counter_names[] = {
	"store_requests", "find_requests", "stored", "found", "not_found",
	"malformed", "too_large", "bad_signature", "stale", "exists",
	"storage_full", "storage_error", "unknown_type", "reply_cut",
	"partial_evicted", "partial_expired", "send_error", "unvalidated",
	"quota_source", "quota_publisher", "quota_error",
	"bad_key", "conflict", "cas_mismatch",
};
_Static_assert(sizeof(kdd_serve_counter_names) / sizeof(kdd_serve_counter_names[0]) ==
	       KDD_SERVE_COUNT, "a name for every serve counter");

int kdd_serve_init(struct kdd_serve *s, struct kdd_store *store,
		   struct kdd_backend *backend, uint32_t max_value)
{
	memset(s->partials, 0, sizeof(s->partials));
	memset(s->counters, 0, sizeof(s->counters));
	s->nstaged = 0;
	s->nstaged_seen = 0;
	s->store = store;
	s->backend = backend;
	s->max_value = max_value;
	s->quota = NULL;
	s->mesh_id = NULL;
	s->staged = calloc(KDD_COMMIT_BATCH, sizeof(*s->staged));
	s->charges = calloc(KDD_COMMIT_BATCH, sizeof(*s->charges));
	s->staged_to = calloc(KDD_COMMIT_BATCH, sizeof(*s->staged_to));
	s->staged_value = calloc(KDD_COMMIT_BATCH, sizeof(*s->staged_value));
	if (!s->staged || !s->staged_to || !s->staged_value || !s->charges) {
		kdd_serve_fini(s);
		return -ENOMEM;
	}
	return 0;
}

static void partial_drop(struct kdd_partial *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

void kdd_serve_fini(struct kdd_serve *s)
{
	unsigned int i;

	for (i = 0; i < KDD_MAX_PARTIALS; i++)
		partial_drop(&s->partials[i]);
	for (i = 0; i < s->nstaged; i++)
		free(s->staged_to[i].owned);
	s->nstaged = 0;
	free(s->staged);
	free(s->staged_to);
	free(s->staged_value);
	free(s->charges);
	s->charges = NULL;
	s->staged = NULL;
	s->staged_to = NULL;
	s->staged_value = NULL;
}

void kdd_serve_set_quota(struct kdd_serve *s, struct kdd_quota *q, uint32_t max_ttl_s)
{
	s->quota = q;
	s->max_ttl_s = max_ttl_s;
}

void kdd_serve_expire(struct kdd_serve *s, uint64_t now_ms)
{
	unsigned int i;

	for (i = 0; i < KDD_MAX_PARTIALS; i++) {
		if (s->partials[i].used &&
		    now_ms - s->partials[i].started_ms >= KDD_PARTIAL_TIMEOUT_MS) {
			partial_drop(&s->partials[i]);
			s->counters[KDD_SERVE_PARTIAL_EXPIRED]++;
		}
	}
}

static void count_code(struct kdd_serve *s, uint32_t code)
{
	static const enum kdd_serve_counter by_code[] = {
		[KDHT_ERR_MALFORMED] = KDD_SERVE_MALFORMED,
		[KDHT_ERR_TOO_LARGE] = KDD_SERVE_TOO_LARGE,
		[KDHT_ERR_STORAGE_FULL] = KDD_SERVE_STORAGE_FULL,
		[KDHT_ERR_BAD_SIGNATURE] = KDD_SERVE_BAD_SIGNATURE,
		[KDHT_ERR_STALE] = KDD_SERVE_STALE,
		[KDHT_ERR_EXISTS] = KDD_SERVE_EXISTS,
		[KDHT_ERR_UNAVAILABLE] = KDD_SERVE_STORAGE_ERROR,
		[KDHT_ERR_BAD_KEY] = KDD_SERVE_BAD_KEY,
		[KDHT_ERR_CONFLICT] = KDD_SERVE_CONFLICT,
		[KDHT_ERR_CAS_MISMATCH] = KDD_SERVE_CAS_MISMATCH,
	};

	if (code < sizeof(by_code) / sizeof(by_code[0]) && by_code[code])
		s->counters[by_code[code]]++;
}

static void reply_to_of(struct kdd_reply_to *to, const struct kdd_msg *m, uint32_t part)
{
	to->addr = m->from;
	to->txid = m->hdr.txid;
	to->part = part;
	to->budget = m->reply_budget;
	to->owned = NULL;
}

static void send_reply(struct kdd_serve *s, const struct kdd_reply_to *to, uint8_t type,
		       const uint8_t *body, size_t len)
{
	int rc;

	if (KDHT_HDR_LEN + len > to->budget) {
		s->counters[KDD_SERVE_REPLY_CUT]++;
		return;
	}
	rc = s->backend->ops->send(s->backend, &to->addr, type, KDHT_F_REPLY, to->txid, body,
				   len, 0, NULL);
	if (rc)
		s->counters[KDD_SERVE_SEND_ERROR]++;
}

static void send_error(struct kdd_serve *s, const struct kdd_msg *m, uint16_t code)
{
	uint8_t body[KDHT_ERROR_LEN] = { 0 };
	struct kdd_reply_to to;

	kd_put_be16(body, code);
	count_code(s, code);
	reply_to_of(&to, m, 0);
	send_reply(s, &to, KDHT_MSG_ERROR, body, sizeof(body));
}

/*
 * held_seq: the seq of the record this STORE left committed, 0 in any other
 * ack: a part awaiting the rest proves nothing (its signature is checked
 * on the whole record), and a refusal holds nothing new.
 */
static void send_ack_to(struct kdd_serve *s, const struct kdd_reply_to *to,
			const struct kd_id *key, uint32_t status, uint32_t parts_held,
			uint64_t held_seq)
{
	struct kdd_ack a = { .key = *key, .status = status, .part = to->part,
			     .held_seq = held_seq, .parts_held = parts_held };
	uint8_t body[KDHT_MAX_BODY];
	size_t len;

	len = kdd_vmsg_encode_ack(body, sizeof(body), &a);
	if (len)
		send_reply(s, to, KDHT_MSG_STORE_ACK, body, len);
}

static void send_ack(struct kdd_serve *s, const struct kdd_msg *m, const struct kdd_part *p,
		     uint32_t status, uint32_t parts_held)
{
	bool whole = status == KDD_ACK_STORED && parts_held == p->parts;
	struct kdd_reply_to to;

	reply_to_of(&to, m, p->part);
	send_ack_to(s, &to, &p->key, status, parts_held, whole ? p->seq : 0);
}

/* What a record must pass before it is stored: 0 or a KDHT_ERR_* code, counted. */
static uint32_t check_record(struct kdd_serve *s, const struct kdd_record *r)
{
	uint32_t code = 0;

	if (r->len > s->max_value)
		code = KDHT_ERR_TOO_LARGE;
	else
		code = kdd_record_check(r, s->mesh_id);
	if (code)
		count_code(s, code);
	return code;
}

/* The store's answer as an ack status, counted. */
static uint32_t code_of_put(struct kdd_serve *s, int rc)
{
	uint32_t code = kdd_error_to_wire(rc);

	if (code == KDD_ACK_STORED)
		s->counters[KDD_SERVE_STORED]++;
	else
		count_code(s, code);
	return code;
}

uint32_t kdd_serve_commit(struct kdd_serve *s, const struct kdd_part *meta,
			  const uint8_t *value, const struct kd_id *sender, uint64_t now_s)
{
	struct kdd_record r;
	uint32_t code;

	kdd_record_of_part(&r, meta, value, sender);
	code = check_record(s, &r);
	if (code)
		return code;
	return code_of_put(s, kdd_store_put(s->store, &r, meta->ttl_s, now_s));
}

/* The records of the batch just committed, charged to their owners. */
static void charge_staged(struct kdd_serve *s, unsigned int n, uint64_t now_s)
{
	struct kdd_quota_charge *c;
	unsigned int i, nc = 0;

	if (!s->quota)
		return;
	for (i = 0; i < n; i++) {
		const struct kdd_store_write *w = &s->staged[i];

		if (w->rc)
			continue;
		c = &s->charges[nc++];
		c->key = w->rec.key;
		c->from = s->staged_to[i].addr;
		c->publisher = w->rec.publisher;
		c->len = w->rec.len;
		c->expires = now_s + KD_MIN(w->ttl_s, s->max_ttl_s);
	}
	if (kdd_quota_charge(s->quota, s->charges, nc, now_s))
		s->counters[KDD_SERVE_QUOTA_ERROR]++;
}

void kdd_serve_flush(struct kdd_serve *s, uint64_t now_s)
{
	unsigned int i, n = s->nstaged;
	uint32_t code;
	uint64_t t0;

	if (n == 0)
		return;
	t0 = kdd_mono_us();
	kdd_store_put_many(s->store, s->staged, n, now_s);
	charge_staged(s, n, now_s);
	s->last_commit_us = kdd_mono_us() - t0;
	/* Every record of the batch is committed (or refused): now the acks. */
	s->nstaged = 0;
	s->nstaged_seen = 0;
	for (i = 0; i < n; i++) {
		struct kdd_record *r = &s->staged[i].rec;
		bool stored;

		code = code_of_put(s, s->staged[i].rc);
		stored = code == KDD_ACK_STORED;
		send_ack_to(s, &s->staged_to[i], &r->key, code,
			    stored ? kdd_parts_for(r->len) : 0, s->staged[i].held_seq);
		free(s->staged_to[i].owned);
	}
}

int kdd_serve_turn(struct kdd_serve *s, uint64_t now_us, uint64_t now_s)
{
	uint64_t wait_us = KD_MIN(KD_MAX(s->last_commit_us, (uint64_t)1000),
				  (uint64_t)KDD_COMMIT_DELAY_MS * 1000);
	uint64_t waited = now_us - s->staged_since_us;
	bool grew = s->nstaged != s->nstaged_seen;

	s->nstaged_seen = s->nstaged;
	if (!s->nstaged)
		return -1;
	if (grew && waited < (uint64_t)KDD_COMMIT_DELAY_MS * 1000)
		return 0;
	if (waited >= wait_us) {
		kdd_serve_flush(s, now_s);
		return -1;
	}
	return (int)((wait_us - waited + 999) / 1000);
}

/* Whether the owners of r, sent by m, may hold it; a refusal is counted. */
static bool within_quota(struct kdd_serve *s, const struct kdd_msg *m,
			 const struct kdd_record *r, uint64_t now_s)
{
	enum kdd_quota_verdict v;

	if (!s->quota)
		return true;
	v = kdd_quota_admit(s->quota, &r->key, &m->from, &r->publisher, r->len, now_s);
	if (v == KDD_QUOTA_SOURCE)
		s->counters[KDD_SERVE_QUOTA_SOURCE]++;
	else if (v == KDD_QUOTA_PUBLISHER)
		s->counters[KDD_SERVE_QUOTA_PUBLISHER]++;
	return v == KDD_QUOTA_OK;
}

/*
 * A whole record from m: checked now, refused at once, or staged for the
 * next commit. value is a one-part value inside m, or an assembled one
 * (owned, freed after the commit).
 */
static void stage(struct kdd_serve *s, const struct kdd_msg *m, const struct kdd_part *meta,
		  const uint8_t *value, uint8_t *owned, const struct kd_id *sender,
		  uint64_t now_s)
{
	struct kdd_store_write *w;
	struct kdd_record r;
	uint32_t code;

	kdd_record_of_part(&r, meta, value, sender);
	code = check_record(s, &r);
	if (!code && !within_quota(s, m, &r, now_s))
		code = KDHT_ERR_STORAGE_FULL;
	if (code) {
		free(owned);
		send_ack(s, m, meta, code, 0);
		return;
	}
	if (s->nstaged == KDD_COMMIT_BATCH)
		kdd_serve_flush(s, now_s);
	if (s->nstaged == 0)
		s->staged_since_us = kdd_mono_us();
	w = &s->staged[s->nstaged];
	reply_to_of(&s->staged_to[s->nstaged], m, meta->part);
	if (owned) {
		s->staged_to[s->nstaged].owned = owned;
	} else {
		memcpy(s->staged_value[s->nstaged], value, r.len);
		r.value = s->staged_value[s->nstaged];
	}
	w->rec = r;
	w->ttl_s = meta->ttl_s;
	w->rc = 0;
	s->nstaged++;
}

/*
 * A retransmitted part of a signed record already committed: say so again.
 * Only a signature names the whole record a part belongs to; a part of an
 * unsigned (immutable) one is reassembled with the rest and the whole is
 * compared by the store, so that other bytes under a held key are refused
 * (EXISTS) and never acknowledged as held.
 */
static bool already_held(struct kdd_serve *s, const struct kdd_part *p, uint64_t now_s)
{
	struct kdd_record held;

	return p->has_sig &&
	       kdd_store_get(s->store, &p->key, now_s, &held, s->valbuf,
			     sizeof(s->valbuf)) == 0 &&
	       held.seq == p->seq && held.len == p->total_len &&
	       held.is_mutable == p->is_mutable && held.has_sig &&
	       memcmp(held.sig, p->sig, KDD_SIG_LEN) == 0;
}

/*
 * The slot a new reassembly takes: a free one, else the oldest of a source
 * or publisher at its share (KDD_PARTIALS_PER_*) so that one sender cannot
 * push out the others', else the oldest of all. An evicted reassembly is
 * reported by the next part's parts_held, and its sender resends.
 */
static struct kdd_partial *partial_slot(struct kdd_serve *s, const struct kdd_msg *m,
					const struct kdd_part *p)
{
	struct kdd_partial *q, *oldest = NULL, *free_slot = NULL, *own_oldest = NULL;
	unsigned int i, from_source = 0, from_publisher = 0;
	bool same_source, same_publisher;

	for (i = 0; i < KDD_MAX_PARTIALS; i++) {
		q = &s->partials[i];
		if (!q->used) {
			free_slot = free_slot ? free_slot : q;
			continue;
		}
		if (!oldest || q->started_ms < oldest->started_ms)
			oldest = q;
		same_source = kd_addr_equal(&q->from, &m->from);
		same_publisher = p->has_publisher && q->meta.has_publisher &&
				 kd_id_equal(&q->meta.publisher, &p->publisher);
		from_source += same_source;
		from_publisher += same_publisher;
		if ((same_source || same_publisher) &&
		    (!own_oldest || q->started_ms < own_oldest->started_ms))
			own_oldest = q;
	}
	if (from_source >= KDD_PARTIALS_PER_SOURCE ||
	    from_publisher >= KDD_PARTIALS_PER_PUBLISHER)
		q = own_oldest;
	else
		q = free_slot ? free_slot : oldest;
	if (q->used) {
		partial_drop(q);
		s->counters[KDD_SERVE_PARTIAL_EVICTED]++;
	}
	return q;
}

static struct kdd_partial *partial_find(struct kdd_serve *s, const struct kdd_msg *m,
					const struct kdd_part *p, uint64_t now_ms)
{
	struct kdd_partial *q;
	unsigned int i;

	for (i = 0; i < KDD_MAX_PARTIALS; i++) {
		q = &s->partials[i];
		if (q->used && kd_addr_equal(&q->from, &m->from) &&
		    kd_id_equal(&q->meta.key, &p->key) && q->meta.seq == p->seq &&
		    q->meta.total_len == p->total_len)
			return q;
	}
	q = partial_slot(s, m, p);
	q->buf = malloc(p->total_len);
	if (!q->buf)
		return NULL;
	q->used = true;
	q->from = m->from;
	q->sender = m->hdr.sender;
	q->meta = *p;
	q->meta.data = NULL;
	q->started_ms = now_ms;
	return q;
}

static void handle_store(struct kdd_serve *s, const struct kdd_msg *m, uint64_t now_ms,
			 uint64_t now_s)
{
	struct kdd_partial *q;
	struct kdd_part p;
	void *keep;
	int rc;

	s->counters[KDD_SERVE_STORE]++;
	/* Storage is paid for by a source that proved its address; the ERROR
	 * carries the token it retries with. */
	if (!m->validated) {
		s->counters[KDD_SERVE_UNVALIDATED]++;
		send_error(s, m, KDHT_ERR_UNVALIDATED);
		return;
	}
	rc = kdd_vmsg_decode_store(m->body, m->body_len, &p, &keep);
	if (rc) {
		send_error(s, m, (uint16_t)rc);
		return;
	}
	if (p.total_len > s->max_value) {
		count_code(s, KDHT_ERR_TOO_LARGE);
		send_ack(s, m, &p, KDHT_ERR_TOO_LARGE, 0);
	} else if (p.parts == 1) {
		stage(s, m, &p, p.data, NULL, &m->hdr.sender, now_s);
	} else if (already_held(s, &p, now_s)) {
		send_ack(s, m, &p, KDD_ACK_STORED, p.parts);
	} else {
		q = partial_find(s, m, &p, now_ms);
		if (!q) {
			send_ack(s, m, &p, KDHT_ERR_UNAVAILABLE, 0);
		} else {
			if (!(q->got[p.part / 8] & (1u << (p.part % 8)))) {
				q->got[p.part / 8] |= (uint8_t)(1u << (p.part % 8));
				q->have++;
				memcpy(q->buf + (size_t)p.part * KDD_PART_LEN, p.data, p.len);
			}
			if (q->have == q->meta.parts) {
				struct kdd_part meta = q->meta;
				struct kd_id sender = q->sender;
				uint8_t *whole = q->buf;

				q->buf = NULL;
				partial_drop(q);
				meta.part = p.part;
				stage(s, m, &meta, whole, whole, &sender, now_s);
			} else {
				send_ack(s, m, &p, KDD_ACK_STORED, q->have);
			}
		}
	}
	kdd_vmsg_free_store(keep);
}

/* The nodes closest to key, the requester left out: it knows itself. */
static unsigned int closer_than_us(struct kdd_serve *s, const struct kdd_msg *m,
				   const struct kdd_find *f, struct kd_node *out)
{
	struct kd_node found[KDHT_MAX_NODES + 1];
	unsigned int i, got, n = 0;

	got = s->backend->ops->closest(s->backend, &f->key,
				       f->want ? f->want : KDHT_WANT_V4 | KDHT_WANT_V6,
				       found, KDHT_MAX_NODES + 1);
	for (i = 0; i < got && n < KDHT_MAX_NODES; i++)
		if (!kd_id_equal(&found[i].id, &m->hdr.sender))
			out[n++] = found[i];
	return n;
}

static void handle_find(struct kdd_serve *s, const struct kdd_msg *m, uint64_t now_s)
{
	struct kdd_value v;
	struct kdd_record r;
	struct kdd_find f;
	struct kdd_reply_to to;
	uint8_t body[KDHT_MAX_BODY];
	size_t len;
	int rc;

	s->counters[KDD_SERVE_FIND]++;
	rc = kdd_vmsg_decode_find(m->body, m->body_len, &f);
	if (rc) {
		send_error(s, m, (uint16_t)rc);
		return;
	}
	memset(&v, 0, offsetof(struct kdd_value, nodes));
	v.key = f.key;
	rc = kdd_store_get(s->store, &f.key, now_s, &r, s->valbuf, sizeof(s->valbuf));
	if (rc == 0 && f.part < kdd_parts_for(r.len) && r.seq >= f.min_seq) {
		s->counters[KDD_SERVE_FOUND]++;
		v.has_record = true;
		kdd_part_of_record(&v.rec, &r, f.part, now_s);
	} else {
		s->counters[KDD_SERVE_NOT_FOUND]++;
		v.nnodes = closer_than_us(s, m, &f, v.nodes);
	}
	len = kdd_vmsg_encode_value(body, sizeof(body), &v);
	/*
	 * A part cannot be cut: an unvalidated asker is refused, and the
	 * ERROR's fresh token makes its resent request whole.
	 */
	if (v.has_record && KDHT_HDR_LEN + len > m->reply_budget) {
		s->counters[KDD_SERVE_UNVALIDATED]++;
		send_error(s, m, KDHT_ERR_UNVALIDATED);
		return;
	}
	/* An unvalidated asker gets no more than it sent: fewer nodes. */
	while (v.nnodes && (!len || KDHT_HDR_LEN + len > m->reply_budget)) {
		v.nnodes--;
		s->counters[KDD_SERVE_REPLY_CUT]++;
		len = kdd_vmsg_encode_value(body, sizeof(body), &v);
	}
	if (!len)
		return;
	reply_to_of(&to, m, f.part);
	send_reply(s, &to, KDHT_MSG_VALUE, body, len);
}

void kdd_serve_handle(struct kdd_serve *s, const struct kdd_msg *m, uint64_t now_ms,
		      uint64_t now_s)
{
	switch (m->hdr.type) {
	case KDHT_MSG_STORE:
		handle_store(s, m, now_ms, now_s);
		break;
	case KDHT_MSG_FIND_VALUE:
		handle_find(s, m, now_s);
		break;
	default:
		s->counters[KDD_SERVE_UNKNOWN_TYPE]++;
		send_error(s, m, KDHT_ERR_UNKNOWN_TYPE);
		break;
	}
}
