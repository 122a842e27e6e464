// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The closed mesh: SipHash-2-4-128 against libsodium's, and cores that tag
 * what they send, drop what carries no valid tag before anything else looks
 * at it, never answer the other kind of node, and stay within a datagram
 * with the tag on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <sodium.h>

#include "kd_core.h"
#include "kd_siphash.h"

#define NODES		4
#define QUEUE_LEN	512

struct sent {
	struct kd_addr from, to;
	size_t len;
	u8 data[KDHT_MAX_DATAGRAM];
};

struct node {
	struct kd_core *c;
	void *mem;
	struct kd_addr addr;
	struct kd_id id;
	unsigned int admits;	/* io->admit calls: the limiter was reached */
	unsigned int pings_ok;
};

static struct node nodes[NODES];
static struct sent queue[QUEUE_LEN];
static unsigned int qhead, qtail;
static u64 now;
static struct kd_params params;
static const u8 mesh_a[KD_SECRET_LEN] = "mesh A tag key!";
static const u8 mesh_b[KD_SECRET_LEN] = "mesh B tag key!";

static void on_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	struct node *n = ctx;
	struct sent *s;

	assert_true(len <= KDHT_MAX_DATAGRAM);
	assert_true(qtail - qhead < QUEUE_LEN);
	s = &queue[qtail++ % QUEUE_LEN];
	s->from = n->addr;
	s->to = *to;
	s->len = len;
	memcpy(s->data, pkt, len);
}

static void on_event(void *ctx, const struct kd_event *ev)
{
	struct node *n = ctx;

	if (ev->type == KD_EV_PING_DONE && ev->ok)
		n->pings_ok++;
}

static bool on_admit(void *ctx, u64 t, const struct kd_addr *from, bool proven)
{
	struct node *n = ctx;

	n->admits++;
	return true;
}

/* Node i at 10.i+1.0.1 (one /24 each), in the mesh of tag_key (NULL: an open node). */
static void add_node(unsigned int i, const u8 *tag_key)
{
	struct node *n = &nodes[i];
	struct kd_io io = { .ctx = n, .send = on_send, .event = on_event,
			    .admit = on_admit };
	size_t size = kd_core_memsize(&params);
	u8 seed[32];

	memset(n, 0, sizeof(*n));
	n->addr.family = KDHT_AF_INET;
	n->addr.port = 4650;
	n->addr.ip[0] = 10;
	n->addr.ip[1] = (u8)(i + 1);
	n->addr.ip[3] = 1;
	memset(n->id.b, 0x11 * (i + 1), KDHT_ID_LEN);
	memset(seed, (int)i + 1, sizeof(seed));
	n->mem = malloc(size);
	assert_non_null(n->mem);
	assert_int_equal(kd_core_init(n->mem, size, &params, &n->id, seed, now, &io, &n->c), 0);
	kd_core_set_mesh_key(n->c, tag_key);
	assert_int_equal(kd_core_closed(n->c), tag_key != NULL);
}

static unsigned int members(struct node *n)
{
	struct kd_table *t = kd_core_table(n->c);
	unsigned int count = 0;
	u32 cursor = 0;

	while (kd_table_iter(t, &cursor))
		count++;
	return count;
}

static struct node *node_at(const struct kd_addr *a)
{
	unsigned int i;

	for (i = 0; i < NODES; i++)
		if (nodes[i].c && kd_addr_equal(&nodes[i].addr, a))
			return &nodes[i];
	return NULL;
}

/* Delivers the oldest queued datagram; returns kd_core_input()'s verdict. */
static int deliver_one(void)
{
	struct sent *s = &queue[qhead++ % QUEUE_LEN];
	struct kd_input in;

	assert_non_null(node_at(&s->to));
	return kd_core_input(node_at(&s->to)->c, now, &s->from, s->data, s->len, &in);
}

/* Delivers everything, each datagram checked as the closed mesh of key sends it. */
static void deliver_tagged(const u8 *key)
{
	u8 tag[KDHT_TAG_LEN];

	while (qhead != qtail) {
		struct sent *s = &queue[qhead % QUEUE_LEN];
		size_t plain = s->len - KDHT_TAG_LEN;

		assert_true(s->len <= KDHT_MAX_DATAGRAM);
		assert_true(s->data[KDHT_OFF_FLAGS] & KDHT_F_TAGGED);
		assert_int_equal(plain, KDHT_HDR_LEN + kd_get_be16(s->data + 6));
		kd_siphash128(key, s->data, plain, tag);
		assert_memory_equal(tag, s->data + plain, KDHT_TAG_LEN);
		assert_int_equal(deliver_one(), KD_R_OK);
	}
}

static int setup(void **state)
{
	unsigned int i;

	for (i = 0; i < NODES; i++)
		free(nodes[i].mem);
	memset(nodes, 0, sizeof(nodes));
	qhead = qtail = 0;
	now = 1000;
	kd_params_default(&params);
	return 0;
}

static int teardown(void **state)
{
	return setup(state);
}

static void test_siphash128_matches_libsodium(void **state)
{
	u8 key[KD_SECRET_LEN], data[200], ours[KD_SIPHASH128_LEN];
	u8 theirs[crypto_shorthash_siphashx24_BYTES];
	size_t len;

	assert_true(sodium_init() >= 0);
	assert_int_equal(sizeof(theirs), KD_SIPHASH128_LEN);
	for (len = 0; len <= sizeof(data); len++) {
		randombytes_buf(key, sizeof(key));
		randombytes_buf(data, sizeof(data));
		kd_siphash128(key, data, len, ours);
		assert_int_equal(crypto_shorthash_siphashx24(theirs, data, len, key), 0);
		assert_memory_equal(ours, theirs, sizeof(ours));
	}
}

