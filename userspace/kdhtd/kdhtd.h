/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The daemon: its parts wired to one libuv loop. */
#ifndef KDD_KDHTD_H
#define KDD_KDHTD_H

#include "backend.h"
#include "op.h"
#include "config.h"
#include "ctl.h"
#include "identity.h"
#include "serve.h"
#include "store.h"

#define KDD_LOCK_FILE		"kdhtd.lock"	/* in the state directory, flock'd */
#define KDD_HOUSEKEEPING_MS	1000	/* partial STOREs expiry */
/* Expired records deleted every: KDD_SWEEP_BATCH a second outpaces 10,000 expiring a minute. */
#define KDD_SWEEP_S		1
#define KDD_SNAPSHOT_S		60	/* routing table saved every */
#define KDD_REPUBLISH_INFLIGHT	8	/* republishing puts running at once */
#define KDD_USER_OPS		8	/* operations republishing leaves to users */
#define KDD_HANDOFF_DELAY_S	5	/* a routing change triggers a pass this soon */

struct kdd {
	uv_loop_t *loop;
	struct kdd_config cfg;
	struct kdd_identity ident;
	int state_lock;			/* flock'd KDD_LOCK_FILE: one kdhtd per state directory */
	struct kdd_store *store;
	struct kdd_quota *quota;
	struct kdd_backend *backend;
	struct kdd_serve serve;
	struct kdd_op_engine *op;
	struct kdd_ctl *ctl;
	uv_timer_t housekeeping;
	uv_check_t commit;		/* group commit of STOREs after each turn's I/O */
	uv_idle_t commit_spin;		/* keeps the loop turning while records come */
	uv_timer_t commit_timer;	/* the staged records' flush, when due */
	uv_signal_t sigterm, sigint;
	uint64_t last_sweep, last_snapshot;
	/* Republishing (republish.c) walks the store in key order. */
	uint64_t republish_at;		/* wall clock of the next pass */
	bool republishing;
	bool republish_read_all;	/* this pass has started a put of every record */
	bool republish_again;		/* the routing changed during this pass */
	bool republish_busy;
	unsigned int republish_inflight;
	struct kd_id republish_from;
	uint64_t republished, republish_failed, republish_passes;
	uint8_t republish_buf[KDD_MAX_VALUE];
	bool stopping;
};

/* Opens everything cfg names; returns 0 or -1 after logging one line. */
int kdd_start(struct kdd *d, uv_loop_t *loop, const struct kdd_config *cfg);

/* Stops I/O; the loop then ends, and kdd_free releases the rest. */
void kdd_stop(struct kdd *d);
void kdd_free(struct kdd *d);

/* ctl_requests.c: answers a control request (a kdd_ctl_request_fn). */
void kdd_ctl_requests_handle(void *ctx, struct kdd_ctl_req *r, const Kdhtctl__Request *req,
			     bool may_mutate);

/* republish.c: starts or continues a pass when due (now: wall clock). */
void kdd_republish_step(struct kdd *d, uint64_t now);
/* The routing table changed: a pass soon. */
void kdd_republish_soon(struct kdd *d);
unsigned int kdd_republish_counters(struct kdd *d, struct kdd_counter *out, unsigned int max);

#endif /* KDD_KDHTD_H */
