/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * dhtctl: one verb table, one parsed command, one result model per verb.
 * Each verb has a kernel function (-k: kdnl to kdht.ko) and a daemon
 * function (libkdht to kdhtd); both fill the verb's model and hand it to
 * the verb's one printer (show.c), so a verb prints the same shape
 * whichever target answered.
 */
#ifndef DHTCTL_H
#define DHTCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "kdht.h"

/* Exit statuses. */
#define DHTCTL_OK	0
#define DHTCTL_FAIL	1	/* failed, or not found */
#define DHTCTL_USAGE	2

/* Every option; OPT_BIT(id) in a verb's mask says it applies. */
enum dhtctl_opt {
	OPT_KERNEL, OPT_JSON, OPT_SOCKET, OPT_HELP,	/* global */
	OPT_TIMEOUT, OPT_VERBOSE, OPT_HEX, OPT_FILE, OPT_IMMUTABLE, OPT_TTL, OPT_LOCAL,
	OPT_KEYFILE, OPT_CAS, OPT_OWNER,			/* put, get */
	OPT_PORT, OPT_ID,				/* node up */
	OPT_K, OPT_ALPHA, OPT_RETRIES, OPT_SUBNET_BUCKET, OPT_SUBNET_TABLE,
	OPT_RATE, OPT_BURST,				/* node set */
	OPT_COUNT
};

#define OPT_BIT(id)	(1u << (id))
#define DHTCTL_GLOBAL_OPTS	(OPT_BIT(OPT_KERNEL) | OPT_BIT(OPT_JSON) | \
				 OPT_BIT(OPT_SOCKET) | OPT_BIT(OPT_HELP))

struct dhtctl_cmd;

struct dhtctl_verb {
	const char *name;
	const char *args;	/* the positional arguments, for usage lines */
	const char *help;
	unsigned int opts;	/* OPT_BIT()s of the options that apply */
	int min_args, max_args;
	int (*kernel)(struct dhtctl_cmd *c);	/* NULL: not a kernel verb */
	int (*daemon)(struct dhtctl_cmd *c);	/* NULL: not a daemon verb */
};

/* A command line, parsed. */
struct dhtctl_cmd {
	const struct dhtctl_verb *verb;
	int argc;		/* the positional arguments after the verb */
	char **argv;
	unsigned int given;	/* OPT_BIT()s of the options given */
	unsigned long num[OPT_COUNT];	/* numeric options' values */
	const char *str[OPT_COUNT];	/* every option's text */
};

static inline bool opt_given(const struct dhtctl_cmd *c, enum dhtctl_opt id)
{
	return c->given & OPT_BIT(id);
}

/* A node of the mesh as either target reports it; has_* or NULL: absent. */
struct dhtctl_contact {
	bool has_id;
	uint8_t id[KDHT_KEY_LEN];
	char addr[KD_ADDR_STRLEN];
	uint32_t rtt_ms;
	const char *state;	/* route dumps only */
	bool has_bucket;
	uint16_t bucket;
	bool has_last_seen;
	uint32_t last_seen_ms;
};

/* routes and lookup. */
struct dhtctl_contacts {
	size_t n;
	struct dhtctl_contact *v;	/* malloc'd */
	bool has_generation;	/* routes, kernel: the table's generation */
	uint32_t generation;
	/* lookup: */
	uint8_t target[KDHT_KEY_LEN];
	uint32_t rounds;
	bool has_counts;	/* kernel: how the lookup went */
	bool ok;
	uint32_t sent, replies, timeouts, elapsed_ms;
};

/* node: the kernel node's parameters or the daemon's node. */
struct dhtctl_node {
	bool has_id;
	uint8_t id[KDHT_KEY_LEN];
	bool is_kernel;		/* the fields below up to daemon are set */
	bool running, daemon;
	uint32_t port, k, alpha, retries, subnet_bucket, subnet_table;
	uint32_t rate, burst, table_size, lookups;
	const char *backend;	/* daemon only, as the rest */
	uint8_t owner[KDHT_PUBLIC_KEY_LEN];	/* the public key its puts are written under */
	uint64_t values;
	size_t n_addrs;
	char **addrs;
};

struct dhtctl_stat {
	const char *name;
	uint64_t value;
};

