/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One routing node per network namespace.
 *
 * Locking:
 *  - kdht_net.lock (mutex) serialises configuration: starting and stopping
 *    the node, every netlink command and the netlink release notifier of a
 *    socket that registered or asked something. Only the holder may change
 *    kdht_net.node, kdht_net.daemon, and set kdht_net.stats and .proc (once,
 *    at the first start: a namespace that never ran a node has neither).
 *  - kdht_node.lock (spinlock, taken with _bh) protects the routing core, the
 *    pending request slots and the tx/event queues. Nothing is transmitted or
 *    sent over netlink while it is held: the core's output is queued and
 *    flushed after unlock, by kdht_node_unlock_send() in node.c, the one
 *    way out of a core call that may send.
 *  - kdht_node.rl_lock protects the rate limiter only. The core consults
 *    it for requests once replies are matched, so rl_lock nests inside
 *    kdht_node.lock; it is also taken alone, never the other way round.
 *  - The receive path reaches the node through sk_user_data under RCU;
 *    stopping a node clears it and waits for readers before freeing.
 *  - node->socks and node->port are set before the node is published, to
 *    sk_user_data (kdht_socket_attach) and to kdht_net.node, and stay
 *    unchanged until it is freed: whoever reaches a node may send on it.
 *    Stopping a node unpublishes it, waits for RCU readers, stops the timer
 *    and only then releases the socket.
 */
#ifndef _KDHT_NODE_H
#define _KDHT_NODE_H

#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "kd_core.h"
#include "kdht_genl.h"
#include "socket.h"

/* Pings and lookups waiting to report to a netlink requester, per node. */
#define KDHT_ASYNC_MAX		64
/* The longest the node timer sleeps; the core is asked again after it. */
#define KDHT_TIMER_MAX_MS	60000U
/* Peers whose last datagram's local address is remembered, for replies. */
#define KDHT_SRC_CACHE		64

struct kdht_stats {
	u64 v[KDHT_STAT_COUNT];
};

/*
 * The registered daemon's socket. The portid alone is not enough: a closing
 * socket releases it before the release notifier runs, and another may bind
 * it in between. Netlink frees a socket an RCU grace period after release,
 * and the notifier unpublishes this first, so an RCU reader may look at sk.
 */
struct kdht_daemon {
	struct sock *sk;
	u32 portid;
	struct rcu_head rcu;
};

struct kdht_net {
	struct net *net;
	struct mutex lock;		/* configuration, see above */
	struct kdht_node __rcu *node;
	struct kdht_daemon __rcu *daemon;
	u32 instances;		/* nodes started so far, to tell dumps apart */
	bool proc;		/* /proc/net/kdht exists */
	struct kdht_stats __percpu *stats;	/* from the first start on */
};

enum kdht_req_kind {
	KDHT_REQ_FREE,
	KDHT_REQ_PING,
	KDHT_REQ_LOOKUP,
};

struct kdht_req {
	u32 core_cookie;	/* what the core reports back */
	u32 cookie;		/* the requester's */
	u32 portid;
	int handle;		/* lookup handle, -1 until known */
	u8 kind;
};

/* A ping (of addr) or a lookup (of target) that a netlink requester asks for. */
struct kdht_ask {
	enum kdht_req_kind kind;
	u32 portid;		/* the requester's netlink socket */
	u32 cookie;		/* the requester's tag, echoed in the *_DONE */
	struct kd_addr addr;
	struct kd_id target;
};

/* The local address a peer last reached us at (kdht_src), for replies. */
struct kdht_src_entry {
	struct kd_addr peer;
	struct kdht_src local;
	bool proven;		/* learnt from a proven source: kd_input.proven */
};

struct kdht_node {
	struct kdht_net *kn;
	struct kdht_sockets socks;
	u16 port;
	u32 instance;
	struct kd_params params;
	/* A closed mesh's tag key (as the core holds it), for a restart; wiped at free. */
	bool mesh_closed;
	u8 mesh_tag_key[KD_SECRET_LEN];

	spinlock_t lock;		/* the core, req[], txq, evq */
	struct kd_core *core;
	void *core_mem;
	struct timer_list timer;
	struct sk_buff_head txq;
	struct sk_buff_head evq;
	size_t txq_bytes;
	u32 next_cookie;
	struct kdht_req req[KDHT_ASYNC_MAX];
	struct kd_node closest[KD_K_MAX];	/* scratch for RECV upcalls */
	u32 src_key;
	struct kdht_src_entry src_cache[KDHT_SRC_CACHE];

