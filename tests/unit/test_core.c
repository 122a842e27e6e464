// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Whole routing cores wired together in-process over the simulator's
 * network (tests/sim): its addresses, delivery to live nodes only, timers
 * and virtual clock. Every datagram a core sends is tapped into a queue
 * first, so that a test can read, hold back or drop it before the network
 * carries it; links have no latency, so only the test moves time on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sim.h"

#define MAX_NODES	24
#define QUEUE_LEN	4096

/* What a test knows of node i of the simulator, and what its core reported. */
struct net_node {
	struct kd_core *c;
	struct kd_addr addr;
	struct kd_id id;
	unsigned int pings_done, pings_ok;
	struct kd_event last_ping;
	unsigned int lookups_done;
	struct kd_event last_lookup;
	struct kd_lookup_hit hits[KD_K_MAX];
};

/* A datagram a core sent, before the network took it. */
struct net_pkt {
	uint32_t src;
	struct kd_addr from, to;
	u64 at;
	size_t len;
	u8 data[KDHT_MAX_DATAGRAM];
};

static struct sim net;
static struct net_node nodes[MAX_NODES];
static struct net_pkt queue[QUEUE_LEN];
static unsigned int qhead, qtail;
static struct kd_params params;
static int cut = -1;	/* a node whose datagrams, both ways, are lost; -1: none */

static struct kd_addr addr_of(unsigned int i)
{
	struct kd_addr a;

	sim_node_addr(&net, i, &a);
	return a;
}

static bool tap(struct sim *s, uint32_t src, const struct kd_addr *to, const u8 *pkt,
		size_t len)
{
	struct net_pkt *p;

	assert_true(qtail - qhead < QUEUE_LEN);
	assert_true(len <= KDHT_MAX_DATAGRAM);
	p = &queue[qtail++ % QUEUE_LEN];
	p->src = src;
	p->from = nodes[src].addr;
	p->to = *to;
	p->at = s->now;
	p->len = len;
	memcpy(p->data, pkt, len);
	return true;
}

static void on_event(struct sim *s, uint32_t node, const struct kd_event *ev)
{
	struct net_node *n = &nodes[node];

	if (ev->type == KD_EV_PING_DONE) {
		n->pings_done++;
		n->pings_ok += ev->ok;
		n->last_ping = *ev;
	} else if (ev->type == KD_EV_LOOKUP_DONE) {
		n->lookups_done++;
		n->last_lookup = *ev;
		assert_true(ev->nhits <= KD_K_MAX);
		memcpy(n->hits, ev->hits, ev->nhits * sizeof(ev->hits[0]));
		n->last_lookup.hits = n->hits;
	}
}

/* Node i, the next the simulator creates, with the test's parameters. */
static void add_node(unsigned int i)
{
	struct sim_node *sn;

	if (!net.node) {
		net.params = params;
		assert_int_equal(sim_init(&net, MAX_NODES), 0);
	}
	assert_int_equal(i, net.nnodes);
	assert_int_equal(sim_node_create(&net), 0);
	sn = &net.node[i];
	nodes[i].c = sn->core;
	nodes[i].id = sn->id;
	nodes[i].addr = addr_of(i);
}

/*
 * Runs the network until virtual time `until`: queued datagrams go out,
 * the cores get them and every timer due, until nothing is left by then.
 */
static void run_until(u64 until)
{
	unsigned int i;

	for (;;) {
		while (qhead != qtail) {
			struct net_pkt *p = &queue[qhead++ % QUEUE_LEN];

			if (cut >= 0 && (p->src == (uint32_t)cut ||
					 kd_addr_equal(&p->to, &nodes[cut].addr)))
				continue;
			sim_send(&net, p->src, &p->to, p->data, p->len);
		}
		/* The tests call the cores directly too: their deadlines move. */
		for (i = 0; i < net.nnodes; i++)
			assert_int_equal(sim_reschedule(&net, i), 0);
		if (sim_peek_time(&net) > until)
			break;
		assert_true(sim_step(&net));
	}
	if (net.now < until)
		net.now = until;
}

/* Delivers everything queued, and what that causes, without moving time on. */
static void deliver(void)
{
	run_until(net.now);
}

static int setup(void **state)
{
	sim_free(&net);
	memset(&net, 0, sizeof(net));
	memset(nodes, 0, sizeof(nodes));
	sim_rng_seed(&net.rng, 1);
	net.net.per_subnet = 1;	/* one /24 per node: diversity limits do not bite */
	net.hooks.on_event = on_event;
	net.hooks.tap = tap;
	net.now = 1000;
	qhead = qtail = 0;
	cut = -1;
	kd_params_default(&params);
	params.max_contacts = 256;
	params.max_inflight = 64;
	params.max_lookups = 4;
	params.lookup_width = 32;
	return 0;
}

