// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "kdhtd.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "log.h"

static void on_backend_recv(void *ctx, const struct kdd_msg *m)
{
	struct kdd *d = ctx;

	if (d->stopping)
		return;
	if (!kd_msg_is_request(m->hdr.type, m->hdr.flags))
		kdd_op_on_reply(d->op, m);
	else
		kdd_serve_handle(&d->serve, m, kdd_mono_ms(), kdd_wall_s());
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

	kdd_serve_flush(&d->serve, kdd_wall_s());
}

/* STOREs are committed in groups, then acknowledged (serve.h). */
static void on_commit(uv_check_t *h)
{
	struct kdd *d = h->data;
	int wait, rc;

	wait = kdd_serve_turn(&d->serve, kdd_mono_us(), kdd_wall_s());
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

	kdd_serve_expire(&d->serve, kdd_mono_ms());
	if (now - d->last_sweep >= KDD_SWEEP_S) {
		d->last_sweep = now;
		rc = kdd_store_sweep(d->store, now);
		if (rc < 0)
			kdd_log(KDD_LOG_WARN, "sweeping expired values: %s", strerror(-rc));
		else if (rc > 0)
			kdd_log(KDD_LOG_DEBUG, "%d expired values deleted", rc);
		rc = kdd_quota_sweep(d->quota, now);
		if (rc < 0)
			kdd_log(KDD_LOG_WARN, "releasing expired quota charges: %s",
				strerror(-rc));
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

static void unlock_state(struct kdd *d)
{
	if (d->state_lock >= 0)
		close(d->state_lock);
	d->state_lock = -1;
}

/*
 * One kdhtd per state directory: a second would run with the same node id
 * on the same LMDB environment. The flock goes with the holder's last
 * descriptor, however it ends, so a crash leaves no stale lock behind.
 */
static int lock_state(struct kdd *d, const char *dir)
{
	char path[PATH_MAX];

	d->state_lock = -1;
	if (snprintf(path, sizeof(path), "%s/%s", dir, KDD_LOCK_FILE) >= (int)sizeof(path)) {
		kdd_log(KDD_LOG_ERR, "state directory %s: %s", dir, strerror(ENAMETOOLONG));
		return -1;
	}
	d->state_lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->state_lock >= 0 && flock(d->state_lock, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK)
		kdd_log(KDD_LOG_ERR, "state directory %s is in use by another kdhtd", dir);
	else
		kdd_log(KDD_LOG_ERR, "%s: %s", path, strerror(errno));
	unlock_state(d);
	return -1;
}

/* The state directory (locked), the node's identity and the store. */
static int open_state(struct kdd *d)
{
	struct kdd_store_params sp;
	const char *dir = d->cfg.state_dir;
	const char *msg;
	int rc;

	rc = make_dir(dir, 0700);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "state directory %s: %s", dir, strerror(-rc));
		return -1;
	}
	if (lock_state(d, dir))
		return -1;
	rc = kdd_identity_load(&d->ident, dir, &msg);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "%s/%s: %s: %s", dir, KDD_IDENTITY_FILE, msg, strerror(-rc));
		unlock_state(d);
		return -1;
	}
	kdd_config_store_params(&d->cfg, &sp);
	rc = kdd_store_open(&d->store, dir, &sp, &msg);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "store in %s: %s: %s", dir, msg, strerror(-rc));
		unlock_state(d);
		return -1;
	}
	/*
	 * In a closed mesh every source proved the mesh key: a fleet often
	 * shares one /24, so a per-prefix quota would cap the whole fleet as
	 * one tenant. Publishers stay bounded.
	 */
	if (d->cfg.mesh_closed) {
		d->cfg.quota.source_bytes = 0;
		d->cfg.quota.source_records = 0;
	}
	rc = kdd_quota_open(&d->quota, d->store, &d->cfg.quota);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "storage quotas in %s: %s", dir, strerror(-rc));
		kdd_store_close(d->store);
		unlock_state(d);
		return -1;
	}
	return 0;
}

/* kdht.ko's node, unless told to route in-process; 0, or 1 to route in-process. */
static int start_kernel_backend(struct kdd *d, const struct kdd_backend_host *host)
{
	const char *msg;
	int rc;

	rc = kdd_kernel_backend_create(&d->backend, d->loop, d->cfg.port,
				       d->cfg.mesh_closed ? d->cfg.mesh_tag_key : NULL,
				       &d->ident.id, host, &msg);
	if (rc == 0)
		return 0;
	d->backend = NULL;
	if (d->cfg.backend == KDD_BACKEND_KERNEL) {
		kdd_log(KDD_LOG_ERR, "kernel backend: %s: %s", msg, strerror(-rc));
		return -1;
	}
	kdd_log(KDD_LOG_INFO, "kernel backend unavailable (%s: %s), routing in-process",
		msg, strerror(-rc));
	return 1;
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
		rc = start_kernel_backend(d, &host);
		if (rc <= 0)
			return rc;
	}
	kdd_config_user_backend_params(&d->cfg, &p);
	rc = kdd_user_backend_create(&d->backend, d->loop, &p, &d->ident.id, &host, &msg);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "routing backend: %s: %s", msg,
			rc < 0 && rc > -4096 ? uv_strerror(rc) : "failed");
		d->backend = NULL;
		return -1;
	}
	return 0;
}

