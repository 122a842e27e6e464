// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The userspace routing backend: the routing core in a malloc'd block,
 * driven by libuv (two UDP sockets, IPv4 and IPv6, and one timer).
 * Datagrams come in by recvmmsg(2), USER_RX_BATCH at a time, on a uv_poll_t
 * of each socket (libuv's own receive path hides the control messages);
 * what the node sends during a turn of the loop is queued per socket and
 * leaves by sendmmsg(2) at the end of that turn, or at once when
 * USER_TX_BATCH wait.
 *
 * Source addresses: with several addresses on a host, a reply that left
 * from the route's preferred source would be dropped by its requester as
 * unsolicited. So each datagram's destination (IP_PKTINFO, IPV6_PKTINFO)
 * is the source of what answers it, and the requests this node starts
 * leave from the address the peer last reached it at, learnt only from
 * proven traffic (a matched reply, a validated request) in a small cache.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "addr.h"
#include "backend.h"
#include "clock.h"
#include "log.h"

#define USER_MAX_PINGS		64	/* pings from the control socket in flight */
#define USER_RX_BATCH		16	/* datagrams one recvmmsg(2) takes */
#define USER_RX_SLOT		KDHT_MAX_DATAGRAM	/* room per datagram: larger is cut, MSG_TRUNC */
#define USER_TX_BATCH		32	/* datagrams one sendmmsg(2) sends */
#define USER_RX_ROUNDS		8	/* recvmmsg(2) calls per readable socket, at most */
#define USER_SRC_CACHE		256	/* peers whose local address is remembered */
#define USER_CTL_LEN		CMSG_SPACE(sizeof(struct in6_pktinfo))

enum user_counter {
	UC_RX, UC_TX, UC_TX_ERRORS, UC_RX_OVERSIZE, UC_UPCALLS,
	UC_CONTACTS_ADDED, UC_CONTACTS_REMOVED, UC_LOOKUPS, UC_LOOKUPS_REFUSED,
	UC_COUNT
};

static const char *const user_counter_names[UC_COUNT] = {
	"rx", "tx", "tx_errors", "rx_oversize", "upcalls",
	"contacts_added", "contacts_removed", "lookups", "lookups_refused",
};

/* The local end of a datagram: the address it was sent to, and its interface. */
struct user_local {
	struct kd_addr addr;	/* family 0: not known */
	unsigned int ifindex;
};

struct user_src_entry {
	struct kd_addr peer;
	struct user_local local;
};

/* One recvmmsg(2) batch with each datagram's sender and control messages. */
struct user_rxq {
	struct mmsghdr msg[USER_RX_BATCH];
	struct iovec iov[USER_RX_BATCH];
	struct sockaddr_storage from[USER_RX_BATCH];
	uint8_t ctl[USER_RX_BATCH][USER_CTL_LEN];
};

struct user_waiter {
	uint16_t gen;
	bool used;
	kdd_lookup_cb lookup_cb;
	kdd_ping_cb ping_cb;
	void *arg;
};

/* Datagrams for one socket, waiting for the end of the loop's turn. */
struct user_txq {
	unsigned int n;
	struct mmsghdr msg[USER_TX_BATCH];
	struct iovec iov[USER_TX_BATCH];
	struct sockaddr_storage to[USER_TX_BATCH];
	uint8_t ctl[USER_TX_BATCH][USER_CTL_LEN];
	u8 pkt[USER_TX_BATCH][KDHT_MAX_DATAGRAM];
};

struct user_backend {
	struct kdd_backend b;
	uv_loop_t *loop;
	uv_udp_t udp4, udp6;
	uv_poll_t poll4, poll6;	/* readable: recvmmsg(2) on the sockets */
	bool has4, has6;
	uv_timer_t timer;
	uv_check_t tx_flush;	/* sends the queues after the loop's I/O */
	uv_idle_t tx_spin;	/* keeps the loop from blocking while they wait */
	struct user_txq tx4, tx6;
	bool stopped;
	unsigned int closing;	/* handles closing during create */
	bool create_failed;
	struct kd_core *core;
	void *core_mem;
	struct kd_ratelimit rl;
	void *rl_mem;
	uint64_t rl_collected_at;
	struct user_waiter *lookups;	/* max_lookups slots */
	unsigned int nlookup_slots;
	struct user_waiter pings[USER_MAX_PINGS];
	uint64_t counters[UC_COUNT];
	uint64_t drops[KD_R_COUNT];
	uint8_t *rxbuf;		/* USER_RX_BATCH slots of USER_RX_SLOT */
	struct user_rxq *rxq;
	/* While a datagram is handled: its sender and local end, for the replies. */
	const struct kd_addr *rx_peer;
	struct user_local rx_local;
	struct user_src_entry src_cache[USER_SRC_CACHE];
	uint32_t src_key;
};

static struct user_backend *to_user(struct kdd_backend *b)
{
	return (struct user_backend *)b;
}

static void on_timer(uv_timer_t *t);

static void rearm(struct user_backend *u)
{
	uint64_t due, now;

	if (u->stopped)
		return;
	due = kd_core_next_due(u->core);
	now = kdd_mono_ms();
	/* The rate limiter is collected on the same timer. */
	if (due == KD_NEVER || due > u->rl_collected_at + kd_core_params(u->core)->rl_idle_ms)
		due = u->rl_collected_at + kd_core_params(u->core)->rl_idle_ms;
	if (uv_timer_start(&u->timer, on_timer, due > now ? due - now : 0, 0))
		kdd_log(KDD_LOG_ERR, "routing timer could not be armed");
}

/* Sends what q holds on h's socket; q is empty after. */
static void txq_flush(struct user_backend *u, struct user_txq *q, uv_udp_t *h)
{
	unsigned int i = 0;
	uv_os_fd_t fd;
	int sent;

	if (!q->n)
		return;
	if (uv_fileno((uv_handle_t *)h, &fd)) {
		u->counters[UC_TX_ERRORS] += q->n;
		q->n = 0;
		return;
	}
	while (i < q->n) {
		sent = sendmmsg(fd, q->msg + i, q->n - i, MSG_DONTWAIT);
		if (sent > 0) {
			u->counters[UC_TX] += (unsigned int)sent;
			i += (unsigned int)sent;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			/* UDP is lossy anyway: a full socket buffer drops, like the network. */
			u->counters[UC_TX_ERRORS] += q->n - i;
			break;
		} else if (errno != EINTR) {
			/* This datagram alone (no route, say): the next ones may go. */
			u->counters[UC_TX_ERRORS]++;
			i++;
		}
	}
	q->n = 0;
}

static void tx_flush_all(struct user_backend *u)
{
	if (u->has4)
		txq_flush(u, &u->tx4, &u->udp4);
	if (u->has6)
		txq_flush(u, &u->tx6, &u->udp6);
}

static void on_tx_flush(uv_check_t *c)
{
	struct user_backend *u = c->data;

	tx_flush_all(u);
	if (uv_idle_stop(&u->tx_spin) || uv_check_stop(&u->tx_flush))
		kdd_log(KDD_LOG_ERR, "stopping the send queue's handles");
}

static void on_tx_spin(uv_idle_t *i)
{
}

/* The core asks for requests only, once replies are matched. */
static bool on_core_admit(void *ctx, u64 now, const struct kd_addr *from, bool proven)
{
	struct user_backend *u = ctx;

	return kd_rl_allow(&u->rl, now, from, proven);
}

static struct user_src_entry *src_slot(struct user_backend *u, const struct kd_addr *peer)
{
	uint32_t h = u->src_key ^ peer->port;
	unsigned int i;

	for (i = 0; i < sizeof(peer->ip); i++)
		h = (h ^ peer->ip[i]) * 16777619u;
	return &u->src_cache[h % USER_SRC_CACHE];
}

/* The local address to send to `to` from: the one it reached us at, if known. */
static const struct user_local *local_for(struct user_backend *u, const struct kd_addr *to)
{
	const struct user_src_entry *e;

	if (u->rx_peer && kd_addr_equal(u->rx_peer, to))
		return u->rx_local.addr.family ? &u->rx_local : NULL;
	e = src_slot(u, to);
	return e->local.addr.family && kd_addr_equal(&e->peer, to) ? &e->local : NULL;
}

/*
 * The source of a datagram as a control message (IP_PKTINFO, IPV6_PKTINFO):
 * the kernel then sends from that address whatever the route prefers. The
 * interface is named for an IPv6 link-local source only, which needs it.
 */
static void set_source(struct msghdr *mh, uint8_t *ctl, const struct user_local *l)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi4;
	struct cmsghdr *c;

	memset(ctl, 0, USER_CTL_LEN);
	mh->msg_control = ctl;
	mh->msg_controllen = l->addr.family == KDHT_AF_INET ? CMSG_SPACE(sizeof(pi4)) :
							      CMSG_SPACE(sizeof(pi6));
	c = CMSG_FIRSTHDR(mh);
	if (l->addr.family == KDHT_AF_INET) {
		memset(&pi4, 0, sizeof(pi4));
		memcpy(&pi4.ipi_spec_dst, l->addr.ip, 4);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi4));
		memcpy(CMSG_DATA(c), &pi4, sizeof(pi4));
		return;
	}
	memset(&pi6, 0, sizeof(pi6));
	memcpy(&pi6.ipi6_addr, l->addr.ip, sizeof(pi6.ipi6_addr));
	if (kd_addr_scope(&l->addr) == KD_SCOPE_LINK_LOCAL)
		pi6.ipi6_ifindex = l->ifindex;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi6));
	memcpy(CMSG_DATA(c), &pi6, sizeof(pi6));
}

