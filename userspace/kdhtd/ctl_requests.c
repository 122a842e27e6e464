// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The control requests of proto/ctl.proto, answered from the put/get
 * engine, the routing backend and the store.
 */
#include "kdhtd.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "clock.h"
#include "errors.h"

#define CTL_MAX_NODES		256	/* routes listed by the control socket */
#define CTL_MAX_COUNTERS	96

/* Answers r with err's status and words (otherwise: when err has none). */
static void reply_error(struct kdd_ctl_req *r, int err, const char *otherwise)
{
	kdd_ctl_reply_status(r, kdd_error_ctl_status(err), kdd_error_words(err, otherwise));
}

static void set_info(Kdhtctl__Response *resp, const struct kdd_op_info *info)
{
	resp->has_elapsed_us = true;
	resp->elapsed_us = info->elapsed_us;
	resp->has_lookup_us = true;
	resp->lookup_us = info->lookup_us;
	resp->has_lookup_rounds = true;
	resp->lookup_rounds = info->lookup_rounds;
	resp->has_asked = true;
	resp->asked = info->asked;
}

/*
 * A put of the control socket in flight. Its record is kept (value
 * included) so that a put refused as stale can be made again once, with
 * the seq a replica proved it holds (PROTOCOL.md 9.2, "Writer-kept seq").
 */
struct ctl_put {
	struct kdd *d;
	struct kdd_ctl_req *r;
	struct kdd_record rec;
	uint8_t sk[crypto_sign_SECRETKEYBYTES];	/* the writer's: signs the retry */
	uint32_t ttl_s;
	bool relearnt;			/* the seq was learnt from a get once */
	uint8_t value[];
};

static void ctl_put_free(struct ctl_put *cp)
{
	sodium_memzero(cp->sk, sizeof(cp->sk));
	free(cp);
}

static void set_record_key(Kdhtctl__Response *resp, const struct kdd_record *rec)
{
	resp->has_key = true;
	resp->key.data = (uint8_t *)rec->key.b;
	resp->key.len = KDHT_ID_LEN;
	resp->has_seq = true;
	resp->seq = rec->seq;
}

static void reply_put(struct ctl_put *cp, int status, const char *why,
		      const struct kdd_op_info *info)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	char msg[128];

	resp.status = kdd_error_ctl_status(status);
	resp.has_acks = true;
	resp.acks = info->acks;
	set_info(&resp, info);
	set_record_key(&resp, &cp->rec);
	resp.has_held_seq = info->held_seq != 0;
	resp.held_seq = info->held_seq;
	if (status && cp->rec.cas)
		snprintf(msg, sizeof(msg), "put failed: held seq is %" PRIu64 ", not %" PRIu64
			 " (%u acknowledged)", info->held_seq, cp->rec.seq - 1, info->acks);
	else if (status)
		snprintf(msg, sizeof(msg), "put failed: %s (%u acknowledged)", why, info->acks);
	resp.error = status ? msg : NULL;
	kdd_ctl_reply(cp->r, &resp);
	ctl_put_free(cp);
}

static void on_put_done(void *arg, int status, const char *why,
			const struct kdd_op_info *info);

/*
 * Signs cp's record with seq, keeps seq as the writer's counter first (so a
 * crash never reuses it), and starts its put. Returns 0 or a negative errno.
 */
static int put_with_seq(struct ctl_put *cp, uint64_t seq)
{
	int rc;

	if (cp->rec.is_mutable) {
		cp->rec.seq = seq;
		kdd_record_sign(&cp->rec.key, seq, true, cp->rec.value, cp->rec.len, cp->sk,
				cp->rec.sig);
		rc = kdd_store_seq_keep(cp->d->store, &cp->rec.key, seq, kdd_wall_s());
		if (rc)
			return rc;
	}
	return kdd_op_put(cp->d->op, &cp->rec, cp->ttl_s, on_put_done, cp);
}

/* The verified record a get found tells the seq to go past; else the put fails. */
static void on_seq_learnt(void *arg, int status, const struct kdd_record *rec,
			  const struct kdd_op_info *info)
{
	struct ctl_put *cp = arg;
	struct kdd_op_info learnt = *info;
	uint64_t held = status == 0 ? rec->seq : 0;
	int rc = -ESTALE;

	learnt.acks = 0;
	learnt.held_seq = held;
	if (held >= cp->rec.seq && held < UINT64_MAX)
		rc = put_with_seq(cp, held + 1);
	if (rc)
		reply_put(cp, rc, kdd_error_refusal(-ESTALE), &learnt);
}

