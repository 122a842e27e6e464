// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of node.c, run at load in debug builds: request slots and
 * their cookies, the rate limiter, and two in-kernel cores wired back to
 * back through the real send and event callbacks (PING/PONG, then a lookup
 * over FIND_NODE/NODES), with the netlink messages they queue checked;
 * and that a reply leaves from the local address its request came to.
 */

#include <net/genetlink.h>

static const struct kd_addr kdht_st_addr_a = {
	.family = KDHT_AF_INET, .port = 4001, .ip = { 127, 0, 0, 1 },
};

static const struct kd_addr kdht_st_addr_b = {
	.family = KDHT_AF_INET, .port = 4002, .ip = { 127, 0, 0, 2 },
};

static bool __init kdht_selftest_reqs(struct kdht_node *node)
{
	int first, cookie, i;
	bool ok = true;

	spin_lock_bh(&node->lock);
	first = kdht_node_req_alloc(node, KDHT_REQ_PING, 7, 1);
	for (i = 1; i < KDHT_ASYNC_MAX; i++) {
		cookie = kdht_node_req_alloc(node, KDHT_REQ_PING, 7, 100 + i);
		if (cookie < 0 || cookie == first || !kdht_node_req_find(node, cookie) ||
		    kdht_node_req_find(node, cookie)->cookie != 100 + i)
			ok = false;
	}
	if (first < 0 || kdht_node_req_alloc(node, KDHT_REQ_PING, 7, 0) != -EBUSY)
		ok = false;
	kdht_node_req_release(node, 7);
	if (kdht_node_req_find(node, first))
		ok = false;
	cookie = kdht_node_req_alloc(node, KDHT_REQ_PING, 8, 2);
	/* A slot reused must not answer to the cookie of its last user. */
	if (cookie < 0 || cookie == first || kdht_node_req_find(node, first))
		ok = false;
	kdht_node_req_release(node, 8);
	spin_unlock_bh(&node->lock);
	if (!ok)
		pr_err("self-test: request slots: FAIL\n");
	return ok;
}

static bool __init kdht_selftest_ratelimit(struct kdht_node *node)
{
	u64 now = kdht_node_now();
	bool ok = true;
	int i;

	spin_lock_bh(&node->rl_lock);
	kd_rl_set(&node->rl, 1, 3);
	for (i = 0; i < 3; i++)
		ok &= kd_rl_allow(&node->rl, now, &kdht_st_addr_a, true);
	ok &= !kd_rl_allow(&node->rl, now, &kdht_st_addr_a, true);
	ok &= kd_rl_allow(&node->rl, now, &kdht_st_addr_b, true);
	ok &= kd_rl_allow(&node->rl, now + 1000, &kdht_st_addr_a, true);
	/* The core consults the limiter too: the loopback tests want it fresh. */
	kd_rl_set(&node->rl, node->params.rl_rate, node->params.rl_burst);
	kd_rl_collect(&node->rl, now + 1000, 0);
	spin_unlock_bh(&node->rl_lock);
	if (!ok)
		pr_err("self-test: rate limiter: FAIL\n");
	return ok;
}

/*
 * A datagram to a peer that reached us at some address leaves from it, and
 * a forgery of the peer's address (unproven) does not move its entry.
 */
static bool __init kdht_selftest_reply_source(struct kdht_node *node)
{
	const struct kdht_src local = {
		.family = KDHT_AF_INET, .ip = { 10, 0, 0, 2 },
	};
	const struct kdht_src forged = {
		.family = KDHT_AF_INET, .ip = { 10, 0, 0, 3 },
	};
	struct sk_buff *to_a, *to_b;
	bool ok;

	spin_lock_bh(&node->lock);
	kdht_node_src_learn(node, &kdht_st_addr_a, &local, true);
	kdht_node_src_learn(node, &kdht_st_addr_a, &forged, false);
	kdht_node_queue_tx(node, &kdht_st_addr_a, (const u8 *)"x", 1);
	kdht_node_queue_tx(node, &kdht_st_addr_b, (const u8 *)"x", 1);
	to_a = __skb_dequeue(&node->txq);
	to_b = __skb_dequeue(&node->txq);
	ok = to_a && to_b &&
	     !memcmp(&kdht_txcb(to_a)->src, &local, sizeof(local)) &&
	     !kdht_txcb(to_b)->src.family;
	kfree_skb(to_a);
	kfree_skb(to_b);
	spin_unlock_bh(&node->lock);
	if (!ok)
		pr_err("self-test: reply source: FAIL\n");
	return ok;
}

