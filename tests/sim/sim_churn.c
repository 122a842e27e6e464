// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Continuous churn: nodes leave without notice and new ones join at a steady
 * rate while the network runs, as on a real network where peers come and go
 * all the time rather than all at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define SIM_MS_PER_MIN	60000.0

int sim_churn_start(struct sim *s, double rate_per_min)
{
	struct sim_churn *c = &s->churn;
	uint32_t live = 0, i;

	for (i = 0; i < s->nnodes; i++)
		live += s->node[i].alive && !s->node[i].sybil;
	if (rate_per_min <= 0 || live == 0)
		return 0;
	c->dead = calloc(s->max_nodes, sizeof(*c->dead));
	if (!c->dead)
		return -ENOMEM;
	c->interval_ms = SIM_MS_PER_MIN / (rate_per_min * live);
	c->next_at = (double)s->now + c->interval_ms;
	c->active = true;
	return 0;
}

/* A random live honest node that runs no measured lookup, or UINT32_MAX. */
static uint32_t pick_leaver(struct sim *s)
{
	uint32_t t;

	for (t = 0; t < s->nnodes; t++) {
		uint32_t i = sim_pick_node(s, false, false);

		if (i == UINT32_MAX || !s->node[i].measuring)
			return i;
	}
	return UINT32_MAX;
}

static void leave_one(struct sim *s)
{
	struct sim_churn *c = &s->churn;
	uint32_t i = pick_leaver(s);

	if (i == UINT32_MAX)
		return;
	sim_node_kill(s, i);
	c->dead[(c->dead_head + c->dead_count) % s->max_nodes] = i;
	c->dead_count++;
	c->left++;
}

/* A slot for a new node: a fresh one while any is left, else the longest dead. */
static int start_new_node(struct sim *s, uint32_t *slot)
{
	struct sim_churn *c = &s->churn;
	struct kd_id id;

	if (s->nnodes < s->max_nodes) {
		*slot = s->nnodes;
		return sim_node_create(s);
	}
	if (c->dead_count == 0)
		return -ENOSPC;
	*slot = c->dead[c->dead_head];
	c->dead_head = (c->dead_head + 1) % s->max_nodes;
	c->dead_count--;
	c->reused++;
	sim_rng_bytes(&s->rng, id.b, sizeof(id.b));
	return sim_node_respawn(s, *slot, &id);
}

/* A new node bootstraps through a random joined node, as a real join does. */
static int join_one(struct sim *s)
{
	uint32_t via = sim_pick_node(s, true, false), slot;
	struct kd_addr a;
	int err;

	if (via == UINT32_MAX)
		return 0;
	err = start_new_node(s, &slot);
	if (err)
		return err;
	sim_node_addr(s, via, &a);
	err = kd_core_bootstrap(s->node[slot].core, s->now, &a);
	if (err)
		return err;
	s->churn.joined++;
	return sim_reschedule(s, slot);
}

/* Carries out the leave+join pairs due up to t, running the network between them. */
static int churn_until(struct sim *s, uint64_t t)
{
	struct sim_churn *c = &s->churn;
	int err;

	while (c->active && c->next_at <= (double)t) {
		sim_run_until(s, (uint64_t)c->next_at);
		c->next_at += c->interval_ms;
		leave_one(s);
		err = join_one(s);
		if (err) {
			fprintf(stderr, "kdht-sim: a joining node: %s\n", strerror(-err));
			return err;
		}
	}
	return 0;
}

int sim_churn_run_until(struct sim *s, uint64_t t)
{
	int err = churn_until(s, t);

	if (err)
		return err;
	sim_run_until(s, t);
	return 0;
}

int sim_churn_step(struct sim *s)
{
	uint64_t next = sim_peek_time(s);
	int err;

	if (next == KD_NEVER)
		return 0;
	err = churn_until(s, next);
	if (err)
		return err;
	return sim_step(s);
}
