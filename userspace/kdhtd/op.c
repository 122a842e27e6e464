// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "op_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "log.h"

static const char *const op_counter_names[] = {
	"puts", "puts_ok", "gets", "gets_ok", "value_requests", "value_retries",
	"value_timeouts", "value_replies", "value_replies_unmatched", "value_replies_bad",
	"value_errors", "replicas_substituted", "source_switches", "repairs",
	"parts_resent", "copies_unverified", "ops_stalled",
};
_Static_assert(sizeof(op_counter_names) / sizeof(op_counter_names[0]) == OC_COUNT,
	       "a name for every operation counter");

static unsigned int op_index(struct kdd_op_engine *c, struct op *o)
{
	return (unsigned int)(o - c->ops);
}

/* ---- the request table ---- */

static unsigned int bucket_of(uint32_t txid)
{
	return (txid ^ (txid >> 16)) & (KDD_REQ_BUCKETS - 1);
}

static void req_table_init(struct kdd_op_engine *c)
{
	unsigned int i;

	for (i = 0; i < KDD_REQ_BUCKETS; i++)
		c->req_head[i] = KDD_REQ_NONE;
	for (i = 0; i < KDD_OP_MAX_REQS; i++)
		c->reqs[i].next = i + 1 < KDD_OP_MAX_REQS ? (uint16_t)(i + 1) : KDD_REQ_NONE;
	c->req_free = 0;
}

static void req_free(struct kdd_op_engine *c, struct req *q)
{
	uint16_t idx = (uint16_t)(q - c->reqs), *link;

	for (link = &c->req_head[bucket_of(q->txid)]; *link != KDD_REQ_NONE;
	     link = &c->reqs[*link].next) {
		if (*link == idx) {
			*link = q->next;
			break;
		}
	}
	c->ops[q->op].outstanding--;
	q->used = false;
	q->next = c->req_free;
	c->req_free = idx;
}

/* Encodes and sends q; its txid is drawn on the first send and kept. */
static int transmit(struct kdd_op_engine *c, struct op *o, struct req *q)
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
	c->counters[OC_SENT]++;
	q->deadline = kdd_mono_ms() + c->p.timeout_ms;
	return 0;
}

int kdd_op_request(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint8_t type,
		   uint32_t part)
{
	unsigned int b;
	struct req *q;
	uint16_t idx;
	int rc;

	if (c->req_free == KDD_REQ_NONE)
		return -EBUSY;
	idx = c->req_free;
	q = &c->reqs[idx];
	c->req_free = q->next;
	memset(q, 0, sizeof(*q));
	q->type = type;
	q->op = (uint8_t)op_index(c, o);
	q->gen = o->gen;
	q->rep = (uint8_t)rep;
	q->part = part;
	rc = transmit(c, o, q);
	if (rc) {
		q->next = c->req_free;
		c->req_free = idx;
		return rc;
	}
	q->used = true;
	o->outstanding++;
	b = bucket_of(q->txid);
	q->next = c->req_head[b];
	c->req_head[b] = idx;
	return 0;
}

int kdd_op_send_once(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint8_t type,
		     uint32_t part)
{
	struct req q = { .type = type, .op = (uint8_t)op_index(c, o), .rep = (uint8_t)rep,
			 .part = part, .gen = o->gen };

	return transmit(c, o, &q);
}

void kdd_op_cancel(struct kdd_op_engine *c, struct op *o, int rep)
{
	unsigned int i, idx = op_index(c, o);

	for (i = 0; i < KDD_OP_MAX_REQS; i++) {
		struct req *q = &c->reqs[i];

		if (q->used && q->op == idx && q->gen == o->gen && (rep < 0 || q->rep == rep))
			req_free(c, q);
	}
}

/* The request that m answers: same txid, from the replica it went to. */
static struct req *match(struct kdd_op_engine *c, const struct kdd_msg *m)
{
	uint16_t i;

