/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The k-bucket routing table. Bucket b holds contacts whose id shares exactly
 * b leading bits with ours, least recently seen first, at most k of them,
 * plus a replacement cache of repl_per_bucket. All contacts live in one pool
 * of max_contacts entries inside memory the host hands over at init.
 */
#ifndef KD_TABLE_H
#define KD_TABLE_H

#include "kd_types.h"
#include "kd_params.h"

#define KD_NIL 0xffff	/* end of a pool list */
#define KD_RTT_MAX_MS	0xffff	/* the longest round trip a contact keeps */
/*
 * A bad member no replacement took is pinged again, first this long after it
 * went bad, the wait doubling with each ping it misses up to KD_BAD_PING_MAX_MS.
 */
#define KD_BAD_PING_START_MS	2000
#define KD_BAD_PING_MAX_MS	64000

enum kd_liveness {
	KD_GOOD,		/* heard from within good_ms, no failures */
	KD_QUESTIONABLE,	/* silent for good_ms */
	KD_BAD,			/* failed max_fails requests in a row */
	/* Failed fewer than max_fails: not handed out, its liveness checked. */
	KD_FAILED,
};

struct kd_contact {
	struct kd_node node;
	u8 token[KDHT_TOKEN_LEN];	/* issued to us by this contact; zero if none */
	u64 added_at;
	u64 last_seen;		/* last valid message from it */
	u64 last_reply;		/* last reply to a request of ours; 0 if never */
	/* Liveness ping outstanding since, 0 if none; for a bad member, its last try. */
	u64 pinged_at;
	/* u16: the contact stays 104 bytes; samples are capped at KD_RTT_MAX_MS. */
	u16 rtt_ms;		/* smoothed round trip; 0 if unknown */
	u16 rttvar_ms;		/* its mean deviation */
	u16 next;		/* next in its bucket's list, or in the free list */
	u8 fails;		/* requests unanswered in a row */
	u8 in_repl;		/* 1: in the replacement cache, not the bucket */
};

struct kd_bucket {
	u16 head;		/* least recently seen first */
	u16 repl_head;		/* replacement cache, least recently seen first */
	u8 count;
	u8 repl_count;
	u64 touched_at;		/* last lookup through it or membership change */
};

struct kd_subnet_slot {
	u64 key;		/* kd_addr_subnet(); 0: free */
	u16 count;		/* bucket members (not replacements) in this subnet */
};

/* Contact added to or removed from a bucket (not the replacement cache). */
typedef void (*kd_table_change_fn)(void *ctx, bool added, const struct kd_contact *c);

struct kd_table {
	struct kd_id self;
	const struct kd_params *p;
	kd_table_change_fn on_change;
	void *ctx;
	struct kd_bucket bucket[KD_ID_BITS];
	struct kd_contact *pool;
	struct kd_subnet_slot *subnets;	/* open addressing, 2 * max_contacts slots */
	u32 subnet_slots;
	u16 free_head;
	u16 members;		/* contacts in buckets */
	u16 replacements;	/* contacts in replacement caches */
	u32 generation;		/* bumped on every change of bucket membership */
	/* Every contact's round trips in one estimate: for contacts never measured. */
	u32 rtt_ms;
	u32 rttvar_ms;
};

/* Outcome of kd_table_seen(). */
enum kd_seen {
	KD_SEEN_UPDATED,	/* already a member: moved to most recently seen */
	KD_SEEN_ADDED,		/* new member */
	KD_SEEN_REPLACED_BAD,	/* new member in place of a bad one */
	KD_SEEN_CACHED,		/* put in (or refreshed in) the replacement cache */
	KD_SEEN_PING_LRS,	/* cached, and the least recently seen member must be pinged */
	KD_SEEN_DIVERSITY,	/* refused: its subnet is at its limit */
	KD_SEEN_REFUSED,	/* refused: self, unusable address, pool exhausted */
};

size_t kd_table_memsize(const struct kd_params *p);
/* mem: kd_table_memsize(p) bytes, suitably aligned. p must outlive the table. */
void kd_table_init(struct kd_table *t, void *mem, const struct kd_params *p,
		   const struct kd_id *self, u64 now, kd_table_change_fn on_change,
		   void *ctx);

/*
 * A valid message from n arrived. is_reply: it answered a request of ours
 * (this proves the address; rtt_ms is then the measured round trip). A known
 * id at a new address keeps the old address unless the old one is bad.
 * For KD_SEEN_PING_LRS, *to_ping is the member to ping before evicting it.
 */
enum kd_seen kd_table_seen(struct kd_table *t, u64 now, const struct kd_node *n,
			   bool is_reply, u32 rtt_ms, struct kd_node *to_ping);

/*
 * A request to id went unanswered. A member that reaches max_fails becomes
 * bad and, if its bucket has a replacement, is replaced by the most recently
 * seen one at once.
 */
void kd_table_failed(struct kd_table *t, u64 now, const struct kd_id *id);

/* Removes id from the table (bucket or cache); true if it was there. */
bool kd_table_remove(struct kd_table *t, const struct kd_id *id);

struct kd_contact *kd_table_find(struct kd_table *t, const struct kd_id *id);

/*
 * How long a request to id (NULL: unknown) may take: its contact's smoothed
 * round trip plus four deviations, doubled for each request it failed in a
 * row; for a contact never measured, the same from every contact's round
 * trips; within [request_timeout_min_ms, request_timeout_ms], the most when
 * nothing was measured yet. *expect_ms: the round trip it is expected to
 * answer within, two deviations, beyond which a lookup counts the request
 * as slow.
 */
u32 kd_table_timeout(const struct kd_table *t, const struct kd_id *id, u32 *expect_ms);
enum kd_liveness kd_table_liveness(const struct kd_table *t, const struct kd_contact *c,
				   u64 now);

/*
 * Up to max members closest to target, closest first, excluding those whose
 * last request failed (until they answer again, see kd_table_due_pings()),
 * families limited to want (KDHT_WANT_*), at most result_per_subnet of one
 * /24 (/48): a member with that many of its subnet closer is passed over for
 * the next. Returns how many were written.
 */
unsigned int kd_table_closest(const struct kd_table *t, const struct kd_id *target,
			      u8 want, struct kd_node *out, unsigned int max);

/*
 * Members that need a liveness ping now: questionable or failed, no ping
 * outstanding; or bad, its backoff since the last try over (see
 * KD_BAD_PING_START_MS).
 * Marks them pinged (pinged_at = now). Returns how many were written.
 */
unsigned int kd_table_due_pings(struct kd_table *t, u64 now, struct kd_node *out,
				unsigned int max);
/*
 * A liveness ping to id was answered or timed out: clears pinged_at, except
 * for a bad member, whose last try it keeps to time the next.
 */
void kd_table_ping_done(struct kd_table *t, const struct kd_id *id);

/* A non-empty bucket not touched for refresh_ms, or -1. */
int kd_table_stale_bucket(const struct kd_table *t, u64 now);
void kd_table_touch(struct kd_table *t, unsigned int bucket, u64 now);

/* Earliest time at which a ping or a refresh falls due (U64_MAX-like if none). */
u64 kd_table_next_due(const struct kd_table *t);

/*
 * Walks bucket members in pool order for dumps. *cursor starts at 0; returns
 * the next member and advances *cursor, or NULL at the end.
 */
const struct kd_contact *kd_table_iter(const struct kd_table *t, u32 *cursor);

#endif /* KD_TABLE_H */