static void on_put_done(void *arg, int status, const char *why,
			const struct kdd_op_info *info)
{
	struct ctl_put *cp = arg;
	int rc;

	/*
	 * A replica says it holds this seq or a higher one: another writer of
	 * the key (a daemon with the same owner key, a member of a closed mesh)
	 * went further. What a replica says is not proof, so the seq to pass is
	 * read back with a get, whose record is verified, and the put is made
	 * again once with one more.
	 */
	if (status && cp->rec.is_mutable && !cp->rec.cas && !cp->relearnt &&
	    info->held_seq >= cp->rec.seq) {
		cp->relearnt = true;
		rc = kdd_op_get(cp->d->op, &cp->rec.key, on_seq_learnt, cp);
		if (rc == 0)
			return;
	}
	reply_put(cp, status, why, info);
}

static void reply_record(struct kdd_ctl_req *r, const struct kdd_record *rec,
			 const struct kdd_op_info *info)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;

	resp.status = KDHTCTL__STATUS__OK;
	resp.has_value = true;
	resp.value.data = (uint8_t *)rec->value;
	resp.value.len = rec->len;
	set_record_key(&resp, rec);
	resp.has_owner = rec->is_mutable;
	resp.owner.data = (uint8_t *)rec->publisher.b;
	resp.owner.len = KDHT_ID_LEN;
	resp.has_mutable_ = true;
	resp.mutable_ = rec->is_mutable;
	if (info)
		set_info(&resp, info);
	kdd_ctl_reply(r, &resp);
}

static void on_get_done(void *arg, int status, const struct kdd_record *rec,
			const struct kdd_op_info *info)
{
	if (status) {
		reply_error(arg, status, "get failed");
		return;
	}
	reply_record(arg, rec, info);
}

/* The control protocol's states are the routing core's, number for number. */
_Static_assert(KDHTCTL__NODE__STATE__GOOD == (int)KD_GOOD &&
	       KDHTCTL__NODE__STATE__QUESTIONABLE == (int)KD_QUESTIONABLE &&
	       KDHTCTL__NODE__STATE__BAD == (int)KD_BAD &&
	       KDHTCTL__NODE__STATE__FAILED == (int)KD_FAILED,
	       "Node.State follows enum kd_liveness");

/* info (may be NULL): the routing table's state of the node. */
static void node_to_ctl(Kdhtctl__Node *n, char *addr_buf, const struct kd_node *node,
			uint32_t rtt_ms, const struct kdd_route *info)
{
	kdhtctl__node__init(n);
	n->id.data = (uint8_t *)node->id.b;
	n->id.len = KDHT_ID_LEN;
	kd_addr_format(addr_buf, &node->addr);
	n->addr = addr_buf;
	n->has_rtt_ms = rtt_ms != 0;
	n->rtt_ms = rtt_ms;
	if (!info)
		return;
	n->has_state = true;
	n->state = (Kdhtctl__Node__State)info->state;
	n->has_bucket = true;
	n->bucket = info->bucket;
	n->has_last_seen_ms = true;
	n->last_seen_ms = info->last_seen_ms;
}

/*
 * Replies with a node list. rtt and info may be NULL; info (routes), when
 * given, supplies each node's round trip and table state. rounds < 0 leaves
 * the rounds out.
 */
static void reply_nodes(struct kdd_ctl_req *r, const struct kd_node *nodes,
			const uint32_t *rtt, const struct kdd_route *info, unsigned int n,
			int rounds)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	Kdhtctl__Node *items = calloc(n ? n : 1, sizeof(*items));
	Kdhtctl__Node **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	char (*addrs)[KD_ADDR_STRLEN] = calloc(n ? n : 1, KD_ADDR_STRLEN);
	unsigned int i;

	if (!items || !ptrs || !addrs) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		node_to_ctl(&items[i], addrs[i], &nodes[i],
			    info ? info[i].rtt_ms : rtt ? rtt[i] : 0, info ? &info[i] : NULL);
		ptrs[i] = &items[i];
	}
	resp.status = KDHTCTL__STATUS__OK;
	resp.n_nodes = n;
	resp.nodes = ptrs;
	resp.has_lookup_rounds = rounds >= 0;
	resp.lookup_rounds = rounds >= 0 ? (uint32_t)rounds : 0;
	kdd_ctl_reply(r, &resp);