static int teardown(void **state)
{
	return setup(state);
}

static bool all_zero(const u8 *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

static struct net_pkt *pop(void)
{
	assert_true(qhead != qtail);
	return &queue[qhead++ % QUEUE_LEN];
}

static void test_ping_pong(void **state)
{
	struct kd_contact *ct;

	add_node(0);
	add_node(1);
	assert_int_equal(kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 77), 0);
	net.now += 5;
	deliver();
	assert_int_equal(nodes[0].pings_ok, 1);
	assert_int_equal(nodes[0].last_ping.cookie, 77);
	assert_int_equal(nodes[0].last_ping.rtt_ms, 5);
	assert_true(kd_id_equal(&nodes[0].last_ping.node.id, &nodes[1].id));
	/*
	 * Both learnt each other, each from an answer: the pinger from the
	 * PONG, the other from the PONG to the ping the padded PING paid for.
	 */
	ct = kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id);
	assert_non_null(ct);
	assert_true(ct->last_reply != 0);
	assert_false(all_zero(ct->token, KDHT_TOKEN_LEN));
	ct = kd_table_find(kd_core_table(nodes[1].c), &nodes[0].id);
	assert_non_null(ct);
	assert_true(ct->last_reply != 0);
}

static size_t raw_find_node(u8 *buf, const u8 *token, size_t pad_to, u8 count)
{
	struct kd_hdr h;
	struct kd_find_node fn;

	memset(&h, 0, sizeof(h));
	h.txid = 4242;
	memset(h.sender.b, 0xee, KDHT_ID_LEN);
	if (token)
		memcpy(h.token, token, KDHT_TOKEN_LEN);
	memset(&fn, 0, sizeof(fn));
	fn.want = KDHT_WANT_V4;
	fn.count = count;
	return kd_encode_find_node(buf, KDHT_MAX_DATAGRAM, &h, &fn, pad_to);
}

/* Fills node 0's table with n contacts that answered it. */
static void fill_table(unsigned int n)
{
	struct kd_node peer, to_ping;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(&peer, 0, sizeof(peer));
		peer.id.b[0] = (u8)(0x80 | i);
		peer.id.b[1] = (u8)i;
		peer.addr = addr_of(100 + i);
		kd_table_seen(kd_core_table(nodes[0].c), net.now, &peer, true, 3, &to_ping);
	}
}

static void test_amplification_bound(void **state)
{
	struct kd_addr client = addr_of(50);
	struct kd_input in;
	struct kd_nodes ns;
	struct kd_hdr rh;
	struct net_pkt *p;
	const u8 *body;
	size_t blen, len;
	u8 req[KDHT_MAX_DATAGRAM], token[KDHT_TOKEN_LEN];

	add_node(0);
	fill_table(30);

	/* Unpadded, no token: the reply may not exceed 88 bytes, so no node fits. */
	len = raw_find_node(req, NULL, 0, 20);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, req, len, &in), KD_R_OK);
	assert_false(in.validated);
	assert_int_equal(in.reply_budget, len);
	assert_true(in.reply_cut);
	p = pop();
	assert_true(p->len <= len);
	assert_int_equal(kd_decode_hdr(p->data, p->len, &rh, &body, &blen), KD_R_OK);
	assert_int_equal(rh.type, KDHT_MSG_NODES);
	assert_int_equal(rh.txid, 4242);
	assert_int_equal(kd_decode_nodes(body, blen, &ns), KD_R_OK);
	assert_int_equal(ns.count, 0);
	memcpy(token, rh.token, KDHT_TOKEN_LEN);

	/* Padded for 20 entries: all 20 come back, still within the request size. */
	len = raw_find_node(req, NULL, kd_nodes_size(20), 20);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, req, len, &in), KD_R_OK);
	assert_false(in.reply_cut);
	p = pop();
	assert_true(p->len <= len);
	assert_int_equal(kd_decode_hdr(p->data, p->len, &rh, &body, &blen), KD_R_OK);
	assert_int_equal(kd_decode_nodes(body, blen, &ns), KD_R_OK);
	assert_int_equal(ns.count, 20);

	/* Padded for only 5: cut to 5. */
	len = raw_find_node(req, NULL, kd_nodes_size(5), 20);
	kd_core_input(nodes[0].c, net.now, &client, req, len, &in);
	assert_true(in.reply_cut);
	p = pop();
	assert_int_equal(p->len, kd_nodes_size(5));

	/* With the token the node issued: validated, full reply to a small request. */
	len = raw_find_node(req, token, 0, 20);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, req, len, &in), KD_R_OK);
	assert_true(in.validated);
	assert_false(in.reply_cut);
	p = pop();
	assert_int_equal(p->len, kd_nodes_size(20));
	assert_true(p->len > len);

	/* The same token from another address does not validate. */
	client = addr_of(51);
	kd_core_input(nodes[0].c, net.now, &client, req, len, &in);
	assert_false(in.validated);
	p = pop();
	assert_true(p->len <= len);
}

