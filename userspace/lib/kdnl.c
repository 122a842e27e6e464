// SPDX-License-Identifier: GPL-2.0 OR MIT
/* kdnl: the generic netlink client of kdht.ko, over libmnl. */
#include "kdnl.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "addr.h"
#include "kdht_stat_names.h"

#define KDNL_SEND_BUF	4096
#define KDNL_RECV_BUF	65536	/* the largest page a dump may send */
#define KDNL_ERR_LEN	256

struct kdnl {
	struct mnl_socket *sock;
	uint16_t family;
	uint32_t mcgrp_routes;
	uint32_t portid;
	uint32_t seq;
	uint32_t next_cookie;
	char err[KDNL_ERR_LEN];
	uint8_t sbuf[KDNL_SEND_BUF];
	uint8_t rbuf[KDNL_RECV_BUF];
};

const char *kdnl_stat_name(unsigned int stat)
{
	return stat < KDHT_STAT_COUNT ? kdht_stat_names[stat] : NULL;
}

int kdnl_fd(const struct kdnl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

const char *kdnl_last_error(const struct kdnl *nl)
{
	return nl->err[0] ? nl->err : NULL;
}

/* Attributes by type; a later duplicate wins, unknown types are skipped. */
static void kdnl_index(const struct nlattr **tb, unsigned int max,
		       const void *start, size_t len)
{
	const struct nlattr *a;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	for (a = start; mnl_attr_ok(a, (int)len); a = mnl_attr_next(a)) {
		uint16_t type = mnl_attr_get_type(a);

		len -= MNL_ALIGN(a->nla_len);
		if (type <= max)
			tb[type] = a;
	}
}

static void kdnl_index_msg(const struct nlmsghdr *nlh, const struct nlattr **tb,
			   unsigned int max)
{
	size_t off = MNL_ALIGN(sizeof(struct genlmsghdr));

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + off) {
		memset(tb, 0, sizeof(*tb) * (max + 1));
		return;
	}
	kdnl_index(tb, max, (const uint8_t *)mnl_nlmsg_get_payload(nlh) + off,
		   nlh->nlmsg_len - MNL_NLMSG_HDRLEN - off);
}

static void kdnl_index_nested(const struct nlattr *nest, const struct nlattr **tb,
			      unsigned int max)
{
	kdnl_index(tb, max, mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest));
}

/* Readers that return the default when an attribute is absent or malformed. */
static uint8_t kdnl_u8(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 1 ? mnl_attr_get_u8(a) : 0;
}

static uint16_t kdnl_u16(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 2 ? mnl_attr_get_u16(a) : 0;
}

static uint32_t kdnl_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : 0;
}

static uint64_t kdnl_u64(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) >= 8 ? mnl_attr_get_u64(a) : 0;
}

static bool kdnl_id(const struct nlattr *a, uint8_t out[KDHT_ID_LEN])
{
	if (!a || mnl_attr_get_payload_len(a) != KDHT_ID_LEN)
		return false;
	memcpy(out, mnl_attr_get_payload(a), KDHT_ID_LEN);
	return true;
}

static int kdnl_parse_peer(const struct nlattr *nest, struct kdnl_peer *p)
{
	const struct nlattr *tb[KDHT_PEER_MAX + 1];
	uint16_t len;

	memset(p, 0, sizeof(*p));
	kdnl_index_nested(nest, tb, KDHT_PEER_MAX);
	if (!tb[KDHT_PEER_ADDR])
		return -EPROTO;
	len = mnl_attr_get_payload_len(tb[KDHT_PEER_ADDR]);
	if (len == 4)
		p->addr.family = KDHT_AF_INET;
	else if (len == 16)
		p->addr.family = KDHT_AF_INET6;
	else
		return -EPROTO;
	memcpy(p->addr.ip, mnl_attr_get_payload(tb[KDHT_PEER_ADDR]), len);
	p->addr.port = kdnl_u16(tb[KDHT_PEER_PORT]);
	p->has_id = kdnl_id(tb[KDHT_PEER_ID], p->id);
	p->rtt_ms = kdnl_u32(tb[KDHT_PEER_RTT_MS]);
	p->state = kdnl_u8(tb[KDHT_PEER_STATE]);
	p->bucket = kdnl_u16(tb[KDHT_PEER_BUCKET]);
	p->last_seen_ms = kdnl_u32(tb[KDHT_PEER_LAST_SEEN_MS]);
	return 0;
}

