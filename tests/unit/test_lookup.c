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
static u8 retries;		/* for the next start(): 0 unless a test says */

/* A node at 10.0.d.1, its own /24, whose distance to the zero target is d (in the last byte). */
static struct kd_node node_at(u8 d)
{
	struct kd_node n;

	memset(&n, 0, sizeof(n));
	n.id.b[KDHT_ID_LEN - 1] = d;
	n.addr.family = KDHT_AF_INET;
	n.addr.port = 4650;
	n.addr.ip[0] = 10;
	n.addr.ip[2] = d;
	n.addr.ip[3] = 1;
	return n;
}

static void start(u8 k, u8 alpha, u16 width)
{
	memset(&target, 0, sizeof(target));
	kd_lookup_init(&lk, storage, width, &target, k, alpha, retries, 1000, 10000, 0);
	retries = 0;
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
	for (i = 0; i < 3; i++)
		assert_int_equal(dist(&lk.cand[i].node), 10 + i * 10);
	/* The node that replied keeps its slot. */
	assert_int_equal(dist(&lk.cand[3].node), 200);
	assert_int_equal(lk.cand[3].state, KD_CAND_REPLIED);
	assert_int_equal(lk.inflight, 0);
	for (i = 1; i < lk.ncand; i++)
		assert_true(kd_id_cmp_distance(&target, &lk.cand[i - 1].node.id,
					       &lk.cand[i].node.id) < 0);
	/* Farther nodes are ignored when the list is full of closer ones. */
	many[0] = node_at(250);
	kd_lookup_seed(&lk, &many[0]);
	assert_int_equal(lk.ncand, 4);
	assert_int_equal(dist(&lk.cand[3].node), 200);
}

/* A full list gives up its farthest failed slot first, then a farther new one. */
static void test_eviction_order(void **state)
{
	struct kd_node n;
	u8 asked[WIDTH];
	unsigned int i;

	start(4, 1, 4);
	for (i = 1; i <= 4; i++) {
		n = node_at((u8)(i * 10));
		kd_lookup_seed(&lk, &n);
	}
	assert_int_equal(drain(0, asked), 1);
	n = node_at(10);
	kd_lookup_on_failure(&lk, 1, &n.id);
	/* 10 failed: it goes, though closer than the newcomer and 40. */
	n = node_at(25);
	kd_lookup_seed(&lk, &n);
	assert_int_equal(lk.ncand, 4);
	assert_int_equal(dist(&lk.cand[0].node), 20);
	assert_int_equal(dist(&lk.cand[1].node), 25);
	assert_int_equal(dist(&lk.cand[3].node), 40);
	/* No failed one: the farthest new one farther than the newcomer. */
	n = node_at(5);
	kd_lookup_seed(&lk, &n);
	assert_int_equal(dist(&lk.cand[0].node), 5);
	assert_int_equal(dist(&lk.cand[3].node), 30);
	/* The asked 20 and the new ones all closer: the newcomer is dropped. */
	assert_int_equal(drain(1, asked), 1);
	assert_int_equal(asked[0], 5);
	n = node_at(35);
	kd_lookup_seed(&lk, &n);
	assert_int_equal(dist(&lk.cand[3].node), 30);
	for (i = 1; i < lk.ncand; i++)
		assert_true(kd_id_cmp_distance(&target, &lk.cand[i - 1].node.id,
					       &lk.cand[i].node.id) < 0);
}

/*
 * Three real nodes reply, two of them with 20 fake ids each, all closer than
 * any real node; the fakes never answer. The real nodes must remain.
 */
static void test_hostile_fakes_keep_replied(void **state)
{
	static struct kd_lookup_cand big[32];
	struct kd_node real[3], fake[20], n;
	struct kd_lookup_hit hits[20];
	unsigned int i, j, c;
	u8 asked[32];
	u64 now = 0;

	memset(&target, 0, sizeof(target));
	kd_lookup_init(&lk, big, 32, &target, 20, 3, 0, 1000, 30000, 0);
	for (i = 0; i < 3; i++) {
		real[i] = node_at((u8)(200 + i * 10));
		kd_lookup_seed(&lk, &real[i]);
	}
	assert_int_equal(drain(now, asked), 3);
	assert_int_equal(kd_lookup_on_reply(&lk, 1, &real[2], NULL, 0), KD_LK_ACCEPTED);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 20; j++)
			fake[j] = node_at((u8)(1 + i * 20 + j));
		assert_int_equal(kd_lookup_on_reply(&lk, 2, &real[i], fake, 20),
				 KD_LK_ACCEPTED);
	}
	for (now = 3; !kd_lookup_done(&lk) && now < 1000; now++) {
		c = drain(now, asked);
		for (j = 0; j < c; j++) {
			n = node_at(asked[j]);
			kd_lookup_on_failure(&lk, now, &n.id);
		}
	}
	assert_true(kd_lookup_done(&lk));
	assert_false(lk.timed_out);
	assert_int_equal(kd_lookup_result(&lk, hits, 20), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(dist(&hits[i].node), 200 + i * 10);
}