static void test_pong_same_size_as_ping(void **state)
{
	struct kd_addr client = addr_of(50);
	struct kd_input in;
	struct kd_hdr h;
	struct net_pkt *p;
	u8 req[KDHT_MAX_DATAGRAM];
	size_t len;

	add_node(0);
	memset(&h, 0, sizeof(h));
	h.type = KDHT_MSG_PING;
	h.txid = 9;
	memset(h.sender.b, 0xee, KDHT_ID_LEN);
	len = kd_encode(req, sizeof(req), &h, NULL, 0, 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, req, len, &in), KD_R_OK);
	assert_false(in.validated);
	p = pop();
	assert_int_equal(p->len, len);
	assert_int_equal(p->data[3], KDHT_MSG_PONG);
	assert_true(p->data[4] & KDHT_F_REPLY);
}

static void test_find_node_excludes_requester(void **state)
{
	struct kd_node ns[KDHT_MAX_NODES];
	struct kd_nodes out;
	struct kd_input in;
	struct kd_hdr rh;
	struct net_pkt *p;
	const u8 *body;
	size_t blen;
	unsigned int i;

	add_node(0);
	add_node(1);
	fill_table(5);
	/* Node 1 is in node 0's table and asks for nodes near its own id. */
	kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 0);
	deliver();
	assert_non_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
	memset(&out, 0, sizeof(out));
	assert_int_equal(kd_core_closest(nodes[0].c, &nodes[1].id, KDHT_WANT_V4, ns, 20), 6);
	assert_true(kd_id_equal(&ns[0].id, &nodes[1].id));

	assert_true(kd_core_lookup(nodes[1].c, net.now, &nodes[1].id, 5) >= 0);
	p = pop();
	assert_int_equal(p->data[3], KDHT_MSG_FIND_NODE);
	kd_core_input(nodes[0].c, net.now, &p->from, p->data, p->len, &in);
	p = pop();
	assert_int_equal(kd_decode_hdr(p->data, p->len, &rh, &body, &blen), KD_R_OK);
	assert_int_equal(kd_decode_nodes(body, blen, &out), KD_R_OK);
	assert_int_equal(out.count, 5);
	for (i = 0; i < out.count; i++)
		assert_false(kd_id_equal(&out.node[i].id, &nodes[1].id));
}

/* The first FIND_NODE node 1 sends to node 0 for a lookup of target. */
static struct net_pkt *first_find_node(const struct kd_id *target)
{
	struct net_pkt *p;

	assert_true(kd_core_lookup(nodes[1].c, net.now, target, 0) >= 0);
	p = pop();
	assert_int_equal(p->data[3], KDHT_MSG_FIND_NODE);
	assert_true(kd_addr_equal(&p->to, &nodes[0].addr));
	return p;
}

static void test_requester_padding_and_stale_tokens(void **state)
{
	struct kd_id target;
	struct kd_node zero, to_ping;
	struct kd_input in;
	struct kd_nodes ns;
	struct kd_hdr rh;
	struct net_pkt *p;
	const u8 *body;
	size_t blen;

	add_node(0);
	add_node(1);
	fill_table(10);
	memset(target.b, 0x99, KDHT_ID_LEN);
	/* Node 1 knows node 0 (say, from a table snapshot) but holds no token. */
	zero.id = nodes[0].id;
	zero.addr = nodes[0].addr;
	kd_table_seen(kd_core_table(nodes[1].c), net.now, &zero, false, 0, &to_ping);

	/* No token yet: padded for a full NODES of k entries and a PING back. */
	p = first_find_node(&target);
	assert_int_equal(p->len, kd_nodes_size(params.k) + KDHT_HDR_LEN);
	qhead = qtail;
	run_until(net.now + params.lookup_timeout_ms);
	assert_int_equal(nodes[1].lookups_done, 1);

	/* A ping answered: node 0's fresh token makes the next request small. */
	kd_core_ping(nodes[1].c, net.now, &nodes[0].addr, 0);
	deliver();
	p = first_find_node(&target);
	assert_int_equal(p->len, KDHT_HDR_LEN + KDHT_FIND_NODE_LEN);
	qhead = qtail;
	run_until(net.now + params.lookup_timeout_ms);

	/*
	 * Two rotations later node 0 no longer accepts that token: node 1 pads
	 * again, so the answer still carries every node instead of none.
	 */
	run_until(net.now + 2 * params.token_rotate_ms);
	p = first_find_node(&target);
	assert_int_equal(p->len, kd_nodes_size(params.k) + KDHT_HDR_LEN);
	kd_core_input(nodes[0].c, net.now, &p->from, p->data, p->len, &in);
	/* Validated by node 1's answer to node 0's ping, not by the stale token. */
	assert_true(in.validated);
	assert_false(in.reply_cut);
	p = pop();
	assert_int_equal(kd_decode_hdr(p->data, p->len, &rh, &body, &blen), KD_R_OK);
	assert_int_equal(kd_decode_nodes(body, blen, &ns), KD_R_OK);
	assert_int_equal(ns.count, 10);
}