/* Fills up to max peers from a KDHT_A_PEERS list; returns how many. */
static unsigned int kdnl_parse_peers(const struct nlattr *list, struct kdnl_peer *out,
				     unsigned int max)
{
	const struct nlattr *a;
	unsigned int n = 0;

	if (!list)
		return 0;
	mnl_attr_for_each_nested(a, list) {
		if (n == max)
			break;
		if (mnl_attr_get_type(a) == KDHT_A_PEER && !kdnl_parse_peer(a, &out[n]))
			n++;
	}
	return n;
}

static struct nlmsghdr *kdnl_put(struct kdnl *nl, uint16_t type, uint8_t cmd,
				 uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->sbuf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq ? nl->seq : ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static struct nlmsghdr *kdnl_cmd(struct kdnl *nl, uint8_t cmd, uint16_t flags)
{
	return kdnl_put(nl, nl->family, cmd, KDHT_GENL_VERSION, flags);
}

static int kdnl_sendmsg(struct kdnl *nl, const struct nlmsghdr *nlh)
{
	nl->err[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* An NLMSG_ERROR: 0 for an ack, else the error, with its message kept. */
static int kdnl_parse_error(struct kdnl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*e))
		return -EPROTO;
	if (!e->error)
		return 0;
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - MNL_NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    MNL_NLMSG_HDRLEN + MNL_ALIGN(off) <= nlh->nlmsg_len) {
		kdnl_index(tb, NLMSGERR_ATTR_MAX,
			   (const uint8_t *)e + MNL_ALIGN(off),
			   nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(off));
		if (tb[NLMSGERR_ATTR_MSG]) {
			const char *m = mnl_attr_get_payload(tb[NLMSGERR_ATTR_MSG]);
			size_t len = strnlen(m, mnl_attr_get_payload_len(tb[NLMSGERR_ATTR_MSG]));

			if (len >= sizeof(nl->err))
				len = sizeof(nl->err) - 1;
			memcpy(nl->err, m, len);
			nl->err[len] = '\0';
		}
	}
	return e->error < 0 ? e->error : -e->error;
}

/*
 * What one received message means to the exchange reading it: a negative
 * errno ends it with that error, 0 ends it, 1 reads on.
 */
typedef int (*kdnl_msg_fn)(struct kdnl *nl, const struct nlmsghdr *nlh, void *data);

static int kdnl_wait(struct kdnl *nl, int timeout_ms)
{
	struct pollfd pfd = { .fd = kdnl_fd(nl), .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	return ret;
}

static ssize_t kdnl_recv(struct kdnl *nl)
{
	ssize_t n;

	do {
		n = mnl_socket_recvfrom(nl->sock, nl->rbuf, sizeof(nl->rbuf));
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int kdnl_elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int)((now.tv_sec - since->tv_sec) * 1000 +
		     (now.tv_nsec - since->tv_nsec) / 1000000);
}

/*
 * The one receive loop: reads the socket and hands every message to fn
 * until fn ends it, or until timeout_ms passed (-1: no limit): -ETIMEDOUT.
 */
static int kdnl_receive(struct kdnl *nl, int timeout_ms, kdnl_msg_fn fn, void *data)
{
	struct timespec start;
	int ret, left = -1;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		const struct nlmsghdr *nlh = (const void *)nl->rbuf;
		ssize_t n;
		int len;

		if (timeout_ms >= 0) {
			left = timeout_ms - kdnl_elapsed_ms(&start);
			left = left < 0 ? 0 : left;
		}
		ret = kdnl_wait(nl, left);
		if (ret <= 0)
			return ret ? ret : -ETIMEDOUT;
		n = kdnl_recv(nl);
		if (n < 0)
			return (int)n;
		len = (int)n;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			ret = fn(nl, nlh, data);
			if (ret <= 0)
				return ret;
		}
	}
}

/* A request in flight: its sequence number, and what reads its answers. */
struct kdnl_answer {
	uint32_t seq;
	kdnl_msg_fn fn;
	void *data;
};

