// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kdht" (proto/kdht_genl.h). Every command
 * holds kdht_net.lock for its whole run, so a node cannot stop under it;
 * the core itself is only touched under the node's spinlock. Everything
 * that shows the table or the traffic (GET_NODE, GET_ROUTES, GET_STATS, the
 * routes group) needs CAP_NET_ADMIN in the namespace, as WireGuard's
 * GET_DEVICE does: the table tells who talks to this host.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/genetlink.h>
#include <net/netns/generic.h>
#include <net/sock.h>

#include "main.h"
#include "netlink.h"
#include "node.h"
#include "debug.h"

static struct genl_family kdht_family;

enum kdht_mcgrp {
	KDHT_MCGRP_ROUTES_ID,
};

static const struct genl_multicast_group kdht_mcgrps[] = {
	[KDHT_MCGRP_ROUTES_ID] = { .name = KDHT_MCGRP_ROUTES,
				   .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static const struct nla_policy kdht_peer_policy[KDHT_PEER_MAX + 1] = {
	[KDHT_PEER_ID] = NLA_POLICY_EXACT_LEN(KDHT_ID_LEN),
	[KDHT_PEER_ADDR] = NLA_POLICY_RANGE(NLA_BINARY, 4, 16),
	[KDHT_PEER_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static const struct nla_policy kdht_policy[KDHT_A_MAX + 1] = {
	[KDHT_A_ID] = NLA_POLICY_EXACT_LEN(KDHT_ID_LEN),
	[KDHT_A_PORT] = { .type = NLA_U16 },
	[KDHT_A_K] = NLA_POLICY_RANGE(NLA_U8, 1, KD_K_MAX),
	[KDHT_A_ALPHA] = NLA_POLICY_RANGE(NLA_U8, 1, KD_ALPHA_MAX),
	[KDHT_A_RETRIES] = NLA_POLICY_MAX(NLA_U8, KD_LOOKUP_RETRIES_MAX),
	[KDHT_A_SUBNET_BUCKET] = NLA_POLICY_MIN(NLA_U8, 1),
	[KDHT_A_SUBNET_TABLE] = NLA_POLICY_MIN(NLA_U16, 1),
	[KDHT_A_RL_RATE] = NLA_POLICY_MIN(NLA_U32, 1),
	[KDHT_A_RL_BURST] = NLA_POLICY_MIN(NLA_U32, 1),
	[KDHT_A_PEER] = NLA_POLICY_NESTED(kdht_peer_policy),
	[KDHT_A_TARGET] = NLA_POLICY_EXACT_LEN(KDHT_ID_LEN),
	[KDHT_A_COOKIE] = { .type = NLA_U32 },
	/* ERROR or a value type: the reserved types between, kdht_nl_send(). */
	[KDHT_A_TYPE] = NLA_POLICY_RANGE(NLA_U8, KDHT_MSG_ERROR, KDHT_MSG_APP_LAST),
	[KDHT_A_FLAGS] = { .type = NLA_U8 },
	[KDHT_A_TXID] = { .type = NLA_U32 },
	[KDHT_A_PAYLOAD] = { .type = NLA_BINARY, .len = KDHT_MAX_BODY },
	[KDHT_A_PAD_TO] = NLA_POLICY_MAX(NLA_U16, KDHT_MAX_DATAGRAM),
	/* 16 bytes set the key, 0 clear it: checked in kdht_nl_apply_mesh(). */
	[KDHT_A_MESH_KEY] = { .type = NLA_BINARY, .len = KD_SECRET_LEN },
};

static struct kdht_net *kdht_nl_net(struct genl_info *info)
{
	return net_generic(genl_info_net(info), kdht_net_id);
}

/* Must hold kn->lock. The running node, or NULL with an error message. */
static struct kdht_node *kdht_nl_node(struct kdht_net *kn, struct genl_info *info)
{
	struct kdht_node *node = kdht_node_get(kn);

	if (!node)
		GENL_SET_ERR_MSG(info, "node not running");
	return node;
}

static int kdht_nl_put_addr(struct sk_buff *skb, const struct kd_addr *a)
{
	return nla_put(skb, KDHT_PEER_ADDR, a->family == KDHT_AF_INET ? 4 : 16,
		       a->ip) ||
	       nla_put_u16(skb, KDHT_PEER_PORT, a->port);
}

static int kdht_nl_put_peer(struct sk_buff *skb, const struct kd_id *id,
			    const struct kd_addr *a, u32 rtt_ms)
{
	struct nlattr *nest = nla_nest_start(skb, KDHT_A_PEER);

	if (!nest)
		return -EMSGSIZE;
	if ((id && nla_put(skb, KDHT_PEER_ID, KDHT_ID_LEN, id->b)) ||
	    kdht_nl_put_addr(skb, a) ||
	    nla_put_u32(skb, KDHT_PEER_RTT_MS, rtt_ms)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int kdht_nl_get_addr(struct genl_info *info, struct kd_addr *out)
{
	struct nlattr *tb[KDHT_PEER_MAX + 1];
	int ret, len;

	if (GENL_REQ_ATTR_CHECK(info, KDHT_A_PEER))
		return -EINVAL;
	ret = nla_parse_nested(tb, KDHT_PEER_MAX, info->attrs[KDHT_A_PEER],
			       kdht_peer_policy, info->extack);
	if (ret)
		return ret;
	if (!tb[KDHT_PEER_ADDR] || !tb[KDHT_PEER_PORT]) {
		GENL_SET_ERR_MSG(info, "peer needs an address and a port");
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	len = nla_len(tb[KDHT_PEER_ADDR]);
	if (len == 4) {
		out->family = KDHT_AF_INET;
	} else if (len == 16) {
		out->family = KDHT_AF_INET6;
	} else {
		GENL_SET_ERR_MSG(info, "address must be 4 or 16 bytes");
		return -EINVAL;
	}
	memcpy(out->ip, nla_data(tb[KDHT_PEER_ADDR]), len);
	out->port = nla_get_u16(tb[KDHT_PEER_PORT]);
	if (!kd_addr_usable(out)) {
		GENL_SET_ERR_MSG(info, "unusable address");
		return -EINVAL;
	}
	return 0;
}

static int kdht_nl_fill_node(struct sk_buff *skb, struct kdht_net *kn,
			     struct kdht_node *node)
{
	struct kd_params def, *p = &def;
	u16 port = kdht_default_port;

	kd_params_default(&def);
	if (node) {
		p = &node->params;
		port = node->port;
	}
	if (nla_put_u8(skb, KDHT_A_RUNNING, !!node) ||
	    nla_put_u16(skb, KDHT_A_PORT, port) ||
	    nla_put_u8(skb, KDHT_A_K, p->k) ||
	    nla_put_u8(skb, KDHT_A_ALPHA, p->alpha) ||
	    nla_put_u8(skb, KDHT_A_RETRIES, p->lookup_retries) ||
	    nla_put_u8(skb, KDHT_A_SUBNET_BUCKET, p->subnet_per_bucket) ||
	    nla_put_u16(skb, KDHT_A_SUBNET_TABLE, p->subnet_per_table) ||
	    nla_put_u32(skb, KDHT_A_RL_RATE, p->rl_rate) ||
	    nla_put_u32(skb, KDHT_A_RL_BURST, p->rl_burst) ||
	    nla_put_u8(skb, KDHT_A_DAEMON, !!rcu_access_pointer(kn->daemon)) ||
	    nla_put_u8(skb, KDHT_A_CLOSED, node && node->mesh_closed))
		return -EMSGSIZE;
	if (!node)
		return 0;
	spin_lock_bh(&node->lock);
	if (nla_put(skb, KDHT_A_ID, KDHT_ID_LEN, kd_core_self(node->core)->b) ||
	    nla_put_u32(skb, KDHT_A_TABLE_SIZE, kd_core_table(node->core)->members) ||
	    nla_put_u32(skb, KDHT_A_LOOKUPS, kd_core_lookups_running(node->core))) {
		spin_unlock_bh(&node->lock);
		return -EMSGSIZE;
	}
	spin_unlock_bh(&node->lock);
	return 0;
}

static int kdht_nl_get_node(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_net *kn = kdht_nl_net(info);
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kdht_family, 0, KDHT_CMD_GET_NODE);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	mutex_lock(&kn->lock);
	ret = kdht_nl_fill_node(msg, kn, kdht_node_get(kn));
	mutex_unlock(&kn->lock);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static void kdht_nl_apply_params(struct genl_info *info, struct kd_params *p)
{
	struct nlattr **a = info->attrs;

	if (a[KDHT_A_K])
		p->k = nla_get_u8(a[KDHT_A_K]);
	if (a[KDHT_A_ALPHA])
		p->alpha = nla_get_u8(a[KDHT_A_ALPHA]);
	if (a[KDHT_A_RETRIES])
		p->lookup_retries = nla_get_u8(a[KDHT_A_RETRIES]);
	if (a[KDHT_A_SUBNET_BUCKET])
		p->subnet_per_bucket = nla_get_u8(a[KDHT_A_SUBNET_BUCKET]);
	if (a[KDHT_A_SUBNET_TABLE])
		p->subnet_per_table = nla_get_u16(a[KDHT_A_SUBNET_TABLE]);
	if (a[KDHT_A_RL_RATE])
		p->rl_rate = nla_get_u32(a[KDHT_A_RL_RATE]);
	if (a[KDHT_A_RL_BURST])
		p->rl_burst = nla_get_u32(a[KDHT_A_RL_BURST]);
}

/* KDHT_A_MESH_KEY into cfg: 16 bytes close the mesh, none open it. */
static int kdht_nl_apply_mesh(struct genl_info *info, struct kdht_node_cfg *cfg)
{
	const struct nlattr *a = info->attrs[KDHT_A_MESH_KEY];

	if (!a)
		return 0;
	if (nla_len(a) != 0 && nla_len(a) != KD_SECRET_LEN) {
		GENL_SET_ERR_MSG(info, "a mesh key is 16 bytes, or none to open the mesh");
		return -EINVAL;
	}
	cfg->mesh_closed = nla_len(a) == KD_SECRET_LEN;
	if (cfg->mesh_closed)
		memcpy(cfg->mesh_tag_key, nla_data(a), KD_SECRET_LEN);
	return 0;
}

/* Must hold kn->lock. Parameters that size no memory and the mesh key, changed in place. */
static int kdht_nl_set_running(struct kdht_node *node, const struct kdht_node_cfg *cfg)
{
	const struct kd_params *p = &cfg->params;
	int ret;

	spin_lock_bh(&node->lock);
	ret = kd_core_set_params(node->core, p);
	if (!ret) {
		node->params = *p;
		kdht_node_set_mesh_locked(node, cfg);
	}
	spin_unlock_bh(&node->lock);
	if (ret)
		return ret;
	spin_lock_bh(&node->rl_lock);
	kd_rl_set(&node->rl, p->rl_rate, p->rl_burst);
	spin_unlock_bh(&node->rl_lock);
	return 0;
}

static int kdht_nl_set_node(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_net *kn = kdht_nl_net(info);
	struct kdht_node_cfg cfg = {};
	struct kdht_node *node;
	bool restart;
	int ret;

	mutex_lock(&kn->lock);
	node = kdht_node_get(kn);
	if (node) {
		cfg.params = node->params;
		cfg.port = node->port;
		cfg.has_id = true;
		spin_lock_bh(&node->lock);
		cfg.id = *kd_core_self(node->core);
		cfg.mesh_closed = node->mesh_closed;
		memcpy(cfg.mesh_tag_key, node->mesh_tag_key, KD_SECRET_LEN);
		spin_unlock_bh(&node->lock);
	} else {
		kd_params_default(&cfg.params);
		cfg.port = kdht_default_port;
	}
	/* Only a different id or port restarts a running node. */
	restart = !node;
	if (info->attrs[KDHT_A_ID] &&
	    (!cfg.has_id || memcmp(cfg.id.b, nla_data(info->attrs[KDHT_A_ID]),
				   KDHT_ID_LEN))) {
		memcpy(cfg.id.b, nla_data(info->attrs[KDHT_A_ID]), KDHT_ID_LEN);
		cfg.has_id = true;
		restart = true;
	}
	if (info->attrs[KDHT_A_PORT] &&
	    nla_get_u16(info->attrs[KDHT_A_PORT]) != cfg.port) {
		cfg.port = nla_get_u16(info->attrs[KDHT_A_PORT]);
		restart = true;
	}
	kdht_nl_apply_params(info, &cfg.params);
	ret = kdht_nl_apply_mesh(info, &cfg);
	if (ret)
		goto out;
	ret = kd_params_check(&cfg.params);
	if (ret) {
		GENL_SET_ERR_MSG(info, "parameter out of range");
		goto out;
	}
	if (!restart) {
		ret = kdht_nl_set_running(node, &cfg);
		goto out;
	}
	ret = kdht_node_start(kn, &cfg);
	if (ret == -EADDRINUSE && node && node == kdht_node_get(kn))
		GENL_SET_ERR_MSG(info, "port in use; the node runs on, unchanged");
	else if (ret == -EADDRINUSE)
		GENL_SET_ERR_MSG(info, "port in use");
out:
	mutex_unlock(&kn->lock);
	memzero_explicit(cfg.mesh_tag_key, sizeof(cfg.mesh_tag_key));
	return ret;
}

static int kdht_nl_del_node(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_net *kn = kdht_nl_net(info);
	int ret = 0;

	mutex_lock(&kn->lock);
	if (kdht_nl_node(kn, info))
		kdht_node_stop(kn);
	else
		ret = -ENETDOWN;
	mutex_unlock(&kn->lock);
	return ret;
}

static int kdht_nl_add_contact(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_net *kn = kdht_nl_net(info);
	struct kdht_node *node;
	struct kd_addr addr;
	int ret;

	ret = kdht_nl_get_addr(info, &addr);
	if (ret)
		return ret;
	mutex_lock(&kn->lock);
	node = kdht_nl_node(kn, info);
	ret = node ? kdht_node_bootstrap(node, &addr) : -ENETDOWN;
	if (ret == -ENOSPC)
		GENL_SET_ERR_MSG(info, "too many bootstrap addresses");
	mutex_unlock(&kn->lock);
	return ret;
}

/*
 * PING and LOOKUP: answered at once, while the outcome follows as PING_DONE
 * or LOOKUP_DONE to the requester.
 */
static int kdht_nl_ask(struct genl_info *info, struct kdht_ask *ask)
{
	struct kdht_net *kn = kdht_nl_net(info);
	struct kdht_node *node;
	int ret = -ENETDOWN;

	ask->portid = info->snd_portid;
	if (info->attrs[KDHT_A_COOKIE])
		ask->cookie = nla_get_u32(info->attrs[KDHT_A_COOKIE]);
	mutex_lock(&kn->lock);
	node = kdht_nl_node(kn, info);
	if (node)
		ret = kdht_node_ask(node, ask);
	if (node && ret < 0) {
		if (ask->kind == KDHT_REQ_PING)
			GENL_SET_ERR_MSG(info, "too many requests in flight");
		else
			GENL_SET_ERR_MSG(info, "too many lookups running");
		ret = -EBUSY;
	}
	mutex_unlock(&kn->lock);
	return ret;
}

static int kdht_nl_ping(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_ask ask = { .kind = KDHT_REQ_PING };
	int ret;

	ret = kdht_nl_get_addr(info, &ask.addr);
	if (ret)
		return ret;
	return kdht_nl_ask(info, &ask);
}

static int kdht_nl_lookup(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_ask ask = { .kind = KDHT_REQ_LOOKUP };

	if (GENL_REQ_ATTR_CHECK(info, KDHT_A_TARGET))
		return -EINVAL;
	memcpy(ask.target.b, nla_data(info->attrs[KDHT_A_TARGET]), KDHT_ID_LEN);
	return kdht_nl_ask(info, &ask);
}

static int kdht_nl_put_contact(struct sk_buff *skb, const struct kd_table *t,
			       const struct kd_contact *c, u64 now)
{
	struct nlattr *nest = nla_nest_start(skb, KDHT_A_PEER);
	u64 ago = now > c->last_seen ? now - c->last_seen : 0;

	if (!nest)
		return -EMSGSIZE;
	if (nla_put(skb, KDHT_PEER_ID, KDHT_ID_LEN, c->node.id.b) ||
	    kdht_nl_put_addr(skb, &c->node.addr) ||
	    nla_put_u32(skb, KDHT_PEER_RTT_MS, c->rtt_ms) ||
	    nla_put_u8(skb, KDHT_PEER_STATE, kd_table_liveness(t, c, now)) ||
	    nla_put_u16(skb, KDHT_PEER_BUCKET, kd_id_bucket(&t->self, &c->node.id)) ||
	    nla_put_u32(skb, KDHT_PEER_LAST_SEEN_MS, (u32)min_t(u64, ago, U32_MAX))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Must hold node->lock. Fills one page of the dump; true when at the end. */
static bool kdht_nl_routes_page(struct sk_buff *skb, struct netlink_callback *cb,
				struct kdht_node *node, unsigned int *n)
{
	const struct kd_table *t = kd_core_table(node->core);
	const struct kd_contact *c;
	u32 cursor = cb->args[0], prev;
	u64 now = kdht_node_now();

	lockdep_assert_held(&node->lock);
	for (;;) {
		prev = cursor;
		c = kd_table_iter(t, &cursor);
		if (!c) {
			cb->args[0] = cursor;
			return true;
		}
		if (kdht_nl_put_contact(skb, t, c, now)) {
			cb->args[0] = prev;
			return false;
		}
		(*n)++;
	}
}

static int kdht_nl_get_routes(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kdht_net *kn = net_generic(sock_net(skb->sk), kdht_net_id);
	struct kdht_node *node;
	struct nlattr *peers;
	unsigned int n = 0;
	bool done;
	void *hdr;
	u32 gen;
	int ret;

	if (cb->args[1])
		return 0;
	mutex_lock(&kn->lock);
	node = kdht_node_get(kn);
	if (!node) {
		ret = cb->args[2] ? 0 : -ENETDOWN;
		goto out;
	}
	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &kdht_family, NLM_F_MULTI, KDHT_CMD_GET_ROUTES);
	ret = -EMSGSIZE;
	if (!hdr)
		goto out;
	spin_lock_bh(&node->lock);
	gen = kd_core_table(node->core)->generation;
	/* A restarted node must not pass for the one the dump began with. */
	cb->seq = gen + node->instance * 0x9e3779b1U;
	if (!cb->seq)
		cb->seq = 1;
	peers = NULL;
	if (!nla_put_u32(skb, KDHT_A_GENERATION, gen))
		peers = nla_nest_start(skb, KDHT_A_PEERS);
	if (!peers) {
		spin_unlock_bh(&node->lock);
		genlmsg_cancel(skb, hdr);
		goto out;
	}
	done = kdht_nl_routes_page(skb, cb, node, &n);
	genl_dump_check_consistent(cb, hdr);
	spin_unlock_bh(&node->lock);
	if (!done && !n) {
		genlmsg_cancel(skb, hdr);
		goto out;
	}
	nla_nest_end(skb, peers);
	genlmsg_end(skb, hdr);
	cb->args[1] = done;
	cb->args[2] = 1;
	ret = skb->len;
out:
	mutex_unlock(&kn->lock);
	return ret;
}

static int kdht_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_net *kn = kdht_nl_net(info);
	u64 v[KDHT_STAT_COUNT];
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	kdht_stats_read(kn, v);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kdht_family, 0, KDHT_CMD_GET_STATS);
	if (!hdr)
		goto err;
	nest = nla_nest_start(msg, KDHT_A_STATS);
	if (!nest)
		goto err;
	for (i = 0; i < KDHT_STAT_COUNT; i++)
		if (nla_put_u64_64bit(msg, i + 1, v[i], KDHT_STATS_PAD))
			goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* Must hold kn->lock. */
static struct kdht_daemon *kdht_nl_daemon(struct kdht_net *kn)
{
	return rcu_dereference_protected(kn->daemon, lockdep_is_held(&kn->lock));
}

/* Must hold kn->lock. Upcalls stop; the namespace has no daemon. */
void kdht_netlink_forget_daemon(struct kdht_net *kn)
{
	struct kdht_daemon *d = kdht_nl_daemon(kn);

	if (!d)
		return;
	RCU_INIT_POINTER(kn->daemon, NULL);
	kfree_rcu(d, rcu);
}

/*
 * The registration is the socket, not only its portid (see struct
 * kdht_daemon). The same socket may register again; another one may not
 * while the first is open, so no process can take a daemon's upcalls.
 */
static int kdht_nl_register(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_net *kn = kdht_nl_net(info);
	struct sock *sk = NETLINK_CB(skb).sk;
	struct kdht_daemon *d;
	int ret = 0;

	mutex_lock(&kn->lock);
	d = kdht_nl_daemon(kn);
	if (d) {
		if (d->sk != sk || d->portid != info->snd_portid) {
			GENL_SET_ERR_MSG(info, "another daemon is registered");
			ret = -EBUSY;
		}
		goto out;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d) {
		ret = -ENOMEM;
		goto out;
	}
	d->sk = sk;
	d->portid = info->snd_portid;
	rcu_assign_pointer(kn->daemon, d);
out:
	mutex_unlock(&kn->lock);
	return ret;
}

static int kdht_nl_send(struct sk_buff *skb, struct genl_info *info)
{
	struct kdht_net *kn = kdht_nl_net(info);
	struct nlattr **a = info->attrs;
	struct kd_value_msg m = {};
	struct kdht_node *node;
	struct kd_addr addr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KDHT_A_TYPE) ||
	    GENL_REQ_ATTR_CHECK(info, KDHT_A_PAYLOAD))
		return -EINVAL;
	ret = kdht_nl_get_addr(info, &addr);
	if (ret)
		return ret;
	m.type = nla_get_u8(a[KDHT_A_TYPE]);
	/*
	 * The daemon's refusals of value requests (UNVALIDATED with a fresh
	 * token, MALFORMED...) are ERRORs; every other routing type is ours.
	 */
	if (m.type != KDHT_MSG_ERROR && m.type < KDHT_MSG_STORE) {
		GENL_SET_ERR_MSG(info, "only ERROR and value messages may be sent");
		return -EINVAL;
	}
	if (a[KDHT_A_FLAGS])
		m.flags = nla_get_u8(a[KDHT_A_FLAGS]);
	if (a[KDHT_A_TXID])
		m.txid = nla_get_u32(a[KDHT_A_TXID]);
	if (a[KDHT_A_PAD_TO])
		m.pad_to = nla_get_u16(a[KDHT_A_PAD_TO]);
	m.body = nla_data(a[KDHT_A_PAYLOAD]);
	m.body_len = nla_len(a[KDHT_A_PAYLOAD]);

	mutex_lock(&kn->lock);
	node = kdht_nl_node(kn, info);
	ret = node ? kdht_node_send(node, &addr, &m) : -ENETDOWN;
	if (ret == -EMSGSIZE)
		GENL_SET_ERR_MSG(info, "message larger than a datagram");
	mutex_unlock(&kn->lock);
	return ret;
}

static const struct genl_small_ops kdht_ops[] = {
	{ .cmd = KDHT_CMD_GET_NODE, .doit = kdht_nl_get_node,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_SET_NODE, .doit = kdht_nl_set_node,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_DEL_NODE, .doit = kdht_nl_del_node,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_ADD_CONTACT, .doit = kdht_nl_add_contact,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_PING, .doit = kdht_nl_ping,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_LOOKUP, .doit = kdht_nl_lookup,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_GET_ROUTES, .dumpit = kdht_nl_get_routes,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_GET_STATS, .doit = kdht_nl_get_stats,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_REGISTER, .doit = kdht_nl_register,
	  .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = KDHT_CMD_SEND, .doit = kdht_nl_send,
	  .flags = GENL_UNS_ADMIN_PERM },
};

static struct genl_family kdht_family __ro_after_init = {
	.name = KDHT_GENL_NAME,
	.version = KDHT_GENL_VERSION,
	.maxattr = KDHT_A_MAX,
	.policy = kdht_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = kdht_ops,
	.n_small_ops = ARRAY_SIZE(kdht_ops),
	.mcgrps = kdht_mcgrps,
	.n_mcgrps = ARRAY_SIZE(kdht_mcgrps),
};

struct sk_buff *kdht_netlink_build_done(const struct kd_event *ev, u32 cookie)
{
	bool lookup = ev->type == KD_EV_LOOKUP_DONE;
	const struct kd_lookup_stats *st = &ev->stats;
	struct nlattr *peers;
	struct sk_buff *skb;
	unsigned int i;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &kdht_family, 0,
			  lookup ? KDHT_CMD_LOOKUP_DONE : KDHT_CMD_PING_DONE);
	if (!hdr || nla_put_u32(skb, KDHT_A_COOKIE, cookie) ||
	    nla_put_u8(skb, KDHT_A_OK, ev->ok))
		goto err;
	if (!lookup) {
		if (kdht_nl_put_peer(skb, ev->ok ? &ev->node.id : NULL,
				     &ev->node.addr, ev->rtt_ms))
			goto err;
		goto done;
	}
	if (nla_put(skb, KDHT_A_TARGET, KDHT_ID_LEN, ev->target.b) ||
	    nla_put_u16(skb, KDHT_A_ROUNDS, st->rounds) ||
	    nla_put_u16(skb, KDHT_A_SENT, st->sent) ||
	    nla_put_u16(skb, KDHT_A_REPLIES, st->replies) ||
	    nla_put_u16(skb, KDHT_A_TIMEOUTS, st->timeouts) ||
	    nla_put_u32(skb, KDHT_A_ELAPSED_MS, st->elapsed_ms))
		goto err;
	peers = nla_nest_start(skb, KDHT_A_PEERS);
	if (!peers)
		goto err;
	for (i = 0; i < ev->nhits; i++)
		if (kdht_nl_put_peer(skb, &ev->hits[i].node.id,
				     &ev->hits[i].node.addr, ev->hits[i].rtt_ms))
			goto err;
	nla_nest_end(skb, peers);
done:
	genlmsg_end(skb, hdr);
	return skb;
err:
	nlmsg_free(skb);
	return NULL;
}

struct sk_buff *kdht_netlink_build_contact(const struct kd_node *n, bool added)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &kdht_family, 0, added ?
			  KDHT_CMD_CONTACT_ADDED : KDHT_CMD_CONTACT_REMOVED);
	if (!hdr || kdht_nl_put_peer(skb, &n->id, &n->addr, 0)) {
		nlmsg_free(skb);
		return NULL;
	}
	genlmsg_end(skb, hdr);
	return skb;
}

/* A FIND_VALUE or STORE with its key: the daemon may want our closest to it. */
static bool kdht_nl_wants_closest(const struct kd_input *in)
{
	return in->has_key && (in->hdr.type == KDHT_MSG_FIND_VALUE ||
			       in->hdr.type == KDHT_MSG_STORE);
}

/* What kdht_nl_put_peer() adds, with an id. */
static size_t kdht_nl_peer_size(void)
{
	return nla_total_size(0) + nla_total_size(KDHT_ID_LEN) +
	       nla_total_size(16) + nla_total_size(sizeof(u16)) +
	       nla_total_size(sizeof(u32));
}

/* The attributes of a RECV with n closest peers: an upcall is sized exactly. */
static size_t kdht_nl_recv_size(const struct kd_input *in, unsigned int n)
{
	size_t size = kdht_nl_peer_size() +
		      nla_total_size(sizeof(u8)) * 3 +	/* TYPE, FLAGS, VALIDATED */
		      nla_total_size(sizeof(u32)) * 2 +	/* TXID, REPLY_BUDGET */
		      nla_total_size(in->body_len);

	if (kdht_nl_wants_closest(in))
		size += nla_total_size(0) + n * kdht_nl_peer_size();
	return size;
}

/* Must hold node->lock (for kd_core_closest). */
struct sk_buff *kdht_netlink_build_recv(struct kdht_node *node,
					const struct kd_addr *from,
					const struct kd_input *in)
{
	struct kd_node *near = node->closest;
	unsigned int i, n = 0;
	struct nlattr *peers;
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&node->lock);
	if (kdht_nl_wants_closest(in))
		n = kd_core_closest(node->core, &in->key, KDHT_WANT_V4 | KDHT_WANT_V6,
				    near, min_t(unsigned int, node->params.k,
						ARRAY_SIZE(node->closest)));
	skb = genlmsg_new(kdht_nl_recv_size(in, n), GFP_ATOMIC);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &kdht_family, 0, KDHT_CMD_RECV);
	if (!hdr || kdht_nl_put_peer(skb, &in->hdr.sender, from, 0) ||
	    nla_put_u8(skb, KDHT_A_TYPE, in->hdr.type) ||
	    nla_put_u8(skb, KDHT_A_FLAGS, in->hdr.flags) ||
	    nla_put_u32(skb, KDHT_A_TXID, in->hdr.txid) ||
	    nla_put(skb, KDHT_A_PAYLOAD, in->body_len, in->body) ||
	    nla_put_u8(skb, KDHT_A_VALIDATED, in->validated) ||
	    nla_put_u32(skb, KDHT_A_REPLY_BUDGET, in->reply_budget))
		goto err;
	if (kdht_nl_wants_closest(in)) {
		peers = nla_nest_start(skb, KDHT_A_PEERS);
		if (!peers)
			goto err;
		for (i = 0; i < n; i++)
			if (kdht_nl_put_peer(skb, &near[i].id, &near[i].addr, 0))
				goto err;
		nla_nest_end(skb, peers);
	}
	genlmsg_end(skb, hdr);
	return skb;
err:
	nlmsg_free(skb);
	return NULL;
}

