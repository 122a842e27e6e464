// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The userspace routing backend: the routing core in a malloc'd block,
 * driven by libuv (two UDP sockets, IPv4 and IPv6, and one timer).
 * Datagrams come in by recvmmsg(2), USER_RX_BATCH at a time; what the node
 * sends during a turn of the loop is queued per socket and leaves by
 * sendmmsg(2) at the end of that turn, or at once when USER_TX_BATCH wait.
 */
#include <errno.h>
#include <netinet/in.h>
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
#define USER_RX_SLOT		(64 * 1024)	/* libuv's room per datagram in a batch */
#define USER_TX_BATCH		32	/* datagrams one sendmmsg(2) sends */

enum user_counter {
	UC_RX, UC_TX, UC_TX_ERRORS, UC_RX_OVERSIZE, UC_UPCALLS,
	UC_CONTACTS_ADDED, UC_CONTACTS_REMOVED, UC_LOOKUPS, UC_LOOKUPS_REFUSED,
	UC_COUNT
};

static const char *const user_counter_names[UC_COUNT] = {
	"rx", "tx", "tx_errors", "rx_oversize", "upcalls",
	"contacts_added", "contacts_removed", "lookups", "lookups_refused",
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
	u8 pkt[USER_TX_BATCH][KDHT_MAX_DATAGRAM];
};

struct user_backend {
	struct kdd_backend b;
	uv_loop_t *loop;
	uv_udp_t udp4, udp6;
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

static void on_core_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	struct user_backend *u = ctx;
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

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct user_backend *u = h->data;

	buf->base = (char *)u->rxbuf;
	buf->len = (size_t)USER_RX_BATCH * USER_RX_SLOT;
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		    const struct sockaddr *sa, unsigned int flags)
{
	struct user_backend *u = h->data;
	const u8 *pkt = (const u8 *)buf->base;
	struct kd_input in;
	struct kdd_msg m;
	unsigned int i;
	uint64_t now;
	int rc;

	/* The end of a batch: the timer follows what its datagrams changed, once. */
	if (flags & UV_UDP_MMSG_FREE) {
		rearm(u);
		return;
	}
	/* Nothing more to read, or a read error. */
	if (nread <= 0 || !sa || u->stopped)
		return;
	u->counters[UC_RX]++;
	if ((flags & UV_UDP_PARTIAL) || nread > KDHT_MAX_DATAGRAM) {
		u->counters[UC_RX_OVERSIZE]++;
		return;
	}
	if (kd_addr_from_sockaddr(&m.from, sa))
		return;
	now = kdd_mono_ms();
	rc = kd_core_input(u->core, now, &m.from, pkt, (size_t)nread, &in);
	for (i = 0; rc == KD_R_OK && i < KD_R_SCOPE_COUNT; i++)
		u->drops[KD_R_SCOPE_LOOPBACK + i] += in.scope_refused[i];
	if (rc == KD_R_OK)
		u->drops[KD_R_UNVALIDATED] += in.reply_cut;
	if (rc != KD_R_OK) {
		if (rc > 0 && rc < KD_R_COUNT)
			u->drops[rc]++;
	} else if (in.upcall) {
		u->counters[UC_UPCALLS]++;
		m.hdr = in.hdr;
		m.body = in.body;
		m.body_len = in.body_len;
		m.reply_budget = in.reply_budget;
		m.validated = in.validated;
		u->b.host.recv(u->b.host.ctx, &m);
	}
	if (!(flags & UV_UDP_MMSG_CHUNK))
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

static unsigned int user_routes(struct kdd_backend *b, struct kd_node *out, uint32_t *rtt_ms,
				unsigned int max)
{
	struct kd_table *t = kd_core_table(to_user(b)->core);
	const struct kd_contact *c;
	u32 cursor = 0;
	unsigned int n = 0;

	while (n < max && (c = kd_table_iter(t, &cursor))) {
		out[n] = c->node;
		if (rtt_ms)
			rtt_ms[n] = c->rtt_ms;
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
	if (u->has4)
		uv_close((uv_handle_t *)&u->udp4, NULL);
	if (u->has6)
		uv_close((uv_handle_t *)&u->udp6, NULL);
}

/* After user_stop and a turn of the loop that ran the handles' closes. */
static void user_destroy(struct kdd_backend *b)
{
	struct user_backend *u = to_user(b);

	free(u->core_mem);
	free(u->rl_mem);
	free(u->lookups);
	free(u->rxbuf);
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

static int open_udp(struct user_backend *u, uv_udp_t *h, int family, const char *bind,
		    uint16_t port, uint32_t rcvbuf, const char **err_msg)
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
		rc = uv_udp_recv_start(h, on_alloc, on_recv);
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
	free(u->core_mem);
	free(u->rl_mem);
	free(u->lookups);
	free(u->rxbuf);
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
	if (u->core_mem && u->rl_mem && u->lookups && u->rxbuf)
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
		rc = open_udp(u, &u->udp4, AF_INET, p->bind4, p->port, p->rcvbuf, err_msg);
		if (rc)
			return rc;
		u->has4 = true;
	}
	if (p->bind6 && !p->bind6[0])
		return 0;
	rc = open_udp(u, &u->udp6, AF_INET6, p->bind6, p->port, p->rcvbuf, err_msg);
	if (rc == 0) {
		u->has6 = true;
		return 0;
	}
	if (!p->bind6 && u->has4) {
		kdd_log(KDD_LOG_WARN, "IPv6 disabled: %s: %s", *err_msg, uv_strerror(rc));
		return 0;
	}
	if (u->has4) {
		u->closing++;
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