static void test_unsolicited_and_self(void **state)
{
	struct kd_input in;
	struct kd_hdr h;
	struct net_pkt *p;
	const u8 *body;
	size_t blen, len;
	u8 pkt[KDHT_MAX_DATAGRAM];
	struct kd_addr other = addr_of(9);

	add_node(0);
	add_node(1);
	kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 0);
	p = pop();
	assert_int_equal(kd_decode_hdr(p->data, p->len, &h, &body, &blen), KD_R_OK);

	/* A PONG with a txid nobody sent. */
	h.type = KDHT_MSG_PONG;
	h.flags = KDHT_F_REPLY;
	h.sender = nodes[1].id;
	h.txid ^= 1;
	len = kd_encode(pkt, sizeof(pkt), &h, NULL, 0, 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &nodes[1].addr, pkt, len, &in),
			 KD_R_UNSOLICITED);
	/* The right txid from the wrong address. */
	h.txid ^= 1;
	len = kd_encode(pkt, sizeof(pkt), &h, NULL, 0, 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &other, pkt, len, &in),
			 KD_R_UNSOLICITED);
	/* A NODES answering a PING is no answer. */
	len = kd_encode_nodes(pkt, sizeof(pkt), &h, NULL, 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &nodes[1].addr, pkt, len, &in),
			 KD_R_UNSOLICITED);
	assert_int_equal(nodes[0].pings_done, 0);
	assert_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
	/* The right one is accepted once; the same again is unsolicited. */
	len = kd_encode(pkt, sizeof(pkt), &h, NULL, 0, 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &nodes[1].addr, pkt, len, &in),
			 KD_R_OK);
	assert_int_equal(nodes[0].pings_ok, 1);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &nodes[1].addr, pkt, len, &in),
			 KD_R_UNSOLICITED);

	/* Our own id as sender. */
	h.type = KDHT_MSG_PING;
	h.flags = 0;
	h.sender = nodes[0].id;
	len = kd_encode(pkt, sizeof(pkt), &h, NULL, 0, 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &other, pkt, len, &in), KD_R_SELF);
	assert_true(qhead == qtail);
}

static void test_value_and_reserved_types(void **state)
{
	struct kd_input in;
	struct kd_hdr h;
	size_t len;
	u8 pkt[KDHT_MAX_DATAGRAM], body[40];
	struct kd_addr client = addr_of(7), client2 = addr_of(8);

	add_node(0);
	memset(&h, 0, sizeof(h));
	memset(h.sender.b, 0x33, KDHT_ID_LEN);
	memset(body, 0x0a, sizeof(body));
	h.type = KDHT_MSG_FIND_VALUE;
	len = kd_encode(pkt, sizeof(pkt), &h, body, sizeof(body), 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, pkt, len, &in), KD_R_OK);
	assert_true(in.upcall);
	assert_int_equal(in.body_len, sizeof(body));
	assert_int_equal(in.reply_budget, len);
	assert_true(qhead == qtail);	/* the daemon answers, not the core */
	/* Its sender has not proven its address: no table contact. */
	assert_null(kd_table_find(kd_core_table(nodes[0].c), &h.sender));

	/* A client's message is accepted, but the client never enters the table. */
	memset(h.sender.b, 0x44, KDHT_ID_LEN);
	h.flags = KDHT_F_CLIENT;
	len = kd_encode(pkt, sizeof(pkt), &h, body, sizeof(body), 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client2, pkt, len, &in), KD_R_OK);
	assert_null(kd_table_find(kd_core_table(nodes[0].c), &h.sender));

	pkt[3] = 0x06;
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, pkt, len, &in), KD_R_BAD_TYPE);
	pkt[3] = 0x80;
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, pkt, len, &in), KD_R_BAD_TYPE);
	pkt[3] = KDHT_MSG_PING;
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, pkt, len, &in),
			 KD_R_BAD_LENGTH);
}

