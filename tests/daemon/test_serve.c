// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The value-message handlers as a peer sees them over loopback UDP: what a
 * STORE and a FIND_VALUE get back, and that bad input is answered with an
 * error and counted, never stored; who may write what (a key that does not
 * derive from its record is refused), equivocation and compare-and-swap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "serve.h"
#include "store_dir.h"

#define PORT_A 46310
#define PORT_B 46311
#define MAX_VALUE 2500

static uv_loop_t loop;
static uv_check_t commit;
static struct kdd_backend *a, *b;
static struct kdd_backend *stranger;	/* b's stand-in, if a test made one */
static struct kdd_store *store;
static struct kdd_serve serve;
static char dir[64];
static struct kd_addr addr_a;
static struct kd_id id_a, id_b;

/* The last reply B received. */
static int replies;
static uint8_t reply_type;
static uint8_t reply_body[KDHT_MAX_BODY];
static size_t reply_len;

static uint64_t wall(void)
{
	return (uint64_t)time(NULL);
}

static void on_a_recv(void *ctx, const struct kdd_msg *m)
{
	kdd_serve_handle(&serve, m, uv_hrtime() / 1000000, wall());
}

/* Acks leave only after the commit: at the end of each turn, here. */
static void on_commit(uv_check_t *h)
{
	kdd_serve_flush(&serve, wall());
}

static void on_b_recv(void *ctx, const struct kdd_msg *m)
{
	replies++;
	reply_type = m->hdr.type;
	reply_len = m->body_len;
	memcpy(reply_body, m->body, m->body_len);
}

static int pinged;

static void on_pinged(void *arg, bool ok, const struct kd_node *node, uint32_t rtt_ms)
{
	pinged = ok ? 1 : -1;
}

/*
 * `from` pings A first, as a peer's routing does before its value requests:
 * A's PONG brings the token that validates from's next requests, and proves
 * from's address to A's limiter.
 */
static void validate(struct kdd_backend *from)
{
	uint64_t deadline = uv_hrtime() + 5ull * 1000000000;

	pinged = 0;
	assert_int_equal(from->ops->ping(from, &addr_a, on_pinged, NULL), 0);
	while (!pinged && uv_hrtime() < deadline)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(pinged, 1);
}