static void on_core_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	struct user_backend *u = ctx;
	const struct user_local *local;
	struct user_txq *q;
	uv_udp_t *h;
	unsigned int i;

	if (u->stopped)
		return;
	if (to->family == KDHT_AF_INET) {
		h = u->has4 ? &u->udp4 : NULL;
		q = &u->tx4;
	} else {
		h = u->has6 ? &u->udp6 : NULL;
		q = &u->tx6;
	}
	if (!h || len > KDHT_MAX_DATAGRAM) {
		u->counters[UC_TX_ERRORS]++;
		return;
	}
	i = q->n;
	if (!kd_addr_to_sockaddr(to, &q->to[i])) {
		u->counters[UC_TX_ERRORS]++;
		return;
	}
	memcpy(q->pkt[i], pkt, len);
	q->iov[i].iov_base = q->pkt[i];
	q->iov[i].iov_len = len;
	memset(&q->msg[i], 0, sizeof(q->msg[i]));
	q->msg[i].msg_hdr.msg_name = &q->to[i];
	q->msg[i].msg_hdr.msg_namelen = to->family == KDHT_AF_INET ?
					sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	q->msg[i].msg_hdr.msg_iov = &q->iov[i];
	q->msg[i].msg_hdr.msg_iovlen = 1;
	local = local_for(u, to);
	if (local && local->addr.family == to->family)
		set_source(&q->msg[i].msg_hdr, q->ctl[i], local);
	if (++q->n == USER_TX_BATCH) {
		txq_flush(u, q, h);
		return;
	}
	if (i == 0 && (uv_check_start(&u->tx_flush, on_tx_flush) ||
		       uv_idle_start(&u->tx_spin, on_tx_spin))) {
		kdd_log(KDD_LOG_ERR, "arming the send queue: sending at once");
		txq_flush(u, q, h);
	}
}

