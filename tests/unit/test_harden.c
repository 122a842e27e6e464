// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The routing core turned against others or its own host, as an attacker
 * would try it: forged sources must not enter the table nor draw more bytes
 * than they sent, NODES entries must not aim the node at narrower scopes,
 * and neither sprayed sources nor floods in a peer's name may defeat the
 * rate limiter or cost the peer its replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kd_core.h"
#include "unit_cores.h"

/* Port 4650 of family's unspecified address, for the callers to fill in. */
static struct kd_addr endpoint(u8 family)
{
	struct kd_addr x;

	memset(&x, 0, sizeof(x));
	x.family = family;
	x.port = 4650;
	return x;
}

static struct kd_addr ip4(u8 a, u8 b, u8 c, u8 d)
{
	struct kd_addr x = endpoint(KDHT_AF_INET);

	x.ip[0] = a;
	x.ip[1] = b;
	x.ip[2] = c;
	x.ip[3] = d;
	return x;
}

/* b0:b1::last */
static struct kd_addr ip6(u8 b0, u8 b1, u8 last)
{
	struct kd_addr x = endpoint(KDHT_AF_INET6);

	x.ip[0] = b0;
	x.ip[1] = b1;
	x.ip[15] = last;
	return x;
}

/* Delivers what is queued to the cores at its addresses; the rest is lost. */
static void deliver(void)
{
	struct kd_input in;

	while (qhead != qtail) {
		struct sent *s = &queue[qhead++ % UNIT_QUEUE_LEN];
		struct node *dst = node_at(&s->to);

		if (dst)
			kd_core_input(dst->c, now, &s->from, s->data, s->len, &in);
	}
}

/* Drops what is queued, returning the bytes of it sent to `to`. */
static size_t drain_to(const struct kd_addr *to)
{
	size_t bytes = 0;

	while (qhead != qtail) {
		struct sent *s = &queue[qhead++ % UNIT_QUEUE_LEN];

		if (kd_addr_equal(&s->to, to))
			bytes += s->len;
	}
	return bytes;
}

static int setup(void **state)
{
	return unit_cores_reset(state);
}

static int teardown(void **state)
{
	return setup(state);
}

/* A request as a forger writes it: any sender id, any padding, maybe a token. */
static size_t forge(u8 *buf, u8 type, u8 id_byte, size_t pad_to, const u8 *token)
{
	struct kd_find_node fn;
	struct kd_hdr h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.txid = 99;
	memset(h.sender.b, id_byte, KDHT_ID_LEN);
	if (token)
		memcpy(h.token, token, KDHT_TOKEN_LEN);
	if (type != KDHT_MSG_FIND_NODE)
		return kd_encode(buf, KDHT_MAX_DATAGRAM, &h, NULL, 0, pad_to);
	memset(&fn, 0, sizeof(fn));
	memset(fn.target.b, id_byte, KDHT_ID_LEN);
	fn.want = KDHT_WANT_V4 | KDHT_WANT_V6;
	fn.count = KDHT_MAX_NODES;
	return kd_encode_find_node(buf, KDHT_MAX_DATAGRAM, &h, &fn, pad_to);
}

/* Gives node 0 n table members that answered it, far from the ids forged below. */
static void fill_table(unsigned int n)
{
	struct kd_node c, to_ping;
	unsigned int i;

	for (i = 0; i < n; i++) {
		memset(c.id.b, 0x80 + i, KDHT_ID_LEN);
		c.addr = ip4(10, (u8)(100 + i), 0, 1);
		kd_table_seen(kd_core_table(nodes[0].c), now, &c, true, 5, &to_ping);
	}
}

static bool closest_has(unsigned int i, const struct kd_id *id)
{
	struct kd_node out[KD_K_MAX];
	unsigned int n, j;

	n = kd_core_closest(nodes[i].c, id, KDHT_WANT_V4 | KDHT_WANT_V6, out, KD_K_MAX);
	for (j = 0; j < n; j++)
		if (kd_id_equal(&out[j].id, id))
			return true;
	return false;
}

