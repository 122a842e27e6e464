// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The verb table: every verb once, with what it takes, what it does, and
 * its function for each target. Usage, help and bash completion are
 * printed from it (usage.c).
 */
#include <stdio.h>
#include <string.h>

#include "dhtctl.h"
#include "out.h"

#define NODE_UP_OPTS	(OPT_BIT(OPT_PORT) | OPT_BIT(OPT_ID))
#define NODE_SET_OPTS	(OPT_BIT(OPT_K) | OPT_BIT(OPT_ALPHA) | OPT_BIT(OPT_RETRIES) | \
			 OPT_BIT(OPT_SUBNET_BUCKET) | OPT_BIT(OPT_SUBNET_TABLE) | \
			 OPT_BIT(OPT_RATE) | OPT_BIT(OPT_BURST))
#define PUT_OPTS	(OPT_BIT(OPT_FILE) | OPT_BIT(OPT_IMMUTABLE) | OPT_BIT(OPT_KEYFILE) | \
			 OPT_BIT(OPT_CAS) | OPT_BIT(OPT_TTL) | OPT_BIT(OPT_TIMEOUT) | \
			 OPT_BIT(OPT_VERBOSE))
#define GET_OPTS	(OPT_BIT(OPT_HEX) | OPT_BIT(OPT_OWNER) | OPT_BIT(OPT_LOCAL) | \
			 OPT_BIT(OPT_TIMEOUT) | OPT_BIT(OPT_VERBOSE))

const struct dhtctl_verb dhtctl_verbs[] = {
	{ "node", "[show | up | down | set]",
	  "show the node (-k: also start, stop, tune)",
	  NODE_UP_OPTS | NODE_SET_OPTS, 0, 1, kernel_node, daemon_node },
	{ "bootstrap", "ADDR:PORT", "add a contact to join the mesh through",
	  0, 1, 1, kernel_bootstrap, daemon_bootstrap },
	{ "ping", "ADDR:PORT", "ping a node: its id and round trip",
	  OPT_BIT(OPT_TIMEOUT), 1, 1, kernel_ping, daemon_ping },
	{ "lookup", "HEX64", "the k closest nodes to an id",
	  OPT_BIT(OPT_TIMEOUT), 1, 1, kernel_lookup, daemon_lookup },
	{ "routes", "", "the routing table", 0, 0, 0, kernel_routes, daemon_routes },
	{ "stats", "", "the counters", 0, 0, 0, kernel_stats, daemon_stats },
	{ "put", "NAME VALUE | --file F NAME | --immutable VALUE | --immutable --file F",
	  "store a value of at most 64 KiB under a name of yours, or its content key",
	  PUT_OPTS, 0, 2, NULL, daemon_put },
	{ "get", "NAME [--owner HEX64] | --hex KEY",
	  "print the value of NAME (of kdhtd's owner key unless --owner) or under KEY",
	  GET_OPTS, 1, 1, NULL, daemon_get },
	{ "keygen", "FILE", "create an owner key file for put --key; prints its public key",
	  0, 1, 1, NULL, daemon_keygen },
	{ "mesh", "keygen [FILE] | show [FILE]",
	  "closed mesh key files: write one, or show its fingerprint (show alone: the node's mesh)",
	  0, 1, 2, kernel_mesh, daemon_mesh },
};

const size_t dhtctl_nverbs = sizeof(dhtctl_verbs) / sizeof(dhtctl_verbs[0]);

const struct dhtctl_verb *dhtctl_verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < dhtctl_nverbs; i++)
		if (!strcmp(dhtctl_verbs[i].name, name))
			return &dhtctl_verbs[i];
	return NULL;
}

/* node's subcommands: the options each takes; only show is the daemon's. */
const struct dhtctl_node_sub dhtctl_node_subs[] = {
	{ "show", 0 },
	{ "up", NODE_UP_OPTS },
	{ "down", 0 },
	{ "set", NODE_SET_OPTS },
	{ NULL, 0 },
};

int dhtctl_node_sub(const struct dhtctl_cmd *c, const struct dhtctl_node_sub **out)
{
	const char *name = c->argc ? c->argv[0] : "show";
	bool kernel = opt_given(c, OPT_KERNEL);
	const struct dhtctl_node_sub *s;
	char what[32];

	for (s = dhtctl_node_subs; s->name && strcmp(s->name, name); s++)
		;
	if (!s->name)
		return dhtctl_usage_error(c->verb);
	if (!kernel && s != dhtctl_node_subs)
		return out_fail(DHTCTL_USAGE, "node %s is a kernel verb (use -k)", name);
	snprintf(what, sizeof(what), "%snode %s", kernel ? "-k " : "", name);
	if (dhtctl_refuse_options(c, s->opts | DHTCTL_GLOBAL_OPTS, what))
		return DHTCTL_USAGE;
	*out = s;
	return DHTCTL_OK;
}