static struct user_waiter *waiter_for(struct user_waiter *w, unsigned int n, u32 cookie)
{
	unsigned int slot = cookie & 0xffff;

	if (slot >= n || !w[slot].used || w[slot].gen != cookie >> 16)
		return NULL;
	return &w[slot];
}

static int waiter_get(struct user_waiter *w, unsigned int n, u32 *cookie)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!w[i].used) {
			w[i].used = true;
			w[i].gen++;
			*cookie = ((u32)w[i].gen << 16) | i;
			return (int)i;
		}
	}
	return -ENOSPC;
}

static void on_core_event(void *ctx, const struct kd_event *ev)
{
	struct user_backend *u = ctx;
	struct user_waiter *w, copy;

	switch (ev->type) {
	case KD_EV_LOOKUP_DONE:
		w = waiter_for(u->lookups, u->nlookup_slots, ev->cookie);
		if (!w)
			return;
		copy = *w;
		w->used = false;
		copy.lookup_cb(copy.arg, ev->ok, ev->hits, ev->nhits, ev->stats.rounds);
		break;
	case KD_EV_PING_DONE:
		w = waiter_for(u->pings, USER_MAX_PINGS, ev->cookie);
		if (!w)
			return;
		copy = *w;
		w->used = false;
		copy.ping_cb(copy.arg, ev->ok, &ev->node, ev->rtt_ms);
		break;
	case KD_EV_CONTACT_ADDED:
		u->counters[UC_CONTACTS_ADDED]++;
		if (u->b.host.contact_added)
			u->b.host.contact_added(u->b.host.ctx, &ev->node);
		break;
	case KD_EV_CONTACT_REMOVED:
		u->counters[UC_CONTACTS_REMOVED]++;
		if (u->b.host.contact_removed)
			u->b.host.contact_removed(u->b.host.ctx, &ev->node);
		break;
	}
}

