/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The daemon: its parts wired to one libuv loop. */
#ifndef KDD_KDHTD_H
#define KDD_KDHTD_H

#include "backend.h"
#include "client.h"
#include "config.h"
#include "ctl.h"
#include "identity.h"
#include "server.h"
#include "store.h"

#define KDD_HOUSEKEEPING_MS	1000	/* partial STOREs expiry */
#define KDD_SWEEP_S		60	/* expired records deleted every */
#define KDD_SNAPSHOT_S		60	/* routing table saved every */
#define KDD_REPUBLISH_BATCH	4	/* records republished per housekeeping turn */
#define KDD_HANDOFF_DELAY_S	5	/* a new contact triggers a pass this soon */

struct kdd {
	uv_loop_t *loop;
	struct kdd_config cfg;
	struct kdd_identity ident;
	struct kdd_store *store;
	struct kdd_backend *backend;
	struct kdd_server srv;
	struct kdd_client *client;
	struct kdd_ctl *ctl;
	uv_timer_t housekeeping;
	uv_signal_t sigterm, sigint;
	uint64_t last_sweep, last_snapshot;
	/* Republishing walks the store in key order, a batch per turn. */
	uint64_t republish_at;		/* wall clock of the next pass */
	bool republishing;
	struct kd_id republish_from;
	uint64_t republished, republish_failed;
	bool stopping;
};

/* Opens everything cfg names; returns 0 or -1 after logging one line. */
int kdd_start(struct kdd *d, uv_loop_t *loop, const struct kdd_config *cfg);

/* Stops I/O; the loop then ends, and kdd_free releases the rest. */
void kdd_stop(struct kdd *d);
void kdd_free(struct kdd *d);

#endif /* KDD_KDHTD_H */
