// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The kernel routing backend: kdht.ko routes, this daemon is registered as
 * its namespace's value handler. Three generic netlink sockets, because a
 * request waiting for its ack discards the events that arrive meanwhile:
 * `ev` is registered and only reads upcalls (RECV) and routing events,
 * `async` starts lookups and pings and reads their completions, `cmd` does
 * everything synchronous (SEND, dumps, stats). The two readers are watched
 * by uv_polls.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "backend.h"
#include "clock.h"
#include "kdnl.h"
#include "log.h"

#define KERNEL_MAX_WAITERS	64	/* lookups and pings in flight */
#define KERNEL_WAIT_MS		40000	/* a completion lost on the socket fails then */
#define KERNEL_SWEEP_MS		1000
/*
 * Receive buffer of the upcall socket: a STORE flood from the mesh arrives
 * faster than one loop turn reads it, and the daemon's own replies share it.
 */
#define KERNEL_EVENT_RCVBUF	(1 << 20)

struct kernel_waiter {
	bool used;
	bool is_lookup;
	uint16_t gen;
	uint64_t deadline;
	kdd_lookup_cb lookup_cb;
	kdd_ping_cb ping_cb;
	void *arg;
};

struct kernel_backend {
	struct kdd_backend b;
	struct kdnl *nl;	/* cmd */
	struct kdnl *ev_nl;
	struct kdnl *async_nl;
	uv_poll_t poll;		/* ev_nl */
	uv_poll_t async_poll;
	uv_timer_t timer;
	bool stopped;
	struct kd_id self;
	uint16_t port;
	struct kernel_waiter w[KERNEL_MAX_WAITERS];
	/* The k closest nodes the kernel attached to the last FIND_VALUE/STORE. */
	struct kd_id last_key;
	unsigned int nlast;
	struct kd_node last[KDNL_MAX_PEERS];
	uint64_t upcalls, lost_waits, send_errors;
	uint64_t poll_errors;	/* event polls restarted after an error */
	unsigned int closing;	/* handles closing after a failed create */
};

static struct kernel_backend *to_kernel(struct kdd_backend *b)
{
	return (struct kernel_backend *)b;
}

static void node_from_peer(struct kd_node *out, const struct kdnl_peer *p)
{
	memset(out, 0, sizeof(*out));
	if (p->has_id)
		memcpy(out->id.b, p->id, KDHT_ID_LEN);
	out->addr = p->addr;
}

/*
 * A free waiter for a ping or a lookup that reports to arg, and the cookie
 * its request carries; NULL with *err set when stopped or all are busy.
 */
static struct kernel_waiter *waiter_start(struct kernel_backend *k, bool is_lookup, void *arg,
					  uint32_t *cookie, int *err)
{
	unsigned int i;

	*err = k->stopped ? -ESHUTDOWN : -ENOSPC;
	for (i = 0; i < KERNEL_MAX_WAITERS && !k->stopped; i++) {
		struct kernel_waiter *w = &k->w[i];

		if (w->used)
			continue;
		w->used = true;
		w->is_lookup = is_lookup;
		w->arg = arg;
		w->gen++;
		w->deadline = kdd_mono_ms() + KERNEL_WAIT_MS;
		*cookie = ((uint32_t)w->gen << 16) | i;
		return w;
	}
	return NULL;
}

static void waiter_fail(struct kernel_waiter *w)
{
	struct kernel_waiter copy = *w;
	struct kd_node none;

	w->used = false;
	memset(&none, 0, sizeof(none));
	if (copy.is_lookup)
		copy.lookup_cb(copy.arg, false, NULL, 0, 0);
	else
		copy.ping_cb(copy.arg, false, &none, 0);
}