static int setup(void **state)
{
	struct kdd_user_backend_params p = { .bind4 = "127.0.0.1", .bind6 = "" };
	struct kdd_backend_host ha = { .recv = on_a_recv }, hb = { .recv = on_b_recv };
	struct kdd_store_params sp;
	const char *msg;

	strcpy(dir, "/tmp/kdd-test-serve-XXXXXX");
	assert_non_null(mkdtemp(dir));
	kdd_store_params_default(&sp);
	assert_int_equal(kdd_store_open(&store, dir, &sp, &msg), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	kd_params_default(&p.core);
	memset(id_a.b, 0xa0, sizeof(id_a.b));
	memset(id_b.b, 0x0b, sizeof(id_b.b));
	p.port = PORT_A;
	assert_int_equal(kdd_user_backend_create(&a, &loop, &p, &id_a, &ha, &msg), 0);
	p.port = PORT_B;
	assert_int_equal(kdd_user_backend_create(&b, &loop, &p, &id_b, &hb, &msg), 0);
	assert_int_equal(kdd_serve_init(&serve, store, a, MAX_VALUE), 0);
	assert_int_equal(uv_check_init(&loop, &commit), 0);
	assert_int_equal(uv_check_start(&commit, on_commit), 0);
	assert_int_equal(kd_addr_parse(&addr_a, "127.0.0.1:46310", 0), 0);
	validate(b);
	replies = 0;
	return 0;
}

static int teardown(void **state)
{
	a->ops->stop(a);
	b->ops->stop(b);
	if (stranger)
		stranger->ops->stop(stranger);
	uv_close((uv_handle_t *)&commit, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	a->ops->destroy(a);
	b->ops->destroy(b);
	if (stranger)
		stranger->ops->destroy(stranger);
	stranger = NULL;
	assert_int_equal(uv_loop_close(&loop), 0);
	kdd_serve_fini(&serve);
	kdd_store_close(store);
	store_dir_remove(dir);
	return 0;
}

/* B sends one request to A and waits for the reply. */
static void exchange(uint8_t type, const uint8_t *body, size_t len, size_t pad_to)
{
	uint64_t deadline = uv_hrtime() + 5ull * 1000000000;
	int before = replies;

	assert_int_equal(b->ops->send(b, &addr_a, type, 0, 0, body, len, pad_to, NULL), 0);
	while (replies == before && uv_hrtime() < deadline)
		uv_run(&loop, UV_RUN_ONCE);
	assert_int_equal(replies, before + 1);
}

/* A few loop turns: whatever is staged is committed. */
static void run_turns(void)
{
	unsigned int i;

	for (i = 0; i < 10; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
}

static void store_part(const struct kdd_part *p)
{
	uint8_t body[KDHT_MAX_BODY];
	size_t len = kdd_vmsg_encode_store(body, sizeof(body), p);

	assert_true(len > 0);
	exchange(KDHT_MSG_STORE, body, len, 0);
}

static struct kdd_ack expect_ack(void)
{
	struct kdd_ack ack;

	assert_int_equal(reply_type, KDHT_MSG_STORE_ACK);
	assert_int_equal(kdd_vmsg_decode_ack(reply_body, reply_len, &ack), 0);
	return ack;
}

static uint16_t expect_error(void)
{
	assert_int_equal(reply_type, KDHT_MSG_ERROR);
	assert_int_equal(reply_len, KDHT_ERROR_LEN);
	return kd_get_be16(reply_body);
}

/* Part part of an immutable record of total bytes, under its content key. */
static struct kdd_part part_of(const uint8_t *value, uint32_t total, uint32_t part)
{
	struct kdd_part p;

	memset(&p, 0, sizeof(p));
	kdd_key_of_content(&p.key, value, total);
	p.total_len = total;
	p.parts = kdd_parts_for(total);
	p.part = part;
	p.data = value + (size_t)part * KDD_PART_LEN;
	p.len = KD_MIN(total - part * KDD_PART_LEN, (uint32_t)KDD_PART_LEN);
	p.ttl_s = 600;
	return p;
}

/* A writer: an Ed25519 key pair. */
struct writer {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/*
 * A one-part named record of w, seq seq, under the key of scope (an owner
 * public key, or a mesh id) and name, signed by w.
 */
static struct kdd_part named_of(const struct writer *w, const uint8_t *scope, const char *name,
				const char *value, uint64_t seq)
{
	struct kdd_part p = part_of((const uint8_t *)value, (uint32_t)strlen(value), 0);

	p.is_mutable = true;
	p.seq = seq;
	p.name_len = (uint8_t)strlen(name);
	memcpy(p.name, name, p.name_len);
	kdd_key_of_name(&p.key, scope, p.name, p.name_len);
	p.has_publisher = true;
	memcpy(p.publisher.b, w->pk, KDHT_ID_LEN);
	p.has_sig = true;
	kdd_record_sign(&p.key, seq, true, p.data, p.len, w->sk, p.sig);
	return p;
}

/* Stores p and returns the acknowledgement. */
static struct kdd_ack store_acked(const struct kdd_part *p)
{
	store_part(p);
	return expect_ack();
}

/* Stores p: refused with status, the ack telling held_seq. */
static void expect_refused(const struct kdd_part *p, uint32_t status, uint64_t held_seq)
{
	struct kdd_ack ack = store_acked(p);

	assert_int_equal(ack.status, status);
	assert_int_equal(ack.held_seq, held_seq);
}

/* What A holds under key: its value must be want, at seq. */
static void expect_held(const struct kd_id *key, const char *want, uint64_t seq)
{
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_record got;

	assert_int_equal(kdd_store_get(store, key, wall(), &got, buf, sizeof(buf)), 0);
	assert_int_equal(got.len, strlen(want));
	assert_memory_equal(got.value, want, got.len);
	assert_int_equal(got.seq, seq);
}

static void store_then_find(void **state)
{
	struct kdd_part p = part_of((const uint8_t *)"hello", 5, 0);
	struct kdd_find f = { .key = p.key };
	struct kdd_value v;
	struct kdd_ack ack;
	uint8_t body[KDHT_MAX_BODY];
	void *keep;
	size_t len;

	store_part(&p);
	ack = expect_ack();
	assert_int_equal(ack.status, KDD_ACK_STORED);
	assert_int_equal(ack.parts_held, 1);
	assert_int_equal(serve.counters[KDD_SERVE_STORED], 1);

	len = kdd_vmsg_encode_find(body, sizeof(body), &f);
	exchange(KDHT_MSG_FIND_VALUE, body, len, KDHT_MAX_DATAGRAM);
	assert_int_equal(reply_type, KDHT_MSG_VALUE);
	assert_int_equal(kdd_vmsg_decode_value(reply_body, reply_len, &v, &keep), 0);
	assert_true(v.has_record);
	assert_int_equal(v.rec.len, 5);
	assert_memory_equal(v.rec.data, "hello", 5);
	/* An immutable record names the node that stored it. */
	assert_memory_equal(v.rec.publisher.b, id_b.b, KDHT_ID_LEN);
	kdd_vmsg_free_value(keep);

	f.key.b[0] ^= 1;
	len = kdd_vmsg_encode_find(body, sizeof(body), &f);
	exchange(KDHT_MSG_FIND_VALUE, body, len, KDHT_MAX_DATAGRAM);
	assert_int_equal(kdd_vmsg_decode_value(reply_body, reply_len, &v, &keep), 0);
	assert_false(v.has_record);
	kdd_vmsg_free_value(keep);
	assert_int_equal(serve.counters[KDD_SERVE_NOT_FOUND], 1);
}

static void parts_reassemble(void **state)
{
	static uint8_t value[2100];
	struct kdd_record got;
	static uint8_t buf[KDD_MAX_VALUE];
	static const uint32_t order[] = { 2, 0, 0, 1 }, held[] = { 1, 2, 2, 3 };
	struct kdd_part p;
	struct kdd_ack ack;
	uint32_t i;

	randombytes_buf(value, sizeof(value));
	/* Out of order, with a duplicate: the set is what counts. */
	for (i = 0; i < 4; i++) {
		p = part_of(value, sizeof(value), order[i]);
		store_part(&p);
		ack = expect_ack();
		assert_int_equal(ack.status, KDD_ACK_STORED);
		assert_int_equal(ack.parts_held, held[i]);
	}
	assert_int_equal(kdd_store_get(store, &p.key, wall(), &got, buf, sizeof(buf)), 0);
	assert_int_equal(got.len, sizeof(value));
	assert_memory_equal(buf, value, sizeof(value));
}

static void bad_input_is_refused_and_counted(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0a };
	static uint8_t value[3000];
	struct writer w;
	struct kdd_record got;
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_part p;
	uint64_t stored = serve.counters[KDD_SERVE_STORED];

	exchange(KDHT_MSG_STORE, junk, sizeof(junk), 0);
	assert_int_equal(expect_error(), KDHT_ERR_MALFORMED);
	assert_int_equal(serve.counters[KDD_SERVE_MALFORMED], 1);

	exchange(0x20, junk, sizeof(junk), 0);
	assert_int_equal(expect_error(), KDHT_ERR_UNKNOWN_TYPE);
	assert_int_equal(serve.counters[KDD_SERVE_UNKNOWN_TYPE], 1);

	/* Over this node's max_value: refused at the first part. */
	p = part_of(value, sizeof(value), 0);
	store_part(&p);
	assert_int_equal(expect_ack().status, KDHT_ERR_TOO_LARGE);
	assert_int_equal(serve.counters[KDD_SERVE_TOO_LARGE], 1);

	/* A mutable record signed by someone other than its publisher. */
	crypto_sign_keypair(w.pk, w.sk);
	p = named_of(&w, w.pk, "name", "mine", 9);
	p.sig[0] ^= 0x80;
	store_part(&p);
	assert_int_equal(expect_ack().status, KDHT_ERR_BAD_SIGNATURE);
	assert_int_equal(serve.counters[KDD_SERVE_BAD_SIGNATURE], 1);

	/* Correctly signed it is stored; an older seq afterwards is stale. */
	p.sig[0] ^= 0x80;
	store_part(&p);
	assert_int_equal(expect_ack().status, KDD_ACK_STORED);
	p = named_of(&w, w.pk, "name", "mine", 8);
	/* The refusal says which seq is held, so the writer can go past it. */
	expect_refused(&p, KDHT_ERR_STALE, 9);
	assert_int_equal(serve.counters[KDD_SERVE_STALE], 1);

	assert_int_equal(serve.counters[KDD_SERVE_STORED], stored + 1);
	got.key = part_of(value, sizeof(value), 0).key;
	assert_int_equal(kdd_store_get(store, &got.key, wall(), &got, buf, sizeof(buf)), -ENOENT);
}

/* C, a node A has not heard from yet, at address bind4, in `stranger`. */
static void make_stranger_at(const char *bind4)
{
	struct kdd_user_backend_params p = { .bind4 = bind4, .bind6 = "" };
	struct kdd_backend_host hc = { .recv = on_b_recv };
	struct kd_id id_c;
	const char *msg;

	kd_params_default(&p.core);
	memset(id_c.b, 0xcc, sizeof(id_c.b));
	p.port = PORT_B + 1;
	assert_int_equal(kdd_user_backend_create(&stranger, &loop, &p, &id_c, &hc, &msg), 0);
}

static void make_stranger(void)
{
	make_stranger_at("127.0.0.1");
}

static void swap_b(void)
{
	struct kdd_backend *t = b;

	b = stranger;
	stranger = t;
}

/* A STORE from a source that never proved its address: refused, with a token. */
static void an_unvalidated_store_is_refused(void **state)
{
	struct kdd_record got;
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_part part;

	make_stranger();
	/* Sent from the stranger: exchange() and validate() use b. */
	swap_b();
	part = part_of((const uint8_t *)"squat", 5, 0);
	store_part(&part);
	assert_int_equal(expect_error(), KDHT_ERR_UNVALIDATED);
	assert_int_equal(serve.counters[KDD_SERVE_UNVALIDATED], 1);
	run_turns();
	got.key = part.key;
	assert_int_equal(kdd_store_get(store, &got.key, wall(), &got, buf, sizeof(buf)), -ENOENT);
	/* Once it proved its address, the same STORE is taken. */
	validate(b);
	store_part(&part);
	assert_int_equal(expect_ack().status, KDD_ACK_STORED);
	swap_b();
}

/* A sender filling the reassembly slots pushes out only its own. */
static void a_flood_of_partials_evicts_only_its_own(void **state)
{
	static uint8_t value[MAX_VALUE], junk[2 * KDD_PART_LEN];
	struct kdd_part part;
	unsigned int i;

	make_stranger();
	part = part_of(value, sizeof(value), 0);
	store_part(&part);
	assert_int_equal(expect_ack().parts_held, 1);
	swap_b();
	validate(b);
	for (i = 0; i < KDD_MAX_PARTIALS; i++) {
		junk[0] = (uint8_t)i;
		part = part_of(junk, sizeof(junk), 0);
		store_part(&part);
	}
	assert_true(serve.counters[KDD_SERVE_PARTIAL_EVICTED] > 0);
	swap_b();
	part = part_of(value, sizeof(value), 1);
	store_part(&part);
	assert_int_equal(expect_ack().parts_held, 2);
	part = part_of(value, sizeof(value), 2);
	store_part(&part);
	assert_int_equal(expect_ack().status, KDD_ACK_STORED);
	assert_int_equal(expect_ack().parts_held, 3);
}

/* held_seq names a committed, verified record only, never a part's claim. */
static void held_seq_is_claimed_only_once_verified(void **state)
{
	static uint8_t value[2100];
	static const char name[] = "held";
	struct writer w;
	struct kdd_part p;
	struct kdd_ack ack;
	uint32_t i;

	randombytes_buf(value, sizeof(value));
	crypto_sign_keypair(w.pk, w.sk);
	for (i = 0; i < 3; i++) {
		p = part_of(value, sizeof(value), i);
		p.is_mutable = true;
		p.seq = 41;
		p.name_len = sizeof(name) - 1;
		memcpy(p.name, name, p.name_len);
		kdd_key_of_name(&p.key, w.pk, p.name, p.name_len);
		p.has_publisher = true;
		memcpy(p.publisher.b, w.pk, KDHT_ID_LEN);
		p.has_sig = true;
		kdd_record_sign(&p.key, p.seq, true, value, sizeof(value), w.sk, p.sig);
		store_part(&p);
		ack = expect_ack();
		assert_int_equal(ack.status, KDD_ACK_STORED);
		assert_int_equal(ack.held_seq, i == 2 ? 41 : 0);
	}
}

/*
 * Decoding is proto3's with two exceptions: an unknown field is skipped,
 * but a second key (protobuf's last one wins, and the routing node took
 * the first) or a second record (protobuf would merge them) is refused.
 */
static void a_second_key_or_record_is_refused(void **state)
{
	static const uint8_t unknown[] = { 0x78, 0x01 };	/* field 15, varint 1 */
	static const uint8_t wrong_wire_type[] = { 0x12, 0x00 };	/* part_index as bytes */
	/* Store.record = { expiry_s = 7 } */
	static const uint8_t second_record[] = { 0x12, 0x02, 0x30, 0x07 };
	struct kdd_part p = part_of((const uint8_t *)"x", 1, 0);
	struct kdd_find f = { .key = p.key };
	uint8_t body[KDHT_MAX_BODY];
	size_t len = kdd_vmsg_encode_find(body, sizeof(body), &f);

	memcpy(body + len, unknown, sizeof(unknown));
	exchange(KDHT_MSG_FIND_VALUE, body, len + sizeof(unknown), 0);
	assert_int_equal(reply_type, KDHT_MSG_VALUE);
	/* The same body again, then field 1 naming another key. */
	memcpy(body + len, body, 2 + KDHT_ID_LEN);
	body[len + 2] ^= 1;
	exchange(KDHT_MSG_FIND_VALUE, body, len + 2 + KDHT_ID_LEN, 0);
	assert_int_equal(expect_error(), KDHT_ERR_MALFORMED);

	len = kdd_vmsg_encode_store(body, sizeof(body), &p);
	memcpy(body + len, body, 2 + KDHT_ID_LEN);
	body[len + 2] ^= 1;
	exchange(KDHT_MSG_STORE, body, len + 2 + KDHT_ID_LEN, 0);
	assert_int_equal(expect_error(), KDHT_ERR_MALFORMED);
	/* A known field of the wrong wire type. */
	len = kdd_vmsg_encode_find(body, sizeof(body), &f);
	memcpy(body + len, wrong_wire_type, sizeof(wrong_wire_type));
	exchange(KDHT_MSG_FIND_VALUE, body, len + sizeof(wrong_wire_type), 0);
	assert_int_equal(expect_error(), KDHT_ERR_MALFORMED);
	assert_int_equal(serve.counters[KDD_SERVE_MALFORMED], 3);
	/* A second record: refused, never merged into the first. */
	len = kdd_vmsg_encode_store(body, sizeof(body), &p);
	memcpy(body + len, second_record, sizeof(second_record));
	exchange(KDHT_MSG_STORE, body, len + sizeof(second_record), 0);
	assert_int_equal(expect_error(), KDHT_ERR_MALFORMED);
	assert_int_equal(serve.counters[KDD_SERVE_MALFORMED], 4);
	/* Without it, the same STORE is taken. */
	exchange(KDHT_MSG_STORE, body, len, 0);
	assert_int_equal(expect_ack().status, KDD_ACK_STORED);
}

static struct kdd_value find(const struct kdd_find *f, size_t pad_to)
{
	uint8_t body[KDHT_MAX_BODY];
	struct kdd_value v;
	void *keep;
	size_t len = kdd_vmsg_encode_find(body, sizeof(body), f);

	exchange(KDHT_MSG_FIND_VALUE, body, len, pad_to);
	assert_int_equal(reply_type, KDHT_MSG_VALUE);
	assert_int_equal(kdd_vmsg_decode_value(reply_body, reply_len, &v, &keep), 0);
	kdd_vmsg_free_value(keep);
	return v;
}

/*
 * A held part does not fit what an unvalidated asker may draw: it is told
 * so with a token, never left to time out, and its resent request is whole.
 */
static void a_part_too_big_for_the_budget_draws_a_token(void **state)
{
	static uint8_t value[KDD_PART_LEN];
	struct kdd_part part = part_of(value, sizeof(value), 0);
	struct kdd_find f = { .key = part.key };
	uint8_t body[KDHT_MAX_BODY];
	size_t len = kdd_vmsg_encode_find(body, sizeof(body), &f);
	struct kdd_value v;

	store_part(&part);
	assert_int_equal(expect_ack().status, KDD_ACK_STORED);
	make_stranger();
	swap_b();
	exchange(KDHT_MSG_FIND_VALUE, body, len, 0);
	assert_int_equal(expect_error(), KDHT_ERR_UNVALIDATED);
	v = find(&f, 0);
	assert_true(v.has_record);
	assert_int_equal(v.rec.len, sizeof(value));
	swap_b();
}

static bool a_routes_to_b(void)
{
	struct kd_node routes[KDHT_MAX_NODES];
	struct kdd_route info[KDHT_MAX_NODES];
	unsigned int i, n = a->ops->routes(a, routes, info, KDHT_MAX_NODES);

	for (i = 0; i < n; i++)
		if (kd_id_equal(&routes[i].id, &id_b))
			return true;
	return false;
}

/* `closer` never names the asker: it knows itself, and others need it. */
static void closer_leaves_out_the_requester(void **state)
{
	uint64_t deadline = uv_hrtime() + 5ull * 1000000000;
	struct kdd_find f;
	struct kdd_value v;
	unsigned int i;
	bool named_b = false;

	memset(f.key.b, 0x0b, sizeof(f.key.b));
	f.part = 0;
	f.min_seq = 0;
	f.want = 0;
	while (!a_routes_to_b() && uv_hrtime() < deadline)
		uv_run(&loop, UV_RUN_ONCE);
	assert_true(a_routes_to_b());
	v = find(&f, KDHT_MAX_DATAGRAM);
	assert_false(v.has_record);
	for (i = 0; i < v.nnodes; i++)
		assert_false(kd_id_equal(&v.nodes[i].id, &id_b));
	/* Another asker is told of B. */
	make_stranger();
	swap_b();
	validate(b);
	v = find(&f, KDHT_MAX_DATAGRAM);
	for (i = 0; i < v.nnodes; i++)
		named_b |= kd_id_equal(&v.nodes[i].id, &id_b);
	assert_true(named_b);
	swap_b();
}

/* Stores a one-part record of its own, told by tell, and returns the ack's status. */
static uint32_t store_small(uint8_t tell)
{
	static uint8_t values[256][6];
	struct kdd_part p;

	memcpy(values[tell], "quota", 5);
	values[tell][5] = tell;
	p = part_of(values[tell], sizeof(values[tell]), 0);

	store_part(&p);
	return expect_ack().status;
}

/*
 * A source prefix over its quota is refused, and another prefix still
 * stores; renewing what the first holds is not refused.
 */
static void a_source_over_its_quota_is_refused(void **state)
{
	struct kdd_quota_params qp = { .source_records = 2 };
	struct kdd_quota *q;

	assert_int_equal(kdd_quota_open(&q, store, &qp), 0);
	kdd_serve_set_quota(&serve, q, 3600);
	assert_int_equal(store_small(0x61), KDD_ACK_STORED);
	assert_int_equal(store_small(0x62), KDD_ACK_STORED);
	assert_int_equal(store_small(0x63), KDHT_ERR_STORAGE_FULL);
	assert_int_equal(serve.counters[KDD_SERVE_QUOTA_SOURCE], 1);
	assert_int_equal(store_small(0x61), KDD_ACK_STORED);
	/* 127.0.1.1 is in another /24. */
	make_stranger_at("127.0.1.1");
	swap_b();
	validate(b);
	assert_int_equal(store_small(0x63), KDD_ACK_STORED);
	assert_int_equal(store_small(0x64), KDD_ACK_STORED);
	assert_int_equal(store_small(0x65), KDHT_ERR_STORAGE_FULL);
	swap_b();
	kdd_serve_set_quota(&serve, NULL, 0);
	kdd_quota_close(q);
}

/* Nobody takes another owner's name: the key binds the name to its owner. */
static void a_squat_is_refused(void **state)
{
	struct writer alice, mallory;
	struct kdd_part p;

	crypto_sign_keypair(alice.pk, alice.sk);
	crypto_sign_keypair(mallory.pk, mallory.sk);
	/* Mallory's own signature, under the key of alice's name. */
	p = named_of(&mallory, alice.pk, "alice@example", "chat-evil.example:5222", 1);
	assert_int_equal(store_acked(&p).status, KDHT_ERR_BAD_KEY);
	assert_int_equal(serve.counters[KDD_SERVE_BAD_KEY], 1);
	/* The name's owner is then stored, and is what A serves. */
	p = named_of(&alice, alice.pk, "alice@example", "chat.example:5222", 1);
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	expect_held(&p.key, "chat.example:5222", 1);
	/* A higher seq of mallory's under alice's key is refused too. */
	p = named_of(&mallory, alice.pk, "alice@example", "chat-evil.example:5222", 7);
	assert_int_equal(store_acked(&p).status, KDHT_ERR_BAD_KEY);
	expect_held(&p.key, "chat.example:5222", 1);
}

/* An immutable record lives only under the hash of its bytes. */
static void an_immutable_record_must_hash_to_its_key(void **state)
{
	static uint8_t value[2000], other[2000];
	struct kdd_part p;
	struct kdd_ack ack;

	randombytes_buf(value, sizeof(value));
	p = part_of((const uint8_t *)"hello", 5, 0);
	p.key.b[5] ^= 1;
	assert_int_equal(store_acked(&p).status, KDHT_ERR_BAD_KEY);
	/* Parts of other bytes under a content key: refused once whole. */
	p = part_of(value, sizeof(value), 0);
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	memcpy(other, value, sizeof(value));
	other[1000] ^= 1;
	p = part_of(other, sizeof(other), 1);
	p.key = part_of(value, sizeof(value), 0).key;
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	p = part_of(value, sizeof(value), 2);
	ack = store_acked(&p);
	assert_int_equal(ack.status, KDHT_ERR_BAD_KEY);
	assert_int_equal(serve.counters[KDD_SERVE_BAD_KEY], 2);
	assert_int_equal(serve.counters[KDD_SERVE_STORED], 0);
}

/* One seq, one value: other bytes with the held seq are an equivocation. */
static void equivocation_is_refused(void **state)
{
	struct writer w;
	struct kdd_part p;

	crypto_sign_keypair(w.pk, w.sk);
	p = named_of(&w, w.pk, "bob", "server-1", 5);
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	p = named_of(&w, w.pk, "bob", "server-2", 5);
	expect_refused(&p, KDHT_ERR_CONFLICT, 5);
	assert_int_equal(serve.counters[KDD_SERVE_CONFLICT], 1);
	/* The same bytes again only renew it. */
	p = named_of(&w, w.pk, "bob", "server-1", 5);
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	expect_held(&p.key, "server-1", 5);
}

/* cas: stored only where the held seq is the one before. */
static void compare_and_swap_at_the_replica(void **state)
{
	struct writer w;
	struct kdd_part p;

	crypto_sign_keypair(w.pk, w.sk);
	p = named_of(&w, w.pk, "n", "first", 2);
	p.cas = true;
	expect_refused(&p, KDHT_ERR_CAS_MISMATCH, 0);
	p = named_of(&w, w.pk, "n", "first", 1);
	p.cas = true;
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	p = named_of(&w, w.pk, "n", "third", 3);
	p.cas = true;
	expect_refused(&p, KDHT_ERR_CAS_MISMATCH, 1);
	assert_int_equal(serve.counters[KDD_SERVE_CAS_MISMATCH], 2);
	p = named_of(&w, w.pk, "n", "second", 2);
	p.cas = true;
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	expect_held(&p.key, "second", 2);
}

/* A closed mesh: names derive from the mesh id, any member writes them by seq. */
static void closed_mesh_names_are_shared(void **state)
{
	static const uint8_t mesh_id[KDD_MESH_ID_LEN] = { 0x6d, 0x65, 0x73, 0x68 };
	struct writer one, two;
	struct kdd_part p;

	serve.mesh_id = mesh_id;
	crypto_sign_keypair(one.pk, one.sk);
	crypto_sign_keypair(two.pk, two.sk);
	p = named_of(&one, mesh_id, "carol", "server-a", 1);
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	p = named_of(&two, mesh_id, "carol", "server-b", 2);
	assert_int_equal(store_acked(&p).status, KDD_ACK_STORED);
	expect_held(&p.key, "server-b", 2);
	p = named_of(&one, mesh_id, "carol", "server-a", 1);
	assert_int_equal(store_acked(&p).status, KDHT_ERR_STALE);
	/* An owner-derived key is not a name of this mesh. */
	p = named_of(&one, one.pk, "carol", "server-a", 3);
	assert_int_equal(store_acked(&p).status, KDHT_ERR_BAD_KEY);
	serve.mesh_id = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(store_then_find, setup, teardown),
		cmocka_unit_test_setup_teardown(parts_reassemble, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_input_is_refused_and_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(an_unvalidated_store_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(a_flood_of_partials_evicts_only_its_own, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_part_too_big_for_the_budget_draws_a_token, setup,
						teardown),
		cmocka_unit_test_setup_teardown(closer_leaves_out_the_requester, setup, teardown),
		cmocka_unit_test_setup_teardown(held_seq_is_claimed_only_once_verified, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_second_key_or_record_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_source_over_its_quota_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_squat_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(an_immutable_record_must_hash_to_its_key, setup,
						teardown),
		cmocka_unit_test_setup_teardown(equivocation_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(compare_and_swap_at_the_replica, setup, teardown),
		cmocka_unit_test_setup_teardown(closed_mesh_names_are_shared, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
