// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The k-bucket table: membership, liveness, diversity, closest-k, dumps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kd_table.h"
#include "unit_addr.h"
#include "unit_rng.h"

#define POOL_MAX	512
#define GOOD_MS		(15u * 60 * 1000)

static u64 arena[POOL_MAX * (sizeof(struct kd_contact) + 2 * sizeof(struct kd_subnet_slot)) /
		 sizeof(u64)];
static struct kd_params prm;
static struct kd_table tbl;
static struct kd_id self;
static unsigned int n_added, n_removed;
static struct kd_node last_added, last_removed;
static void on_change(void *ctx, bool added, const struct kd_contact *c)
{
	assert_ptr_equal(ctx, &tbl);
	if (added) {
		n_added++;
		last_added = c->node;
	} else {
		n_removed++;
		last_removed = c->node;
	}
}

/* A table with the default parameters but k, repl_per_bucket and the pool as given. */
static void table_new(u8 k, u8 repl, u16 max_contacts, u64 seed)
{
	kd_params_default(&prm);
	prm.k = k;
	prm.repl_per_bucket = repl;
	prm.max_contacts = max_contacts;
	prm.refresh_ms = 2 * GOOD_MS;
	assert_int_equal(kd_params_check(&prm), 0);
	assert_true(kd_table_memsize(&prm) <= sizeof(arena));
	rng_state = seed;
	rng_fill(self.b, sizeof(self.b));
	n_added = 0;
	n_removed = 0;
	memset(arena, 0x5a, sizeof(arena));
	kd_table_init(&tbl, arena, &prm, &self, 1000, on_change, &tbl);
}

/* 10.N.host:4650, N in the second and third bytes. */
static struct kd_addr v4(unsigned int n, u8 host)
{
	const u8 ip[4] = { 10, (u8)(n >> 8), (u8)n, host };

	return unit_addr(KDHT_AF_INET, 4650, ip, sizeof(ip));
}

/* [2001:db8:N48:N64::1]:4650 */
static struct kd_addr v6(unsigned int n48, u16 n64)
{
	u8 ip[16] = { 0x20, 0x01, 0x0d, 0xb8 };

	kd_put_be16(ip + 4, (u16)n48);
	kd_put_be16(ip + 6, n64);
	ip[15] = 1;
	return unit_addr(KDHT_AF_INET6, 4650, ip, sizeof(ip));
}

/* A node in bucket b of self's table, in subnet n (each n its own /24). */
static struct kd_node node_in(unsigned int b, unsigned int n)
{
	struct kd_node x;
	u8 rnd[KDHT_ID_LEN];

	rng_fill(rnd, sizeof(rnd));
	kd_id_in_bucket(&x.id, &self, b, rnd);
	x.addr = v4(n, 1);
	return x;
}

/* As node_in, at host 10.x.y.host of subnet n's /24. */
static struct kd_node node_at_host(unsigned int b, unsigned int n, u8 host)
{
	struct kd_node x = node_in(b, n);

	x.addr.ip[3] = host;
	return x;
}

static enum kd_seen seen(const struct kd_node *n, u64 now)
{
	struct kd_node ping;

	return kd_table_seen(&tbl, now, n, false, 0, &ping);
}

/* Node n is seen at 1000 ms, with the outcome want. */
static void expect_seen(struct kd_node n, enum kd_seen want)
{
	assert_int_equal(seen(&n, 1000), want);
}

static void fail_n(const struct kd_node *n, u64 now, unsigned int times)
{
	while (times--)
		kd_table_failed(&tbl, now, &n->id);
}

static bool same_node(const struct kd_node *a, const struct kd_node *b)
{
	return kd_id_equal(&a->id, &b->id) && kd_addr_equal(&a->addr, &b->addr);
}

/* The ids of bucket b's members, least recently seen first. */
static unsigned int bucket_members(unsigned int b, struct kd_id *out, unsigned int max)
{
	unsigned int n = 0;
	u16 i;

	for (i = tbl.bucket[b].head; i != KD_NIL && n < max; i = tbl.pool[i].next)
		out[n++] = tbl.pool[i].node.id;
	return n;
}

static void test_params(void **state)
{
	struct kd_params p;

	(void)state;
	kd_params_default(&p);
	assert_int_equal(kd_params_check(&p), 0);
	assert_int_equal(p.k, 20);
	assert_int_equal(p.alpha, 3);
	assert_int_equal(p.subnet_per_bucket, 2);
	assert_int_equal(p.subnet_per_table, 10);
	assert_int_equal(p.good_ms, GOOD_MS);

#define REJECTS(field, value) do {				\
		kd_params_default(&p);				\
		p.field = value;				\
		assert_int_equal(kd_params_check(&p), -EINVAL);	\
	} while (0)
	REJECTS(k, 0);
	REJECTS(k, KD_K_MAX + 1);
	REJECTS(alpha, 0);
	REJECTS(alpha, KD_ALPHA_MAX + 1);
	REJECTS(lookup_width, 22);	/* < k + alpha */
	REJECTS(lookup_width, KD_LOOKUP_WIDTH_MAX + 1);
	REJECTS(max_contacts, 19);	/* cannot hold one full bucket */
	REJECTS(max_contacts, KD_CONTACTS_MAX + 1);
	REJECTS(repl_per_bucket, KD_REPL_MAX + 1);
	REJECTS(max_fails, 0);
	REJECTS(subnet_per_bucket, 0);
	REJECTS(subnet_per_table, 1);	/* < subnet_per_bucket */
	REJECTS(max_inflight, 0);
	REJECTS(max_lookups, KD_LOOKUPS_MAX + 1);
	REJECTS(request_timeout_ms, 0);
	REJECTS(lookup_timeout_ms, 1000);	/* shorter than one request */
	REJECTS(bootstrap_max_ms, 10);
	REJECTS(token_rotate_ms, 0);
	REJECTS(rl_entries, 0);
	REJECTS(rl_entries, KD_RL_ENTRIES_MAX + 1);
	REJECTS(rl_rate, 0);
	REJECTS(rl_burst, KD_RL_BURST_MAX + 1);
