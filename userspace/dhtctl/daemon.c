// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The daemon target: kdhtd over its control socket, through libkdht. A
 * record is named (NAME, of an owner key: kdhtd's, --key's or --owner's) or
 * immutable (under its content key: put --immutable prints it, get --hex
 * takes it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dhtctl.h"
#include "hex.h"
#include "out.h"

#define DAEMON_TIMEOUT_S	60	/* put, get and lookup wait at most */

static const char *socket_path(const struct dhtctl_cmd *c)
{
	return opt_given(c, OPT_SOCKET) ? c->str[OPT_SOCKET] : KDHT_DEFAULT_SOCKET;
}

/* One line for a failed request; a request kdhtd found malformed is usage. */
static int report(const struct dhtctl_cmd *c, struct kdht *k, int err)
{
	const char *msg = kdht_last_error(k);
	int status = err == -EINVAL ? DHTCTL_USAGE : DHTCTL_FAIL;

	if (msg)
		return out_fail(status, "%s", msg);
	switch (err) {
	case -ECONNREFUSED:
		return out_fail(status, "daemon not running (no kdhtd at %s)", socket_path(c));
	case -EACCES:
		return out_fail(status, "permission denied on %s", socket_path(c));
	case -ETIMEDOUT:
		return out_fail(status, "timed out waiting for kdhtd");
	case -EMSGSIZE:
		return out_fail(status, "value too large");
	case KDHT_ENOTFOUND:
	case KDHT_EFAILED:
	case KDHT_EUNAVAIL:
		return out_fail(status, "%s", kdht_strerror(err));
	default:
		return out_fail(status, "talking to kdhtd at %s: %s", socket_path(c),
				kdht_strerror(err));
	}
}

static int open_kdht(const struct dhtctl_cmd *c, int default_timeout_s, struct kdht **k)
{
	int rc = kdht_open(k, socket_path(c));

	if (!rc)
		rc = kdht_set_timeout(*k, dhtctl_timeout_ms(c, default_timeout_s));
	if (rc) {
		kdht_close(*k);
		*k = NULL;
		return out_fail(DHTCTL_FAIL, "%s: %s", socket_path(c), kdht_strerror(rc));
	}
	return DHTCTL_OK;
}

/* A name: 1 to KDHT_NAME_MAX bytes. */
static int check_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > KDHT_NAME_MAX)
		return out_fail(DHTCTL_USAGE, "bad name '%s' (1 to %d bytes)", s, KDHT_NAME_MAX);
	return DHTCTL_OK;
}

