// SPDX-License-Identifier: GPL-2.0 OR MIT
/* The kernel verbs of dhtctl (-k): kdht.ko's node in this namespace. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dhtctl.h"
#include "addr.h"
#include "kdnl.h"
#include "out.h"

#define PING_TIMEOUT_S		5	/* the core's request timeout, with slack */
#define LOOKUP_TIMEOUT_S	35	/* the core's lookup lifetime, with slack */
#define TIMEOUT_MAX_S		3600

struct verb_args {
	const struct dhtctl_opts *g;
	bool json;
};

/* One line for an error from the kernel or from the netlink client. */
static int report(struct kdnl *nl, int err, const char *what)
{
	const char *msg = nl ? kdnl_last_error(nl) : NULL;

	switch (err) {
	case -ENOENT:
		if (!nl) {
			out_err("the kdht module is not loaded (modprobe kdht)");
			return DHTCTL_FAIL;
		}
		break;
	case -EPERM:
	case -EACCES:
		out_err("%s: permission denied (needs CAP_NET_ADMIN)", what);
		return DHTCTL_FAIL;
	case -ENETDOWN:
		out_err("%s: node not running (dhtctl -k node up)", what);
		return DHTCTL_FAIL;
	case -ETIMEDOUT:
		out_err("%s: timeout", what);
		return DHTCTL_FAIL;
	case -EADDRINUSE:
		out_err("%s: port in use", what);
		return DHTCTL_FAIL;
	}
	if (msg)
		out_err("%s: %s", what, msg);
	else
		out_err("%s: %s", what, strerror(-err));
	return DHTCTL_FAIL;
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

static int usage_err(const char *use)
{
	fprintf(stderr, "usage: dhtctl -k %s\n", use);
	return DHTCTL_USAGE;
}

/*
 * getopt over a verb's arguments, --json and --help included. Returns the
 * option, -1 at the end, or '?' for an error (the usage line is printed by
 * the caller).
 */
static int verb_opt(int argc, char **argv, const char *shortopts,
		    const struct option *longopts, struct verb_args *va)
{
	int c;

	for (;;) {
		c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c != 'j')
			return c;
		va->json = true;
	}
}

static void peer_endpoint(char *dst, size_t cap, const struct kd_addr *a)
{
	char ip[OUT_ADDR_LEN];

	out_ip(ip, sizeof(ip), kd_addr_sa_family(a), a->ip);
	if (a->family == KDHT_AF_INET6)
		snprintf(dst, cap, "[%s]:%u", ip, a->port);
	else
		snprintf(dst, cap, "%s:%u", ip, a->port);
}

static int parse_endpoint(const char *s, struct kd_addr *a)
{
	if (kd_addr_parse(a, s, 0)) {
		out_err("bad address '%s' (ADDR:PORT, or [IPV6]:PORT)", s);
		return -1;
	}
	return 0;
}

static int parse_timeout(const char *s, int *ms)
{
	unsigned long v;

	if (out_parse_uint(s, 1, TIMEOUT_MAX_S, &v)) {
		out_err("bad timeout '%s' (seconds, 1..%d)", s, TIMEOUT_MAX_S);
		return -1;
	}
	*ms = (int)v * 1000;
	return 0;
}

static void node_show_json(const struct kdnl_node *n)
{
	struct json j = {};
	char id[2 * KDHT_ID_LEN + 1];

	json_open(&j, '{', NULL);
	json_bool(&j, "running", n->running);
	if (n->running) {
		out_hex(id, n->id, KDHT_ID_LEN);
		json_str(&j, "id", id);
	} else {
		json_null(&j, "id");
	}
	json_uint(&j, "port", n->port);
	json_uint(&j, "k", n->k);
	json_uint(&j, "alpha", n->alpha);
	json_uint(&j, "retries", n->retries);
	json_uint(&j, "subnet_bucket", n->subnet_bucket);
	json_uint(&j, "subnet_table", n->subnet_table);
	json_uint(&j, "rate", n->rate);
	json_uint(&j, "burst", n->burst);
	json_uint(&j, "table_size", n->table_size);
	json_uint(&j, "lookups", n->lookups);
	json_bool(&j, "daemon", n->daemon);
	json_close(&j, '}');
}

