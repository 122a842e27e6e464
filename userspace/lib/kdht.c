// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* libkdht: kdht.h's requests, each one ctl.proto exchange with kdhtd. */
#include "kdht.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "addr.h"
#include "ctl_call.h"
#include "kdht_wire.h"

#define KDHT_ERR_LEN	256

/* kdht.h restates these so that applications need no header but it. */
_Static_assert(KDHT_KEY_LEN == KDHT_ID_LEN, "keys are node ids");
_Static_assert(KDHT_ADDR_STRLEN == KD_ADDR_STRLEN, "addresses as kd_addr_format() writes them");

struct kdht {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int timeout_ms;
	char err[KDHT_ERR_LEN];
	uint64_t held_seq;	/* of the last refused request */
	uint32_t acks;		/* likewise */
};

int kdht_open(struct kdht **out, const char *socket_path)
{
	struct kdht *k;

	if (!out)
		return -EINVAL;
	if (!socket_path)
		socket_path = KDHT_DEFAULT_SOCKET;
	if (strlen(socket_path) >= sizeof(k->path))
		return -ENAMETOOLONG;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	strcpy(k->path, socket_path);
	k->timeout_ms = KDHT_DEFAULT_TIMEOUT_MS;
	*out = k;
	return 0;
}

void kdht_close(struct kdht *k)
{
	free(k);
}

int kdht_set_timeout(struct kdht *k, int timeout_ms)
{
	if (!k || timeout_ms <= 0)
		return -EINVAL;
	k->timeout_ms = timeout_ms;
	return 0;
}

const char *kdht_last_error(const struct kdht *k)
{
	return k && k->err[0] ? k->err : NULL;
}

const char *kdht_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case KDHT_ENOTFOUND:
		return "not found";
	case KDHT_EFAILED:
		return "failed";
	case KDHT_EUNAVAIL:
		return "the daemon's routing is not running";
	case -ECONNREFUSED:
		return "daemon not running";
	default:
		return strerror(-err);
	}
}

int kdht_key_of_name(uint8_t key[KDHT_KEY_LEN], const uint8_t owner[KDHT_PUBLIC_KEY_LEN],
		     const void *name, size_t name_len)
{
	crypto_generichash_state h;

	if (!key || !owner || !name || !name_len || name_len > KDHT_NAME_MAX)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	crypto_generichash_init(&h, NULL, 0, KDHT_KEY_LEN);
	crypto_generichash_update(&h, owner, KDHT_PUBLIC_KEY_LEN);
	crypto_generichash_update(&h, name, name_len);
	crypto_generichash_final(&h, key, KDHT_KEY_LEN);
	return 0;
}

int kdht_key_of_content(uint8_t key[KDHT_KEY_LEN], const void *value, size_t len)
{
	if (!key || (!value && len))
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	crypto_generichash(key, KDHT_KEY_LEN, value, len, NULL, 0);
	return 0;
}

/* The daemon's status as one of kdht.h's codes. */
static int kdht_status_error(Kdhtctl__Status st)
{
	switch (st) {
	case KDHTCTL__STATUS__OK:
		return 0;
	case KDHTCTL__STATUS__NOT_FOUND:
		return KDHT_ENOTFOUND;
	case KDHTCTL__STATUS__TIMEOUT:
		return -ETIMEDOUT;
	case KDHTCTL__STATUS__TOO_LARGE:
		return -EMSGSIZE;
	case KDHTCTL__STATUS__BAD_REQUEST:
		return -EINVAL;
	case KDHTCTL__STATUS__DENIED:
		return -EACCES;
	case KDHTCTL__STATUS__UNAVAILABLE:
		return KDHT_EUNAVAIL;
	default:
		return KDHT_EFAILED;
	}
}

/*
 * One request. Returns 0 with *resp, an OK response, to be freed by the
 * caller; or an error, with the daemon's message kept for kdht_last_error().
 */
static int kdht_call(struct kdht *k, const Kdhtctl__Request *req, Kdhtctl__Response **resp)
{
	int rc;

	k->err[0] = '\0';
	k->held_seq = 0;
	k->acks = 0;
	rc = kdht_ctl_call(k->path, req, k->timeout_ms, resp);
	if (rc == -ENOENT)
		return -ECONNREFUSED;
	if (rc)
		return rc;
	rc = kdht_status_error((*resp)->status);
	if (!rc)
		return 0;
	k->held_seq = (*resp)->held_seq;
	k->acks = (*resp)->acks;
	if ((*resp)->error)
		snprintf(k->err, sizeof(k->err), "%s", (*resp)->error);
	kdhtctl__response__free_unpacked(*resp, NULL);
	return rc;
}