/* What peers ask of us (serve) and what we ask of them (op). */
static int start_values(struct kdd *d)
{
	struct kdd_op_params op;
	int rc;

	rc = kdd_serve_init(&d->serve, d->store, d->backend, d->cfg.max_value);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "value server: %s", strerror(-rc));
		return -1;
	}
	kdd_serve_set_quota(&d->serve, d->quota, d->cfg.max_ttl_s);
	d->serve.mesh_id = d->cfg.mesh_closed ? d->cfg.mesh_id : NULL;
	kdd_config_op_params(&d->cfg, &op);
	rc = kdd_op_create(&d->op, d->loop, d->backend, &d->serve, &op);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "put/get engine: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static int start_ctl(struct kdd *d)
{
	struct kdd_ctl_params p;
	int rc;

	if (kdd_config_ctl_params(&d->cfg, &p)) {
		kdd_log(KDD_LOG_ERR, "unknown group '%s'", d->cfg.group);
		return -1;
	}
	rc = socket_dir(p.path);
	if (!rc)
		rc = kdd_ctl_start(&d->ctl, d->loop, &p, kdd_ctl_requests_handle, d);
	if (rc == -EADDRINUSE) {
		kdd_log(KDD_LOG_ERR, "control socket %s: another daemon answers there", p.path);
		return -1;
	}
	if (rc) {
		kdd_log(KDD_LOG_ERR, "control socket %s: %s", p.path,
			rc > -4096 ? uv_strerror(rc) : "failed");
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

/* The housekeeping timer, the group commit and the signals. */
static int start_handles(struct kdd *d)
{
	if (uv_timer_start(&d->housekeeping, on_housekeeping, KDD_HOUSEKEEPING_MS,
			   KDD_HOUSEKEEPING_MS) ||
	    uv_check_start(&d->commit, on_commit) ||
	    uv_signal_start(&d->sigterm, on_signal, SIGTERM) ||
	    uv_signal_start(&d->sigint, on_signal, SIGINT)) {
		kdd_log(KDD_LOG_ERR, "starting timers and signal handlers failed");
		return -1;
	}
	return 0;
}

static void log_started(struct kdd *d)
{
	char idhex[2 * KDHT_ID_LEN + 1];
	char fpr[2 * KD_MESH_FPR_LEN + 1];

	sodium_bin2hex(idhex, sizeof(idhex), d->ident.id.b, KDHT_ID_LEN);
	kdd_log(KDD_LOG_INFO, "node %s, %s backend, port %u, control %s", idhex,
		d->backend->ops->name, d->cfg.port, d->cfg.socket_path);
	if (!d->cfg.mesh_closed)
		return;
	sodium_bin2hex(fpr, sizeof(fpr), d->cfg.mesh_id, KD_MESH_FPR_LEN);
	kdd_log(KDD_LOG_INFO, "closed mesh, fingerprint %s", fpr);
}

int kdd_start(struct kdd *d, uv_loop_t *loop, const struct kdd_config *cfg)
{
	int rc;

	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->cfg = *cfg;
	if (open_state(d))
		return -1;
	if (start_backend(d))
		goto err_store;
	if (start_values(d))
		goto err_backend;
	if (start_ctl(d))
		goto err_op;
	rc = init_handles(d);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "creating timers and signal handlers: %s", uv_strerror(rc));
		goto err_ctl;
	}
	d->last_sweep = d->last_snapshot = kdd_wall_s();
	d->republish_at = kdd_wall_s() + cfg->republish_s;
	if (start_handles(d) || bootstrap_all(d))
		goto err_handles;
	log_started(d);
	return 0;

err_handles:
	d->stopping = true;
	close_handles(d);
err_ctl:
	kdd_ctl_stop(d->ctl);
err_op:
	kdd_op_stop(d->op);
err_backend:
	d->backend->ops->stop(d->backend);
	/* The handles' closes must run before their memory goes. */
	uv_run(loop, UV_RUN_DEFAULT);
	if (d->op)
		kdd_op_destroy(d->op);
	d->backend->ops->destroy(d->backend);
	kdd_serve_fini(&d->serve);
err_store:
	/* A backend that failed halfway goes with its last handle's close. */
	uv_run(loop, UV_RUN_DEFAULT);
	kdd_quota_close(d->quota);
	kdd_store_close(d->store);
	unlock_state(d);
	return -1;
}

void kdd_stop(struct kdd *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	save_routes(d);
	kdd_serve_flush(&d->serve, kdd_wall_s());
	kdd_ctl_stop(d->ctl);
	kdd_op_stop(d->op);
	d->backend->ops->stop(d->backend);
	close_handles(d);
}

void kdd_free(struct kdd *d)
{
	kdd_op_destroy(d->op);
	d->backend->ops->destroy(d->backend);
	kdd_serve_fini(&d->serve);
	kdd_quota_close(d->quota);
	kdd_store_close(d->store);
	unlock_state(d);
	sodium_memzero(d->ident.sk, sizeof(d->ident.sk));
}