static void on_done(struct kernel_backend *k, const struct kdnl_event *ev)
{
	unsigned int slot = ev->cookie & 0xffff, i, n;
	struct kd_lookup_hit hits[KDNL_MAX_PEERS];
	struct kernel_waiter copy;
	struct kd_node node;

	if (slot >= KERNEL_MAX_WAITERS || !k->w[slot].used ||
	    k->w[slot].gen != ev->cookie >> 16)
		return;
	copy = k->w[slot];
	k->w[slot].used = false;
	if (copy.is_lookup && ev->cmd == KDHT_CMD_LOOKUP_DONE) {
		n = KD_MIN(ev->lookup.npeers, (unsigned int)KDNL_MAX_PEERS);
		for (i = 0; i < n; i++) {
			node_from_peer(&hits[i].node, &ev->lookup.peers[i]);
			hits[i].rtt_ms = ev->lookup.peers[i].rtt_ms;
		}
		copy.lookup_cb(copy.arg, ev->ok, hits, n, ev->lookup.rounds);
	} else if (!copy.is_lookup && ev->cmd == KDHT_CMD_PING_DONE) {
		node_from_peer(&node, &ev->peer);
		copy.ping_cb(copy.arg, ev->ok, &node, ev->peer.rtt_ms);
	} else {
		k->w[slot] = copy;
	}
}

static void on_recv(struct kernel_backend *k, const struct kdnl_event *ev)
{
	struct kdd_msg m;
	unsigned int i;

	memset(&m, 0, sizeof(m));
	m.from = ev->peer.addr;
	m.hdr.version = KDHT_VERSION;
	m.hdr.type = ev->type;
	m.hdr.flags = ev->flags;
	m.hdr.txid = ev->txid;
	if (ev->peer.has_id)
		memcpy(m.hdr.sender.b, ev->peer.id, KDHT_ID_LEN);
	m.body = ev->payload;
	m.body_len = ev->payload_len;
	m.reply_budget = ev->reply_budget;
	m.validated = ev->validated;
	k->upcalls++;
	/* The kernel's closest nodes to the key answer a FIND_VALUE we miss. */
	if (kd_decode_key(ev->payload, ev->payload_len, &k->last_key)) {
		k->nlast = KD_MIN(ev->lookup.npeers, (unsigned int)KDNL_MAX_PEERS);
		for (i = 0; i < k->nlast; i++)
			node_from_peer(&k->last[i], &ev->lookup.peers[i]);
	}
	k->b.host.recv(k->b.host.ctx, &m);
}

static void on_contact(struct kernel_backend *k, const struct kdnl_event *ev)
{
	void (*cb)(void *ctx, const struct kd_node *n);
	struct kd_node n;

	cb = ev->cmd == KDHT_CMD_CONTACT_ADDED ? k->b.host.contact_added :
						 k->b.host.contact_removed;
	if (!cb)
		return;
	node_from_peer(&n, &ev->peer);
	cb(k->b.host.ctx, &n);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct kernel_backend *k = p->data;
	struct kdnl *nl = p == &k->poll ? k->ev_nl : k->async_nl;
	struct kdnl_event ev;
	int rc;

	if (k->stopped)
		return;
	if (status < 0) {
		/*
		 * libuv stops a poll whose fd reported an error (an overrun
		 * netlink socket): watch it again, or no upcall, nor the
		 * completion of our own requests, would be read any more.
		 */
		k->poll_errors++;
		rc = uv_poll_start(p, UV_READABLE, on_readable);
		if (rc) {
			kdd_log(KDD_LOG_ERR, "kernel backend: watching events again: %s",
				uv_strerror(rc));
			return;
		}
		/* Reading takes the error off the socket, then the queued events. */
	}
	while ((rc = kdnl_read_event(nl, 0, &ev)) == 1 && !k->stopped) {
		if (ev.cmd == KDHT_CMD_RECV) {
			on_recv(k, &ev);
		} else if (ev.cmd == KDHT_CMD_CONTACT_ADDED || ev.cmd == KDHT_CMD_CONTACT_REMOVED) {
			on_contact(k, &ev);
		} else if (ev.cmd == KDHT_CMD_LOOKUP_DONE || ev.cmd == KDHT_CMD_PING_DONE) {
			on_done(k, &ev);
		}
	}
	if (rc < 0 && rc != -EAGAIN && rc != -EPROTO)
		kdd_log(KDD_LOG_WARN, "kernel backend: reading events: %s", strerror(-rc));
}

static void on_timer(uv_timer_t *t)
{
	struct kernel_backend *k = t->data;
	uint64_t now = kdd_mono_ms();
	unsigned int i;

	for (i = 0; i < KERNEL_MAX_WAITERS; i++) {
		if (k->w[i].used && k->w[i].deadline <= now) {
			k->lost_waits++;
			waiter_fail(&k->w[i]);
		}
	}
}