/* Reads a whole file (or stdin for "-"), refusing more than KDHT_VALUE_MAX bytes. */
static int read_value(const char *path, uint8_t *buf, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	struct stat st;
	int rc = DHTCTL_OK;

	if (!f)
		return out_fail(DHTCTL_FAIL, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
		rc = out_fail(DHTCTL_FAIL, "%s: is a directory", path);
	else
		*len = fread(buf, 1, KDHT_VALUE_MAX + 1, f);
	if (!rc && ferror(f))
		rc = out_fail(DHTCTL_FAIL, "%s: read error", path);
	else if (!rc && *len > KDHT_VALUE_MAX)
		rc = out_fail(DHTCTL_FAIL, "value too large (more than %d bytes)",
			      KDHT_VALUE_MAX);
	if (f != stdin)
		fclose(f);
	return rc;
}

/*
 * The name (NULL: --immutable) and value of a put: NAME VALUE, --file F
 * NAME, --immutable VALUE or --immutable --file F. buf holds
 * KDHT_VALUE_MAX + 1.
 */
static int put_args(const struct dhtctl_cmd *c, const char **name, uint8_t *buf, size_t *len)
{
	bool file = opt_given(c, OPT_FILE), immutable = opt_given(c, OPT_IMMUTABLE);
	const char *value;

	if (c->argc != (immutable ? 0 : 1) + (file ? 0 : 1))
		return dhtctl_usage_error(c->verb);
	if (immutable && (opt_given(c, OPT_KEYFILE) || opt_given(c, OPT_CAS)))
		return out_fail(DHTCTL_USAGE, "--immutable takes no --key or --cas");
	*name = immutable ? NULL : c->argv[0];
	if (*name && check_name(*name))
		return DHTCTL_USAGE;
	if (file)
		return read_value(c->str[OPT_FILE], buf, len);
	value = c->argv[c->argc - 1];
	*len = strlen(value);
	if (*len > KDHT_VALUE_MAX)
		return out_fail(DHTCTL_FAIL, "value too large (%zu bytes, at most %d)", *len,
				KDHT_VALUE_MAX);
	memcpy(buf, value, *len);
	return DHTCTL_OK;
}

/* --ttl, --cas and --key; sk holds the owner key read from --key's file. */
static int put_opts(const struct dhtctl_cmd *c, struct kdht_put_opts *o,
		    uint8_t sk[KDHT_SECRET_KEY_LEN])
{
	uint8_t pk[KDHT_PUBLIC_KEY_LEN];
	int rc;

	memset(o, 0, sizeof(*o));
	o->ttl_s = opt_given(c, OPT_TTL) ? (uint32_t)c->num[OPT_TTL] : 0;
	if (o->ttl_s > KDHT_TTL_MAX_S)
		out_note("--ttl %u clamped to the maximum, %u s (kdhtd's --max-ttl)",
			 o->ttl_s, KDHT_TTL_MAX_S);
	o->cas = opt_given(c, OPT_CAS);
	o->cas_seq = o->cas ? c->num[OPT_CAS] : 0;
	if (!opt_given(c, OPT_KEYFILE))
		return DHTCTL_OK;
	rc = kdht_key_load(c->str[OPT_KEYFILE], sk, pk);
	if (rc == -EINVAL)
		return out_fail(DHTCTL_FAIL, "%s: not an owner key file (dhtctl keygen)",
				c->str[OPT_KEYFILE]);
	if (rc == -EPERM)
		return out_fail(DHTCTL_FAIL, "%s: readable by others (want mode 0600)",
				c->str[OPT_KEYFILE]);
	if (rc)
		return out_fail(DHTCTL_FAIL, "%s: %s", c->str[OPT_KEYFILE], strerror(-rc));
	o->owner_key = sk;
	return DHTCTL_OK;
}

int daemon_put(struct dhtctl_cmd *c)
{
	static uint8_t buf[KDHT_VALUE_MAX + 1];
	uint8_t sk[KDHT_SECRET_KEY_LEN];
	struct kdht_put_result res;
	struct kdht_put_opts o;
	const char *name = NULL;
	struct kdht *k;
	size_t len = 0;
	int rc;

	rc = put_args(c, &name, buf, &len);
	if (!rc)
		rc = put_opts(c, &o, sk);
	if (!rc)
		rc = open_kdht(c, DAEMON_TIMEOUT_S, &k);
	if (rc)
		return rc;
	rc = name ? kdht_put(k, name, strlen(name), buf, len, &o, &res) :
		    kdht_put_immutable(k, buf, len, &o, &res);
	memset(sk, 0, sizeof(sk));
	if (rc)
		rc = report(c, k, rc);
	else
		show_put(len, &res, opt_given(c, OPT_VERBOSE));
	kdht_close(k);
	return rc;
}

/* get NAME [--owner HEX64], or get --hex KEY. */
static int get_args(const struct dhtctl_cmd *c, uint8_t key[KDHT_KEY_LEN],
		    uint8_t owner[KDHT_PUBLIC_KEY_LEN])
{
	const char *arg = c->argv[0];

	if (opt_given(c, OPT_HEX)) {
		if (opt_given(c, OPT_OWNER))
			return out_fail(DHTCTL_USAGE, "--hex takes no --owner: a raw key has none");
		if (kd_hex_parse(key, KDHT_KEY_LEN, arg))
			return out_fail(DHTCTL_USAGE, "bad key '%s' (--hex wants 64 hex digits)",
					arg);
		return DHTCTL_OK;
	}
	if (opt_given(c, OPT_OWNER) && kd_hex_parse(owner, KDHT_PUBLIC_KEY_LEN,
						    c->str[OPT_OWNER]))
		return out_fail(DHTCTL_USAGE, "bad --owner '%s' (64 hex digits: dhtctl node)",
				c->str[OPT_OWNER]);
	return check_name(arg);
}

int daemon_get(struct dhtctl_cmd *c)
{
	uint8_t key[KDHT_KEY_LEN], owner[KDHT_PUBLIC_KEY_LEN];
	unsigned int flags = opt_given(c, OPT_LOCAL) ? KDHT_GET_LOCAL : 0;
	const char *name = c->argv[0];
	struct kdht_value v;
	struct kdht *k;
	int rc;

	rc = get_args(c, key, owner);
	if (!rc)
		rc = open_kdht(c, DAEMON_TIMEOUT_S, &k);
	if (rc)
		return rc;
	if (opt_given(c, OPT_HEX))
		rc = kdht_get_key(k, key, flags, &v);
	else
		rc = kdht_get(k, name, strlen(name), opt_given(c, OPT_OWNER) ? owner : NULL,
			      flags, &v);
	if (rc) {
		rc = report(c, k, rc);
	} else {
		rc = show_get(&v, opt_given(c, OPT_VERBOSE));
		kdht_value_free(&v);
	}
	kdht_close(k);
	return rc;
}

int daemon_keygen(struct dhtctl_cmd *c)
{
	uint8_t pk[KDHT_PUBLIC_KEY_LEN];
	int rc = kdht_keygen(c->argv[0], pk);

	if (rc)
		return out_fail(DHTCTL_FAIL, "%s: %s", c->argv[0], strerror(-rc));
	show_keygen(pk);
	return DHTCTL_OK;
}

static void contact_from(struct dhtctl_contact *out, const struct kdht_contact *in)
{
	memset(out, 0, sizeof(*out));
	out->has_id = in->has_id;
	memcpy(out->id, in->id, KDHT_KEY_LEN);
	snprintf(out->addr, sizeof(out->addr), "%s", in->addr);
	out->rtt_ms = in->rtt_ms;
	if (!in->has_state)
		return;
	out->state = kdht_contact_state_name(in->state);
	out->has_bucket = true;
	out->bucket = in->bucket;
	out->has_last_seen = true;
	out->last_seen_ms = in->last_seen_ms;
}

/* ping and bootstrap: the address checked here as -k checks it, then kdhtd. */
static int addr_verb(struct dhtctl_cmd *c, bool ping)
{
	struct dhtctl_contact model;
	struct kdht_contact p;
	struct kd_addr a;
	struct kdht *k;
	int rc;

	if (dhtctl_arg_addr(c->argv[0], &a))
		return DHTCTL_USAGE;
	rc = open_kdht(c, DAEMON_TIMEOUT_S, &k);
	if (rc)
		return rc;
	rc = ping ? kdht_ping(k, c->argv[0], &p) : kdht_bootstrap(k, c->argv[0]);
	if (rc)
		rc = report(c, k, rc);
	kdht_close(k);
	if (rc)
		return rc;
	if (ping) {
		contact_from(&model, &p);
		show_ping(&model);
	} else {
		show_bootstrap(c->argv[0]);
	}
	return DHTCTL_OK;
}

int daemon_ping(struct dhtctl_cmd *c)
{
	return addr_verb(c, true);
}

int daemon_bootstrap(struct dhtctl_cmd *c)
{
	return addr_verb(c, false);
}

/* lookup and routes: kdht's contacts as the model. */
static int contacts_from(struct dhtctl_contacts *out, const struct kdht_contacts *in)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->v = calloc(in->n ? in->n : 1, sizeof(*out->v));
	if (!out->v)
		return out_fail(DHTCTL_FAIL, "out of memory");
	for (i = 0; i < in->n; i++)
		contact_from(&out->v[i], &in->v[i]);
	out->n = in->n;
	out->rounds = in->rounds;
	return DHTCTL_OK;
}

