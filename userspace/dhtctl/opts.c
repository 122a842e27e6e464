// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dhtctl's options: one table, parsed anywhere on the line (getopt
 * permutes), checked against the verb's mask afterwards so that an option
 * that means nothing to a verb is refused rather than ignored.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dhtctl.h"
#include "out.h"

#define TIMEOUT_MAX_S	3600

struct dhtctl_option {
	const char *name;
	char shortopt;		/* 0: long only */
	const char *arg;	/* NULL: a flag */
	unsigned long min, max;	/* numeric when max != 0 */
	const char *help;
};

static const struct dhtctl_option options[OPT_COUNT] = {
	[OPT_KERNEL] = { "kernel", 'k', NULL, 0, 0,
			 "talk to kdht.ko's node in this network namespace" },
	[OPT_JSON] = { "json", 'j', NULL, 0, 0, "print JSON (errors too)" },
	[OPT_SOCKET] = { "socket", 's', "PATH", 0, 0,
			 "kdhtd's control socket (default " KDHT_DEFAULT_SOCKET ")" },
	[OPT_HELP] = { "help", 'h', NULL, 0, 0, "print the usage and exit" },
	[OPT_TIMEOUT] = { "timeout", 0, "S", 1, TIMEOUT_MAX_S,
			  "give up after S seconds (-k: ping 5, lookup 35; kdhtd: 60)" },
	[OPT_VERBOSE] = { "verbose", 'v', NULL, 0, 0, "also say where the time went" },
	[OPT_HEX] = { "hex", 0, NULL, 0, 0, "get: NAME is a raw key, 64 hex digits (a content key)" },
	[OPT_FILE] = { "file", 0, "F", 0, 0, "the value is file F's bytes (-: stdin)" },
	[OPT_IMMUTABLE] = { "immutable", 0, NULL, 0, 0,
			    "store under the value's content key (printed), not a name" },
	[OPT_TTL] = { "ttl", 0, "S", 1, UINT32_MAX, "keep the value S seconds" },
	[OPT_LOCAL] = { "local", 0, NULL, 0, 0, "this node's own copy only" },
	[OPT_KEYFILE] = { "key", 0, "FILE", 0, 0,
			  "write under this owner key file (dhtctl keygen), not kdhtd's" },
	[OPT_CAS] = { "cas", 0, "SEQ", 0, ULONG_MAX - 1,
		      "only if the replicas hold seq SEQ (0: no record)" },
	[OPT_OWNER] = { "owner", 0, "HEX64", 0, 0,
			"the name's owner public key (default: kdhtd's; dhtctl node)" },
	[OPT_PORT] = { "port", 0, "N", 0, 65535, "node up: the UDP port (0: any)" },
	[OPT_ID] = { "id", 0, "HEX64", 0, 0, "node up: the node id" },
	[OPT_K] = { "k", 0, "N", 1, KDHT_MAX_NODES, "node set: bucket size" },
	[OPT_ALPHA] = { "alpha", 0, "N", 1, 255, "node set: lookup parallelism" },
	[OPT_RETRIES] = { "retries", 0, "N", 0, 255, "node set: request retries" },
	[OPT_SUBNET_BUCKET] = { "subnet-bucket", 0, "N", 1, 255,
				"node set: contacts per subnet in a bucket" },
	[OPT_SUBNET_TABLE] = { "subnet-table", 0, "N", 1, 65535,
			       "node set: contacts per subnet in the table" },
	[OPT_RATE] = { "rate", 0, "N", 1, UINT32_MAX, "node set: requests/s per source" },
	[OPT_BURST] = { "burst", 0, "N", 1, UINT32_MAX, "node set: rate limit burst" },
};

const char *dhtctl_opt_name(enum dhtctl_opt id)
{
	return options[id].name;
}

const char *dhtctl_opt_arg(enum dhtctl_opt id)
{
	return options[id].arg;
}

char dhtctl_opt_short(enum dhtctl_opt id)
{
	return options[id].shortopt;
}

const char *dhtctl_opt_help(enum dhtctl_opt id)
{
	return options[id].help;
}