out:
	free(items);
	free(ptrs);
	free(addrs);
}

static void on_lookup_done(void *arg, bool ok, const struct kd_lookup_hit *hits,
			   unsigned int nhits, unsigned int rounds)
{
	struct kd_node nodes[KDHT_MAX_NODES];
	uint32_t rtt[KDHT_MAX_NODES];
	unsigned int i;

	nhits = KD_MIN(nhits, (unsigned int)KDHT_MAX_NODES);
	for (i = 0; i < nhits; i++) {
		nodes[i] = hits[i].node;
		rtt[i] = hits[i].rtt_ms;
	}
	if (!ok && nhits == 0) {
		kdd_ctl_reply_status(arg, KDHTCTL__STATUS__TIMEOUT, "lookup timed out");
		return;
	}
	reply_nodes(arg, nodes, rtt, NULL, nhits, (int)rounds);
}

static void on_ping_done(void *arg, bool ok, const struct kd_node *node, uint32_t rtt_ms)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	Kdhtctl__Node n;
	char addr[KD_ADDR_STRLEN];

	if (!ok) {
		kdd_ctl_reply_status(arg, KDHTCTL__STATUS__TIMEOUT, "no answer");
		return;
	}
	node_to_ctl(&n, addr, node, rtt_ms, NULL);
	resp.status = KDHTCTL__STATUS__OK;
	resp.has_rtt_ms = true;
	resp.rtt_ms = rtt_ms;
	resp.n_nodes = 1;
	resp.nodes = (Kdhtctl__Node *[]){ &n };
	kdd_ctl_reply(arg, &resp);
}

/* What names derive from here: the mesh id in a closed mesh, else the owner's key. */
static const uint8_t *name_scope(const struct kdd *d, const uint8_t *owner)
{
	return d->serve.mesh_id ? d->serve.mesh_id : owner;
}

/*
 * The signing key of a put: the request's owner key, whose public half must
 * match its seed (a secret key file is seed || public key), or the daemon's.
 */
static int put_signer(struct ctl_put *cp, const Kdhtctl__Put *put, uint8_t pk[32])
{
	uint8_t seed[crypto_sign_SEEDBYTES], sk[crypto_sign_SECRETKEYBYTES];
	int ok;

	if (!put->has_owner_key) {
		memcpy(cp->sk, cp->d->ident.sk, sizeof(cp->sk));
		memcpy(pk, cp->d->ident.pk, crypto_sign_PUBLICKEYBYTES);
		return 0;
	}
	memcpy(cp->sk, put->owner_key.data, sizeof(cp->sk));
	crypto_sign_ed25519_sk_to_seed(seed, cp->sk);
	ok = crypto_sign_seed_keypair(pk, sk, seed) == 0 &&
	     sodium_memcmp(sk, cp->sk, sizeof(sk)) == 0;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return ok ? 0 : -EINVAL;
}

/* The seq a put without cas takes: past what this node wrote or holds. */
static int next_seq(struct kdd *d, const struct kd_id *key, uint64_t *seq)
{
	uint64_t kept = 0, held = 0;
	int rc;

	rc = kdd_store_seq_kept(d->store, key, &kept);
	if (!rc)
		rc = kdd_store_held_seq(d->store, key, kdd_wall_s(), &held);
	if (rc)
		return rc;
	if (KD_MAX(kept, held) == UINT64_MAX)
		return -EOVERFLOW;
	*seq = KD_MAX(kept, held) + 1;
	return 0;
}