/* The latest queued NODES to `to`. */
static const struct sent *nodes_to(const struct kd_addr *to)
{
	unsigned int i;

	for (i = qtail; i != qhead; i--) {
		const struct sent *s = &queue[(i - 1) % UNIT_QUEUE_LEN];

		if (kd_addr_equal(&s->to, to) && s->data[3] == KDHT_MSG_NODES)
			return s;
	}
	fail_msg("no NODES queued");
	return NULL;
}

/* The ids a NODES reply carries, checked for one. */
static bool nodes_reply_has(const struct sent *s, const struct kd_id *id)
{
	struct kd_nodes ns;
	struct kd_hdr h;
	const u8 *body;
	size_t blen;
	unsigned int j;

	assert_int_equal(kd_decode_hdr(s->data, s->len, &h, &body, &blen), KD_R_OK);
	assert_int_equal(h.type, KDHT_MSG_NODES);
	assert_int_equal(kd_decode_nodes(body, blen, &ns), KD_R_OK);
	for (j = 0; j < ns.count; j++)
		if (kd_id_equal(&ns.node[j].id, id))
			return true;
	return false;
}

/*
 * A sender that has not answered us is never handed out, by closest() nor
 * in NODES, until it answers our ping; then it is a member.
 */
static void test_unproven_sender_not_advertised(void **state)
{
	struct kd_addr asker = ip4(10, 9, 9, 9);
	u8 pkt[KDHT_MAX_DATAGRAM];
	size_t len, ping_len;
	struct kd_input in;

	add_node(0, ip4(10, 0, 0, 1));
	add_node(1, ip4(10, 1, 0, 1));
	fill_table(5);
	/* Node 1 pings node 0: node 0 answers and pings back, paid by the padding. */
	assert_int_equal(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 1), 0);
	ping_len = queue[qhead].len;
	deliver_one();
	assert_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
	assert_false(closest_has(0, &nodes[1].id));
	/* A FIND_NODE for node 1's own id does not name it either. */
	len = forge(pkt, KDHT_MSG_FIND_NODE, 0x55, kd_nodes_size(KDHT_MAX_NODES), NULL);
	memcpy(pkt + KDHT_HDR_LEN, nodes[1].id.b, KDHT_ID_LEN);
	assert_int_equal(kd_core_input(nodes[0].c, now, &asker, pkt, len, &in), KD_R_OK);
	assert_false(nodes_reply_has(nodes_to(&asker), &nodes[1].id));
	assert_int_equal(ping_len, 2 * KDHT_HDR_LEN);
	/* Node 1's PONG to node 0's ping, delivered now, proves its address. */
	now += 3;
	deliver();
	assert_int_equal(nodes[1].pings_ok, 1);
	assert_non_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
	assert_true(closest_has(0, &nodes[1].id));
	assert_int_equal(kd_core_input(nodes[0].c, now, &asker, pkt, len, &in), KD_R_OK);
	assert_true(nodes_reply_has(nodes_to(&asker), &nodes[1].id));
}

/*
 * A newcomer far away answers our ping later than the members near us do:
 * the table's round trips say nothing of it, and its PONG, 500 ms late in
 * a table of 5 ms members, still makes it a member.
 */
static void test_slow_newcomer_proves_its_address(void **state)
{
	add_node(0, ip4(10, 0, 0, 1));
	add_node(1, ip4(10, 1, 0, 1));
	fill_table(5);
	assert_int_equal(kd_core_ping(nodes[1].c, now, &nodes[0].addr, 1), 0);
	deliver_one();
	assert_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
	/* Node 0's PONG and its ping back travel 500 ms, and so does the answer. */
	now += 500;
	kd_core_tick(nodes[0].c, now);
	kd_core_tick(nodes[1].c, now);
	deliver();
	assert_int_equal(nodes[1].pings_ok, 1);
	assert_non_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
	assert_true(closest_has(0, &nodes[1].id));
}