#undef REJECTS
	kd_params_default(&p);
	p.k = KD_K_MAX;
	p.alpha = KD_ALPHA_MAX;
	p.lookup_width = KD_K_MAX + KD_ALPHA_MAX;
	assert_int_equal(kd_params_check(&p), 0);
}

static void test_insert_and_update_order(void **state)
{
	struct kd_node a, b, c, x;
	struct kd_id ids[4];
	u32 gen;

	(void)state;
	table_new(4, 2, 64, 1);
	a = node_in(0, 1);
	b = node_in(0, 2);
	c = node_in(0, 3);
	assert_int_equal(seen(&a, 1000), KD_SEEN_ADDED);
	assert_int_equal(seen(&b, 1000), KD_SEEN_ADDED);
	assert_int_equal(seen(&c, 1000), KD_SEEN_ADDED);
	assert_int_equal(tbl.members, 3);
	assert_int_equal(tbl.bucket[0].count, 3);
	assert_int_equal(n_added, 3);
	assert_true(same_node(&last_added, &c));
	gen = tbl.generation;

	assert_int_equal(seen(&a, 1001), KD_SEEN_UPDATED);
	assert_int_equal(tbl.generation, gen);
	assert_int_equal(bucket_members(0, ids, 4), 3);
	assert_true(kd_id_equal(&ids[0], &b.id));
	assert_true(kd_id_equal(&ids[1], &c.id));
	assert_true(kd_id_equal(&ids[2], &a.id));
	assert_int_equal(kd_table_find(&tbl, &a.id)->last_seen, 1001);

	x = a;
	x.id = self;
	assert_int_equal(seen(&x, 1001), KD_SEEN_REFUSED);
	x = node_in(1, 4);
	x.addr.port = 0;
	assert_int_equal(seen(&x, 1001), KD_SEEN_REFUSED);
	assert_null(kd_table_find(&tbl, &x.id));
}

static void test_reply_measures_rtt(void **state)
{
	struct kd_node a, ping;
	struct kd_contact *c;

	(void)state;
	table_new(4, 2, 64, 2);
	a = node_in(3, 1);
	assert_int_equal(kd_table_seen(&tbl, 2000, &a, true, 80, &ping), KD_SEEN_ADDED);
	c = kd_table_find(&tbl, &a.id);
	assert_int_equal(c->rtt_ms, 80);
	assert_int_equal(c->last_reply, 2000);
	assert_int_equal(kd_table_seen(&tbl, 3000, &a, true, 160, &ping), KD_SEEN_UPDATED);
	assert_int_equal(c->rtt_ms, 90);	/* 7/8 old + 1/8 new */
	assert_int_equal(kd_table_seen(&tbl, 4000, &a, false, 0, &ping), KD_SEEN_UPDATED);
	assert_int_equal(c->last_reply, 3000);
	assert_int_equal(c->last_seen, 4000);
}

static void test_rtt_estimate_converges(void **state)
{
	struct kd_node a, ping;
	struct kd_contact *c;
	unsigned int i;
	u32 expect, rto;

	(void)state;
	table_new(4, 2, 64, 3);
	a = node_in(3, 1);
	/* Nothing measured yet: the most, for a known contact and an unknown one. */
	assert_int_equal(kd_table_timeout(&tbl, NULL, &expect), prm.request_timeout_ms);
	assert_int_equal(expect, prm.request_timeout_ms);
	/* A contact measured at 400 ms, then at 60 ms with a little jitter. */
	assert_int_equal(kd_table_seen(&tbl, 2000, &a, true, 400, &ping), KD_SEEN_ADDED);
	c = kd_table_find(&tbl, &a.id);
	rto = kd_table_timeout(&tbl, &a.id, &expect);
	assert_int_equal(rto, 400 + 4 * 200);
	assert_int_equal(expect, 400 + 2 * 200);
	for (i = 0; i < 100; i++)
		kd_table_seen(&tbl, 3000 + i, &a, true, 58 + (i & 1) * 4, &ping);
	assert_in_range(c->rtt_ms, 58, 62);
	assert_in_range(c->rttvar_ms, 1, 3);
	/* The timeout follows it down to the least... */
	rto = kd_table_timeout(&tbl, &a.id, &expect);
	assert_int_equal(rto, prm.request_timeout_min_ms);
	assert_in_range(expect, 58, 70);
	/* ...doubles for each failure in a row... */
	kd_table_failed(&tbl, 4000, &a.id);
	assert_int_equal(kd_table_timeout(&tbl, &a.id, &expect), prm.request_timeout_min_ms);
	prm.request_timeout_min_ms = 10;
	rto = kd_table_timeout(&tbl, &a.id, &expect);
	assert_in_range(rto, 2 * 62, 2 * 74);
	/* ...and never passes the most. */
	for (i = 0; i < 50; i++)
		kd_table_seen(&tbl, 5000 + i, &a, true, 5000, &ping);
	assert_int_equal(kd_table_timeout(&tbl, &a.id, &expect), prm.request_timeout_ms);
	assert_true(expect <= prm.request_timeout_ms);
}

static void test_unknown_contact_timeout_from_table(void **state)
{
	struct kd_node n, ping, stranger;
	unsigned int i;
	u32 expect, rto;

	(void)state;
	table_new(8, 2, 64, 4);
	/* Contacts at 100 to 300 ms. */
	for (i = 0; i < 40; i++) {
		n = node_in(i % 8, i);
		kd_table_seen(&tbl, 2000 + i, &n, true, 100 + (i % 5) * 50, &ping);
	}
	stranger = node_in(9, 100);
	rto = kd_table_timeout(&tbl, &stranger.id, &expect);
	assert_in_range(rto, 300, 700);
	assert_in_range(expect, 150, rto);
	assert_int_equal(kd_table_timeout(&tbl, NULL, &expect), rto);
}

