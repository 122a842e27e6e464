// SPDX-License-Identifier: GPL-2.0
/*
 * The node of a namespace: the routing core, its timer, its rate limiter
 * and the glue that turns the core's output into datagrams and netlink
 * messages. See node.h for the locking rules.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "debug.h"
#include "netlink.h"
#include "node.h"
#include "proc.h"
#include "socket.h"

/* Milliseconds on the monotonic clock; never 0, which the core reads as "never". */
u64 kdht_node_now(void)
{
	return ktime_to_ms(ktime_get()) + 1;
}

/* A namespace that never ran a node reads zeros. */
void kdht_stats_read(struct kdht_net *kn, u64 out[KDHT_STAT_COUNT])
{
	/* Pairs with kdht_net_prepare(): the counters are zeroed before. */
	struct kdht_stats __percpu *stats = smp_load_acquire(&kn->stats);
	int cpu, i;

	memset(out, 0, sizeof(u64) * KDHT_STAT_COUNT);
	if (!stats)
		return;
	for_each_possible_cpu(cpu) {
		const struct kdht_stats *s = per_cpu_ptr(stats, cpu);

		for (i = 0; i < KDHT_STAT_COUNT; i++)
			out[i] += READ_ONCE(s->v[i]);
	}
}

struct kdht_node *kdht_node_get(struct kdht_net *kn)
{
	return rcu_dereference_protected(kn->node, lockdep_is_held(&kn->lock));
}

static const u8 kdht_tx_stat[] = {
	[KDHT_MSG_PING] = KDHT_STAT_TX_PING,
	[KDHT_MSG_PONG] = KDHT_STAT_TX_PONG,
	[KDHT_MSG_FIND_NODE] = KDHT_STAT_TX_FIND_NODE,
	[KDHT_MSG_NODES] = KDHT_STAT_TX_NODES,
	[KDHT_MSG_ERROR] = KDHT_STAT_TX_ERROR,
};

static const u8 kdht_rx_stat[] = {
	[KDHT_MSG_PING] = KDHT_STAT_RX_PING,
	[KDHT_MSG_PONG] = KDHT_STAT_RX_PONG,
	[KDHT_MSG_FIND_NODE] = KDHT_STAT_RX_FIND_NODE,
	[KDHT_MSG_NODES] = KDHT_STAT_RX_NODES,
	[KDHT_MSG_ERROR] = KDHT_STAT_RX_ERROR,
};

/* The counter of a routing type in map (both maps share one size), or value. */
static enum kdht_stat kdht_type_stat(const u8 *map, u8 type, enum kdht_stat value)
{
	BUILD_BUG_ON(ARRAY_SIZE(kdht_rx_stat) != ARRAY_SIZE(kdht_tx_stat));
	if (type && type < ARRAY_SIZE(kdht_rx_stat))
		return map[type];
	return value;
}

/* Must hold node->lock. The cache entry of peer, matching or not. */
static struct kdht_src_entry *kdht_node_src_slot(struct kdht_node *node,
						 const struct kd_addr *peer)
{
	u32 h = jhash(peer->ip, sizeof(peer->ip), node->src_key ^ peer->port);

	lockdep_assert_held(&node->lock);
	return &node->src_cache[h % KDHT_SRC_CACHE];
}

/*
 * Must hold node->lock. Remembers the local address peer reached us at: a
 * reply from any other address of a multi-address host would be dropped by
 * the peer as unsolicited. As WireGuard's endpoint source, it is a cache:
 * a peer that lost its entry gets the route's choice. Anyone can forge a
 * source address, so an unproven one may take a free slot or another
 * unproven one's (a client's FIND_VALUE still gets the daemon's VALUE from
 * the right address), never a proven peer's: neither a spray of forged
 * sources nor a forgery of the peer's own address moves its entry.
 */
static void kdht_node_src_learn(struct kdht_node *node, const struct kd_addr *peer,
				const struct kdht_src *local, bool proven)
{
	struct kdht_src_entry *e = kdht_node_src_slot(node, peer);

	if (!proven && e->proven)
		return;
	e->peer = *peer;
	e->local = *local;
	e->proven = proven;
}

/* Must hold node->lock. The source for a datagram to peer (family 0: any). */
static void kdht_node_src_find(struct kdht_node *node, const struct kd_addr *peer,
			       struct kdht_src *out)
{
	struct kdht_src_entry *e = kdht_node_src_slot(node, peer);

