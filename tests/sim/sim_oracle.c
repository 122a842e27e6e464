// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The oracle: the truly closest nodes by brute force over the simulator's
 * own list. It computes XOR distance itself, so that a fault in the core's
 * distance code cannot hide in the judgement of the core's lookups.
 */
#include "sim.h"

/* < 0 if a is closer to t than b. */
static int closer(const struct kd_id *t, const struct kd_id *a, const struct kd_id *b)
{
	unsigned int i;

	for (i = 0; i < KDHT_ID_LEN; i++) {
		uint8_t da = a->b[i] ^ t->b[i], db = b->b[i] ^ t->b[i];

		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

/* Inserts node i into out[0..*n), kept sorted and capped at want. */
static void keep_closest(const struct sim *s, const struct kd_id *t, uint32_t *out,
			 unsigned int *n, unsigned int want, uint32_t i)
{
	const struct kd_id *id = &s->node[i].id;
	unsigned int j;

	if (*n == want && closer(t, id, &s->node[out[*n - 1]].id) >= 0)
		return;
	j = *n < want ? (*n)++ : want - 1;
	while (j > 0 && closer(t, id, &s->node[out[j - 1]].id) < 0) {
		out[j] = out[j - 1];
		j--;
	}
	out[j] = i;
}

unsigned int sim_oracle_closest_joined(const struct sim *s, const struct kd_id *target,
				       uint64_t joined_by, uint32_t *out, unsigned int want)
{
	unsigned int n = 0;
	uint32_t i;

	if (want == 0)
		return 0;
	for (i = 0; i < s->nnodes; i++)
		if (s->node[i].alive && !s->node[i].sybil && s->node[i].joined_at <= joined_by)
			keep_closest(s, target, out, &n, want, i);
	return n;
}

unsigned int sim_oracle_closest(const struct sim *s, const struct kd_id *target,
				uint32_t *out, unsigned int want)
{
	return sim_oracle_closest_joined(s, target, KD_NEVER, out, want);
}

unsigned int sim_hostile_closest(const struct sim *s, const struct kd_id *target,
				 struct kd_node *out, unsigned int max)
{
	uint32_t best[KDHT_MAX_NODES];
	unsigned int n = 0, j;
	uint32_t h;

	if (max > KDHT_MAX_NODES)
		max = KDHT_MAX_NODES;
	if (max == 0)
		return 0;
	for (h = 0; h < s->nhostile; h++)
		keep_closest(s, target, best, &n, max, s->hostile_ids[h]);
	for (j = 0; j < n; j++) {
		out[j].id = s->node[best[j]].id;
		sim_node_addr(s, best[j], &out[j].addr);
	}
	return n;
}