bool kdht_netlink_routes_listened(struct kdht_net *kn)
{
	return genl_has_listeners(&kdht_family, kn->net, KDHT_MCGRP_ROUTES_ID);
}

/*
 * Whether peers' requests already fill their share of the daemon's receive
 * buffer: past it only replies to the daemon's own operations go up.
 */
static bool kdht_nl_requests_full(const struct sock *sk)
{
	u64 used = atomic_read(&sk->sk_rmem_alloc);
	u64 size = READ_ONCE(sk->sk_rcvbuf);

	return used * 100 >= size * READ_ONCE(kdht_upcall_request_share);
}

/*
 * An upcall goes to the registered socket only. A socket being closed is
 * dead (sock_orphan) before its release notifier forgets it, and its portid
 * may be someone else's by then.
 */
static int kdht_nl_upcall(struct kdht_net *kn, struct sk_buff *skb, bool request)
{
	struct kdht_daemon *d;
	u32 portid = 0;
	bool full = false;

	rcu_read_lock();
	d = rcu_dereference(kn->daemon);
	if (d && !sock_flag(d->sk, SOCK_DEAD)) {
		portid = d->portid;
		full = request && kdht_nl_requests_full(d->sk);
	}
	rcu_read_unlock();
	if (!portid || full) {
		nlmsg_free(skb);
		return full ? -ENOBUFS : -ECONNREFUSED;
	}
	return genlmsg_unicast(kn->net, skb, portid);
}