/*
 * Requests forged from a victim's address, of every kind and size: all the
 * node sends there because of them, replies, pings and lookups, stays within
 * what the victim (seemingly) sent.
 */
static void test_forged_source_draws_no_more_than_it_sent(void **state)
{
	struct kd_addr victim = ip4(192, 0, 2, 53);
	u8 pkt[KDHT_MAX_DATAGRAM];
	size_t len, rx = 0, tx = 0;
	struct kd_input in;
	struct kd_id target;
	unsigned int round;

	victim.port = 53;
	add_node(0, ip4(10, 0, 0, 1));
	fill_table(25);
	for (round = 0; round < 40; round++) {
		static const struct {
			u8 type;
			size_t pad_to;
		} kind[] = {
			{ KDHT_MSG_PING, 0 },
			{ KDHT_MSG_FIND_NODE, 0 },
			{ KDHT_MSG_PING, 2 * KDHT_HDR_LEN },
			{ KDHT_MSG_FIND_NODE, 1148 },
		};
		unsigned int k = round % 4;

		len = forge(pkt, kind[k].type, (u8)(0x20 + round), kind[k].pad_to, NULL);
		assert_int_equal(kd_core_input(nodes[0].c, now, &victim, pkt, len, &in),
				 KD_R_OK);
		rx += len;
		tx += drain_to(&victim);
		now += 1;
	}
	/* The node's own lookups and ticks later must not reach the victim either. */
	memset(target.b, 0x30, KDHT_ID_LEN);
	assert_true(kd_core_lookup(nodes[0].c, now, &target, 7) >= 0);
	tx += drain_to(&victim);
	for (round = 0; round < 10; round++) {
		now += params.request_timeout_ms;
		kd_core_tick(nodes[0].c, now);
		tx += drain_to(&victim);
	}
	print_message("forged from the victim: %zu bytes in, %zu bytes out\n", rx, tx);
	assert_true(tx <= rx);
	for (round = 0; round < 40; round++) {
		memset(target.b, 0x20 + round, KDHT_ID_LEN);
		assert_null(kd_table_find(kd_core_table(nodes[0].c), &target));
	}
}

/* Scripts peer `from`'s NODES answer to node 0's pending FIND_NODE. */
static int answer_find(const struct kd_addr *from, const struct kd_node *entries,
		       unsigned int n, struct kd_input *in)
{
	u8 pkt[KDHT_MAX_DATAGRAM];
	const u8 *body;
	struct sent *s;
	struct kd_hdr h, q;
	size_t blen, len;

	for (s = NULL; qhead != qtail && !s; qhead++)
		if (kd_addr_equal(&queue[qhead % UNIT_QUEUE_LEN].to, from))
			s = &queue[qhead % UNIT_QUEUE_LEN];
	assert_non_null(s);
	assert_int_equal(kd_decode_hdr(s->data, s->len, &q, &body, &blen), KD_R_OK);
	assert_int_equal(q.type, KDHT_MSG_FIND_NODE);
	memset(&h, 0, sizeof(h));
	h.type = KDHT_MSG_NODES;
	h.flags = KDHT_F_REPLY;
	h.txid = q.txid;
	memset(h.sender.b, 0x70, KDHT_ID_LEN);
	len = kd_encode_nodes(pkt, sizeof(pkt), &h, entries, n);
	return kd_core_input(nodes[0].c, now, from, pkt, len, in);
}

static bool sent_to(const struct kd_addr *a)
{
	unsigned int i;

	for (i = qhead; i != qtail; i++)
		if (kd_addr_equal(&queue[i % UNIT_QUEUE_LEN].to, a))
			return true;
	return false;
}