static void kdht_timing_from(struct kdht_timing *t, const Kdhtctl__Response *resp)
{
	t->valid = resp->has_elapsed_us;
	t->elapsed_us = resp->elapsed_us;
	t->lookup_us = resp->lookup_us;
	t->lookup_rounds = resp->lookup_rounds;
	t->asked = resp->asked;
}

/* The put's outcome into out (may be NULL): resp's, or on failure what k kept. */
static void kdht_put_result_from(struct kdht *k, struct kdht_put_result *out,
				 const Kdhtctl__Response *resp)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!resp) {
		out->acks = k->acks;
		out->held_seq = k->held_seq;
		return;
	}
	out->acks = resp->acks;
	out->seq = resp->seq;
	if (resp->key.len == KDHT_KEY_LEN)
		memcpy(out->key, resp->key.data, KDHT_KEY_LEN);
	kdht_timing_from(&out->timing, resp);
}

static int kdht_put_call(struct kdht *k, Kdhtctl__Put *put, const void *value, size_t len,
			 const struct kdht_put_opts *opts, struct kdht_put_result *out)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Response *resp;
	int rc;

	if (!k || (!value && len))
		return -EINVAL;
	if (len > KDHT_VALUE_MAX)
		return -EMSGSIZE;
	put->value.data = (uint8_t *)value;
	put->value.len = len;
	put->has_ttl_s = opts && opts->ttl_s;
	put->ttl_s = opts ? opts->ttl_s : 0;
	req.op_case = KDHTCTL__REQUEST__OP_PUT;
	req.put = put;
	rc = kdht_call(k, &req, &resp);
	kdht_put_result_from(k, out, rc ? NULL : resp);
	if (!rc)
		kdhtctl__response__free_unpacked(resp, NULL);
	return rc;
}

int kdht_put(struct kdht *k, const void *name, size_t name_len, const void *value,
	     size_t len, const struct kdht_put_opts *opts, struct kdht_put_result *out)
{
	Kdhtctl__Put put = KDHTCTL__PUT__INIT;

	if (!name || !name_len || name_len > KDHT_NAME_MAX)
		return -EINVAL;
	put.has_name = true;
	put.name.data = (uint8_t *)name;
	put.name.len = name_len;
	put.has_owner_key = opts && opts->owner_key;
	put.owner_key.data = put.has_owner_key ? (uint8_t *)opts->owner_key : NULL;
	put.owner_key.len = put.has_owner_key ? KDHT_SECRET_KEY_LEN : 0;
	put.has_cas = opts && opts->cas;
	put.cas = put.has_cas ? opts->cas_seq : 0;
	return kdht_put_call(k, &put, value, len, opts, out);
}

int kdht_put_immutable(struct kdht *k, const void *value, size_t len,
		       const struct kdht_put_opts *opts, struct kdht_put_result *out)
{
	Kdhtctl__Put put = KDHTCTL__PUT__INIT;

	if (opts && (opts->owner_key || opts->cas))
		return -EINVAL;
	return kdht_put_call(k, &put, value, len, opts, out);
}

static int kdht_get_call(struct kdht *k, Kdhtctl__Get *get, unsigned int flags,
			 struct kdht_value *out)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Response *resp;
	int rc;

	if (!k || !out || (flags & ~KDHT_GET_LOCAL))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	get->has_local = flags & KDHT_GET_LOCAL;
	get->local = get->has_local;
	req.op_case = KDHTCTL__REQUEST__OP_GET;
	req.get = get;
	rc = kdht_call(k, &req, &resp);
	if (rc)
		return rc;
	/* One byte more, so that an empty value is not a NULL pointer. */
	out->data = malloc(resp->value.len + 1);
	if (out->data) {
		if (resp->value.len)
			memcpy(out->data, resp->value.data, resp->value.len);
		out->len = resp->value.len;
		out->seq = resp->seq;
		out->is_mutable = resp->mutable_;
		if (resp->key.len == KDHT_KEY_LEN)
			memcpy(out->key, resp->key.data, KDHT_KEY_LEN);
		out->has_owner = resp->owner.len == KDHT_PUBLIC_KEY_LEN;
		if (out->has_owner)
			memcpy(out->owner, resp->owner.data, KDHT_PUBLIC_KEY_LEN);
		kdht_timing_from(&out->timing, resp);
	}
	kdhtctl__response__free_unpacked(resp, NULL);
	return out->data ? 0 : -ENOMEM;
}

