// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Value messages through the core: kd_core_send() on one node, what it put
 * on the wire, and the key kd_core_input() finds in it on another.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kd_core.h"

struct peer {
	struct kd_core *c;
	void *mem;
	struct kd_addr addr;
	struct kd_id id;
	u8 sent[KDHT_MAX_DATAGRAM];	/* the last datagram it sent */
	size_t sent_len;
	unsigned int nsent;
};

static struct peer a, b;

static void on_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	struct peer *p = ctx;

	assert_true(len <= sizeof(p->sent));
	memcpy(p->sent, pkt, len);
	p->sent_len = len;
	p->nsent++;
}

static void peer_init(struct peer *p, u8 n)
{
	struct kd_io io = { .ctx = p, .send = on_send };
	struct kd_params params;
	u8 seed[32];
	size_t size;

	kd_params_default(&params);
	size = kd_core_memsize(&params);
	memset(p, 0, sizeof(*p));
	p->addr.family = KDHT_AF_INET;
	p->addr.port = 4650;
	p->addr.ip[0] = 10;
	p->addr.ip[3] = n;
	memset(p->id.b, n, sizeof(p->id.b));
	memset(seed, n, sizeof(seed));
	p->mem = malloc(size);
	assert_non_null(p->mem);
	assert_int_equal(kd_core_init(p->mem, size, &params, &p->id, seed, 1, &io, &p->c), 0);
}

static int setup(void **state)
{
	peer_init(&a, 1);
	peer_init(&b, 2);
	return 0;
}

static int teardown(void **state)
{
	free(a.mem);
	free(b.mem);
	return 0;
}

/* A body as the daemon writes it: field 1 (the key), then more fields. */
static size_t keyed_body(u8 *buf, const struct kd_id *key)
{
	buf[0] = 0x0a;
	buf[1] = KDHT_ID_LEN;
	memcpy(buf + 2, key->b, KDHT_ID_LEN);
	buf[2 + KDHT_ID_LEN] = 0x10;
	buf[3 + KDHT_ID_LEN] = 0x07;
	return 4 + KDHT_ID_LEN;
}

static void test_send_then_input_finds_key(void **state)
{
	struct kd_value_msg m = { .type = KDHT_MSG_STORE };
	u8 body[64];
	struct kd_input in;
	struct kd_id key;
	u32 txid = 0;

	memset(key.b, 0xab, sizeof(key.b));
	m.body = body;
	m.body_len = keyed_body(body, &key);
	assert_int_equal(kd_core_send(a.c, &b.addr, &m, &txid), 0);
	assert_int_equal(a.nsent, 1);
	assert_int_not_equal(txid, 0);

	assert_int_equal(kd_core_input(b.c, 2, &a.addr, a.sent, a.sent_len, &in), KD_R_OK);
	assert_true(in.upcall);
	assert_int_equal(in.hdr.type, KDHT_MSG_STORE);
	assert_int_equal(in.hdr.txid, txid);
	assert_memory_equal(in.hdr.sender.b, a.id.b, KDHT_ID_LEN);
	assert_int_equal(in.body_len, m.body_len);
	assert_memory_equal(in.body, body, m.body_len);
	assert_true(in.has_key);
	assert_memory_equal(in.key.b, key.b, KDHT_ID_LEN);
}

static void test_reply_keeps_txid_and_pads(void **state)
{
	struct kd_value_msg m = {
		.type = KDHT_MSG_VALUE, .flags = KDHT_F_REPLY, .txid = 0x01020304,
		.pad_to = 400,
	};
	u8 body[64];
	struct kd_input in;
	struct kd_id key;

	memset(key.b, 0x11, sizeof(key.b));
	m.body = body;
	m.body_len = keyed_body(body, &key);
	assert_int_equal(kd_core_send(a.c, &b.addr, &m, NULL), 0);
	assert_int_equal(a.sent_len, 400);
	assert_int_equal(kd_core_input(b.c, 2, &a.addr, a.sent, a.sent_len, &in), KD_R_OK);
	assert_int_equal(in.hdr.txid, 0x01020304);
	assert_true(in.hdr.flags & KDHT_F_PADDED);
	assert_int_equal(in.body_len, m.body_len);
	assert_true(in.has_key);
}

static void test_body_without_key(void **state)
{
	struct kd_value_msg m = { .type = KDHT_MSG_FIND_VALUE };
	u8 body[2 + KDHT_ID_LEN] = { 0x0a, KDHT_ID_LEN - 1 };
	struct kd_input in;

	m.body = body;
	m.body_len = sizeof(body);
	assert_int_equal(kd_core_send(a.c, &b.addr, &m, NULL), 0);
	assert_int_equal(kd_core_input(b.c, 2, &a.addr, a.sent, a.sent_len, &in), KD_R_OK);
	assert_true(in.upcall);
	assert_false(in.has_key);
}

static void test_too_large_sends_nothing(void **state)
{
	static u8 body[KDHT_MAX_DATAGRAM];
	struct kd_value_msg m = {
		.type = KDHT_MSG_STORE, .body = body, .body_len = sizeof(body),
	};
	unsigned int before = a.nsent;
	u32 txid = 7;

	assert_int_equal(kd_core_send(a.c, &b.addr, &m, &txid), -EMSGSIZE);
	assert_int_equal(a.nsent, before);
	assert_int_equal(txid, 7);
}