static void test_failed_contact_not_in_closest(void **state)
{
	struct kd_node n[4], out[4], ping;
	unsigned int i;

	(void)state;
	table_new(4, 2, 64, 5);
	for (i = 0; i < 4; i++) {
		n[i] = node_in(5, i);
		assert_int_equal(kd_table_seen(&tbl, 2000, &n[i], true, 50, &ping),
				 KD_SEEN_ADDED);
	}
	assert_int_equal(kd_table_closest(&tbl, &n[1].id, KDHT_WANT_V4 | KDHT_WANT_V6, out, 4), 4);
	/* One failure excludes it at once, while it is still a member... */
	kd_table_failed(&tbl, 3000, &n[1].id);
	assert_non_null(kd_table_find(&tbl, &n[1].id));
	assert_int_equal(kd_table_closest(&tbl, &n[1].id, KDHT_WANT_V4 | KDHT_WANT_V6, out, 4), 3);
	for (i = 0; i < 3; i++)
		assert_false(kd_id_equal(&out[i].id, &n[1].id));
	/* ...and it is back once it answers. */
	kd_table_seen(&tbl, 3100, &n[1], true, 50, &ping);
	assert_int_equal(kd_table_closest(&tbl, &n[1].id, KDHT_WANT_V4 | KDHT_WANT_V6, out, 4), 4);
	assert_true(kd_id_equal(&out[0].id, &n[1].id));
}

/* Bucket 0 full of n[0..3] seen at 1000, LRS first. */
static void fill_bucket0(struct kd_node *n)
{
	unsigned int i;

	table_new(4, 2, 64, 3);
	for (i = 0; i < 4; i++) {
		n[i] = node_in(0, i + 1);
		assert_int_equal(seen(&n[i], 1000), KD_SEEN_ADDED);
	}
}

static void test_full_bucket_ping_before_evict(void **state)
{
	struct kd_node n[8], ping;
	u64 later = 1000 + GOOD_MS;
	struct kd_contact *c;

	(void)state;
	fill_bucket0(n);
	n[4] = node_in(0, 5);
	/* The LRS member is good: the newcomer waits in the cache. */
	assert_int_equal(seen(&n[4], 1000), KD_SEEN_CACHED);
	assert_int_equal(tbl.replacements, 1);
	assert_true(kd_table_find(&tbl, &n[4].id)->in_repl);

	n[5] = node_in(0, 6);
	memset(&ping, 0, sizeof(ping));
	assert_int_equal(kd_table_seen(&tbl, later, &n[5], false, 0, &ping), KD_SEEN_PING_LRS);
	assert_true(same_node(&ping, &n[0]));
	/* One ping at a time for the LRS member. */
	n[6] = node_in(0, 7);
	assert_int_equal(seen(&n[6], later), KD_SEEN_CACHED);
	/* The cache holds 2: the oldest entry, n[4], made room. */
	assert_null(kd_table_find(&tbl, &n[4].id));
	assert_int_equal(tbl.replacements, 2);
	assert_int_equal(tbl.members, 4);

	/* The ping goes unanswered: n[0] is replaced by the freshest replacement. */
	fail_n(&n[0], later + 2000, prm.max_fails - 1);
	assert_non_null(kd_table_find(&tbl, &n[0].id));
	fail_n(&n[0], later + 2000, 1);
	assert_null(kd_table_find(&tbl, &n[0].id));
	c = kd_table_find(&tbl, &n[6].id);
	assert_non_null(c);
	assert_false(c->in_repl);
	assert_true(same_node(&last_removed, &n[0]));
	assert_true(same_node(&last_added, &n[6]));
	assert_int_equal(tbl.members, 4);
	assert_int_equal(tbl.replacements, 1);
	assert_true(kd_table_find(&tbl, &n[5].id)->in_repl);
}

static void test_lrs_answers_ping(void **state)
{
	struct kd_node n[8], ping;
	struct kd_id ids[4];
	u64 later = 1000 + GOOD_MS;

	(void)state;
	fill_bucket0(n);
	n[5] = node_in(0, 6);
	assert_int_equal(kd_table_seen(&tbl, later, &n[5], false, 0, &ping), KD_SEEN_PING_LRS);
	assert_true(same_node(&ping, &n[0]));
	assert_int_equal(kd_table_seen(&tbl, later + 50, &n[0], true, 50, &ping),
			 KD_SEEN_UPDATED);
	kd_table_ping_done(&tbl, &n[0].id);
	assert_int_equal(kd_table_liveness(&tbl, kd_table_find(&tbl, &n[0].id), later + 50),
			 KD_GOOD);
	/* It stays, now most recently seen; the newcomer stays cached. */
	assert_int_equal(bucket_members(0, ids, 4), 4);
	assert_true(kd_id_equal(&ids[3], &n[0].id));
	assert_true(kd_table_find(&tbl, &n[5].id)->in_repl);
	/* The next newcomer puts the next LRS member in doubt. */
	n[6] = node_in(0, 7);
	assert_int_equal(kd_table_seen(&tbl, later + 60, &n[6], false, 0, &ping),
			 KD_SEEN_PING_LRS);
	assert_true(same_node(&ping, &n[1]));
}

static void test_cached_contact_promoted_when_room(void **state)
{
	struct kd_node n[8];

	(void)state;
	fill_bucket0(n);
	n[4] = node_in(0, 5);
	assert_int_equal(seen(&n[4], 1000), KD_SEEN_CACHED);
	/* A member removed by the host: the replacement moves up at once. */
	assert_true(kd_table_remove(&tbl, &n[2].id));
	assert_false(kd_table_find(&tbl, &n[4].id)->in_repl);
	assert_int_equal(tbl.members, 4);
	assert_int_equal(tbl.replacements, 0);
	/* Removing a cached contact changes no membership. */
	n[5] = node_in(0, 6);
	assert_int_equal(seen(&n[5], 1000), KD_SEEN_CACHED);
	{
		u32 gen = tbl.generation;

		assert_true(kd_table_remove(&tbl, &n[5].id));
		assert_int_equal(tbl.generation, gen);
	}
	assert_false(kd_table_remove(&tbl, &n[5].id));
	assert_int_equal(tbl.replacements, 0);
}