/* Hands what src queued to dst's core, as if from src_addr. */
static unsigned int __init kdht_selftest_deliver(struct kdht_node *src,
						 const struct kd_addr *src_addr,
						 struct kdht_node *dst)
{
	struct sk_buff_head q;
	struct kd_input in;
	struct sk_buff *skb;
	unsigned int n = 0;

	__skb_queue_head_init(&q);
	spin_lock_bh(&src->lock);
	skb_queue_splice_init(&src->txq, &q);
	spin_unlock_bh(&src->lock);
	while ((skb = __skb_dequeue(&q))) {
		spin_lock_bh(&dst->lock);
		if (kd_core_input(dst->core, kdht_node_now(), src_addr, skb->data,
				  skb->len, &in) == KD_R_OK)
			n++;
		spin_unlock_bh(&dst->lock);
		kfree_skb(skb);
	}
	return n;
}

static void __init kdht_selftest_run(struct kdht_node *a, struct kdht_node *b)
{
	int round;

	for (round = 0; round < 8; round++)
		if (!kdht_selftest_deliver(a, &kdht_st_addr_a, b) &&
		    !kdht_selftest_deliver(b, &kdht_st_addr_b, a))
			break;
}

/* The queued *_DONE message for cookie: its OK flag, or -1 if none came. */
static int __init kdht_selftest_done(struct kdht_node *node, u8 cmd, u32 cookie)
{
	struct sk_buff *skb;
	int ok = -1;

	spin_lock_bh(&node->lock);
	skb_queue_walk(&node->evq, skb) {
		struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(skb));
		const struct nlattr *c, *o;

		if (gh->cmd != cmd)
			continue;
		c = nla_find(genlmsg_data(gh), genlmsg_len(gh), KDHT_A_COOKIE);
		o = nla_find(genlmsg_data(gh), genlmsg_len(gh), KDHT_A_OK);
		if (c && o && nla_get_u32(c) == cookie)
			ok = nla_get_u8(o);
	}
	spin_unlock_bh(&node->lock);
	return ok;
}

/* Starts ask on node, leaving what it sends queued for kdht_selftest_run(). */
static int __init kdht_selftest_ask(struct kdht_node *node, const struct kdht_ask *ask)
{
	int ret;

	spin_lock_bh(&node->lock);
	ret = kdht_node_ask_locked(node, ask);
	spin_unlock_bh(&node->lock);
	return ret;
}

static bool __init kdht_selftest_loopback(struct kdht_node *a, struct kdht_node *b)
{
	struct kdht_ask ask = {
		.kind = KDHT_REQ_PING, .portid = 1, .cookie = 41,
		.addr = kdht_st_addr_b,
	};
	bool ok = true;

	if (kdht_selftest_ask(a, &ask))
		return false;
	kdht_selftest_run(a, b);
	if (kdht_selftest_done(a, KDHT_CMD_PING_DONE, 41) != 1) {
		pr_err("self-test: loopback ping: FAIL\n");
		ok = false;
	}

	ask.kind = KDHT_REQ_LOOKUP;
	ask.cookie = 42;
	get_random_bytes(ask.target.b, sizeof(ask.target.b));
	if (kdht_selftest_ask(a, &ask))
		return false;
	kdht_selftest_run(a, b);
	if (kdht_selftest_done(a, KDHT_CMD_LOOKUP_DONE, 42) != 1) {
		pr_err("self-test: loopback lookup: FAIL\n");
		ok = false;
	}
	return ok;
}

bool __init kdht_node_selftest(void)
{
	struct kdht_net kn = {};
	struct kdht_node_cfg cfg = {};
	struct kdht_node *a, *b;
	bool ok = false;

	kn.stats = alloc_percpu(struct kdht_stats);
	if (!kn.stats)
		return false;
	kn.net = &init_net;
	mutex_init(&kn.lock);
	kd_params_default(&cfg.params);
	a = kdht_node_alloc(&kn, &cfg);
	if (IS_ERR(a))
		goto out;
	b = kdht_node_alloc(&kn, &cfg);
	if (IS_ERR(b))
		goto out_a;
	ok = kdht_selftest_reqs(a) && kdht_selftest_ratelimit(b) &&
	     kdht_selftest_reply_source(a) && kdht_selftest_loopback(a, b);
	kdht_node_destroy(b);
out_a:
	kdht_node_destroy(a);
out:
	free_percpu(kn.stats);
	if (ok)
		pr_info("self-tests: pass\n");
	return ok;
}
