// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Nodes and the simulated network: addresses, per-link latency, loss,
 * delivery to live nodes only, timers, and the hostile nodes' garbage.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* A node asked to be ticked again at the same instant this often is looping. */
#define SIM_TICK_STORM		64
#define SIM_PKT_GROW		4096
#define SIM_PICK_TRIES		1000	/* random draws before sim_pick_node gives up */

int sim_init(struct sim *s, uint32_t max_nodes)
{
	size_t mem = kd_core_memsize(&s->params);
	uint32_t per = s->net.per_subnet;

	if (mem == 0 || kd_params_check(&s->params) != 0) {
		fprintf(stderr, "kdht-sim: the core refuses these parameters\n");
		return -EINVAL;
	}
	if (per == 0 || per > SIM_HOSTS_PER_SUBNET ||
	    (uint64_t)max_nodes > (uint64_t)SIM_SUBNETS * (SIM_HOSTS_PER_SUBNET / per) * per) {
		fprintf(stderr, "kdht-sim: %u nodes do not fit 10.0.0.0/8 at %u per /24\n",
			max_nodes, per);
		return -EINVAL;
	}
	s->node_mem = (mem + 63) & ~(size_t)63;
	s->arena = malloc(s->node_mem * max_nodes);
	s->node = calloc(max_nodes, sizeof(*s->node));
	s->hostile_ids = calloc(max_nodes, sizeof(*s->hostile_ids));
	if (!s->arena || !s->node || !s->hostile_ids) {
		fprintf(stderr, "kdht-sim: cannot allocate %zu bytes for %u nodes\n",
			s->node_mem * max_nodes, max_nodes);
		return -ENOMEM;
	}
	s->max_nodes = max_nodes;
	s->pkts.free_head = UINT32_MAX;
	return 0;
}

void sim_free(struct sim *s)
{
	free(s->arena);
	free(s->node);
	free(s->hostile_ids);
	free(s->pkts.slot);
	free(s->lk);
	free(s->churn.dead);
	sim_heap_free(&s->heap);
}

static bool is_sybil(const struct sim *s, uint32_t i)
{
	return i >= s->sybil_first && i - s->sybil_first < s->nsybil;
}

/*
 * Node i lives at 10.a.b.h:SIM_PORT. per_subnet consecutive nodes share a
 * /24; once all /24s are used, the next round takes the next hosts. The
 * Sybils take 11.0.0.1 and on instead.
 */
void sim_node_addr(const struct sim *s, uint32_t i, struct kd_addr *a)
{
	uint32_t per = s->net.per_subnet;
	uint32_t q = i / per, r = i % per;
	uint32_t round = q / SIM_SUBNETS, subnet = q % SIM_SUBNETS;

	memset(a, 0, sizeof(*a));
	a->family = KDHT_AF_INET;
	a->port = SIM_PORT;
	if (is_sybil(s, i)) {
		a->ip[0] = SIM_SYBIL_NET;
		a->ip[3] = (uint8_t)(1 + i - s->sybil_first);
		return;
	}
	a->ip[0] = 10;
	a->ip[1] = (uint8_t)(subnet >> 8);
	a->ip[2] = (uint8_t)subnet;
	a->ip[3] = (uint8_t)(1 + r + per * round);
}

uint32_t sim_addr_node(const struct sim *s, const struct kd_addr *a)
{
	uint32_t per = s->net.per_subnet;
	uint32_t host, subnet;
	uint64_t i;

	if (a->family != KDHT_AF_INET || a->port != SIM_PORT ||
	    a->ip[3] == 0 || a->ip[3] > SIM_HOSTS_PER_SUBNET)
		return UINT32_MAX;
	host = a->ip[3] - 1u;
	if (a->ip[0] == SIM_SYBIL_NET && a->ip[1] == 0 && a->ip[2] == 0)
		return host < s->nsybil ? s->sybil_first + host : UINT32_MAX;
	if (a->ip[0] != 10)
		return UINT32_MAX;
	subnet = ((uint32_t)a->ip[1] << 8) | a->ip[2];
	i = ((uint64_t)(host / per) * SIM_SUBNETS + subnet) * per + host % per;
	return i < s->nnodes ? (uint32_t)i : UINT32_MAX;
}