	for (i = c->req_head[bucket_of(m->hdr.txid)]; i != KDD_REQ_NONE; i = c->reqs[i].next) {
		struct req *q = &c->reqs[i];
		struct op *o = &c->ops[q->op];

		if (q->txid == m->hdr.txid && o->used && o->gen == q->gen &&
		    kd_addr_equal(&o->rep[q->rep].node.addr, &m->from))
			return q;
	}
	return NULL;
}

/* ---- operations ---- */

static void op_free(struct kdd_op_engine *c, struct op *o)
{
	kdd_op_cancel(c, o, -1);
	free(o->value);
	o->value = NULL;
	o->used = false;
}

static void on_tick(uv_timer_t *t)
{
	struct kdd_op_engine *c = t->data;
	unsigned int i;

	kdd_op_expire(c, kdd_mono_ms());
	for (i = 0; i < KDD_OP_MAX; i++)
		if (c->ops[i].used)
			return;
	/* Idle: no wakeups until the next operation. */
	uv_timer_stop(t);
}

static struct op *op_alloc(struct kdd_op_engine *c)
{
	unsigned int i;
	struct op *o;
	uint16_t gen;

	for (i = 0; i < KDD_OP_MAX; i++) {
		o = &c->ops[i];
		if (o->used)
			continue;
		gen = (uint16_t)(o->gen + 1);
		memset(o, 0, sizeof(*o));
		o->value = malloc(KDD_MAX_VALUE);
		if (!o->value)
			return NULL;
		/* The retransmission tick runs only while an operation does. */
		if (!uv_is_active((uv_handle_t *)&c->timer) &&
		    uv_timer_start(&c->timer, on_tick, KDD_OP_TICK_MS, KDD_OP_TICK_MS)) {
			free(o->value);
			o->value = NULL;
			return NULL;
		}
		o->gen = gen;
		o->used = true;
		o->best = -1;
		o->started_us = kdd_mono_us();
		return o;
	}
	return NULL;
}

bool kdd_op_ticking(const struct kdd_op_engine *c)
{
	return uv_is_active((const uv_handle_t *)&c->timer);
}

unsigned int kdd_op_room(const struct kdd_op_engine *c)
{
	unsigned int i, n = 0;

	for (i = 0; i < KDD_OP_MAX; i++)
		n += !c->ops[i].used;
	return c->stopped ? 0 : n;
}

static void fill_info(struct op *o)
{
	unsigned int i;

	o->info.elapsed_us = kdd_mono_us() - o->started_us;
	o->info.acks = (uint16_t)o->acks;
	o->info.asked = 0;
	for (i = 0; i < o->nrep; i++)
		o->info.asked += !o->rep[i].self && o->rep[i].state != REP_SPARE;
}

/* Marks o reported and counts a success; false if it was reported already. */
static bool report_once(struct kdd_op_engine *c, struct op *o, int status,
			enum op_counter ok_counter)
{
	if (o->reported)
		return false;
	o->reported = true;
	if (status == 0)
		c->counters[ok_counter]++;
	fill_info(o);
	return true;
}

void kdd_op_report_put(struct kdd_op_engine *c, struct op *o, int status, const char *why)
{
	if (report_once(c, o, status, OC_PUTS_OK))
		o->put_cb(o->arg, status, why, &o->info);
}

void kdd_op_report_get(struct kdd_op_engine *c, struct op *o, int status,
		       const struct kdd_record *rec)
{
	if (report_once(c, o, status, OC_GETS_OK))
		o->get_cb(o->arg, status, rec, &o->info);
}

void kdd_op_done(struct kdd_op_engine *c, struct op *o)
{
	op_free(c, o);
}

/* ---- the replica set ---- */

#define SELF_ADDRS	4	/* addresses of this node counted against their subnets */

/* Whether r holds a place in the set (see kdd_op_start_replicas in op_int.h). */
static bool in_set(const struct replica *r)
{
	return r->state != REP_SPARE && (r->state != REP_FAILED || r->refused);
}

