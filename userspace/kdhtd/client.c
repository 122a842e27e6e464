// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "log.h"

enum rep_state { REP_IDLE, REP_BUSY, REP_OK, REP_NONE, REP_FAILED };

struct replica {
	struct kd_node node;
	bool self;
	uint8_t state;
	uint32_t code;		/* put: the error it answered */
	/* get: what part 0 said */
	bool has_value;
	struct kdd_part meta;
};

struct op {
	bool used;
	bool is_get;
	bool looking_up;
	bool fetching;		/* get: reading the parts from `source` */
	uint16_t gen;
	struct kd_id key;
	struct kdd_part meta;	/* put: the record; get: the chosen source's */
	uint8_t *value;		/* KDD_MAX_VALUE bytes */
	uint32_t parts_have;
	uint8_t got[(KDD_MAX_PARTS + 7) / 8];
	unsigned int nrep, source;
	struct replica rep[KDD_MAX_R];
	unsigned int acks;
	const char *why;
	kdd_put_cb put_cb;
	kdd_get_cb get_cb;
	void *arg;
};

struct req {
	bool used;
	uint8_t type;
	uint8_t op, rep;
	uint8_t tries;
	uint16_t gen;
	uint32_t txid;
	uint32_t part;
	uint64_t deadline;
};

enum cl_counter {
	CC_PUTS, CC_PUTS_OK, CC_GETS, CC_GETS_OK, CC_SENT, CC_RETRIES, CC_TIMEOUTS,
	CC_REPLIES, CC_UNMATCHED, CC_BAD_REPLIES, CC_REPAIRS, CC_COUNT
};

static const char *const cl_counter_names[CC_COUNT] = {
	"puts", "puts_ok", "gets", "gets_ok", "value_requests", "value_retries",
	"value_timeouts", "value_replies", "value_replies_unmatched", "value_replies_bad",
	"repairs",
};

struct kdd_client {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct kdd_backend *b;
	struct kdd_server *local;
	struct kdd_client_params p;
	bool stopped;
	struct op ops[KDD_CLIENT_MAX_OPS];
	struct req reqs[KDD_CLIENT_MAX_REQS];
	uint64_t counters[CC_COUNT];
};

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000;
}

static uint64_t wall_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec;
}

static unsigned int op_index(struct kdd_client *c, struct op *o)
{
	return (unsigned int)(o - c->ops);
}

static void cancel_reqs(struct kdd_client *c, struct op *o, int rep)
{
	unsigned int i, idx = op_index(c, o);

	for (i = 0; i < KDD_CLIENT_MAX_REQS; i++)
		if (c->reqs[i].used && c->reqs[i].op == idx && c->reqs[i].gen == o->gen &&
		    (rep < 0 || c->reqs[i].rep == rep))
			c->reqs[i].used = false;
}

static void op_free(struct kdd_client *c, struct op *o)
{
	cancel_reqs(c, o, -1);
	free(o->value);
	o->value = NULL;
	o->used = false;
}

static struct op *op_alloc(struct kdd_client *c)
{
	unsigned int i;
	struct op *o;
	uint16_t gen;

	for (i = 0; i < KDD_CLIENT_MAX_OPS; i++) {
		o = &c->ops[i];
		if (o->used)
			continue;
		gen = (uint16_t)(o->gen + 1);
		memset(o, 0, sizeof(*o));
		o->value = malloc(KDD_MAX_VALUE);
		if (!o->value)
			return NULL;
		o->gen = gen;
		o->used = true;
		return o;
	}
	return NULL;
}