static void node_show_text(const struct kdnl_node *n)
{
	char id[2 * KDHT_ID_LEN + 1];

	printf("running:       %s\n", n->running ? "yes" : "no");
	if (n->running) {
		out_hex(id, n->id, KDHT_ID_LEN);
		printf("id:            %s\n", id);
	}
	printf("port:          %u\n", n->port);
	printf("k:             %u\n", n->k);
	printf("alpha:         %u\n", n->alpha);
	printf("retries:       %u\n", n->retries);
	printf("subnet limits: %u per bucket, %u per table\n", n->subnet_bucket,
	       n->subnet_table);
	printf("rate limit:    %u/s per source, burst %u\n", n->rate, n->burst);
	printf("table size:    %u\n", n->table_size);
	printf("lookups:       %u\n", n->lookups);
	printf("daemon:        %s\n", n->daemon ? "registered" : "none");
}

static const char node_use[] =
	"node [up [--port N] [--id HEX64] | down | set [--k N] [--alpha N]\n"
	"       [--retries N] [--subnet-bucket N] [--subnet-table N] [--rate N] [--burst N]]";

static int node_parse_set(int argc, char **argv, struct verb_args *va,
			  struct kdnl_node_set *s, bool up)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ "id", required_argument, NULL, 'i' },
		{ "k", required_argument, NULL, 'K' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "retries", required_argument, NULL, 'R' },
		{ "subnet-bucket", required_argument, NULL, 'b' },
		{ "subnet-table", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	optind = 0;
	while ((c = verb_opt(argc, argv, "+jh", longopts, va)) != -1) {
		const char *name = NULL;

		switch (c) {
		case 'h':
			printf("usage: dhtctl -k %s\n", node_use);
			exit(DHTCTL_OK);
		case 'p':
			if (!up || out_parse_uint(optarg, 0, 65535, &v))
				name = "--port";
			s->has_port = true;
			s->port = (uint16_t)v;
			break;
		case 'i':
			if (!up || out_parse_hex(s->id, KDHT_ID_LEN, optarg))
				name = "--id";
			s->has_id = true;
			break;
		case 'K':
			if (up || out_parse_uint(optarg, 1, KDHT_MAX_NODES, &v))
				name = "--k";
			s->has_k = true;
			s->k = (uint8_t)v;
			break;
		case 'a':
			if (up || out_parse_uint(optarg, 1, 255, &v))
				name = "--alpha";
			s->has_alpha = true;
			s->alpha = (uint8_t)v;
			break;
		case 'R':
			if (up || out_parse_uint(optarg, 0, 255, &v))
				name = "--retries";
			s->has_retries = true;
			s->retries = (uint8_t)v;
			break;
		case 'b':
			if (up || out_parse_uint(optarg, 1, 255, &v))
				name = "--subnet-bucket";
			s->has_subnet_bucket = true;
			s->subnet_bucket = (uint8_t)v;
			break;
		case 't':
			if (up || out_parse_uint(optarg, 1, 65535, &v))
				name = "--subnet-table";
			s->has_subnet_table = true;
			s->subnet_table = (uint16_t)v;
			break;
		case 'r':
			if (up || out_parse_uint(optarg, 1, UINT32_MAX, &v))
				name = "--rate";
			s->has_rate = true;
			s->rate = (uint32_t)v;
			break;
		case 'B':
			if (up || out_parse_uint(optarg, 1, UINT32_MAX, &v))
				name = "--burst";
			s->has_burst = true;
			s->burst = (uint32_t)v;
			break;
		default:
			return usage_err(node_use);
		}
		if (name) {
			out_err("bad or misplaced %s (see dhtctl -k node --help)", name);
			return DHTCTL_USAGE;
		}
	}
	if (optind != argc)
		return usage_err(node_use);
	return DHTCTL_OK;
}

