// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dhtctl's daemon verbs: requests to kdhtd over its control socket
 * (proto/ctl.proto). Text keys are hashed to 256 bits with BLAKE2b; --hex
 * takes the 64 hex digits of a raw key.
 */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_call.h"
#include "dhtctl.h"
#include "kdht_wire.h"
#include "out.h"

#define DAEMON_TIMEOUT_S	60	/* put, get and lookup wait at most */
#define DAEMON_TIMEOUT_MAX_S	600
#define VALUE_MAX		(64 * 1024)	/* the protocol's largest value */

struct verb {
	const char *name;
	const char *args;
	const char *help;
	int (*fn)(int argc, char **argv, const struct dhtctl_opts *opts);
};

struct verb_opts {
	bool json;
	bool hex;
	bool is_mutable;
	bool local;
	bool verbose;
	const char *file;
	unsigned long ttl_s;
	int timeout_ms;
};

static const char *socket_path(const struct dhtctl_opts *opts)
{
	return opts->socket_path ? opts->socket_path : KDHT_CTL_DEFAULT_SOCKET;
}

static const char *status_text(Kdhtctl__Status st)
{
	switch (st) {
	case KDHTCTL__STATUS__NOT_FOUND:
		return "not found";
	case KDHTCTL__STATUS__TIMEOUT:
		return "timed out";
	case KDHTCTL__STATUS__TOO_LARGE:
		return "value too large";
	case KDHTCTL__STATUS__BAD_REQUEST:
		return "bad request";
	case KDHTCTL__STATUS__DENIED:
		return "permission denied";
	case KDHTCTL__STATUS__UNAVAILABLE:
		return "daemon unavailable";
	default:
		return "failed";
	}
}

/*
 * One request; on success *resp holds an OK response. Otherwise prints one
 * line and returns the exit status.
 */
static int call(const struct dhtctl_opts *opts, const Kdhtctl__Request *req, int timeout_ms,
		Kdhtctl__Response **resp)
{
	const char *path = socket_path(opts);
	int rc;

	rc = kdht_ctl_call(path, req, timeout_ms, resp);
	switch (rc) {
	case 0:
		break;
	case -ENOENT:
	case -ECONNREFUSED:
		out_err("daemon not running (no kdhtd at %s)", path);
		return DHTCTL_FAIL;
	case -EACCES:
		out_err("permission denied on %s", path);
		return DHTCTL_FAIL;
	case -ETIMEDOUT:
		out_err("timed out waiting for kdhtd");
		return DHTCTL_FAIL;
	default:
		out_err("talking to kdhtd at %s: %s", path, strerror(-rc));
		return DHTCTL_FAIL;
	}
	if ((*resp)->status != KDHTCTL__STATUS__OK) {
		out_err("%s", (*resp)->error ? (*resp)->error : status_text((*resp)->status));
		rc = (*resp)->status == KDHTCTL__STATUS__BAD_REQUEST ? DHTCTL_USAGE : DHTCTL_FAIL;
		kdhtctl__response__free_unpacked(*resp, NULL);
		return rc;
	}
	return DHTCTL_OK;
}

static int parse_key(uint8_t key[KDHT_ID_LEN], const char *s, bool hex)
{
	if (hex) {
		if (out_parse_hex(key, KDHT_ID_LEN, s)) {
			out_err("bad key '%s' (--hex wants 64 hex digits)", s);
			return -1;
		}
		return 0;
	}
	if (!*s) {
		out_err("bad key: empty");
		return -1;
	}
	crypto_generichash(key, KDHT_ID_LEN, (const uint8_t *)s, strlen(s), NULL, 0);
	return 0;
}

/* --help prints the usage and what the verb does; a usage error one line. */
static int verb_usage(const char *name, const char *args, const char *help, FILE *f)
{
	fprintf(f, "usage: dhtctl %s%s%s\n", name, *args ? " " : "", args);
	if (f != stdout)
		return DHTCTL_USAGE;
	printf("  %s\n", help);
	return DHTCTL_OK;
}