static void on_timer(uv_timer_t *t)
{
	struct user_backend *u = t->data;
	uint64_t now = kdd_mono_ms();

	if (now >= u->rl_collected_at + kd_core_params(u->core)->rl_idle_ms) {
		kd_rl_collect(&u->rl, now, kd_core_params(u->core)->rl_idle_ms);
		u->rl_collected_at = now;
	}
	kd_core_tick(u->core, now);
	rearm(u);
}

/* Where a received datagram was sent to, from its control messages. */
static void local_of(struct msghdr *mh, struct user_local *l)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi4;
	struct cmsghdr *c;

	memset(l, 0, sizeof(*l));
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi4))) {
			memcpy(&pi4, CMSG_DATA(c), sizeof(pi4));
			l->addr.family = KDHT_AF_INET;
			memcpy(l->addr.ip, &pi4.ipi_addr, 4);
			l->ifindex = (unsigned int)pi4.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			l->addr.family = KDHT_AF_INET6;
			memcpy(l->addr.ip, &pi6.ipi6_addr, sizeof(pi6.ipi6_addr));
			l->ifindex = pi6.ipi6_ifindex;
		}
	}
	/*
	 * A datagram to a multicast or broadcast address is answered from the
	 * route's source. (Our own port makes the address whole to be judged.)
	 */
	l->addr.port = 1;
	if (!kd_addr_usable(&l->addr))
		memset(l, 0, sizeof(*l));
}

/*
 * Remembers the local address a proven peer reached us at, for the
 * requests we start: proven, so that a forged datagram cannot move where
 * our traffic to someone else leaves from.
 */
static void src_learn(struct user_backend *u, const struct kd_addr *peer,
		      const struct user_local *local)
{
	struct user_src_entry *e;

	if (!local->addr.family)
		return;
	e = src_slot(u, peer);
	e->peer = *peer;
	e->local = *local;
}

/* One datagram from `from` to `local`: through the core, then up if it is the daemon's. */
static void rx_one(struct user_backend *u, const struct kd_addr *from,
		   const struct user_local *local, const u8 *pkt, size_t len)
{
	struct kd_input in;
	struct kdd_msg m;
	unsigned int i;
	int rc;

	m.from = *from;
	u->rx_peer = &m.from;
	u->rx_local = *local;
	rc = kd_core_input(u->core, kdd_mono_ms(), &m.from, pkt, len, &in);
	for (i = 0; rc == KD_R_OK && i < KD_R_SCOPE_COUNT; i++)
		u->drops[KD_R_SCOPE_LOOPBACK + i] += in.scope_refused[i];
	if (rc == KD_R_OK)
		u->drops[KD_R_UNVALIDATED] += in.reply_cut;
	if (rc != KD_R_OK) {
		if (rc > 0 && rc < KD_R_COUNT)
			u->drops[rc]++;
	} else {
		/* A PONG or NODES accepted here matched a request of ours. */
		if (in.validated || in.hdr.type == KDHT_MSG_PONG || in.hdr.type == KDHT_MSG_NODES)
			src_learn(u, &m.from, local);
		if (in.upcall) {
			u->counters[UC_UPCALLS]++;
			m.hdr = in.hdr;
			m.body = in.body;
			m.body_len = in.body_len;
			m.reply_budget = in.reply_budget;
			m.validated = in.validated;
			u->b.host.recv(u->b.host.ctx, &m);
		}
	}
	u->rx_peer = NULL;
}