int kdht_netlink_deliver(struct kdht_net *kn, struct sk_buff *skb)
{
	u32 portid = kdht_evcb(skb)->portid;
	bool upcall = kdht_evcb(skb)->upcall;
	bool request = kdht_evcb(skb)->request;

	memset(skb->cb, 0, sizeof(skb->cb));
	if (upcall)
		return kdht_nl_upcall(kn, skb, request);
	if (portid)
		return genlmsg_unicast(kn->net, skb, portid);
	return genlmsg_multicast_netns(&kdht_family, kn->net, skb, 0,
				       KDHT_MCGRP_ROUTES_ID, GFP_ATOMIC);
}

/*
 * Without the config mutex: whether portid is the daemon or waits for a
 * ping or lookup. Every socket of the host that closes comes here; only
 * those get the mutex. A request started after this read is by a socket
 * still open, so a false "no" cannot lose one.
 */
static bool kdht_nl_knows(struct kdht_net *kn, u32 portid)
{
	struct kdht_daemon *d;
	struct kdht_node *node;
	bool known = false;
	unsigned int i;

	rcu_read_lock();
	d = rcu_dereference(kn->daemon);
	if (d && d->portid == portid)
		known = true;
	node = rcu_dereference(kn->node);
	for (i = 0; node && !known && i < KDHT_ASYNC_MAX; i++)
		known = READ_ONCE(node->req[i].kind) != KDHT_REQ_FREE &&
			READ_ONCE(node->req[i].portid) == portid;
	rcu_read_unlock();
	return known;
}