static void test_bad_member_replaced_at_once(void **state)
{
	struct kd_node n[8], out[8];
	unsigned int i, got;

	(void)state;
	fill_bucket0(n);
	fail_n(&n[2], 1100, prm.max_fails);
	/* No replacement yet: it stays, but is never handed out. */
	assert_non_null(kd_table_find(&tbl, &n[2].id));
	assert_int_equal(kd_table_liveness(&tbl, kd_table_find(&tbl, &n[2].id), 1100), KD_BAD);
	got = kd_table_closest(&tbl, &n[2].id, KDHT_WANT_V4, out, 8);
	assert_int_equal(got, 3);
	for (i = 0; i < got; i++)
		assert_false(kd_id_equal(&out[i].id, &n[2].id));
	n[4] = node_in(0, 5);
	assert_int_equal(seen(&n[4], 1200), KD_SEEN_REPLACED_BAD);
	assert_null(kd_table_find(&tbl, &n[2].id));
	assert_true(same_node(&last_removed, &n[2]));
	assert_false(kd_table_find(&tbl, &n[4].id)->in_repl);
	assert_int_equal(tbl.members, 4);
}

/* Whether n is among the members kd_table_due_pings() hands out at now. */
static bool ping_due(const struct kd_node *n, u64 now)
{
	struct kd_node out[8];
	unsigned int i, got = kd_table_due_pings(&tbl, now, out, 8);

	for (i = 0; i < got; i++)
		if (same_node(&out[i], n))
			return true;
	return false;
}

static void test_bad_member_without_replacement_pinged_again(void **state)
{
	struct kd_node n[4], out[8], ping;
	u64 t = 1100;

	(void)state;
	fill_bucket0(n);
	fail_n(&n[2], t, prm.max_fails);
	assert_int_equal(kd_table_liveness(&tbl, kd_table_find(&tbl, &n[2].id), t), KD_BAD);
	/* Not at once: after KD_BAD_PING_START_MS, and the table says when. */
	assert_false(ping_due(&n[2], t + KD_BAD_PING_START_MS - 1));
	assert_true(kd_table_next_due(&tbl) <= t + KD_BAD_PING_START_MS);
	assert_true(ping_due(&n[2], t + KD_BAD_PING_START_MS));
	/* One ping at a time. */
	assert_false(ping_due(&n[2], t + KD_BAD_PING_START_MS));
	/* It answers: good again, and handed out again. */
	kd_table_seen(&tbl, t + KD_BAD_PING_START_MS + 10, &n[2], true, 10, &ping);
	kd_table_ping_done(&tbl, &n[2].id);
	assert_int_equal(kd_table_liveness(&tbl, kd_table_find(&tbl, &n[2].id),
					   t + KD_BAD_PING_START_MS + 10), KD_GOOD);
	assert_int_equal(kd_table_closest(&tbl, &n[2].id, KDHT_WANT_V4, out, 8), 4);
	assert_true(same_node(&out[0], &n[2]));
	assert_false(ping_due(&n[2], t + KD_BAD_PING_START_MS + 20));
}

static void test_bad_member_ping_backoff_capped(void **state)
{
	struct kd_node n[5];
	u64 t = 1100, wait = KD_BAD_PING_START_MS;
	unsigned int i;

	(void)state;
	fill_bucket0(n);
	fail_n(&n[2], t, prm.max_fails);
	for (i = 0; i < 12; i++) {
		assert_false(ping_due(&n[2], t + wait - 1));
		assert_true(ping_due(&n[2], t + wait));
		/* The ping times out: the wait doubles, up to the cap. */
		t += wait + prm.request_timeout_ms;
		kd_table_failed(&tbl, t, &n[2].id);
		kd_table_ping_done(&tbl, &n[2].id);
		wait = KD_MIN(2 * wait, (u64)KD_BAD_PING_MAX_MS);
	}
	assert_true(wait == KD_BAD_PING_MAX_MS);
	/* Still a member, the bucket bounded; a proven newcomer still takes its place. */
	assert_int_equal(tbl.members, 4);
	n[4] = node_in(0, 5);
	assert_int_equal(kd_table_seen(&tbl, t, &n[4], true, 10, &n[0]), KD_SEEN_REPLACED_BAD);
	assert_null(kd_table_find(&tbl, &n[2].id));
	assert_int_equal(tbl.members, 4);
}

static void test_liveness_over_time(void **state)
{
	struct kd_node a, ping;
	struct kd_contact *c;

	(void)state;
	table_new(8, 2, 64, 4);
	a = node_in(2, 1);
	assert_int_equal(seen(&a, 1000), KD_SEEN_ADDED);
	c = kd_table_find(&tbl, &a.id);
	assert_int_equal(kd_table_liveness(&tbl, c, 1000), KD_GOOD);
	assert_int_equal(kd_table_liveness(&tbl, c, 1000 + GOOD_MS - 1), KD_GOOD);
	assert_int_equal(kd_table_liveness(&tbl, c, 1000 + GOOD_MS), KD_QUESTIONABLE);
	assert_int_equal(seen(&a, 2000 + GOOD_MS), KD_SEEN_UPDATED);
	assert_int_equal(kd_table_liveness(&tbl, c, 2000 + GOOD_MS), KD_GOOD);
	/* A missed reply fails it; a request from it does not clear that. */
	fail_n(&a, 2001 + GOOD_MS, 1);
	assert_int_equal(kd_table_liveness(&tbl, c, 2001 + GOOD_MS), KD_FAILED);
	assert_int_equal(seen(&a, 2002 + GOOD_MS), KD_SEEN_UPDATED);
	assert_int_equal(kd_table_liveness(&tbl, c, 2002 + GOOD_MS), KD_FAILED);
	kd_table_seen(&tbl, 2003 + GOOD_MS, &a, true, 10, &ping);
	assert_int_equal(kd_table_liveness(&tbl, c, 2003 + GOOD_MS), KD_GOOD);
	fail_n(&a, 2004 + GOOD_MS, prm.max_fails - 1);
	assert_int_equal(kd_table_liveness(&tbl, c, 2004 + GOOD_MS), KD_FAILED);
	fail_n(&a, 2004 + GOOD_MS, 1);
	assert_int_equal(kd_table_liveness(&tbl, c, 2004 + GOOD_MS), KD_BAD);
}