/* A value request the host cannot hand up gets ERROR UNAVAILABLE, within budget. */
static void test_refused_value_request(void **state)
{
	struct kd_input in, rin;
	struct kd_hdr h;
	struct kd_addr client = addr_of(7);
	u8 pkt[KDHT_MAX_DATAGRAM], body[40];
	const u8 *rbody;
	size_t len, rlen;
	struct net_pkt *p;
	u16 code;

	add_node(0);
	memset(&h, 0, sizeof(h));
	memset(h.sender.b, 0x33, KDHT_ID_LEN);
	memset(body, 0x0a, sizeof(body));
	h.type = KDHT_MSG_STORE;
	h.txid = 0x1234abcd;
	len = kd_encode(pkt, sizeof(pkt), &h, body, sizeof(body), 0);
	assert_int_equal(kd_core_input(nodes[0].c, net.now, &client, pkt, len, &in), KD_R_OK);
	assert_true(in.upcall);
	kd_core_refuse(nodes[0].c, &client, &in, KDHT_ERR_UNAVAILABLE);
	assert_int_equal(qtail - qhead, 1);
	p = &queue[qhead++ % QUEUE_LEN];
	assert_true(kd_addr_equal(&p->to, &client));
	assert_true(p->len <= len);
	assert_int_equal(kd_decode_hdr(p->data, p->len, &rin.hdr, &rbody, &rlen), KD_R_OK);
	assert_int_equal(rin.hdr.type, KDHT_MSG_ERROR);
	assert_true(rin.hdr.flags & KDHT_F_REPLY);
	assert_int_equal(rin.hdr.txid, h.txid);
	assert_int_equal(kd_decode_error(rbody, rlen, &code), KD_R_OK);
	assert_int_equal(code, KDHT_ERR_UNAVAILABLE);

	/* A request too small to pay for an ERROR, and any reply, get nothing. */
	in.reply_budget = KDHT_HDR_LEN + KDHT_ERROR_LEN - 1;
	kd_core_refuse(nodes[0].c, &client, &in, KDHT_ERR_UNAVAILABLE);
	in.reply_budget = KDHT_MAX_DATAGRAM;
	in.hdr.type = KDHT_MSG_STORE_ACK;	/* a reply by its type, flag or not */
	kd_core_refuse(nodes[0].c, &client, &in, KDHT_ERR_UNAVAILABLE);
	assert_true(qhead == qtail);
}

static void test_lookup_converges(void **state)
{
	struct kd_id target;
	struct kd_id best[MAX_NODES];
	unsigned int i, j, n = 20;
	const struct kd_event *ev;

	params.k = 8;
	params.alpha = 2;
	for (i = 0; i < n; i++)
		add_node(i);
	for (i = 1; i < n; i++) {
		assert_int_equal(kd_core_bootstrap(nodes[i].c, net.now, &nodes[0].addr), 0);
		run_until(net.now + 50);
	}
	run_until(net.now + 5000);

	memset(target.b, 0x5c, KDHT_ID_LEN);
	assert_true(kd_core_lookup(nodes[7].c, net.now, &target, 99) >= 0);
	run_until(net.now + 5000);
	assert_int_equal(nodes[7].lookups_done, 1);
	ev = &nodes[7].last_lookup;
	assert_int_equal(ev->cookie, 99);
	assert_true(ev->ok);
	assert_int_equal(ev->nhits, 8);
	assert_true(ev->stats.rounds >= 1);
	assert_true(ev->stats.replies >= 8);

	/* The true eight closest of all other nodes, by brute force. */
	for (i = 0, j = 0; i < n; i++)
		if (i != 7)
			best[j++] = nodes[i].id;
	for (i = 0; i < 8; i++) {
		for (j = i + 1; j < n - 1; j++) {
			if (kd_id_cmp_distance(&target, &best[j], &best[i]) < 0) {
				struct kd_id t = best[i];

				best[i] = best[j];
				best[j] = t;
			}
		}
		assert_true(kd_id_equal(&ev->hits[i].node.id, &best[i]));
	}
	assert_int_equal(kd_core_lookups_running(nodes[7].c), 0);
}

static void test_empty_table_lookup(void **state)
{
	struct kd_id target;

	add_node(0);
	memset(target.b, 1, KDHT_ID_LEN);
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 3) >= 0);
	assert_int_equal(nodes[0].lookups_done, 1);
	assert_int_equal(nodes[0].last_lookup.nhits, 0);
	assert_int_equal(kd_core_lookups_running(nodes[0].c), 0);
}

