// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The kernel target (-k): kdht.ko's node in this namespace, through kdnl. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhtctl.h"
#include "hex.h"
#include "kdnl.h"
#include "out.h"

#define PING_TIMEOUT_S		5	/* the core's request timeout, with slack */
#define LOOKUP_TIMEOUT_S	35	/* the core's lookup lifetime, with slack */

/* One line for an error from the kernel or from the netlink client. */
static int report(struct kdnl *nl, int err, const char *what)
{
	const char *msg = nl ? kdnl_last_error(nl) : NULL;

	switch (err) {
	case -ENOENT:
		if (!nl)
			return out_fail(DHTCTL_FAIL,
					"the kdht module is not loaded (modprobe kdht)");
		break;
	case -EPERM:
	case -EACCES:
		return out_fail(DHTCTL_FAIL, "%s: permission denied (needs CAP_NET_ADMIN)",
				what);
	case -ENETDOWN:
		return out_fail(DHTCTL_FAIL, "%s: node not running (dhtctl -k node up)", what);
	case -ETIMEDOUT:
		return out_fail(DHTCTL_FAIL, "%s: timeout", what);
	case -EADDRINUSE:
		return out_fail(DHTCTL_FAIL, "%s: port in use", what);
	}
	return out_fail(DHTCTL_FAIL, "%s: %s", what, msg ? msg : strerror(-err));
}

static int open_nl(struct kdnl **nl)
{
	int ret = kdnl_open(nl);

	if (ret) {
		*nl = NULL;
		return report(NULL, ret, "netlink");
	}
	return DHTCTL_OK;
}

static const char *const state_names[] = {
	[KDHT_PEER_GOOD] = "good",
	[KDHT_PEER_QUESTIONABLE] = "questionable",
	[KDHT_PEER_BAD] = "bad",
	[KDHT_PEER_FAILED] = "failed",
};

