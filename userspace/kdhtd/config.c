// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

enum {
	OPT_STATE_DIR = 256, OPT_PORT, OPT_BACKEND, OPT_BOOTSTRAP, OPT_SOCKET, OPT_GROUP,
	OPT_BIND4, OPT_BIND6, OPT_REPUBLISH, OPT_MAX_VALUE, OPT_TTL, OPT_MAX_TTL,
	OPT_MAP_SIZE, OPT_RATE_LIMIT, OPT_SUBNET_LIMIT, OPT_TIMEOUT, OPT_RETRIES,
	OPT_LOG_LEVEL, OPT_SYSLOG, OPT_CONFIG, OPT_HELP, OPT_VERSION, OPT_UDP_BUFFER,
	OPT_MAX_MAP_SIZE, OPT_QUOTA_SOURCE_BYTES, OPT_QUOTA_SOURCE_RECORDS,
	OPT_QUOTA_PUBLISHER_BYTES, OPT_QUOTA_PUBLISHER_RECORDS, OPT_MESH_KEY,
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
	{ "max-map-size", required_argument, NULL, OPT_MAX_MAP_SIZE },
	{ "quota-source-bytes", required_argument, NULL, OPT_QUOTA_SOURCE_BYTES },
	{ "quota-source-records", required_argument, NULL, OPT_QUOTA_SOURCE_RECORDS },
	{ "quota-publisher-bytes", required_argument, NULL, OPT_QUOTA_PUBLISHER_BYTES },
	{ "quota-publisher-records", required_argument, NULL, OPT_QUOTA_PUBLISHER_RECORDS },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "udp-buffer", required_argument, NULL, OPT_UDP_BUFFER },
	{ "subnet-limit", required_argument, NULL, OPT_SUBNET_LIMIT },
	{ "request-timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "mesh-key", required_argument, NULL, OPT_MESH_KEY },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static const char *const backend_names[] = {
	[KDD_BACKEND_AUTO] = "auto",
	[KDD_BACKEND_USER] = "user",
	[KDD_BACKEND_KERNEL] = "kernel",
};

/* The help text takes every default from its constant, so the two cannot drift. */
#define USAGE \
"usage: kdhtd [options]\n" \
"  --config FILE            config file (default %s, if present)\n" \
"  --state-dir DIR          identity and LMDB store (default %s)\n" \
"  --port N                 UDP port (default %u)\n" \
"  --backend auto|user|kernel  routing in kdht.ko or in-process (default %s)\n" \
"  --bootstrap ADDR         a node to join through (repeatable)\n" \
"  --socket PATH            control socket (default %s)\n" \
"  --group NAME             group whose members (primary or supplementary) may put\n" \
"                           and bootstrap\n" \
"  --bind4 ADDR, --bind6 ADDR  local addresses (\"none\" disables a family)\n" \
"  -r, --replicas N         replicas a put stores to (default %u)\n" \
"  -w, --acks N             acknowledgements a put needs (default %u)\n" \
"  --republish-interval S   seconds between republishing held values (default %u)\n" \
"  --max-value BYTES        largest value (default and maximum %u)\n" \
"  --ttl S, --max-ttl S     default and largest value lifetime (%u h, %u h)\n" \
"  --map-size BYTES         LMDB map size (default %u MiB)\n" \
"  --max-map-size BYTES     a full map grows up to this (default %u MiB)\n" \
"  --quota-source-bytes B, --quota-source-records N\n" \
"                           what peers of one /24 (IPv6 /48) may have stored here\n" \
"                           (default %llu MiB, %u records; 0: no limit; none\n" \
"                           in a closed mesh, whose members are known)\n" \
"  --quota-publisher-bytes B, --quota-publisher-records N\n" \
"                           the same per publisher (default %llu MiB, %u records)\n" \
"  --rate-limit N           requests per second per source (default %u)\n" \
"  --udp-buffer BYTES       user backend: receive buffer per socket (default %u MiB)\n" \
"  --subnet-limit N         contacts per /24 (/48) in the routing table, a fifth of\n" \
"                           that per bucket, lookup result and put (default %u)\n" \
"  --request-timeout MS     one value request's timeout (default %u)\n" \
"  --retries N              resends of an unanswered value request (default %u)\n" \
"  --log-level err|warn|info|debug, --syslog\n" \
"  --mesh-key FILE          a closed mesh: only nodes with this key (dhtctl mesh\n" \
"                           keygen) are heard and answered\n"