static void test_lookup_cancel(void **state)
{
	struct kd_id target;
	int stale, h;

	add_node(0);
	add_node(1);
	memset(target.b, 1, KDHT_ID_LEN);
	/* Finishes at once (empty table): its handle is stale from the start. */
	stale = kd_core_lookup(nodes[0].c, net.now, &target, 1);
	assert_true(stale >= 0);
	assert_int_equal(nodes[0].lookups_done, 1);
	kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 0);
	deliver();

	h = kd_core_lookup(nodes[0].c, net.now, &target, 2);
	assert_true(h >= 0);
	assert_int_not_equal(h, stale);
	kd_core_lookup_cancel(nodes[0].c, stale);
	assert_int_equal(kd_core_lookups_running(nodes[0].c), 1);
	kd_core_lookup_cancel(nodes[0].c, h);
	assert_int_equal(kd_core_lookups_running(nodes[0].c), 0);
	/* The reply to its FIND_NODE still arrives, but no event follows. */
	run_until(net.now + params.lookup_timeout_ms);
	assert_int_equal(nodes[0].lookups_done, 1);
}

static void test_bootstrap_backoff(void **state)
{
	struct kd_addr boot = addr_of(1);
	u64 sent_at[16];
	unsigned int nsent = 0, i, mark;
	u64 start;

	add_node(0);	/* node 1's address exists, but nobody is home yet */
	start = net.now;
	assert_int_equal(kd_core_bootstrap(nodes[0].c, net.now, &boot), 0);
	while (net.now < start + 20000) {
		while (qhead != qtail) {
			struct net_pkt *p = pop();

			assert_true(kd_addr_equal(&p->to, &boot));
			assert_int_equal(p->data[3], KDHT_MSG_PING);
			assert_true(nsent < 16);
			sent_at[nsent++] = p->at - start;
		}
		net.now = KD_MIN(kd_core_next_due(nodes[0].c), start + 20000);
		kd_core_tick(nodes[0].c, net.now);
	}
	assert_int_equal(nsent, 5);
	assert_int_equal(sent_at[0], 0);
	assert_int_equal(sent_at[1], 1000);
	assert_int_equal(sent_at[2], 3000);
	assert_int_equal(sent_at[3], 7000);
	assert_int_equal(sent_at[4], 15000);

	/*
	 * Once a node answers it is a member; with fewer than KD_JOIN_MEMBERS
	 * the join goes on, but at the capped backoff: at most one ping per
	 * bootstrap_max_ms.
	 */
	add_node(1);
	run_until(start + 40000);
	assert_non_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
	mark = qtail;
	run_until(start + 40000 + 3 * KD_DEFAULT_BOOTSTRAP_MAX_MS);
	nsent = 0;
	for (i = mark; i != qtail; i++)
		nsent += kd_addr_equal(&queue[i % QUEUE_LEN].from, &nodes[0].addr) &&
			 queue[i % QUEUE_LEN].data[3] == KDHT_MSG_PING;
	assert_true(nsent <= 3);
}

/*
 * A FIND times out and is resent with a fresh txid; the reply to the first
 * attempt then arrives late and still completes the lookup.
 */
static void test_find_resend_accepts_late_reply(void **state)
{
	static struct net_pkt late[8];
	struct kd_input in;
	struct kd_id target;
	struct net_pkt *p;
	unsigned int nlate = 0, i, finds = 0;
	u32 txid1, txid2;

	add_node(0);
	add_node(1);
	kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 0);
	deliver();
	memset(target.b, 0x77, KDHT_ID_LEN);
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 5) >= 0);
	/* Node 1 answers the FIND; its answer is held back. */
	assert_int_equal(qtail - qhead, 1);
	p = &queue[qhead++ % QUEUE_LEN];
	assert_int_equal(p->data[3], KDHT_MSG_FIND_NODE);
	memcpy(&txid1, p->data + 8, sizeof(txid1));
	kd_core_input(nodes[1].c, net.now, &p->from, p->data, p->len, &in);
	while (qhead != qtail) {
		assert_true(nlate < 8);
		late[nlate++] = queue[qhead++ % QUEUE_LEN];
	}
	/* The timeout resends the FIND, with another txid; that one is lost. */
	net.now += params.request_timeout_ms;
	kd_core_tick(nodes[0].c, net.now);
	for (; qhead != qtail; qhead++) {
		p = &queue[qhead % QUEUE_LEN];
		if (p->data[3] != KDHT_MSG_FIND_NODE)
			continue;
		finds++;
		memcpy(&txid2, p->data + 8, sizeof(txid2));
		assert_true(txid2 != txid1);
	}
	assert_int_equal(finds, 1);
	assert_int_equal(nodes[0].lookups_done, 0);
	for (i = 0; i < nlate; i++)
		if (kd_addr_equal(&late[i].to, &nodes[0].addr))
			assert_int_equal(kd_core_input(nodes[0].c, net.now + 10, &late[i].from,
						       late[i].data, late[i].len, &in),
					 KD_R_OK);
	assert_int_equal(nodes[0].lookups_done, 1);
	assert_int_equal(nodes[0].last_lookup.cookie, 5);
	assert_int_equal(nodes[0].last_lookup.nhits, 1);
	assert_int_equal(nodes[0].last_lookup.stats.sent, 2);
	assert_int_equal(nodes[0].last_lookup.stats.timeouts, 1);
	assert_int_equal(nodes[0].last_lookup.stats.replies, 1);
}