/* Encodes and sends one request for (op, replica, part); 0 or -errno. */
static int transmit(struct kdd_client *c, struct op *o, struct req *q)
{
	struct replica *r = &o->rep[q->rep];
	uint8_t body[KDHT_MAX_BODY];
	struct kdd_part p;
	size_t len, pad = 0;
	int rc;

	if (q->type == KDHT_MSG_STORE) {
		p = o->meta;
		p.part = q->part;
		p.data = o->value + (size_t)q->part * KDD_PART_LEN;
		p.len = KD_MIN(p.total_len - q->part * KDD_PART_LEN, (uint32_t)KDD_PART_LEN);
		len = kdd_vmsg_encode_store(body, sizeof(body), &p);
	} else {
		struct kdd_find f = { .key = o->key, .part = q->part };

		len = kdd_vmsg_encode_find(body, sizeof(body), &f);
		/* Pay for the reply up front: a VALUE part is nearly a full datagram. */
		pad = KDHT_MAX_DATAGRAM;
	}
	if (!len)
		return -EMSGSIZE;
	rc = c->b->ops->send(c->b, &r->node.addr, q->type, 0, q->txid, body, len, pad,
			     &q->txid);
	if (rc)
		return rc;
	c->counters[CC_SENT]++;
	q->deadline = now_ms() + c->p.timeout_ms;
	return 0;
}

static int request(struct kdd_client *c, struct op *o, unsigned int rep, uint8_t type,
		   uint32_t part)
{
	struct req *q;
	unsigned int i;
	int rc;

	for (i = 0; i < KDD_CLIENT_MAX_REQS && c->reqs[i].used; i++)
		;
	if (i == KDD_CLIENT_MAX_REQS)
		return -EBUSY;
	q = &c->reqs[i];
	memset(q, 0, sizeof(*q));
	q->type = type;
	q->op = (uint8_t)op_index(c, o);
	q->gen = o->gen;
	q->rep = (uint8_t)rep;
	q->part = part;
	rc = transmit(c, o, q);
	if (rc == 0)
		q->used = true;
	return rc;
}

/* ---- put ---- */

static void put_maybe_done(struct kdd_client *c, struct op *o)
{
	unsigned int i;

	for (i = 0; i < o->nrep; i++)
		if (o->rep[i].state == REP_BUSY)
			return;
	/* Every replica answered or gave up: the quorum decides. */
	if (o->acks >= c->p.w) {
		c->counters[CC_PUTS_OK]++;
		o->put_cb(o->arg, 0, NULL, o->acks);
	} else {
		o->put_cb(o->arg, -EIO, o->why ? o->why : "not enough replicas acknowledged",
			  o->acks);
	}
	op_free(c, o);
}

static const char *code_text(uint32_t code)
{
	switch (code) {
	case KDHT_ERR_TOO_LARGE:
		return "value too large for a replica";
	case KDHT_ERR_STORAGE_FULL:
		return "a replica's storage is full";
	case KDHT_ERR_BAD_SIGNATURE:
		return "a replica refused the signature";
	case KDHT_ERR_STALE:
		return "a replica holds a newer version";
	default:
		return "a replica refused the value";
	}
}

static void put_replica_done(struct kdd_client *c, struct op *o, unsigned int i, bool ok,
			     uint32_t code)
{
	struct replica *r = &o->rep[i];

	if (r->state != REP_BUSY)
		return;
	cancel_reqs(c, o, (int)i);
	r->state = ok ? REP_OK : REP_FAILED;
	if (ok)
		o->acks++;
	else if (code)
		o->why = code_text(code);
}

static void put_start_replicas(struct kdd_client *c, struct op *o)
{
	struct kdd_part *m = &o->meta;
	uint32_t part, code;
	unsigned int i;

	for (i = 0; i < o->nrep; i++) {
		struct replica *r = &o->rep[i];

		r->state = REP_BUSY;
		if (r->self) {
			code = kdd_server_commit(c->local, m, o->value, &r->node.id, wall_s());
			put_replica_done(c, o, i, code == KDD_ACK_STORED, code);
			continue;
		}
		for (part = 0; part < m->parts; part++) {
			if (request(c, o, i, KDHT_MSG_STORE, part)) {
				put_replica_done(c, o, i, false, 0);
				break;
			}
		}
	}
	put_maybe_done(c, o);
}

static void put_on_ack(struct kdd_client *c, struct op *o, struct req *q,
		       const struct kdd_ack *a)
{
	if (!kd_id_equal(&a->key, &o->key)) {
		c->counters[CC_BAD_REPLIES]++;
		return;
	}
	q->used = false;
	/* A part held, more to come: the ack to the last part commits. */
	if (a->status == KDD_ACK_STORED && a->parts_held < o->meta.parts)
		return;
	put_replica_done(c, o, q->rep, a->status == KDD_ACK_STORED, a->status);
	put_maybe_done(c, o);
}

