/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Every limit and tunable of the routing core, with its default. The memory
 * of a node is fixed at init from these; no table or pool ever grows.
 */
#ifndef KD_PARAMS_H
#define KD_PARAMS_H

#include "kd_port.h"
#include "kdht_wire.h"

/* Hard bounds on the parameters (what kd_params_check() accepts). */
#define KD_K_MAX		KDHT_MAX_NODES	/* a NODES reply carries k entries */
#define KD_ALPHA_MAX		8
#define KD_CONTACTS_MAX		65000		/* u16 pool indexes */
#define KD_REPL_MAX		32
#define KD_INFLIGHT_MAX		65000
#define KD_LOOKUPS_MAX		1024
#define KD_LOOKUP_WIDTH_MAX	512
#define KD_BOOTSTRAP_MAX	16		/* remembered bootstrap addresses */
#define KD_LOOKUP_RETRIES_MAX	3
#define KD_RL_ENTRIES_MAX	1048576		/* rate limiter sources, 2^20 */
#define KD_RL_RATE_MAX		1000000		/* requests per second */
#define KD_RL_BURST_MAX		1000000		/* x1000 milli-requests fits a u32 */

struct kd_params {
	u8 k;			/* bucket size and lookup result size: 20 */
	u8 alpha;		/* lookup requests in flight: 3 */
	u8 repl_per_bucket;	/* replacement cache entries per bucket: 8 */
	u8 max_fails;		/* unanswered requests in a row before "bad": 3 */
	u8 lookup_retries;	/* resends of a timed-out lookup request: 1 */
	u8 subnet_per_bucket;	/* contacts of one /24 (/48) in a bucket: 2 */
	u16 subnet_per_table;	/* contacts of one /24 (/48) in the table: 10 */
	u16 max_contacts;	/* contact pool, bucket members and replacements: 1024 */
	u16 max_inflight;	/* outstanding requests the node tracks: 256 */
	u16 max_lookups;	/* concurrent lookups: 16 */
	u16 lookup_width;	/* candidates one lookup keeps, closest first: 64 */
	u32 request_timeout_ms;	/* one request's timeout: 2000 */
	u32 lookup_timeout_ms;	/* a lookup's whole life: 30000 */
	u32 good_ms;		/* silence after which a contact is questionable: 15 min */
	u32 refresh_ms;		/* an untouched bucket is refreshed after: 15 min */
	u32 bootstrap_min_ms;	/* first bootstrap retry: 1000, doubling... */
	u32 bootstrap_max_ms;	/* ...up to: 60000 */
	u32 token_rotate_ms;	/* token secret rotation: 5 min (tokens live 2 periods) */
	u32 rl_entries;		/* rate limiter sources tracked: 4096 */
	u32 rl_rate;		/* requests per second per source: 100 */
	u32 rl_burst;		/* bucket depth per source: 200 */
	u32 rl_idle_ms;		/* idle rate-limiter entries collected after: 10000 */
	/*
	 * Requests from unvalidated sources answered per second by the whole
	 * node (burst: one second's worth); beyond it the node is under load
	 * and answers validated requests only: 1000.
	 */
	u32 unvalidated_rate;
	u16 max_unproven;	/* senders kept while their address is unproven: 64 */
};

void kd_params_default(struct kd_params *p);

/* 0 if every field is within its bound, -EINVAL otherwise. */
int kd_params_check(const struct kd_params *p);

#endif /* KD_PARAMS_H */