static void test_decode_key_bounds(void **state)
{
	u8 body[64];
	struct kd_id key, want;

	memset(want.b, 0x5c, sizeof(want.b));
	keyed_body(body, &want);
	assert_true(kd_decode_key(body, 2 + KDHT_ID_LEN, &key));
	assert_memory_equal(key.b, want.b, KDHT_ID_LEN);
	assert_false(kd_decode_key(body, 1 + KDHT_ID_LEN, &key));
	body[0] = 0x12;		/* field 2, bytes: not the key */
	assert_false(kd_decode_key(body, 2 + KDHT_ID_LEN, &key));
}

/* A STORE from a, as the daemon sends one, taken in by b. */
static void store_a_to_b(struct kd_input *in, u32 *txid)
{
	struct kd_value_msg m = { .type = KDHT_MSG_STORE };
	u8 body[64];
	struct kd_id key;

	memset(key.b, 0x42, sizeof(key.b));
	m.body = body;
	m.body_len = keyed_body(body, &key);
	*txid = 0;
	assert_int_equal(kd_core_send(a.c, &b.addr, &m, txid), 0);
	assert_int_equal(kd_core_input(b.c, 2, &a.addr, a.sent, a.sent_len, in), KD_R_OK);
}

/*
 * The token a value reply carries (an acknowledgement, or an ERROR refusing
 * an unvalidated STORE) validates the next STORE to that node.
 */
static void reply_token_validates(bool refuse, u8 clear_flags)
{
	struct kd_value_msg ack = { .type = KDHT_MSG_STORE_ACK, .flags = KDHT_F_REPLY };
	u8 body[64];
	struct kd_input in;
	struct kd_id key;
	u32 txid;

	store_a_to_b(&in, &txid);
	assert_false(in.validated);
	if (refuse) {
		kd_core_refuse(b.c, &a.addr, &in, KDHT_ERR_UNVALIDATED);
	} else {
		memset(key.b, 0x42, sizeof(key.b));
		ack.txid = txid;
		ack.body = body;
		ack.body_len = keyed_body(body, &key);
		assert_int_equal(kd_core_send(b.c, &a.addr, &ack, NULL), 0);
		b.sent[4] &= (u8)~clear_flags;	/* the header's flags */
	}
	assert_int_equal(kd_core_input(a.c, 3, &b.addr, b.sent, b.sent_len, &in), KD_R_OK);
	assert_true(in.upcall);
	store_a_to_b(&in, &txid);
	assert_true(in.validated);
}

static void test_ack_token_validates_next_store(void **state)
{
	reply_token_validates(false, 0);
}

/* A reply is told by its type: an ack without KDHT_F_REPLY is still one. */
static void test_unflagged_ack_is_a_reply(void **state)
{
	assert_false(kd_msg_is_request(KDHT_MSG_STORE_ACK, 0));
	assert_false(kd_msg_is_request(KDHT_MSG_VALUE, 0));
	assert_true(kd_msg_is_request(KDHT_MSG_STORE, KDHT_F_REPLY));
	assert_true(kd_msg_is_request(KDHT_MSG_FIND_VALUE, KDHT_F_REPLY));
	assert_true(kd_msg_is_request(0x20, 0));
	assert_false(kd_msg_is_request(0x20, KDHT_F_REPLY));
	reply_token_validates(false, KDHT_F_REPLY);
}

/*
 * A FIND_VALUE pays for its reply with padding while the requester holds
 * no token from the peer; once a reply brought one it goes unpadded.
 */
static void test_find_value_pads_only_without_token(void **state)
{
	struct kd_value_msg find = { .type = KDHT_MSG_FIND_VALUE, .pad_to = KDHT_MAX_DATAGRAM };
	struct kd_value_msg value = { .type = KDHT_MSG_VALUE, .flags = KDHT_F_REPLY };
	u8 body[64];
	struct kd_input in;
	struct kd_id key;

	memset(key.b, 0x33, sizeof(key.b));
	find.body = body;
	find.body_len = keyed_body(body, &key);
	value.body = body;
	value.body_len = find.body_len;
	assert_int_equal(kd_core_send(a.c, &b.addr, &find, &value.txid), 0);
	assert_int_equal(a.sent_len, KDHT_MAX_DATAGRAM);
	assert_int_equal(kd_core_input(b.c, 2, &a.addr, a.sent, a.sent_len, &in), KD_R_OK);
	assert_int_equal(kd_core_send(b.c, &a.addr, &value, NULL), 0);
	assert_int_equal(kd_core_input(a.c, 3, &b.addr, b.sent, b.sent_len, &in), KD_R_OK);
	assert_int_equal(kd_core_send(a.c, &b.addr, &find, NULL), 0);
	assert_int_equal(a.sent_len, KDHT_HDR_LEN + find.body_len);
	assert_int_equal(kd_core_input(b.c, 4, &a.addr, a.sent, a.sent_len, &in), KD_R_OK);
	assert_true(in.validated);
}

static void test_error_token_validates_next_store(void **state)
{
	reply_token_validates(true, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_send_then_input_finds_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_keeps_txid_and_pads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_without_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_large_sends_nothing, setup, teardown),
		cmocka_unit_test(test_decode_key_bounds),
		cmocka_unit_test_setup_teardown(test_ack_token_validates_next_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_token_validates_next_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unflagged_ack_is_a_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_value_pads_only_without_token, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
