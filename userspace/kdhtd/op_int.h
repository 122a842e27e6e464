/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The put/get engine's insides, shared by op.c (operations, replicas,
 * the request table, replies and timeouts), op_put.c and op_get.c.
 *
 * An operation starts with a lookup of its key. The lookup's hits and this
 * node, closest first, become the operation's replica list; r of them are
 * asked, and each one that fails (no answer, no daemon behind it, storage
 * full) is replaced by a spare of the list, so that a put still lands on r
 * live nodes and a get hears r answers when nodes have gone.
 *
 * The set asked is spread over subnets (/24, /48; this node counted by the
 * addresses it is bound to): first the closest node of each subnet, in
 * distance order; only when fewer than r subnets are at hand a second of a
 * subnet, and so on up to per_subnet. Puts, republishes, gets and the
 * repairs a get makes all choose so, and so reach the same nodes.
 *
 * Every value request in flight is a struct req, found again by its txid
 * through a hash chain. Parts travel in a window per replica.
 */
#ifndef KDD_OP_INT_H
#define KDD_OP_INT_H

#include "op.h"

#define KDD_OP_MAX_REPLICAS	(KDHT_MAX_NODES + 1)	/* the lookup's hits and self */
#define KDD_PART_WINDOW		8	/* parts in flight to or from one replica */
#define KDD_REQ_BUCKETS		1024	/* txid hash chains; a power of two */
#define KDD_REQ_NONE		0xffff
#define KDD_PUT_RESENDS		2	/* a replica that lost our parts is sent them again */

enum rep_state {
	REP_SPARE,	/* not asked: a substitute for one that fails */
	REP_BUSY,	/* asked, no final answer yet */
	REP_OK,		/* put: committed it; get: holds the record */
	REP_NONE,	/* get: holds no such record */
	REP_FAILED,	/* no usable answer, or refused */
};

struct replica {
	struct kd_node node;
	bool self;
	uint8_t state;
	bool refused;		/* put: REP_FAILED by a refusal of the record itself */
	uint32_t next_part;	/* put: the next part to send; get: to ask for */
	uint32_t parts_done;	/* put: parts acknowledged as held */
	uint8_t resends;	/* put: times its lost parts were sent again */
	bool has_value;		/* get: answered with a record... */
	struct kdd_part meta;	/* ...whose metadata this is (data unused) */
};

struct op {
	bool used;
	bool is_get;
	bool looking_up;
	bool reported;		/* the caller's callback has run */
	bool fetching;		/* get: reading the parts from `source` */
	bool found;		/* get: the caller was given the value */
	bool past_asked;	/* get: candidates past a set that held nothing were asked */
	uint16_t gen;
	struct kd_id key;
	struct kdd_part meta;	/* put: the record; get: the source's */
	uint8_t *value;		/* KDD_MAX_VALUE bytes */
	uint32_t parts_have;
	uint8_t got[(KDD_MAX_PARTS + 7) / 8];
	unsigned int nrep;
	struct replica rep[KDD_OP_MAX_REPLICAS];
	unsigned int acks;	/* put: replicas that committed */
	int best;		/* get: the replica whose part 0 is in value, or -1 */
	unsigned int source;	/* get: the replica the parts come from */
	unsigned int inflight;	/* get: part requests to the source */
	unsigned int outstanding;	/* requests awaiting an answer, all replicas */
	int bad_copy;		/* get: why a replica's copy was refused (-EPERM,
				 * -EKEYREJECTED...); 0: none was */
	const char *why;
	kdd_op_put_cb put_cb;
	kdd_op_get_cb get_cb;
	void *arg;
	uint64_t started_us;
	struct kdd_op_info info;
};

struct req {
	bool used;
	uint8_t type;		/* KDHT_MSG_STORE or KDHT_MSG_FIND_VALUE */
	uint8_t op, rep;
	uint8_t tries;
	bool token_retry;	/* resent once after ERROR UNVALIDATED */
	uint16_t gen;
	uint16_t next;		/* hash chain, or free list */
	uint32_t txid;
	uint32_t part;
	uint64_t deadline;
};

enum op_counter {
	OC_PUTS, OC_PUTS_OK, OC_GETS, OC_GETS_OK, OC_SENT, OC_RETRIES, OC_TIMEOUTS,
	OC_REPLIES, OC_UNMATCHED, OC_BAD_REPLIES, OC_ERRORS, OC_SUBSTITUTES,
	OC_SOURCE_SWITCHES, OC_REPAIRS, OC_RESENDS, OC_BAD_COPIES, OC_STALLED, OC_COUNT
};

struct kdd_op_engine {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct kdd_backend *b;
	struct kdd_serve *local;
	struct kdd_op_params p;
	bool stopped;
	struct op ops[KDD_OP_MAX];
	struct req reqs[KDD_OP_MAX_REQS];
	uint16_t req_head[KDD_REQ_BUCKETS];
	uint16_t req_free;
	uint64_t counters[OC_COUNT];
};

/* Sends a request of type for (o, replica rep, part): 0 or a negative errno. */
int kdd_op_request(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint8_t type,
		   uint32_t part);

/* Sends one request for which no answer is awaited (a repair). */
int kdd_op_send_once(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint8_t type,
		     uint32_t part);

/* An answer consumed q. */
void kdd_op_req_done(struct kdd_op_engine *c, struct req *q);

/* Forgets the requests of o to replica rep (every replica: rep < 0). */
void kdd_op_cancel(struct kdd_op_engine *c, struct op *o, int rep);

/*
 * Whether spare rep would be among the set were every replica asked to
 * take its place; nothing is asked.
 */
bool kdd_op_would_take(struct kdd_op_engine *c, const struct op *o, unsigned int rep);

/*
 * Asks spares, spread over subnets, until r hold a place in the set or none
 * is left. start(c, o, i) asks spare i; it must move i out of REP_SPARE and
 * return whether i holds a place: asked, answered, or (a put) failed by
 * refusing the record itself, which no other node must be asked in its
 * stead.
 */
void kdd_op_start_replicas(struct kdd_op_engine *c, struct op *o,
			   bool (*start)(struct kdd_op_engine *c, struct op *o, unsigned int i));

/*
 * Asks the spare that keeps the set spread in place of a failed replica
 * (start as above); false if none is left.
 */
bool kdd_op_substitute(struct kdd_op_engine *c, struct op *o,
		       bool (*start)(struct kdd_op_engine *c, struct op *o, unsigned int i));

/* Runs the caller's callback once (later calls do nothing); then op_done frees. */
void kdd_op_report_put(struct kdd_op_engine *c, struct op *o, int status, const char *why);
void kdd_op_report_get(struct kdd_op_engine *c, struct op *o, int status,
		       const struct kdd_record *rec);
void kdd_op_done(struct kdd_op_engine *c, struct op *o);

/* op_put.c */
void kdd_op_put_start(struct kdd_op_engine *c, struct op *o);
void kdd_op_put_on_ack(struct kdd_op_engine *c, struct op *o, struct req *q,
		       const struct kdd_ack *a);
/* Replica rep of o failed (no answer, or ERROR code; 0: none). */
void kdd_op_put_failed(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint32_t code);

/* op_get.c */
void kdd_op_get_start(struct kdd_op_engine *c, struct op *o);
void kdd_op_get_on_value(struct kdd_op_engine *c, struct op *o, struct req *q,
			 const struct kdd_value *v);
void kdd_op_get_failed(struct kdd_op_engine *c, struct op *o, unsigned int rep, uint32_t code);

#endif /* KDD_OP_INT_H */