/* ---- get ---- */

static void get_finish(struct kdd_client *c, struct op *o, int status)
{
	struct kdd_record rec;

	memset(&rec, 0, sizeof(rec));
	if (status == 0) {
		rec.key = o->key;
		rec.publisher = o->meta.publisher;
		rec.seq = o->meta.seq;
		rec.is_mutable = o->meta.is_mutable;
		rec.has_sig = o->meta.has_sig;
		memcpy(rec.sig, o->meta.sig, KDD_SIG_LEN);
		rec.value = o->value;
		rec.len = o->meta.total_len;
		rec.expires = wall_s() + o->meta.ttl_s;
		c->counters[CC_GETS_OK]++;
	}
	o->get_cb(o->arg, status, status == 0 ? &rec : NULL);
	op_free(c, o);
}

/* Sends the newest record to replicas that lacked it or held an older one. */
static void get_repair(struct kdd_client *c, struct op *o)
{
	uint32_t part;
	unsigned int i;

	if (!o->meta.is_mutable)
		return;
	for (i = 0; i < o->nrep; i++) {
		struct replica *r = &o->rep[i];

		if (r->self || (r->has_value && r->meta.seq >= o->meta.seq))
			continue;
		if (r->state != REP_OK && r->state != REP_NONE)
			continue;
		c->counters[CC_REPAIRS]++;
		/* Fire and forget: a lost repair is made again by the next get. */
		for (part = 0; part < o->meta.parts; part++) {
			struct req q = { .type = KDHT_MSG_STORE, .op = (uint8_t)op_index(c, o),
					 .rep = (uint8_t)i, .part = part, .gen = o->gen };

			if (transmit(c, o, &q))
				break;
		}
	}
}

static void get_assembled(struct kdd_client *c, struct op *o)
{
	struct kdd_part *m = &o->meta;

	if ((m->is_mutable || m->has_sig) &&
	    kdd_record_verify(&o->key, m->seq, m->is_mutable, o->value, m->total_len,
			      &m->publisher, m->sig) != 0) {
		c->counters[CC_BAD_REPLIES]++;
		get_finish(c, o, -EBADMSG);
		return;
	}
	get_repair(c, o);
	get_finish(c, o, 0);
}

static void take_part(struct op *o, const struct kdd_part *p)
{
	if (o->got[p->part / 8] & (1u << (p->part % 8)))
		return;
	o->got[p->part / 8] |= (uint8_t)(1u << (p->part % 8));
	o->parts_have++;
	memcpy(o->value + (size_t)p->part * KDD_PART_LEN, p->data, p->len);
}

/* Picks the replica to read from once enough part-0 answers are in. */
static void get_decide(struct kdd_client *c, struct op *o)
{
	unsigned int i, best = o->nrep;
	bool busy = false;
	uint32_t part;

	for (i = 0; i < o->nrep; i++) {
		struct replica *r = &o->rep[i];

		if (r->state == REP_BUSY)
			busy = true;
		if (r->has_value && (best == o->nrep || r->meta.seq > o->rep[best].meta.seq))
			best = i;
	}
	/* An immutable value needs no second opinion; a mutable one waits for all. */
	if (best == o->nrep ? busy : (busy && o->rep[best].meta.is_mutable))
		return;
	if (best == o->nrep) {
		get_finish(c, o, -ENOENT);
		return;
	}
	cancel_reqs(c, o, -1);
	if (o->rep[best].self) {
		struct kdd_record held;

		if (kdd_store_get(c->local->store, &o->key, wall_s(), &held, o->value,
				  KDD_MAX_VALUE) != 0) {
			get_finish(c, o, -EIO);
			return;
		}
		o->meta = o->rep[best].meta;
		get_assembled(c, o);
		return;
	}
	o->fetching = true;
	o->source = best;
	o->meta = o->rep[best].meta;
	o->meta.data = NULL;
	o->parts_have = 0;
	memset(o->got, 0, sizeof(o->got));
	/* The winner is read from part 0: its first answer's bytes were not kept. */
	for (part = 0; part < o->meta.parts; part++) {
		if (request(c, o, best, KDHT_MSG_FIND_VALUE, part)) {
			get_finish(c, o, -EBUSY);
			return;
		}
	}
}