/* The record of a put: a named mutable one, or an immutable one under its content key. */
static int put_record(struct ctl_put *cp, const Kdhtctl__Put *put, uint64_t *seq)
{
	struct kdd_record *rec = &cp->rec;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	if (put->value.len)
		memcpy(cp->value, put->value.data, put->value.len);
	rec->value = cp->value;
	rec->len = (uint32_t)put->value.len;
	if (!put->has_name) {
		kdd_key_of_content(&rec->key, rec->value, rec->len);
		return 0;
	}
	if (put_signer(cp, put, pk))
		return -EINVAL;
	rec->is_mutable = true;
	rec->has_sig = true;
	memcpy(rec->publisher.b, pk, KDHT_ID_LEN);
	rec->name_len = (uint8_t)put->name.len;
	memcpy(rec->name, put->name.data, put->name.len);
	kdd_key_of_name(&rec->key, name_scope(cp->d, pk), rec->name, rec->name_len);
	if (!put->has_cas)
		return next_seq(cp->d, &rec->key, seq);
	if (put->cas == UINT64_MAX)
		return -EOVERFLOW;
	rec->cas = true;
	*seq = put->cas + 1;
	return 0;
}

static void ctl_put(struct kdd *d, struct kdd_ctl_req *r, const Kdhtctl__Put *put)
{
	struct ctl_put *cp = calloc(1, sizeof(*cp) + put->value.len);
	uint64_t seq = 0;
	int rc;

	if (!cp) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__FAILED, "out of memory");
		return;
	}
	cp->d = d;
	cp->r = r;
	cp->ttl_s = put->has_ttl_s ? put->ttl_s : 0;
	rc = put_record(cp, put, &seq);
	if (rc == -EINVAL) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__BAD_REQUEST,
				     "bad owner key: its halves do not agree");
		ctl_put_free(cp);
		return;
	}
	if (!rc)
		rc = put_with_seq(cp, seq);
	if (rc) {
		reply_error(r, rc, rc == -EOVERFLOW ? "no seq left for this record" :
				   "put failed to start");
		ctl_put_free(cp);
	}
}

/* The key a get reads: its raw key, or its name's under the owner (this daemon's). */
static void get_key(struct kdd *d, const Kdhtctl__Get *get, struct kd_id *key)
{
	const uint8_t *owner = get->has_owner ? get->owner.data : d->ident.pk;

	if (get->has_key)
		memcpy(key->b, get->key.data, KDHT_ID_LEN);
	else
		kdd_key_of_name(key, name_scope(d, owner), get->name.data, get->name.len);
}

static void ctl_get(struct kdd *d, struct kdd_ctl_req *r, const Kdhtctl__Get *get)
{
	struct kdd_record rec;
	struct kd_id key;
	int rc;

	get_key(d, get, &key);
	if (get->has_local && get->local) {
		rc = kdd_store_get(d->store, &key, kdd_wall_s(), &rec, d->serve.valbuf,
				   sizeof(d->serve.valbuf));
		if (rc == 0)
			reply_record(r, &rec, NULL);
		else
			kdd_ctl_reply_status(r, kdd_error_ctl_status(rc), rc == -ENOENT ?
					     "not held by this node" : "storage error");
		return;
	}
	rc = kdd_op_get(d->op, &key, on_get_done, r);
	if (rc)
		reply_error(r, rc, "get failed to start");
}

static void ctl_stats(struct kdd *d, struct kdd_ctl_req *r)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	struct kdd_counter cs[CTL_MAX_COUNTERS];
	Kdhtctl__Counter items[CTL_MAX_COUNTERS], *ptrs[CTL_MAX_COUNTERS];
	unsigned int n, i;
	uint64_t values = 0;

	n = d->backend->ops->counters(d->backend, cs, CTL_MAX_COUNTERS);
	for (i = 0; i < KDD_SERVE_COUNT && n < CTL_MAX_COUNTERS; i++, n++) {
		cs[n].name = kdd_serve_counter_names[i];
		cs[n].value = d->serve.counters[i];
	}
	n += kdd_op_counters(d->op, cs + n, CTL_MAX_COUNTERS - n);
	n += kdd_republish_counters(d, cs + n, CTL_MAX_COUNTERS - n);
	if (n < CTL_MAX_COUNTERS && kdd_store_count(d->store, &values) == 0) {
		cs[n].name = "values_held";
		cs[n++].value = values;
	}
	for (i = 0; i < n; i++) {
		kdhtctl__counter__init(&items[i]);
		items[i].name = (char *)cs[i].name;
		items[i].value = cs[i].value;
		ptrs[i] = &items[i];
	}
	resp.status = KDHTCTL__STATUS__OK;
	resp.n_counters = n;
	resp.counters = ptrs;
	kdd_ctl_reply(r, &resp);
}

