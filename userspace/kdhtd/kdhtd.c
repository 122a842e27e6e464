// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "kdhtd.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "addr.h"
#include "log.h"

#define CTL_MAX_NODES		256	/* routes listed by the control socket */
#define CTL_MAX_COUNTERS	96

static uint64_t wall_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec;
}

static uint64_t wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void on_backend_recv(void *ctx, const struct kdd_msg *m)
{
	struct kdd *d = ctx;

	if (d->stopping)
		return;
	if (m->hdr.flags & KDHT_F_REPLY)
		kdd_client_on_reply(d->client, m);
	else
		kdd_server_handle(&d->srv, m, uv_hrtime() / 1000000, wall_s());
}

/*
 * A new node may be closer to keys held here than their replicas: a
 * republish pass soon hands them over (joins in a burst share one pass).
 */
static void on_contact_added(void *ctx, const struct kd_node *n)
{
	struct kdd *d = ctx;
	uint64_t soon = wall_s() + KDD_HANDOFF_DELAY_S;

	if (!d->republishing && d->republish_at > soon)
		d->republish_at = soon;
}

/* ---- control requests ---- */

static Kdhtctl__Status status_of(int rc)
{
	switch (rc) {
	case -ENOENT:
		return KDHTCTL__STATUS__NOT_FOUND;
	case -ETIMEDOUT:
		return KDHTCTL__STATUS__TIMEOUT;
	case -EMSGSIZE:
		return KDHTCTL__STATUS__TOO_LARGE;
	case -ESHUTDOWN:
	case -ECANCELED:
		return KDHTCTL__STATUS__UNAVAILABLE;
	default:
		return KDHTCTL__STATUS__FAILED;
	}
}

static void on_put_done(void *arg, int status, const char *why, unsigned int acks)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	char msg[96];

	resp.status = status ? status_of(status) : KDHTCTL__STATUS__OK;
	resp.has_acks = true;
	resp.acks = acks;
	if (status) {
		snprintf(msg, sizeof(msg), "put failed: %s (%u acknowledged)", why, acks);
		resp.error = msg;
	}
	kdd_ctl_reply(arg, &resp);
}

static void on_get_done(void *arg, int status, const struct kdd_record *rec)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;

	if (status) {
		kdd_ctl_reply_status(arg, status_of(status),
				     status == -ENOENT ? "not found" :
				     status == -ETIMEDOUT ? "timed out" : "get failed");
		return;
	}
	resp.status = KDHTCTL__STATUS__OK;
	resp.has_value = true;
	resp.value.data = (uint8_t *)rec->value;
	resp.value.len = rec->len;
	resp.has_seq = true;
	resp.seq = rec->seq;
	resp.has_mutable_ = true;
	resp.mutable_ = rec->is_mutable;
	kdd_ctl_reply(arg, &resp);
}

static void node_to_ctl(Kdhtctl__Node *n, char *addr_buf, const struct kd_node *node,
			uint32_t rtt_ms)
{
	kdhtctl__node__init(n);
	n->id.data = (uint8_t *)node->id.b;
	n->id.len = KDHT_ID_LEN;
	kdd_addr_format(addr_buf, &node->addr);
	n->addr = addr_buf;
	n->has_rtt_ms = rtt_ms != 0;
	n->rtt_ms = rtt_ms;
}

/* Replies with a node list; rtt may be NULL. */
static void reply_nodes(struct kdd_ctl_req *r, const struct kd_node *nodes,
			const uint32_t *rtt, unsigned int n)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	Kdhtctl__Node *items = calloc(n ? n : 1, sizeof(*items));
	Kdhtctl__Node **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	char (*addrs)[KDD_ADDR_STRLEN] = calloc(n ? n : 1, KDD_ADDR_STRLEN);
	unsigned int i;

	if (!items || !ptrs || !addrs) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__FAILED, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		node_to_ctl(&items[i], addrs[i], &nodes[i], rtt ? rtt[i] : 0);
		ptrs[i] = &items[i];
	}
	resp.status = KDHTCTL__STATUS__OK;
	resp.n_nodes = n;
	resp.nodes = ptrs;
	kdd_ctl_reply(r, &resp);
out:
	free(items);
	free(ptrs);
	free(addrs);
}