static bool same_record(const struct kdd_part *a, const struct kdd_part *b)
{
	return a->seq == b->seq && a->total_len == b->total_len &&
	       a->is_mutable == b->is_mutable && a->parts == b->parts;
}

static void get_on_value(struct kdd_client *c, struct op *o, struct req *q,
			 const struct kdd_value *v)
{
	struct replica *r = &o->rep[q->rep];

	if (!kd_id_equal(&v->key, &o->key)) {
		c->counters[CC_BAD_REPLIES]++;
		return;
	}
	q->used = false;
	if (o->fetching) {
		if (!v->has_record || !same_record(&v->rec, &o->meta) || v->rec.part != q->part) {
			c->counters[CC_BAD_REPLIES]++;
			get_finish(c, o, -EIO);
			return;
		}
		take_part(o, &v->rec);
		if (o->parts_have == o->meta.parts)
			get_assembled(c, o);
		return;
	}
	if (r->state != REP_BUSY)
		return;
	r->state = v->has_record ? REP_OK : REP_NONE;
	r->has_value = v->has_record;
	if (v->has_record)
		r->meta = v->rec;
	get_decide(c, o);
}

static void get_start(struct kdd_client *c, struct op *o)
{
	struct kdd_record held;
	unsigned int i;

	for (i = 0; i < o->nrep; i++) {
		struct replica *r = &o->rep[i];

		if (r->self) {
			/* This node is a replica: its own copy is one of the answers. */
			if (kdd_store_get(c->local->store, &o->key, wall_s(), &held,
					  c->local->valbuf, sizeof(c->local->valbuf)) == 0) {
				r->state = REP_OK;
				r->has_value = true;
				memset(&r->meta, 0, sizeof(r->meta));
				r->meta.key = held.key;
				r->meta.total_len = held.len;
				r->meta.parts = kdd_parts_for(held.len);
				r->meta.seq = held.seq;
				r->meta.is_mutable = held.is_mutable;
				r->meta.has_sig = held.has_sig;
				r->meta.has_publisher = true;
				r->meta.publisher = held.publisher;
				r->meta.ttl_s = (uint32_t)(held.expires - wall_s());
				memcpy(r->meta.sig, held.sig, KDD_SIG_LEN);
			} else {
				r->state = REP_NONE;
			}
			continue;
		}
		r->state = REP_BUSY;
		if (request(c, o, i, KDHT_MSG_FIND_VALUE, 0))
			r->state = REP_FAILED;
	}
	get_decide(c, o);
}

/* ---- common ---- */

static struct op *op_from_cookie(struct kdd_client *c, void *arg)
{
	uintptr_t cookie = (uintptr_t)arg;
	struct op *o = &c->ops[cookie & 0xff];

	if ((cookie & 0xff) >= KDD_CLIENT_MAX_OPS || !o->used || o->gen != (cookie >> 8))
		return NULL;
	return o;
}

struct lookup_arg {
	struct kdd_client *c;
	uintptr_t cookie;
};

/* Chooses the r closest of the lookup's hits and this node. */
static void pick_replicas(struct kdd_client *c, struct op *o, const struct kd_lookup_hit *hits,
			  unsigned int nhits)
{
	const struct kd_id *self = c->b->ops->self(c->b);
	bool self_placed = false;
	unsigned int i = 0;

	o->nrep = 0;
	while (o->nrep < c->p.r && (i < nhits || !self_placed)) {
		struct replica *r = &o->rep[o->nrep];

		memset(r, 0, sizeof(*r));
		if (!self_placed && (i >= nhits ||
				     kd_id_cmp_distance(&o->key, self, &hits[i].node.id) < 0)) {
			r->self = true;
			r->node.id = *self;
			self_placed = true;
		} else {
			if (kd_id_equal(&hits[i].node.id, self)) {
				i++;
				continue;
			}
			r->node = hits[i++].node;
		}
		o->nrep++;
	}
}