/* Ends at the ack, at the end of a dump, or when the answer's fn returns 0. */
static int kdnl_on_answer(struct kdnl *nl, const struct nlmsghdr *nlh, void *data)
{
	const struct kdnl_answer *a = data;
	int ret;

	if (nlh->nlmsg_seq != a->seq)
		return 1;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		return -EINTR;
	if (nlh->nlmsg_type == NLMSG_ERROR)
		return kdnl_parse_error(nl, nlh);
	if (nlh->nlmsg_type == NLMSG_DONE) {
		if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int) &&
		    *(const int *)mnl_nlmsg_get_payload(nlh) < 0)
			return *(const int *)mnl_nlmsg_get_payload(nlh);
		return 0;
	}
	if (nlh->nlmsg_type < NLMSG_MIN_TYPE || !a->fn)
		return 1;
	ret = a->fn(nl, nlh, a->data);
	return ret <= 0 ? ret : 1;
}

/* One request/answer exchange: fn sees each answer message. */
static int kdnl_exchange(struct kdnl *nl, const struct nlmsghdr *req, kdnl_msg_fn fn,
			 void *data)
{
	struct kdnl_answer a = { .seq = req->nlmsg_seq, .fn = fn, .data = data };
	int ret = kdnl_sendmsg(nl, req);

	return ret ? ret : kdnl_receive(nl, -1, kdnl_on_answer, &a);
}

static int kdnl_on_family(struct kdnl *nl, const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	const struct nlattr *g;

	kdnl_index_msg(nlh, tb, CTRL_ATTR_MAX);
	nl->family = kdnl_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!nl->family)
		return -EPROTO;
	if (tb[CTRL_ATTR_MCAST_GROUPS]) {
		mnl_attr_for_each_nested(g, tb[CTRL_ATTR_MCAST_GROUPS]) {
			const struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];
			const char *name;

			kdnl_index_nested(g, gt, CTRL_ATTR_MCAST_GRP_MAX);
			if (!gt[CTRL_ATTR_MCAST_GRP_NAME])
				continue;
			name = mnl_attr_get_payload(gt[CTRL_ATTR_MCAST_GRP_NAME]);
			if (!strncmp(name, KDHT_MCGRP_ROUTES,
				     mnl_attr_get_payload_len(gt[CTRL_ATTR_MCAST_GRP_NAME])))
				nl->mcgrp_routes = kdnl_u32(gt[CTRL_ATTR_MCAST_GRP_ID]);
		}
	}
	return 0;
}

int kdnl_open(struct kdnl **out)
{
	struct nlmsghdr *nlh;
	struct kdnl *nl;
	int one = 1, ret;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sock) {
		ret = -errno;
		free(nl);
		return ret;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto err;
	}
	/* Best effort: the kernel's error messages make better diagnostics. */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->next_cookie = (uint32_t)getpid() << 12;

	nlh = kdnl_put(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, KDHT_GENL_NAME);
	ret = kdnl_exchange(nl, nlh, kdnl_on_family, NULL);
	if (ret)
		goto err;
	*out = nl;
	return 0;
err:
	mnl_socket_close(nl->sock);
	free(nl);
	return ret;
}

void kdnl_close(struct kdnl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

static int kdnl_on_node(struct kdnl *nl, const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KDHT_A_MAX + 1];
	struct kdnl_node *n = data;

	kdnl_index_msg(nlh, tb, KDHT_A_MAX);
	memset(n, 0, sizeof(*n));
	n->running = kdnl_u8(tb[KDHT_A_RUNNING]);
	n->daemon = kdnl_u8(tb[KDHT_A_DAEMON]);
	n->closed = kdnl_u8(tb[KDHT_A_CLOSED]);
	kdnl_id(tb[KDHT_A_ID], n->id);
	n->port = kdnl_u16(tb[KDHT_A_PORT]);
	n->k = kdnl_u8(tb[KDHT_A_K]);
	n->alpha = kdnl_u8(tb[KDHT_A_ALPHA]);
	n->retries = kdnl_u8(tb[KDHT_A_RETRIES]);
	n->subnet_bucket = kdnl_u8(tb[KDHT_A_SUBNET_BUCKET]);
	n->subnet_table = kdnl_u16(tb[KDHT_A_SUBNET_TABLE]);
	n->rate = kdnl_u32(tb[KDHT_A_RL_RATE]);
	n->burst = kdnl_u32(tb[KDHT_A_RL_BURST]);
	n->table_size = kdnl_u32(tb[KDHT_A_TABLE_SIZE]);
	n->lookups = kdnl_u32(tb[KDHT_A_LOOKUPS]);
	return 0;
}