static void test_due_pings_and_next_due(void **state)
{
	struct kd_node n[3], out[8];
	u64 t = 1000 + GOOD_MS;
	unsigned int i;

	(void)state;
	table_new(8, 2, 64, 5);
	assert_true(kd_table_next_due(&tbl) == (u64)-1);
	for (i = 0; i < 3; i++) {
		n[i] = node_in(1, i + 1);
		seen(&n[i], 1000);
	}
	assert_true(kd_table_next_due(&tbl) == t);
	assert_int_equal(kd_table_due_pings(&tbl, t - 1, out, 8), 0);
	assert_int_equal(kd_table_due_pings(&tbl, t, out, 2), 2);
	assert_int_equal(kd_table_due_pings(&tbl, t, out, 8), 1);
	assert_true(same_node(&out[0], &n[2]));
	assert_int_equal(kd_table_due_pings(&tbl, t, out, 8), 0);
	assert_true(kd_table_next_due(&tbl) == t + prm.request_timeout_ms);

	/* A ping reported done may be sent again; the others wait for their timeout. */
	kd_table_ping_done(&tbl, &n[1].id);
	assert_int_equal(kd_table_due_pings(&tbl, t + 1, out, 8), 1);
	assert_true(same_node(&out[0], &n[1]));
	assert_int_equal(kd_table_due_pings(&tbl, t + prm.request_timeout_ms, out, 8), 2);

	/* Answered: good again, nothing due until good_ms later. */
	for (i = 0; i < 3; i++) {
		kd_table_seen(&tbl, t + 3000, &n[i], true, 20, &out[7]);
		kd_table_ping_done(&tbl, &n[i].id);
	}
	assert_int_equal(kd_table_due_pings(&tbl, t + 3000, out, 8), 0);
	assert_true(kd_table_next_due(&tbl) == KD_MIN(t + 3000 + GOOD_MS, 1000 + prm.refresh_ms));
}

static void test_bucket_refresh(void **state)
{
	struct kd_node a;

	(void)state;
	table_new(8, 2, 64, 6);
	prm.refresh_ms = 10000;
	assert_int_equal(kd_table_stale_bucket(&tbl, 1000000), -1);	/* empty buckets never */
	a = node_in(3, 1);
	seen(&a, 5000);		/* membership change touches bucket 3 */
	assert_int_equal(kd_table_stale_bucket(&tbl, 14999), -1);
	assert_int_equal(kd_table_stale_bucket(&tbl, 15000), 3);
	assert_true(kd_table_next_due(&tbl) == 15000);
	kd_table_touch(&tbl, 3, 15000);
	assert_int_equal(kd_table_stale_bucket(&tbl, 15000), -1);
	assert_int_equal(kd_table_stale_bucket(&tbl, 25000), 3);
	kd_table_touch(&tbl, KD_ID_BITS, 25000);	/* out of range: ignored */
}

static void test_diversity_per_bucket(void **state)
{
	struct kd_node a, b, c;

	(void)state;
	table_new(20, 2, 64, 7);
	a = node_in(0, 9);
	b = node_at_host(0, 9, 2);
	c = node_at_host(0, 9, 3);
	assert_int_equal(seen(&a, 1000), KD_SEEN_ADDED);
	assert_int_equal(seen(&b, 1000), KD_SEEN_ADDED);
	assert_int_equal(seen(&c, 1000), KD_SEEN_DIVERSITY);
	assert_null(kd_table_find(&tbl, &c.id));
	/* The same /24 is welcome in another bucket, and another /24 here. */
	expect_seen(node_at_host(1, 9, 4), KD_SEEN_ADDED);
	expect_seen(node_in(0, 10), KD_SEEN_ADDED);
	/* A member leaving frees its subnet's place. */
	assert_true(kd_table_remove(&tbl, &a.id));
	assert_int_equal(seen(&c, 1001), KD_SEEN_ADDED);
}

static void test_diversity_per_table(void **state)
{
	unsigned int b;

	(void)state;
	table_new(20, 2, 64, 8);
	for (b = 0; b < 5; b++) {
		expect_seen(node_at_host(b, 7, (u8)(2 * b + 1)), KD_SEEN_ADDED);
		expect_seen(node_at_host(b, 7, (u8)(2 * b + 2)), KD_SEEN_ADDED);
	}
	expect_seen(node_at_host(5, 7, 100), KD_SEEN_DIVERSITY);
	expect_seen(node_in(5, 8), KD_SEEN_ADDED);
}

static void test_diversity_ipv6(void **state)
{
	struct kd_node x;
	unsigned int i;

	(void)state;
	table_new(20, 2, 64, 9);
	/* Different /64s of one /48 count as one subnet. */
	for (i = 0; i < 3; i++) {
		x = node_in(0, 0);
		x.addr = v6(1, (u16)(i + 1));
		assert_int_equal(seen(&x, 1000), i < 2 ? KD_SEEN_ADDED : KD_SEEN_DIVERSITY);
	}
	x = node_in(0, 0);
	x.addr = v6(2, 1);
	assert_int_equal(seen(&x, 1000), KD_SEEN_ADDED);
	/* IPv4 10.0.1.x and 2001:db8:1:: are not confused. */
	x = node_in(0, 1);
	assert_int_equal(seen(&x, 1000), KD_SEEN_ADDED);
}

