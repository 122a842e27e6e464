// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The lookup state machine driven by arbitrary scripts of seeds, sends,
 * replies (from asked nodes, strangers, twice), failures and time steps.
 * After every step its invariants must hold: candidates strictly sorted by
 * distance and at most width of them, inflight equal to the asked ones that
 * are not slow and at most alpha, done sticky, results closest-first and
 * replied.
 */
#include <stdlib.h>

#include "kd_lookup.h"
#include "fuzz_script.h"

#define WIDTH_MAX 32
#define K_MAX 8

/* 256 distinct nodes, one per byte value, spread over the id space. */
static struct kd_node node_of(u8 v)
{
	struct kd_node n;
	unsigned int i;

	memset(&n, 0, sizeof(n));
	for (i = 0; i < KDHT_ID_LEN; i++)
		n.id.b[i] = (u8)(v * 151 + i * 7 + (v >> 3) * i);
	n.id.b[0] = (u8)(v * 89);
	n.addr.family = KDHT_AF_INET;
	n.addr.port = 4650;
	n.addr.ip[0] = 10;
	n.addr.ip[3] = v;
	return n;
}

static void check(const struct kd_lookup *l, bool was_done)
{
	struct kd_lookup_hit hits[K_MAX];
	unsigned int i, asked = 0, n;

	CHECK(l->ncand <= l->width);
	CHECK(l->inflight <= l->alpha);
	for (i = 0; i < l->ncand; i++) {
		if (l->cand[i].state == KD_CAND_ASKED && !l->cand[i].slow)
			asked++;
		if (i)
			CHECK(kd_id_cmp_distance(&l->target, &l->cand[i - 1].node.id,
						 &l->cand[i].node.id) < 0);
	}
	CHECK(asked == l->inflight);
	if (was_done)
		CHECK(l->done);
	n = kd_lookup_result(l, hits, K_MAX);
	CHECK(n <= l->k);
	for (i = 0; i < n; i++) {
		if (i)
			CHECK(kd_id_cmp_distance(&l->target, &hits[i - 1].node.id,
						 &hits[i].node.id) < 0);
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct kd_lookup_cand storage[WIDTH_MAX];
	struct kd_node from, got, nodes[KDHT_MAX_NODES];
	struct script s = { data, size };
	struct kd_lookup l;
	struct kd_id target;
	u8 k, alpha, width, i, n, op;
	u64 now = 1000;
	bool was_done;

	k = (u8)(1 + take(&s) % K_MAX);
	alpha = (u8)(1 + take(&s) % 4);
	width = (u8)(k + alpha + take(&s) % (WIDTH_MAX - 11));
	memset(target.b, take(&s), KDHT_ID_LEN);
	kd_lookup_init(&l, storage, width, &target, k, alpha, (u8)(alpha % 3), 500,
		       20000, now);

	while (s.left) {
		was_done = l.done;
		op = take(&s);
		switch (op % 6) {
		case 0:
			from = node_of(take(&s));
			kd_lookup_seed(&l, &from);
			break;
		case 1:
			while (kd_lookup_next(&l, now, &got)) {
				CHECK(!l.done && l.inflight <= l.alpha);
				kd_lookup_set_timing(&l, &got.id, (u32)take(&s) * 4,
						     (u32)take(&s) * 8);
			}
			break;
		case 2:	/* any node replies, asked or not */
		case 5:	/* one of the candidates replies */
			if (op % 6 == 5 && l.ncand)
				from = l.cand[take(&s) % l.ncand].node;
			else
				from = node_of(take(&s));
			n = take(&s) % (KDHT_MAX_NODES + 1);
			for (i = 0; i < n; i++)
				nodes[i] = node_of(take(&s));
			kd_lookup_on_reply(&l, now, &from, nodes, n);
			break;
		case 3:
			from = node_of(take(&s));
			if (take(&s) & 1)
				kd_lookup_exclude(&l, now, &from.id);
			else
				kd_lookup_on_failure(&l, now, &from.id);
			break;
		case 4:
			now += (u64)take(&s) * 40;
			kd_lookup_tick(&l, now);
			CHECK(kd_lookup_next_due(&l) > now || l.done);
			break;
		}
		check(&l, was_done);
		if (l.done)
			CHECK(!kd_lookup_next(&l, now, &got));
	}
	return 0;
}