/*
 * The replicas holding a place in the set (in_set, or planned to) and the
 * subnets this node is bound to (read once per choice, and only when they
 * count): this node is not in the list by address.
 */
struct replica_set {
	bool in[KDD_OP_MAX_REPLICAS];
	unsigned int size;
	u64 self_subnet[SELF_ADDRS];
	unsigned int self_subnets;	/* a wildcard address counts for none */
};

static void set_read(struct kdd_op_engine *c, const struct op *o, struct replica_set *s)
{
	char text[SELF_ADDRS][64];
	unsigned int n, i;
	struct kd_addr a;

	s->size = 0;
	for (i = 0; i < o->nrep; i++) {
		s->in[i] = in_set(&o->rep[i]);
		s->size += s->in[i];
	}
	s->self_subnets = 0;
	if (!c->p.per_subnet)
		return;
	n = c->b->ops->addresses(c->b, text, SELF_ADDRS);
	for (i = 0; i < n; i++)
		if (kd_addr_parse(&a, text[i], 0) == 0)
			s->self_subnet[s->self_subnets++] = kd_addr_subnet(&a);
}

/* Whether replica r is in subnet; this node by the addresses it is bound to. */
static bool in_subnet(const struct replica_set *s, const struct replica *r, u64 subnet)
{
	unsigned int i;

	if (!r->self)
		return kd_addr_subnet(&r->node.addr) == subnet;
	for (i = 0; i < s->self_subnets; i++)
		if (s->self_subnet[i] == subnet)
			return true;
	return false;
}

/* Whether replicas a and b share a /24 (/48). */
static bool same_subnet(const struct replica_set *s, const struct replica *a,
			const struct replica *b)
{
	unsigned int i;

	if (!a->self)
		return in_subnet(s, b, kd_addr_subnet(&a->node.addr));
	for (i = 0; i < s->self_subnets; i++)
		if (in_subnet(s, b, s->self_subnet[i]))
			return true;
	return false;
}

/* Members of the set that share replica i's subnet. */
static unsigned int set_in_subnet(const struct op *o, const struct replica_set *s,
				  unsigned int i)
{
	unsigned int j, same = 0;

	for (j = 0; j < o->nrep; j++)
		same += j != i && s->in[j] && same_subnet(s, &o->rep[i], &o->rep[j]);
	return same;
}

/*
 * The spare to take next, or -1: the closest one of a subnet the set does
 * not hold yet; when every subnet left is held, the closest one of a
 * subnet holding the fewest, up to per_subnet. So a set spans as many
 * subnets as the list offers, and one subnet packed next to a key holds
 * a single place while others remain.
 */
static int next_spare(struct kdd_op_engine *c, const struct op *o,
		      const struct replica_set *s)
{
	unsigned int share, i;

	for (share = 1; share <= KD_MAX(c->p.per_subnet, 1u); share++)
		for (i = 0; i < o->nrep; i++)
			if (o->rep[i].state == REP_SPARE && !s->in[i] &&
			    (!c->p.per_subnet || set_in_subnet(o, s, i) < share))
				return (int)i;
	return -1;
}

bool kdd_op_would_take(struct kdd_op_engine *c, const struct op *o, unsigned int rep)
{
	struct replica_set s;
	int i;

	set_read(c, o, &s);
	while (s.size < c->p.r && (i = next_spare(c, o, &s)) >= 0) {
		if ((unsigned int)i == rep)
			return true;
		s.in[i] = true;
		s.size++;
	}
	return false;
}

void kdd_op_start_replicas(struct kdd_op_engine *c, struct op *o,
			   bool (*start)(struct kdd_op_engine *c, struct op *o, unsigned int i))
{
	struct replica_set s;
	int i;

	/* One that cannot be asked leaves the spares: the next takes its place. */
	for (;;) {
		set_read(c, o, &s);
		if (s.size >= c->p.r)
			return;
		i = next_spare(c, o, &s);
		if (i < 0)
			return;
		start(c, o, (unsigned int)i);
	}
}