/*
 * With one retry allowed, a lookup (k, alpha) seeded with a and b sends its
 * first alpha requests, which time out at 1000 ms: a, the closest, is then
 * due for its retry.
 */
static void first_tries_time_out(u8 k, u8 alpha, const struct kd_node *a,
				 const struct kd_node *b, u8 *asked)
{
	retries = 1;
	start(k, alpha, WIDTH);
	kd_lookup_seed(&lk, a);
	kd_lookup_seed(&lk, b);
	assert_int_equal(drain(0, asked), alpha);
	kd_lookup_tick(&lk, 1000);
	assert_int_equal(lk.stats.timeouts, alpha);
	assert_int_equal(lk.cand[0].state, KD_CAND_RETRY);
}

/* A timed-out request is sent once more before the candidate fails. */
static void test_timeout_retried_once(void **state)
{
	struct kd_node a = node_at(1), b = node_at(2);
	struct kd_lookup_hit hits[4];
	u8 asked[WIDTH];

	first_tries_time_out(2, 1, &a, &b, asked);
	/* a again, holding no place, and b, never asked, in the place a left. */
	assert_int_equal(drain(1000, asked), 2);
	assert_int_equal(asked[0], 1);
	assert_int_equal(asked[1], 2);
	assert_int_equal(lk.inflight, 1);
	assert_int_equal(lk.stats.sent, 3);
	/* Through the caller's own timer: b is retried, then replies. */
	assert_true(kd_lookup_on_timeout(&lk, 1500, &b.id));
	assert_false(kd_lookup_on_timeout(&lk, 1500, &b.id));
	assert_int_equal(drain(1500, asked), 1);
	assert_int_equal(asked[0], 2);
	assert_int_equal(kd_lookup_on_reply(&lk, 1600, &b, NULL, 0), KD_LK_ACCEPTED);
	assert_false(kd_lookup_done(&lk));
	/* a's resend times out in turn: a fails, and the lookup is done. */
	assert_true(kd_lookup_next_due(&lk) == 2000);
	kd_lookup_tick(&lk, 2000);
	assert_int_equal(lk.cand[0].state, KD_CAND_FAILED);
	assert_true(kd_lookup_done(&lk));
	assert_int_equal(lk.stats.sent, 4);
	assert_int_equal(lk.stats.timeouts, 3);
	assert_int_equal(lk.inflight, 0);
	assert_int_equal(kd_lookup_result(&lk, hits, 4), 1);
	assert_int_equal(dist(&hits[0].node), 2);
	assert_int_equal(hits[0].rtt_ms, 100);
}