static void on_lookup(void *arg, bool ok, const struct kd_lookup_hit *hits, unsigned int nhits)
{
	struct lookup_arg *la = arg;
	struct kdd_client *c = la->c;
	struct op *o = op_from_cookie(c, (void *)la->cookie);

	free(la);
	if (!o)
		return;
	o->looking_up = false;
	if (c->stopped) {
		if (o->is_get) {
			get_finish(c, o, -ECANCELED);
		} else {
			o->put_cb(o->arg, -ECANCELED, "shutting down", 0);
			op_free(c, o);
		}
		return;
	}
	pick_replicas(c, o, hits, nhits);
	if (o->is_get)
		get_start(c, o);
	else
		put_start_replicas(c, o);
}

static int start_lookup(struct kdd_client *c, struct op *o)
{
	struct lookup_arg *la = malloc(sizeof(*la));
	int rc;

	if (!la)
		return -ENOMEM;
	la->c = c;
	la->cookie = op_index(c, o) | ((uintptr_t)o->gen << 8);
	o->looking_up = true;
	rc = c->b->ops->lookup(c->b, &o->key, on_lookup, la);
	if (rc) {
		o->looking_up = false;
		free(la);
	}
	return rc;
}

int kdd_client_put(struct kdd_client *c, const struct kdd_record *rec, uint32_t ttl_s,
		   kdd_put_cb cb, void *arg)
{
	struct op *o;
	int rc;

	if (rec->len > c->p.max_value)
		return -EMSGSIZE;
	if (c->stopped)
		return -ESHUTDOWN;
	o = op_alloc(c);
	if (!o)
		return -EBUSY;
	c->counters[CC_PUTS]++;
	o->key = rec->key;
	memcpy(o->value, rec->value, rec->len);
	o->meta.key = rec->key;
	o->meta.total_len = rec->len;
	o->meta.parts = kdd_parts_for(rec->len);
	o->meta.ttl_s = ttl_s ? ttl_s : c->p.default_ttl_s;
	o->meta.seq = rec->seq;
	o->meta.is_mutable = rec->is_mutable;
	o->meta.has_publisher = true;
	if (rec->is_mutable) {
		o->meta.publisher = rec->publisher;
		o->meta.has_sig = true;
		memcpy(o->meta.sig, rec->sig, KDD_SIG_LEN);
	} else {
		/* A republished immutable record keeps naming the node that first stored it. */
		static const struct kd_id none;

		o->meta.publisher = kd_id_equal(&rec->publisher, &none) ?
				    *c->b->ops->self(c->b) : rec->publisher;
	}
	o->put_cb = cb;
	o->arg = arg;
	rc = start_lookup(c, o);
	if (rc)
		op_free(c, o);
	return rc;
}

int kdd_client_get(struct kdd_client *c, const struct kd_id *key, kdd_get_cb cb, void *arg)
{
	struct op *o;
	int rc;

	if (c->stopped)
		return -ESHUTDOWN;
	o = op_alloc(c);
	if (!o)
		return -EBUSY;
	c->counters[CC_GETS]++;
	o->is_get = true;
	o->key = *key;
	o->get_cb = cb;
	o->arg = arg;
	rc = start_lookup(c, o);
	if (rc)
		op_free(c, o);
	return rc;
}

static struct req *match(struct kdd_client *c, const struct kdd_msg *m, uint8_t want_type)
{
	unsigned int i;

	for (i = 0; i < KDD_CLIENT_MAX_REQS; i++) {
		struct req *q = &c->reqs[i];
		struct op *o;

		if (!q->used || q->txid != m->hdr.txid || q->type != want_type)
			continue;
		o = &c->ops[q->op];
		if (o->used && o->gen == q->gen &&
		    kd_addr_equal(&o->rep[q->rep].node.addr, &m->from))
			return q;
	}
	return NULL;
}