bool kdd_op_substitute(struct kdd_op_engine *c, struct op *o,
		       bool (*start)(struct kdd_op_engine *c, struct op *o, unsigned int i))
{
	struct replica_set s;
	int i;

	for (;;) {
		set_read(c, o, &s);
		i = next_spare(c, o, &s);
		if (i < 0)
			return false;
		if (start(c, o, (unsigned int)i)) {
			/* Counted once it took the place: a spare passed over is none. */
			c->counters[OC_SUBSTITUTES]++;
			return true;
		}
	}
}

static struct op *op_from_cookie(struct kdd_op_engine *c, uintptr_t cookie)
{
	struct op *o = &c->ops[cookie & 0xff];

	if ((cookie & 0xff) >= KDD_OP_MAX || !o->used || o->gen != (cookie >> 8))
		return NULL;
	return o;
}

struct lookup_arg {
	struct kdd_op_engine *c;
	uintptr_t cookie;
};

/* The lookup's hits and this node, closest to the key first. */
static void list_replicas(struct kdd_op_engine *c, struct op *o, const struct kd_lookup_hit *hits,
			  unsigned int nhits)
{
	const struct kd_id *self = c->b->ops->self(c->b);
	bool self_placed = false;
	unsigned int i = 0;

	o->nrep = 0;
	while (o->nrep < KDD_OP_MAX_REPLICAS && (i < nhits || !self_placed)) {
		struct replica *r = &o->rep[o->nrep];

		if (i < nhits && kd_id_equal(&hits[i].node.id, self)) {
			i++;
			continue;
		}
		memset(r, 0, sizeof(*r));
		if (!self_placed && (i >= nhits ||
				     kd_id_cmp_distance(&o->key, self, &hits[i].node.id) < 0)) {
			r->self = true;
			r->node.id = *self;
			self_placed = true;
		} else {
			r->node = hits[i++].node;
		}
		o->nrep++;
	}
}

/*
 * Every operation past its lookup has a request awaiting an answer, or has
 * ended: one waiting on nothing would hold its slot for good. Should some
 * path forget that, the operation fails here, counted and logged, at the
 * step that left it so.
 */
static void check_live(struct kdd_op_engine *c, struct op *o)
{
	if (!o->used || o->looking_up || o->outstanding)
		return;
	c->counters[OC_STALLED]++;
	kdd_log(KDD_LOG_ERR, "%s waits on no request: ended", o->is_get ? "get" : "put");
	if (o->is_get)
		kdd_op_report_get(c, o, -EIO, NULL);
	else
		kdd_op_report_put(c, o, -EIO, "the operation stalled");
	op_free(c, o);
}

static void on_lookup(void *arg, bool ok, const struct kd_lookup_hit *hits, unsigned int nhits,
		      unsigned int rounds)
{
	struct lookup_arg *la = arg;
	struct kdd_op_engine *c = la->c;
	struct op *o = op_from_cookie(c, la->cookie);

	free(la);
	if (!o)
		return;
	o->looking_up = false;
	o->info.lookup_us = kdd_mono_us() - o->started_us;
	o->info.lookup_rounds = (uint16_t)KD_MIN(rounds, 0xffffu);
	if (c->stopped) {
		if (o->is_get)
			kdd_op_report_get(c, o, -ECANCELED, NULL);
		else
			kdd_op_report_put(c, o, -ECANCELED, "shutting down");
		op_free(c, o);
		return;
	}
	list_replicas(c, o, hits, nhits);
	if (o->is_get)
		kdd_op_get_start(c, o);
	else
		kdd_op_put_start(c, o);
	check_live(c, o);
}

static int start_lookup(struct kdd_op_engine *c, struct op *o)
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

/* A free operation on key, counted; NULL with *err set when none may start. */
static struct op *op_begin(struct kdd_op_engine *c, const struct kd_id *key,
			   enum op_counter started, int *err)
{
	struct op *o;

