/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The iterative lookup state machine, independent of sockets and of the
 * table: it is told of replies and of time, and says whom to ask next.
 *
 * Candidates are kept sorted by distance to the target, at most width of
 * them. A newcomer to a full list takes the slot of the farthest failed
 * candidate; failing that, of the farthest crowded never-asked candidate
 * (below); failing that, of the farthest never-asked candidate farther than
 * itself; failing that, it is dropped. A candidate that was asked (in flight,
 * waiting to be asked again, or replied) is never pushed out, so closer fake
 * ids from a hostile reply cannot crowd out the nodes that answered.
 *
 * Subnet diversity: a candidate is crowded when per_subnet candidates of its
 * /24 (/48, kd_addr_subnet()) that have not failed are closer than it. A
 * crowded candidate is not asked, does not count among the k closest below
 * and is the first to give up its slot, so nodes packed into one subnet next
 * to the target (a Sybil attack) hold at most per_subnet places in the
 * result, and the lookup keeps asking beyond them until it has k replies
 * from diverse nodes (S/Kademlia's disjoint paths serve the same end).
 *
 * At most alpha requests that are not slow are in flight. Each request has
 * the round trip its contact is expected to answer within and a timeout
 * (kd_lookup_set_timing(); both request_timeout_ms until set). A request
 * outstanding past its expected round trip is slow: it no longer holds one
 * of the alpha places, so a dead or distant contact costs the lookup one
 * expected round trip, not a timeout; its reply is still used when it comes.
 * A request that times out is asked again, up to retries more times, while
 * its candidate is among the k closest that have not failed; only then is
 * the candidate failed. A resend holds no place and times out after one
 * expected round trip: it is there for a lost request, and a dead contact
 * among the k closest costs one timeout and one round trip. Each attempt
 * counts in stats.sent, each timeout in stats.timeouts and each slow request
 * in stats.slow. A reply to any attempt is the candidate's reply. An error
 * (kd_lookup_on_failure) fails the candidate at once; a contact that failed
 * elsewhere (kd_lookup_exclude()) is not asked.
 *
 * The lookup is done when the k closest candidates that have not failed and
 * are not crowded have all replied, when no candidate is left to ask and none is in flight, or
 * when its whole-life deadline passes (then it is marked timed out).
 *
 * Referrals: a node that answered is the source of the candidates its reply
 * added (for the first KD_LOOKUP_SOURCES replies). Once KD_SOURCE_FAILS of
 * a source's referrals have failed and none has answered, it is taken for a
 * liar (its reply was made of addresses where nobody answers): its
 * candidates not yet asked are failed, so that a hostile reply costs a
 * lookup a few timeouts, not one per invented node.
 *
 * Rounds: a seed has hop 1; a node first learnt from a reply of a hop-h
 * node has hop h + 1. rounds is the largest hop among the nodes asked.
 */
#ifndef KD_LOOKUP_H
#define KD_LOOKUP_H

#include "kd_types.h"
#include "kd_params.h"

/* Repliers whose referrals one lookup keeps count of. */
#define KD_LOOKUP_SOURCES	32
/* Referrals of one source that fail, none answering, before the rest are dropped. */
#define KD_SOURCE_FAILS		3
#define KD_SOURCE_NONE		0xff	/* a seed, or a source beyond KD_LOOKUP_SOURCES */

struct kd_lookup_source {
	u8 failed;		/* referrals that failed */
	u8 replied;		/* referrals that answered */
};

enum kd_cand_state {
	KD_CAND_NEW,
	KD_CAND_ASKED,
	KD_CAND_REPLIED,
	KD_CAND_FAILED,
	KD_CAND_RETRY,		/* timed out, to be asked again */
};

struct kd_lookup_cand {
	struct kd_node node;
	u64 subnet;		/* kd_addr_subnet(&node.addr) */
	u64 sent_at;
	u32 rtt_ms;
	u32 expect_ms;		/* the last request is slow after this */
	u32 timeout_ms;		/* and times out after this */
	u16 hop;
	u8 state;
	u8 tries;		/* requests sent to it */
	u8 slow;		/* asked, and past expect_ms */
	u8 source;		/* index in kd_lookup.source, or KD_SOURCE_NONE */
};

struct kd_lookup_stats {
	u16 rounds;
	u16 sent;
	u16 replies;
	u16 timeouts;
	u16 duplicates;		/* second replies from a node already heard */
	u16 unsolicited;	/* replies from nodes never asked, or late */
	u16 slow;		/* requests outstanding past their expected round trip */
	u32 elapsed_ms;
};

/* Outcome of kd_lookup_on_reply(). */
enum kd_lookup_reply {
	KD_LK_ACCEPTED,
	KD_LK_DUPLICATE,
	KD_LK_UNSOLICITED,
	KD_LK_LATE,		/* the lookup is done already */
};

struct kd_lookup {
	struct kd_id target;
	struct kd_lookup_cand *cand;	/* width entries, owned by the caller */
	u16 width;
	u16 ncand;
	u8 k;
	u8 alpha;
	u8 retries;
	u8 per_subnet;		/* 0: no subnet limit */
	u8 inflight;		/* asked and not slow */
	u8 done;
	u8 timed_out;
	u8 nsources;
	struct kd_lookup_source source[KD_LOOKUP_SOURCES];
	u32 request_timeout_ms;
	u64 started_at;
	u64 deadline;		/* whole-life deadline */
	struct kd_lookup_stats stats;
};

/*
 * Starts a lookup of target with storage for width candidates. per_subnet
 * starts at KD_DEFAULT_RESULT_PER_SUBNET; a host with other parameters sets
 * it (params.result_per_subnet) before the first seed.
 */
void kd_lookup_init(struct kd_lookup *l, struct kd_lookup_cand *storage, u16 width,
		    const struct kd_id *target, u8 k, u8 alpha, u8 retries,
		    u32 request_timeout_ms, u32 lookup_timeout_ms, u64 now);

/* Adds a seed (hop 1). Duplicates and a full list of closer ones are ignored. */
void kd_lookup_seed(struct kd_lookup *l, const struct kd_node *n);

/*
 * If a request should go out now, marks it asked, writes its node to *out
 * and returns true. Call until it returns false.
 */
bool kd_lookup_next(struct kd_lookup *l, u64 now, struct kd_node *out);

/*
 * The request kd_lookup_next() just handed out for id is expected to be
 * answered within expect_ms and times out after timeout_ms.
 */
void kd_lookup_set_timing(struct kd_lookup *l, const struct kd_id *id, u32 expect_ms,
			  u32 timeout_ms);

/* from answered with nodes[0..n). */
enum kd_lookup_reply kd_lookup_on_reply(struct kd_lookup *l, u64 now,
					const struct kd_node *from,
					const struct kd_node *nodes, unsigned int n);

/* A request to id failed now with an error: the candidate is failed. */
void kd_lookup_on_failure(struct kd_lookup *l, u64 now, const struct kd_id *id);

/* id failed a request of another lookup: not asked if it was not yet. */
void kd_lookup_exclude(struct kd_lookup *l, u64 now, const struct kd_id *id);

/*
 * The request to id timed out (the caller keeps the time). Returns true if
 * the candidate will be asked again (kd_lookup_next() hands it out), false if
 * it failed or is not an asked candidate.
 */
bool kd_lookup_on_timeout(struct kd_lookup *l, u64 now, const struct kd_id *id);

/*
 * Counts requests past their expected round trip as slow, times out those
 * past their timeout and checks the deadline.
 */
void kd_lookup_tick(struct kd_lookup *l, u64 now);

/* When kd_lookup_tick() next has something to do. */
u64 kd_lookup_next_due(const struct kd_lookup *l);

static inline bool kd_lookup_done(const struct kd_lookup *l)
{
	return l->done;
}

struct kd_lookup_hit {
	struct kd_node node;
	u32 rtt_ms;
};

/*
 * The up to k closest candidates that replied, closest first, at most
 * per_subnet of them from one subnet.
 */
unsigned int kd_lookup_result(const struct kd_lookup *l, struct kd_lookup_hit *out,
			      unsigned int max);

#endif /* KD_LOOKUP_H */