/* Each class of address, and the peers it may come from. */
static void test_scope_of_learned_addresses(void **state)
{
	static const struct {
		struct kd_addr peer;
		u8 loopback, link_local, private;	/* accepted from this peer */
	} peers[] = {
		{ { KDHT_AF_INET, 0, 4650, { 198, 51, 100, 7 } }, 0, 0, 0 },
		{ { KDHT_AF_INET, 0, 4650, { 10, 4, 0, 7 } }, 0, 0, 1 },
		{ { KDHT_AF_INET, 0, 4650, { 169, 254, 3, 7 } }, 0, 1, 1 },
		{ { KDHT_AF_INET, 0, 4650, { 127, 0, 0, 7 } }, 1, 0, 1 },
	};
	struct kd_node e[8];
	struct kd_input in;
	struct kd_id target;
	unsigned int p, i;

	e[0].addr = ip4(127, 0, 0, 1);		/* loopback */
	e[1].addr = ip6(0, 0, 1);		/* ::1 */
	e[2].addr = ip4(169, 254, 1, 1);	/* link-local */
	e[3].addr = ip6(0xfe, 0x80, 1);		/* fe80::1 */
	e[4].addr = ip4(192, 168, 1, 1);	/* private */
	e[5].addr = ip6(0xfd, 0x00, 1);		/* ULA */
	e[6].addr = ip6(0, 0, 1);		/* ::ffff:203.0.113.1 */
	e[6].addr.ip[10] = 0xff;
	e[6].addr.ip[11] = 0xff;
	e[6].addr.ip[12] = 203;
	e[6].addr.ip[15] = 1;
	e[7].addr = ip4(203, 0, 113, 1);	/* global */
	for (i = 0; i < 8; i++)
		memset(e[i].id.b, 0x31 + i, KDHT_ID_LEN);
	e[1].addr.ip[15] = 1;
	memset(target.b, 0x33, KDHT_ID_LEN);

	for (p = 0; p < 4; p++) {
		setup(state);
		params.alpha = KD_ALPHA_MAX;	/* every kept entry is asked at once */
		add_node(0, ip4(10, 0, 0, 1));
		kd_core_bootstrap(nodes[0].c, now, &peers[p].peer);
		qhead = qtail;
		{
			struct kd_node peer, to_ping;

			memset(peer.id.b, 0x70, KDHT_ID_LEN);
			peer.addr = peers[p].peer;
			kd_table_seen(kd_core_table(nodes[0].c), now, &peer, true, 5, &to_ping);
		}
		assert_true(kd_core_lookup(nodes[0].c, now, &target, 1) >= 0);
		assert_int_equal(answer_find(&peers[p].peer, e, 8, &in), KD_R_OK);
		assert_int_equal(in.scope_refused[0], 2 * !peers[p].loopback);
		assert_int_equal(in.scope_refused[1], 2 * !peers[p].link_local);
		assert_int_equal(in.scope_refused[2], 2 * !peers[p].private);
		assert_int_equal(in.scope_refused[3], 1);
		/* What was refused is never asked; what was kept is. */
		assert_int_equal(sent_to(&e[0].addr), peers[p].loopback);
		assert_int_equal(sent_to(&e[2].addr), peers[p].link_local);
		assert_int_equal(sent_to(&e[4].addr), peers[p].private);
		assert_false(sent_to(&e[6].addr));
		assert_true(sent_to(&e[7].addr));
	}
	/* An IPv6 link-local peer may name link-local and private addresses. */
	assert_true(kd_addr_learnable(&e[3].addr, &e[2].addr));
	assert_true(kd_addr_learnable(&e[3].addr, &e[5].addr));
	assert_false(kd_addr_learnable(&e[3].addr, &e[1].addr));
	assert_false(kd_addr_learnable(&e[7].addr, &e[5].addr));
	assert_false(kd_addr_learnable(&e[0].addr, &e[6].addr));
}

static struct kd_addr sprayed(u32 i)
{
	return ip4((u8)(1 + (i >> 24) % 223), (u8)(i >> 16), (u8)(i >> 8), (u8)i);
}