int kdnl_get_node(struct kdnl *nl, struct kdnl_node *out)
{
	return kdnl_exchange(nl, kdnl_cmd(nl, KDHT_CMD_GET_NODE, 0), kdnl_on_node, out);
}

int kdnl_set_node(struct kdnl *nl, const struct kdnl_node_set *s)
{
	struct nlmsghdr *nlh = kdnl_cmd(nl, KDHT_CMD_SET_NODE, NLM_F_ACK);

	if (s->has_id)
		mnl_attr_put(nlh, KDHT_A_ID, KDHT_ID_LEN, s->id);
	if (s->has_port)
		mnl_attr_put_u16(nlh, KDHT_A_PORT, s->port);
	if (s->has_k)
		mnl_attr_put_u8(nlh, KDHT_A_K, s->k);
	if (s->has_alpha)
		mnl_attr_put_u8(nlh, KDHT_A_ALPHA, s->alpha);
	if (s->has_retries)
		mnl_attr_put_u8(nlh, KDHT_A_RETRIES, s->retries);
	if (s->has_subnet_bucket)
		mnl_attr_put_u8(nlh, KDHT_A_SUBNET_BUCKET, s->subnet_bucket);
	if (s->has_subnet_table)
		mnl_attr_put_u16(nlh, KDHT_A_SUBNET_TABLE, s->subnet_table);
	if (s->has_rate)
		mnl_attr_put_u32(nlh, KDHT_A_RL_RATE, s->rate);
	if (s->has_burst)
		mnl_attr_put_u32(nlh, KDHT_A_RL_BURST, s->burst);
	if (s->has_mesh_key)
		mnl_attr_put(nlh, KDHT_A_MESH_KEY, s->mesh_closed ? KD_SECRET_LEN : 0,
			     s->mesh_tag_key);
	return kdnl_exchange(nl, nlh, NULL, NULL);
}

int kdnl_del_node(struct kdnl *nl)
{
	return kdnl_exchange(nl, kdnl_cmd(nl, KDHT_CMD_DEL_NODE, NLM_F_ACK), NULL, NULL);
}

static void kdnl_put_peer(struct nlmsghdr *nlh, const struct kd_addr *a)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, KDHT_A_PEER);

	mnl_attr_put(nlh, KDHT_PEER_ADDR, kd_addr_ip_len(a), a->ip);
	mnl_attr_put_u16(nlh, KDHT_PEER_PORT, a->port);
	mnl_attr_nest_end(nlh, nest);
}

int kdnl_add_contact(struct kdnl *nl, const struct kd_addr *addr)
{
	struct nlmsghdr *nlh = kdnl_cmd(nl, KDHT_CMD_ADD_CONTACT, NLM_F_ACK);

	kdnl_put_peer(nlh, addr);
	return kdnl_exchange(nl, nlh, NULL, NULL);
}

static int kdnl_on_stats(struct kdnl *nl, const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KDHT_A_MAX + 1];
	const struct nlattr *st[KDHT_STAT_COUNT + 1];
	uint64_t *out = data;
	unsigned int i;

	kdnl_index_msg(nlh, tb, KDHT_A_MAX);
	if (!tb[KDHT_A_STATS])
		return -EPROTO;
	kdnl_index_nested(tb[KDHT_A_STATS], st, KDHT_STAT_COUNT);
	for (i = 0; i < KDHT_STAT_COUNT; i++)
		out[i] = kdnl_u64(st[i + 1]);
	return 0;
}

int kdnl_stats(struct kdnl *nl, uint64_t out[KDHT_STAT_COUNT])
{
	return kdnl_exchange(nl, kdnl_cmd(nl, KDHT_CMD_GET_STATS, 0), kdnl_on_stats, out);
}

