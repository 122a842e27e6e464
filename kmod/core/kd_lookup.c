// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The iterative lookup. The candidate list is an array kept sorted by
 * distance to the target, so "the closest not yet asked" and "the k closest
 * that have not failed" are both one forward scan.
 */
#include "kd_lookup.h"

void kd_lookup_init(struct kd_lookup *l, struct kd_lookup_cand *storage, u16 width,
		    const struct kd_id *target, u8 k, u8 alpha, u8 retries,
		    u32 request_timeout_ms, u32 lookup_timeout_ms, u64 now)
{
	memset(l, 0, sizeof(*l));
	l->target = *target;
	l->cand = storage;
	l->width = width;
	l->k = k;
	l->alpha = alpha;
	l->retries = retries;
	l->per_subnet = KD_DEFAULT_RESULT_PER_SUBNET;
	l->request_timeout_ms = request_timeout_ms;
	l->started_at = now;
	l->deadline = now + lookup_timeout_ms;
}

static int kd_lookup_find(const struct kd_lookup *l, const struct kd_id *id)
{
	unsigned int i;

	for (i = 0; i < l->ncand; i++)
		if (kd_id_equal(&l->cand[i].node.id, id))
			return (int)i;
	return -1;
}

/*
 * Whether per_subnet candidates of cand[idx]'s subnet that have not failed
 * are closer than it: it is then no use to the result and not asked.
 */
static bool kd_lookup_crowded(const struct kd_lookup *l, unsigned int idx)
{
	unsigned int i, same = 0;

	if (!l->per_subnet)
		return false;
	for (i = 0; i < idx; i++)
		if (l->cand[i].state != KD_CAND_FAILED &&
		    l->cand[i].subnet == l->cand[idx].subnet &&
		    ++same >= l->per_subnet)
			return true;
	return false;
}

/* Whether per_subnet candidates of subnet that have not failed are listed. */
static bool kd_lookup_subnet_full(const struct kd_lookup *l, u64 subnet)
{
	unsigned int i, same = 0;

	if (!l->per_subnet)
		return false;
	for (i = 0; i < l->ncand; i++)
		if (l->cand[i].state != KD_CAND_FAILED && l->cand[i].subnet == subnet &&
		    ++same >= l->per_subnet)
			return true;
	return false;
}

/* The farthest never-asked candidate at or after pos (of *subnet only, if given), or -1. */
static int kd_lookup_farthest_new(const struct kd_lookup *l, unsigned int pos,
				  const u64 *subnet)
{
	unsigned int i;

	for (i = l->ncand; i > pos; i--)
		if (l->cand[i - 1].state == KD_CAND_NEW &&
		    (!subnet || l->cand[i - 1].subnet == *subnet))
			return (int)(i - 1);
	return -1;
}

/*
 * The slot a newcomer of subnet at sorted position pos may take in a full
 * list: the farthest failed candidate, else the farthest crowded never-asked
 * one; else, if its subnet is at its limit, the farthest never-asked one of
 * its own subnet farther than itself (so a flood from one subnet displaces
 * its own kind only), otherwise the farthest never-asked one farther than
 * itself; else none (-1).
 */
static int kd_lookup_victim(const struct kd_lookup *l, unsigned int pos, u64 subnet)
{
	unsigned int i;

	for (i = l->ncand; i > 0; i--)
		if (l->cand[i - 1].state == KD_CAND_FAILED)
			return (int)(i - 1);
	for (i = l->ncand; i > 0; i--)
		if (l->cand[i - 1].state == KD_CAND_NEW && kd_lookup_crowded(l, i - 1))
			return (int)(i - 1);
	return kd_lookup_farthest_new(l, pos, kd_lookup_subnet_full(l, subnet) ? &subnet : NULL);
}