	if (e->local.family && kd_addr_equal(&e->peer, peer))
		*out = e->local;
	else
		memset(out, 0, sizeof(*out));
}

/* Must hold node->lock. Called by the core for every datagram it sends. */
static void kdht_node_queue_tx(struct kdht_node *node, const struct kd_addr *to,
			       const u8 *pkt, size_t len)
{
	struct sk_buff *skb;

	lockdep_assert_held(&node->lock);
	skb = alloc_skb(KDHT_TX_HEADROOM + len, GFP_ATOMIC);
	if (!skb) {
		kdht_stat_inc(node->kn, KDHT_STAT_TX_FAILED);
		return;
	}
	skb_reserve(skb, KDHT_TX_HEADROOM);
	skb_put_data(skb, pkt, len);
	kdht_txcb(skb)->to = *to;
	kdht_node_src_find(node, to, &kdht_txcb(skb)->src);
	node->txq_bytes += len;
	__skb_queue_tail(&node->txq, skb);
}

/*
 * Must hold node->lock. After the core took a datagram from peer at local:
 * what it queued towards peer leaves from local, learnt or not (the queue
 * holds this datagram's sends only, see kdht_node_collect()).
 */
static void kdht_node_src_answered(struct kdht_node *node, const struct kd_addr *peer,
				   const struct kdht_src *local, bool proven)
{
	struct sk_buff *skb;

	lockdep_assert_held(&node->lock);
	skb_queue_walk(&node->txq, skb)
		if (kd_addr_equal(&kdht_txcb(skb)->to, peer))
			kdht_txcb(skb)->src = *local;
	kdht_node_src_learn(node, peer, local, proven);
}

static void kdht_node_send_cb(void *ctx, const struct kd_addr *to,
			      const u8 *pkt, size_t len)
{
	kdht_node_queue_tx(ctx, to, pkt, len);
}

/* The core asks for requests only, replies matched: rl_lock nests in lock. */
static bool kdht_node_admit_cb(void *ctx, u64 now, const struct kd_addr *from,
			       bool proven)
{
	struct kdht_node *node = ctx;
	bool allowed;

	lockdep_assert_held(&node->lock);
	spin_lock(&node->rl_lock);
	allowed = kd_rl_allow(&node->rl, now, from, proven);
	spin_unlock(&node->rl_lock);
	return allowed;
}

static void kdht_node_queue_ev(struct kdht_node *node, struct sk_buff *skb,
			       u32 portid)
{
	if (!skb)
		return;
	kdht_evcb(skb)->portid = portid;
	kdht_evcb(skb)->upcall = false;
	kdht_evcb(skb)->request = false;
	__skb_queue_tail(&node->evq, skb);
}

static struct kdht_req *kdht_node_req_find(struct kdht_node *node, u32 core_cookie)
{
	unsigned int slot = core_cookie % KDHT_ASYNC_MAX;
	struct kdht_req *req = &node->req[slot];

	if (req->kind == KDHT_REQ_FREE || req->core_cookie != core_cookie)
		return NULL;
	return req;
}

/* Must hold node->lock. Frees a request slot: its requester hears no more. */
static void kdht_node_req_free(struct kdht_req *req)
{
	if (req->kind == KDHT_REQ_LOOKUP)
		kdht_obj_log("destroy", "lookup", "%p", req);
	req->kind = KDHT_REQ_FREE;
}

static void kdht_node_event_cb(void *ctx, const struct kd_event *ev)
{
	struct kdht_node *node = ctx;
	struct kdht_net *kn = node->kn;
	struct kdht_req *req;
	struct sk_buff *skb;

	lockdep_assert_held(&node->lock);
	switch (ev->type) {
	case KD_EV_LOOKUP_DONE:
	case KD_EV_PING_DONE:
		req = kdht_node_req_find(node, ev->cookie);
		if (!req)
			return;
		if (req->kind == KDHT_REQ_LOOKUP)
			kdht_stat_inc(kn, ev->ok ? KDHT_STAT_LOOKUPS_DONE :
					      KDHT_STAT_LOOKUPS_FAILED);
		kdht_node_queue_ev(node, kdht_netlink_build_done(ev, req->cookie),
				   req->portid);
		kdht_node_req_free(req);
		break;
	case KD_EV_CONTACT_ADDED:
	case KD_EV_CONTACT_REMOVED:
		if (ev->type == KD_EV_CONTACT_ADDED) {
			kdht_stat_inc(kn, KDHT_STAT_CONTACTS_ADDED);
			kdht_obj_log("create", "contact", "%8phN", ev->node.id.b);
		} else {
			kdht_stat_inc(kn, KDHT_STAT_CONTACTS_REMOVED);
			kdht_obj_log("destroy", "contact", "%8phN", ev->node.id.b);
		}
		if (!kdht_netlink_routes_listened(kn))
			break;
		skb = kdht_netlink_build_contact(&ev->node,
						 ev->type == KD_EV_CONTACT_ADDED);
		kdht_node_queue_ev(node, skb, 0);
		break;
	}
}