static void test_diversity_applies_to_cache(void **state)
{
	struct kd_node n[8], x;

	(void)state;
	fill_bucket0(n);
	x = node_at_host(0, 1, 77);	/* n[0]'s /24, bucket full */
	assert_int_equal(seen(&x, 1000), KD_SEEN_CACHED);
	x = node_at_host(0, 1, 78);
	prm.subnet_per_bucket = 1;
	assert_int_equal(seen(&x, 1000), KD_SEEN_DIVERSITY);
	assert_null(kd_table_find(&tbl, &x.id));
}

/*
 * Random adds and removals over few subnets, in a small pool so the subnet
 * slots collide and deletions shift entries: every add must be refused for
 * diversity exactly when a recount says so.
 */
static void test_diversity_matches_recount(void **state)
{
	enum { SUBNETS = 40, BUCKETS = 6, LIVE = 64 };
	struct kd_node live[LIVE];
	unsigned int nlive, seed, op, subnet[SUBNETS];

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		table_new(20, 0, 64, 100 + seed);
		prm.subnet_per_bucket = 3;
		prm.subnet_per_table = 5;
		/* Random /24s: consecutive ones would hash without ever colliding. */
		for (op = 0; op < SUBNETS; op++)
			subnet[op] = (unsigned int)rng_next() & 0xffff;
		nlive = 0;
		for (op = 0; op < 3000; op++) {
			unsigned int in_table = 0, in_bucket = 0, i, b, s;
			struct kd_node x;
			enum kd_seen r;
			u32 cur = 0;
			const struct kd_contact *c;

			if (nlive && (nlive == LIVE || rng_next() % 3 == 0)) {
				i = (unsigned int)(rng_next() % nlive);
				assert_true(kd_table_remove(&tbl, &live[i].id));
				live[i] = live[--nlive];
				continue;
			}
			b = (unsigned int)(rng_next() % BUCKETS);
			s = subnet[rng_next() % SUBNETS];
			x = node_in(b, s);
			x.addr.ip[3] = (u8)op;
			while ((c = kd_table_iter(&tbl, &cur))) {
				if (kd_addr_subnet(&c->node.addr) != kd_addr_subnet(&x.addr))
					continue;
				in_table++;
				in_bucket += kd_id_bucket(&self, &c->node.id) == b;
			}
			r = seen(&x, 1000 + op);
			if (in_table >= 5 || in_bucket >= 3) {
				assert_int_equal(r, KD_SEEN_DIVERSITY);
			} else {
				assert_int_not_equal(r, KD_SEEN_DIVERSITY);
				if (r == KD_SEEN_ADDED)
					live[nlive++] = x;
			}
			assert_int_equal(tbl.members, nlive);
		}
	}
}

static const struct kd_id *cmp_target;

static int cmp_by_distance(const void *a, const void *b)
{
	return kd_id_cmp_distance(cmp_target, &((const struct kd_node *)a)->id,
				  &((const struct kd_node *)b)->id);
}

static bool wanted(const struct kd_addr *a, u8 want)
{
	return a->family == KDHT_AF_INET ? (want & KDHT_WANT_V4) : (want & KDHT_WANT_V6);
}

/*
 * Keeps the first of all[0..n) (closest first) that have fewer than per
 * closer ones of their subnet kept; returns how many.
 */
static unsigned int diverse_pick(struct kd_node *all, unsigned int n, unsigned int per)
{
	unsigned int i, j, same, kept = 0;

	for (i = 0; i < n; i++) {
		for (j = 0, same = 0; j < kept; j++)
			same += kd_addr_subnet(&all[j].addr) == kd_addr_subnet(&all[i].addr);
		if (same < per)
			all[kept++] = all[i];
	}
	return kept;
}

/*
 * kd_table_closest() against sorting every usable member and keeping at most
 * result_per_subnet of a subnet, on random tables where subnets hold many.
 */
static void test_closest_matches_brute_force(void **state)
{
	static struct kd_node all[POOL_MAX], got[48];
	unsigned int seed;

	(void)state;
	for (seed = 1; seed <= 200; seed++) {
		unsigned int nodes, i, q;

		table_new(20, 4, 400, seed * 7919);
		prm.subnet_per_bucket = 255;
		prm.subnet_per_table = 1000;
		prm.result_per_subnet = (u8)(1 + rng_next() % 4);
		nodes = (unsigned int)(rng_next() % 500);
		for (i = 0; i < nodes; i++) {
			struct kd_node x;

			if (rng_next() % 2)
				rng_fill(x.id.b, sizeof(x.id.b));
			else
				x = node_in((unsigned int)(rng_next() % 24), 0);
			x.addr = rng_next() % 3 ? v4(i % 37, (u8)(1 + i / 37)) : v6(i % 29, (u16)i);
			seen(&x, 1000 + i);
			if (rng_next() % 10 == 0)
				fail_n(&x, 1000 + i, prm.max_fails);
		}
		for (q = 0; q < 20; q++) {
			struct kd_id target;
			const struct kd_contact *c;
			unsigned int n = 0, max = 1 + (unsigned int)(rng_next() % 48), want_n, r;
			u8 want = (u8)(1 + rng_next() % 3);
			u32 cur = 0;

			switch (q % 4) {
			case 0:
				rng_fill(target.b, sizeof(target.b));
				break;
			case 1:
				target = self;
				break;
			default:
				target = node_in((unsigned int)(rng_next() % 26), 0).id;
				break;
			}
			while ((c = kd_table_iter(&tbl, &cur)))
				if (c->fails < prm.max_fails && wanted(&c->node.addr, want))
					all[n++] = c->node;
			cmp_target = &target;
			qsort(all, n, sizeof(all[0]), cmp_by_distance);
			n = diverse_pick(all, n, prm.result_per_subnet);
			want_n = KD_MIN(n, max);
			r = kd_table_closest(&tbl, &target, want, got, max);
			assert_int_equal(r, want_n);
			for (i = 0; i < r; i++)
				assert_true(same_node(&got[i], &all[i]));
		}
	}
}