static int cmd_node(int argc, char **argv, struct verb_args *va)
{
	struct kdnl_node_set set = {};
	const char *sub = "show";
	struct kdnl_node n;
	struct kdnl *nl;
	int ret;

	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		argc--;
		argv++;
	}
	if (strcmp(sub, "show") && strcmp(sub, "up") && strcmp(sub, "down") &&
	    strcmp(sub, "set"))
		return usage_err(node_use);
	ret = node_parse_set(argc, argv, va, &set, !strcmp(sub, "up"));
	if (ret)
		return ret;
	if ((!strcmp(sub, "show") || !strcmp(sub, "down")) &&
	    memcmp(&set, &(struct kdnl_node_set){}, sizeof(set)))
		return usage_err(node_use);
	ret = open_nl(&nl);
	if (ret)
		return ret;
	if (!strcmp(sub, "down"))
		ret = kdnl_del_node(nl);
	else if (strcmp(sub, "show"))
		ret = kdnl_set_node(nl, &set);
	if (!ret)
		ret = kdnl_get_node(nl, &n);
	if (ret) {
		ret = report(nl, ret, "node");
	} else if (va->json) {
		node_show_json(&n);
	} else if (!strcmp(sub, "show")) {
		node_show_text(&n);
	}
	kdnl_close(nl);
	return ret;
}

/* Parses a verb with one positional argument; returns it or NULL. */
static const char *one_arg(int argc, char **argv, struct verb_args *va,
			   const char *use, int *timeout_ms)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = verb_opt(argc, argv, "jht:", longopts, va)) != -1) {
		if (c == 'h') {
			printf("usage: dhtctl -k %s\n", use);
			exit(DHTCTL_OK);
		}
		if (c == 't' && timeout_ms) {
			if (parse_timeout(optarg, timeout_ms))
				return NULL;
			continue;
		}
		usage_err(use);
		return NULL;
	}
	if (optind + 1 != argc) {
		usage_err(use);
		return NULL;
	}
	return argv[optind];
}

static int cmd_bootstrap(int argc, char **argv, struct verb_args *va)
{
	static const char use[] = "bootstrap ADDR:PORT";
	const char *arg = one_arg(argc, argv, va, use, NULL);
	struct kd_addr a;
	struct kdnl *nl;
	int ret;

	if (!arg)
		return DHTCTL_USAGE;
	if (parse_endpoint(arg, &a))
		return DHTCTL_USAGE;
	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = kdnl_add_contact(nl, &a);
	if (ret) {
		ret = report(nl, ret, "bootstrap");
	} else if (va->json) {
		struct json j = {};

		json_open(&j, '{', NULL);
		json_str(&j, "bootstrap", arg);
		json_bool(&j, "ok", true);
		json_close(&j, '}');
	}
	kdnl_close(nl);
	return ret;
}

static int cmd_ping(int argc, char **argv, struct verb_args *va)
{
	static const char use[] = "ping ADDR:PORT [--timeout S]";
	int timeout_ms = PING_TIMEOUT_S * 1000;
	const char *arg = one_arg(argc, argv, va, use, &timeout_ms);
	char id[2 * KDHT_ID_LEN + 1], ep[OUT_ADDR_LEN + 8];
	struct kdnl_event ev;
	struct kd_addr a;
	struct kdnl *nl;
	int ret;

	if (!arg)
		return DHTCTL_USAGE;
	if (parse_endpoint(arg, &a))
		return DHTCTL_USAGE;
	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = kdnl_ping(nl, &a, timeout_ms, &ev);
	if (ret) {
		ret = report(nl, ret, "ping");
		goto out;
	}
	peer_endpoint(ep, sizeof(ep), &ev.peer.addr);
	if (ev.ok)
		out_hex(id, ev.peer.id, KDHT_ID_LEN);
	if (va->json) {
		struct json j = {};

		json_open(&j, '{', NULL);
		json_bool(&j, "ok", ev.ok);
		if (ev.ok)
			json_str(&j, "id", id);
		else
			json_null(&j, "id");
		json_str(&j, "addr", ep);
		json_uint(&j, "rtt_ms", ev.peer.rtt_ms);
		json_close(&j, '}');
	} else if (ev.ok) {
		printf("%s %s rtt %u ms\n", id, ep, ev.peer.rtt_ms);
	}
	if (!ev.ok) {
		out_err("ping: timeout, no answer from %s", ep);
		ret = DHTCTL_FAIL;
	}
out:
	kdnl_close(nl);
	return ret;
}

