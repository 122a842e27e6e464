/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * A few whole cores wired to one queue, for the unit tests that play
 * several nodes: what a core sends waits in the queue until the test
 * delivers it, inspects it, or drops it. One copy per test file (static).
 */
#ifndef KDHT_UNIT_CORES_H
#define KDHT_UNIT_CORES_H

#include <stdlib.h>

#include "kd_core.h"

#define UNIT_NODES	4
#define UNIT_QUEUE_LEN	512

/* A datagram some core sent, waiting for the test to deliver or inspect it. */
struct sent {
	struct kd_addr from, to;
	size_t len;
	u8 data[KDHT_MAX_DATAGRAM];
};

struct node {
	struct kd_core *c;
	void *mem;
	struct kd_addr addr;
	struct kd_id id;
	struct kd_ratelimit *rl;	/* when set, io->admit consults it */
	unsigned int admits;		/* io->admit calls: the limiter was reached */
	unsigned int pings_ok;
};

static struct node nodes[UNIT_NODES];
static struct sent queue[UNIT_QUEUE_LEN];
static unsigned int qhead, qtail;
static u64 now;
static struct kd_params params;

static void on_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	struct node *n = ctx;
	struct sent *s;

	assert_true(len <= KDHT_MAX_DATAGRAM);
	assert_true(qtail - qhead < UNIT_QUEUE_LEN);
	s = &queue[qtail++ % UNIT_QUEUE_LEN];
	s->from = n->addr;
	s->to = *to;
	s->len = len;
	memcpy(s->data, pkt, len);
}

static void on_event(void *ctx, const struct kd_event *ev)
{
	struct node *n = ctx;

	if (ev->type == KD_EV_PING_DONE && ev->ok)
		n->pings_ok++;
}

static bool on_admit(void *ctx, u64 t, const struct kd_addr *from, bool proven)
{
	struct node *n = ctx;

	n->admits++;
	return !n->rl || kd_rl_allow(n->rl, t, from, proven);
}

/* Node i at addr, with an id and a seed of its own, under params. */
static void add_node(unsigned int i, struct kd_addr addr)
{
	struct node *n = &nodes[i];
	struct kd_io io = { .ctx = n, .send = on_send, .event = on_event,
			    .admit = on_admit };
	size_t size = kd_core_memsize(&params);
	u8 seed[32];

	assert_true(size > 0);
	memset(n, 0, sizeof(*n));
	n->addr = addr;
	memset(n->id.b, 0x11 * (i + 1), KDHT_ID_LEN);
	memset(seed, (int)i + 1, sizeof(seed));
	n->mem = malloc(size);
	assert_non_null(n->mem);
	assert_int_equal(kd_core_init(n->mem, size, &params, &n->id, seed, now, &io, &n->c), 0);
}

static struct node *node_at(const struct kd_addr *a)
{
	unsigned int i;

	for (i = 0; i < UNIT_NODES; i++)
		if (nodes[i].c && kd_addr_equal(&nodes[i].addr, a))
			return &nodes[i];
	return NULL;
}

/* Delivers the oldest queued datagram (it must be for a core); its verdict. */
static int deliver_one(void)
{
	struct sent *s = &queue[qhead++ % UNIT_QUEUE_LEN];
	struct kd_input in;

	assert_non_null(node_at(&s->to));
	return kd_core_input(node_at(&s->to)->c, now, &s->from, s->data, s->len, &in);
}

/* Frees every node, empties the queue, restarts the clock and the defaults. */
static int unit_cores_reset(void **state)
{
	unsigned int i;

	for (i = 0; i < UNIT_NODES; i++)
		free(nodes[i].mem);
	memset(nodes, 0, sizeof(nodes));
	qhead = qtail = 0;
	now = 1000;
	kd_params_default(&params);
	return 0;
}

#endif /* KDHT_UNIT_CORES_H */
