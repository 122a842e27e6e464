// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The lookup state machine against scripted replies, failures and time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kd_lookup.h"

#define WIDTH 16

static struct kd_lookup_cand storage[WIDTH];
static struct kd_lookup lk;
static struct kd_id target;

/* A node whose distance to the zero target is d (in the last byte). */
static struct kd_node node_at(u8 d)
{
	struct kd_node n;

	memset(&n, 0, sizeof(n));
	n.id.b[KDHT_ID_LEN - 1] = d;
	n.addr.family = KDHT_AF_INET;
	n.addr.port = 4650;
	n.addr.ip[0] = 10;
	n.addr.ip[3] = d;
	return n;
}

static void start(u8 k, u8 alpha, u16 width)
{
	memset(&target, 0, sizeof(target));
	kd_lookup_init(&lk, storage, width, &target, k, alpha, 1000, 10000, 0);
}

static u8 dist(const struct kd_node *n)
{
	return n->id.b[KDHT_ID_LEN - 1];
}

/* Asks everything the lookup wants to ask now; returns how many. */
static unsigned int drain(u64 now, u8 *asked)
{
	struct kd_node n;
	unsigned int c = 0;

	while (kd_lookup_next(&lk, now, &n))
		asked[c++] = dist(&n);
	return c;
}

static void test_alpha_cap_and_order(void **state)
{
	u8 asked[WIDTH];
	unsigned int i;

	start(3, 2, WIDTH);
	for (i = 10; i > 4; i--) {
		struct kd_node n = node_at((u8)i);

		kd_lookup_seed(&lk, &n);
	}
	assert_int_equal(lk.ncand, 6);
	assert_int_equal(drain(0, asked), 2);
	assert_int_equal(asked[0], 5);
	assert_int_equal(asked[1], 6);
	assert_int_equal(lk.inflight, 2);
	assert_int_equal(drain(1, asked), 0);
}

static void test_converges_with_rounds(void **state)
{
	struct kd_node from, closer[2];
	struct kd_lookup_hit hits[8];
	u8 asked[WIDTH];

	start(2, 1, WIDTH);
	from = node_at(40);
	kd_lookup_seed(&lk, &from);
	assert_int_equal(drain(0, asked), 1);
	closer[0] = node_at(20);
	closer[1] = node_at(30);
	assert_int_equal(kd_lookup_on_reply(&lk, 5, &from, closer, 2), KD_LK_ACCEPTED);
	assert_false(kd_lookup_done(&lk));
	assert_int_equal(drain(5, asked), 1);
	assert_int_equal(asked[0], 20);

	from = node_at(20);
	closer[0] = node_at(3);
	assert_int_equal(kd_lookup_on_reply(&lk, 12, &from, closer, 1), KD_LK_ACCEPTED);
	assert_int_equal(drain(12, asked), 1);
	assert_int_equal(asked[0], 3);
	from = node_at(3);
	assert_int_equal(kd_lookup_on_reply(&lk, 20, &from, NULL, 0), KD_LK_ACCEPTED);
	/* The two closest that did not fail (3 and 20) have replied. */
	assert_true(kd_lookup_done(&lk));
	assert_false(lk.timed_out);
	assert_int_equal(lk.stats.rounds, 3);
	assert_int_equal(lk.stats.sent, 3);
	assert_int_equal(lk.stats.replies, 3);
	assert_int_equal(lk.stats.elapsed_ms, 20);
	assert_int_equal(kd_lookup_result(&lk, hits, 8), 2);
	assert_int_equal(dist(&hits[0].node), 3);
	assert_int_equal(hits[0].rtt_ms, 8);
	assert_int_equal(dist(&hits[1].node), 20);
	assert_int_equal(hits[1].rtt_ms, 7);
	/* 30 was never asked: the lookup stopped as soon as it had its k. */
	assert_int_equal(drain(21, asked), 0);
}

static void test_timeouts_fail_and_move_on(void **state)
{
	struct kd_node a = node_at(1), b = node_at(2);
	struct kd_lookup_hit hits[4];
	u8 asked[WIDTH];

	start(2, 1, WIDTH);
	kd_lookup_seed(&lk, &a);
	kd_lookup_seed(&lk, &b);
	assert_int_equal(drain(0, asked), 1);
	assert_int_equal(kd_lookup_next_due(&lk), 1000);
	kd_lookup_tick(&lk, 999);
	assert_int_equal(lk.inflight, 1);
	kd_lookup_tick(&lk, 1000);
	assert_int_equal(lk.inflight, 0);
	assert_int_equal(lk.stats.timeouts, 1);
	assert_int_equal(drain(1000, asked), 1);
	assert_int_equal(asked[0], 2);
	kd_lookup_on_failure(&lk, 1001, &b.id);
	/* Candidates exhausted: done, not timed out, nothing replied. */
	assert_true(kd_lookup_done(&lk));
	assert_false(lk.timed_out);
	assert_int_equal(lk.stats.timeouts, 2);
	assert_int_equal(kd_lookup_result(&lk, hits, 4), 0);
}

