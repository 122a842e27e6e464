// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-sim: joins N nodes of the real routing core, optionally turns some
 * hostile and makes some vanish, runs M lookups of random ids from random
 * live nodes and judges every result against a brute-force oracle.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "sim_report.h"

/* Lookup cookies: measured lookups carry their index under this bit. */
#define SIM_COOKIE_MEASURE	0x40000000u
#define SIM_COOKIE_JOIN		0x80000000u
#define SIM_BATCH_MAX		500		/* nodes joining at once */
#define SIM_JOIN_TIMEOUT_MS	120000		/* a batch that takes longer has failed joins */
#define SIM_CHURN_SPARE_DIV	4		/* continuous churn: nodes/4 fresh slots first */
#define SIM_REPORT_VANISH	0.2		/* --report defaults of its scenarios */
#define SIM_REPORT_HOSTILE	0.1
#define SIM_REPORT_CHURN_RATE	0.1

struct sim_opts {
	uint32_t nodes;
	uint32_t lookups;
	uint64_t seed;
	double churn;
	bool rejoin;
	double hostile;
	uint32_t sybils;	/* on one /24, ids next to one key every lookup seeks */
	uint32_t lookup_gap_ms;
	uint32_t settle_ms;
	double churn_rate;	/* continuous churn: fraction of the nodes per minute */
	uint32_t churn_warmup_ms;	/* of continuous churn before the first lookup */
	uint32_t churn_span_ms;	/* under continuous churn, lookups start over this long */
	double min_success;	/* percent; < 0: not checked */
	bool json;
	bool report;
};

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t live_count(const struct sim *s)
{
	uint32_t i, n = 0;

	for (i = 0; i < s->nnodes; i++)
		n += s->node[i].alive;
	return n;
}

static void mark_joined(struct sim *s, uint32_t i)
{
	s->node[i].joined = 1;
	s->node[i].joined_at = s->now;
}

static void start_join_lookups(struct sim *s, uint32_t i)
{
	struct sim_node *n = &s->node[i];
	uint32_t j;

	for (j = 0; j < s->join_lookups; j++) {
		struct kd_id t;

		sim_rng_bytes(&s->rng, t.b, sizeof(t.b));
		n->join_pending++;
		if (kd_core_lookup(n->core, s->now, &t, SIM_COOKIE_JOIN) < 0)
			n->join_pending--;
	}
	if (n->join_pending == 0)
		mark_joined(s, i);
}

/*
 * Tells apart the two ways a lookup misses the closest node: nobody it
 * heard from knew that node (the tables never learnt it), or one of them
 * did and the lookup stopped before asking for it.
 */
static void explain_failure(struct sim *s, const struct kd_event *ev,
			    const struct kd_id *closest)
{
	unsigned int h;

	for (h = 0; h < ev->nhits; h++) {
		uint32_t i = sim_addr_node(s, &ev->hits[h].node.addr);

		if (i != UINT32_MAX &&
		    kd_table_find(kd_core_table(s->node[i].core), closest)) {
			s->fail_known++;
			return;
		}
	}
	s->fail_unknown++;
}

/*
 * Whether a hit is left out of the judgement of a lookup started at
 * started_at: a Sybil, or a node that joined or vanished while the lookup
 * ran (no lookup could be expected to know). A hit whose id is not that of
 * the node now at its address was the slot's last occupant: only hostile
 * nodes invent ids, and they put them at addresses where no node lives.
 */
static bool hit_left_out(const struct sim *s, const struct kd_node *hit, uint64_t started_at)
{
	uint32_t i = sim_addr_node(s, &hit->addr);
	const struct sim_node *n;

	if (i == UINT32_MAX)
		return false;
	n = &s->node[i];
	if (n->sybil)
		return true;
	if (!kd_id_equal(&hit->id, &n->id) || !n->alive)
		return n->died_at >= started_at;
	return n->joined_at > started_at;
}

/* The index of the first hit the judgement counts, or nhits. */
static unsigned int first_judged_hit(const struct sim *s, const struct kd_event *ev,
				     uint64_t started_at)
{
	unsigned int h;

	for (h = 0; h < ev->nhits; h++)
		if (!hit_left_out(s, &ev->hits[h].node, started_at))
			break;
	return h;
}