static void on_lookup_done(void *arg, bool ok, const struct kd_lookup_hit *hits,
			   unsigned int nhits)
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
	reply_nodes(arg, nodes, rtt, nhits);
}

static void on_ping_done(void *arg, bool ok, const struct kd_node *node, uint32_t rtt_ms)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	Kdhtctl__Node n;
	char addr[KDD_ADDR_STRLEN];

	if (!ok) {
		kdd_ctl_reply_status(arg, KDHTCTL__STATUS__TIMEOUT, "no answer");
		return;
	}
	node_to_ctl(&n, addr, node, rtt_ms);
	resp.status = KDHTCTL__STATUS__OK;
	resp.has_rtt_ms = true;
	resp.rtt_ms = rtt_ms;
	resp.n_nodes = 1;
	resp.nodes = (Kdhtctl__Node *[]){ &n };
	kdd_ctl_reply(arg, &resp);
}

static void ctl_put(struct kdd *d, struct kdd_ctl_req *r, const Kdhtctl__Put *put)
{
	struct kdd_record rec;
	int rc;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.key.b, put->key.data, KDHT_ID_LEN);
	rec.value = put->value.data;
	rec.len = (uint32_t)put->value.len;
	if (put->has_mutable_ && put->mutable_) {
		rec.is_mutable = true;
		rec.seq = put->has_seq && put->seq ? put->seq : wall_ms();
		memcpy(rec.publisher.b, d->ident.pk, KDHT_ID_LEN);
		rec.has_sig = true;
		kdd_record_sign(&rec.key, rec.seq, true, rec.value, rec.len, d->ident.sk,
				rec.sig);
	}
	rc = kdd_client_put(d->client, &rec, put->has_ttl_s ? put->ttl_s : 0, on_put_done, r);
	if (rc)
		kdd_ctl_reply_status(r, status_of(rc), rc == -EMSGSIZE ? "value too large" :
				     rc == -EBUSY ? "too many operations in flight" :
				     "put failed to start");
}

static void ctl_stats(struct kdd *d, struct kdd_ctl_req *r)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;
	struct kdd_counter cs[CTL_MAX_COUNTERS];
	Kdhtctl__Counter items[CTL_MAX_COUNTERS], *ptrs[CTL_MAX_COUNTERS];
	unsigned int n, i;
	uint64_t values = 0;

	n = d->backend->ops->counters(d->backend, cs, CTL_MAX_COUNTERS);
	for (i = 0; i < KDD_SRV_COUNT && n < CTL_MAX_COUNTERS; i++, n++) {
		cs[n].name = kdd_srv_counter_names[i];
		cs[n].value = d->srv.counters[i];
	}
	n += kdd_client_counters(d->client, cs + n, CTL_MAX_COUNTERS - n);
	if (n + 2 <= CTL_MAX_COUNTERS) {
		cs[n].name = "republished";
		cs[n++].value = d->republished;
		cs[n].name = "republish_failed";
		cs[n++].value = d->republish_failed;
	}
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
	resp.status = KDHTCTL__STATUS__OK;
	resp.node = &info;
	kdd_ctl_reply(r, &resp);
}

static void ctl_addr_op(struct kdd *d, struct kdd_ctl_req *r, const char *text, bool ping)
{
	struct kd_addr a;
	int rc;

	if (kdd_addr_parse(&a, text, KDHT_DEFAULT_PORT) || !kd_addr_usable(&a)) {
		kdd_ctl_reply_status(r, KDHTCTL__STATUS__BAD_REQUEST, "bad address");
		return;
	}
	if (ping) {
		rc = d->backend->ops->ping(d->backend, &a, on_ping_done, r);
		if (rc)
			kdd_ctl_reply_status(r, status_of(rc), "too many pings in flight");
		return;
	}
	rc = d->backend->ops->bootstrap(d->backend, &a);
	kdd_ctl_reply_status(r, rc ? KDHTCTL__STATUS__FAILED : KDHTCTL__STATUS__OK,
			     rc ? "bootstrap refused (too many addresses?)" : NULL);
}