static void test_duplicates_unsolicited_late(void **state)
{
	struct kd_node a = node_at(1), b = node_at(2), stranger = node_at(99);
	u8 asked[WIDTH];

	start(2, 1, WIDTH);
	kd_lookup_seed(&lk, &a);
	kd_lookup_seed(&lk, &b);
	assert_int_equal(drain(0, asked), 1);
	assert_int_equal(kd_lookup_on_reply(&lk, 1, &stranger, NULL, 0), KD_LK_UNSOLICITED);
	/* b is a candidate but was never asked. */
	assert_int_equal(kd_lookup_on_reply(&lk, 1, &b, NULL, 0), KD_LK_UNSOLICITED);
	assert_int_equal(kd_lookup_on_reply(&lk, 2, &a, NULL, 0), KD_LK_ACCEPTED);
	assert_int_equal(kd_lookup_on_reply(&lk, 3, &a, NULL, 0), KD_LK_DUPLICATE);
	assert_int_equal(lk.stats.unsolicited, 2);
	assert_int_equal(lk.stats.duplicates, 1);
	assert_int_equal(drain(3, asked), 1);
	assert_int_equal(kd_lookup_on_reply(&lk, 4, &b, NULL, 0), KD_LK_ACCEPTED);
	assert_true(kd_lookup_done(&lk));
	assert_int_equal(kd_lookup_on_reply(&lk, 5, &b, NULL, 0), KD_LK_LATE);
	assert_int_equal(lk.stats.unsolicited, 3);
	assert_int_equal(lk.stats.replies, 2);
}

static void test_width_cap_keeps_closest(void **state)
{
	struct kd_node from = node_at(200), many[10];
	u8 asked[WIDTH];
	unsigned int i;

	start(4, 1, 4);
	kd_lookup_seed(&lk, &from);
	assert_int_equal(drain(0, asked), 1);
	for (i = 0; i < 10; i++)
		many[i] = node_at((u8)(100 - i * 10));
	assert_int_equal(kd_lookup_on_reply(&lk, 1, &from, many, 10), KD_LK_ACCEPTED);
	assert_int_equal(lk.ncand, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(dist(&lk.cand[i].node), 10 + i * 10);
	/* The node that replied was pushed out; nothing in flight is lost. */
	assert_int_equal(lk.inflight, 0);
	for (i = 1; i < lk.ncand; i++)
		assert_true(kd_id_cmp_distance(&target, &lk.cand[i - 1].node.id,
					       &lk.cand[i].node.id) < 0);
	/* Farther nodes are ignored when the list is full of closer ones. */
	many[0] = node_at(250);
	kd_lookup_seed(&lk, &many[0]);
	assert_int_equal(lk.ncand, 4);
	assert_int_equal(dist(&lk.cand[3].node), 40);
}

static void test_deadline(void **state)
{
	struct kd_node a = node_at(1), b = node_at(2);
	u8 asked[WIDTH];

	start(2, 1, WIDTH);
	kd_lookup_seed(&lk, &a);
	kd_lookup_seed(&lk, &b);
	assert_int_equal(drain(0, asked), 1);
	kd_lookup_on_reply(&lk, 500, &a, &b, 1);
	assert_int_equal(drain(9000, asked), 1);
	kd_lookup_tick(&lk, 10000);
	assert_true(kd_lookup_done(&lk));
	assert_true(lk.timed_out);
	assert_int_equal(lk.stats.elapsed_ms, 10000);
	assert_int_equal(kd_lookup_next_due(&lk), (u64)-1);
	/* Done is sticky. */
	kd_lookup_on_failure(&lk, 10001, &b.id);
	kd_lookup_tick(&lk, 20000);
	assert_true(kd_lookup_done(&lk));
	assert_int_equal(drain(20000, asked), 0);
}

static void test_empty_lookup_finishes(void **state)
{
	u8 asked[WIDTH];

	start(2, 1, WIDTH);
	assert_int_equal(drain(0, asked), 0);
	assert_true(kd_lookup_done(&lk));
	assert_false(lk.timed_out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alpha_cap_and_order),
		cmocka_unit_test(test_converges_with_rounds),
		cmocka_unit_test(test_timeouts_fail_and_move_on),
		cmocka_unit_test(test_duplicates_unsolicited_late),
		cmocka_unit_test(test_width_cap_keeps_closest),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_empty_lookup_finishes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