void kdd_client_on_reply(struct kdd_client *c, const struct kdd_msg *m)
{
	struct kdd_value v;
	struct kdd_ack a;
	struct req *q;
	void *keep;

	c->counters[CC_REPLIES]++;
	if (m->hdr.type == KDHT_MSG_STORE_ACK) {
		q = match(c, m, KDHT_MSG_STORE);
		if (!q) {
			c->counters[CC_UNMATCHED]++;
			return;
		}
		if (kdd_vmsg_decode_ack(m->body, m->body_len, &a)) {
			c->counters[CC_BAD_REPLIES]++;
			return;
		}
		put_on_ack(c, &c->ops[q->op], q, &a);
	} else if (m->hdr.type == KDHT_MSG_VALUE) {
		q = match(c, m, KDHT_MSG_FIND_VALUE);
		if (!q) {
			c->counters[CC_UNMATCHED]++;
			return;
		}
		if (kdd_vmsg_decode_value(m->body, m->body_len, &v, &keep)) {
			c->counters[CC_BAD_REPLIES]++;
			return;
		}
		get_on_value(c, &c->ops[q->op], q, &v);
		kdd_vmsg_free_value(keep);
	} else {
		c->counters[CC_UNMATCHED]++;
	}
}

/* A request gave up: its replica (put, or a get's first round) failed. */
static void req_gave_up(struct kdd_client *c, struct req *q)
{
	struct op *o = &c->ops[q->op];

	q->used = false;
	c->counters[CC_TIMEOUTS]++;
	if (!o->is_get) {
		put_replica_done(c, o, q->rep, false, 0);
		put_maybe_done(c, o);
	} else if (o->fetching) {
		get_finish(c, o, -ETIMEDOUT);
	} else if (o->rep[q->rep].state == REP_BUSY) {
		o->rep[q->rep].state = REP_FAILED;
		get_decide(c, o);
	}
}

static void on_tick(uv_timer_t *t)
{
	struct kdd_client *c = t->data;
	uint64_t now = now_ms();
	unsigned int i;

	for (i = 0; i < KDD_CLIENT_MAX_REQS; i++) {
		struct req *q = &c->reqs[i];

		if (!q->used || q->deadline > now)
			continue;
		if (q->tries < c->p.retries && transmit(c, &c->ops[q->op], q) == 0) {
			q->tries++;
			c->counters[CC_RETRIES]++;
			continue;
		}
		req_gave_up(c, q);
	}
}

unsigned int kdd_client_counters(struct kdd_client *c, struct kdd_counter *out,
				 unsigned int max)
{
	unsigned int i;

	for (i = 0; i < CC_COUNT && i < max; i++) {
		out[i].name = cl_counter_names[i];
		out[i].value = c->counters[i];
	}
	return i;
}

static void on_failed_timer_close(uv_handle_t *h)
{
	free(h->data);
}

int kdd_client_create(struct kdd_client **out, uv_loop_t *loop, struct kdd_backend *b,
		      struct kdd_server *local, const struct kdd_client_params *p)
{
	struct kdd_client *c;
	int rc;

	if (p->r == 0 || p->r > KDD_MAX_R || p->w == 0 || p->w > p->r || p->default_ttl_s == 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->b = b;
	c->local = local;
	c->p = *p;
	rc = uv_timer_init(loop, &c->timer);
	if (rc) {
		free(c);
		return rc;
	}
	c->timer.data = c;
	rc = uv_timer_start(&c->timer, on_tick, KDD_CLIENT_TICK_MS, KDD_CLIENT_TICK_MS);
	if (rc) {
		uv_close((uv_handle_t *)&c->timer, on_failed_timer_close);
		return rc;
	}
	*out = c;
	return 0;
}

void kdd_client_stop(struct kdd_client *c)
{
	unsigned int i;

	if (c->stopped)
		return;
	c->stopped = true;
	for (i = 0; i < KDD_CLIENT_MAX_OPS; i++) {
		struct op *o = &c->ops[i];

		/* A lookup still running is failed when the backend stops. */
		if (!o->used || o->looking_up)
			continue;
		if (o->is_get)
			get_finish(c, o, -ECANCELED);
		else {
			o->put_cb(o->arg, -ECANCELED, "shutting down", o->acks);
			op_free(c, o);
		}
	}
	uv_close((uv_handle_t *)&c->timer, NULL);
}

void kdd_client_destroy(struct kdd_client *c)
{
	unsigned int i;

	for (i = 0; i < KDD_CLIENT_MAX_OPS; i++)
		free(c->ops[i].value);
	free(c);
}