static void test_iter_pages_and_generation(void **state)
{
	struct kd_node x;
	const struct kd_contact *c;
	unsigned int i, seen_members = 0, page;
	u32 cur = 0, gen;
	struct kd_id ids[POOL_MAX];

	(void)state;
	table_new(3, 4, 200, 10);
	for (i = 0; i < 120; i++) {
		x = node_in((unsigned int)(rng_next() % 8), i);
		seen(&x, 1000);
	}
	assert_true(tbl.replacements > 0);
	assert_int_equal(tbl.members, n_added - n_removed);
	/* Pages of 7, resuming from the cursor, see every member once. */
	do {
		for (page = 0; page < 7 && (c = kd_table_iter(&tbl, &cur)); page++) {
			assert_false(c->in_repl);
			for (i = 0; i < seen_members; i++)
				assert_false(kd_id_equal(&ids[i], &c->node.id));
			ids[seen_members++] = c->node.id;
		}
	} while (page == 7);
	assert_int_equal(seen_members, tbl.members);
	assert_null(kd_table_iter(&tbl, &cur));

	gen = tbl.generation;
	x = *(const struct kd_node *)&kd_table_find(&tbl, &ids[0])->node;
	seen(&x, 2000);
	assert_int_equal(tbl.generation, gen);
	assert_true(kd_table_remove(&tbl, &ids[0]));
	assert_int_not_equal(tbl.generation, gen);
}

static void test_pool_exhaustion(void **state)
{
	struct kd_node a, b, c, d, e, f, g;

	(void)state;
	table_new(2, 2, 4, 11);
	a = node_in(0, 1);
	b = node_in(0, 2);
	c = node_in(0, 3);
	d = node_in(1, 4);
	assert_int_equal(seen(&a, 1000), KD_SEEN_ADDED);
	assert_int_equal(seen(&b, 1000), KD_SEEN_ADDED);
	assert_int_equal(seen(&c, 1000), KD_SEEN_CACHED);
	assert_int_equal(seen(&d, 1000), KD_SEEN_ADDED);
	/* Pool full: a new member takes a replacement's entry. */
	e = node_in(1, 5);
	assert_int_equal(seen(&e, 1000), KD_SEEN_ADDED);
	assert_null(kd_table_find(&tbl, &c.id));
	/* Nothing left to give up. */
	f = node_in(2, 6);
	assert_int_equal(seen(&f, 1000), KD_SEEN_REFUSED);
	g = node_in(0, 7);
	assert_int_equal(seen(&g, 1000), KD_SEEN_REFUSED);
	assert_int_equal(tbl.members, 4);
	assert_int_equal(tbl.replacements, 0);
}

static void test_address_change(void **state)
{
	struct kd_node a, moved, b1, b2;
	struct kd_contact *c;
	struct kd_addr was;

	(void)state;
	table_new(8, 2, 64, 12);
	a = node_in(4, 1);
	assert_int_equal(seen(&a, 1000), KD_SEEN_ADDED);
	moved = a;
	moved.addr = v4(2, 1);
	/* Someone else claiming a live contact's id is not believed. */
	assert_int_equal(seen(&moved, 2000), KD_SEEN_REFUSED);
	c = kd_table_find(&tbl, &a.id);
	assert_true(kd_addr_equal(&c->node.addr, &a.addr));
	assert_int_equal(c->last_seen, 1000);
	/* Once the old address has gone bad, the new one is taken. */
	fail_n(&a, 3000, prm.max_fails);
	assert_int_equal(seen(&moved, 4000), KD_SEEN_UPDATED);
	assert_true(kd_addr_equal(&c->node.addr, &moved.addr));
	assert_int_equal(kd_table_liveness(&tbl, c, 4000), KD_GOOD);
	assert_true(same_node(&last_removed, &a));
	assert_true(same_node(&last_added, &moved));

	/* Not into a subnet already at its limit in the bucket. */
	b1 = node_in(4, 3);
	b2 = node_in(4, 3);
	b2.addr.ip[3] = 2;
	assert_int_equal(seen(&b1, 5000), KD_SEEN_ADDED);
	assert_int_equal(seen(&b2, 5000), KD_SEEN_ADDED);
	fail_n(&moved, 6000, prm.max_fails);
	moved.addr = v4(3, 3);
	assert_int_equal(seen(&moved, 7000), KD_SEEN_REFUSED);
	was = v4(2, 1);
	assert_true(kd_addr_equal(&c->node.addr, &was));
}

static void test_memory_bounded(void **state)
{
	unsigned int i, free_n = 0;
	u16 f;

	(void)state;
	table_new(20, 8, 400, 13);
	assert_int_equal(kd_table_memsize(&prm),
			 400 * (sizeof(struct kd_contact) + 2 * sizeof(struct kd_subnet_slot)));
	for (i = 0; i < 100000; i++) {
		struct kd_node x;

		if (i % 2)
			rng_fill(x.id.b, sizeof(x.id.b));
		else
			x = node_in((unsigned int)(rng_next() % 40), 0);
		x.addr = v4((unsigned int)rng_next() & 0xffff, (u8)(1 + i % 200));
		seen(&x, 1000 + i);
		if (i % 7 == 0)
			fail_n(&x, 1000 + i, prm.max_fails);
	}
	for (f = tbl.free_head; f != KD_NIL; f = tbl.pool[f].next)
		free_n++;
	assert_int_equal(free_n + tbl.members + tbl.replacements, 400);
	assert_int_equal(tbl.members, n_added - n_removed);
	assert_true(tbl.members > 100);
}