static void lookup_json(const struct kdnl_lookup_result *r)
{
	char id[2 * KDHT_ID_LEN + 1], ip[OUT_ADDR_LEN];
	struct json j = {};
	unsigned int i;

	json_open(&j, '{', NULL);
	out_hex(id, r->target, KDHT_ID_LEN);
	json_str(&j, "target", id);
	json_bool(&j, "ok", r->ok);
	json_uint(&j, "rounds", r->rounds);
	json_uint(&j, "sent", r->sent);
	json_uint(&j, "replies", r->replies);
	json_uint(&j, "timeouts", r->timeouts);
	json_uint(&j, "elapsed_ms", r->elapsed_ms);
	json_open(&j, '[', "nodes");
	for (i = 0; i < r->npeers; i++) {
		const struct kdnl_peer *p = &r->peers[i];

		json_open(&j, '{', NULL);
		out_hex(id, p->id, KDHT_ID_LEN);
		json_str(&j, "id", id);
		out_ip(ip, sizeof(ip), kd_addr_sa_family(&p->addr), p->addr.ip);
		json_str(&j, "addr", ip);
		json_uint(&j, "port", p->addr.port);
		json_uint(&j, "rtt_ms", p->rtt_ms);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
}

static void lookup_text(const struct kdnl_lookup_result *r)
{
	char id[2 * KDHT_ID_LEN + 1], ip[OUT_ADDR_LEN];
	unsigned int i;

	printf("%-64s  %-39s  %5s  %7s\n", "ID", "ADDR", "PORT", "RTT_MS");
	for (i = 0; i < r->npeers; i++) {
		const struct kdnl_peer *p = &r->peers[i];

		out_hex(id, p->id, KDHT_ID_LEN);
		out_ip(ip, sizeof(ip), kd_addr_sa_family(&p->addr), p->addr.ip);
		printf("%-64s  %-39s  %5u  %7u\n", id, ip, p->addr.port, p->rtt_ms);
	}
	printf("%s: %u nodes, %u rounds, %u sent, %u replies, %u timeouts, %u ms\n",
	       r->ok ? "done" : "timed out", r->npeers, r->rounds, r->sent,
	       r->replies, r->timeouts, r->elapsed_ms);
}

static int cmd_lookup(int argc, char **argv, struct verb_args *va)
{
	static const char use[] = "lookup HEX64 [--timeout S]";
	int timeout_ms = LOOKUP_TIMEOUT_S * 1000;
	const char *arg = one_arg(argc, argv, va, use, &timeout_ms);
	struct kdnl_lookup_result *r;
	uint8_t target[KDHT_ID_LEN];
	struct kdnl *nl;
	int ret;

	if (!arg)
		return DHTCTL_USAGE;
	if (out_parse_hex(target, sizeof(target), arg)) {
		out_err("bad id '%s' (64 hex digits)", arg);
		return DHTCTL_USAGE;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		out_err("lookup: out of memory");
		return DHTCTL_FAIL;
	}
	ret = open_nl(&nl);
	if (ret)
		goto out;
	ret = kdnl_lookup(nl, target, timeout_ms, r);
	if (ret) {
		ret = report(nl, ret, "lookup");
		goto out_close;
	}
	if (va->json)
		lookup_json(r);
	else
		lookup_text(r);
	if (!r->npeers) {
		out_err("lookup: no node found");
		ret = DHTCTL_FAIL;
	}
out_close:
	kdnl_close(nl);
out:
	free(r);
	return ret;
}

static const char *const state_names[] = {
	[KDHT_PEER_GOOD] = "good",
	[KDHT_PEER_QUESTIONABLE] = "questionable",
	[KDHT_PEER_BAD] = "bad",
};

static const char *state_name(uint8_t s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "?";
}

static void routes_json(const struct kdnl_routes *r)
{
	char id[2 * KDHT_ID_LEN + 1], ip[OUT_ADDR_LEN];
	struct json j = {};
	size_t i;

	json_open(&j, '{', NULL);
	json_uint(&j, "generation", r->generation);
	json_open(&j, '[', "contacts");
	for (i = 0; i < r->n; i++) {
		const struct kdnl_peer *p = &r->peers[i];

		json_open(&j, '{', NULL);
		out_hex(id, p->id, KDHT_ID_LEN);
		json_str(&j, "id", id);
		out_ip(ip, sizeof(ip), kd_addr_sa_family(&p->addr), p->addr.ip);
		json_str(&j, "addr", ip);
		json_uint(&j, "port", p->addr.port);
		json_str(&j, "state", state_name(p->state));
		json_uint(&j, "bucket", p->bucket);
		json_uint(&j, "rtt_ms", p->rtt_ms);
		json_uint(&j, "last_seen_ms", p->last_seen_ms);
		json_close(&j, '}');
	}
	json_close(&j, ']');
	json_close(&j, '}');
}

static void routes_text(const struct kdnl_routes *r)
{
	char id[2 * KDHT_ID_LEN + 1], ip[OUT_ADDR_LEN];
	size_t i;

	printf("%-64s  %-39s  %5s  %-12s  %6s  %6s  %12s\n", "ID", "ADDR", "PORT",
	       "STATE", "BUCKET", "RTT_MS", "LAST_SEEN_MS");
	for (i = 0; i < r->n; i++) {
		const struct kdnl_peer *p = &r->peers[i];

		out_hex(id, p->id, KDHT_ID_LEN);
		out_ip(ip, sizeof(ip), kd_addr_sa_family(&p->addr), p->addr.ip);
		printf("%-64s  %-39s  %5u  %-12s  %6u  %6u  %12u\n", id, ip,
		       p->addr.port, state_name(p->state), p->bucket, p->rtt_ms,
		       p->last_seen_ms);
	}
}

static int no_args(int argc, char **argv, struct verb_args *va, const char *use)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 0;
	while ((c = verb_opt(argc, argv, "jh", longopts, va)) != -1) {
		if (c != 'h')
			return usage_err(use);
		printf("usage: dhtctl -k %s\n", use);
		exit(DHTCTL_OK);
	}
	if (optind != argc)
		return usage_err(use);
	return DHTCTL_OK;
}