static void print_usage(void)
{
	printf(USAGE, KDD_DEFAULT_CONFIG, KDD_DEFAULT_STATE_DIR, KDHT_DEFAULT_PORT,
	       backend_names[KDD_DEFAULT_BACKEND], KDD_CTL_DEFAULT_PATH, KDD_DEFAULT_R,
	       KDD_DEFAULT_W, KDD_DEFAULT_REPUBLISH_S, KDD_MAX_VALUE, KDD_DEFAULT_TTL_S / 3600,
	       KDD_MAX_TTL_S / 3600, KDD_STORE_DEFAULT_MAP_SIZE >> 20,
	       KDD_STORE_DEFAULT_MAX_MAP_SIZE >> 20,
	       KDD_QUOTA_DEFAULT_SOURCE_BYTES >> 20, KDD_QUOTA_DEFAULT_SOURCE_RECORDS,
	       KDD_QUOTA_DEFAULT_PUBLISHER_BYTES >> 20, KDD_QUOTA_DEFAULT_PUBLISHER_RECORDS,
	       KD_DEFAULT_RL_RATE,
	       KDD_UDP_RCVBUF >> 20, KD_DEFAULT_SUBNET_PER_TABLE, KDD_DEFAULT_REQUEST_TIMEOUT_MS,
	       KDD_DEFAULT_RETRIES);
}

void kdd_config_default(struct kdd_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->state_dir, sizeof(c->state_dir), "%s", KDD_DEFAULT_STATE_DIR);
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", KDD_CTL_DEFAULT_PATH);
	c->port = KDHT_DEFAULT_PORT;
	c->backend = KDD_DEFAULT_BACKEND;
	c->r = KDD_DEFAULT_R;
	c->w = KDD_DEFAULT_W;
	c->republish_s = KDD_DEFAULT_REPUBLISH_S;
	c->max_value = KDD_MAX_VALUE;
	c->default_ttl_s = KDD_DEFAULT_TTL_S;
	c->max_ttl_s = KDD_MAX_TTL_S;
	c->map_size = KDD_STORE_DEFAULT_MAP_SIZE;
	c->max_map_size = KDD_STORE_DEFAULT_MAX_MAP_SIZE;
	kdd_quota_params_default(&c->quota);
	c->rate_limit = KD_DEFAULT_RL_RATE;
	c->udp_buffer = KDD_UDP_RCVBUF;
	c->subnet_limit = KD_DEFAULT_SUBNET_PER_TABLE;
	c->request_timeout_ms = KDD_DEFAULT_REQUEST_TIMEOUT_MS;
	c->retries = KDD_DEFAULT_RETRIES;
	c->log_level = KDD_DEFAULT_LOG_LEVEL;
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

#define FIELD(f) offsetof(struct kdd_config, f), sizeof(((struct kdd_config *)0)->f)

/* An option that sets a number within bounds, or a string of bounded size. */
struct field_option {
	int opt;
	size_t offset, size;
	uint64_t lo, hi;	/* numbers only */
};

static const struct field_option string_options[] = {
	{ OPT_STATE_DIR, FIELD(state_dir), 0, 0 },
	{ OPT_SOCKET, FIELD(socket_path), 0, 0 },
	{ OPT_GROUP, FIELD(group), 0, 0 },
	{ OPT_BIND4, FIELD(bind4), 0, 0 },
	{ OPT_BIND6, FIELD(bind6), 0, 0 },
	{ OPT_MESH_KEY, FIELD(mesh_key), 0, 0 },
};