	*err = c->stopped ? -ESHUTDOWN : -EBUSY;
	o = c->stopped ? NULL : op_alloc(c);
	if (!o)
		return NULL;
	c->counters[started]++;
	o->key = *key;
	return o;
}

/* Starts o with the lookup of its key; frees it if that fails. */
static int op_launch(struct kdd_op_engine *c, struct op *o)
{
	int rc = start_lookup(c, o);

	if (rc)
		op_free(c, o);
	return rc;
}

int kdd_op_put(struct kdd_op_engine *c, const struct kdd_record *rec, uint32_t ttl_s,
	       kdd_op_put_cb cb, void *arg)
{
	static const struct kd_id none;
	struct op *o;
	int rc;

	if (rec->len > c->p.max_value)
		return -EMSGSIZE;
	o = op_begin(c, &rec->key, OC_PUTS, &rc);
	if (!o)
		return rc;
	memcpy(o->value, rec->value, rec->len);
	o->meta.key = rec->key;
	o->meta.total_len = rec->len;
	o->meta.parts = kdd_parts_for(rec->len);
	o->meta.ttl_s = ttl_s ? ttl_s : c->p.default_ttl_s;
	o->meta.seq = rec->seq;
	o->meta.is_mutable = rec->is_mutable;
	o->meta.cas = rec->cas;
	o->meta.name_len = rec->name_len;
	memcpy(o->meta.name, rec->name, rec->name_len);
	o->meta.has_publisher = true;
	if (rec->is_mutable) {
		o->meta.publisher = rec->publisher;
		o->meta.has_sig = true;
		memcpy(o->meta.sig, rec->sig, KDD_SIG_LEN);
	} else {
		/* A republished immutable record keeps naming the node that first stored it. */
		o->meta.publisher = kd_id_equal(&rec->publisher, &none) ?
				    *c->b->ops->self(c->b) : rec->publisher;
	}
	o->put_cb = cb;
	o->arg = arg;
	return op_launch(c, o);
}

int kdd_op_get(struct kdd_op_engine *c, const struct kd_id *key, kdd_op_get_cb cb, void *arg)
{
	struct op *o;
	int rc;

	o = op_begin(c, key, OC_GETS, &rc);
	if (!o)
		return rc;
	o->is_get = true;
	o->get_cb = cb;
	o->arg = arg;
	return op_launch(c, o);
}

/* ---- replies and timeouts ---- */

static void replica_failed(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint32_t code)
{
	if (o->is_get)
		kdd_op_get_failed(c, o, rep, code);
	else
		kdd_op_put_failed(c, o, rep, code);
}

static void on_error_reply(struct kdd_op_engine *c, const struct kdd_msg *m, struct req *q)
{
	uint16_t code;
	struct op *o;

	if (m->body_len < KDHT_ERROR_LEN) {
		c->counters[OC_BAD_REPLIES]++;
		return;
	}
	code = kd_get_be16(m->body);
	c->counters[OC_ERRORS]++;
	o = &c->ops[q->op];
	/* Refused for want of a token, which this ERROR brought: once more. */
	if (code == KDHT_ERR_UNVALIDATED && !q->token_retry && transmit(c, o, q) == 0) {
		q->token_retry = true;
		c->counters[OC_RETRIES]++;
		return;
	}
	kdd_log(KDD_LOG_DEBUG, "value request answered with error %u", code);
	replica_failed(c, o, q->rep, code ? code : KDHT_ERR_MALFORMED);
}