static void test_timeouts_mark_failures(void **state)
{
	struct kd_contact *ct;
	struct kd_id target;

	add_node(0);
	add_node(1);
	kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 0);
	deliver();
	sim_node_kill(&net, 1);
	memset(target.b, 0x77, KDHT_ID_LEN);
	ct = kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id);
	assert_non_null(ct);
	/*
	 * Node 1 answered at once: the FIND times out after the least timeout,
	 * far sooner than the most, and its resend after a round trip.
	 */
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 1) >= 0);
	run_until(net.now + params.request_timeout_min_ms + 50);
	assert_int_equal(nodes[0].lookups_done, 1);
	assert_int_equal(nodes[0].last_lookup.nhits, 0);
	assert_int_equal(nodes[0].last_lookup.stats.sent, 2);
	assert_int_equal(nodes[0].last_lookup.stats.slow, 1);
	assert_int_equal(nodes[0].last_lookup.stats.timeouts, 2);
	assert_true(ct->fails >= 1);
	/* A contact that failed is no longer asked... */
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 2) >= 0);
	assert_int_equal(nodes[0].lookups_done, 2);
	assert_int_equal(nodes[0].last_lookup.stats.sent, 0);
	/* ...and the liveness pings in the background find it bad. */
	run_until(net.now + params.max_fails * params.request_timeout_ms);
	assert_int_equal(kd_table_liveness(kd_core_table(nodes[0].c), ct, net.now), KD_BAD);

	/* A ping to a silent address reports failure after the timeout. */
	assert_int_equal(kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 11), 0);
	run_until(net.now + params.request_timeout_ms);
	assert_int_equal(nodes[0].pings_done, 2);
	assert_false(nodes[0].last_ping.ok);
	assert_int_equal(nodes[0].last_ping.cookie, 11);
}

/* A contact that went bad while it was unreachable is used again once it answers. */
static void test_bad_contact_back_in_lookups(void **state)
{
	struct kd_contact *ct;
	struct kd_id target;

	add_node(0);
	add_node(1);
	kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 0);
	deliver();
	ct = kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id);
	assert_non_null(ct);
	memset(target.b, 0x77, KDHT_ID_LEN);
	cut = 1;
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 1) >= 0);
	run_until(net.now + params.max_fails * params.request_timeout_ms);
	assert_int_equal(kd_table_liveness(kd_core_table(nodes[0].c), ct, net.now), KD_BAD);
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 2) >= 0);
	assert_int_equal(nodes[0].last_lookup.stats.sent, 0);

	/* It is reachable again: the pings in the background find it, within the backoff cap. */
	cut = -1;
	run_until(net.now + KD_BAD_PING_MAX_MS + 2 * params.request_timeout_ms);
	assert_int_equal(kd_table_liveness(kd_core_table(nodes[0].c), ct, net.now), KD_GOOD);
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 3) >= 0);
	run_until(net.now + params.request_timeout_ms);
	assert_int_equal(nodes[0].lookups_done, 3);
	assert_true(nodes[0].last_lookup.stats.sent >= 1);
	assert_int_equal(nodes[0].last_lookup.stats.timeouts, 0);
}

static void test_refresh_and_liveness(void **state)
{
	struct kd_hdr h;
	struct kd_id target;
	const u8 *body;
	size_t blen;
	unsigned int i, mark, refreshes = 0, pings = 0;
	unsigned int b;

	add_node(0);
	add_node(1);
	b = kd_id_bucket(&nodes[0].id, &nodes[1].id);
	kd_core_ping(nodes[0].c, net.now, &nodes[1].addr, 0);
	deliver();
	mark = qtail;
	run_until(net.now + params.refresh_ms + params.request_timeout_ms);
	for (i = mark; i != qtail; i++) {
		struct net_pkt *p = &queue[i % QUEUE_LEN];

		if (!kd_addr_equal(&p->from, &nodes[0].addr))
			continue;
		assert_int_equal(kd_decode_hdr(p->data, p->len, &h, &body, &blen), KD_R_OK);
		if (h.type == KDHT_MSG_PING)
			pings++;
		if (h.type != KDHT_MSG_FIND_NODE)
			continue;
		memcpy(target.b, body, KDHT_ID_LEN);
		/* A refresh looks up a random id in the stale bucket. */
		assert_int_equal(kd_id_bucket(&nodes[0].id, &target), b);
		refreshes++;
	}
	assert_int_equal(refreshes, 1);
	/* Node 1 fell silent for good_ms: node 0 checked it was still there. */
	assert_true(pings >= 1);
	assert_int_equal(kd_table_liveness(kd_core_table(nodes[0].c),
					   kd_table_find(kd_core_table(nodes[0].c),
							 &nodes[1].id), net.now), KD_GOOD);
}