/* The fixed part of a link's latency, the same in both directions. */
static uint32_t link_base_ms(const struct sim *s, uint32_t a, uint32_t b)
{
	const struct sim_net_cfg *n = &s->net;
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
	uint64_t h = sim_mix64((lo << 32 | hi) ^ s->rng.s[3]);
	uint32_t span = n->lat_max_ms - n->lat_min_ms;
	double u1, u2, z, median, sigma, v;

	if (n->model == SIM_LAT_UNIFORM || span == 0)
		return n->lat_min_ms + (uint32_t)(h % ((uint64_t)span + 1));
	/* Box-Muller from two halves of the hash; +1 keeps log() finite. */
	u1 = ((double)(h >> 32) + 1.0) / 4294967297.0;
	u2 = (double)(h & 0xffffffffu) / 4294967296.0;
	z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	median = sqrt((double)(n->lat_min_ms ? n->lat_min_ms : 1) * n->lat_max_ms);
	sigma = log((double)n->lat_max_ms / (n->lat_min_ms ? n->lat_min_ms : 1)) / 4.0;
	v = median * exp(sigma * z);
	if (v < n->lat_min_ms)
		v = n->lat_min_ms;
	if (v > n->lat_max_ms)
		v = n->lat_max_ms;
	return (uint32_t)v;
}

static int pkt_alloc(struct sim_pkt_pool *p, uint32_t *out)
{
	if (p->free_head == UINT32_MAX) {
		uint32_t cap = p->cap + SIM_PKT_GROW, i;
		struct sim_pkt *slot = realloc(p->slot, (size_t)cap * sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (i = p->cap; i < cap; i++)
			slot[i].next_free = i + 1 < cap ? i + 1 : UINT32_MAX;
		p->slot = slot;
		p->free_head = p->cap;
		p->cap = cap;
	}
	*out = p->free_head;
	p->free_head = p->slot[*out].next_free;
	if (++p->used > p->peak)
		p->peak = p->used;
	return 0;
}

static void pkt_release(struct sim_pkt_pool *p, uint32_t i)
{
	p->slot[i].next_free = p->free_head;
	p->free_head = i;
	p->used--;
}

static void die_oom(void)
{
	fprintf(stderr, "kdht-sim: out of memory\n");
	exit(2);
}

void sim_send(struct sim *s, uint32_t src, const struct kd_addr *to,
	      const uint8_t *pkt, size_t len)
{
	uint32_t dst = sim_addr_node(s, to);
	uint32_t slot, lat;
	struct sim_pkt *p;

	s->cnt.sent++;
	if (dst == UINT32_MAX || !s->node[dst].alive) {
		s->cnt.to_dead++;
		return;
	}
	if (s->net.loss > 0 && sim_rng_unit(&s->rng) < s->net.loss) {
		s->cnt.lost++;
		return;
	}
	if (len > KDHT_MAX_DATAGRAM) {
		fprintf(stderr, "kdht-sim: node %u sent a %zu-byte datagram\n", src, len);
		exit(2);
	}
	if (pkt_alloc(&s->pkts, &slot) != 0)
		die_oom();
	p = &s->pkts.slot[slot];
	p->src = src;
	p->dst = dst;
	p->len = (uint16_t)len;
	memcpy(p->data, pkt, len);
	lat = link_base_ms(s, src, dst);
	if (s->net.jitter_ms)
		lat += (uint32_t)sim_rng_below(&s->rng, (uint64_t)s->net.jitter_ms + 1);
	if (sim_heap_push(&s->heap, s->now + lat, SIM_EV_DELIVER, slot) != 0)
		die_oom();
}

static void on_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	struct sim_node *n = ctx;
	struct sim *s = n->sim;
	uint32_t src = (uint32_t)(n - s->node);

	if (s->hooks.tap && s->hooks.tap(s, src, to, pkt, len))
		return;
	sim_send(s, src, to, pkt, len);
}

static void on_core_event(void *ctx, const struct kd_event *ev)
{
	struct sim_node *n = ctx;

	if (n->sim->hooks.on_event)
		n->sim->hooks.on_event(n->sim, (uint32_t)(n - n->sim->node), ev);
}