/*
 * Must hold node->lock. Takes a free request slot for a requester; returns
 * the cookie to hand the core, or -EBUSY.
 */
static int kdht_node_req_alloc(struct kdht_node *node, enum kdht_req_kind kind,
			       u32 portid, u32 cookie)
{
	unsigned int i, slot;
	struct kdht_req *req;

	lockdep_assert_held(&node->lock);
	for (i = 0; i < KDHT_ASYNC_MAX; i++) {
		slot = (node->next_cookie + 1 + i) % KDHT_ASYNC_MAX;
		req = &node->req[slot];
		if (req->kind != KDHT_REQ_FREE)
			continue;
		/* Unique for a long while, so a late event finds no slot. */
		node->next_cookie++;
		req->core_cookie = (node->next_cookie * KDHT_ASYNC_MAX + slot) & S32_MAX;
		req->cookie = cookie;
		req->portid = portid;
		req->handle = -1;
		req->kind = kind;
		return req->core_cookie;
	}
	return -EBUSY;
}

/* Must hold node->lock. The requester's socket closed: nobody waits. */
static void kdht_node_req_release(struct kdht_node *node, u32 portid)
{
	struct kdht_req *req;
	unsigned int i;

	lockdep_assert_held(&node->lock);
	for (i = 0; i < KDHT_ASYNC_MAX; i++) {
		req = &node->req[i];
		if (req->kind == KDHT_REQ_FREE || req->portid != portid)
			continue;
		if (req->kind == KDHT_REQ_LOOKUP && req->handle >= 0)
			kd_core_lookup_cancel(node->core, req->handle);
		kdht_node_req_free(req);
	}
}

/* Must hold node->lock. Points the timer at the core's next deadline. */
static void kdht_node_arm(struct kdht_node *node, u64 now)
{
	u64 due = kd_core_next_due(node->core);
	u32 delay;

	lockdep_assert_held(&node->lock);
	if (due == KD_NEVER)
		delay = KDHT_TIMER_MAX_MS;
	else if (due <= now)
		delay = 0;
	else
		delay = (u32)min_t(u64, due - now, KDHT_TIMER_MAX_MS);
	timer_reduce(&node->timer, jiffies + msecs_to_jiffies(delay) + 1);
}

/* What one core call produced, sent after the node lock is dropped. */
struct kdht_out {
	struct sk_buff_head tx;
	struct sk_buff_head ev;
};

/*
 * Must hold node->lock. After a core call: re-arms the timer and takes what
 * the call queued, for kdht_node_flush() once the lock is dropped.
 */
static void kdht_node_collect(struct kdht_node *node, struct kdht_out *out)
{
	lockdep_assert_held(&node->lock);
	kdht_node_arm(node, kdht_node_now());
	__skb_queue_head_init(&out->tx);
	__skb_queue_head_init(&out->ev);
	skb_queue_splice_init(&node->txq, &out->tx);
	skb_queue_splice_init(&node->evq, &out->ev);
	node->txq_bytes = 0;
}