static int cmd_routes(int argc, char **argv, struct verb_args *va)
{
	struct kdnl_routes r;
	struct kdnl *nl;
	int ret = no_args(argc, argv, va, "routes");

	if (ret)
		return ret;
	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = kdnl_routes(nl, &r);
	if (ret) {
		ret = report(nl, ret, "routes");
	} else {
		if (va->json)
			routes_json(&r);
		else
			routes_text(&r);
		kdnl_routes_free(&r);
	}
	kdnl_close(nl);
	return ret;
}

static int cmd_stats(int argc, char **argv, struct verb_args *va)
{
	uint64_t v[KDHT_STAT_COUNT];
	struct kdnl *nl;
	unsigned int i;
	int ret = no_args(argc, argv, va, "stats");

	if (ret)
		return ret;
	ret = open_nl(&nl);
	if (ret)
		return ret;
	ret = kdnl_stats(nl, v);
	if (ret) {
		ret = report(nl, ret, "stats");
	} else if (va->json) {
		struct json j = {};

		json_open(&j, '{', NULL);
		for (i = 0; i < KDHT_STAT_COUNT; i++)
			json_uint(&j, kdnl_stat_name(i), v[i]);
		json_close(&j, '}');
	} else {
		for (i = 0; i < KDHT_STAT_COUNT; i++)
			printf("%-24s %llu\n", kdnl_stat_name(i), (unsigned long long)v[i]);
	}
	kdnl_close(nl);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct verb_args *va);
} verbs[] = {
	{ "node", cmd_node },
	{ "bootstrap", cmd_bootstrap },
	{ "ping", cmd_ping },
	{ "lookup", cmd_lookup },
	{ "routes", cmd_routes },
	{ "stats", cmd_stats },
};

int dhtctl_kernel_main(int argc, char **argv, const struct dhtctl_opts *opts)
{
	struct verb_args va = { .g = opts, .json = opts->json };
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[0], verbs[i].name))
			return verbs[i].fn(argc, argv, &va);
	out_err("unknown kernel verb '%s' (node, bootstrap, ping, lookup, routes, stats)",
		argv[0]);
	return DHTCTL_USAGE;
}