static void ctl_node(struct kdd *d, struct kdd_ctl_req *r)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	Kdhtctl__NodeInfo info = KDHTCTL__NODE_INFO__INIT;
	char addrs[4][64], *ptrs[4];
	unsigned int n, i;
	uint64_t values = 0;

	n = d->backend->ops->addresses(d->backend, addrs, 4);
	for (i = 0; i < n; i++)
		ptrs[i] = addrs[i];
	if (kdd_store_count(d->store, &values)) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__FAILED, "storage error");
		return;
	}
	info.id.data = (uint8_t *)d->ident.id.b;
	info.id.len = KDHT_ID_LEN;
	info.n_addrs = n;
	info.addrs = ptrs;
	info.backend = (char *)d->backend->ops->name;
	info.values = values;
	info.has_owner = true;
	info.owner.data = d->ident.pk;
	info.owner.len = sizeof(d->ident.pk);
	info.has_mesh_fingerprint = d->cfg.mesh_closed;
	info.mesh_fingerprint.data = d->cfg.mesh_closed ? d->cfg.mesh_id : NULL;
	info.mesh_fingerprint.len = d->cfg.mesh_closed ? KD_MESH_FPR_LEN : 0;
	resp.status = KDHTCTL__STATUS__OK;
	resp.node = &info;
	kdd_ctl_reply(r, &resp);
}

static void ctl_addr_op(struct kdd *d, struct kdd_ctl_req *r, const char *text, bool ping)
{
	struct kd_addr a;
	int rc;

	if (kd_addr_parse(&a, text, KDHT_DEFAULT_PORT) || !kd_addr_usable(&a)) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__BAD_REQUEST, "bad address");
		return;
	}
	if (ping) {
		rc = d->backend->ops->ping(d->backend, &a, on_ping_done, r);
		if (rc)
			kdd_ctl_reply_status(r, kdd_error_ctl_status(rc),
					     "too many pings in flight");
		return;
	}
	rc = d->backend->ops->bootstrap(d->backend, &a);
	kdd_ctl_reply_status(r, rc ? KDHTCTL__STATUS__FAILED : KDHTCTL__STATUS__OK,
			     rc ? "bootstrap refused (too many addresses?)" : NULL);
}

void kdd_ctl_requests_handle(void *ctx, struct kdd_ctl_req *r, const Kdhtctl__Request *req,
			     bool may_mutate)
{
	struct kdd *d = ctx;
	struct kd_node nodes[CTL_MAX_NODES];
	struct kdd_route routes[CTL_MAX_NODES];
	struct kd_id id;
	unsigned int n;
	int rc;

	if (d->stopping) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__UNAVAILABLE, "daemon shutting down");
		return;
	}
	switch (req->op_case) {
	case KDHTCTL__REQUEST__OP_PUT:
		ctl_put(d, r, req->put);
		break;
	case KDHTCTL__REQUEST__OP_GET:
		ctl_get(d, r, req->get);
		break;
	case KDHTCTL__REQUEST__OP_LOOKUP:
		memcpy(id.b, req->lookup->target.data, KDHT_ID_LEN);
		rc = d->backend->ops->lookup(d->backend, &id, on_lookup_done, r);
		if (rc)
			kdd_ctl_reply_status(r, kdd_error_ctl_status(rc),
					     "too many lookups in flight");
		break;
	case KDHTCTL__REQUEST__OP_PING:
		ctl_addr_op(d, r, req->ping->addr, true);
		break;
	case KDHTCTL__REQUEST__OP_BOOTSTRAP:
		ctl_addr_op(d, r, req->bootstrap->addr, false);
		break;
	case KDHTCTL__REQUEST__OP_ROUTES:
		n = d->backend->ops->routes(d->backend, nodes, routes, CTL_MAX_NODES);
		reply_nodes(r, nodes, NULL, routes, n, -1);
		break;
	case KDHTCTL__REQUEST__OP_STATS:
		ctl_stats(d, r);
		break;
	case KDHTCTL__REQUEST__OP_NODE:
		ctl_node(d, r);
		break;
	default:
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__BAD_REQUEST, "unknown request");
		break;
	}
}