static void test_request_pool_bounded(void **state)
{
	struct kd_addr a;
	unsigned int i;

	params.max_inflight = 4;
	add_node(0);
	for (i = 0; i < 4; i++) {
		a = addr_of(30 + i);
		assert_int_equal(kd_core_ping(nodes[0].c, net.now, &a, i), 0);
	}
	a = addr_of(40);
	assert_int_equal(kd_core_ping(nodes[0].c, net.now, &a, 9), -ENOSPC);
	/* Busy slots never make the node ask to be ticked again at once. */
	assert_true(kd_core_tick(nodes[0].c, net.now) > net.now);
	assert_true(kd_core_next_due(nodes[0].c) > net.now);
	run_until(net.now + params.request_timeout_ms);
	assert_int_equal(nodes[0].pings_done, 4);
	assert_int_equal(kd_core_ping(nodes[0].c, net.now, &a, 9), 0);
}

/* However the node's next deadline was cached, a new one brings it forward. */
static void test_next_due_follows_new_deadlines(void **state)
{
	struct kd_addr silent = addr_of(30);
	struct kd_id target = { { 0x5a } };
	u64 timeout = params.request_timeout_ms;

	add_node(0);
	add_node(1);
	assert_true(kd_core_next_due(nodes[0].c) > net.now + timeout);
	assert_int_equal(kd_core_ping(nodes[0].c, net.now, &silent, 1), 0);
	assert_true(kd_core_next_due(nodes[0].c) <= net.now + timeout);
	run_until(net.now + timeout);
	assert_int_equal(nodes[0].pings_done, 1);
	assert_int_equal(nodes[0].pings_ok, 0);
	assert_true(kd_core_next_due(nodes[0].c) > net.now + timeout);

	assert_int_equal(kd_core_bootstrap(nodes[0].c, net.now, &nodes[1].addr), 0);
	assert_true(kd_core_next_due(nodes[0].c) <= net.now + timeout);
	run_until(net.now + timeout);
	assert_int_equal(kd_core_table(nodes[0].c)->members, 1);

	/* Node 1 falls silent: the lookup's request to it still times out on time. */
	run_until(net.now + 10 * timeout);
	sim_node_kill(&net, 1);
	assert_true(kd_core_lookup(nodes[0].c, net.now, &target, 7) >= 0);
	assert_true(kd_core_next_due(nodes[0].c) <= net.now + timeout);
	run_until(net.now + params.lookup_timeout_ms + timeout);
	assert_int_equal(nodes[0].lookups_done, 1);
}

static void test_init_rejects_short_block(void **state)
{
	struct kd_io io = { 0 };
	struct kd_core *c;
	struct kd_id id = { { 1 } };
	u8 seed[32] = { 0 };
	size_t size = kd_core_memsize(&params);
	void *mem = malloc(size);

	assert_non_null(mem);
	assert_int_equal(kd_core_init(mem, size - 1, &params, &id, seed, 0, &io, &c), -EINVAL);
	params.k = 0;
	assert_int_equal(kd_core_memsize(&params), 0);
	assert_int_equal(kd_core_init(mem, size, &params, &id, seed, 0, &io, &c), -EINVAL);
	free(mem);
}

/* Every test starts from an empty network and parameters of its own. */
#define CORE_TEST(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		CORE_TEST(test_ping_pong),
		CORE_TEST(test_amplification_bound),
		CORE_TEST(test_pong_same_size_as_ping),
		CORE_TEST(test_find_node_excludes_requester),
		CORE_TEST(test_requester_padding_and_stale_tokens),
		CORE_TEST(test_unsolicited_and_self),
		CORE_TEST(test_value_and_reserved_types),
		CORE_TEST(test_refused_value_request),
		CORE_TEST(test_lookup_converges),
		CORE_TEST(test_empty_table_lookup),
		CORE_TEST(test_lookup_cancel),
		CORE_TEST(test_bootstrap_backoff),
		CORE_TEST(test_find_resend_accepts_late_reply),
		CORE_TEST(test_timeouts_mark_failures),
	CORE_TEST(test_bad_contact_back_in_lookups),
		CORE_TEST(test_refresh_and_liveness),
		CORE_TEST(test_request_pool_bounded),
		CORE_TEST(test_next_due_follows_new_deadlines),
		CORE_TEST(test_init_rejects_short_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