/* Inserts n in distance order; a full list gives up a slot as above. */
static void kd_lookup_insert(struct kd_lookup *l, const struct kd_node *n, u16 hop,
			     u8 source)
{
	unsigned int pos = l->ncand;
	u64 subnet = kd_addr_subnet(&n->addr);
	struct kd_lookup_cand *c;
	int v;

	if (!l->width || kd_lookup_find(l, &n->id) >= 0)
		return;
	while (pos > 0 && kd_id_cmp_distance(&l->target, &n->id,
					     &l->cand[pos - 1].node.id) < 0)
		pos--;
	if (l->ncand >= l->width) {
		v = kd_lookup_victim(l, pos, subnet);
		if (v < 0)
			return;
		memmove(&l->cand[v], &l->cand[v + 1],
			(l->ncand - (unsigned int)v - 1) * sizeof(l->cand[0]));
		l->ncand--;
		if ((unsigned int)v < pos)
			pos--;
	}
	memmove(&l->cand[pos + 1], &l->cand[pos],
		(l->ncand - pos) * sizeof(l->cand[0]));
	l->ncand++;
	c = &l->cand[pos];
	memset(c, 0, sizeof(*c));
	c->node = *n;
	c->subnet = subnet;
	c->hop = hop;
	c->source = source;
	c->state = KD_CAND_NEW;
}

static void kd_lookup_finish(struct kd_lookup *l, u64 now, bool timed_out)
{
	l->done = 1;
	l->timed_out = timed_out;
	l->stats.elapsed_ms = (u32)KD_MIN(now - l->started_at, (u64)0xffffffff);
}

/*
 * Done when the k closest candidates that have not failed and are not
 * crowded have all replied, or when nothing is left to ask and nothing is in
 * flight.
 */
static void kd_lookup_check(struct kd_lookup *l, u64 now)
{
	unsigned int i, live = 0;
	bool pending = false;

	if (l->done)
		return;
	for (i = 0; i < l->ncand && live < l->k; i++) {
		if (l->cand[i].state == KD_CAND_FAILED || kd_lookup_crowded(l, i))
			continue;
		live++;
		if (l->cand[i].state != KD_CAND_REPLIED) {
			pending = true;
			break;
		}
	}
	if (!pending)
		kd_lookup_finish(l, now, false);
}

void kd_lookup_seed(struct kd_lookup *l, const struct kd_node *n)
{
	if (!l->done)
		kd_lookup_insert(l, n, 1, KD_SOURCE_NONE);
}

/* Marks cand[idx] asked now. A resend is slow from the start: it holds no place. */
static void kd_lookup_ask(struct kd_lookup *l, unsigned int idx, u64 now)
{
	struct kd_lookup_cand *c = &l->cand[idx];

	if (!(c->state == KD_CAND_RETRY && c->slow))
		l->inflight++;
	c->state = KD_CAND_ASKED;
	c->sent_at = now;
	c->expect_ms = l->request_timeout_ms;
	c->timeout_ms = l->request_timeout_ms;
	if (c->tries < 0xff)
		c->tries++;
	if (l->stats.sent < 0xffff)
		l->stats.sent++;
	if (c->hop > l->stats.rounds)
		l->stats.rounds = c->hop;
}

bool kd_lookup_next(struct kd_lookup *l, u64 now, struct kd_node *out)
{
	struct kd_lookup_cand *c;
	unsigned int i;

	if (l->done)
		return false;
	if (now >= l->deadline) {
		kd_lookup_finish(l, now, true);
		return false;
	}
	kd_lookup_check(l, now);
	if (l->done)
		return false;
	for (i = 0; i < l->ncand; i++) {
		c = &l->cand[i];
		if ((c->state != KD_CAND_NEW && c->state != KD_CAND_RETRY) ||
		    kd_lookup_crowded(l, i))
			continue;
		if (!(c->state == KD_CAND_RETRY && c->slow) && l->inflight >= l->alpha)
			continue;
		kd_lookup_ask(l, i, now);
		*out = c->node;
		return true;
	}
	return false;
}

static void kd_count(u16 *v)
{
	if (*v < 0xffff)
		(*v)++;
}

/*
 * cand[idx] failed. When its source has had KD_SOURCE_FAILS referrals fail
 * and none answer, the source's candidates not yet asked fail with it.
 */