/* Must not hold node->lock. Sends what kdht_node_collect() took. */
static void kdht_node_flush(struct kdht_node *node, struct kdht_out *out)
{
	struct kdht_net *kn = node->kn;
	struct sk_buff *skb;
	int ret;

	/* node->socks is set before the node is published (see node.h). */
	if (WARN_ON_ONCE(!node->socks.v4 && !skb_queue_empty(&out->tx)))
		__skb_queue_purge(&out->tx);
	while ((skb = __skb_dequeue(&out->tx))) {
		u8 type = skb->data[3];
		unsigned int len = skb->len;

		ret = kdht_socket_send(&node->socks, node->port, skb);
		if (ret < 0) {
			kdht_stat_inc(kn, ret == -EACCES ? KDHT_STAT_TX_REFUSED_BROADCAST :
				      KDHT_STAT_TX_FAILED);
			continue;
		}
		kdht_stat_inc(kn, KDHT_STAT_TX_PACKETS);
		kdht_stat_add(kn, KDHT_STAT_TX_BYTES, len);
		kdht_stat_inc(kn, kdht_type_stat(kdht_tx_stat, type,
						 KDHT_STAT_TX_VALUE_MSG));
	}
	while ((skb = __skb_dequeue(&out->ev))) {
		bool upcall = kdht_evcb(skb)->upcall;

		ret = kdht_netlink_deliver(kn, skb);
		if (!upcall)
			continue;
		if (!ret)
			kdht_stat_inc(kn, KDHT_STAT_UPCALLS);
		else if (ret == -EAGAIN || ret == -ENOBUFS)
			kdht_stat_inc(kn, KDHT_STAT_DROP_UPCALL_NOBUFS);
		else
			kdht_stat_inc(kn, KDHT_STAT_DROP_NO_DAEMON);
	}
}

/*
 * Every core call that may send is bracketed by these two, and the unlock
 * is where "nothing is sent under the lock" is kept: it re-arms the timer
 * and takes what the call queued while node->lock is still held, then sends
 * it once the lock is dropped (as rtnl_unlock() runs deferred work).
 */
static void kdht_node_lock(struct kdht_node *node)
	__acquires(&node->lock)
{
	spin_lock_bh(&node->lock);
}

static void kdht_node_unlock_send(struct kdht_node *node)
	__releases(&node->lock)
{
	struct kdht_out out;

	kdht_node_collect(node, &out);
	spin_unlock_bh(&node->lock);
	kdht_node_flush(node, &out);
}

static void kdht_node_count_drop(struct kdht_net *kn, int reason)
{
	BUILD_BUG_ON(KD_R_SCOPE_V4_MAPPED - KD_R_TRUNCATED !=
		     KDHT_STAT_DROP_SCOPE_V4_MAPPED - KDHT_STAT_DROP_TRUNCATED);
	BUILD_BUG_ON(KD_R_BAD_TAG + 1 != KD_R_COUNT);
	/* bad_tag came later than the stats that follow the scope ones. */
	if (reason == KD_R_BAD_TAG)
		kdht_stat_inc(kn, KDHT_STAT_DROP_BAD_TAG);
	else if (reason >= KD_R_TRUNCATED && reason < KD_R_COUNT)
		kdht_stat_inc(kn, KDHT_STAT_DROP_TRUNCATED + reason - KD_R_TRUNCATED);
}

/*
 * A value message goes up to the namespace's daemon; with none registered
 * it is counted and, if a request, answered with ERROR UNAVAILABLE.
 * Must hold node->lock (the reply is queued on the core's output).
 */
static void kdht_node_upcall(struct kdht_node *node, const struct kd_addr *from,
			     const struct kd_input *in)
{
	struct sk_buff *skb;

	lockdep_assert_held(&node->lock);
	if (!rcu_access_pointer(node->kn->daemon)) {
		kdht_node_count_drop(node->kn, KD_R_NO_DAEMON);
		kd_core_refuse(node->core, from, in, KDHT_ERR_UNAVAILABLE);
		return;
	}
	skb = kdht_netlink_build_recv(node, from, in);
	if (!skb) {
		kdht_node_count_drop(node->kn, KD_R_UPCALL_NOBUFS);
		return;
	}
	/* The daemon is looked up again on delivery: it may go meanwhile. */
	kdht_evcb(skb)->portid = 0;
	kdht_evcb(skb)->upcall = true;
	kdht_evcb(skb)->request = in->hdr.type != KDHT_MSG_STORE_ACK &&
				  in->hdr.type != KDHT_MSG_VALUE &&
				  in->hdr.type != KDHT_MSG_ERROR;
	__skb_queue_tail(&node->evq, skb);
}

void kdht_node_count_rx(struct kdht_node *node, unsigned int len,
			enum kdht_stat stat)
{
	kdht_stat_inc(node->kn, KDHT_STAT_RX_PACKETS);
	kdht_stat_add(node->kn, KDHT_STAT_RX_BYTES, len);
	kdht_stat_inc(node->kn, stat);
}