/* A netlink socket closed: forget it as daemon and as requester. */
static int kdht_nl_notify(struct notifier_block *nb, unsigned long state,
			  void *ptr)
{
	struct netlink_notify *n = ptr;
	struct kdht_daemon *d;
	struct kdht_node *node;
	struct kdht_net *kn;

	if (state != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC || !n->portid)
		return NOTIFY_DONE;
	kn = net_generic(n->net, kdht_net_id);
	if (!kdht_nl_knows(kn, n->portid))
		return NOTIFY_DONE;
	mutex_lock(&kn->lock);
	d = kdht_nl_daemon(kn);
	if (d && d->portid == n->portid)
		kdht_netlink_forget_daemon(kn);
	node = kdht_node_get(kn);
	if (node)
		kdht_node_requester_gone(node, n->portid);
	mutex_unlock(&kn->lock);
	return NOTIFY_DONE;
}

static struct notifier_block kdht_nl_notifier = {
	.notifier_call = kdht_nl_notify,
};

int __init kdht_netlink_init(void)
{
	int ret;

	ret = netlink_register_notifier(&kdht_nl_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&kdht_family);
	if (ret)
		netlink_unregister_notifier(&kdht_nl_notifier);
	return ret;
}

void kdht_netlink_uninit(void)
{
	genl_unregister_family(&kdht_family);
	netlink_unregister_notifier(&kdht_nl_notifier);
}