/* The most hits that share one /24. */
static unsigned int most_of_one_subnet(const struct kd_event *ev)
{
	unsigned int h, j, same, most = 0;

	for (h = 0; h < ev->nhits; h++) {
		u64 key = kd_addr_subnet(&ev->hits[h].node.addr);

		for (j = 0, same = 0; j < ev->nhits; j++)
			same += kd_addr_subnet(&ev->hits[j].node.addr) == key;
		if (same > most)
			most = same;
	}
	return most;
}

/*
 * A lookup succeeds when its first judged hit (hit_left_out) is the closest
 * honest node that is live when it ends and had joined when it started;
 * without Sybils or continuous churn, when its first hit is the closest node.
 */
static void judge_lookup(struct sim *s, uint32_t node, const struct kd_event *ev)
{
	uint32_t idx = ev->cookie & ~SIM_COOKIE_MEASURE;
	struct sim_lookup_rec *r;
	uint32_t best[KD_K_MAX + 1];
	unsigned int want, n, j, h;

	if (idx >= s->nlk || s->lk[idx].node != node || s->lk[idx].done)
		return;
	r = &s->lk[idx];
	r->done = 1;
	s->lk_done++;
	s->node[node].measuring--;
	r->ok = ev->ok;
	r->rounds = ev->stats.rounds;
	r->sent = ev->stats.sent;
	r->timeouts = ev->stats.timeouts;
	r->elapsed_ms = ev->stats.elapsed_ms;
	r->nhits = (uint8_t)ev->nhits;
	/* The origin is never among its own hits: judge against the others. */
	s->node[node].alive = 0;
	want = s->params.k;
	n = sim_oracle_closest_joined(s, &r->target, r->started_at, best, want);
	s->node[node].alive = 1;
	r->want = (uint8_t)n;
	h = first_judged_hit(s, ev, r->started_at);
	r->success = n == 0 ||
		(h < ev->nhits && kd_id_equal(&ev->hits[h].node.id, &s->node[best[0]].id));
	if (most_of_one_subnet(ev) > s->params.result_per_subnet)
		s->crowded++;
	if (!r->success)
		explain_failure(s, ev, &s->node[best[0]].id);
	for (j = 0; j < n; j++)
		for (h = 0; h < ev->nhits; h++)
			if (kd_id_equal(&ev->hits[h].node.id, &s->node[best[j]].id)) {
				r->found++;
				break;
			}
}

/*
 * The core runs its bootstrap lookup of our own id without an event: it has
 * ended once the table holds a contact and no lookup is running.
 */
static void check_join(struct sim *s, uint32_t node)
{
	struct sim_node *n = &s->node[node];

	if (n->self_lookup_seen || kd_core_table(n->core)->members == 0 ||
	    kd_core_lookups_running(n->core) != 0)
		return;
	n->self_lookup_seen = 1;
	start_join_lookups(s, node);
}

static void on_event(struct sim *s, uint32_t node, const struct kd_event *ev)
{
	struct sim_node *n = &s->node[node];

	if (ev->type != KD_EV_LOOKUP_DONE)
		return;
	if (ev->cookie & SIM_COOKIE_MEASURE) {
		judge_lookup(s, node, ev);
		return;
	}
	if (!n->joined && ev->cookie == SIM_COOKIE_JOIN && n->join_pending > 0 &&
	    --n->join_pending == 0)
		mark_joined(s, node);
}

/* The new node i bootstraps from a random joined node (the very first from nobody). */
static int bootstrap_new(struct sim *s, uint32_t i, uint32_t via)
{
	struct kd_addr a;
	int err;

	if (via == UINT32_MAX) {
		mark_joined(s, i);
		return 0;
	}
	sim_node_addr(s, via, &a);
	err = kd_core_bootstrap(s->node[i].core, s->now, &a);
	if (err) {
		fprintf(stderr, "kdht-sim: kd_core_bootstrap: %s\n", strerror(-err));
		return err;
	}
	return sim_reschedule(s, i);
}