void kdht_node_input(struct kdht_node *node, const struct kd_addr *from,
		     const struct kdht_src *local, const u8 *pkt, size_t len)
{
	struct kdht_net *kn = node->kn;
	u64 now = kdht_node_now();
	struct kd_input in;
	unsigned int i;
	int ret;

	kdht_stat_inc(kn, KDHT_STAT_RX_PACKETS);
	kdht_stat_add(kn, KDHT_STAT_RX_BYTES, len);
	kdht_node_lock(node);
	node->txq_bytes = 0;
	ret = kd_core_input(node->core, now, from, pkt, len, &in);
	if (ret != KD_R_OK) {
		kdht_node_count_drop(kn, ret);
	} else {
		kdht_node_src_answered(node, from, local, in.proven);
		kdht_stat_inc(kn, kdht_type_stat(kdht_rx_stat, in.hdr.type,
						 KDHT_STAT_RX_VALUE_MSG));
		if (!in.validated) {
			kdht_stat_add(kn, KDHT_STAT_RX_UNVALIDATED_BYTES, len);
			kdht_stat_add(kn, KDHT_STAT_TX_UNVALIDATED_BYTES,
				      node->txq_bytes);
		}
		if (in.upcall)
			kdht_node_upcall(node, from, &in);
		for (i = 0; i < KD_R_SCOPE_COUNT; i++)
			kdht_stat_add(kn, KDHT_STAT_DROP_SCOPE_LOOPBACK + i,
				      in.scope_refused[i]);
		if (in.reply_cut)
			kdht_node_count_drop(kn, KD_R_UNVALIDATED);
	}
	kdht_node_unlock_send(node);
}

static void kdht_node_timer(struct timer_list *t)
{
	struct kdht_node *node = from_timer(node, t, timer);

	kdht_node_lock(node);
	kd_core_tick(node->core, kdht_node_now());
	kdht_node_unlock_send(node);
}

/* Must hold node->lock. kdht_node_ask() without the lock and the sending. */
static int kdht_node_ask_locked(struct kdht_node *node, const struct kdht_ask *ask)
{
	u64 now = kdht_node_now();
	struct kdht_req *req;
	int core_cookie, ret;

	lockdep_assert_held(&node->lock);
	core_cookie = kdht_node_req_alloc(node, ask->kind, ask->portid, ask->cookie);
	if (core_cookie < 0)
		return core_cookie;
	if (ask->kind == KDHT_REQ_PING) {
		ret = kd_core_ping(node->core, now, &ask->addr, core_cookie);
	} else {
		kdht_obj_log("create", "lookup", "%p", &node->req[core_cookie % KDHT_ASYNC_MAX]);
		kdht_stat_inc(node->kn, KDHT_STAT_LOOKUPS_STARTED);
		ret = kd_core_lookup(node->core, now, &ask->target, core_cookie);
	}
	/* A lookup may have finished already, and its slot gone. */
	req = kdht_node_req_find(node, core_cookie);
	if (req && ret < 0)
		kdht_node_req_free(req);
	else if (req && ask->kind == KDHT_REQ_LOOKUP)
		req->handle = ret;
	return ret < 0 ? ret : 0;
}

/* Must not hold node->lock. */
int kdht_node_ask(struct kdht_node *node, const struct kdht_ask *ask)
{
	int ret;

	kdht_node_lock(node);
	ret = kdht_node_ask_locked(node, ask);
	kdht_node_unlock_send(node);
	return ret;
}

/* Must not hold node->lock. */
int kdht_node_bootstrap(struct kdht_node *node, const struct kd_addr *addr)
{
	int ret;

	kdht_node_lock(node);
	ret = kd_core_bootstrap(node->core, kdht_node_now(), addr);
	kdht_node_unlock_send(node);
	return ret;
}

/* Must not hold node->lock. */
int kdht_node_send(struct kdht_node *node, const struct kd_addr *to,
		   const struct kd_value_msg *m)
{
	int ret;

	kdht_node_lock(node);
	ret = kd_core_send(node->core, to, m, NULL);
	kdht_node_unlock_send(node);
	return ret;
}

/* Must not hold node->lock. */
void kdht_node_requester_gone(struct kdht_node *node, u32 portid)
{
	kdht_node_lock(node);
	kdht_node_req_release(node, portid);
	kdht_node_unlock_send(node);
}

