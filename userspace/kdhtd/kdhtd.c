// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "kdhtd.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "addr.h"
#include "clock.h"
#include "log.h"

static void on_backend_recv(void *ctx, const struct kdd_msg *m)
{
	struct kdd *d = ctx;

	if (d->stopping)
		return;
	if (m->hdr.flags & KDHT_F_REPLY)
		kdd_client_on_reply(d->client, m);
	else
		kdd_server_handle(&d->srv, m, kdd_mono_ms(), kdd_wall_s());
}

/*
 * A new node may be closer to keys held here than their replicas, and a
 * node gone may have been one: a republish pass soon hands the records over
 * and replaces lost copies (changes in a burst share one pass).
 */
static void on_contact_changed(void *ctx, const struct kd_node *n)
{
	kdd_republish_soon(ctx);
}

static void on_commit_spin(uv_idle_t *h)
{
}

static void on_commit_due(uv_timer_t *t)
{
	struct kdd *d = t->data;

	kdd_server_flush(&d->srv, kdd_wall_s());
}

/* STOREs are committed in groups, then acknowledged (server.h). */
static void on_commit(uv_check_t *h)
{
	struct kdd *d = h->data;
	int wait, rc;

	wait = kdd_server_turn(&d->srv, kdd_mono_us(), kdd_wall_s());
	rc = wait == 0 ? uv_idle_start(&d->commit_spin, on_commit_spin) :
			 uv_idle_stop(&d->commit_spin);
	if (!rc)
		rc = wait > 0 ? uv_timer_start(&d->commit_timer, on_commit_due,
					       (uint64_t)wait, 0) :
				uv_timer_stop(&d->commit_timer);
	if (rc)
		kdd_log(KDD_LOG_ERR, "group commit: %s", uv_strerror(rc));
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

static void on_housekeeping(uv_timer_t *t)
{
	struct kdd *d = t->data;
	uint64_t now = kdd_wall_s();
	int rc;

	kdd_server_expire(&d->srv, kdd_mono_ms());
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
	kdd_republish_step(d, now);
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
		if (kd_addr_parse(&a, d->cfg.bootstrap[i], KDHT_DEFAULT_PORT) ||
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
		.ctx = d, .recv = on_backend_recv, .contact_added = on_contact_changed,
		.contact_removed = on_contact_changed,
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
	p.rcvbuf = d->cfg.udp_buffer;
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

static void close_handles(struct kdd *d)
{
	uv_close((uv_handle_t *)&d->housekeeping, NULL);
	uv_close((uv_handle_t *)&d->commit, NULL);
	uv_close((uv_handle_t *)&d->commit_spin, NULL);
	uv_close((uv_handle_t *)&d->commit_timer, NULL);
	uv_close((uv_handle_t *)&d->sigterm, NULL);
	uv_close((uv_handle_t *)&d->sigint, NULL);
}

/* The daemon's own timer, check, idle and signal handles; 0 or a libuv error. */
static int init_handles(struct kdd *d)
{
	int rc;

	rc = uv_timer_init(d->loop, &d->housekeeping);
	if (rc)
		return rc;
	rc = uv_check_init(d->loop, &d->commit);
	if (rc)
		goto err_timer;
	rc = uv_idle_init(d->loop, &d->commit_spin);
	if (rc)
		goto err_check;
	rc = uv_timer_init(d->loop, &d->commit_timer);
	if (rc)
		goto err_idle;
	rc = uv_signal_init(d->loop, &d->sigterm);
	if (rc)
		goto err_commit_timer;
	rc = uv_signal_init(d->loop, &d->sigint);
	if (rc)
		goto err_sigterm;
	d->housekeeping.data = d;
	d->commit.data = d;
	d->commit_spin.data = d;
	d->commit_timer.data = d;
	d->sigterm.data = d;
	d->sigint.data = d;
	return 0;

err_sigterm:
	uv_close((uv_handle_t *)&d->sigterm, NULL);
err_commit_timer:
	uv_close((uv_handle_t *)&d->commit_timer, NULL);
err_idle:
	uv_close((uv_handle_t *)&d->commit_spin, NULL);
err_check:
	uv_close((uv_handle_t *)&d->commit, NULL);
err_timer:
	uv_close((uv_handle_t *)&d->housekeeping, NULL);
	return rc;
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
	rc = kdd_server_init(&d->srv, d->store, d->backend, cfg->max_value);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "value server: %s", strerror(-rc));
		goto err_backend;
	}
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
				   kdd_on_ctl_request, d);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "control socket %s: %s", cfg->socket_path,
			rc > -4096 ? uv_strerror(rc) : "failed");
		goto err_client;
	}
	rc = init_handles(d);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "creating timers and signal handlers: %s", uv_strerror(rc));
		goto err_ctl;
	}
	d->last_sweep = d->last_snapshot = kdd_wall_s();
	d->republish_at = kdd_wall_s() + cfg->republish_s;
	if (uv_timer_start(&d->housekeeping, on_housekeeping, KDD_HOUSEKEEPING_MS,
			   KDD_HOUSEKEEPING_MS) ||
	    uv_check_start(&d->commit, on_commit) ||
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
	close_handles(d);
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
	kdd_server_flush(&d->srv, kdd_wall_s());
	kdd_ctl_stop(d->ctl);
	kdd_client_stop(d->client);
	d->backend->ops->stop(d->backend);
	close_handles(d);
}

void kdd_free(struct kdd *d)
{
	kdd_client_destroy(d->client);
	d->backend->ops->destroy(d->backend);
	kdd_server_fini(&d->srv);
	kdd_store_close(d->store);
	sodium_memzero(d->ident.sk, sizeof(d->ident.sk));
}
