// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"
#include "ctl.h"
#include "store.h"

enum {
	OPT_STATE_DIR = 256, OPT_PORT, OPT_BACKEND, OPT_BOOTSTRAP, OPT_SOCKET, OPT_GROUP,
	OPT_BIND4, OPT_BIND6, OPT_REPUBLISH, OPT_MAX_VALUE, OPT_TTL, OPT_MAX_TTL,
	OPT_MAP_SIZE, OPT_RATE_LIMIT, OPT_SUBNET_LIMIT, OPT_TIMEOUT, OPT_RETRIES,
	OPT_LOG_LEVEL, OPT_SYSLOG, OPT_CONFIG, OPT_HELP, OPT_VERSION, OPT_UDP_BUFFER,
};

static const struct option options[] = {
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "bootstrap", required_argument, NULL, OPT_BOOTSTRAP },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "bind4", required_argument, NULL, OPT_BIND4 },
	{ "bind6", required_argument, NULL, OPT_BIND6 },
	{ "replicas", required_argument, NULL, 'r' },
	{ "acks", required_argument, NULL, 'w' },
	{ "republish-interval", required_argument, NULL, OPT_REPUBLISH },
	{ "max-value", required_argument, NULL, OPT_MAX_VALUE },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "max-ttl", required_argument, NULL, OPT_MAX_TTL },
	{ "map-size", required_argument, NULL, OPT_MAP_SIZE },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "udp-buffer", required_argument, NULL, OPT_UDP_BUFFER },
	{ "subnet-limit", required_argument, NULL, OPT_SUBNET_LIMIT },
	{ "request-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char usage[] =
"usage: kdhtd [options]\n"
"  --config FILE            config file (default " KDD_DEFAULT_CONFIG ", if present)\n"
"  --state-dir DIR          identity and LMDB store (default " KDD_DEFAULT_STATE_DIR ")\n"
"  --port N                 UDP port (default 4650)\n"
"  --backend auto|user|kernel  routing in kdht.ko or in-process (default auto)\n"
"  --bootstrap ADDR         a node to join through (repeatable)\n"
"  --socket PATH            control socket (default " KDD_CTL_DEFAULT_PATH ")\n"
"  --group NAME             group whose members may put and bootstrap\n"
"  --bind4 ADDR, --bind6 ADDR  local addresses (\"none\" disables a family)\n"
"  -r, --replicas N         replicas a put stores to (default 3)\n"
"  -w, --acks N             acknowledgements a put needs (default 2)\n"
"  --republish-interval S   seconds between republishing held values (default 3600)\n"
"  --max-value BYTES        largest value (default and maximum 65536)\n"
"  --ttl S, --max-ttl S     default and largest value lifetime (24 h, 48 h)\n"
"  --map-size BYTES         LMDB map size (default 64 MiB)\n"
"  --rate-limit N           requests per second per source (default 100)\n"
"  --udp-buffer BYTES       user backend: receive buffer per socket (default 4 MiB)\n"
"  --subnet-limit N         contacts per /24 (/48) in the routing table (default 10)\n"
"  --request-timeout MS     one value request's timeout (default 1000)\n"
"  --retries N              resends of an unanswered value request (default 2)\n"
"  --log-level err|warn|info|debug, --syslog\n";

void kdd_config_default(struct kdd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", KDD_DEFAULT_STATE_DIR);
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", KDD_CTL_DEFAULT_PATH);
	c->port = KDHT_DEFAULT_PORT;
	c->backend = KDD_BACKEND_AUTO;
	c->r = KDD_DEFAULT_R;
	c->w = KDD_DEFAULT_W;
	c->republish_s = KDD_DEFAULT_REPUBLISH_S;
	c->max_value = KDD_MAX_VALUE;
	c->default_ttl_s = KDD_DEFAULT_TTL_S;
	c->max_ttl_s = KDD_MAX_TTL_S;
	c->map_size = KDD_STORE_DEFAULT_MAP_SIZE;
	c->rate_limit = 100;
	c->udp_buffer = KDD_UDP_RCVBUF;
	c->subnet_limit = 10;
	c->request_timeout_ms = 1000;
	c->retries = 2;
	c->log_level = KDD_LOG_INFO;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char *s)
{
	if (strlen(s) >= cap)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* Applies one option; returns 0 or -1 (the caller names the option). */
static int apply(struct kdd_config *c, int opt, const char *v)
{
	uint64_t n;
	int lvl;

	switch (opt) {
	case OPT_STATE_DIR:
		return copy_str(c->state_dir, sizeof(c->state_dir), v);
	case OPT_SOCKET:
		return copy_str(c->socket_path, sizeof(c->socket_path), v);
	case OPT_GROUP:
		return copy_str(c->group, sizeof(c->group), v);
	case OPT_BIND4:
		return copy_str(c->bind4, sizeof(c->bind4), v);
	case OPT_BIND6:
		return copy_str(c->bind6, sizeof(c->bind6), v);
	case OPT_BOOTSTRAP:
		if (c->nbootstrap == KDD_MAX_BOOTSTRAP)
			return -1;
		return copy_str(c->bootstrap[c->nbootstrap++], sizeof(c->bootstrap[0]), v);
	case OPT_BACKEND:
		if (strcmp(v, "auto") == 0)
			c->backend = KDD_BACKEND_AUTO;
		else if (strcmp(v, "user") == 0)
			c->backend = KDD_BACKEND_USER;
		else if (strcmp(v, "kernel") == 0)
			c->backend = KDD_BACKEND_KERNEL;
		else
			return -1;
		return 0;
	case OPT_LOG_LEVEL:
		lvl = kdd_log_level_parse(v);
		if (lvl < 0)
			return -1;
		c->log_level = (enum kdd_log_level)lvl;
		return 0;
	case OPT_SYSLOG:
		c->syslog = !v || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0;
		return 0;
	}
	switch (opt) {
	case OPT_PORT:
		if (parse_u64(v, 1, 65535, &n))
			return -1;
		c->port = (uint16_t)n;
		return 0;
	case 'r':
		if (parse_u64(v, 1, KDD_MAX_R, &n))
			return -1;
		c->r = (unsigned int)n;
		return 0;
	case 'w':
		if (parse_u64(v, 1, KDD_MAX_R, &n))
			return -1;
		c->w = (unsigned int)n;
		return 0;
	case OPT_REPUBLISH:
		if (parse_u64(v, 1, UINT32_MAX, &n))
			return -1;
		c->republish_s = (uint32_t)n;
		return 0;
	case OPT_MAX_VALUE:
		if (parse_u64(v, 1, KDD_MAX_VALUE, &n))
			return -1;
		c->max_value = (uint32_t)n;
		return 0;
	case OPT_TTL:
		if (parse_u64(v, 1, UINT32_MAX, &n))
			return -1;
		c->default_ttl_s = (uint32_t)n;
		return 0;
	case OPT_MAX_TTL:
		if (parse_u64(v, 1, UINT32_MAX, &n))
			return -1;
		c->max_ttl_s = (uint32_t)n;
		return 0;
	case OPT_MAP_SIZE:
		if (parse_u64(v, 1u << 20, (uint64_t)1 << 40, &n))
			return -1;
		c->map_size = (size_t)n;
		return 0;
	case OPT_UDP_BUFFER:
		if (parse_u64(v, 0, 1u << 30, &n))
			return -1;
		c->udp_buffer = (uint32_t)n;
		return 0;
	case OPT_RATE_LIMIT:
		if (parse_u64(v, 1, KD_RL_RATE_MAX, &n))
			return -1;
		c->rate_limit = (uint32_t)n;
		return 0;
	case OPT_SUBNET_LIMIT:
		if (parse_u64(v, 1, KD_CONTACTS_MAX, &n))
			return -1;
		c->subnet_limit = (uint32_t)n;
		return 0;
	case OPT_TIMEOUT:
		if (parse_u64(v, 10, 60000, &n))
			return -1;
		c->request_timeout_ms = (uint32_t)n;
		return 0;
	case OPT_RETRIES:
		if (parse_u64(v, 0, 10, &n))
			return -1;
		c->retries = (unsigned int)n;
		return 0;
	}
	return -1;
}

static const struct option *find_option(const char *name)
{
	const struct option *o;

	for (o = options; o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

static const char *option_name(int val)
{
	const struct option *o;

	for (o = options; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int load_file(struct kdd_config *c, const char *path, bool must_exist)
{
	char line[KDD_CONFIG_LINE_MAX], *name, *value, *eq;
	const struct option *o;
	unsigned int lineno = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(stderr, "kdhtd: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		name = trim(line);
		if (*name == '#' || *name == '\0')
			continue;
		eq = strchr(name, '=');
		value = eq ? trim(eq + 1) : NULL;
		if (eq)
			*eq = '\0';
		name = trim(name);
		o = find_option(name);
		if (!o || o->val == OPT_CONFIG || o->val == OPT_HELP || o->val == OPT_VERSION ||
		    (o->has_arg == required_argument && !value) ||
		    apply(c, o->val, value) != 0) {
			fprintf(stderr, "kdhtd: %s:%u: bad setting '%s'\n", path, lineno, name);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int check(const struct kdd_config *c)
{
	if (c->w > c->r) {
		fprintf(stderr, "kdhtd: -w (%u) cannot exceed -r (%u)\n", c->w, c->r);
		return -1;
	}
	if (c->default_ttl_s > c->max_ttl_s) {
		fprintf(stderr, "kdhtd: --ttl cannot exceed --max-ttl\n");
		return -1;
	}
	return 0;
}

int kdd_config_parse(struct kdd_config *c, int argc, char **argv)
{
	const char *config = KDD_DEFAULT_CONFIG;
	bool explicit_config = false;
	int opt, i;

	/* The file first, so that flags override it. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config = argv[i + 1];
			explicit_config = true;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config = argv[i] + 9;
			explicit_config = true;
		}
	}
	if (load_file(c, config, explicit_config))
		return -1;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "r:w:", options, NULL)) != -1) {
		switch (opt) {
		case OPT_HELP:
			fputs(usage, stdout);
			return 1;
		case OPT_VERSION:
			puts("kdhtd 0.1.0");
			return 1;
		case OPT_CONFIG:
			continue;
		case '?':
			/* getopt named the bad option on stderr already. */
			fputs("kdhtd: see kdhtd --help\n", stderr);
			return -1;
		}
		if (apply(c, opt, optarg)) {
			fprintf(stderr, "kdhtd: bad value for --%s: '%s'\n", option_name(opt),
				optarg ? optarg : "");
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kdhtd: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return check(c);
}

void kdd_config_core_params(const struct kdd_config *c, struct kd_params *p)
{
	kd_params_default(p);
	p->rl_rate = c->rate_limit;
	if (p->rl_burst < 2 * c->rate_limit)
		p->rl_burst = KD_MIN(2 * c->rate_limit, (uint32_t)KD_RL_BURST_MAX);
	p->subnet_per_table = (u16)KD_MIN(c->subnet_limit, 0xffffu);
	/* A bucket holds a fifth of the table's share, as the defaults do (2 of 10). */
	p->subnet_per_bucket = (u8)KD_MAX(1u, KD_MIN(c->subnet_limit / 5, (uint32_t)p->k));
}