static void dispatch_reply(struct kdd_op_engine *c, const struct kdd_msg *m, struct req *q)
{
	struct kdd_value v;
	struct kdd_ack a;
	void *keep;

	if (m->hdr.type == KDHT_MSG_ERROR) {
		on_error_reply(c, m, q);
		return;
	}
	if ((m->hdr.type == KDHT_MSG_STORE_ACK && q->type != KDHT_MSG_STORE) ||
	    (m->hdr.type == KDHT_MSG_VALUE && q->type != KDHT_MSG_FIND_VALUE) ||
	    (m->hdr.type != KDHT_MSG_STORE_ACK && m->hdr.type != KDHT_MSG_VALUE)) {
		c->counters[OC_UNMATCHED]++;
		return;
	}
	if (m->hdr.type == KDHT_MSG_STORE_ACK) {
		if (kdd_vmsg_decode_ack(m->body, m->body_len, &a) ||
		    !kd_id_equal(&a.key, &c->ops[q->op].key)) {
			c->counters[OC_BAD_REPLIES]++;
			return;
		}
		kdd_op_put_on_ack(c, &c->ops[q->op], q, &a);
		return;
	}
	if (kdd_vmsg_decode_value(m->body, m->body_len, &v, &keep)) {
		c->counters[OC_BAD_REPLIES]++;
		return;
	}
	if (kd_id_equal(&v.key, &c->ops[q->op].key))
		kdd_op_get_on_value(c, &c->ops[q->op], q, &v);
	else
		c->counters[OC_BAD_REPLIES]++;
	kdd_vmsg_free_value(keep);
}

void kdd_op_on_reply(struct kdd_op_engine *c, const struct kdd_msg *m)
{
	struct req *q;
	struct op *o;

	c->counters[OC_REPLIES]++;
	q = match(c, m);
	if (!q) {
		c->counters[OC_UNMATCHED]++;
		return;
	}
	o = &c->ops[q->op];
	dispatch_reply(c, m, q);
	check_live(c, o);
}

void kdd_op_req_done(struct kdd_op_engine *c, struct req *q)
{
	req_free(c, q);
}


void kdd_op_expire(struct kdd_op_engine *c, uint64_t now)
{
	unsigned int i, rep;

	for (i = 0; i < KDD_OP_MAX_REQS; i++) {
		struct req *q = &c->reqs[i];
		struct op *o;

		if (!q->used || q->deadline > now)
			continue;
		o = &c->ops[q->op];
		if (q->tries < c->p.retries && transmit(c, o, q) == 0) {
			q->tries++;
			c->counters[OC_RETRIES]++;
			continue;
		}
		c->counters[OC_TIMEOUTS]++;
		rep = q->rep;
		req_free(c, q);
		replica_failed(c, o, rep, 0);
	}
	for (i = 0; i < KDD_OP_MAX; i++)
		check_live(c, &c->ops[i]);
}

unsigned int kdd_op_counters(struct kdd_op_engine *c, struct kdd_counter *out,
			     unsigned int max)
{
	unsigned int i;

	for (i = 0; i < OC_COUNT && i < max; i++) {
		out[i].name = op_counter_names[i];
		out[i].value = c->counters[i];
	}
	return i;
}

int kdd_op_create(struct kdd_op_engine **out, uv_loop_t *loop, struct kdd_backend *b,
		  struct kdd_serve *local, const struct kdd_op_params *p)
{
	struct kdd_op_engine *c;
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
	req_table_init(c);
	rc = uv_timer_init(loop, &c->timer);
	if (rc) {
		free(c);
		return rc;
	}
	c->timer.data = c;
	*out = c;
	return 0;
}

void kdd_op_stop(struct kdd_op_engine *c)
{
	unsigned int i;

	if (c->stopped)
		return;
	c->stopped = true;
	for (i = 0; i < KDD_OP_MAX; i++) {
		struct op *o = &c->ops[i];

		/* A lookup still running is failed when the backend stops. */
		if (!o->used || o->looking_up)
			continue;
		if (o->is_get)
			kdd_op_report_get(c, o, -ECANCELED, NULL);
		else
			kdd_op_report_put(c, o, -ECANCELED, "shutting down");
		op_free(c, o);
	}
	uv_close((uv_handle_t *)&c->timer, NULL);
}

void kdd_op_destroy(struct kdd_op_engine *c)
{
	unsigned int i;

	for (i = 0; i < KDD_OP_MAX; i++)
		free(c->ops[i].value);
	free(c);
}
