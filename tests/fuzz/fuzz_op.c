// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The put/get engine against hostile replicas: one put or get, whose
 * lookup finds replicas that answer every request as the fuzz input says
 * (acks with any status, held_seq and parts_held, values of any seq, size,
 * name and signature under keys that derive from them or not, errors,
 * silence), in any order, then time passes. The replicas and this node
 * sit on subnets the input picks, so that the spread of a replica set over
 * subnets meets every layout. The backend is a fake that keeps what the
 * engine sends; this node's own copy lives in a real LMDB store. What must hold: no operation ever waits
 * on nothing (ops_stalled stays 0), and once every request has timed out,
 * every operation has ended.
 */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "op.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_NODES	8	/* replicas the lookup finds */
#define FZ_SENT		4096	/* requests remembered, oldest overwritten */

struct sent {
	struct kd_addr to;
	uint8_t type;
	uint32_t txid;
	uint32_t part;
};

static struct {
	struct kdd_backend b;
	struct kd_id self;
	uint8_t self_subnet;	/* this node's address is 10.0.self_subnet.9; 0: a wildcard */
	struct kd_node nodes[FZ_NODES];
	unsigned int nnodes;
	struct sent sent[FZ_SENT];
	unsigned int nsent;
	uint32_t next_txid;
} fz;

static uv_loop_t loop;
static struct kdd_serve serve;
static struct kdd_op_engine *engine;
static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

/* ---- the fake backend: lookups answer at once, sends are kept ---- */

static int fz_lookup(struct kdd_backend *b, const struct kd_id *target, kdd_lookup_cb cb,
		     void *arg)
{
	struct kd_lookup_hit hits[FZ_NODES];
	unsigned int i;

	memset(hits, 0, sizeof(hits));
	for (i = 0; i < fz.nnodes; i++)
		hits[i].node = fz.nodes[i];
	cb(arg, true, hits, fz.nnodes, 1);
	return 0;
}

static int fz_send(struct kdd_backend *b, const struct kd_addr *to, uint8_t type, uint8_t flags,
		   uint32_t txid, const uint8_t *body, size_t body_len, size_t pad_to,
		   uint32_t *txid_out)
{
	struct sent *s = &fz.sent[fz.nsent++ % FZ_SENT];
	struct kdd_part p;
	struct kdd_find f;
	void *keep;

	s->to = *to;
	s->type = type;
	s->txid = txid ? txid : ++fz.next_txid;
	s->part = 0;
	if (type == KDHT_MSG_STORE && kdd_vmsg_decode_store(body, body_len, &p, &keep) == 0) {
		s->part = p.part;
		kdd_vmsg_free_store(keep);
	} else if (type == KDHT_MSG_FIND_VALUE && kdd_vmsg_decode_find(body, body_len, &f) == 0) {
		s->part = f.part;
	}
	if (txid_out)
		*txid_out = s->txid;
	return 0;
}

static unsigned int fz_closest(struct kdd_backend *b, const struct kd_id *target, uint8_t want,
			       struct kd_node *out, unsigned int max)
{
	return 0;
}

static const struct kd_id *fz_self(struct kdd_backend *b)
{
	return &fz.self;
}

static unsigned int fz_addresses(struct kdd_backend *b, char (*out)[64], unsigned int max)
{
	if (!max)
		return 0;
	if (fz.self_subnet)
		snprintf(out[0], 64, "10.0.%u.9:4000", fz.self_subnet);
	else
		snprintf(out[0], 64, "*:4000");
	return 1;
}

static const struct kdd_backend_ops fz_ops = {
	.name = "fuzz",
	.lookup = fz_lookup,
	.send = fz_send,
	.closest = fz_closest,
	.self = fz_self,
	.addresses = fz_addresses,
};

static void setup(void)
{
	static char dir[] = "/tmp/kdd-fuzz-op-XXXXXX";
	struct kdd_op_params cp = {
		.r = 3, .w = 2, .default_ttl_s = 3600, .timeout_ms = 1000, .retries = 1,
		.max_value = KDD_MAX_VALUE, .per_subnet = 2,
	};
	struct kdd_store_params sp;
	struct kdd_store *st;
	const char *msg;

	assert(sodium_init() >= 0);
	crypto_sign_keypair(pk, sk);
	assert(mkdtemp(dir));
	kdd_store_params_default(&sp);
	sp.map_size = 4u << 20;
	assert(kdd_store_open(&st, dir, &sp, &msg) == 0);
	assert(uv_loop_init(&loop) == 0);
	fz.b.ops = &fz_ops;
	assert(kdd_serve_init(&serve, st, &fz.b, KDD_MAX_VALUE) == 0);
	assert(kdd_op_create(&engine, &loop, &fz.b, &serve, &cp) == 0);
}