/* One recvmmsg(2) of up to USER_RX_BATCH datagrams, handled; returns how many. */
static int rx_batch(struct user_backend *u, int fd)
{
	struct user_rxq *q = u->rxq;
	struct user_local local;
	struct kd_addr from;
	int i, n;

	for (i = 0; i < USER_RX_BATCH; i++) {
		q->iov[i].iov_base = u->rxbuf + (size_t)i * USER_RX_SLOT;
		q->iov[i].iov_len = USER_RX_SLOT;
		memset(&q->msg[i], 0, sizeof(q->msg[i]));
		q->msg[i].msg_hdr.msg_name = &q->from[i];
		q->msg[i].msg_hdr.msg_namelen = sizeof(q->from[i]);
		q->msg[i].msg_hdr.msg_iov = &q->iov[i];
		q->msg[i].msg_hdr.msg_iovlen = 1;
		q->msg[i].msg_hdr.msg_control = q->ctl[i];
		q->msg[i].msg_hdr.msg_controllen = sizeof(q->ctl[i]);
	}
	n = recvmmsg(fd, q->msg, USER_RX_BATCH, MSG_DONTWAIT, NULL);
	for (i = 0; i < n && !u->stopped; i++) {
		u->counters[UC_RX]++;
		if (q->msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
			u->counters[UC_RX_OVERSIZE]++;
			continue;
		}
		if (kd_addr_from_sockaddr(&from, (struct sockaddr *)&q->from[i]))
			continue;
		local_of(&q->msg[i].msg_hdr, &local);
		rx_one(u, &from, &local, q->iov[i].iov_base, q->msg[i].msg_len);
	}
	return n;
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct user_backend *u = p->data;
	unsigned int round;
	uv_os_fd_t fd;

	if (status < 0 || u->stopped || uv_fileno((uv_handle_t *)p, &fd))
		return;
	for (round = 0; round < USER_RX_ROUNDS && !u->stopped; round++)
		if (rx_batch(u, fd) < USER_RX_BATCH)
			break;
	/* The timer follows what the datagrams changed, once. */
	rearm(u);
}

static int user_bootstrap(struct kdd_backend *b, const struct kd_addr *addr)
{
	struct user_backend *u = to_user(b);
	int rc;

	if (u->stopped)
		return -ESHUTDOWN;
	rc = kd_core_bootstrap(u->core, kdd_mono_ms(), addr);
	rearm(u);
	return rc;
}

static int user_lookup(struct kdd_backend *b, const struct kd_id *target, kdd_lookup_cb cb,
		       void *arg)
{
	struct user_backend *u = to_user(b);
	u32 cookie;
	int slot, rc;

	if (u->stopped)
		return -ESHUTDOWN;
	slot = waiter_get(u->lookups, u->nlookup_slots, &cookie);
	if (slot < 0) {
		u->counters[UC_LOOKUPS_REFUSED]++;
		return slot;
	}
	u->lookups[slot].lookup_cb = cb;
	u->lookups[slot].arg = arg;
	u->counters[UC_LOOKUPS]++;
	rc = kd_core_lookup(u->core, kdd_mono_ms(), target, cookie);
	if (rc < 0) {
		u->lookups[slot].used = false;
		u->counters[UC_LOOKUPS_REFUSED]++;
		return rc;
	}
	rearm(u);
	return 0;
}

static int user_ping(struct kdd_backend *b, const struct kd_addr *to, kdd_ping_cb cb, void *arg)
{
	struct user_backend *u = to_user(b);
	u32 cookie;
	int slot, rc;

	if (u->stopped)
		return -ESHUTDOWN;
	slot = waiter_get(u->pings, USER_MAX_PINGS, &cookie);
	if (slot < 0)
		return slot;
	u->pings[slot].ping_cb = cb;
	u->pings[slot].arg = arg;
	rc = kd_core_ping(u->core, kdd_mono_ms(), to, cookie);
	if (rc < 0) {
		u->pings[slot].used = false;
		return rc;
	}
	rearm(u);
	return 0;
}

static int user_send(struct kdd_backend *b, const struct kd_addr *to, uint8_t type,
		     uint8_t flags, uint32_t txid, const uint8_t *body, size_t body_len,
		     size_t pad_to, uint32_t *txid_out)
{
	struct user_backend *u = to_user(b);
	struct kd_value_msg m = {
		.type = type, .flags = flags, .txid = txid,
		.body = body, .body_len = body_len, .pad_to = pad_to,
	};

	if (u->stopped)
		return -ESHUTDOWN;
	return kd_core_send(u->core, to, &m, txid_out);
}

static unsigned int user_closest(struct kdd_backend *b, const struct kd_id *target,
				 uint8_t want, struct kd_node *out, unsigned int max)
{
	return kd_core_closest(to_user(b)->core, target, want, out, max);
}

/* Milliseconds from then to now, 0 for a time ahead of now, capped at UINT32_MAX. */
static uint32_t age_ms(uint64_t now, uint64_t then)
{
	if (now <= then)
		return 0;
	return now - then > UINT32_MAX ? UINT32_MAX : (uint32_t)(now - then);
}