static int kernel_bootstrap(struct kdd_backend *b, const struct kd_addr *addr)
{
	return kdnl_add_contact(to_kernel(b)->nl, addr);
}

static int kernel_lookup(struct kdd_backend *b, const struct kd_id *target, kdd_lookup_cb cb,
			 void *arg)
{
	struct kernel_backend *k = to_kernel(b);
	struct kernel_waiter *w;
	uint32_t cookie;
	int rc;

	w = waiter_start(k, true, arg, &cookie, &rc);
	if (!w)
		return rc;
	w->lookup_cb = cb;
	rc = kdnl_lookup_start(k->async_nl, target->b, cookie);
	if (rc)
		w->used = false;
	return rc;
}

static int kernel_ping(struct kdd_backend *b, const struct kd_addr *to, kdd_ping_cb cb,
		       void *arg)
{
	struct kernel_backend *k = to_kernel(b);
	struct kernel_waiter *w;
	uint32_t cookie;
	int rc;

	w = waiter_start(k, false, arg, &cookie, &rc);
	if (!w)
		return rc;
	w->ping_cb = cb;
	rc = kdnl_ping_start(k->async_nl, to, cookie);
	if (rc)
		w->used = false;
	return rc;
}

static int kernel_send(struct kdd_backend *b, const struct kd_addr *to, uint8_t type,
		       uint8_t flags, uint32_t txid, const uint8_t *body, size_t body_len,
		       size_t pad_to, uint32_t *txid_out)
{
	struct kernel_backend *k = to_kernel(b);
	struct kdnl_send s;
	int rc;

	if (k->stopped)
		return -ESHUTDOWN;
	/* Our own txid for a request, so that its reply can be matched here. */
	while (txid == 0)
		txid = randombytes_random();
	memset(&s, 0, sizeof(s));
	s.to = *to;
	s.type = type;
	s.flags = flags;
	s.txid = txid;
	s.payload = body;
	s.payload_len = body_len;
	s.pad_to = (uint16_t)KD_MIN(pad_to, (size_t)KDHT_MAX_DATAGRAM);
	rc = kdnl_send(k->nl, &s);
	if (rc) {
		k->send_errors++;
		return rc;
	}
	if (txid_out)
		*txid_out = txid;
	return 0;
}

static unsigned int kernel_closest(struct kdd_backend *b, const struct kd_id *target,
				   uint8_t want, struct kd_node *out, unsigned int max)
{
	struct kernel_backend *k = to_kernel(b);
	unsigned int i, n = 0;

	if (!kd_id_equal(target, &k->last_key))
		return 0;
	for (i = 0; i < k->nlast && n < max; i++) {
		if ((k->last[i].addr.family == KDHT_AF_INET && !(want & KDHT_WANT_V4)) ||
		    (k->last[i].addr.family == KDHT_AF_INET6 && !(want & KDHT_WANT_V6)))
			continue;
		out[n++] = k->last[i];
	}
	return n;
}

/* The module's peer states are the routing core's, number for number. */
_Static_assert(KDHT_PEER_GOOD == (int)KD_GOOD &&
	       KDHT_PEER_QUESTIONABLE == (int)KD_QUESTIONABLE &&
	       KDHT_PEER_BAD == (int)KD_BAD && KDHT_PEER_FAILED == (int)KD_FAILED,
	       "enum kdht_peer_state follows enum kd_liveness");

static unsigned int kernel_routes(struct kdd_backend *b, struct kd_node *out,
				  struct kdd_route *info, unsigned int max)
{
	struct kdnl_routes r;
	unsigned int n = 0;
	size_t i;

	if (kdnl_routes(to_kernel(b)->nl, &r))
		return 0;
	for (i = 0; i < r.n && n < max; i++, n++) {
		node_from_peer(&out[n], &r.peers[i]);
		if (info) {
			info[n].rtt_ms = r.peers[i].rtt_ms;
			info[n].state = r.peers[i].state;
			info[n].bucket = r.peers[i].bucket;
			info[n].last_seen_ms = r.peers[i].last_seen_ms;
		}
	}
	kdnl_routes_free(&r);
	return n;
}