static int kdnl_on_routes(struct kdnl *nl, const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KDHT_A_MAX + 1];
	struct kdnl_routes *r = data;
	const struct nlattr *a;

	kdnl_index_msg(nlh, tb, KDHT_A_MAX);
	r->generation = kdnl_u32(tb[KDHT_A_GENERATION]);
	if (!tb[KDHT_A_PEERS])
		return 1;
	mnl_attr_for_each_nested(a, tb[KDHT_A_PEERS]) {
		struct kdnl_peer *p;

		if (mnl_attr_get_type(a) != KDHT_A_PEER)
			continue;
		p = realloc(r->peers, (r->n + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->peers = p;
		if (!kdnl_parse_peer(a, &r->peers[r->n]))
			r->n++;
	}
	return 1;
}

int kdnl_routes(struct kdnl *nl, struct kdnl_routes *out)
{
	int ret = -EINTR, tries;

	memset(out, 0, sizeof(*out));
	for (tries = 0; tries < KDNL_DUMP_RETRIES && ret == -EINTR; tries++) {
		kdnl_routes_free(out);
		ret = kdnl_exchange(nl, kdnl_cmd(nl, KDHT_CMD_GET_ROUTES, NLM_F_DUMP),
				    kdnl_on_routes, out);
	}
	if (ret)
		kdnl_routes_free(out);
	return ret;
}

void kdnl_routes_free(struct kdnl_routes *r)
{
	free(r->peers);
	memset(r, 0, sizeof(*r));
}

int kdnl_ping_start(struct kdnl *nl, const struct kd_addr *addr, uint32_t cookie)
{
	struct nlmsghdr *nlh = kdnl_cmd(nl, KDHT_CMD_PING, NLM_F_ACK);

	kdnl_put_peer(nlh, addr);
	mnl_attr_put_u32(nlh, KDHT_A_COOKIE, cookie);
	return kdnl_sendmsg(nl, nlh);
}

int kdnl_lookup_start(struct kdnl *nl, const uint8_t target[KDHT_ID_LEN],
		      uint32_t cookie)
{
	struct nlmsghdr *nlh = kdnl_cmd(nl, KDHT_CMD_LOOKUP, NLM_F_ACK);

	mnl_attr_put(nlh, KDHT_A_TARGET, KDHT_ID_LEN, target);
	mnl_attr_put_u32(nlh, KDHT_A_COOKIE, cookie);
	return kdnl_sendmsg(nl, nlh);
}

static int kdnl_parse_event(const struct nlmsghdr *nlh, struct kdnl_event *ev)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[KDHT_A_MAX + 1];
	struct kdnl_lookup_result *l = &ev->lookup;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return -EPROTO;
	memset(ev, 0, sizeof(*ev));
	kdnl_index_msg(nlh, tb, KDHT_A_MAX);
	ev->cmd = g->cmd;
	ev->cookie = kdnl_u32(tb[KDHT_A_COOKIE]);
	ev->ok = kdnl_u8(tb[KDHT_A_OK]);
	if (tb[KDHT_A_PEER] && kdnl_parse_peer(tb[KDHT_A_PEER], &ev->peer))
		return -EPROTO;
	kdnl_id(tb[KDHT_A_TARGET], l->target);
	l->ok = ev->ok;
	l->rounds = kdnl_u16(tb[KDHT_A_ROUNDS]);
	l->sent = kdnl_u16(tb[KDHT_A_SENT]);
	l->replies = kdnl_u16(tb[KDHT_A_REPLIES]);
	l->timeouts = kdnl_u16(tb[KDHT_A_TIMEOUTS]);
	l->elapsed_ms = kdnl_u32(tb[KDHT_A_ELAPSED_MS]);
	l->npeers = kdnl_parse_peers(tb[KDHT_A_PEERS], l->peers, KDNL_MAX_PEERS);
	ev->type = kdnl_u8(tb[KDHT_A_TYPE]);
	ev->flags = kdnl_u8(tb[KDHT_A_FLAGS]);
	ev->txid = kdnl_u32(tb[KDHT_A_TXID]);
	if (tb[KDHT_A_PAYLOAD]) {
		ev->payload = mnl_attr_get_payload(tb[KDHT_A_PAYLOAD]);
		ev->payload_len = mnl_attr_get_payload_len(tb[KDHT_A_PAYLOAD]);
	}
	ev->validated = kdnl_u8(tb[KDHT_A_VALIDATED]);
	ev->reply_budget = kdnl_u32(tb[KDHT_A_REPLY_BUDGET]);
	return 0;
}

static bool kdnl_is_event(const struct kdnl *nl, const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_seq == 0 && nlh->nlmsg_type == nl->family;
}

static int kdnl_on_event(struct kdnl *nl, const struct nlmsghdr *nlh, void *data)
{
	if (!kdnl_is_event(nl, nlh))
		return 1;
	return kdnl_parse_event(nlh, data) ? -EPROTO : 0;
}