/* getopt_long's tables from ours: the value of every option is its id. */
static void getopt_tables(struct option *longopts, char *shortopts)
{
	int i;

	*shortopts++ = ':';
	for (i = 0; i < OPT_COUNT; i++) {
		longopts[i] = (struct option){ options[i].name,
			options[i].arg ? required_argument : no_argument, NULL, 256 + i };
		if (options[i].shortopt) {
			*shortopts++ = options[i].shortopt;
			if (options[i].arg)
				*shortopts++ = ':';
		}
	}
	longopts[OPT_COUNT] = (struct option){ NULL, 0, NULL, 0 };
	*shortopts = '\0';
}

static int option_id(int c)
{
	int i;

	if (c >= 256)
		return c - 256;
	for (i = 0; i < OPT_COUNT; i++)
		if (options[i].shortopt == c)
			return i;
	return -1;
}

static int take_option(struct dhtctl_cmd *c, int id, const char *arg)
{
	const struct dhtctl_option *o = &options[id];

	c->given |= OPT_BIT(id);
	c->str[id] = arg;
	if (o->max && out_parse_uint(arg, o->min, o->max, &c->num[id]))
		return out_fail(DHTCTL_USAGE, "bad --%s '%s' (%lu..%lu)", o->name, arg,
				o->min, o->max);
	return DHTCTL_OK;
}

static int bad_option(int c, char **argv)
{
	const char *what = argv[optind - 1];

	if (c == ':')
		return out_fail(DHTCTL_USAGE, "option '%s' needs an argument", what);
	return out_fail(DHTCTL_USAGE, "bad option '%s' (dhtctl --help lists them)", what);
}

/*
 * Every option, wherever it stands, into c; the positional arguments are
 * left in c->argv. Returns DHTCTL_OK or DHTCTL_USAGE (said).
 */
int dhtctl_parse(struct dhtctl_cmd *c, int argc, char **argv)
{
	struct option longopts[OPT_COUNT + 1];
	char shortopts[2 * OPT_COUNT + 2];
	int ch, id, rc;

	memset(c, 0, sizeof(*c));
	getopt_tables(longopts, shortopts);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		id = ch == '?' || ch == ':' ? -1 : option_id(ch);
		if (id < 0)
			return bad_option(ch, argv);
		if (id == OPT_JSON)
			out_set_json(true);
		rc = take_option(c, id, optarg);
		if (rc)
			return rc;
	}
	c->argc = argc - optind;
	c->argv = argv + optind;
	return DHTCTL_OK;
}

int dhtctl_refuse_options(const struct dhtctl_cmd *c, unsigned int allowed,
			  const char *what)
{
	unsigned int extra = c->given & ~allowed;
	int i;

	for (i = 0; i < OPT_COUNT; i++)
		if (extra & OPT_BIT(i))
			return out_fail(DHTCTL_USAGE, "--%s does not apply to %s",
					options[i].name, what);
	return DHTCTL_OK;
}

/* The verb and its arguments, once the options are out of the way. */
static int check_verb(struct dhtctl_cmd *c)
{
	const struct dhtctl_verb *v = c->verb;
	bool kernel = opt_given(c, OPT_KERNEL);
	unsigned int allowed = v->opts | DHTCTL_GLOBAL_OPTS;
	char what[64];

	if (kernel ? !v->kernel : !v->daemon)
		return out_fail(DHTCTL_USAGE, "%s is not a %s verb (%s)", v->name,
				kernel ? "kernel" : "daemon",
				kernel ? "drop -k" : "use -k");
	if (kernel)
		allowed &= ~OPT_BIT(OPT_SOCKET);
	snprintf(what, sizeof(what), "%s%s", kernel ? "-k " : "", v->name);
	if (dhtctl_refuse_options(c, allowed, what))
		return DHTCTL_USAGE;
	if (c->argc < v->min_args || c->argc > v->max_args)
		return dhtctl_usage_error(v);
	return DHTCTL_OK;
}

int dhtctl_select_verb(struct dhtctl_cmd *c)
{
	c->verb = dhtctl_verb_find(c->argv[0]);
	if (!c->verb)
		return out_fail(DHTCTL_USAGE, "unknown verb '%s' (dhtctl help lists them)",
				c->argv[0]);
	c->argc--;
	c->argv++;
	return check_verb(c);
}