/* Runs lookup (target) or routes (target NULL) and shows the contacts. */
static int contacts_verb(struct dhtctl_cmd *c, const uint8_t *target)
{
	struct dhtctl_contacts model = { 0 };
	struct kdht_contacts got;
	struct kdht *k;
	int rc;

	rc = open_kdht(c, DAEMON_TIMEOUT_S, &k);
	if (rc)
		return rc;
	rc = target ? kdht_lookup(k, target, &got) : kdht_routes(k, &got);
	if (rc) {
		rc = report(c, k, rc);
	} else {
		rc = contacts_from(&model, &got);
		kdht_contacts_free(&got);
	}
	kdht_close(k);
	if (rc)
		return rc;
	if (target) {
		memcpy(model.target, target, KDHT_KEY_LEN);
		show_lookup(&model);
	} else {
		show_routes(&model);
	}
	free(model.v);
	return DHTCTL_OK;
}

int daemon_lookup(struct dhtctl_cmd *c)
{
	uint8_t target[KDHT_KEY_LEN];

	if (dhtctl_arg_id(c->argv[0], target))
		return DHTCTL_USAGE;
	return contacts_verb(c, target);
}

int daemon_routes(struct dhtctl_cmd *c)
{
	return contacts_verb(c, NULL);
}

int daemon_stats(struct dhtctl_cmd *c)
{
	struct dhtctl_stat *s;
	struct kdht_stats got;
	struct kdht *k;
	size_t i;
	int rc;

	rc = open_kdht(c, DAEMON_TIMEOUT_S, &k);
	if (rc)
		return rc;
	rc = kdht_stats(k, &got);
	if (rc)
		rc = report(c, k, rc);
	kdht_close(k);
	if (rc)
		return rc;
	s = calloc(got.n ? got.n : 1, sizeof(*s));
	if (!s)
		rc = out_fail(DHTCTL_FAIL, "out of memory");
	for (i = 0; s && i < got.n; i++)
		s[i] = (struct dhtctl_stat){ got.v[i].name, got.v[i].value };
	if (s)
		show_stats(s, got.n);
	free(s);
	kdht_stats_free(&got);
	return rc;
}