static const struct field_option number_options[] = {
	{ OPT_PORT, FIELD(port), 1, 65535 },
	{ 'r', FIELD(r), 1, KDD_MAX_R },
	{ 'w', FIELD(w), 1, KDD_MAX_R },
	{ OPT_REPUBLISH, FIELD(republish_s), 1, UINT32_MAX },
	{ OPT_MAX_VALUE, FIELD(max_value), 1, KDD_MAX_VALUE },
	{ OPT_TTL, FIELD(default_ttl_s), 1, UINT32_MAX },
	{ OPT_MAX_TTL, FIELD(max_ttl_s), 1, UINT32_MAX },
	{ OPT_MAP_SIZE, FIELD(map_size), KDD_MIN_MAP_SIZE, KDD_MAX_MAP_SIZE },
	{ OPT_MAX_MAP_SIZE, FIELD(max_map_size), KDD_MIN_MAP_SIZE, KDD_MAX_MAP_SIZE },
	{ OPT_QUOTA_SOURCE_BYTES, FIELD(quota.source_bytes), 0, UINT64_MAX },
	{ OPT_QUOTA_SOURCE_RECORDS, FIELD(quota.source_records), 0, UINT64_MAX },
	{ OPT_QUOTA_PUBLISHER_BYTES, FIELD(quota.publisher_bytes), 0, UINT64_MAX },
	{ OPT_QUOTA_PUBLISHER_RECORDS, FIELD(quota.publisher_records), 0, UINT64_MAX },
	{ OPT_UDP_BUFFER, FIELD(udp_buffer), 0, KDD_MAX_UDP_BUFFER },
	{ OPT_RATE_LIMIT, FIELD(rate_limit), 1, KD_RL_RATE_MAX },
	{ OPT_SUBNET_LIMIT, FIELD(subnet_limit), 1, KD_CONTACTS_MAX },
	{ OPT_TIMEOUT, FIELD(request_timeout_ms), KDD_REQUEST_TIMEOUT_MIN_MS,
	  KDD_REQUEST_TIMEOUT_MAX_MS },
	{ OPT_RETRIES, FIELD(retries), 0, KDD_MAX_RETRIES },
};

static const struct field_option *find_field(const struct field_option *t, size_t n, int opt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].opt == opt)
			return &t[i];
	return NULL;
}

/* Writes n into a field of 2, 4 or 8 bytes (the bounds made it fit). */
static void set_number(struct kdd_config *c, const struct field_option *f, uint64_t n)
{
	uint8_t *field = (uint8_t *)c + f->offset;
	uint16_t n16 = (uint16_t)n;
	uint32_t n32 = (uint32_t)n;

	if (f->size == sizeof(n16))
		memcpy(field, &n16, sizeof(n16));
	else if (f->size == sizeof(n32))
		memcpy(field, &n32, sizeof(n32));
	else
		memcpy(field, &n, sizeof(n));
}

static int apply_backend(struct kdd_config *c, const char *v)
{
	size_t i;

	for (i = 0; i < sizeof(backend_names) / sizeof(backend_names[0]); i++) {
		if (strcmp(v, backend_names[i]) == 0) {
			c->backend = (enum kdd_backend_kind)i;
			return 0;
		}
	}
	return -1;
}

