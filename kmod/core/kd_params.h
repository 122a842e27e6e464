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

/* The defaults, set by kd_params_default(); kdhtd's --help shows those it has options for. */
#define KD_DEFAULT_K			20
#define KD_DEFAULT_ALPHA		3
#define KD_DEFAULT_REPL_PER_BUCKET	8
#define KD_DEFAULT_MAX_FAILS		3
#define KD_DEFAULT_LOOKUP_RETRIES	1
#define KD_DEFAULT_SUBNET_PER_BUCKET	2
#define KD_DEFAULT_SUBNET_PER_TABLE	10
#define KD_DEFAULT_RESULT_PER_SUBNET	2
#define KD_DEFAULT_MAX_CONTACTS		1024
#define KD_DEFAULT_MAX_INFLIGHT		256
#define KD_DEFAULT_MAX_LOOKUPS		16
#define KD_DEFAULT_LOOKUP_WIDTH		64
#define KD_DEFAULT_REQUEST_TIMEOUT_MS	2000
#define KD_DEFAULT_REQUEST_TIMEOUT_MIN_MS	200
#define KD_DEFAULT_LOOKUP_TIMEOUT_MS	30000
#define KD_DEFAULT_GOOD_MS		(15 * 60 * 1000)
#define KD_DEFAULT_REFRESH_MS		(15 * 60 * 1000)
#define KD_DEFAULT_BOOTSTRAP_MIN_MS	1000
#define KD_DEFAULT_BOOTSTRAP_MAX_MS	60000
/* Below this many members a joined node runs its join lookup again. */
#define KD_JOIN_MEMBERS			8
#define KD_DEFAULT_TOKEN_ROTATE_MS	(5 * 60 * 1000)
#define KD_DEFAULT_RL_ENTRIES		4096
#define KD_DEFAULT_RL_RATE		100
#define KD_DEFAULT_RL_BURST		200
#define KD_DEFAULT_RL_IDLE_MS		10000
#define KD_DEFAULT_UNVALIDATED_RATE	1000
#define KD_DEFAULT_MAX_UNPROVEN		64

struct kd_params {
	u8 k;			/* bucket size and lookup result size */
	u8 alpha;		/* lookup requests in flight */
	u8 repl_per_bucket;	/* replacement cache entries per bucket */
	u8 max_fails;		/* unanswered requests in a row before "bad" */
	u8 lookup_retries;	/* resends of a timed-out lookup request */
	u8 subnet_per_bucket;	/* contacts of one /24 (/48) in a bucket */
	u16 subnet_per_table;	/* contacts of one /24 (/48) in the table */
	/*
	 * Nodes of one /24 (/48) in a lookup's result and in a NODES reply,
	 * so that one subnet cannot fill the k closest to a key.
	 */
	u8 result_per_subnet;
	u16 max_contacts;	/* contact pool, bucket members and replacements */
	u16 max_inflight;	/* outstanding requests the node tracks */
	u16 max_lookups;	/* concurrent lookups */
	u16 lookup_width;	/* candidates one lookup keeps, closest first */
	/*
	 * A request's timeout is its contact's smoothed round trip plus four
	 * deviations (TCP's RTO), within [request_timeout_min_ms,
	 * request_timeout_ms]; the most when nothing was measured yet.
	 */
	u32 request_timeout_ms;
	u32 request_timeout_min_ms;
	u32 lookup_timeout_ms;	/* a lookup's whole life */
	u32 good_ms;		/* silence after which a contact is questionable */
	u32 refresh_ms;		/* an untouched bucket is refreshed after */
	u32 bootstrap_min_ms;	/* first bootstrap retry, doubling... */
	u32 bootstrap_max_ms;	/* ...up to */
	u32 token_rotate_ms;	/* token secret rotation (tokens live 2 periods) */
	u32 rl_entries;		/* rate limiter sources tracked */
	u32 rl_rate;		/* requests per second per source */
	u32 rl_burst;		/* bucket depth per source */
	u32 rl_idle_ms;		/* idle rate-limiter entries collected after */
	/*
	 * Requests from unvalidated sources answered per second by the whole
	 * node (burst: one second's worth); beyond it the node is under load
	 * and answers validated requests only.
	 */
	u32 unvalidated_rate;
	u16 max_unproven;	/* senders kept while their address is unproven */
};

void kd_params_default(struct kd_params *p);

/* 0 if every field is within its bound, -EINVAL otherwise. */
int kd_params_check(const struct kd_params *p);

#endif /* KD_PARAMS_H */