static void kdht_node_rl_gc(struct work_struct *work)
{
	struct kdht_node *node = container_of(to_delayed_work(work),
					      struct kdht_node, rl_gc);
	u32 idle_ms;

	/* params change under node->lock (SET_NODE), not under rl_lock. */
	spin_lock_bh(&node->lock);
	idle_ms = node->params.rl_idle_ms;
	spin_unlock_bh(&node->lock);
	spin_lock_bh(&node->rl_lock);
	kd_rl_collect(&node->rl, kdht_node_now(), idle_ms);
	spin_unlock_bh(&node->rl_lock);
	schedule_delayed_work(&node->rl_gc, msecs_to_jiffies(idle_ms));
}

/* The key in the node and in its core: set, or wiped when the mesh opens. */
static void kdht_node_set_mesh(struct kdht_node *node, const struct kdht_node_cfg *cfg)
{
	memzero_explicit(node->mesh_tag_key, sizeof(node->mesh_tag_key));
	node->mesh_closed = cfg->mesh_closed;
	if (cfg->mesh_closed)
		memcpy(node->mesh_tag_key, cfg->mesh_tag_key, sizeof(node->mesh_tag_key));
	kd_core_set_mesh_key(node->core, cfg->mesh_closed ? cfg->mesh_tag_key : NULL);
}

void kdht_node_set_mesh_locked(struct kdht_node *node, const struct kdht_node_cfg *cfg)
{
	lockdep_assert_held(&node->lock);
	kdht_node_set_mesh(node, cfg);
}

static void kdht_node_free(struct kdht_node *node)
{
	if (node->core)
		kd_core_set_mesh_key(node->core, NULL);
	memzero_explicit(node->mesh_tag_key, sizeof(node->mesh_tag_key));
	kvfree(node->rl_mem);
	kvfree(node->core_mem);
	kfree(node);
}

/* A node with its core and rate limiter, not yet reachable from anywhere. */
/* The locks, queues, timer and work of a new node, not yet running. */
static void kdht_node_init_state(struct kdht_node *node, struct kdht_net *kn,
				 const struct kdht_node_cfg *cfg)
{
	node->kn = kn;
	node->params = cfg->params;
	node->instance = ++kn->instances;
	spin_lock_init(&node->lock);
	spin_lock_init(&node->rl_lock);
	__skb_queue_head_init(&node->txq);
	__skb_queue_head_init(&node->evq);
	timer_setup(&node->timer, kdht_node_timer, 0);
	INIT_DELAYED_WORK(&node->rl_gc, kdht_node_rl_gc);
}

static struct kdht_node *kdht_node_alloc(struct kdht_net *kn,
					 const struct kdht_node_cfg *cfg)
{
	u8 seed[32], rl_key[KD_SECRET_LEN];
	struct kd_io io = {};
	struct kdht_node *node;
	struct kd_id id;
	size_t size;
	int ret;

	ret = kd_params_check(&cfg->params);
	if (ret)
		return ERR_PTR(ret);
	/* Charged to the memory cgroup of whoever starts the node. */
	node = kzalloc(sizeof(*node), GFP_KERNEL_ACCOUNT);
	if (!node)
		return ERR_PTR(-ENOMEM);
	kdht_node_init_state(node, kn, cfg);

	ret = -ENOMEM;
	size = kd_core_memsize(&node->params);
	node->core_mem = kvzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!node->core_mem)
		goto err_free;
	node->rl_mem = kvzalloc(kd_rl_memsize(node->params.rl_entries),
				GFP_KERNEL_ACCOUNT);
	if (!node->rl_mem)
		goto err_free;

	if (cfg->has_id)
		id = cfg->id;
	else
		get_random_bytes(id.b, sizeof(id.b));
	get_random_bytes(seed, sizeof(seed));
	get_random_bytes(rl_key, sizeof(rl_key));
	node->src_key = get_random_u32();
	io.ctx = node;
	io.send = kdht_node_send_cb;
	io.event = kdht_node_event_cb;
	io.admit = kdht_node_admit_cb;
	ret = kd_core_init(node->core_mem, size, &node->params, &id, seed,
			   kdht_node_now(), &io, &node->core);
	if (ret)
		goto err_free;
	kdht_node_set_mesh(node, cfg);
	kd_rl_init(&node->rl, node->rl_mem, node->params.rl_entries,
		   node->params.rl_rate, node->params.rl_burst, rl_key);
	kdht_obj_log("create", "node", "%p", node);
	return node;