static unsigned int kernel_counters(struct kdd_backend *b, struct kdd_counter *out,
				    unsigned int max)
{
	struct kernel_backend *k = to_kernel(b);
	uint64_t stats[KDHT_STAT_COUNT];
	unsigned int i, n = 0;

	if (kdnl_stats(k->nl, stats) == 0)
		for (i = 0; i < KDHT_STAT_COUNT && n < max; i++, n++) {
			out[n].name = kdnl_stat_name(i);
			out[n].value = stats[i];
		}
	if (n + 4 <= max) {
		out[n].name = "kernel_upcalls";
		out[n++].value = k->upcalls;
		out[n].name = "kernel_lost_waits";
		out[n++].value = k->lost_waits;
		out[n].name = "kernel_send_errors";
		out[n++].value = k->send_errors;
		out[n].name = "kernel_poll_errors";
		out[n++].value = k->poll_errors;
	}
	return n;
}

static const struct kd_id *kernel_self(struct kdd_backend *b)
{
	return &to_kernel(b)->self;
}

static unsigned int kernel_addresses(struct kdd_backend *b, char (*out)[64], unsigned int max)
{
	if (max == 0)
		return 0;
	snprintf(out[0], 64, "*:%u", to_kernel(b)->port);
	return 1;
}

static void kernel_stop(struct kdd_backend *b)
{
	struct kernel_backend *k = to_kernel(b);
	unsigned int i;

	if (k->stopped)
		return;
	k->stopped = true;
	for (i = 0; i < KERNEL_MAX_WAITERS; i++)
		if (k->w[i].used)
			waiter_fail(&k->w[i]);
	uv_close((uv_handle_t *)&k->poll, NULL);
	uv_close((uv_handle_t *)&k->async_poll, NULL);
	uv_close((uv_handle_t *)&k->timer, NULL);
}

static void kernel_destroy(struct kdd_backend *b)
{
	struct kernel_backend *k = to_kernel(b);

	kdnl_close(k->nl);
	kdnl_close(k->ev_nl);
	kdnl_close(k->async_nl);
	free(k);
}

static const struct kdd_backend_ops kernel_ops = {
	.name = "kernel",
	.bootstrap = kernel_bootstrap,
	.lookup = kernel_lookup,
	.ping = kernel_ping,
	.send = kernel_send,
	.closest = kernel_closest,
	.routes = kernel_routes,
	.counters = kernel_counters,
	.self = kernel_self,
	.addresses = kernel_addresses,
	.stop = kernel_stop,
	.destroy = kernel_destroy,
};

/*
 * Starts the namespace's node with our id and port unless it already runs
 * so, and gives it our mesh key (mesh_tag_key, or NULL: an open mesh),
 * whatever key it held before.
 */
static int ensure_node(struct kernel_backend *k, const struct kd_id *self, uint16_t port,
		       const uint8_t *mesh_tag_key, const char **err_msg)
{
	struct kdnl_node_set set;
	struct kdnl_node node;
	int rc;

	rc = kdnl_get_node(k->nl, &node);
	if (rc) {
		*err_msg = "reading the kernel node";
		return rc;
	}
	memset(&set, 0, sizeof(set));
	if (!node.running || memcmp(node.id, self->b, KDHT_ID_LEN) || node.port != port) {
		set.has_id = true;
		memcpy(set.id, self->b, KDHT_ID_LEN);
		set.has_port = true;
		set.port = port;
	}
	set.has_mesh_key = true;
	set.mesh_closed = mesh_tag_key != NULL;
	if (mesh_tag_key)
		memcpy(set.mesh_tag_key, mesh_tag_key, sizeof(set.mesh_tag_key));
	rc = kdnl_set_node(k->nl, &set);
	sodium_memzero(set.mesh_tag_key, sizeof(set.mesh_tag_key));
	if (rc) {
		*err_msg = "starting the kernel node";
		return rc;
	}
	memcpy(k->self.b, self->b, KDHT_ID_LEN);
	k->port = port;
	return 0;
}

static void on_create_close(uv_handle_t *h)
{
	struct kernel_backend *k = h->data;

	if (--k->closing == 0)
		kernel_destroy(&k->b);
}