/* The daemon's node into *n (kdht_node_free()), or says why not. */
static int node_of_daemon(struct dhtctl_cmd *c, struct kdht_node *n)
{
	struct kdht *k;
	int rc;

	rc = open_kdht(c, DAEMON_TIMEOUT_S, &k);
	if (rc)
		return rc;
	rc = kdht_node(k, n);
	if (rc)
		rc = report(c, k, rc);
	kdht_close(k);
	return rc;
}

int daemon_node(struct dhtctl_cmd *c)
{
	const struct dhtctl_node_sub *sub;
	struct dhtctl_node model = { 0 };
	struct kdht_node n;
	int rc;

	rc = dhtctl_node_sub(c, &sub);
	if (!rc)
		rc = node_of_daemon(c, &n);
	if (rc)
		return rc;
	model.has_id = true;
	memcpy(model.id, n.id, KDHT_KEY_LEN);
	memcpy(model.owner, n.owner, KDHT_PUBLIC_KEY_LEN);
	model.backend = n.backend;
	model.values = n.values;
	model.n_addrs = n.n_addrs;
	model.addrs = n.addrs;
	show_node(&model);
	kdht_node_free(&n);
	return DHTCTL_OK;
}

/* mesh show without a FILE: the mesh kdhtd was started in, by its key's fingerprint. */
int daemon_mesh(struct dhtctl_cmd *c)
{
	char fpr[2 * KDHT_MESH_FPR_LEN + 1];
	struct json j = { 0 };
	struct kdht_node n;
	int rc;

	if (c->argc != 1 || strcmp(c->argv[0], "show"))
		return dhtctl_mesh_files(c);
	rc = node_of_daemon(c, &n);
	if (rc)
		return rc;
	kd_hex_format(fpr, n.mesh_fingerprint, KDHT_MESH_FPR_LEN);
	dhtctl_show_mesh(&j, n.mesh_closed, n.mesh_closed ? fpr : NULL);
	kdht_node_free(&n);
	return DHTCTL_OK;
}