int kdht_get(struct kdht *k, const void *name, size_t name_len,
	     const uint8_t owner[KDHT_PUBLIC_KEY_LEN], unsigned int flags, struct kdht_value *out)
{
	Kdhtctl__Get get = KDHTCTL__GET__INIT;

	if (!name || !name_len || name_len > KDHT_NAME_MAX)
		return -EINVAL;
	get.has_name = true;
	get.name.data = (uint8_t *)name;
	get.name.len = name_len;
	get.has_owner = owner != NULL;
	get.owner.data = (uint8_t *)owner;
	get.owner.len = owner ? KDHT_PUBLIC_KEY_LEN : 0;
	return kdht_get_call(k, &get, flags, out);
}

int kdht_get_key(struct kdht *k, const uint8_t key[KDHT_KEY_LEN], unsigned int flags,
		 struct kdht_value *out)
{
	Kdhtctl__Get get = KDHTCTL__GET__INIT;

	if (!key)
		return -EINVAL;
	get.has_key = true;
	get.key.data = (uint8_t *)key;
	get.key.len = KDHT_KEY_LEN;
	return kdht_get_call(k, &get, flags, out);
}

void kdht_value_free(struct kdht_value *v)
{
	if (!v)
		return;
	free(v->data);
	memset(v, 0, sizeof(*v));
}

static void kdht_contact_from(struct kdht_contact *c, const Kdhtctl__Node *n)
{
	memset(c, 0, sizeof(*c));
	c->has_id = n->id.len == KDHT_KEY_LEN;
	if (c->has_id)
		memcpy(c->id, n->id.data, KDHT_KEY_LEN);
	snprintf(c->addr, sizeof(c->addr), "%s", n->addr);
	c->rtt_ms = n->rtt_ms;
	c->has_state = n->has_state;
	if (!c->has_state)
		return;
	c->state = (enum kdht_contact_state)n->state;
	c->bucket = n->has_bucket ? (uint16_t)n->bucket : 0;
	c->last_seen_ms = n->has_last_seen_ms ? n->last_seen_ms : 0;
}

const char *kdht_contact_state_name(enum kdht_contact_state s)
{
	static const char *const names[] = {
		[KDHT_CONTACT_GOOD] = "good",
		[KDHT_CONTACT_QUESTIONABLE] = "questionable",
		[KDHT_CONTACT_BAD] = "bad",
		[KDHT_CONTACT_FAILED] = "failed",
	};

	if ((unsigned int)s >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[s];
}

/* A request that names an address and no more (ping, bootstrap). */
static int kdht_addr_call(struct kdht *k, const char *addr, bool ping,
			  Kdhtctl__Response **resp)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Ping p = KDHTCTL__PING__INIT;
	Kdhtctl__Bootstrap bs = KDHTCTL__BOOTSTRAP__INIT;

	if (!k || !addr)
		return -EINVAL;
	if (ping) {
		p.addr = (char *)addr;
		req.op_case = KDHTCTL__REQUEST__OP_PING;
		req.ping = &p;
	} else {
		bs.addr = (char *)addr;
		req.op_case = KDHTCTL__REQUEST__OP_BOOTSTRAP;
		req.bootstrap = &bs;
	}
	return kdht_call(k, &req, resp);
}

int kdht_ping(struct kdht *k, const char *addr, struct kdht_contact *out)
{
	Kdhtctl__Response *resp;
	int rc;

	if (!out)
		return -EINVAL;
	rc = kdht_addr_call(k, addr, true, &resp);
	if (rc)
		return rc;
	if (resp->n_nodes != 1)
		rc = -EPROTO;
	else
		kdht_contact_from(out, resp->nodes[0]);
	kdhtctl__response__free_unpacked(resp, NULL);
	return rc;
}

int kdht_bootstrap(struct kdht *k, const char *addr)
{
	Kdhtctl__Response *resp;
	int rc = kdht_addr_call(k, addr, false, &resp);

	if (!rc)
		kdhtctl__response__free_unpacked(resp, NULL);
	return rc;
}

/* The response's nodes into out; frees resp. */
static int kdht_contacts_from(struct kdht_contacts *out, Kdhtctl__Response *resp)
{
	size_t i;

	out->v = calloc(resp->n_nodes ? resp->n_nodes : 1, sizeof(*out->v));
	if (out->v) {
		for (i = 0; i < resp->n_nodes; i++)
			kdht_contact_from(&out->v[i], resp->nodes[i]);
		out->n = resp->n_nodes;
		out->rounds = resp->lookup_rounds;
	}
	kdhtctl__response__free_unpacked(resp, NULL);
	return out->v ? 0 : -ENOMEM;
}