static void check_join(struct sim *s, uint32_t i)
{
	if (!s->node[i].joined && s->hooks.check_join)
		s->hooks.check_join(s, i);
}

int sim_node_create(struct sim *s)
{
	struct kd_id id;

	sim_rng_bytes(&s->rng, id.b, sizeof(id.b));
	return sim_node_create_id(s, &id);
}

/* Starts a fresh core with the given id in slot i. */
static int node_start(struct sim *s, uint32_t i, const struct kd_id *id)
{
	struct sim_node *n = &s->node[i];
	uint64_t died_at = n->died_at;
	u8 seed[32];
	int err;

	memset(n, 0, sizeof(*n));
	n->died_at = died_at;
	n->sim = s;
	n->io.ctx = n;
	n->io.send = on_send;
	n->io.event = on_core_event;
	n->id = *id;
	sim_rng_bytes(&s->rng, seed, sizeof(seed));
	err = kd_core_init(s->arena + (size_t)i * s->node_mem, s->node_mem, &s->params,
			   &n->id, seed, s->now, &n->io, &n->core);
	if (err) {
		fprintf(stderr, "kdht-sim: kd_core_init: %s\n", strerror(-err));
		return err;
	}
	n->alive = 1;
	n->sched = KD_NEVER;
	n->last_tick = KD_NEVER;
	n->joined_at = KD_NEVER;
	return 0;
}

int sim_node_create_id(struct sim *s, const struct kd_id *id)
{
	uint32_t i = s->nnodes;
	int err;

	if (i >= s->max_nodes)
		return -ENOSPC;
	err = node_start(s, i, id);
	if (err)
		return err;
	s->nnodes++;
	return sim_reschedule(s, i);
}

int sim_node_respawn(struct sim *s, uint32_t i, const struct kd_id *id)
{
	int err;

	if (i >= s->nnodes || s->node[i].alive || s->node[i].sybil)
		return -EINVAL;
	err = node_start(s, i, id);
	if (err)
		return err;
	return sim_reschedule(s, i);
}

void sim_node_kill(struct sim *s, uint32_t i)
{
	s->node[i].alive = 0;
	s->node[i].sched = KD_NEVER;
	s->node[i].died_at = s->now;
}

uint32_t sim_pick_node(struct sim *s, bool want_joined, bool want_free)
{
	uint32_t t;

	if (s->nnodes == 0)
		return UINT32_MAX;
	for (t = 0; t < SIM_PICK_TRIES; t++) {
		uint32_t i = (uint32_t)sim_rng_below(&s->rng, s->nnodes);
		struct sim_node *n = &s->node[i];

		if (!n->alive || n->hostile || (want_joined && !n->joined))
			continue;
		if (want_free && kd_core_lookups_running(n->core) >= s->params.max_lookups)
			continue;
		return i;
	}
	return UINT32_MAX;
}

int sim_reschedule(struct sim *s, uint32_t i)
{
	struct sim_node *n = &s->node[i];
	uint64_t due;

	if (!n->alive)
		return 0;
	due = kd_core_next_due(n->core);
	if (due == KD_NEVER)
		return 0;
	if (due <= s->now) {
		due = s->now;
		/* A core that stays due after its tick would spin the clock. */
		if (n->same_time_ticks >= SIM_TICK_STORM) {
			s->cnt.tick_storms++;
			due = s->now + 1;
		}
	}
	if (due >= n->sched)
		return 0;
	n->sched = due;
	return sim_heap_push(&s->heap, due, SIM_EV_TIMER, i);
}