static void kd_lookup_fail(struct kd_lookup *l, unsigned int idx)
{
	struct kd_lookup_source *src;
	unsigned int i;
	u8 source = l->cand[idx].source;

	l->cand[idx].state = KD_CAND_FAILED;
	if (source == KD_SOURCE_NONE)
		return;
	src = &l->source[source];
	if (src->failed < 0xff)
		src->failed++;
	if (src->failed < KD_SOURCE_FAILS || src->replied)
		return;
	for (i = 0; i < l->ncand; i++)
		if (l->cand[i].source == source && l->cand[i].state == KD_CAND_NEW)
			l->cand[i].state = KD_CAND_FAILED;
}

/* The asked cand[idx] got its answer or failed: it no longer holds a place. */
static void kd_lookup_settle(struct kd_lookup *l, struct kd_lookup_cand *c)
{
	if (c->state == KD_CAND_ASKED && !c->slow)
		l->inflight--;
	c->slow = 0;
}

void kd_lookup_set_timing(struct kd_lookup *l, const struct kd_id *id, u32 expect_ms,
			  u32 timeout_ms)
{
	int idx = kd_lookup_find(l, id);

	if (idx < 0 || l->cand[idx].state != KD_CAND_ASKED)
		return;
	/* A resend is only for a lost request: it waits one expected round trip. */
	if (l->cand[idx].tries > 1)
		timeout_ms = KD_MIN(expect_ms, timeout_ms);
	l->cand[idx].timeout_ms = timeout_ms;
	l->cand[idx].expect_ms = KD_MIN(expect_ms, timeout_ms);
}

enum kd_lookup_reply kd_lookup_on_reply(struct kd_lookup *l, u64 now,
					const struct kd_node *from,
					const struct kd_node *nodes, unsigned int n)
{
	struct kd_lookup_cand *c;
	unsigned int i;
	int idx;
	u16 hop;
	u8 source;

	if (l->done) {
		kd_count(&l->stats.unsolicited);
		return KD_LK_LATE;
	}
	idx = kd_lookup_find(l, &from->id);
	if (idx < 0 || l->cand[idx].state == KD_CAND_NEW) {
		kd_count(&l->stats.unsolicited);
		return KD_LK_UNSOLICITED;
	}
	c = &l->cand[idx];
	if (c->state == KD_CAND_REPLIED) {
		kd_count(&l->stats.duplicates);
		return KD_LK_DUPLICATE;
	}
	/*
	 * A reply after our timeout, or to an earlier attempt, still proves
	 * the node and carries nodes.
	 */
	kd_lookup_settle(l, c);
	c->state = KD_CAND_REPLIED;
	c->rtt_ms = (u32)KD_MIN(now - c->sent_at, (u64)0xffffffff);
	kd_count(&l->stats.replies);
	if (c->source != KD_SOURCE_NONE && l->source[c->source].replied < 0xff)
		l->source[c->source].replied++;
	hop = c->hop < 0xffff ? c->hop + 1 : c->hop;
	source = l->nsources < KD_LOOKUP_SOURCES ? l->nsources++ : KD_SOURCE_NONE;
	for (i = 0; i < n; i++)
		kd_lookup_insert(l, &nodes[i], hop, source);
	kd_lookup_check(l, now);
	return KD_LK_ACCEPTED;
}

void kd_lookup_on_failure(struct kd_lookup *l, u64 now, const struct kd_id *id)
{
	int idx;

	if (l->done)
		return;
	idx = kd_lookup_find(l, id);
	if (idx < 0)
		return;
	if (l->cand[idx].state == KD_CAND_ASKED)
		kd_count(&l->stats.timeouts);
	kd_lookup_settle(l, &l->cand[idx]);
	if (l->cand[idx].state != KD_CAND_REPLIED && l->cand[idx].state != KD_CAND_FAILED)
		kd_lookup_fail(l, (unsigned int)idx);
	kd_lookup_check(l, now);
}

/*
 * Whether cand[idx] is among the k closest candidates that have not failed
 * and are not crowded.
 */