/* ---- the fuzz input, read a byte at a time ---- */

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t next(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint32_t next32(struct input *in)
{
	uint32_t v = next(in);

	v = v << 8 | next(in);
	return v << 8 | next(in);
}

static uint64_t stat_of(const char *name)
{
	struct kdd_counter cs[32];
	unsigned int n, i;

	n = kdd_op_counters(engine, cs, 32);
	for (i = 0; i < n; i++)
		if (strcmp(cs[i].name, name) == 0)
			return cs[i].value;
	abort();
}

static void on_put(void *arg, int status, const char *why, const struct kdd_op_info *info)
{
}

static void on_get(void *arg, int status, const struct kdd_record *rec,
		   const struct kdd_op_info *info)
{
}

/*
 * A record as the input says: mutable (a name of pk's) or immutable, its
 * key derived as PROTOCOL.md 9.1 says or, for a hostile replica, not.
 */
static void fz_record(struct input *in, struct kdd_record *rec, uint8_t *value)
{
	uint8_t how;

	memset(rec, 0, sizeof(*rec));
	rec->len = next32(in) % (8 * KDD_PART_LEN);
	memset(value, next(in), rec->len);
	rec->value = value;
	how = next(in);
	rec->is_mutable = how & 1;
	rec->seq = next(in);
	if (rec->is_mutable) {
		rec->name_len = (uint8_t)(next(in) % 16 + 1);
		memset(rec->name, next(in), rec->name_len);
		kdd_key_of_name(&rec->key, pk, rec->name, rec->name_len);
	} else {
		kdd_key_of_content(&rec->key, value, rec->len);
	}
	if (how & 2)
		memset(rec->key.b, next(in), KDHT_ID_LEN);
	if (rec->is_mutable) {
		memcpy(rec->publisher.b, pk, KDHT_ID_LEN);
		rec->has_sig = true;
		rec->cas = how & 4;
		kdd_record_sign(&rec->key, rec->seq, true, value, rec->len, sk, rec->sig);
	}
}

/*
 * A VALUE for s: a part of a record as the input says, under key whether
 * it derives or not, validly signed or not.
 */
static size_t fz_value(struct input *in, const struct kd_id *key, const struct sent *s,
		       uint8_t *body)
{
	static uint8_t value[8 * KDD_PART_LEN];
	struct kdd_record rec;
	struct kdd_value v;
	uint8_t how = next(in);

	memset(&v, 0, sizeof(v));
	v.key = *key;
	v.has_record = how & 1;
	if (v.has_record) {
		fz_record(in, &rec, value);
		rec.key = *key;
		if (rec.is_mutable)
			kdd_record_sign(&rec.key, rec.seq, true, value, rec.len, sk, rec.sig);
		if (how & 2)
			rec.sig[how % KDD_SIG_LEN] ^= 1;
		rec.expires = 1ull << 40;
		kdd_part_of_record(&v.rec, &rec,
				   (how & 4 ? s->part : next(in)) % kdd_parts_for(rec.len), 0);
	}
	return kdd_vmsg_encode_value(body, KDHT_MAX_BODY, &v);
}

/* One step: an answer to one of the requests sent, or time passing. */
static void step(struct input *in, const struct kd_id *key)
{
	const struct sent *s;
	uint8_t body[KDHT_MAX_BODY], what = next(in);
	struct kdd_msg m;
	struct kdd_ack a;

	if (what % 8 == 7 || !fz.nsent) {
		kdd_op_expire(engine, UINT64_MAX);
		return;
	}
	s = &fz.sent[(fz.nsent - 1 - next(in) % KD_MIN(fz.nsent, (unsigned int)FZ_SENT)) %
		     FZ_SENT];
	memset(&m, 0, sizeof(m));
	m.from = s->to;
	m.hdr.txid = s->txid;
	m.hdr.flags = KDHT_F_REPLY;
	m.body = body;
	if (what % 8 < 2) {
		m.hdr.type = KDHT_MSG_ERROR;
		memset(body, 0, KDHT_ERROR_LEN);
		body[1] = next(in) % 15;
		m.body_len = KDHT_ERROR_LEN;
	} else if (what % 8 < 5) {
		memset(&a, 0, sizeof(a));
		a.key = *key;
		a.status = next(in) % 3 ? 0 : next(in) % 15;
		a.held_seq = next(in) & 1 ? UINT64_MAX - next(in) : next(in);
		a.part = s->part;
		a.parts_held = next(in) % 10;
		m.hdr.type = KDHT_MSG_STORE_ACK;
		m.body_len = kdd_vmsg_encode_ack(body, sizeof(body), &a);
	} else {
		m.hdr.type = KDHT_MSG_VALUE;
		m.body_len = fz_value(in, key, s, body);
	}
	kdd_op_on_reply(engine, &m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t value[8 * KDD_PART_LEN];
	struct input in = { data, size };
	struct kdd_record rec;
	unsigned int i, pass, subnets;

	if (!engine)
		setup();
	memset(fz.self.b, next(&in), KDHT_ID_LEN);
	fz.nnodes = next(&in) % (FZ_NODES + 1);
	subnets = next(&in) % 4 + 1;
	fz.self_subnet = next(&in) % (subnets + 1);
	for (i = 0; i < fz.nnodes; i++) {
		memset(&fz.nodes[i], 0, sizeof(fz.nodes[i]));
		fz.nodes[i].id.b[0] = (uint8_t)(i * 31 + 1);
		fz.nodes[i].addr.family = KDHT_AF_INET;
		fz.nodes[i].addr.ip[0] = 10;
		fz.nodes[i].addr.ip[2] = (uint8_t)(i % subnets + 1);
		fz.nodes[i].addr.ip[3] = (uint8_t)(i + 1);
		fz.nodes[i].addr.port = 4000;
	}
	fz_record(&in, &rec, value);
	if (next(&in) & 1)
		(void)kdd_op_get(engine, &rec.key, on_get, NULL);
	else
		(void)kdd_op_put(engine, &rec, 0, on_put, NULL);
	while (in.left) {
		step(&in, &rec.key);
		assert(stat_of("ops_stalled") == 0);
	}
	/* Silence from now on: every request times out, every operation ends. */
	for (pass = 0; pass < 64 && kdd_op_room(engine) < KDD_OP_MAX; pass++)
		kdd_op_expire(engine, UINT64_MAX);
	assert(kdd_op_room(engine) == KDD_OP_MAX);
	assert(stat_of("ops_stalled") == 0);
	return 0;
}