/* Everything the table's lists, counters and subnet slots promise, recounted. */
static void check_invariants(void)
{
	static u16 subnet_n[2 * POOL_MAX];
	unsigned int b, members = 0, repl = 0, free_n = 0, i, used_slots = 0;
	const struct kd_contact *c;
	u32 cur = 0;
	u16 x;

	for (b = 0; b < KD_ID_BITS; b++) {
		unsigned int cnt = 0, rcnt = 0;

		for (x = tbl.bucket[b].head; x != KD_NIL; x = tbl.pool[x].next) {
			c = &tbl.pool[x];
			assert_int_equal(kd_id_bucket(&self, &c->node.id), b);
			assert_false(c->in_repl);
			assert_true(kd_addr_usable(&c->node.addr));
			cnt++;
		}
		for (x = tbl.bucket[b].repl_head; x != KD_NIL; x = tbl.pool[x].next) {
			c = &tbl.pool[x];
			assert_int_equal(kd_id_bucket(&self, &c->node.id), b);
			assert_true(c->in_repl);
			assert_true(c->fails < prm.max_fails);
			rcnt++;
		}
		assert_int_equal(cnt, tbl.bucket[b].count);
		assert_int_equal(rcnt, tbl.bucket[b].repl_count);
		assert_true(cnt <= prm.k);
		assert_true(rcnt <= prm.repl_per_bucket);
		members += cnt;
		repl += rcnt;
	}
	for (x = tbl.free_head; x != KD_NIL; x = tbl.pool[x].next)
		free_n++;
	assert_int_equal(members, tbl.members);
	assert_int_equal(repl, tbl.replacements);
	assert_int_equal(members + repl + free_n, prm.max_contacts);
	assert_int_equal(n_added - n_removed, members);

	/* Subnet slots hold exactly the per-subnet member counts, within the limits. */
	for (i = 0; i < tbl.subnet_slots; i++) {
		unsigned int n = 0, in_bucket[KD_ID_BITS] = { 0 };

		if (!tbl.subnets[i].key)
			continue;
		used_slots++;
		cur = 0;
		while ((c = kd_table_iter(&tbl, &cur))) {
			if (kd_addr_subnet(&c->node.addr) != tbl.subnets[i].key)
				continue;
			n++;
			b = kd_id_bucket(&self, &c->node.id);
			assert_true(++in_bucket[b] <= prm.subnet_per_bucket);
		}
		assert_int_equal(tbl.subnets[i].count, n);
		assert_true(n >= 1 && n <= prm.subnet_per_table);
		subnet_n[used_slots - 1] = (u16)n;
	}
	for (i = 0, b = 0; i < used_slots; i++)
		b += subnet_n[i];
	assert_int_equal(b, members);
}

/* Random traffic, failures, removals, pings and time: the table stays consistent. */
static void test_invariants_under_random_operations(void **state)
{
	static struct kd_node known[4096];
	unsigned int seed, op, nknown;

	(void)state;
	for (seed = 1; seed <= 20; seed++) {
		u64 now = 1000;

		table_new(6, 3, 96, seed * 104729);
		prm.subnet_per_bucket = 2;
		prm.subnet_per_table = 4;
		nknown = 0;
		for (op = 0; op < 1500; op++) {
			unsigned int r = (unsigned int)(rng_next() % 100);
			struct kd_node x, out[16];

			now += rng_next() % 200000;
			if (r < 50 || !nknown) {
				if (rng_next() % 2)
					rng_fill(x.id.b, sizeof(x.id.b));
				else
					x = node_in((unsigned int)(rng_next() % 12), 0);
				x.addr = rng_next() % 4 ? v4((unsigned int)(rng_next() % 40), (u8)op)
							: v6((unsigned int)(rng_next() % 20), (u16)op);
				kd_table_seen(&tbl, now, &x, rng_next() % 2, (u32)(rng_next() % 500),
					      out);
				if (nknown < KD_ARRAY_SIZE(known))
					known[nknown++] = x;
			} else if (r < 70) {
				x = known[rng_next() % nknown];
				kd_table_failed(&tbl, now, &x.id);
			} else if (r < 80) {
				x = known[rng_next() % nknown];
				if (rng_next() % 2)
					x.addr = v4((unsigned int)(rng_next() % 40), 1);
				kd_table_seen(&tbl, now, &x, true, 30, out);
			} else if (r < 85) {
				kd_table_remove(&tbl, &known[rng_next() % nknown].id);
			} else if (r < 95) {
				unsigned int i, n = kd_table_due_pings(&tbl, now, out, 16);

				for (i = 0; i < n; i++)
					if (rng_next() % 2)
						kd_table_ping_done(&tbl, &out[i].id);
			} else {
				int b = kd_table_stale_bucket(&tbl, now);

				if (b >= 0) {
					assert_true(tbl.bucket[b].count > 0);
					kd_table_touch(&tbl, (unsigned int)b, now);
				}
			}
			check_invariants();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_insert_and_update_order),
		cmocka_unit_test(test_reply_measures_rtt),
		cmocka_unit_test(test_full_bucket_ping_before_evict),
		cmocka_unit_test(test_lrs_answers_ping),
		cmocka_unit_test(test_cached_contact_promoted_when_room),
		cmocka_unit_test(test_bad_member_replaced_at_once),
		cmocka_unit_test(test_bad_member_without_replacement_pinged_again),
		cmocka_unit_test(test_bad_member_ping_backoff_capped),
		cmocka_unit_test(test_liveness_over_time),
		cmocka_unit_test(test_due_pings_and_next_due),
		cmocka_unit_test(test_bucket_refresh),
		cmocka_unit_test(test_diversity_per_bucket),
		cmocka_unit_test(test_diversity_per_table),
		cmocka_unit_test(test_diversity_ipv6),
		cmocka_unit_test(test_diversity_applies_to_cache),
		cmocka_unit_test(test_diversity_matches_recount),
		cmocka_unit_test(test_closest_matches_brute_force),
		cmocka_unit_test(test_iter_pages_and_generation),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_address_change),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_rtt_estimate_converges),
		cmocka_unit_test(test_unknown_contact_timeout_from_table),
		cmocka_unit_test(test_failed_contact_not_in_closest),
		cmocka_unit_test(test_invariants_under_random_operations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
