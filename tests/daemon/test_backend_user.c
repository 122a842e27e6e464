// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The userspace routing backend over real loopback UDP: nodes find each
 * other, pings are answered, value messages reach the daemon's handler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "backend.h"

#define NODES 4
#define BASE_PORT 46210

struct node {
	struct kdd_backend *b;
	struct kd_id id;
	int got_msgs;
	struct kdd_msg last;
	uint8_t last_body[64];
};

static uv_loop_t loop;
static struct node nodes[NODES];
static int lookup_done, ping_done;
static unsigned int lookup_hits;
static bool ping_ok;
static struct kd_id ping_id;

static void on_recv(void *ctx, const struct kdd_msg *m)
{
	struct node *n = ctx;

	n->got_msgs++;
	n->last = *m;
	memcpy(n->last_body, m->body, KD_MIN(m->body_len, sizeof(n->last_body)));
}

static void on_lookup(void *arg, bool ok, const struct kd_lookup_hit *hits, unsigned int nhits,
		      unsigned int rounds)
{
	lookup_done++;
	lookup_hits = nhits;
}

static void on_ping(void *arg, bool ok, const struct kd_node *node, uint32_t rtt_ms)
{
	ping_done++;
	ping_ok = ok;
	ping_id = node->id;
}

static void run_until(int *flag, int want)
{
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000;

	while (*flag < want && uv_hrtime() < deadline)
		uv_run(&loop, UV_RUN_ONCE);
}

/* Runs until every node knows `want` others (or 10 s pass). */
static void run_until_known(unsigned int want)
{
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000;
	struct kd_node out[NODES];
	unsigned int i, ok;

	do {
		uv_run(&loop, UV_RUN_ONCE);
		for (i = 0, ok = 0; i < NODES; i++)
			ok += nodes[i].b->ops->routes(nodes[i].b, out, NULL, NODES) >= want;
	} while (ok < NODES && uv_hrtime() < deadline);
}

static int setup(void **state)
{
	struct kdd_user_backend_params p = { .bind4 = "127.0.0.1", .bind6 = "" };
	struct kdd_backend_host host = { .recv = on_recv };
	const char *msg;
	int i;

	assert_int_equal(uv_loop_init(&loop), 0);
	kd_params_default(&p.core);
	/* Every node shares 127.0.0.1: lift the per-subnet diversity limits. */
	p.core.subnet_per_bucket = p.core.k;
	p.core.result_per_subnet = p.core.k;
	p.core.subnet_per_table = 64;
	for (i = 0; i < NODES; i++) {
		memset(nodes[i].id.b, 0x11 * (i + 1), KDHT_ID_LEN);
		nodes[i].id.b[31] = (uint8_t)i;
		p.port = (uint16_t)(BASE_PORT + i);
		host.ctx = &nodes[i];
		assert_int_equal(kdd_user_backend_create(&nodes[i].b, &loop, &p, &nodes[i].id,
							 &host, &msg), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	int i;

	for (i = 0; i < NODES; i++)
		nodes[i].b->ops->stop(nodes[i].b);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (i = 0; i < NODES; i++)
		nodes[i].b->ops->destroy(nodes[i].b);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

static void nodes_find_each_other(void **state)
{
	struct kd_addr a;
	struct kd_node out[NODES];
	char text[32];
	int i, want = 0;

	for (i = 1; i < NODES; i++) {
		snprintf(text, sizeof(text), "127.0.0.1:%d", BASE_PORT);
		assert_int_equal(kd_addr_parse(&a, text, 0), 0);
		assert_int_equal(nodes[i].b->ops->bootstrap(nodes[i].b, &a), 0);
	}
	/* Bootstrapping ends in a lookup of each node's own id. */
	run_until_known(NODES - 1);
	for (i = 0; i < NODES; i++)
		assert_int_equal(nodes[i].b->ops->routes(nodes[i].b, out, NULL, NODES), NODES - 1);
	for (i = 1; i < NODES; i++) {
		want++;
		assert_int_equal(nodes[i].b->ops->lookup(nodes[i].b, &nodes[0].id, on_lookup,
							 NULL), 0);
	}
	run_until(&lookup_done, want);
	assert_int_equal(lookup_done, want);
	assert_int_equal(lookup_hits, NODES - 1);
	assert_true(nodes[0].b->ops->closest(nodes[0].b, &nodes[0].id, KDHT_WANT_V4,
					     out, NODES) >= 1);

	assert_int_equal(kd_addr_parse(&a, "127.0.0.1:46213", 0), 0);
	assert_int_equal(nodes[0].b->ops->ping(nodes[0].b, &a, on_ping, NULL), 0);
	run_until(&ping_done, 1);
	assert_true(ping_ok);
	assert_memory_equal(ping_id.b, nodes[3].id.b, KDHT_ID_LEN);
}

static void value_messages_reach_the_handler(void **state)
{
	static const uint8_t body[] = { 0x0a, 0x02, 'h', 'i' };
	struct kd_addr a;
	uint32_t txid = 0;

	assert_int_equal(kd_addr_parse(&a, "127.0.0.1:46211", 0), 0);
	assert_int_equal(nodes[0].b->ops->send(nodes[0].b, &a, KDHT_MSG_FIND_VALUE, 0, 0, body,
					       sizeof(body), 0, &txid), 0);
	run_until(&nodes[1].got_msgs, 1);
	assert_int_equal(nodes[1].got_msgs, 1);
	assert_int_equal(nodes[1].last.hdr.type, KDHT_MSG_FIND_VALUE);
	assert_int_equal(nodes[1].last.hdr.txid, txid);
	assert_memory_equal(nodes[1].last.hdr.sender.b, nodes[0].id.b, KDHT_ID_LEN);
	assert_int_equal(nodes[1].last.body_len, sizeof(body));
	assert_memory_equal(nodes[1].last_body, body, sizeof(body));
	assert_int_equal(nodes[1].last.from.port, BASE_PORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nodes_find_each_other, setup, teardown),
		cmocka_unit_test_setup_teardown(value_messages_reach_the_handler, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