/* Only the k closest live candidates are retried; a reply to either try counts. */
static void test_retry_within_k(void **state)
{
	struct kd_node a = node_at(1), b = node_at(2);
	u8 asked[WIDTH];

	first_tries_time_out(1, 2, &a, &b, asked);
	assert_int_equal(lk.cand[1].state, KD_CAND_FAILED);
	/* The first attempt's answer, late, before the resend goes out. */
	assert_int_equal(kd_lookup_on_reply(&lk, 1001, &a, NULL, 0), KD_LK_ACCEPTED);
	assert_true(kd_lookup_done(&lk));
	assert_int_equal(lk.inflight, 0);
	assert_int_equal(lk.stats.sent, 2);
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

/* A Sybil at 10.66.66.d: all of them share one /24; distance d to the zero target. */
static struct kd_node sybil_at(u8 d)
{
	struct kd_node n = node_at(d);

	n.addr.ip[1] = 66;
	n.addr.ip[2] = 66;
	n.addr.ip[3] = d;
	return n;
}

#define SYBILS		50	/* distances 1..50, closer than any honest node */
#define HONEST_BASE	100	/* honest nodes at distances 100..139 */
#define HONEST		40

/*
 * What a node at distance d answers: a Sybil the 20 Sybils closest to the
 * target, an honest node 5 Sybils (its table holds some) and every honest node.
 */
static unsigned int sybil_world_reply(u8 d, struct kd_node *out)
{
	unsigned int i, n = 0;

	if (d <= SYBILS) {
		for (i = 1; i <= 20; i++)
			out[n++] = sybil_at((u8)i);
		return n;
	}
	for (i = 1; i <= 5; i++)
		out[n++] = sybil_at((u8)i);
	for (i = 0; i < HONEST; i++)
		out[n++] = node_at((u8)(HONEST_BASE + i));
	return n;
}

/*
 * 50 Sybils of one /24 hold the region next to the key and answer with each
 * other. The lookup takes 2 of them and keeps asking until 18 honest nodes
 * have replied: the result is 2 Sybils and the 18 closest honest nodes.
 */
static void test_sybil_subnet_held_to_two(void **state)
{
	static struct kd_lookup_cand big[64];
	struct kd_node reply[64], n;
	struct kd_lookup_hit hits[20];
	unsigned int i, j, c, sybils = 0;
	u8 asked[64];
	u64 now;

	memset(&target, 0, sizeof(target));
	kd_lookup_init(&lk, big, 64, &target, 20, 3, 0, 1000, 30000, 0);
	n = sybil_at(SYBILS);
	kd_lookup_seed(&lk, &n);
	for (i = HONEST - 10; i < HONEST; i++) {
		n = node_at((u8)(HONEST_BASE + i));
		kd_lookup_seed(&lk, &n);
	}
	for (now = 1; !kd_lookup_done(&lk) && now < 1000; now++) {
		c = drain(now, asked);
		for (j = 0; j < c; j++) {
			n = asked[j] <= SYBILS ? sybil_at(asked[j]) : node_at(asked[j]);
			kd_lookup_on_reply(&lk, now, &n, reply, sybil_world_reply(asked[j], reply));
		}
	}
	assert_true(kd_lookup_done(&lk));
	assert_false(lk.timed_out);
	assert_int_equal(kd_lookup_result(&lk, hits, 20), 20);
	for (i = 0; i < 20; i++)
		sybils += dist(&hits[i].node) <= SYBILS;
	assert_int_equal(sybils, 2);
	assert_int_equal(dist(&hits[0].node), 1);
	assert_int_equal(dist(&hits[1].node), 2);
	for (i = 2; i < 20; i++)
		assert_int_equal(dist(&hits[i].node), HONEST_BASE + i - 2);
}

/*
 * A list full of never-asked honest candidates gets a reply of 50 closer
 * Sybils of one /24, closest first or farthest first: only 2 of them stay,
 * and only 2 honest candidates (the farthest) give up their slots.
 */
static void test_subnet_flood_keeps_diverse_candidates(void **state)
{
	struct kd_node from, flood[SYBILS];
	unsigned int order, i, sybils;
	u8 asked[WIDTH];

	for (order = 0; order < 2; order++) {
		start(WIDTH - 3, 3, WIDTH);
		for (i = 0; i < WIDTH; i++) {
			from = node_at((u8)(HONEST_BASE + i));
			kd_lookup_seed(&lk, &from);
		}
		assert_int_equal(drain(0, asked), 3);
		for (i = 0; i < SYBILS; i++)
			flood[i] = sybil_at((u8)(order ? SYBILS - i : 1 + i));
		from = node_at(HONEST_BASE);
		assert_int_equal(kd_lookup_on_reply(&lk, 1, &from, flood, SYBILS),
				 KD_LK_ACCEPTED);
		assert_int_equal(lk.ncand, WIDTH);
		for (i = 0, sybils = 0; i < lk.ncand; i++)
			sybils += dist(&lk.cand[i].node) <= SYBILS;
		assert_int_equal(sybils, 2);
		assert_int_equal(dist(&lk.cand[0].node), 1);
		assert_int_equal(dist(&lk.cand[1].node), 2);
		assert_int_equal(dist(&lk.cand[WIDTH - 1].node), HONEST_BASE + WIDTH - 3);
	}
}

/*
 * Asks what the lookup wants to ask now, each request expected within
 * expect_ms and timing out after timeout_ms; returns how many.
 */
static unsigned int drain_timed(u64 now, u8 *asked, u32 expect_ms, u32 timeout_ms)
{
	struct kd_node n;
	unsigned int c = 0;

	while (kd_lookup_next(&lk, now, &n)) {
		kd_lookup_set_timing(&lk, &n.id, expect_ms, timeout_ms);
		asked[c++] = dist(&n);
	}
	return c;
}

/* Seeds the nodes at distances 1..last. */
static void seed_1_to(u8 last)
{
	struct kd_node n;
	u8 d;

	for (d = 1; d <= last; d++) {
		n = node_at(d);
		kd_lookup_seed(&lk, &n);
	}
}

/* The node at distance d answers, with no nodes, at now. */
static enum kd_lookup_reply reply_from(u8 d, u64 now)
{
	struct kd_node n = node_at(d);

	return kd_lookup_on_reply(&lk, now, &n, NULL, 0);
}

/*
 * k = 2, alpha = 2, seeds 1..last, each request expected within expect_ms
 * and timing out after timeout_ms: 1 and 2 are asked, 1 stays silent and 2
 * answers at t, and 3 is asked then.
 */
static void first_of_two_silent(u8 last, u64 t, u32 expect_ms, u32 timeout_ms)
{
	u8 asked[WIDTH];

	start(2, 2, WIDTH);
	seed_1_to(last);
	assert_int_equal(drain_timed(0, asked, expect_ms, timeout_ms), 2);
	assert_int_equal(reply_from(2, t), KD_LK_ACCEPTED);
	assert_int_equal(drain_timed(t, asked, expect_ms, timeout_ms), 1);
	assert_int_equal(asked[0], 3);
}

static void test_slow_request_frees_its_place(void **state)
{
	struct kd_lookup_hit hits[4];
	u8 asked[WIDTH];

	first_of_two_silent(4, 60, 100, 400);
	/* Past its expected round trip 1 is slow: 4 is asked, long before 1 times out. */
	assert_true(kd_lookup_next_due(&lk) == 100);
	kd_lookup_tick(&lk, 100);
	assert_int_equal(lk.stats.slow, 1);
	assert_int_equal(lk.stats.timeouts, 0);
	assert_int_equal(drain_timed(100, asked, 100, 400), 1);
	assert_int_equal(asked[0], 4);
	assert_int_equal(lk.inflight, 2);
	/* No more than alpha requests that are not slow. */
	assert_int_equal(drain_timed(100, asked, 100, 400), 0);
	/* 1's late reply is still used: it is the closest in the result. */
	assert_int_equal(reply_from(1, 150), KD_LK_ACCEPTED);
	assert_int_equal(lk.inflight, 2);
	assert_true(kd_lookup_done(&lk));
	assert_int_equal(kd_lookup_result(&lk, hits, 4), 2);
	assert_int_equal(dist(&hits[0].node), 1);
	assert_int_equal(hits[0].rtt_ms, 150);
	assert_int_equal(dist(&hits[1].node), 2);
}

static void test_silent_contact_times_out_on_its_own_timeout(void **state)
{
	first_of_two_silent(3, 30, 50, 200);
	assert_int_equal(reply_from(3, 60), KD_LK_ACCEPTED);
	kd_lookup_tick(&lk, 60);
	/* Only the silent 1 is left among the k closest: its timeout, not the lookup's. */
	assert_false(kd_lookup_done(&lk));
	assert_true(kd_lookup_next_due(&lk) == 200);
	kd_lookup_tick(&lk, 200);
	assert_true(kd_lookup_done(&lk));
	assert_false(lk.timed_out);
	assert_int_equal(lk.stats.elapsed_ms, 200);
	assert_int_equal(lk.inflight, 0);
}

static void test_resend_waits_one_round_trip(void **state)
{
	u8 asked[WIDTH];

	retries = 1;
	start(2, 1, WIDTH);
	seed_1_to(3);
	assert_int_equal(drain_timed(0, asked, 100, 400), 1);
	/* The silent 1 is slow: 2 is asked, then 3. */
	kd_lookup_tick(&lk, 100);
	assert_int_equal(drain_timed(100, asked, 100, 400), 1);
	assert_int_equal(asked[0], 2);
	assert_int_equal(reply_from(2, 150), KD_LK_ACCEPTED);
	assert_int_equal(drain_timed(150, asked, 100, 400), 1);
	assert_int_equal(asked[0], 3);
	assert_int_equal(reply_from(3, 200), KD_LK_ACCEPTED);
	/* 1 times out and is resent, and the resend waits one expected round trip. */
	kd_lookup_tick(&lk, 400);
	assert_int_equal(drain_timed(400, asked, 100, 400), 1);
	assert_int_equal(asked[0], 1);
	kd_lookup_tick(&lk, 499);
	assert_false(kd_lookup_done(&lk));
	kd_lookup_tick(&lk, 500);
	assert_true(kd_lookup_done(&lk));
	assert_false(lk.timed_out);
	assert_int_equal(lk.stats.elapsed_ms, 500);
	assert_int_equal(lk.stats.sent, 4);
	assert_int_equal(lk.stats.timeouts, 2);
	assert_int_equal(lk.inflight, 0);
}

/* Node 100 answers with nodes 1..5, closer than itself. */
static void referrals_of_100(u8 k)
{
	struct kd_node src = node_at(100), refs[5];
	u8 asked[WIDTH];
	unsigned int i;

	start(k, 3, WIDTH);
	kd_lookup_seed(&lk, &src);
	assert_int_equal(drain(0, asked), 1);
	for (i = 0; i < 5; i++)
		refs[i] = node_at((u8)(i + 1));
	assert_int_equal(kd_lookup_on_reply(&lk, 10, &src, refs, 5), KD_LK_ACCEPTED);
	assert_int_equal(drain(10, asked), 3);
}

static void test_lying_source_dropped(void **state)
{
	u8 asked[WIDTH];

	referrals_of_100(2);
	/* Nobody is at 1, 2 or 3: 100 lied, and 4 and 5 are not asked. */
	kd_lookup_tick(&lk, 1010);
	assert_int_equal(drain(1010, asked), 0);
	assert_true(kd_lookup_done(&lk));
	assert_int_equal(lk.stats.sent, 4);
	assert_int_equal(lk.cand[3].state, KD_CAND_FAILED);
	assert_int_equal(lk.cand[4].state, KD_CAND_FAILED);
}

static void test_honest_source_kept(void **state)
{
	struct kd_node one = node_at(1);
	u8 asked[WIDTH];

	referrals_of_100(3);
	/* 1 answers: 100 told the truth, and its other referrals are asked. */
	assert_int_equal(kd_lookup_on_reply(&lk, 20, &one, NULL, 0), KD_LK_ACCEPTED);
	assert_int_equal(drain(20, asked), 1);
	assert_int_equal(asked[0], 4);
	kd_lookup_tick(&lk, 1010);
	assert_int_equal(drain(1010, asked), 1);
	assert_int_equal(asked[0], 5);
}

static void test_excluded_contact_not_asked(void **state)
{
	struct kd_node n;
	u8 asked[WIDTH];

	start(2, 1, WIDTH);
	seed_1_to(3);
	assert_int_equal(drain(0, asked), 1);
	/* 2 failed another lookup's request: this one passes it over. */
	n = node_at(2);
	kd_lookup_exclude(&lk, 1, &n.id);
	/* An asked contact is left to its own request. */
	n = node_at(1);
	kd_lookup_exclude(&lk, 1, &n.id);
	assert_int_equal(kd_lookup_on_reply(&lk, 5, &n, NULL, 0), KD_LK_ACCEPTED);
	assert_int_equal(drain(5, asked), 1);
	assert_int_equal(asked[0], 3);
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
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_hostile_fakes_keep_replied),
		cmocka_unit_test(test_timeout_retried_once),
		cmocka_unit_test(test_retry_within_k),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_empty_lookup_finishes),
		cmocka_unit_test(test_slow_request_frees_its_place),
		cmocka_unit_test(test_silent_contact_times_out_on_its_own_timeout),
		cmocka_unit_test(test_resend_waits_one_round_trip),
		cmocka_unit_test(test_excluded_contact_not_asked),
		cmocka_unit_test(test_lying_source_dropped),
		cmocka_unit_test(test_honest_source_kept),
		cmocka_unit_test(test_sybil_subnet_held_to_two),
		cmocka_unit_test(test_subnet_flood_keeps_diverse_candidates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