err_free:
	kdht_node_free(node);
	return ERR_PTR(ret);
}

/*
 * Frees a node nothing can reach any more: no socket user, no timer, no
 * collector. What it still held is dropped, and accounted in debug builds.
 */
static void kdht_node_destroy(struct kdht_node *node)
{
	const struct kd_contact *c;
	u32 cursor = 0;
	unsigned int i;

	spin_lock_bh(&node->lock);
	for (i = 0; i < KDHT_ASYNC_MAX; i++)
		if (node->req[i].kind == KDHT_REQ_LOOKUP)
			kdht_obj_log("destroy", "lookup", "%p", &node->req[i]);
	while ((c = kd_table_iter(kd_core_table(node->core), &cursor)))
		kdht_obj_log("destroy", "contact", "%8phN", c->node.id.b);
	__skb_queue_purge(&node->txq);
	__skb_queue_purge(&node->evq);
	spin_unlock_bh(&node->lock);

	kdht_obj_log("destroy", "node", "%p", node);
	kdht_node_free(node);
}

/*
 * Must hold kn->lock. The namespace's counters and /proc/net/kdht, made at
 * its first node start, so that a namespace without a node costs nothing;
 * they stay until the namespace goes, so counters outlive restarts.
 */
static int kdht_net_prepare(struct kdht_net *kn)
{
	struct kdht_stats __percpu *stats;
	int ret;

	lockdep_assert_held(&kn->lock);
	if (!kn->stats) {
		stats = alloc_percpu_gfp(struct kdht_stats, GFP_KERNEL_ACCOUNT);
		if (!stats)
			return -ENOMEM;
		/* Pairs with kdht_stats_read(), which takes no lock. */
		smp_store_release(&kn->stats, stats);
	}
	if (!kn->proc) {
		ret = kdht_proc_create(kn);
		if (ret)
			return ret;
		kn->proc = true;
	}
	return 0;
}

void kdht_net_release(struct kdht_net *kn)
{
	lockdep_assert_held(&kn->lock);
	if (kn->proc)
		kdht_proc_remove(kn);
	kn->proc = false;
	free_percpu(kn->stats);
	kn->stats = NULL;
}

/* Must hold kn->lock. Binds node's sockets and makes it the running node. */
static int kdht_node_publish(struct kdht_net *kn, struct kdht_node *node,
			     u16 port)
{
	struct kdht_node *old = kdht_node_get(kn);
	int ret;

	lockdep_assert_held(&kn->lock);
	/* A new port is bound while the old node runs; its own is freed first. */
	if (old && old->port == port)
		kdht_node_stop(kn);
	ret = kdht_socket_create(kn->net, port, &node->socks);
	if (ret)
		return ret;
	kdht_node_stop(kn);
	node->port = kdht_socket_port(&node->socks);

	/* Complete now: the receive path may reach it from here on. */
	kdht_socket_attach(&node->socks, node);
	rcu_assign_pointer(kn->node, node);
	/* Arms the timer at the core's first deadline. */
	kdht_node_lock(node);
	kdht_node_unlock_send(node);
	schedule_delayed_work(&node->rl_gc, msecs_to_jiffies(node->params.rl_idle_ms));
	return 0;
}

int kdht_node_start(struct kdht_net *kn, const struct kdht_node_cfg *cfg)
{
	struct kdht_node *node;
	int ret;

	lockdep_assert_held(&kn->lock);
	ret = kdht_net_prepare(kn);
	if (ret)
		return ret;
	node = kdht_node_alloc(kn, cfg);
	if (IS_ERR(node))
		return PTR_ERR(node);
	ret = kdht_node_publish(kn, node, cfg->port);
	if (ret)
		kdht_node_destroy(node);
	return ret;
}

/* Must hold kn->lock. Stops the running node, if any, and frees it. */
void kdht_node_stop(struct kdht_net *kn)
{
	struct kdht_node *node = kdht_node_get(kn);

	if (!node)
		return;
	RCU_INIT_POINTER(kn->node, NULL);
	kdht_socket_detach(&node->socks);
	synchronize_net();

	/* Nothing but the timer and the collector can reach the node now. */
	timer_shutdown_sync(&node->timer);
	cancel_delayed_work_sync(&node->rl_gc);
	kdht_socket_release(&node->socks);
	kdht_node_destroy(node);
}

#ifdef DEBUG
#include "selftest/node.c"
#endif