/* The verb table (verbs.c). */
extern const struct dhtctl_verb dhtctl_verbs[];
extern const size_t dhtctl_nverbs;
const struct dhtctl_verb *dhtctl_verb_find(const char *name);

/* node's subcommands, ended by a NULL name; the first is the default. */
struct dhtctl_node_sub {
	const char *name;
	unsigned int opts;	/* the options it takes */
};

extern const struct dhtctl_node_sub dhtctl_node_subs[];
/* The subcommand of a node command line, its options checked. */
int dhtctl_node_sub(const struct dhtctl_cmd *c, const struct dhtctl_node_sub **out);

/* Usage, help and completion from the tables (usage.c). */
int dhtctl_usage_error(const struct dhtctl_verb *v);
void dhtctl_help(const struct dhtctl_verb *v);
void dhtctl_completion_bash(void);

/*
 * Options (opts.c). dhtctl_parse() takes every option, wherever it stands,
 * and leaves the positional arguments in c->argv; dhtctl_select_verb()
 * then finds the verb c->argv[0] and checks the options and arguments
 * against it. Both return DHTCTL_OK or DHTCTL_USAGE (said).
 */
int dhtctl_parse(struct dhtctl_cmd *c, int argc, char **argv);
int dhtctl_select_verb(struct dhtctl_cmd *c);
const char *dhtctl_opt_name(enum dhtctl_opt id);
const char *dhtctl_opt_arg(enum dhtctl_opt id);
char dhtctl_opt_short(enum dhtctl_opt id);	/* 0: none */
const char *dhtctl_opt_help(enum dhtctl_opt id);
/* Refuses, as a usage error, any option given that is not in allowed. */
int dhtctl_refuse_options(const struct dhtctl_cmd *c, unsigned int allowed,
			  const char *what);

/*
 * mesh (mesh.c): keygen and show FILE, which need no node, for either
 * target; kernel_mesh (kernel.c) and daemon_mesh (daemon.c) answer show
 * without a FILE, the daemon with the fingerprint the kernel never tells.
 */
struct json;
int dhtctl_mesh_files(struct dhtctl_cmd *c);
/* A mesh's state: closed or open, and the fingerprint if known (NULL). */
void dhtctl_show_mesh(struct json *j, bool closed, const char *fingerprint);

/* Arguments both targets parse the same way (args.c). */
int dhtctl_arg_addr(const char *s, struct kd_addr *out);
int dhtctl_arg_id(const char *s, uint8_t id[KDHT_KEY_LEN]);
int dhtctl_timeout_ms(const struct dhtctl_cmd *c, int default_s);

/* The printers, one per verb (show.c). */
void show_node(const struct dhtctl_node *n);
void show_routes(const struct dhtctl_contacts *r);
void show_lookup(const struct dhtctl_contacts *r);
void show_ping(const struct dhtctl_contact *p);
void show_bootstrap(const char *addr);
void show_stats(const struct dhtctl_stat *s, size_t n);
void show_put(size_t bytes, const struct kdht_put_result *r, bool verbose);
void show_keygen(const uint8_t pk[KDHT_PUBLIC_KEY_LEN]);
int show_get(const struct kdht_value *v, bool verbose);

/* The targets' verb functions (kernel.c, daemon.c). */
int kernel_node(struct dhtctl_cmd *c);
int kernel_bootstrap(struct dhtctl_cmd *c);
int kernel_ping(struct dhtctl_cmd *c);
int kernel_lookup(struct dhtctl_cmd *c);
int kernel_routes(struct dhtctl_cmd *c);
int kernel_stats(struct dhtctl_cmd *c);
int kernel_mesh(struct dhtctl_cmd *c);
int daemon_node(struct dhtctl_cmd *c);
int daemon_mesh(struct dhtctl_cmd *c);
int daemon_bootstrap(struct dhtctl_cmd *c);
int daemon_ping(struct dhtctl_cmd *c);
int daemon_lookup(struct dhtctl_cmd *c);
int daemon_routes(struct dhtctl_cmd *c);
int daemon_stats(struct dhtctl_cmd *c);
int daemon_put(struct dhtctl_cmd *c);
int daemon_get(struct dhtctl_cmd *c);
int daemon_keygen(struct dhtctl_cmd *c);

#endif /* DHTCTL_H */