static const char *state_name(uint8_t s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

/* routes_state: a route dump's peer, with its state, bucket and age. */
static void contact_from(struct dhtctl_contact *c, const struct kdnl_peer *p,
			 bool routes_state)
{
	memset(c, 0, sizeof(*c));
	c->has_id = p->has_id;
	memcpy(c->id, p->id, KDHT_KEY_LEN);
	kd_addr_format(c->addr, &p->addr);
	c->rtt_ms = p->rtt_ms;
	if (!routes_state)
		return;
	c->state = state_name(p->state);
	c->has_bucket = true;
	c->bucket = p->bucket;
	c->has_last_seen = true;
	c->last_seen_ms = p->last_seen_ms;
}

/* node set / node up: the options given, as kdnl's request. */
static void node_set_from(const struct dhtctl_cmd *c, struct kdnl_node_set *s)
{
#define NODE_SET(field, opt) \
	do { s->has_##field = opt_given(c, opt); s->field = c->num[opt]; } while (0)
	NODE_SET(port, OPT_PORT);
	NODE_SET(k, OPT_K);
	NODE_SET(alpha, OPT_ALPHA);
	NODE_SET(retries, OPT_RETRIES);
	NODE_SET(subnet_bucket, OPT_SUBNET_BUCKET);
	NODE_SET(subnet_table, OPT_SUBNET_TABLE);
	NODE_SET(rate, OPT_RATE);
	NODE_SET(burst, OPT_BURST);
#undef NODE_SET
	s->has_id = opt_given(c, OPT_ID);
}

static void node_from(struct dhtctl_node *out, const struct kdnl_node *n)
{
	memset(out, 0, sizeof(*out));
	out->has_id = n->running;
	memcpy(out->id, n->id, KDHT_KEY_LEN);
	out->is_kernel = true;
	out->running = n->running;
	out->daemon = n->daemon;
	out->port = n->port;
	out->k = n->k;
	out->alpha = n->alpha;
	out->retries = n->retries;
	out->subnet_bucket = n->subnet_bucket;
	out->subnet_table = n->subnet_table;
	out->rate = n->rate;
	out->burst = n->burst;
	out->table_size = n->table_size;
	out->lookups = n->lookups;
}

/* Runs node's subcommand; shows the node after it (text: for show only). */
static int node_run(struct kdnl *nl, const char *sub, const struct kdnl_node_set *set)
{
	struct dhtctl_node model;
	struct kdnl_node n;
	int ret = 0;

	if (!strcmp(sub, "down"))
		ret = kdnl_del_node(nl);
	else if (strcmp(sub, "show"))
		ret = kdnl_set_node(nl, set);
	if (!ret)
		ret = kdnl_get_node(nl, &n);
	if (ret)
		return report(nl, ret, "node");
	node_from(&model, &n);
	if (out_json() || !strcmp(sub, "show"))
		show_node(&model);
	return DHTCTL_OK;
}

int kernel_node(struct dhtctl_cmd *c)
{
	const struct dhtctl_node_sub *sub;
	struct kdnl_node_set set = { 0 };
	struct kdnl *nl;
	int ret;

	ret = dhtctl_node_sub(c, &sub);
	if (ret)
		return ret;
	node_set_from(c, &set);
	if (set.has_id && dhtctl_arg_id(c->str[OPT_ID], set.id))
		return DHTCTL_USAGE;
	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = node_run(nl, sub->name, &set);
	kdnl_close(nl);
	return ret;
}

/* The address argument of bootstrap and ping, and a netlink socket to use it on. */
static int open_nl_addr(struct dhtctl_cmd *c, struct kd_addr *a, struct kdnl **nl)
{
	if (dhtctl_arg_addr(c->argv[0], a))
		return DHTCTL_USAGE;
	return open_nl(nl);
}

int kernel_bootstrap(struct dhtctl_cmd *c)
{
	struct kd_addr a;
	struct kdnl *nl;
	int ret;

	ret = open_nl_addr(c, &a, &nl);
	if (ret)
		return ret;
	ret = kdnl_add_contact(nl, &a);
	if (ret)
		ret = report(nl, ret, "bootstrap");
	else
		show_bootstrap(c->argv[0]);
	kdnl_close(nl);
	return ret;
}

int kernel_ping(struct dhtctl_cmd *c)
{
	struct dhtctl_contact p;
	struct kdnl_event ev;
	struct kd_addr a;
	struct kdnl *nl;
	int ret;

	ret = open_nl_addr(c, &a, &nl);
	if (ret)
		return ret;
	ret = kdnl_ping(nl, &a, dhtctl_timeout_ms(c, PING_TIMEOUT_S), &ev);
	if (ret)
		ret = report(nl, ret, "ping");
	kdnl_close(nl);
	if (ret)
		return ret;
	contact_from(&p, &ev.peer, false);
	if (!ev.ok)
		return out_fail(DHTCTL_FAIL, "ping: timeout, no answer from %s", p.addr);
	show_ping(&p);
	return DHTCTL_OK;
}

static int lookup_from(struct dhtctl_contacts *out, const struct kdnl_lookup_result *r)
{
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->v = calloc(r->npeers ? r->npeers : 1, sizeof(*out->v));
	if (!out->v)
		return out_fail(DHTCTL_FAIL, "lookup: out of memory");
	for (i = 0; i < r->npeers; i++)
		contact_from(&out->v[i], &r->peers[i], false);
	out->n = r->npeers;
	memcpy(out->target, r->target, KDHT_KEY_LEN);
	out->rounds = r->rounds;
	out->has_counts = true;
	out->ok = r->ok;
	out->sent = r->sent;
	out->replies = r->replies;
	out->timeouts = r->timeouts;
	out->elapsed_ms = r->elapsed_ms;
	return DHTCTL_OK;
}

/* Looks target up; shows what it found, an error when that is nothing. */
static int lookup_run(struct kdnl *nl, const uint8_t *target, int timeout_ms)
{
	struct kdnl_lookup_result *r = malloc(sizeof(*r));
	struct dhtctl_contacts model = { 0 };
	int ret;

	if (!r)
		return out_fail(DHTCTL_FAIL, "lookup: out of memory");
	ret = kdnl_lookup(nl, target, timeout_ms, r);
	if (ret)
		ret = report(nl, ret, "lookup");
	else if (!r->npeers)
		ret = out_fail(DHTCTL_FAIL, "lookup: no node found");
	else
		ret = lookup_from(&model, r);
	if (!ret)
		show_lookup(&model);
	free(model.v);
	free(r);
	return ret;
}

int kernel_lookup(struct dhtctl_cmd *c)
{
	uint8_t target[KDHT_KEY_LEN];
	struct kdnl *nl;
	int ret;

	if (dhtctl_arg_id(c->argv[0], target))
		return DHTCTL_USAGE;
	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = lookup_run(nl, target, dhtctl_timeout_ms(c, LOOKUP_TIMEOUT_S));
	kdnl_close(nl);
	return ret;
}

static int routes_show(const struct kdnl_routes *r)
{
	struct dhtctl_contacts model = { 0 };
	size_t i;

	model.v = calloc(r->n ? r->n : 1, sizeof(*model.v));
	if (!model.v)
		return out_fail(DHTCTL_FAIL, "routes: out of memory");
	for (i = 0; i < r->n; i++)
		contact_from(&model.v[i], &r->peers[i], true);
	model.n = r->n;
	model.has_generation = true;
	model.generation = r->generation;
	show_routes(&model);
	free(model.v);
	return DHTCTL_OK;
}

int kernel_routes(struct dhtctl_cmd *c)
{
	struct kdnl_routes r;
	struct kdnl *nl;
	int ret;

	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = kdnl_routes(nl, &r);
	if (ret) {
		ret = report(nl, ret, "routes");
	} else {
		ret = routes_show(&r);
		kdnl_routes_free(&r);
	}
	kdnl_close(nl);
	return ret;
}

int kernel_stats(struct dhtctl_cmd *c)
{
	struct dhtctl_stat s[KDHT_STAT_COUNT];
	uint64_t v[KDHT_STAT_COUNT];
	struct kdnl *nl;
	unsigned int i;
	int ret;

	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = kdnl_stats(nl, v);
	if (ret) {
		ret = report(nl, ret, "stats");
	} else {
		for (i = 0; i < KDHT_STAT_COUNT; i++)
			s[i] = (struct dhtctl_stat){ kdnl_stat_name(i), v[i] };
		show_stats(s, KDHT_STAT_COUNT);
	}
	kdnl_close(nl);
	return ret;
}

/* -k mesh show: whether the node's mesh is closed (the key never leaves the kernel). */
int kernel_mesh(struct dhtctl_cmd *c)
{
	struct json j = { 0 };
	struct kdnl_node n;
	struct kdnl *nl;
	int ret;

	if (c->argc != 1 || strcmp(c->argv[0], "show"))
		return dhtctl_mesh_files(c);
	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = kdnl_get_node(nl, &n);
	if (ret)
		ret = report(nl, ret, "mesh show");
	kdnl_close(nl);
	if (ret)
		return ret;
	if (!n.running)
		return out_fail(DHTCTL_FAIL, "mesh show: node not running (dhtctl -k node up)");
	dhtctl_show_mesh(&j, n.closed, NULL);
	return DHTCTL_OK;
}