int kdnl_read_event(struct kdnl *nl, int timeout_ms, struct kdnl_event *ev)
{
	int ret = kdnl_receive(nl, timeout_ms, kdnl_on_event, ev);

	if (ret == -ETIMEDOUT)
		return 0;
	return ret ? ret : 1;
}

/* An asynchronous request: done when both its ack and its *_DONE came. */
struct kdnl_async {
	uint32_t seq, cookie;
	int done_cmd;
	bool acked, done;
	struct kdnl_event *ev;
};

static int kdnl_on_async(struct kdnl *nl, const struct nlmsghdr *nlh, void *data)
{
	struct kdnl_async *as = data;
	int ret;

	if (nlh->nlmsg_seq == as->seq && nlh->nlmsg_type == NLMSG_ERROR) {
		ret = kdnl_parse_error(nl, nlh);
		if (ret)
			return ret;
		as->acked = true;
	} else if (kdnl_is_event(nl, nlh) && !kdnl_parse_event(nlh, as->ev) &&
		   as->ev->cmd == as->done_cmd && as->ev->cookie == as->cookie) {
		as->done = true;
	}
	return as->acked && as->done ? 0 : 1;
}

/*
 * Sends an asynchronous request and waits for both its ack and the *_DONE
 * event with its cookie; the event may come before the ack.
 */
static int kdnl_async(struct kdnl *nl, struct nlmsghdr *req, int done_cmd,
		      int timeout_ms, struct kdnl_event *ev)
{
	struct kdnl_async as = {
		.seq = req->nlmsg_seq, .cookie = ++nl->next_cookie,
		.done_cmd = done_cmd, .ev = ev,
	};
	int ret;

	mnl_attr_put_u32(req, KDHT_A_COOKIE, as.cookie);
	ret = kdnl_sendmsg(nl, req);
	return ret ? ret : kdnl_receive(nl, timeout_ms, kdnl_on_async, &as);
}

int kdnl_ping(struct kdnl *nl, const struct kd_addr *addr, int timeout_ms,
	      struct kdnl_event *out)
{
	struct nlmsghdr *nlh = kdnl_cmd(nl, KDHT_CMD_PING, NLM_F_ACK);

	kdnl_put_peer(nlh, addr);
	return kdnl_async(nl, nlh, KDHT_CMD_PING_DONE, timeout_ms, out);
}

int kdnl_lookup(struct kdnl *nl, const uint8_t target[KDHT_ID_LEN], int timeout_ms,
		struct kdnl_lookup_result *out)
{
	struct nlmsghdr *nlh = kdnl_cmd(nl, KDHT_CMD_LOOKUP, NLM_F_ACK);
	struct kdnl_event *ev;
	int ret;

	ev = malloc(sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	mnl_attr_put(nlh, KDHT_A_TARGET, KDHT_ID_LEN, target);
	ret = kdnl_async(nl, nlh, KDHT_CMD_LOOKUP_DONE, timeout_ms, ev);
	if (!ret)
		*out = ev->lookup;
	free(ev);
	return ret;
}

int kdnl_register(struct kdnl *nl)
{
	return kdnl_exchange(nl, kdnl_cmd(nl, KDHT_CMD_REGISTER, NLM_F_ACK), NULL, NULL);
}

int kdnl_send(struct kdnl *nl, const struct kdnl_send *m)
{
	struct nlmsghdr *nlh;

	if (m->payload_len > KDHT_MAX_BODY)
		return -EMSGSIZE;
	nlh = kdnl_cmd(nl, KDHT_CMD_SEND, NLM_F_ACK);
	kdnl_put_peer(nlh, &m->to);
	mnl_attr_put_u8(nlh, KDHT_A_TYPE, m->type);
	mnl_attr_put_u8(nlh, KDHT_A_FLAGS, m->flags);
	if (m->txid)
		mnl_attr_put_u32(nlh, KDHT_A_TXID, m->txid);
	mnl_attr_put(nlh, KDHT_A_PAYLOAD, m->payload_len, m->payload);
	if (m->pad_to)
		mnl_attr_put_u16(nlh, KDHT_A_PAD_TO, m->pad_to);
	return kdnl_exchange(nl, nlh, NULL, NULL);
}

int kdnl_subscribe_routes(struct kdnl *nl)
{
	int grp = (int)nl->mcgrp_routes;

	if (!grp)
		return -ENOENT;
	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		return -errno;
	return 0;
}