/* Runs the network until nodes first.. have joined or the join timeout passes. */
static void wait_joined(struct sim *s, uint32_t first)
{
	uint64_t deadline = s->now + SIM_JOIN_TIMEOUT_MS;
	uint32_t i;

	for (i = first; i < s->nnodes && s->now <= deadline; ) {
		if (s->node[i].joined) {
			i++;
			continue;
		}
		if (!sim_step(s))
			break;
	}
	for (i = first; i < s->nnodes; i++) {
		if (s->node[i].joined)
			continue;
		s->joins_failed++;
		mark_joined(s, i);
	}
}

/* Joins count new nodes in batches, each bootstrapping from a joined node. */
static int join_nodes(struct sim *s, uint32_t count)
{
	uint32_t added = 0;

	while (added < count) {
		uint32_t joined = live_count(s);
		uint32_t batch = joined / 4, first = s->nnodes, i;

		if (batch < 1)
			batch = 1;
		if (batch > SIM_BATCH_MAX)
			batch = SIM_BATCH_MAX;
		if (batch > count - added)
			batch = count - added;
		for (i = 0; i < batch; i++) {
			uint32_t via = sim_pick_node(s, true, false);
			int err = sim_node_create(s);

			if (err)
				return err;
			err = bootstrap_new(s, first + i, via);
			if (err)
				return err;
		}
		added += batch;
		wait_joined(s, first);
	}
	return 0;
}

/*
 * Joins count Sybils in 11.0.0.0/24 with ids sharing 192 bits with a random
 * key, closer to it than any honest node is likely to be; they behave until
 * the attack starts, then answer FIND_NODE with the Sybils closest to the
 * target asked (they collude).
 */
static int join_sybils(struct sim *s, uint32_t count)
{
	uint32_t i;
	int err;

	if (!count)
		return 0;	/* and no draw, so that runs without Sybils keep their seeds */
	sim_rng_bytes(&s->rng, s->sybil_target.b, sizeof(s->sybil_target.b));
	s->sybil_first = s->nnodes;
	for (i = 0; i < count; i++) {
		uint32_t via = sim_pick_node(s, true, false);
		struct kd_id id = s->sybil_target;

		sim_rng_bytes(&s->rng, id.b + KDHT_ID_LEN - 8, 8);
		s->nsybil++;
		err = sim_node_create_id(s, &id);
		if (err)
			return err;
		s->node[s->sybil_first + i].sybil = 1;
		err = bootstrap_new(s, s->sybil_first + i, via);
		if (err)
			return err;
	}
	wait_joined(s, s->sybil_first);
	return 0;
}

/* Hands up to count random live honest nodes to change, one at a time. */
static void change_random_nodes(struct sim *s, uint32_t count,
				void (*change)(struct sim *s, uint32_t i))
{
	uint32_t made;

	for (made = 0; made < count; made++) {
		uint32_t i = sim_pick_node(s, false, false);

		if (i == UINT32_MAX)
			break;
		change(s, i);
	}
}

static void make_hostile(struct sim *s, uint32_t i)
{
	s->node[i].hostile = 1;
	s->hostile_ids[s->nhostile++] = i;
}

static void start_attack(struct sim *s, uint32_t count)
{
	uint32_t i;

	change_random_nodes(s, count, make_hostile);
	for (i = 0; i < s->nsybil; i++)
		make_hostile(s, s->sybil_first + i);
	if (s->nsybil)
		s->hostile_mode = SIM_HOSTILE_COLLUDE;
	s->hostile_active = s->nhostile > 0;
}

static void churn(struct sim *s, uint32_t count)
{
	change_random_nodes(s, count, sim_node_kill);
}

/* Virtual time between two lookup starts: under continuous churn, spread over the span. */
static uint32_t lookup_gap(const struct sim *s, const struct sim_opts *o)
{
	if (s->churn.active && o->lookups)
		return o->churn_span_ms / o->lookups;
	return o->lookup_gap_ms;
}