static unsigned int user_routes(struct kdd_backend *b, struct kd_node *out,
				struct kdd_route *info, unsigned int max)
{
	struct kd_table *t = kd_core_table(to_user(b)->core);
	uint64_t now = kdd_mono_ms();
	const struct kd_contact *c;
	u32 cursor = 0;
	unsigned int n = 0;

	while (n < max && (c = kd_table_iter(t, &cursor))) {
		out[n] = c->node;
		if (info) {
			info[n].rtt_ms = c->rtt_ms;
			info[n].state = kd_table_liveness(t, c, now);
			info[n].bucket = kd_id_bucket(&t->self, &c->node.id);
			info[n].last_seen_ms = age_ms(now, c->last_seen);
		}
		n++;
	}
	return n;
}

static unsigned int user_counters(struct kdd_backend *b, struct kdd_counter *out,
				  unsigned int max)
{
	struct user_backend *u = to_user(b);
	unsigned int i, n = 0;

	for (i = 0; i < UC_COUNT && n < max; i++, n++) {
		out[n].name = user_counter_names[i];
		out[n].value = u->counters[i];
	}
	for (i = 1; i < KD_R_COUNT && n < max; i++, n++) {
		out[n].name = kd_reason_name(i);
		out[n].value = u->drops[i];
	}
	return n;
}

static const struct kd_id *user_self(struct kdd_backend *b)
{
	return kd_core_self(to_user(b)->core);
}

static unsigned int user_addresses(struct kdd_backend *b, char (*out)[64], unsigned int max)
{
	struct user_backend *u = to_user(b);
	struct sockaddr_storage ss;
	struct kd_addr a;
	char text[KD_ADDR_STRLEN];
	uv_udp_t *hs[2] = { u->has4 ? &u->udp4 : NULL, u->has6 ? &u->udp6 : NULL };
	unsigned int i, n = 0;
	int len;

	for (i = 0; i < 2 && n < max; i++) {
		len = sizeof(ss);
		if (!hs[i] || uv_udp_getsockname(hs[i], (struct sockaddr *)&ss, &len) ||
		    kd_addr_from_sockaddr(&a, (struct sockaddr *)&ss))
			continue;
		kd_addr_format(text, &a);
		memcpy(out[n++], text, sizeof(text));
	}
	return n;
}

static void fail_waiters(struct user_backend *u)
{
	struct user_waiter copy;
	struct kd_node none;
	unsigned int i;

	memset(&none, 0, sizeof(none));
	for (i = 0; i < u->nlookup_slots; i++) {
		if (!u->lookups[i].used)
			continue;
		copy = u->lookups[i];
		u->lookups[i].used = false;
		copy.lookup_cb(copy.arg, false, NULL, 0, 0);
	}
	for (i = 0; i < USER_MAX_PINGS; i++) {
		if (!u->pings[i].used)
			continue;
		copy = u->pings[i];
		u->pings[i].used = false;
		copy.ping_cb(copy.arg, false, &none, 0);
	}
}

static void user_stop(struct kdd_backend *b)
{
	struct user_backend *u = to_user(b);

	if (u->stopped)
		return;
	tx_flush_all(u);
	u->stopped = true;
	fail_waiters(u);
	uv_close((uv_handle_t *)&u->timer, NULL);
	uv_close((uv_handle_t *)&u->tx_flush, NULL);
	uv_close((uv_handle_t *)&u->tx_spin, NULL);
	/* Each poll handle before the socket it watches. */
	if (u->has4) {
		uv_close((uv_handle_t *)&u->poll4, NULL);
		uv_close((uv_handle_t *)&u->udp4, NULL);
	}
	if (u->has6) {
		uv_close((uv_handle_t *)&u->poll6, NULL);
		uv_close((uv_handle_t *)&u->udp6, NULL);
	}
}

/* After user_stop and a turn of the loop that ran the handles' closes. */
static void user_destroy(struct kdd_backend *b)
{
	struct user_backend *u = to_user(b);

	free(u->core_mem);
	free(u->rl_mem);
	free(u->lookups);
	free(u->rxbuf);
	free(u->rxq);
	free(u);
}

static const struct kdd_backend_ops user_ops = {
	.name = "user",
	.bootstrap = user_bootstrap,
	.lookup = user_lookup,
	.ping = user_ping,
	.send = user_send,
	.closest = user_closest,
	.routes = user_routes,
	.counters = user_counters,
	.self = user_self,
	.addresses = user_addresses,
	.stop = user_stop,
	.destroy = user_destroy,
};