/* A hostile node's answer to FIND_NODE: garbage in a well-formed NODES reply. */
static bool hostile_answer(struct sim *s, uint32_t i, const struct kd_addr *from,
			   const uint8_t *pkt, size_t len)
{
	struct kd_node nodes[KDHT_MAX_NODES];
	struct kd_find_node fn;
	struct kd_hdr h, rh;
	const u8 *body;
	size_t blen, out;
	unsigned int n, j;
	u8 buf[KDHT_MAX_DATAGRAM];

	if (kd_decode_hdr(pkt, len, &h, &body, &blen) != KD_R_OK ||
	    h.type != KDHT_MSG_FIND_NODE || (h.flags & KDHT_F_REPLY) ||
	    kd_decode_find_node(body, blen, &fn) != KD_R_OK)
		return false;
	n = fn.count < KDHT_MAX_NODES ? fn.count : KDHT_MAX_NODES;
	if (s->hostile_mode == SIM_HOSTILE_COLLUDE) {
		n = sim_hostile_closest(s, &fn.target, nodes, n);
	} else {
		for (j = 0; j < n; j++) {
			/* 24 bits shared with the target: closer than any honest node. */
			nodes[j].id = fn.target;
			sim_rng_bytes(&s->rng, nodes[j].id.b + 3, KDHT_ID_LEN - 3);
			sim_node_addr(s, (uint32_t)sim_rng_below(&s->rng, s->max_nodes),
				      &nodes[j].addr);
			nodes[j].addr.port = SIM_DEAD_PORT;
		}
	}
	kd_core_make_hdr(s->node[i].core, &rh, KDHT_MSG_NODES, KDHT_F_REPLY, from, h.txid);
	out = kd_encode_nodes(buf, sizeof(buf), &rh, nodes, n);
	if (out == 0) {
		fprintf(stderr, "kdht-sim: kd_encode_nodes refused %u nodes\n", n);
		exit(2);
	}
	s->cnt.hostile_replies++;
	sim_send(s, i, from, buf, out);
	return true;
}

static void deliver(struct sim *s, uint32_t slot)
{
	struct sim_pkt *p = &s->pkts.slot[slot];
	uint32_t src = p->src, dst = p->dst;
	size_t len = p->len;
	struct kd_addr from;
	struct kd_input in;
	u8 buf[KDHT_MAX_DATAGRAM];
	int r;

	/* The pool may move when the core sends from within input. */
	memcpy(buf, p->data, len);
	pkt_release(&s->pkts, slot);
	if (!s->node[dst].alive) {
		s->cnt.to_dead++;
		return;
	}
	s->cnt.delivered++;
	sim_node_addr(s, src, &from);
	if (s->hostile_active && s->node[dst].hostile &&
	    hostile_answer(s, dst, &from, buf, len))
		return;
	memset(&in, 0, sizeof(in));
	r = kd_core_input(s->node[dst].core, s->now, &from, buf, len, &in);
	if (r < 0 || r >= KD_R_COUNT) {
		fprintf(stderr, "kdht-sim: kd_core_input returned %d\n", r);
		exit(2);
	}
	if (r != KD_R_OK)
		s->cnt.input_drops[r]++;
	if (in.reply_cut)
		s->cnt.replies_cut++;
	check_join(s, dst);
	if (sim_reschedule(s, dst) != 0)
		die_oom();
}

static void fire_timer(struct sim *s, uint32_t i, uint64_t at)
{
	struct sim_node *n = &s->node[i];

	if (!n->alive || at != n->sched)
		return;
	n->sched = KD_NEVER;
	if (kd_core_next_due(n->core) <= s->now) {
		n->same_time_ticks = n->last_tick == s->now ? n->same_time_ticks + 1 : 0;
		n->last_tick = s->now;
		s->cnt.ticks++;
		kd_core_tick(n->core, s->now);
		check_join(s, i);
	}
	if (sim_reschedule(s, i) != 0)
		die_oom();
}

bool sim_step(struct sim *s)
{
	struct sim_ev ev;

	if (!sim_heap_pop(&s->heap, &ev))
		return false;
	if (ev.time > s->now)
		s->now = ev.time;
	s->cnt.events++;
	if (ev.kind == SIM_EV_DELIVER)
		deliver(s, ev.arg);
	else
		fire_timer(s, ev.arg, ev.time);
	return true;
}

uint64_t sim_peek_time(const struct sim *s)
{
	return s->heap.n ? s->heap.ev[0].time : KD_NEVER;
}

void sim_run_until(struct sim *s, uint64_t t)
{
	while (sim_peek_time(s) <= t)
		sim_step(s);
	if (s->now < t)
		s->now = t;
}