static bool kd_lookup_in_k(const struct kd_lookup *l, unsigned int idx)
{
	unsigned int i, live = 0;

	if (kd_lookup_crowded(l, idx))
		return false;
	for (i = 0; i < idx; i++)
		if (l->cand[i].state != KD_CAND_FAILED && !kd_lookup_crowded(l, i))
			live++;
	return live < l->k;
}

/* The asked cand[idx] timed out: ask it again or fail it. */
static bool kd_lookup_expire(struct kd_lookup *l, unsigned int idx)
{
	struct kd_lookup_cand *c = &l->cand[idx];

	kd_lookup_settle(l, c);
	kd_count(&l->stats.timeouts);
	if (c->tries <= l->retries && kd_lookup_in_k(l, idx)) {
		/* Likely dead: the resend holds no place, so the lookup moves on. */
		c->state = KD_CAND_RETRY;
		c->slow = 1;
		return true;
	}
	kd_lookup_fail(l, idx);
	return false;
}

void kd_lookup_exclude(struct kd_lookup *l, u64 now, const struct kd_id *id)
{
	int idx;

	if (l->done)
		return;
	idx = kd_lookup_find(l, id);
	if (idx < 0 || l->cand[idx].state != KD_CAND_NEW)
		return;
	kd_lookup_fail(l, (unsigned int)idx);
	kd_lookup_check(l, now);
}

bool kd_lookup_on_timeout(struct kd_lookup *l, u64 now, const struct kd_id *id)
{
	bool again;
	int idx;

	if (l->done)
		return false;
	idx = kd_lookup_find(l, id);
	if (idx < 0 || l->cand[idx].state != KD_CAND_ASKED)
		return false;
	again = kd_lookup_expire(l, (unsigned int)idx);
	kd_lookup_check(l, now);
	return again;
}

/* The asked cand[idx] is past its expected round trip: it gives up its place. */
static void kd_lookup_slow(struct kd_lookup *l, unsigned int idx)
{
	l->cand[idx].slow = 1;
	l->inflight--;
	kd_count(&l->stats.slow);
}

void kd_lookup_tick(struct kd_lookup *l, u64 now)
{
	struct kd_lookup_cand *c;
	unsigned int i;

	if (l->done)
		return;
	for (i = 0; i < l->ncand; i++) {
		c = &l->cand[i];
		if (c->state != KD_CAND_ASKED)
			continue;
		if (now - c->sent_at >= c->timeout_ms)
			kd_lookup_expire(l, i);
		else if (!c->slow && now - c->sent_at >= c->expect_ms)
			kd_lookup_slow(l, i);
	}
	if (now >= l->deadline) {
		kd_lookup_finish(l, now, true);
		return;
	}
	kd_lookup_check(l, now);
}

u64 kd_lookup_next_due(const struct kd_lookup *l)
{
	const struct kd_lookup_cand *c;
	u64 due;
	unsigned int i;

	if (l->done)
		return (u64)-1;
	due = l->deadline;
	for (i = 0; i < l->ncand; i++) {
		c = &l->cand[i];
		if (c->state == KD_CAND_ASKED)
			due = KD_MIN(due, c->sent_at + (c->slow ? c->timeout_ms : c->expect_ms));
	}
	return due;
}

/* How many of the first n hits are in subnet. */
static unsigned int kd_lookup_hits_in(const struct kd_lookup_hit *out, unsigned int n,
				      u64 subnet)
{
	unsigned int i, same = 0;

	for (i = 0; i < n; i++)
		if (kd_addr_subnet(&out[i].node.addr) == subnet)
			same++;
	return same;
}

unsigned int kd_lookup_result(const struct kd_lookup *l, struct kd_lookup_hit *out,
			      unsigned int max)
{
	unsigned int i, n = 0;

	max = KD_MIN(max, (unsigned int)l->k);
	for (i = 0; i < l->ncand && n < max; i++) {
		if (l->cand[i].state != KD_CAND_REPLIED)
			continue;
		if (l->per_subnet &&
		    kd_lookup_hits_in(out, n, l->cand[i].subnet) >= l->per_subnet)
			continue;
		out[n].node = l->cand[i].node;
		out[n].rtt_ms = l->cand[i].rtt_ms;
		n++;
	}
	return n;
}