/*
 * 100,000 random sources, each sending twice: none gets more than its one
 * request, and the entries of the real peers, one with requests left and
 * one that spent them, are neither evicted nor refilled.
 */
static void test_limiter_spray(void **state)
{
	static struct kd_rl_entry mem[4096];
	struct kd_addr peer = ip4(10, 7, 7, 7), spent = ip4(10, 8, 8, 8), a;
	struct kd_ratelimit rl;
	u8 key[KD_SECRET_LEN] = { 7 };
	unsigned int i, allowed = 0;
	u32 x = 12345;

	assert_true(kd_rl_memsize(params.rl_entries) <= sizeof(mem));
	kd_rl_init(&rl, mem, params.rl_entries, params.rl_rate, params.rl_burst, key);
	assert_true(kd_rl_allow(&rl, now, &peer, true));
	while (kd_rl_allow(&rl, now, &spent, true))
		;
	for (i = 0; i < 100000; i++) {
		x = x * 1103515245u + 12345u;
		a = sprayed(x);
		allowed += kd_rl_allow(&rl, now, &a, false);
		assert_false(kd_rl_allow(&rl, now, &a, false));
	}
	print_message("100000 sprayed sources: %u requests let through\n", allowed);
	assert_true(allowed <= rl.nentries);
	assert_true(kd_rl_allow(&rl, now, &peer, true));
	assert_false(kd_rl_allow(&rl, now, &spent, true));
}

/*
 * An attacker floods node 0 with requests forged in peer node 1's name:
 * they are limited, but node 1's replies to node 0 never are.
 */
static void test_peer_replies_never_limited(void **state)
{
	static struct kd_rl_entry mem[64];
	u8 key[KD_SECRET_LEN] = { 9 }, pkt[KDHT_MAX_DATAGRAM];
	struct kd_ratelimit rl;
	struct kd_input in;
	unsigned int i, limited = 0;
	size_t len;

	add_node(0, ip4(10, 0, 0, 1));
	add_node(1, ip4(10, 1, 0, 1));
	kd_rl_init(&rl, mem, 64, 10, 20, key);
	nodes[0].rl = &rl;
	for (i = 0; i < 5; i++) {
		assert_int_equal(kd_core_ping(nodes[0].c, now, &nodes[1].addr, i), 0);
		len = forge(pkt, KDHT_MSG_PING, 0x11 * 2, 0, NULL);
		while (limited < 1000 * (i + 1))
			limited += kd_core_input(nodes[0].c, now, &nodes[1].addr, pkt, len,
						 &in) == KD_R_RATE_LIMITED;
		now += 10;
		deliver();
	}
	assert_int_equal(nodes[0].pings_ok, 5);
	assert_non_null(kd_table_find(kd_core_table(nodes[0].c), &nodes[1].id));
}

/*
 * What a host may learn about an address from a datagram (the local address
 * it reaches us at) it learns from a proven source only: a reply we asked
 * that address for, or a request carrying our token for it. Forgeries of
 * the same address, requests without the token and unsolicited replies,
 * are taken (answered within their budget) but never proven.
 */