int kdht_lookup(struct kdht *k, const uint8_t target[KDHT_KEY_LEN],
		struct kdht_contacts *out)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Lookup lookup = KDHTCTL__LOOKUP__INIT;
	Kdhtctl__Response *resp;
	int rc;

	if (!k || !target || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	lookup.target.data = (uint8_t *)target;
	lookup.target.len = KDHT_KEY_LEN;
	req.op_case = KDHTCTL__REQUEST__OP_LOOKUP;
	req.lookup = &lookup;
	rc = kdht_call(k, &req, &resp);
	return rc ? rc : kdht_contacts_from(out, resp);
}

/* A request with no arguments (routes, stats, node). */
static int kdht_empty_call(struct kdht *k, Kdhtctl__Request__OpCase op,
			   Kdhtctl__Response **resp)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Empty empty = KDHTCTL__EMPTY__INIT;

	if (!k)
		return -EINVAL;
	req.op_case = op;
	if (op == KDHTCTL__REQUEST__OP_ROUTES)
		req.routes = &empty;
	else if (op == KDHTCTL__REQUEST__OP_STATS)
		req.stats = &empty;
	else
		req.node = &empty;
	return kdht_call(k, &req, resp);
}

int kdht_routes(struct kdht *k, struct kdht_contacts *out)
{
	Kdhtctl__Response *resp;
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = kdht_empty_call(k, KDHTCTL__REQUEST__OP_ROUTES, &resp);
	return rc ? rc : kdht_contacts_from(out, resp);
}

void kdht_contacts_free(struct kdht_contacts *c)
{
	if (!c)
		return;
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void kdht_stats_free(struct kdht_stats *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int kdht_stats(struct kdht *k, struct kdht_stats *out)
{
	Kdhtctl__Response *resp;
	size_t i;
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = kdht_empty_call(k, KDHTCTL__REQUEST__OP_STATS, &resp);
	if (rc)
		return rc;
	out->v = calloc(resp->n_counters ? resp->n_counters : 1, sizeof(*out->v));
	for (i = 0; out->v && i < resp->n_counters; i++, out->n++) {
		out->v[i].name = strdup(resp->counters[i]->name);
		out->v[i].value = resp->counters[i]->value;
		if (!out->v[i].name)
			break;
	}
	rc = out->v && out->n == resp->n_counters ? 0 : -ENOMEM;
	kdhtctl__response__free_unpacked(resp, NULL);
	if (rc)
		kdht_stats_free(out);
	return rc;
}

void kdht_node_free(struct kdht_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n_addrs; i++)
		free(n->addrs[i]);
	free(n->addrs);
	free(n->backend);
	memset(n, 0, sizeof(*n));
}

/* Copies the node information of resp into out. */
static int kdht_node_from(struct kdht_node *out, const Kdhtctl__NodeInfo *info)
{
	size_t i;

	if (info->id.len != KDHT_KEY_LEN)
		return -EPROTO;
	memcpy(out->id, info->id.data, KDHT_KEY_LEN);
	if (info->owner.len == KDHT_PUBLIC_KEY_LEN)
		memcpy(out->owner, info->owner.data, KDHT_PUBLIC_KEY_LEN);
	out->values = info->values;
	out->mesh_closed = info->has_mesh_fingerprint;
	if (out->mesh_closed && info->mesh_fingerprint.len != KDHT_MESH_FPR_LEN)
		return -EPROTO;
	if (out->mesh_closed)
		memcpy(out->mesh_fingerprint, info->mesh_fingerprint.data, KDHT_MESH_FPR_LEN);
	out->backend = strdup(info->backend);
	out->addrs = calloc(info->n_addrs ? info->n_addrs : 1, sizeof(*out->addrs));
	if (!out->backend || !out->addrs)
		return -ENOMEM;
	for (i = 0; i < info->n_addrs; i++, out->n_addrs++) {
		out->addrs[i] = strdup(info->addrs[i]);
		if (!out->addrs[i])
			return -ENOMEM;
	}
	return 0;
}

int kdht_node(struct kdht *k, struct kdht_node *out)
{
	Kdhtctl__Response *resp;
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = kdht_empty_call(k, KDHTCTL__REQUEST__OP_NODE, &resp);
	if (rc)
		return rc;
	rc = resp->node ? kdht_node_from(out, resp->node) : -EPROTO;
	kdhtctl__response__free_unpacked(resp, NULL);
	if (rc)
		kdht_node_free(out);
	return rc;
}