static int run_lookups(struct sim *s, const struct sim_opts *o)
{
	uint64_t t = s->now, end;
	uint32_t m, gap = lookup_gap(s, o);
	int err;

	s->lk = calloc(o->lookups ? o->lookups : 1, sizeof(*s->lk));
	if (!s->lk)
		return -ENOMEM;
	for (m = 0; m < o->lookups; m++) {
		struct sim_lookup_rec *r = &s->lk[m];
		uint32_t i;

		err = sim_churn_run_until(s, t);
		if (err)
			return err;
		t += gap;
		i = sim_pick_node(s, true, true);
		if (i == UINT32_MAX) {
			fprintf(stderr, "kdht-sim: no live node with a free lookup slot\n");
			return -EAGAIN;
		}
		r->node = i;
		r->started_at = s->now;
		if (s->nsybil)
			r->target = s->sybil_target;
		else
			sim_rng_bytes(&s->rng, r->target.b, sizeof(r->target.b));
		s->nlk = m + 1;
		s->node[i].measuring++;
		if (kd_core_lookup(s->node[i].core, s->now, &r->target,
				   SIM_COOKIE_MEASURE | m) < 0) {
			fprintf(stderr, "kdht-sim: kd_core_lookup refused with %u running\n",
				kd_core_lookups_running(s->node[i].core));
			return -EAGAIN;
		}
		if (sim_reschedule(s, i) != 0)
			return -ENOMEM;
	}
	/* Twice the lookup's own deadline: a lookup still running then is lost. */
	end = s->now + 2ull * s->params.lookup_timeout_ms;
	while (s->lk_done < s->nlk && sim_peek_time(s) <= end) {
		err = sim_churn_step(s);
		if (err <= 0)
			return err;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kdht-sim [options]\n"
		"  --nodes N           nodes to join (1000)\n"
		"  --lookups M         lookups of random ids from random live nodes (200)\n"
		"  --seed S            random seed (1)\n"
		"  --churn FRAC        after joining, this fraction vanishes without notice\n"
		"  --rejoin            as many fresh nodes join after the churn\n"
		"  --churn-rate R      continuous churn: R of the nodes leave without notice\n"
		"                      and as many join per minute of virtual time (0)\n"
		"  --churn-warmup-ms MS  continuous churn before the first lookup (120000)\n"
		"  --churn-span-ms MS  under continuous churn, lookups start evenly over\n"
		"                      this much virtual time (120000)\n"
		"  --hostile FRAC      this fraction answers FIND_NODE with garbage\n"
		"  --hostile-mode M    unreachable (near ids, nobody there) | collude\n"
		"  --sybils N          N colluding nodes on one /24 with ids next to one key,\n"
		"                      which every lookup then seeks (0)\n"
		"  --per-subnet S      nodes sharing one /24 (1)\n"
		"  --latency MODEL     uniform | lognormal (lognormal)\n"
		"  --lat-min MS, --lat-max MS, --jitter MS   link latency (10, 200, 5)\n"
		"  --loss P            per-packet loss probability (0)\n"
		"  --join-lookups R    random lookups each node runs after its self lookup (1)\n"
		"  --settle-ms MS      virtual time to run between joining and lookups (0)\n"
		"  --lookup-gap-ms MS  virtual time between two lookup starts (20)\n"
		"  --k K --alpha A --max-contacts C --max-inflight I --max-lookups L --width W\n"
		"                      core parameters (20, 3, 256, 32, 2, 32)\n"
		"  --retries R         resends of a timed-out lookup request (1)\n"
		"  --min-success PCT   exit 1 if fewer lookups find the closest live node\n"
		"  --report            one row per scenario: quiet, vanished (--churn, 0.2),\n"
		"                      unreachable and collude (--hostile, 0.1), churn\n"
		"                      (--churn-rate, 0.1), each on a network built afresh\n"
		"  --json              one JSON object (per scenario) instead of the report\n");
}

static int parse_u32(const char *arg, const char *name, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || *end || end == arg || v > UINT32_MAX) {
		fprintf(stderr, "kdht-sim: %s: not a number: %s\n", name, arg);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_frac(const char *arg, const char *name, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || *end || end == arg || *out < lo || *out > hi) {
		fprintf(stderr, "kdht-sim: %s: want a number in [%g, %g]: %s\n", name, lo, hi, arg);
		return -EINVAL;
	}
	return 0;
}

