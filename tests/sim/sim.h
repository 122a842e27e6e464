/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The many-node simulator: every node runs the real routing core (kdcore)
 * in one process, on a virtual millisecond clock, over a simulated network
 * with per-link latency, loss, churn and hostile nodes.
 */
#ifndef KDHT_SIM_H
#define KDHT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kd_core.h"

#define SIM_PORT		4650	/* every honest node listens here */
#define SIM_DEAD_PORT		9	/* addresses hostile nodes invent: no node */
#define SIM_SUBNETS		65536	/* /24s in 10.0.0.0/8 */
#define SIM_HOSTS_PER_SUBNET	254
#define SIM_SYBIL_NET		11	/* Sybils live in 11.0.0.0/24, honest nodes in 10/8 */

/* A deterministic random stream (xoshiro256**), seeded by splitmix64. */
struct sim_rng {
	uint64_t s[4];
};

void sim_rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(struct sim_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* Uniform in [0, 1). */
double sim_rng_unit(struct sim_rng *r);
void sim_rng_bytes(struct sim_rng *r, void *out, size_t len);
uint64_t sim_mix64(uint64_t x);

enum sim_ev_kind {
	SIM_EV_DELIVER,		/* arg: packet slot */
	SIM_EV_TIMER,		/* arg: node */
};

struct sim_ev {
	uint64_t time;
	uint64_t seq;		/* ties broken in scheduling order: deterministic */
	uint32_t kind;
	uint32_t arg;
};

/* A binary min-heap on (time, seq); grows by doubling. */
struct sim_heap {
	struct sim_ev *ev;
	size_t n;
	size_t cap;
	uint64_t next_seq;
};

int sim_heap_push(struct sim_heap *h, uint64_t time, uint32_t kind, uint32_t arg);
bool sim_heap_pop(struct sim_heap *h, struct sim_ev *out);
void sim_heap_free(struct sim_heap *h);

/* A datagram on the wire, kept in a free-listed pool of slots. */
struct sim_pkt {
	uint32_t src;
	uint32_t dst;
	uint32_t next_free;
	uint16_t len;
	uint8_t data[KDHT_MAX_DATAGRAM];
};

struct sim_pkt_pool {
	struct sim_pkt *slot;
	uint32_t cap;
	uint32_t free_head;
	uint32_t used;
	uint32_t peak;
};

enum sim_latency_model {
	SIM_LAT_UNIFORM,	/* base uniform in [min, max] */
	SIM_LAT_LOGNORMAL,	/* base log-normal, median between min and max, clamped */
};

struct sim_net_cfg {
	uint32_t lat_min_ms;
	uint32_t lat_max_ms;
	uint32_t jitter_ms;	/* added uniformly in [0, jitter] per packet */
	enum sim_latency_model model;
	double loss;		/* per-packet drop probability */
	uint32_t per_subnet;	/* nodes sharing one /24 */
};

enum sim_hostile_mode {
	SIM_HOSTILE_UNREACHABLE,	/* ids near the target at addresses nobody owns */
	SIM_HOSTILE_COLLUDE,		/* only other hostile nodes, the closest to the target */
};

struct sim;

struct sim_node {
	struct sim *sim;	/* the io callbacks' context is the node */
	struct kd_io io;
	struct kd_core *core;
	struct kd_id id;
	uint64_t sched;		/* earliest timer event queued for it, or KD_NEVER */
	uint64_t same_time_ticks;
	uint64_t last_tick;
	uint8_t alive;
	uint8_t hostile;	/* answers FIND_NODE with garbage once the attack starts */
	uint8_t sybil;		/* one of the Sybils: not judged as a result */
	uint8_t joined;		/* its joining lookups are done */
	uint8_t join_pending;	/* joining lookups still running */
	uint8_t self_lookup_seen;
	uint8_t measuring;	/* measured lookups it runs: it does not leave meanwhile */
	uint64_t joined_at;	/* when its joining lookups ended; KD_NEVER before */
	uint64_t died_at;	/* when it (or the slot's last occupant) vanished */
};

/* Counters of the whole run. */
struct sim_counters {
	uint64_t sent;
	uint64_t delivered;
	uint64_t lost;
	uint64_t to_dead;	/* dropped: no live node at the address */
	uint64_t hostile_replies;
	uint64_t replies_cut;	/* answered, but cut to an unvalidated source's budget */
	uint64_t input_drops[KD_R_COUNT];
	uint64_t ticks;
	uint64_t events;
	uint64_t tick_storms;	/* a node asked to be ticked at the same time again and again */
};

/*
 * Continuous churn: every interval_ms one random live honest node vanishes
 * without notice and one new node joins through a random live node, so the
 * population stays the same. A new node takes a fresh slot while the arena
 * has one, then the slot (and so the address) of the node that vanished
 * longest ago, which keeps memory bounded however long the run.
 */
struct sim_churn {
	bool active;
	double interval_ms;	/* between two leave+join pairs */
	double next_at;
	uint32_t *dead;		/* ring of vanished slots, oldest first */
	uint32_t dead_head;
	uint32_t dead_count;
	uint32_t left;
	uint32_t joined;
	uint32_t reused;	/* joins that took a vanished node's slot */
};

struct sim_lookup_rec {
	uint32_t node;
	uint16_t rounds;
	uint16_t sent;
	uint16_t timeouts;
	uint8_t done;
	uint8_t ok;		/* finished within its deadline */
	uint8_t success;	/* hits[0] is the closest live node */
	uint8_t found;		/* of the k closest live nodes, how many are in the hits */
	uint8_t want;		/* k, or fewer live nodes */
	uint8_t nhits;
	uint32_t elapsed_ms;
	uint64_t started_at;
	struct kd_id target;
};

/*
 * What the program driving the simulator (sim_main.c, tests/unit/test_core.c)
 * learns from it; any hook may be NULL.
 */
struct sim_hooks {
	/* Every event a node's core raises. */
	void (*on_event)(struct sim *s, uint32_t node, const struct kd_event *ev);
	/* After every core call on a node that has not joined yet. */
	void (*check_join)(struct sim *s, uint32_t node);
	/*
	 * Every datagram a node's core sends, before the network sees it: true
	 * keeps it off the network, for a test that delivers it by hand later
	 * (sim_send) or never.
	 */
	bool (*tap)(struct sim *s, uint32_t src, const struct kd_addr *to,
		    const uint8_t *pkt, size_t len);
};

struct sim {
	struct kd_params params;
	struct sim_hooks hooks;
	struct sim_net_cfg net;
	enum sim_hostile_mode hostile_mode;
	bool hostile_active;
	struct sim_rng rng;

	uint64_t now;
	struct sim_heap heap;
	struct sim_pkt_pool pkts;
	struct sim_counters cnt;

	uint8_t *arena;
	size_t node_mem;	/* kd_core_memsize(params), rounded up to 64 */
	struct sim_node *node;
	uint32_t nnodes;	/* nodes created so far */
	uint32_t max_nodes;	/* arena capacity */
	uint32_t *hostile_ids;	/* indexes of the hostile nodes */
	uint32_t nhostile;
	uint32_t sybil_first;	/* nodes sybil_first.. are the Sybils in 11.0.0.0/24 */
	uint32_t nsybil;
	struct kd_id sybil_target;	/* the key the Sybils sit next to */

	struct sim_lookup_rec *lk;
	uint32_t nlk;
	uint32_t lk_done;
	uint32_t fail_unknown;	/* failed lookups: no hit had the closest node in its table */
	uint32_t fail_known;	/* failed lookups: some hit knew it, the lookup stopped short */
	uint32_t crowded;	/* lookups with more than result_per_subnet of a /24 in the hits */
	uint32_t join_lookups;	/* random-id lookups a node runs after its self lookup */
	uint32_t joins_failed;
	struct sim_churn churn;
};

/* sim_net.c */
int sim_init(struct sim *s, uint32_t max_nodes);
void sim_free(struct sim *s);
void sim_node_addr(const struct sim *s, uint32_t i, struct kd_addr *a);
/* The node at an address, or UINT32_MAX if none was ever created there. */
uint32_t sim_addr_node(const struct sim *s, const struct kd_addr *a);
/* Creates node nnodes with a random id; -errno on failure. */
int sim_node_create(struct sim *s);
/* Creates node nnodes with the given id; -errno on failure. */
int sim_node_create_id(struct sim *s, const struct kd_id *id);
/*
 * Starts a new node with the given id in slot i, which must hold a node that
 * vanished: the new node takes over its address. -errno on failure.
 */
int sim_node_respawn(struct sim *s, uint32_t i, const struct kd_id *id);
void sim_node_kill(struct sim *s, uint32_t i);
/*
 * A random live honest node, joined if want_joined, with a free lookup slot
 * if want_free; UINT32_MAX if none turns up in a bounded number of draws.
 */
uint32_t sim_pick_node(struct sim *s, bool want_joined, bool want_free);
/* Reads the node's next due time and queues a timer event if it is earlier. */
int sim_reschedule(struct sim *s, uint32_t i);
/*
 * Puts a datagram from node src on the network: lost, dropped (no live node
 * at to) or queued for delivery after the link's latency.
 */
void sim_send(struct sim *s, uint32_t src, const struct kd_addr *to,
	      const uint8_t *pkt, size_t len);
/*
 * Processes the next event; false when the queue is empty. The clock never
 * goes back: an event due before a clock its driver moved on runs late.
 */
bool sim_step(struct sim *s);
/* Time the next event is due, or KD_NEVER. */
uint64_t sim_peek_time(const struct sim *s);
/* Runs events up to and including time t, then sets the clock to t. */
void sim_run_until(struct sim *s, uint64_t t);

/* sim_churn.c */
/*
 * Starts continuous churn: rate of the nodes (a fraction of those live now)
 * leave and as many join per minute of virtual time, from now on.
 * -ENOMEM on failure.
 */
int sim_churn_start(struct sim *s, double rate_per_min);
/*
 * sim_run_until() that also carries out the churn due up to t; -errno if a
 * new node cannot be started.
 */
int sim_churn_run_until(struct sim *s, uint64_t t);
/*
 * sim_step(), with the churn due before the next event carried out first:
 * 1 if an event ran, 0 if the queue is empty, -errno if a new node cannot
 * be started.
 */
int sim_churn_step(struct sim *s);

/* sim_oracle.c */
/*
 * The want closest live nodes to target by brute force, Sybils left out,
 * closest first, into out (node indexes). Returns how many were written.
 */
unsigned int sim_oracle_closest(const struct sim *s, const struct kd_id *target,
				uint32_t *out, unsigned int want);
/* The same, counting only the nodes that had joined by joined_by. */
unsigned int sim_oracle_closest_joined(const struct sim *s, const struct kd_id *target,
				       uint64_t joined_by, uint32_t *out, unsigned int want);
/* Up to n hostile nodes closest to target, written as kd_nodes. */
unsigned int sim_hostile_closest(const struct sim *s, const struct kd_id *target,
				 struct kd_node *out, unsigned int n);

#endif /* KDHT_SIM_H */
