/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * put and get across the network. put: a lookup of the key, the record sent
 * in parts to the r closest nodes (this node among them if it is one of the
 * r closest), success once w committed it. get: a lookup, FIND_VALUE to the
 * r closest; an immutable value ends the search at once, a mutable one is
 * read from every replica, the highest sequence number wins and stale
 * replicas are repaired. Each request is retried a bounded number of times.
 */
#ifndef KDD_CLIENT_H
#define KDD_CLIENT_H

#include "backend.h"
#include "server.h"

#define KDD_CLIENT_MAX_OPS	32	/* puts and gets in flight */
#define KDD_CLIENT_MAX_REQS	2048	/* value requests awaiting a reply */
#define KDD_CLIENT_TICK_MS	50	/* retransmission timer granularity */
#define KDD_MAX_R		KDHT_MAX_NODES	/* replicas of one value at most */

struct kdd_client_params {
	unsigned int r, w;
	uint32_t default_ttl_s;	/* a put without a lifetime */
	uint32_t timeout_ms;	/* one request */
	unsigned int retries;
	uint32_t max_value;
};

/* status: 0, or a negative errno; acks: replicas that committed it. */
typedef void (*kdd_put_cb)(void *arg, int status, const char *why, unsigned int acks);
/* status: 0 (rec valid during the call), -ENOENT, -ETIMEDOUT, -EIO... */
typedef void (*kdd_get_cb)(void *arg, int status, const struct kdd_record *rec);

struct kdd_client;

int kdd_client_create(struct kdd_client **out, uv_loop_t *loop, struct kdd_backend *b,
		      struct kdd_server *local, const struct kdd_client_params *p);

/*
 * Starts a put of rec (key, value, len, is_mutable; for a mutable record
 * also seq, publisher and sig). -EMSGSIZE over max_value, -EBUSY when
 * KDD_CLIENT_MAX_OPS run; otherwise cb follows.
 */
int kdd_client_put(struct kdd_client *c, const struct kdd_record *rec, uint32_t ttl_s,
		   kdd_put_cb cb, void *arg);
int kdd_client_get(struct kdd_client *c, const struct kd_id *key, kdd_get_cb cb, void *arg);

/* A STORE_ACK or VALUE reply. */
void kdd_client_on_reply(struct kdd_client *c, const struct kdd_msg *m);

unsigned int kdd_client_counters(struct kdd_client *c, struct kdd_counter *out,
				 unsigned int max);

/* Fails every operation in flight and closes the timer; free after the loop ran. */
void kdd_client_stop(struct kdd_client *c);
void kdd_client_destroy(struct kdd_client *c);

#endif /* KDD_CLIENT_H */