/*
 * Parses a verb's options (argv[0] is the verb). Returns -1 to go on, or an
 * exit status (--help printed, or a usage error).
 */
static int parse_opts(int argc, char **argv, const struct verb *v, struct verb_opts *o,
		      const struct dhtctl_opts *opts)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "hex", no_argument, NULL, 'x' },
		{ "file", required_argument, NULL, 'f' },
		{ "mutable", no_argument, NULL, 'm' },
		{ "ttl", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "local", no_argument, NULL, 'l' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v_ul;
	int c;

	memset(o, 0, sizeof(*o));
	o->json = opts->json;
	o->timeout_ms = DAEMON_TIMEOUT_S * 1000;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+jxf:mt:T:lvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'x':
			o->hex = true;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'm':
			o->is_mutable = true;
			break;
		case 'l':
			o->local = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 't':
			if (out_parse_uint(optarg, 1, UINT32_MAX, &o->ttl_s)) {
				out_err("bad --ttl '%s' (seconds)", optarg);
				return DHTCTL_USAGE;
			}
			break;
		case 'T':
			if (out_parse_uint(optarg, 1, DAEMON_TIMEOUT_MAX_S, &v_ul)) {
				out_err("bad --timeout '%s' (seconds, 1..%d)", optarg,
					DAEMON_TIMEOUT_MAX_S);
				return DHTCTL_USAGE;
			}
			o->timeout_ms = (int)v_ul * 1000;
			break;
		case 'h':
			return verb_usage(v->name, v->args, v->help, stdout);
		default:
			out_err("bad option '%s' (usage: dhtctl %s %s)", argv[optind - 1], v->name,
				v->args);
			return DHTCTL_USAGE;
		}
	}
	return -1;
}