static void test_constant_time_compare(void **state)
{
	const u8 a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2, 3, 5 };

	assert_true(kd_equal_ct(a, a, sizeof(a)));
	assert_false(kd_equal_ct(a, b, sizeof(a)));
	assert_true(kd_equal_ct(a, b, 3));
}

/* Members ping each other: tagged both ways, answered. */
static void test_members_answer_members(void **state)
{
	add_node(0, mesh_a);
	add_node(1, mesh_a);
	assert_true(kd_core_ping(nodes[0].c, now, &nodes[1].addr, 7) >= 0);
	deliver_tagged(mesh_a);
	assert_int_equal(nodes[0].pings_ok, 1);
}

/*
 * Each datagram a member must drop: an open node's, another mesh's, and a
 * member's own with one bit flipped. Dropped before the limiter, no reply.
 */
static void test_member_drops_untagged_and_wrongly_tagged(void **state)
{
	static const u8 *const keys[] = { NULL, mesh_b, mesh_a };
	struct sent *s;
	unsigned int i;

	add_node(0, mesh_a);
	for (i = 0; i < KD_ARRAY_SIZE(keys); i++) {
		add_node(1, keys[i]);
		assert_true(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 7) >= 0);
		assert_int_equal(qtail - qhead, 1);
		s = &queue[qhead % QUEUE_LEN];
		if (keys[i] == mesh_a)
			s->data[KDHT_HDR_LEN + 1] ^= 0x01;
		assert_int_equal(deliver_one(), KD_R_BAD_TAG);
		assert_int_equal(qtail - qhead, 0);
		assert_int_equal(nodes[0].admits, 0);
		free(nodes[1].mem);
	}
	nodes[1].mem = NULL;
	assert_int_equal(members(&nodes[0]), 0);
}

static void test_open_node_drops_tagged(void **state)
{
	add_node(0, NULL);
	add_node(1, mesh_a);
	assert_true(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 7) >= 0);
	assert_int_equal(deliver_one(), KD_R_BAD_TAG);
	assert_int_equal(qtail - qhead, 0);
	assert_int_equal(nodes[0].admits, 0);
}

/* Opening a closed node again: it speaks to open nodes, no tag left. */
static void test_key_cleared(void **state)
{
	add_node(0, NULL);
	add_node(1, mesh_a);
	kd_core_set_mesh_key(nodes[1].c, NULL);
	assert_false(kd_core_closed(nodes[1].c));
	assert_true(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 7) >= 0);
	assert_false(queue[qhead % QUEUE_LEN].data[KDHT_OFF_FLAGS] & KDHT_F_TAGGED);
	assert_int_equal(deliver_one(), KD_R_OK);
	assert_int_equal(deliver_one(), KD_R_OK);
	assert_int_equal(nodes[1].pings_ok, 1);
}

/* A whole closed mesh bootstraps and looks up: every datagram tagged and within 1280 bytes. */
static void test_mesh_bootstraps_within_datagram(void **state)
{
	unsigned int i;

	for (i = 0; i < NODES; i++)
		add_node(i, mesh_a);
	for (i = 1; i < NODES; i++)
		assert_int_equal(kd_core_bootstrap(nodes[i].c, now, &nodes[0].addr), 0);
	deliver_tagged(mesh_a);
	for (i = 0; i < NODES; i++) {
		assert_true(kd_core_lookup(nodes[i].c, now, &nodes[(i + 1) % NODES].id, 1) >= 0);
		deliver_tagged(mesh_a);
		assert_int_equal(members(&nodes[i]), NODES - 1);
	}
}

/*
 * A value message keeps the tag's room: the largest body fits exactly
 * 1280 bytes with its tag, one more byte does not, and padding asked to a
 * full datagram stops where the tag begins.
 */
static void test_value_message_budget(void **state)
{
	static u8 body[KDHT_MAX_BODY];
	struct kd_value_msg m = { .type = KDHT_MSG_FIND_VALUE, .body = body };

	add_node(0, mesh_a);
	add_node(1, mesh_a);
	m.body_len = KDHT_MAX_TAGGED_PLAIN - KDHT_HDR_LEN;
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), 0);
	assert_int_equal(queue[qhead % QUEUE_LEN].len, KDHT_MAX_DATAGRAM);
	m.body_len++;
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), -EMSGSIZE);
	m.body_len = 40;
	m.pad_to = KDHT_MAX_DATAGRAM;
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), 0);
	assert_int_equal(queue[(qhead + 1) % QUEUE_LEN].len, KDHT_MAX_DATAGRAM);
	qhead = qtail;
}

/* The budget handed to the host for a member's request never counts the tag. */
static void test_reply_budget_leaves_room_for_tag(void **state)
{
	static u8 body[64];
	struct kd_value_msg m = { .type = KDHT_MSG_FIND_VALUE, .body = body,
				  .body_len = sizeof(body), .pad_to = KDHT_MAX_DATAGRAM };
	struct sent *s = &queue[qhead % QUEUE_LEN];
	struct kd_input in;

	add_node(0, mesh_a);
	add_node(1, mesh_a);
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), 0);
	assert_int_equal(kd_core_input(nodes[1].c, now, &s->from, s->data, s->len, &in),
			 KD_R_OK);
	assert_true(in.upcall);
	assert_int_equal(in.reply_budget, KDHT_MAX_TAGGED_PLAIN);
	assert_int_equal(in.body_len, sizeof(body));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash128_matches_libsodium),
		cmocka_unit_test(test_constant_time_compare),
		cmocka_unit_test_setup_teardown(test_members_answer_members, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_drops_untagged_and_wrongly_tagged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_node_drops_tagged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_cleared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mesh_bootstraps_within_datagram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_value_message_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_budget_leaves_room_for_tag, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