static void test_proven_sources(void **state)
{
	u8 pkt[KDHT_MAX_DATAGRAM], token[KDHT_TOKEN_LEN];
	struct kd_addr other;
	const struct sent *s;
	struct kd_input in;
	size_t len;

	add_node(0, ip4(10, 0, 0, 1));
	add_node(1, ip4(10, 1, 0, 1));
	len = forge(pkt, KDHT_MSG_PING, 0x22, 0, NULL);
	assert_int_equal(kd_core_input(nodes[0].c, now, &nodes[1].addr, pkt, len, &in), KD_R_OK);
	assert_false(in.proven);
	s = &queue[(qtail - 1) % UNIT_QUEUE_LEN];
	assert_true(kd_addr_equal(&s->to, &nodes[1].addr));
	memcpy(token, s->data + 12, KDHT_TOKEN_LEN);
	qhead = qtail;

	len = forge(pkt, KDHT_MSG_FIND_NODE, 0x22, 0, token);
	assert_int_equal(kd_core_input(nodes[0].c, now, &nodes[1].addr, pkt, len, &in), KD_R_OK);
	assert_true(in.proven);
	/* The same token from another address proves nothing. */
	other = ip4(10, 2, 0, 1);
	assert_int_equal(kd_core_input(nodes[0].c, now, &other, pkt, len, &in), KD_R_OK);
	assert_false(in.proven);
	qhead = qtail;

	len = forge(pkt, KDHT_MSG_PONG, 0x22, 0, NULL);
	pkt[4] = KDHT_F_REPLY;
	assert_int_equal(kd_core_input(nodes[0].c, now, &nodes[1].addr, pkt, len, &in),
			 KD_R_UNSOLICITED);
	assert_false(in.proven);

	assert_int_equal(kd_core_ping(nodes[0].c, now, &nodes[1].addr, 7), 0);
	deliver_one();
	s = &queue[qhead % UNIT_QUEUE_LEN];
	assert_true(kd_addr_equal(&s->to, &nodes[0].addr));
	assert_int_equal(kd_core_input(nodes[0].c, now, &s->from, s->data, s->len, &in), KD_R_OK);
	assert_true(in.proven);
}

/*
 * Past unvalidated_rate the node is under load: unvalidated requests go
 * unanswered, those with its token are answered, and the budget refills.
 */
static void test_unvalidated_budget_and_under_load(void **state)
{
	u8 pkt[KDHT_MAX_DATAGRAM], token[KDHT_TOKEN_LEN];
	struct kd_addr regular = ip4(10, 5, 0, 1), a;
	const u8 *body;
	struct kd_input in;
	struct kd_hdr h;
	size_t len, blen;
	unsigned int i;

	params.unvalidated_rate = 10;
	add_node(0, ip4(10, 0, 0, 1));
	len = forge(pkt, KDHT_MSG_PING, 0x44, 0, NULL);
	assert_int_equal(kd_core_input(nodes[0].c, now, &regular, pkt, len, &in), KD_R_OK);
	assert_int_equal(kd_decode_hdr(queue[qtail - 1].data, queue[qtail - 1].len, &h,
				       &body, &blen), KD_R_OK);
	memcpy(token, h.token, sizeof(token));
	for (i = 1; i < 10; i++) {
		a = ip4(10, 6, 0, (u8)i);
		assert_int_equal(kd_core_input(nodes[0].c, now, &a, pkt, len, &in), KD_R_OK);
	}
	qhead = qtail;
	a = ip4(10, 6, 1, 1);
	assert_int_equal(kd_core_input(nodes[0].c, now, &a, pkt, len, &in), KD_R_UNDER_LOAD);
	assert_int_equal(kd_core_input(nodes[0].c, now, &regular, pkt, len, &in),
			 KD_R_UNDER_LOAD);
	assert_true(qhead == qtail);
	/* The token of an earlier reply still opens the door. */
	len = forge(pkt, KDHT_MSG_PING, 0x44, 0, token);
	assert_int_equal(kd_core_input(nodes[0].c, now, &regular, pkt, len, &in), KD_R_OK);
	assert_true(in.validated);
	assert_true(kd_addr_equal(&queue[qhead].to, &regular));
	/* 10 per second: one more after 100 ms. */
	len = forge(pkt, KDHT_MSG_PING, 0x45, 0, NULL);
	now += 100;
	assert_int_equal(kd_core_input(nodes[0].c, now, &a, pkt, len, &in), KD_R_OK);
	assert_int_equal(kd_core_input(nodes[0].c, now, &a, pkt, len, &in), KD_R_UNDER_LOAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unproven_sender_not_advertised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_newcomer_proves_its_address, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forged_source_draws_no_more_than_it_sent,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_of_learned_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limiter_spray, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_replies_never_limited, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proven_sources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unvalidated_budget_and_under_load, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