static void on_ctl_request(void *ctx, struct kdd_ctl_req *r, const Kdhtctl__Request *req,
			   bool may_mutate)
{
	struct kdd *d = ctx;
	struct kd_node nodes[CTL_MAX_NODES];
	uint32_t rtt[CTL_MAX_NODES];
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
		memcpy(id.b, req->get->key.data, KDHT_ID_LEN);
		rc = kdd_client_get(d->client, &id, on_get_done, r);
		if (rc)
			kdd_ctl_reply_status(r, status_of(rc), "get failed to start");
		break;
	case KDHTCTL__REQUEST__OP_LOOKUP:
		memcpy(id.b, req->lookup->target.data, KDHT_ID_LEN);
		rc = d->backend->ops->lookup(d->backend, &id, on_lookup_done, r);
		if (rc)
			kdd_ctl_reply_status(r, status_of(rc), "too many lookups in flight");
		break;
	case KDHTCTL__REQUEST__OP_PING:
		ctl_addr_op(d, r, req->ping->addr, true);
		break;
	case KDHTCTL__REQUEST__OP_BOOTSTRAP:
		ctl_addr_op(d, r, req->bootstrap->addr, false);
		break;
	case KDHTCTL__REQUEST__OP_ROUTES:
		n = d->backend->ops->routes(d->backend, nodes, rtt, CTL_MAX_NODES);
		reply_nodes(r, nodes, rtt, n);
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

/* ---- housekeeping ---- */

static void save_routes(struct kdd *d)
{
	struct kd_node nodes[KDD_SNAPSHOT_MAX];
	unsigned int n;
	int rc;

	n = d->backend->ops->routes(d->backend, nodes, NULL, KDD_SNAPSHOT_MAX);
	rc = kdd_store_save_routes(d->store, nodes, n);
	if (rc)
		kdd_log(KDD_LOG_WARN, "saving the routing snapshot: %s", strerror(-rc));
}

/* One batch of records copied out of the store, put after the read ends. */
struct republish_batch {
	unsigned int n;
	struct kdd_record rec[KDD_REPUBLISH_BATCH];
	uint8_t *value[KDD_REPUBLISH_BATCH];
	bool more;
	struct kd_id next;
};

static int collect_record(void *ctx, const struct kdd_record *rec)
{
	struct republish_batch *b = ctx;

	if (b->n == KDD_REPUBLISH_BATCH) {
		b->more = true;
		b->next = rec->key;
		return 1;
	}
	b->value[b->n] = malloc(rec->len ? rec->len : 1);
	if (!b->value[b->n])
		return -ENOMEM;
	memcpy(b->value[b->n], rec->value, rec->len);
	b->rec[b->n] = *rec;
	b->rec[b->n].value = b->value[b->n];
	b->n++;
	return 0;
}

static void on_republished(void *arg, int status, const char *why, unsigned int acks)
{
	struct kdd *d = arg;

	if (status) {
		d->republish_failed++;
		kdd_log(KDD_LOG_DEBUG, "republish: %s", why);
	} else {
		d->republished++;
	}
}

/*
 * Every republish interval each held record is stored again to the r nodes
 * now closest to its key, with the lifetime it has left: replicas lost to
 * churn are replaced and new closer nodes receive it.
 */
static void republish_step(struct kdd *d, uint64_t now)
{
	struct republish_batch b = { 0 };
	unsigned int i;
	int rc, read_rc;

	if (!d->republishing) {
		if (now < d->republish_at)
			return;
		d->republishing = true;
		memset(d->republish_from.b, 0, KDHT_ID_LEN);
	}
	read_rc = kdd_store_foreach(d->store, now, &d->republish_from, collect_record, &b);
	if (read_rc < 0)
		kdd_log(KDD_LOG_WARN, "republish: reading the store: %s", strerror(-read_rc));
	for (i = 0; i < b.n; i++) {
		rc = kdd_client_put(d->client, &b.rec[i], (uint32_t)(b.rec[i].expires - now),
				    on_republished, d);
		if (rc)
			d->republish_failed++;
		free(b.value[i]);
	}
	if (b.more && read_rc >= 0) {
		d->republish_from = b.next;
		return;
	}
	d->republishing = false;
	d->republish_at = now + d->cfg.republish_s;
}

static void on_housekeeping(uv_timer_t *t)
{
	struct kdd *d = t->data;
	uint64_t now = wall_s();
	int rc;

	kdd_server_expire(&d->srv, uv_hrtime() / 1000000);
	if (now - d->last_sweep >= KDD_SWEEP_S) {
		d->last_sweep = now;
		rc = kdd_store_sweep(d->store, now);
		if (rc < 0)
			kdd_log(KDD_LOG_WARN, "sweeping expired values: %s", strerror(-rc));
		else if (rc > 0)
			kdd_log(KDD_LOG_DEBUG, "%d expired values deleted", rc);
	}
	if (now - d->last_snapshot >= KDD_SNAPSHOT_S) {
		d->last_snapshot = now;
		save_routes(d);
	}
	republish_step(d, now);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct kdd *d = s->data;

	kdd_log(KDD_LOG_INFO, "signal %d: shutting down", signum);
	kdd_stop(d);
}

/* ---- start and stop ---- */

static int bootstrap_all(struct kdd *d)
{
	struct kd_node snap[KD_BOOTSTRAP_MAX];
	struct kd_addr a;
	unsigned int i;
	int n;

	for (i = 0; i < d->cfg.nbootstrap; i++) {
		if (kdd_addr_parse(&a, d->cfg.bootstrap[i], KDHT_DEFAULT_PORT) ||
		    !kd_addr_usable(&a)) {
			kdd_log(KDD_LOG_ERR, "bad bootstrap address '%s'", d->cfg.bootstrap[i]);
			return -1;
		}
		if (d->backend->ops->bootstrap(d->backend, &a))
			kdd_log(KDD_LOG_WARN, "bootstrap address '%s' not used",
				d->cfg.bootstrap[i]);
	}
	/* The contacts of the last run let a restarted node rejoin at once. */
	n = kdd_store_load_routes(d->store, snap, KD_BOOTSTRAP_MAX - d->cfg.nbootstrap);
	for (i = 0; n > 0 && i < (unsigned int)n; i++)
		d->backend->ops->bootstrap(d->backend, &snap[i].addr);
	if (n > 0)
		kdd_log(KDD_LOG_INFO, "rejoining through %d saved contacts", n);
	return 0;
}

static int make_dir(const char *path, mode_t mode)
{
	char tmp[PATH_MAX], *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int socket_dir(const char *sock)
{
	char dir[PATH_MAX], *slash;

	if (snprintf(dir, sizeof(dir), "%s", sock) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return make_dir(dir, 0755);
}

static int start_backend(struct kdd *d)
{
	struct kdd_user_backend_params p;
	struct kdd_backend_host host = {
		.ctx = d, .recv = on_backend_recv, .contact_added = on_contact_added,
	};
	const char *msg;
	int rc;

	if (d->cfg.backend != KDD_BACKEND_USER) {
		rc = kdd_kernel_backend_create(&d->backend, d->loop, d->cfg.port, &d->ident.id,
					       &host, &msg);
		if (rc == 0)
			return 0;
		d->backend = NULL;
		if (d->cfg.backend == KDD_BACKEND_KERNEL) {
			kdd_log(KDD_LOG_ERR, "kernel backend: %s: %s", msg, strerror(-rc));
			return -1;
		}
		kdd_log(KDD_LOG_INFO, "kernel backend unavailable (%s: %s), routing in-process",
			msg, strerror(-rc));
	}
	memset(&p, 0, sizeof(p));
	kdd_config_core_params(&d->cfg, &p.core);
	p.port = d->cfg.port;
	p.bind4 = strcmp(d->cfg.bind4, "none") == 0 ? "" : d->cfg.bind4[0] ? d->cfg.bind4 : NULL;
	p.bind6 = strcmp(d->cfg.bind6, "none") == 0 ? "" : d->cfg.bind6[0] ? d->cfg.bind6 : NULL;
	rc = kdd_user_backend_create(&d->backend, d->loop, &p, &d->ident.id, &host, &msg);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "routing backend: %s: %s", msg,
			rc < 0 && rc > -4096 ? uv_strerror(rc) : "failed");
		d->backend = NULL;
		return -1;
	}
	return 0;
}

int kdd_start(struct kdd *d, uv_loop_t *loop, const struct kdd_config *cfg)
{
	struct kdd_store_params sp;
	struct kdd_client_params cp;
	struct group *gr;
	gid_t gid = (gid_t)-1;
	const char *msg;
	char idhex[2 * KDHT_ID_LEN + 1];
	int rc;

	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->cfg = *cfg;
	rc = make_dir(cfg->state_dir, 0700);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "state directory %s: %s", cfg->state_dir, strerror(-rc));
		return -1;
	}
	rc = kdd_identity_load(&d->ident, cfg->state_dir, &msg);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "%s/%s: %s: %s", cfg->state_dir, KDD_IDENTITY_FILE, msg,
			strerror(-rc));
		return -1;
	}
	kdd_store_params_default(&sp);
	sp.map_size = cfg->map_size;
	sp.max_value = cfg->max_value;
	sp.default_ttl_s = cfg->default_ttl_s;
	sp.max_ttl_s = cfg->max_ttl_s;
	rc = kdd_store_open(&d->store, cfg->state_dir, &sp, &msg);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "store in %s: %s: %s", cfg->state_dir, msg, strerror(-rc));
		return -1;
	}
	if (start_backend(d))
		goto err_store;
	kdd_server_init(&d->srv, d->store, d->backend, cfg->max_value);
	cp.r = cfg->r;
	cp.w = cfg->w;
	cp.default_ttl_s = cfg->default_ttl_s;
	cp.timeout_ms = cfg->request_timeout_ms;
	cp.retries = cfg->retries;
	cp.max_value = cfg->max_value;
	rc = kdd_client_create(&d->client, loop, d->backend, &d->srv, &cp);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "put/get engine: %s", strerror(-rc));
		goto err_backend;
	}
	if (cfg->group[0]) {
		gr = getgrnam(cfg->group);
		if (!gr) {
			kdd_log(KDD_LOG_ERR, "unknown group '%s'", cfg->group);
			goto err_client;
		}
		gid = gr->gr_gid;
	}
	rc = socket_dir(cfg->socket_path);
	if (!rc)
		rc = kdd_ctl_start(&d->ctl, loop, cfg->socket_path, gid, cfg->max_value,
				   on_ctl_request, d);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "control socket %s: %s", cfg->socket_path,
			rc > -4096 ? uv_strerror(rc) : "failed");
		goto err_client;
	}
	if (uv_timer_init(loop, &d->housekeeping) || uv_signal_init(loop, &d->sigterm) ||
	    uv_signal_init(loop, &d->sigint)) {
		kdd_log(KDD_LOG_ERR, "creating timers and signal handlers failed");
		goto err_ctl;
	}
	d->housekeeping.data = d;
	d->sigterm.data = d;
	d->sigint.data = d;
	d->last_sweep = d->last_snapshot = wall_s();
	d->republish_at = wall_s() + cfg->republish_s;
	if (uv_timer_start(&d->housekeeping, on_housekeeping, KDD_HOUSEKEEPING_MS,
			   KDD_HOUSEKEEPING_MS) ||
	    uv_signal_start(&d->sigterm, on_signal, SIGTERM) ||
	    uv_signal_start(&d->sigint, on_signal, SIGINT)) {
		kdd_log(KDD_LOG_ERR, "starting timers and signal handlers failed");
		goto err_handles;
	}
	if (bootstrap_all(d))
		goto err_handles;
	sodium_bin2hex(idhex, sizeof(idhex), d->ident.id.b, KDHT_ID_LEN);
	kdd_log(KDD_LOG_INFO, "node %s, %s backend, port %u, control %s", idhex,
		d->backend->ops->name, cfg->port, cfg->socket_path);
	return 0;

err_handles:
	d->stopping = true;
	uv_close((uv_handle_t *)&d->housekeeping, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
err_ctl:
	kdd_ctl_stop(d->ctl);
err_client:
	kdd_client_stop(d->client);
err_backend:
	d->backend->ops->stop(d->backend);
	/* The handles' closes must run before their memory goes. */
	uv_run(loop, UV_RUN_DEFAULT);
	if (d->client)
		kdd_client_destroy(d->client);
	d->backend->ops->destroy(d->backend);
	kdd_server_fini(&d->srv);
err_store:
	kdd_store_close(d->store);
	return -1;
}

void kdd_stop(struct kdd *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	save_routes(d);
	kdd_ctl_stop(d->ctl);
	kdd_client_stop(d->client);
	d->backend->ops->stop(d->backend);
	uv_close((uv_handle_t *)&d->housekeeping, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
}

void kdd_free(struct kdd *d)
{
	kdd_client_destroy(d->client);
	d->backend->ops->destroy(d->backend);
	kdd_server_fini(&d->srv);
	kdd_store_close(d->store);
	sodium_memzero(d->ident.sk, sizeof(d->ident.sk));
}
