// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Joining on a lossy link: a node whose join lookup lost its replies, left
 * with its bootstrap contact only, pings its bootstrap address and runs the
 * lookup again on the bootstrap backoff instead of waiting for the bucket
 * refresh (15 minutes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kd_core.h"
#include "kd_table.h"
#include "unit_cores.h"

static struct kd_addr ip4_at(u8 net)
{
	struct kd_addr x;

	memset(&x, 0, sizeof(x));
	x.family = KDHT_AF_INET;
	x.port = 4650;
	x.ip[0] = 10;
	x.ip[1] = net;
	x.ip[3] = 1;
	return x;
}

static unsigned int members(unsigned int i)
{
	return kd_core_table(nodes[i].c)->members;
}

/* Advances the clock by ms in 100 ms steps, ticking every core; each step
 * delivers what was sent, or drops it all when lose is set. */
static void run(u64 ms, bool lose)
{
	u64 end = now + ms;
	unsigned int i;

	while (now < end) {
		now += 100;
		for (i = 0; i < UNIT_NODES; i++)
			kd_core_tick(nodes[i].c, now);
		while (qhead != qtail) {
			if (lose)
				qhead++;
			else
				deliver_one();
		}
	}
}

static void test_join_lookup_runs_again_after_loss(void **state)
{
	unsigned int i;

	for (i = 0; i < UNIT_NODES; i++)
		add_node(i, ip4_at((u8)(i + 1)));
	/* Nodes 2 and 3 join through node 1 first. */
	assert_int_equal(kd_core_bootstrap(nodes[2].c, now, &nodes[1].addr), 0);
	assert_int_equal(kd_core_bootstrap(nodes[3].c, now, &nodes[1].addr), 0);
	run(5000, false);
	assert_int_equal(members(1), 2);

	/* Node 0's ping is answered, then its join lookup meets total loss. */
	assert_int_equal(kd_core_bootstrap(nodes[0].c, now, &nodes[1].addr), 0);
	deliver_one();
	deliver_one();
	assert_int_equal(members(0), 1);
	run(params.lookup_timeout_ms, true);
	assert_int_equal(members(0), 1);

	/* The link recovers: well before a bucket refresh, node 0 knows all. */
	run(2 * params.bootstrap_max_ms, false);
	assert_true(2 * params.bootstrap_max_ms < params.refresh_ms);
	assert_int_equal(members(0), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_lookup_runs_again_after_loss,
						unit_cores_reset, unit_cores_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