/* A failed create frees u once every handle it opened has closed. */
static void on_create_close(uv_handle_t *h)
{
	struct user_backend *u = h->data;

	if (--u->closing == 0 && u->create_failed)
		user_destroy(&u->b);
}

/*
 * A receive buffer of the asked size: beyond net.core.rmem_max only with
 * CAP_NET_ADMIN (SO_RCVBUFFORCE); otherwise what the system allows.
 */
static void set_rcvbuf(uv_udp_t *h, uint32_t bytes)
{
	int size = (int)KD_MIN(bytes, (uint32_t)INT32_MAX / 2);
	uv_os_fd_t fd;

	if (!bytes || uv_fileno((uv_handle_t *)h, &fd))
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
		kdd_log(KDD_LOG_WARN, "UDP receive buffer of %d bytes: %s", size, strerror(errno));
}

/*
 * Each datagram's destination comes with it (IP_PKTINFO, IPV6_RECVPKTINFO),
 * read by recvmmsg(2) when p says the socket is readable; libuv's own
 * receive path, which would drop the control messages, is never started.
 */
static int start_receiving(struct user_backend *u, uv_udp_t *h, uv_poll_t *p, int family)
{
	int one = 1, rc;
	uv_os_fd_t fd;

	rc = uv_fileno((uv_handle_t *)h, &fd);
	if (rc)
		return rc;
	if (family == AF_INET6 ?
	    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) :
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
		return -errno;
	rc = uv_poll_init_socket(u->loop, p, fd);
	if (rc)
		return rc;
	p->data = u;
	rc = uv_poll_start(p, UV_READABLE, on_readable);
	if (rc) {
		u->closing++;
		uv_close((uv_handle_t *)p, on_create_close);
	}
	return rc;
}