/*
 * The upcall socket must not lose the daemon's place under a flood: a large
 * buffer (forced past rmem_max when privileged), and an overrun that drops
 * messages without raising an error on the socket.
 */
static void tune_event_socket(int fd)
{
	int size = KERNEL_EVENT_RCVBUF, on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)))
		kdd_log(KDD_LOG_WARN, "kernel backend: event socket buffer: %s",
			strerror(errno));
	if (setsockopt(fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &on, sizeof(on)))
		kdd_log(KDD_LOG_WARN, "kernel backend: NETLINK_NO_ENOBUFS: %s",
			strerror(errno));
}

/* The netlink sockets, kdht.ko's node for us, and this daemon registered with it. */
static int kernel_connect(struct kernel_backend *k, const struct kd_id *self, uint16_t port,
			  const uint8_t *mesh_tag_key, const char **err_msg)
{
	int rc;

	rc = kdnl_open(&k->nl);
	if (!rc)
		rc = kdnl_open(&k->ev_nl);
	if (!rc)
		rc = kdnl_open(&k->async_nl);
	if (rc) {
		*err_msg = rc == -ENOENT ? "kdht.ko is not loaded" : "opening generic netlink";
		return rc;
	}
	tune_event_socket(kdnl_fd(k->ev_nl));
	rc = ensure_node(k, self, port, mesh_tag_key, err_msg);
	if (!rc) {
		rc = kdnl_register(k->ev_nl);
		*err_msg = "registering as the namespace's daemon";
	}
	if (!rc && kdnl_subscribe_routes(k->ev_nl))
		kdd_log(KDD_LOG_WARN, "kernel backend: no routing events");
	return rc;
}

/*
 * Polls both event sockets and starts the sweep timer (initialised). On
 * failure every handle closes, and k goes with the last of them, on a later
 * turn of the loop.
 */
static int kernel_watch(struct kernel_backend *k, uv_loop_t *loop, const char **err_msg)
{
	int rc;

	*err_msg = "watching the netlink socket";
	rc = uv_poll_init(loop, &k->poll, kdnl_fd(k->ev_nl));
	if (rc)
		goto err_timer;
	k->poll.data = k;
	rc = uv_poll_init(loop, &k->async_poll, kdnl_fd(k->async_nl));
	if (rc)
		goto err_poll;
	k->async_poll.data = k;
	rc = uv_poll_start(&k->poll, UV_READABLE, on_readable);
	if (!rc)
		rc = uv_poll_start(&k->async_poll, UV_READABLE, on_readable);
	if (!rc)
		rc = uv_timer_start(&k->timer, on_timer, KERNEL_SWEEP_MS, KERNEL_SWEEP_MS);
	if (!rc)
		return 0;
	k->closing++;
	uv_close((uv_handle_t *)&k->async_poll, on_create_close);
err_poll:
	k->closing++;
	uv_close((uv_handle_t *)&k->poll, on_create_close);
err_timer:
	k->stopped = true;
	k->closing++;
	uv_close((uv_handle_t *)&k->timer, on_create_close);
	return rc;
}

int kdd_kernel_backend_create(struct kdd_backend **out, uv_loop_t *loop, uint16_t port,
			      const uint8_t *mesh_tag_key, const struct kd_id *self,
			      const struct kdd_backend_host *host, const char **err_msg)
{
	struct kernel_backend *k = calloc(1, sizeof(*k));
	int rc;

	if (!k) {
		*err_msg = "out of memory";
		return -ENOMEM;
	}
	k->b.ops = &kernel_ops;
	k->b.host = *host;
	rc = kernel_connect(k, self, port, mesh_tag_key, err_msg);
	if (rc)
		goto err_nl;
	rc = uv_timer_init(loop, &k->timer);
	if (rc) {
		*err_msg = "creating the kernel backend's timer";
		goto err_nl;
	}
	k->timer.data = k;
	rc = kernel_watch(k, loop, err_msg);
	if (rc)
		return rc;
	*err_msg = NULL;
	*out = &k->b;
	return 0;

err_nl:
	kdnl_close(k->nl);
	kdnl_close(k->ev_nl);
	kdnl_close(k->async_nl);
	free(k);
	return rc;
}