/* The options that fit no table. */
static int apply_special(struct kdd_config *c, int opt, const char *v)
{
	int lvl;

	switch (opt) {
	case OPT_BOOTSTRAP:
		if (c->nbootstrap == KDD_MAX_BOOTSTRAP)
			return -1;
		return copy_str(c->bootstrap[c->nbootstrap++], sizeof(c->bootstrap[0]), v);
	case OPT_BACKEND:
		return apply_backend(c, v);
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
	return -1;
}

/* Applies one option; returns 0 or -1 (the caller names the option). */
static int apply(struct kdd_config *c, int opt, const char *v)
{
	const struct field_option *f;
	uint64_t n;

	f = find_field(string_options, sizeof(string_options) / sizeof(string_options[0]), opt);
	if (f)
		return copy_str((char *)c + f->offset, f->size, v);
	f = find_field(number_options, sizeof(number_options) / sizeof(number_options[0]), opt);
	if (!f)
		return apply_special(c, opt, v);
	if (parse_u64(v, f->lo, f->hi, &n))
		return -1;
	set_number(c, f, n);
	return 0;
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

/* The closed mesh's tag key and id from the key file; the key is wiped. */
static int load_mesh_key(struct kdd_config *c)
{
	uint8_t key[KD_MESH_KEY_LEN];
	struct kd_mesh m;
	const char *why;
	int rc;

	if (!c->mesh_key[0])
		return 0;
	rc = kd_mesh_key_read(c->mesh_key, key, &why);
	if (rc == 0 && kd_mesh_derive(key, &m)) {
		rc = -EIO;
		why = "cannot derive the mesh keys";
	}
	sodium_memzero(key, sizeof(key));
	if (rc) {
		fprintf(stderr, "kdhtd: --mesh-key %s: %s: %s\n", c->mesh_key, why,
			strerror(-rc));
		return -1;
	}
	c->mesh_closed = true;
	memcpy(c->mesh_tag_key, m.tag_key, sizeof(m.tag_key));
	memcpy(c->mesh_id, m.id, sizeof(m.id));
	sodium_memzero(&m, sizeof(m));
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
			print_usage();
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
	if (check(c))
		return -1;
	return load_mesh_key(c);
}

/*
 * Nodes of one /24 (/48) in a bucket, in a lookup's result and among a put's
 * replicas: the share of the table's limit the defaults give a bucket (2 of
 * 10), at most k.
 */
static unsigned int kdd_config_per_subnet(const struct kdd_config *c)
{
	uint32_t share = KD_DEFAULT_SUBNET_PER_TABLE / KD_DEFAULT_SUBNET_PER_BUCKET;

	return KD_MAX(1u, KD_MIN(c->subnet_limit / share, (uint32_t)KD_DEFAULT_K));
}

void kdd_config_core_params(const struct kdd_config *c, struct kd_params *p)
{
	kd_params_default(p);
	p->rl_rate = c->rate_limit;
	if (p->rl_burst < 2 * c->rate_limit)
		p->rl_burst = KD_MIN(2 * c->rate_limit, (uint32_t)KD_RL_BURST_MAX);
	p->subnet_per_table = (u16)KD_MIN(c->subnet_limit, 0xffffu);
	p->subnet_per_bucket = (u8)kdd_config_per_subnet(c);
	p->result_per_subnet = (u8)kdd_config_per_subnet(c);
}

void kdd_config_store_params(const struct kdd_config *c, struct kdd_store_params *p)
{
	kdd_store_params_default(p);
	p->map_size = c->map_size;
	p->max_map_size = c->max_map_size;
	p->max_value = c->max_value;
	p->default_ttl_s = c->default_ttl_s;
	p->max_ttl_s = c->max_ttl_s;
}

void kdd_config_op_params(const struct kdd_config *c, struct kdd_op_params *p)
{
	memset(p, 0, sizeof(*p));
	p->r = c->r;
	p->w = c->w;
	p->default_ttl_s = c->default_ttl_s;
	p->timeout_ms = c->request_timeout_ms;
	p->retries = c->retries;
	p->max_value = c->max_value;
	p->per_subnet = kdd_config_per_subnet(c);
}

/* "none" disables a family (""), an empty setting means any address (NULL). */
static const char *bind_param(const char *setting)
{
	if (strcmp(setting, "none") == 0)
		return "";
	return setting[0] ? setting : NULL;
}

void kdd_config_user_backend_params(const struct kdd_config *c,
				    struct kdd_user_backend_params *p)
{
	memset(p, 0, sizeof(*p));
	kdd_config_core_params(c, &p->core);
	p->port = c->port;
	p->rcvbuf = c->udp_buffer;
	p->bind4 = bind_param(c->bind4);
	p->bind6 = bind_param(c->bind6);
	p->mesh_closed = c->mesh_closed;
	memcpy(p->mesh_tag_key, c->mesh_tag_key, sizeof(p->mesh_tag_key));
}

int kdd_config_ctl_params(const struct kdd_config *c, struct kdd_ctl_params *p)
{
	struct group *gr;

	p->path = c->socket_path;
	p->group = (gid_t)-1;
	p->max_value = c->max_value;
	if (!c->group[0])
		return 0;
	gr = getgrnam(c->group);
	if (!gr)
		return -ENOENT;
	p->group = gr->gr_gid;
	return 0;
}