	spinlock_t rl_lock;		/* rl only */
	struct kd_ratelimit rl;
	void *rl_mem;
	struct delayed_work rl_gc;
};

/* Destination of a queued event skb, after the netlink control block. */
struct kdht_evcb {
	struct netlink_skb_parms nl;
	u32 portid;		/* 0: multicast to the routes group */
	bool upcall;		/* a RECV: its fate is counted */
	bool request;		/* a RECV of a peer's request, not of a reply */
};

static inline struct kdht_evcb *kdht_evcb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct kdht_evcb) > sizeof_field(struct sk_buff, cb));
	return (struct kdht_evcb *)skb->cb;
}

struct kdht_node_cfg {
	struct kd_params params;
	struct kd_id id;
	bool has_id;
	u16 port;
	bool mesh_closed;	/* every datagram tagged under mesh_tag_key */
	u8 mesh_tag_key[KD_SECRET_LEN];
};

/* Only with a node: the stats exist from the first node start on. */
static inline void kdht_stat_add(struct kdht_net *kn, enum kdht_stat s, u64 n)
{
	this_cpu_add(kn->stats->v[s], n);
}

static inline void kdht_stat_inc(struct kdht_net *kn, enum kdht_stat s)
{
	kdht_stat_add(kn, s, 1);
}

u64 kdht_node_now(void);
void kdht_stats_read(struct kdht_net *kn, u64 out[KDHT_STAT_COUNT]);

struct kdht_node *kdht_node_get(struct kdht_net *kn);
/*
 * Must hold kn->lock. Starts a node with cfg, in place of the running one if
 * any. On a new port the new sockets are bound first: if that fails (e.g.
 * -EADDRINUSE) the running node goes on with its table. Otherwise the
 * running node is stopped before its port is bound again.
 */
int kdht_node_start(struct kdht_net *kn, const struct kdht_node_cfg *cfg);
void kdht_node_stop(struct kdht_net *kn);
/* Must hold kn->lock. Frees the stats and /proc entry at namespace exit. */
void kdht_net_release(struct kdht_net *kn);

/*
 * Softirq: one datagram from `from` to our address `local`, linear in pkt,
 * at most KDHT_MAX_DATAGRAM bytes (kdht_socket_rcv() drops larger ones).
 */
void kdht_node_input(struct kdht_node *node, const struct kd_addr *from,
		     const struct kdht_src *local, const u8 *pkt, size_t len);
/* Softirq: a datagram of len bytes the socket dropped, counted under stat. */
void kdht_node_count_rx(struct kdht_node *node, unsigned int len,
			enum kdht_stat stat);

/*
 * The calls below take node->lock for one core call and send what it
 * produced once the lock is dropped: the caller must not hold node->lock.
 */

/*
 * Starts a ping or a lookup for netlink requester ask->portid, who gets a
 * PING_DONE or LOOKUP_DONE with ask->cookie when it ends. Returns 0, -EBUSY
 * when every requester slot is taken, or the core's error (-ENOSPC: no
 * request or lookup slot).
 */
int kdht_node_ask(struct kdht_node *node, const struct kdht_ask *ask);
/* kd_core_bootstrap(): remembers and pings addr. */
int kdht_node_bootstrap(struct kdht_node *node, const struct kd_addr *addr);
/* kd_core_send(): a value message from the daemon. -EMSGSIZE if too large. */
int kdht_node_send(struct kdht_node *node, const struct kd_addr *to,
		   const struct kd_value_msg *m);
/*
 * Must hold node->lock. Closes the node's mesh under cfg->mesh_tag_key, or
 * opens it (the old key wiped) when !cfg->mesh_closed.
 */
void kdht_node_set_mesh_locked(struct kdht_node *node, const struct kdht_node_cfg *cfg);
/* Netlink socket portid closed: its pending pings and lookups are dropped. */
void kdht_node_requester_gone(struct kdht_node *node, u32 portid);

#ifdef DEBUG
bool kdht_node_selftest(void);
#endif

#endif /* _KDHT_NODE_H */