static int open_udp(struct user_backend *u, uv_udp_t *h, uv_poll_t *p, int family,
		    const char *bind, uint16_t port, uint32_t rcvbuf, const char **err_msg)
{
	struct sockaddr_storage ss;
	int rc;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		rc = uv_ip4_addr(bind ? bind : "0.0.0.0", port, sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		rc = uv_ip6_addr(bind ? bind : "::", port, sin6);
	}
	if (rc) {
		*err_msg = "bad bind address";
		return rc;
	}
	/* Batches of datagrams by recvmmsg(2) where libuv has it. */
	rc = uv_udp_init_ex(u->loop, h, (unsigned int)family | UV_UDP_RECVMMSG);
	if (rc) {
		*err_msg = "creating a UDP socket";
		return rc;
	}
	h->data = u;
	rc = uv_udp_bind(h, (struct sockaddr *)&ss, family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
	if (!rc) {
		set_rcvbuf(h, rcvbuf);
		rc = start_receiving(u, h, p, family);
	}
	if (rc) {
		*err_msg = family == AF_INET ? "binding the IPv4 UDP port" :
					       "binding the IPv6 UDP port";
		u->closing++;
		uv_close((uv_handle_t *)h, on_create_close);
	}
	return rc;
}

static void user_free(struct user_backend *u)
{
	if (u->core)
		kd_core_set_mesh_key(u->core, NULL);	/* the tag key wiped */
	free(u->core_mem);
	free(u->rl_mem);
	free(u->lookups);
	free(u->rxbuf);
	free(u->rxq);
	free(u);
}

/* u with the core's memory, the rate limiter's, the lookup slots and the receive batch. */
static struct user_backend *user_new(uv_loop_t *loop, const struct kd_params *core,
				     const struct kdd_backend_host *host)
{
	struct user_backend *u = calloc(1, sizeof(*u));
	size_t len = kd_core_memsize(core);

	if (!u)
		return NULL;
	u->b.ops = &user_ops;
	u->b.host = *host;
	u->loop = loop;
	u->core_mem = aligned_alloc(8, (len + 7) & ~(size_t)7);
	u->rl_mem = malloc(kd_rl_memsize(core->rl_entries));
	u->nlookup_slots = KD_MIN(core->max_lookups, 0xffffu);
	u->lookups = calloc(u->nlookup_slots, sizeof(*u->lookups));
	u->rxbuf = malloc((size_t)USER_RX_BATCH * USER_RX_SLOT);
	u->rxq = malloc(sizeof(*u->rxq));
	randombytes_buf(&u->src_key, sizeof(u->src_key));
	if (u->core_mem && u->rl_mem && u->lookups && u->rxbuf && u->rxq)
		return u;
	user_free(u);
	return NULL;
}

/* The rate limiter and the routing core, each with a secret of its own. */
static int user_core_init(struct user_backend *u, const struct kd_params *core,
			  const struct kd_id *self)
{
	struct kd_io io = { .send = on_core_send, .event = on_core_event,
			    .admit = on_core_admit, .ctx = u };
	u8 seed[32], rl_key[KD_SECRET_LEN];

	randombytes_buf(seed, sizeof(seed));
	randombytes_buf(rl_key, sizeof(rl_key));
	kd_rl_init(&u->rl, u->rl_mem, core->rl_entries, core->rl_rate, core->rl_burst, rl_key);
	u->rl_collected_at = kdd_mono_ms();
	return kd_core_init(u->core_mem, kd_core_memsize(core), core, self, seed, kdd_mono_ms(),
			    &io, &u->core);
}

/* The send queue's check and idle handles; the check closes if the idle fails. */
static int user_txq_init(struct user_backend *u, uv_loop_t *loop)
{
	int rc;

	u->tx_flush.data = u;
	u->tx_spin.data = u;
	rc = uv_check_init(loop, &u->tx_flush);
	if (rc)
		return rc;
	rc = uv_idle_init(loop, &u->tx_spin);
	if (rc) {
		u->closing++;
		uv_close((uv_handle_t *)&u->tx_flush, on_create_close);
	}
	return rc;
}

/*
 * The UDP sockets p asks for. A host without IPv6 still runs an IPv4 node,
 * unless asked for v6. On failure the sockets opened here close.
 */
static int user_open_sockets(struct user_backend *u, const struct kdd_user_backend_params *p,
			     const char **err_msg)
{
	int rc;

	if (!p->bind4 || p->bind4[0]) {
		rc = open_udp(u, &u->udp4, &u->poll4, AF_INET, p->bind4, p->port, p->rcvbuf,
			      err_msg);
		if (rc)
			return rc;
		u->has4 = true;
	}
	if (p->bind6 && !p->bind6[0])
		return 0;
	rc = open_udp(u, &u->udp6, &u->poll6, AF_INET6, p->bind6, p->port, p->rcvbuf, err_msg);
	if (rc == 0) {
		u->has6 = true;
		return 0;
	}
	if (!p->bind6 && u->has4) {
		kdd_log(KDD_LOG_WARN, "IPv6 disabled: %s: %s", *err_msg, uv_strerror(rc));
		return 0;
	}
	if (u->has4) {
		u->closing += 2;
		uv_close((uv_handle_t *)&u->poll4, on_create_close);
		uv_close((uv_handle_t *)&u->udp4, on_create_close);
	}
	return rc;
}

int kdd_user_backend_create(struct kdd_backend **out, uv_loop_t *loop,
			    const struct kdd_user_backend_params *p, const struct kd_id *self,
			    const struct kdd_backend_host *host, const char **err_msg)
{
	struct user_backend *u;
	int rc;

	*err_msg = "invalid routing parameters";
	if (kd_params_check(&p->core))
		return -EINVAL;
	*err_msg = "out of memory";
	u = user_new(loop, &p->core, host);
	if (!u)
		return -ENOMEM;
	*err_msg = "initialising the routing core";
	rc = user_core_init(u, &p->core, self);
	if (!rc && p->mesh_closed)
		kd_core_set_mesh_key(u->core, p->mesh_tag_key);
	if (!rc) {
		*err_msg = "creating the routing timer";
		rc = uv_timer_init(loop, &u->timer);
	}
	if (rc) {
		user_free(u);
		return rc;
	}
	u->timer.data = u;
	*err_msg = "creating the send queue";
	rc = user_txq_init(u, loop);
	if (rc)
		goto err_timer;
	rc = user_open_sockets(u, p, err_msg);
	if (rc)
		goto err_txq;
	*err_msg = NULL;
	rearm(u);
	*out = &u->b;
	return 0;

err_txq:
	u->closing += 2;
	uv_close((uv_handle_t *)&u->tx_flush, on_create_close);
	uv_close((uv_handle_t *)&u->tx_spin, on_create_close);
err_timer:
	/* The handles close on a later turn of the loop: u goes with the last. */
	u->stopped = true;
	u->create_failed = true;
	u->closing++;
	uv_close((uv_handle_t *)&u->timer, on_create_close);
	return rc;
}