/* Reads a whole file (or stdin for "-"), refusing more than VALUE_MAX bytes. */
static int read_value(const char *path, uint8_t *buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t n;

	if (!f) {
		out_err("%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, VALUE_MAX + 1, f);
	if (ferror(f)) {
		out_err("%s: read error", path);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	if (n > VALUE_MAX) {
		out_err("value too large (more than %d bytes)", VALUE_MAX);
		return -1;
	}
	*len = n;
	return 0;
}

static const struct verb verbs[];

/* Where an operation's time went, as the daemon measured it. */
static void json_timing(struct json *j, const Kdhtctl__Response *resp)
{
	if (resp->has_elapsed_us)
		json_uint(j, "elapsed_us", resp->elapsed_us);
	if (resp->has_lookup_us)
		json_uint(j, "lookup_us", resp->lookup_us);
	if (resp->has_lookup_rounds)
		json_uint(j, "lookup_rounds", resp->lookup_rounds);
	if (resp->has_asked)
		json_uint(j, "asked", resp->asked);
}

static void print_timing(const Kdhtctl__Response *resp)
{
	if (!resp->has_elapsed_us)
		return;
	fprintf(stderr, "%.1f ms (lookup %.1f ms, %u rounds), %u nodes asked\n",
		(double)resp->elapsed_us / 1000, (double)resp->lookup_us / 1000,
		resp->lookup_rounds, resp->asked);
}

static int do_put(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Put put = KDHTCTL__PUT__INIT;
	Kdhtctl__Response *resp;
	static uint8_t buf[VALUE_MAX + 1];
	uint8_t key[KDHT_ID_LEN];
	struct verb_opts o;
	size_t len;
	int rc;

	rc = parse_opts(argc, argv, &verbs[0], &o, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != (o.file ? 1 : 2))
		return verb_usage(verbs[0].name, verbs[0].args, verbs[0].help, stderr);
	if (parse_key(key, argv[optind], o.hex))
		return DHTCTL_USAGE;
	if (o.file) {
		if (read_value(o.file, buf, &len))
			return DHTCTL_FAIL;
	} else {
		len = strlen(argv[optind + 1]);
		if (len > VALUE_MAX) {
			out_err("value too large (%zu bytes, at most %d)", len, VALUE_MAX);
			return DHTCTL_FAIL;
		}
		memcpy(buf, argv[optind + 1], len);
	}
	put.key.data = key;
	put.key.len = sizeof(key);
	put.value.data = buf;
	put.value.len = len;
	put.has_ttl_s = o.ttl_s != 0;
	put.ttl_s = (uint32_t)o.ttl_s;
	put.has_mutable_ = o.is_mutable;
	put.mutable_ = o.is_mutable;
	req.op_case = KDHTCTL__REQUEST__OP_PUT;
	req.put = &put;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	if (o.json) {
		struct json j = { 0 };
		char hex[2 * KDHT_ID_LEN + 1];

		out_hex(hex, key, sizeof(key));
		json_open(&j, '{', NULL);
		json_str(&j, "key", hex);
		json_uint(&j, "bytes", len);
		json_uint(&j, "acks", resp->acks);
		json_timing(&j, resp);
		json_close(&j, '}');
	} else {
		printf("stored %zu bytes, %u replicas acknowledged\n", len, resp->acks);
		if (o.verbose)
			print_timing(resp);
	}
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

static bool printable(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == 0 || p[i] == 0x7f || (p[i] < 0x20 && p[i] != '\n' && p[i] != '\t'))
			return false;
	return true;
}

static int do_get(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Get get = KDHTCTL__GET__INIT;
	Kdhtctl__Response *resp;
	uint8_t key[KDHT_ID_LEN];
	struct verb_opts o;
	int rc;

	rc = parse_opts(argc, argv, &verbs[1], &o, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != 1)
		return verb_usage(verbs[1].name, verbs[1].args, verbs[1].help, stderr);
	if (parse_key(key, argv[optind], o.hex))
		return DHTCTL_USAGE;
	get.key.data = key;
	get.key.len = sizeof(key);
	get.has_local = o.local;
	get.local = o.local;
	req.op_case = KDHTCTL__REQUEST__OP_GET;
	req.get = &get;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	if (o.json) {
		struct json j = { 0 };
		char *hex = malloc(2 * resp->value.len + 1);
		char *text = malloc(resp->value.len + 1);

		if (!hex || !text) {
			free(hex);
			free(text);
			kdhtctl__response__free_unpacked(resp, NULL);
			out_err("out of memory");
			return DHTCTL_FAIL;
		}
		out_hex(hex, resp->value.data, resp->value.len);
		json_open(&j, '{', NULL);
		json_uint(&j, "bytes", resp->value.len);
		json_uint(&j, "seq", resp->seq);
		json_bool(&j, "mutable", resp->mutable_);
		if (printable(resp->value.data, resp->value.len)) {
			memcpy(text, resp->value.data, resp->value.len);
			text[resp->value.len] = '\0';
			json_str(&j, "value", text);
		}
		json_str(&j, "value_hex", hex);
		json_timing(&j, resp);
		json_close(&j, '}');
		free(hex);
		free(text);
	} else if (resp->value.len &&
		   fwrite(resp->value.data, 1, resp->value.len, stdout) != resp->value.len) {
		kdhtctl__response__free_unpacked(resp, NULL);
		out_err("writing the value: %s", strerror(errno));
		return DHTCTL_FAIL;
	} else if (isatty(STDOUT_FILENO) && resp->value.len &&
		   resp->value.data[resp->value.len - 1] != '\n') {
		putchar('\n');
	}
	if (!o.json && o.verbose)
		print_timing(resp);
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

/* The response's nodes as a JSON array, under key (NULL: at the top). */
static void json_nodes(struct json *j, const char *key, const Kdhtctl__Response *resp)
{
	char hex[2 * KDHT_ID_LEN + 1];
	size_t i;

	json_open(j, '[', key);
	for (i = 0; i < resp->n_nodes; i++) {
		const Kdhtctl__Node *n = resp->nodes[i];

		if (n->id.len == KDHT_ID_LEN)
			out_hex(hex, n->id.data, KDHT_ID_LEN);
		else
			snprintf(hex, sizeof(hex), "?");
		json_open(j, '{', NULL);
		json_str(j, "id", hex);
		json_str(j, "addr", n->addr);
		json_uint(j, "rtt_ms", n->rtt_ms);
		json_close(j, '}');
	}
	json_close(j, ']');
}

static void print_nodes(const Kdhtctl__Response *resp, bool json)
{
	char hex[2 * KDHT_ID_LEN + 1];
	struct json j = { 0 };
	size_t i;

	if (json) {
		json_nodes(&j, NULL, resp);
		return;
	}
	for (i = 0; i < resp->n_nodes; i++) {
		const Kdhtctl__Node *n = resp->nodes[i];

		if (n->id.len == KDHT_ID_LEN)
			out_hex(hex, n->id.data, KDHT_ID_LEN);
		else
			snprintf(hex, sizeof(hex), "?");
		printf("%s %s %ums\n", hex, n->addr, n->rtt_ms);
	}
}

/* Options, then exactly nargs arguments; -1 to go on, or an exit status. */
static int simple_verb(int argc, char **argv, const struct dhtctl_opts *opts,
		       const struct verb *v, struct verb_opts *o, int nargs)
{
	int rc;

	rc = parse_opts(argc, argv, v, o, opts);
	if (rc >= 0)
		return rc;
	if (argc - optind != nargs)
		return verb_usage(v->name, v->args, v->help, stderr);
	return -1;
}

static int do_ping(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Ping ping = KDHTCTL__PING__INIT;
	Kdhtctl__Response *resp;
	struct verb_opts o;
	int rc;

	rc = simple_verb(argc, argv, opts, &verbs[2], &o, 1);
	if (rc >= 0)
		return rc;
	ping.addr = argv[optind];
	req.op_case = KDHTCTL__REQUEST__OP_PING;
	req.ping = &ping;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	print_nodes(resp, o.json);
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

static int do_lookup(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Lookup lookup = KDHTCTL__LOOKUP__INIT;
	Kdhtctl__Response *resp;
	uint8_t target[KDHT_ID_LEN];
	struct verb_opts o;
	int rc;

	rc = simple_verb(argc, argv, opts, &verbs[3], &o, 1);
	if (rc >= 0)
		return rc;
	if (out_parse_hex(target, sizeof(target), argv[optind])) {
		out_err("bad id '%s' (64 hex digits)", argv[optind]);
		return DHTCTL_USAGE;
	}
	lookup.target.data = target;
	lookup.target.len = sizeof(target);
	req.op_case = KDHTCTL__REQUEST__OP_LOOKUP;
	req.lookup = &lookup;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	/* The same shape as dhtctl -k lookup. */
	if (o.json) {
		struct json j = { 0 };
		char hex[2 * KDHT_ID_LEN + 1];

		out_hex(hex, target, sizeof(target));
		json_open(&j, '{', NULL);
		json_str(&j, "target", hex);
		json_uint(&j, "rounds", resp->lookup_rounds);
		json_nodes(&j, "nodes", resp);
		json_close(&j, '}');
	} else {
		print_nodes(resp, false);
		printf("%zu nodes, %u rounds\n", resp->n_nodes, resp->lookup_rounds);
	}
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

static int do_routes(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Empty empty = KDHTCTL__EMPTY__INIT;
	Kdhtctl__Response *resp;
	struct verb_opts o;
	int rc;

	rc = simple_verb(argc, argv, opts, &verbs[4], &o, 0);
	if (rc >= 0)
		return rc;
	req.op_case = KDHTCTL__REQUEST__OP_ROUTES;
	req.routes = &empty;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	print_nodes(resp, o.json);
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

static int do_stats(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Empty empty = KDHTCTL__EMPTY__INIT;
	Kdhtctl__Response *resp;
	struct json j = { 0 };
	struct verb_opts o;
	size_t i;
	int rc;

	rc = simple_verb(argc, argv, opts, &verbs[5], &o, 0);
	if (rc >= 0)
		return rc;
	req.op_case = KDHTCTL__REQUEST__OP_STATS;
	req.stats = &empty;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	if (o.json)
		json_open(&j, '{', NULL);
	for (i = 0; i < resp->n_counters; i++) {
		if (o.json)
			json_uint(&j, resp->counters[i]->name, resp->counters[i]->value);
		else
			printf("%-24s %llu\n", resp->counters[i]->name,
			       (unsigned long long)resp->counters[i]->value);
	}
	if (o.json)
		json_close(&j, '}');
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

static int do_bootstrap(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Bootstrap bs = KDHTCTL__BOOTSTRAP__INIT;
	Kdhtctl__Response *resp;
	struct verb_opts o;
	int rc;

	rc = simple_verb(argc, argv, opts, &verbs[6], &o, 1);
	if (rc >= 0)
		return rc;
	bs.addr = argv[optind];
	req.op_case = KDHTCTL__REQUEST__OP_BOOTSTRAP;
	req.bootstrap = &bs;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	if (o.json) {
		struct json j = { 0 };

		json_open(&j, '{', NULL);
		json_str(&j, "bootstrap", bs.addr);
		json_close(&j, '}');
	}
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

static int do_node(int argc, char **argv, const struct dhtctl_opts *opts)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Empty empty = KDHTCTL__EMPTY__INIT;
	Kdhtctl__Response *resp;
	char hex[2 * KDHT_ID_LEN + 1];
	struct json j = { 0 };
	struct verb_opts o;
	size_t i;
	int rc;

	rc = simple_verb(argc, argv, opts, &verbs[7], &o, 0);
	if (rc >= 0)
		return rc;
	req.op_case = KDHTCTL__REQUEST__OP_NODE;
	req.node = &empty;
	rc = call(opts, &req, o.timeout_ms, &resp);
	if (rc)
		return rc;
	if (!resp->node || resp->node->id.len != KDHT_ID_LEN) {
		kdhtctl__response__free_unpacked(resp, NULL);
		out_err("kdhtd sent no node information");
		return DHTCTL_FAIL;
	}
	out_hex(hex, resp->node->id.data, KDHT_ID_LEN);
	if (o.json) {
		json_open(&j, '{', NULL);
		json_str(&j, "id", hex);
		json_str(&j, "backend", resp->node->backend);
		json_uint(&j, "values", resp->node->values);
		json_open(&j, '[', "addrs");
		for (i = 0; i < resp->node->n_addrs; i++)
			json_str(&j, NULL, resp->node->addrs[i]);
		json_close(&j, ']');
		json_close(&j, '}');
	} else {
		printf("id %s\nbackend %s\nvalues %llu\n", hex, resp->node->backend,
		       (unsigned long long)resp->node->values);
		for (i = 0; i < resp->node->n_addrs; i++)
			printf("addr %s\n", resp->node->addrs[i]);
	}
	kdhtctl__response__free_unpacked(resp, NULL);
	return DHTCTL_OK;
}

static const struct verb verbs[] = {
	{ "put", "[--hex] [--mutable] [--ttl S] [-v] KEY VALUE | --file F|- KEY",
	  "store a value (at most 64 KiB) under KEY; -v: where the time went", do_put },
	{ "get", "[--hex] [--local] [-v] KEY",
	  "print the value under KEY; --local: this node's own copy only", do_get },
	{ "ping", "ADDR:PORT", "ping a node through the daemon", do_ping },
	{ "lookup", "HEX64", "the closest nodes to an id", do_lookup },
	{ "routes", "", "the daemon's routing table", do_routes },
	{ "stats", "", "the daemon's counters", do_stats },
	{ "bootstrap", "ADDR:PORT", "join the network through a node", do_bootstrap },
	{ "node", "", "this node: id, addresses, backend", do_node },
};

int dhtctl_daemon_main(int argc, char **argv, const struct dhtctl_opts *opts)
{
	size_t i;

	if (sodium_init() < 0) {
		out_err("cannot initialise libsodium");
		return DHTCTL_FAIL;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[0], verbs[i].name) == 0)
			return verbs[i].fn(argc, argv, opts);
	out_err("unknown verb '%s' (daemon verbs: put get ping lookup routes stats "
		"bootstrap node)", argv[0]);
	return DHTCTL_USAGE;
}
