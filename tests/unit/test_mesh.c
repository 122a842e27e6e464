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
#include "unit_cores.h"

static const u8 mesh_a[KD_SECRET_LEN] = "mesh A tag key!";
static const u8 mesh_b[KD_SECRET_LEN] = "mesh B tag key!";

/* Node i at 10.i+1.0.1 (one /24 each), in the mesh of tag_key (NULL: an open node). */
static void add_member(unsigned int i, const u8 *tag_key)
{
	struct kd_addr a;

	memset(&a, 0, sizeof(a));
	a.family = KDHT_AF_INET;
	a.port = 4650;
	a.ip[0] = 10;
	a.ip[1] = (u8)(i + 1);
	a.ip[3] = 1;
	add_node(i, a);
	kd_core_set_mesh_key(nodes[i].c, tag_key);
	assert_int_equal(kd_core_closed(nodes[i].c), tag_key != NULL);
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

/* Delivers everything, each datagram checked as the closed mesh of key sends it. */
static void deliver_tagged(const u8 *key)
{
	u8 tag[KDHT_TAG_LEN];

	while (qhead != qtail) {
		struct sent *s = &queue[qhead % UNIT_QUEUE_LEN];
		size_t plain = s->len - KDHT_TAG_LEN;

		assert_true(s->len <= KDHT_MAX_DATAGRAM);
		assert_true(s->data[KDHT_OFF_FLAGS] & KDHT_F_TAGGED);
		assert_int_equal(plain, KDHT_HDR_LEN + kd_get_be16(s->data + 6));
		kd_siphash128(key, s->data, plain, tag);
		assert_memory_equal(tag, s->data + plain, KDHT_TAG_LEN);
		assert_int_equal(deliver_one(), KD_R_OK);
	}
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
	add_member(0, mesh_a);
	add_member(1, mesh_a);
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

	add_member(0, mesh_a);
	for (i = 0; i < KD_ARRAY_SIZE(keys); i++) {
		add_member(1, keys[i]);
		assert_true(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 7) >= 0);
		assert_int_equal(qtail - qhead, 1);
		s = &queue[qhead % UNIT_QUEUE_LEN];
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
	add_member(0, NULL);
	add_member(1, mesh_a);
	assert_true(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 7) >= 0);
	assert_int_equal(deliver_one(), KD_R_BAD_TAG);
	assert_int_equal(qtail - qhead, 0);
	assert_int_equal(nodes[0].admits, 0);
}

/* Opening a closed node again: it speaks to open nodes, no tag left. */
static void test_key_cleared(void **state)
{
	add_member(0, NULL);
	add_member(1, mesh_a);
	kd_core_set_mesh_key(nodes[1].c, NULL);
	assert_false(kd_core_closed(nodes[1].c));
	assert_true(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 7) >= 0);
	assert_false(queue[qhead % UNIT_QUEUE_LEN].data[KDHT_OFF_FLAGS] & KDHT_F_TAGGED);
	assert_int_equal(deliver_one(), KD_R_OK);
	assert_int_equal(deliver_one(), KD_R_OK);
	assert_int_equal(nodes[1].pings_ok, 1);
}

/* A whole closed mesh bootstraps and looks up: every datagram tagged and within 1280 bytes. */
static void test_mesh_bootstraps_within_datagram(void **state)
{
	unsigned int i;

	for (i = 0; i < UNIT_NODES; i++)
		add_member(i, mesh_a);
	for (i = 1; i < UNIT_NODES; i++)
		assert_int_equal(kd_core_bootstrap(nodes[i].c, now, &nodes[0].addr), 0);
	deliver_tagged(mesh_a);
	for (i = 0; i < UNIT_NODES; i++) {
		assert_true(kd_core_lookup(nodes[i].c, now, &nodes[(i + 1) % UNIT_NODES].id, 1) >= 0);
		deliver_tagged(mesh_a);
		assert_int_equal(members(&nodes[i]), UNIT_NODES - 1);
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

	add_member(0, mesh_a);
	add_member(1, mesh_a);
	m.body_len = KDHT_MAX_TAGGED_PLAIN - KDHT_HDR_LEN;
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), 0);
	assert_int_equal(queue[qhead % UNIT_QUEUE_LEN].len, KDHT_MAX_DATAGRAM);
	m.body_len++;
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), -EMSGSIZE);
	m.body_len = 40;
	m.pad_to = KDHT_MAX_DATAGRAM;
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), 0);
	assert_int_equal(queue[(qhead + 1) % UNIT_QUEUE_LEN].len, KDHT_MAX_DATAGRAM);
	qhead = qtail;
}

/* The budget handed to the host for a member's request never counts the tag. */
static void test_reply_budget_leaves_room_for_tag(void **state)
{
	static u8 body[64];
	struct kd_value_msg m = { .type = KDHT_MSG_FIND_VALUE, .body = body,
				  .body_len = sizeof(body), .pad_to = KDHT_MAX_DATAGRAM };
	struct sent *s = &queue[qhead % UNIT_QUEUE_LEN];
	struct kd_input in;

	add_member(0, mesh_a);
	add_member(1, mesh_a);
	assert_int_equal(kd_core_send(nodes[0].c, &nodes[1].addr, &m, NULL), 0);
	assert_int_equal(kd_core_input(nodes[1].c, now, &s->from, s->data, s->len, &in),
			 KD_R_OK);
	assert_true(in.upcall);
	assert_int_equal(in.reply_budget, KDHT_MAX_TAGGED_PLAIN);
	assert_int_equal(in.body_len, sizeof(body));
}

/* A test on fresh cores. */
#define CORES_TEST(f) cmocka_unit_test_setup_teardown(f, unit_cores_reset, unit_cores_reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash128_matches_libsodium),
		cmocka_unit_test(test_constant_time_compare),
		CORES_TEST(test_members_answer_members),
		CORES_TEST(test_member_drops_untagged_and_wrongly_tagged),
		CORES_TEST(test_open_node_drops_tagged),
		CORES_TEST(test_key_cleared),
		CORES_TEST(test_mesh_bootstraps_within_datagram),
		CORES_TEST(test_value_message_budget),
		CORES_TEST(test_reply_budget_leaves_room_for_tag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