enum {
	OPT_NODES = 256, OPT_LOOKUPS, OPT_SEED, OPT_CHURN, OPT_REJOIN, OPT_HOSTILE,
	OPT_HOSTILE_MODE, OPT_PER_SUBNET, OPT_LATENCY, OPT_LAT_MIN, OPT_LAT_MAX,
	OPT_JITTER, OPT_LOSS, OPT_JOIN_LOOKUPS, OPT_SETTLE, OPT_GAP, OPT_K, OPT_ALPHA,
	OPT_CONTACTS, OPT_INFLIGHT, OPT_MAX_LOOKUPS, OPT_WIDTH, OPT_MIN_SUCCESS, OPT_JSON,
	OPT_HELP,
	OPT_RETRIES, OPT_SYBILS, OPT_CHURN_RATE, OPT_CHURN_WARMUP, OPT_CHURN_SPAN, OPT_REPORT,
};

static const struct option long_opts[] = {
	{ "nodes", required_argument, NULL, OPT_NODES },
	{ "lookups", required_argument, NULL, OPT_LOOKUPS },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "churn", required_argument, NULL, OPT_CHURN },
	{ "rejoin", no_argument, NULL, OPT_REJOIN },
	{ "hostile", required_argument, NULL, OPT_HOSTILE },
	{ "hostile-mode", required_argument, NULL, OPT_HOSTILE_MODE },
	{ "sybils", required_argument, NULL, OPT_SYBILS },
	{ "per-subnet", required_argument, NULL, OPT_PER_SUBNET },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "lat-min", required_argument, NULL, OPT_LAT_MIN },
	{ "lat-max", required_argument, NULL, OPT_LAT_MAX },
	{ "jitter", required_argument, NULL, OPT_JITTER },
	{ "loss", required_argument, NULL, OPT_LOSS },
	{ "join-lookups", required_argument, NULL, OPT_JOIN_LOOKUPS },
	{ "settle-ms", required_argument, NULL, OPT_SETTLE },
	{ "lookup-gap-ms", required_argument, NULL, OPT_GAP },
	{ "k", required_argument, NULL, OPT_K },
	{ "alpha", required_argument, NULL, OPT_ALPHA },
	{ "max-contacts", required_argument, NULL, OPT_CONTACTS },
	{ "max-inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "max-lookups", required_argument, NULL, OPT_MAX_LOOKUPS },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "min-success", required_argument, NULL, OPT_MIN_SUCCESS },
	{ "churn-rate", required_argument, NULL, OPT_CHURN_RATE },
	{ "churn-warmup-ms", required_argument, NULL, OPT_CHURN_WARMUP },
	{ "churn-span-ms", required_argument, NULL, OPT_CHURN_SPAN },
	{ "report", no_argument, NULL, OPT_REPORT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A core parameter from the command line, checked against its field's width. */
static int parse_param(const char *arg, const char *name, uint32_t max, uint32_t *out)
{
	if (parse_u32(arg, name, out))
		return -EINVAL;
	if (*out > max) {
		fprintf(stderr, "kdht-sim: %s: at most %u\n", name, max);
		return -EINVAL;
	}
	return 0;
}

/* arg is one of two words: *second tells which. */
static int parse_either(const char *arg, const char *name, const char *first,
			const char *other, bool *second)
{
	*second = strcmp(arg, other) == 0;
	if (*second || strcmp(arg, first) == 0)
		return 0;
	fprintf(stderr, "kdht-sim: %s: %s or %s\n", name, first, other);
	return -EINVAL;
}

/* The core parameters the command line sets: each a u8 or a u16 field. */
struct param_opt {
	int opt;
	const char *name;
	size_t offset;
	size_t width;
};

#define PARAM_OPT(o, n, field) \
	{ o, n, offsetof(struct kd_params, field), sizeof(((struct kd_params *)0)->field) }

static const struct param_opt param_opts[] = {
	PARAM_OPT(OPT_K, "--k", k),
	PARAM_OPT(OPT_ALPHA, "--alpha", alpha),
	PARAM_OPT(OPT_CONTACTS, "--max-contacts", max_contacts),
	PARAM_OPT(OPT_INFLIGHT, "--max-inflight", max_inflight),
	PARAM_OPT(OPT_MAX_LOOKUPS, "--max-lookups", max_lookups),
	PARAM_OPT(OPT_WIDTH, "--width", lookup_width),
	PARAM_OPT(OPT_RETRIES, "--retries", lookup_retries),
};

/* Options of the core's parameters: 1 if c is none of them, else 0 or -EINVAL. */
static int parse_core_opt(int c, const char *arg, struct kd_params *p)
{
	const struct param_opt *po;
	uint32_t v;
	u16 v16;

	for (po = param_opts; po < param_opts + sizeof(param_opts) / sizeof(*po); po++) {
		if (po->opt != c)
			continue;
		if (parse_param(arg, po->name, po->width == 1 ? UINT8_MAX : UINT16_MAX, &v))
			return -EINVAL;
		v16 = (u16)v;
		if (po->width == 1)
			*((u8 *)p + po->offset) = (u8)v;
		else
			memcpy((u8 *)p + po->offset, &v16, sizeof(v16));
		return 0;
	}
	return 1;
}

/* Options of the run: 1 if c is none of them, else 0 or -EINVAL. */
static int parse_run_opt(int c, const char *arg, struct sim_opts *o)
{
	uint32_t seed;

	switch (c) {
	case OPT_NODES: return parse_u32(arg, "--nodes", &o->nodes);
	case OPT_LOOKUPS: return parse_u32(arg, "--lookups", &o->lookups);
	case OPT_SEED:
		if (parse_u32(arg, "--seed", &seed))
			return -EINVAL;
		o->seed = seed;
		return 0;
	case OPT_CHURN: return parse_frac(arg, "--churn", 0, 0.99, &o->churn);
	case OPT_REJOIN: o->rejoin = true; return 0;
	case OPT_HOSTILE: return parse_frac(arg, "--hostile", 0, 0.5, &o->hostile);
	case OPT_SYBILS: return parse_param(arg, "--sybils", SIM_HOSTS_PER_SUBNET, &o->sybils);
	case OPT_SETTLE: return parse_u32(arg, "--settle-ms", &o->settle_ms);
	case OPT_GAP: return parse_u32(arg, "--lookup-gap-ms", &o->lookup_gap_ms);
	case OPT_MIN_SUCCESS: return parse_frac(arg, "--min-success", 0, 100, &o->min_success);
	case OPT_JSON: o->json = true; return 0;
	case OPT_REPORT: o->report = true; return 0;
	case OPT_CHURN_RATE: return parse_frac(arg, "--churn-rate", 0, 1, &o->churn_rate);
	case OPT_CHURN_WARMUP: return parse_u32(arg, "--churn-warmup-ms", &o->churn_warmup_ms);
	case OPT_CHURN_SPAN: return parse_u32(arg, "--churn-span-ms", &o->churn_span_ms);
	}
	return 1;
}

/* Options of the network and its nodes: 1 if c is none of them, else 0 or -EINVAL. */
static int parse_net_opt(int c, const char *arg, struct sim *s)
{
	bool second;

	switch (c) {
	case OPT_HOSTILE_MODE:
		if (parse_either(arg, "--hostile-mode", "unreachable", "collude", &second))
			return -EINVAL;
		s->hostile_mode = second ? SIM_HOSTILE_COLLUDE : SIM_HOSTILE_UNREACHABLE;
		return 0;
	case OPT_LATENCY:
		if (parse_either(arg, "--latency", "uniform", "lognormal", &second))
			return -EINVAL;
		s->net.model = second ? SIM_LAT_LOGNORMAL : SIM_LAT_UNIFORM;
		return 0;
	case OPT_PER_SUBNET:
		return parse_param(arg, "--per-subnet", SIM_HOSTS_PER_SUBNET, &s->net.per_subnet);
	case OPT_LAT_MIN: return parse_u32(arg, "--lat-min", &s->net.lat_min_ms);
	case OPT_LAT_MAX: return parse_u32(arg, "--lat-max", &s->net.lat_max_ms);
	case OPT_JITTER: return parse_u32(arg, "--jitter", &s->net.jitter_ms);
	case OPT_LOSS: return parse_frac(arg, "--loss", 0, 0.9, &s->net.loss);
	case OPT_JOIN_LOOKUPS: return parse_param(arg, "--join-lookups", 8, &s->join_lookups);
	}
	return 1;
}

static int parse_opts(int argc, char **argv, struct sim_opts *o, struct sim *s)
{
	int c, err = 0;

	while (!err && (c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			usage(stdout);
			exit(0);
		}
		err = parse_run_opt(c, optarg, o);
		if (err == 1)
			err = parse_net_opt(c, optarg, s);
		if (err == 1)
			err = parse_core_opt(c, optarg, &s->params);
		if (err == 1) {
			fprintf(stderr, "kdht-sim: see kdht-sim --help\n");
			return -EINVAL;
		}
	}
	if (err)
		return err;
	if (optind != argc) {
		fprintf(stderr, "kdht-sim: unexpected argument: %s\n", argv[optind]);
		return -EINVAL;
	}
	if (o->nodes < 2 || s->net.lat_max_ms < s->net.lat_min_ms) {
		fprintf(stderr, "kdht-sim: want at least 2 nodes and --lat-min <= --lat-max\n");
		return -EINVAL;
	}
	return 0;
}

static void defaults(struct sim_opts *o, struct sim *s)
{
	memset(o, 0, sizeof(*o));
	memset(s, 0, sizeof(*s));
	o->nodes = 1000;
	o->lookups = 200;
	o->seed = 1;
	o->lookup_gap_ms = 20;
	o->churn_warmup_ms = 120000;
	o->churn_span_ms = 120000;
	o->min_success = -1;
	kd_params_default(&s->params);
	/*
	 * Small enough that 100,000 nodes fit in under 6 GiB, large enough for
	 * their tables (about 110 contacts at that size).
	 */
	s->params.max_contacts = 256;
	s->params.max_inflight = 32;
	s->params.max_lookups = 2;
	s->params.lookup_width = 32;
	s->params.rl_entries = 16;
	s->net.lat_min_ms = 10;
	s->net.lat_max_ms = 200;
	s->net.jitter_ms = 5;
	s->net.model = SIM_LAT_LOGNORMAL;
	s->net.per_subnet = 1;
	s->join_lookups = 1;
	s->hooks.on_event = on_event;
	s->hooks.check_join = check_join;
}

/*
 * The exit status: 1 if fewer lookups than asked found the closest node, or
 * if any result held more than result_per_subnet nodes of one /24.
 */
static int verdict(const struct sim *s, const struct sim_opts *o, const struct sim_summary *m)
{
	int rc = 0;

	if (o->min_success >= 0 && sim_pct(m->success, o->lookups) < o->min_success) {
		fprintf(stderr, "kdht-sim: %.2f%% of lookups found the closest live node, want %.2f%%\n",
			sim_pct(m->success, o->lookups), o->min_success);
		rc = 1;
	}
	if (s->crowded) {
		fprintf(stderr, "kdht-sim: %u lookups returned more than %u nodes of one /24\n",
			s->crowded, s->params.result_per_subnet);
		rc = 1;
	}
	return rc;
}

/* Slots the arena needs: continuous churn reuses slots once its spares are taken. */
static uint32_t arena_nodes(const struct sim_opts *o)
{
	uint32_t vanish = (uint32_t)(o->churn * o->nodes);
	uint32_t n = o->nodes + o->sybils + (o->rejoin ? vanish : 0);

	if (o->churn_rate > 0)
		n += o->nodes / SIM_CHURN_SPARE_DIV + 1;
	return n;
}

/* Starts continuous churn and lets it run the warm-up before any lookup. */
static int start_continuous_churn(struct sim *s, const struct sim_opts *o)
{
	int err;

	if (o->churn_rate <= 0)
		return 0;
	err = sim_churn_start(s, o->churn_rate);
	if (err)
		return err;
	return sim_churn_run_until(s, s->now + o->churn_warmup_ms);
}

/* Everything before the lookups: joins, settling, the attack and the churn. */
static int build_network(struct sim *s, const struct sim_opts *o, struct sim_summary *sum)
{
	uint32_t vanish = (uint32_t)(o->churn * o->nodes);
	int err;

	sim_rng_seed(&s->rng, o->seed);
	err = sim_init(s, arena_nodes(o));
	if (err)
		return err;
	err = join_nodes(s, o->nodes);
	if (err)
		return err;
	err = join_sybils(s, o->sybils);
	if (err)
		return err;
	sim_run_until(s, s->now + o->settle_ms);
	sum->join_virtual_ms = s->now;
	start_attack(s, (uint32_t)(o->hostile * o->nodes));
	churn(s, vanish);
	if (o->rejoin) {
		err = join_nodes(s, vanish);
		if (err)
			return err;
	}
	return start_continuous_churn(s, o);
}

/* One scenario on a network built afresh: its lookups run and are judged into sum. */
static int run_scenario(struct sim *s, const struct sim_opts *o, struct sim_summary *sum)
{
	double t0 = wall_seconds(), t1;
	int err;

	memset(sum, 0, sizeof(*sum));
	err = build_network(s, o, sum);
	if (err)
		return err;
	t1 = wall_seconds();
	sum->join_wall_s = t1 - t0;
	err = run_lookups(s, o);
	if (err)
		return err;
	sum->lookup_wall_s = wall_seconds() - t1;
	return sim_summarise(s, sum);
}

/* The --report scenarios: what each changes in the options of the run. */
enum report_scenario {
	REPORT_QUIET, REPORT_VANISHED, REPORT_UNREACHABLE, REPORT_COLLUDE, REPORT_CHURN,
	REPORT_COUNT,
};

static const char *const report_names[REPORT_COUNT] = {
	"quiet", "vanished", "unreachable", "collude", "churn",
};

/* The options of scenario k: the run's own, with one kind of trouble (at its default size). */
static void scenario_opts(const struct sim_opts *o, enum report_scenario k, struct sim *s,
			  struct sim_opts *so)
{
	*so = *o;
	so->churn = 0;
	so->rejoin = false;
	so->hostile = 0;
	so->churn_rate = 0;
	if (k == REPORT_VANISHED)
		so->churn = o->churn > 0 ? o->churn : SIM_REPORT_VANISH;
	if (k == REPORT_UNREACHABLE || k == REPORT_COLLUDE)
		so->hostile = o->hostile > 0 ? o->hostile : SIM_REPORT_HOSTILE;
	if (k == REPORT_CHURN)
		so->churn_rate = o->churn_rate > 0 ? o->churn_rate : SIM_REPORT_CHURN_RATE;
	s->hostile_mode = k == REPORT_COLLUDE ? SIM_HOSTILE_COLLUDE : SIM_HOSTILE_UNREACHABLE;
}

/*
 * --report: every scenario in turn, each on a network built afresh from the
 * same seed, one row (or JSON line) each. Returns the worst exit status.
 */
static int run_report(struct sim *s, const struct sim_opts *o)
{
	const struct sim pristine = *s;
	struct sim_summary sum;
	uint32_t quiet_ms = 0;
	struct sim_opts so;
	int k, err = 0, rc = 0;

	if (!o->json)
		sim_print_row_header();
	for (k = 0; k < REPORT_COUNT && !err; k++) {
		*s = pristine;
		scenario_opts(o, (enum report_scenario)k, s, &so);
		err = run_scenario(s, &so, &sum);
		if (!err && k == REPORT_QUIET)
			quiet_ms = sum.ms_med;
		if (!err && o->json)
			sim_print_json(s, so.seed, report_names[k], &sum);
		else if (!err)
			sim_print_row(report_names[k], s, &sum, quiet_ms);
		if (!err && verdict(s, &so, &sum))
			rc = 1;
		fflush(stdout);
		sim_free(s);
	}
	if (err) {
		fprintf(stderr, "kdht-sim: %s: %s\n", report_names[k - 1], strerror(-err));
		return 2;
	}
	return rc;
}

int main(int argc, char **argv)
{
	static struct sim s;
	struct sim_summary sum;
	struct sim_opts o;
	int err;

	defaults(&o, &s);
	if (parse_opts(argc, argv, &o, &s))
		return 2;
	if (o.report)
		return run_report(&s, &o);
	err = run_scenario(&s, &o, &sum);
	if (err) {
		fprintf(stderr, "kdht-sim: %s\n", strerror(-err));
		sim_free(&s);
		return 2;
	}
	if (o.json)
		sim_print_json(&s, o.seed, NULL, &sum);
	else
		sim_print_human(&s, o.seed, &sum);
	err = verdict(&s, &o, &sum);
	sim_free(&s);
	return err;
}
