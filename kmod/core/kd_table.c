// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The k-bucket routing table. Contacts live in one pool; each bucket keeps
 * two singly linked lists of pool indexes (members and replacements), least
 * recently seen first. A contact that is seen again moves to the tail.
 *
 * IP diversity is counted over bucket members only: the subnet table holds
 * one slot per /24 (/48) in use with the number of members in it. It has
 * twice as many slots as the pool has contacts, so it can never fill up and
 * linear probing stays short; deletions shift later entries back so that no
 * probe sequence is ever broken by a hole.
 */
#include "kd_table.h"

#define KD_TABLE_NEVER	((u64)-1)
/* Smoothed round trip: each sample weighs 1/2^KD_RTT_SHIFT. */
#define KD_RTT_SHIFT	3
/* The table's estimate, over all contacts, moves slower: 1/2^KD_TABLE_RTT_SHIFT. */
#define KD_TABLE_RTT_SHIFT	5
/* A request is never counted slow sooner, whatever the estimate says. */
#define KD_RTT_EXPECT_MIN_MS	20
/* Doublings of a timeout for a contact's failures in a row. */
#define KD_RTO_BACKOFF_MAX	4

static struct kd_contact *kd_c(const struct kd_table *t, u16 idx)
{
	return &t->pool[idx];
}

/* Subnet counts. */

static u32 kd_subnet_home(const struct kd_table *t, u64 key)
{
	u64 h = (key * 0x9e3779b97f4a7c15ull) >> 32;

	/* Multiply-shift maps the hash onto the slots without a division. */
	return (u32)((h * t->subnet_slots) >> 32);
}

static u32 kd_subnet_next(const struct kd_table *t, u32 i)
{
	return i + 1 == t->subnet_slots ? 0 : i + 1;
}

/* The slot of key, or the free slot where it would go. */
static struct kd_subnet_slot *kd_subnet_slot(const struct kd_table *t, u64 key)
{
	u32 i = kd_subnet_home(t, key), n;

	for (n = 0; n < t->subnet_slots; n++) {
		struct kd_subnet_slot *s = &t->subnets[i];

		if (!s->key || s->key == key)
			return s;
		i = kd_subnet_next(t, i);
	}
	return NULL;	/* cannot happen: more slots than members */
}

static u16 kd_subnet_count(const struct kd_table *t, u64 key)
{
	const struct kd_subnet_slot *s = kd_subnet_slot(t, key);

	return s && s->key == key ? s->count : 0;
}

static void kd_subnet_add(struct kd_table *t, u64 key)
{
	struct kd_subnet_slot *s = kd_subnet_slot(t, key);

	if (!s)
		return;
	s->key = key;
	s->count++;
}

static bool kd_subnet_between(u32 lo, u32 x, u32 hi)
{
	/* x in the cyclic interval (lo, hi] */
	return lo <= hi ? lo < x && x <= hi : lo < x || x <= hi;
}

static void kd_subnet_del(struct kd_table *t, u64 key)
{
	struct kd_subnet_slot *s = kd_subnet_slot(t, key);
	u32 hole, j, n;

	if (!s || s->key != key || --s->count)
		return;
	hole = (u32)(s - t->subnets);
	j = hole;
	for (n = 0; n < t->subnet_slots; n++) {
		struct kd_subnet_slot *o;

		j = kd_subnet_next(t, j);
		o = &t->subnets[j];
		if (!o->key)
			break;
		/* An entry whose home lies after the hole is still reachable. */
		if (kd_subnet_between(hole, kd_subnet_home(t, o->key), j))
			continue;
		t->subnets[hole] = *o;
		hole = j;
	}
	t->subnets[hole].key = 0;
	t->subnets[hole].count = 0;
}

/* Pool lists. */

static void kd_list_append(struct kd_table *t, u16 *head, u16 idx)
{
	u16 *link = head;

	while (*link != KD_NIL)
		link = &kd_c(t, *link)->next;
	kd_c(t, idx)->next = KD_NIL;
	*link = idx;
}

static void kd_list_unlink(struct kd_table *t, u16 *head, u16 idx)
{
	u16 *link = head;

	while (*link != KD_NIL && *link != idx)
		link = &kd_c(t, *link)->next;
	if (*link == idx)
		*link = kd_c(t, idx)->next;
	kd_c(t, idx)->next = KD_NIL;
}

static void kd_free(struct kd_table *t, u16 idx)
{
	struct kd_contact *c = kd_c(t, idx);

	/* A zero family marks a free entry for kd_table_iter(). */
	memset(c, 0, sizeof(*c));
	c->next = t->free_head;
	t->free_head = idx;
}

static void kd_member_link(struct kd_table *t, unsigned int b, u16 idx)
{
	struct kd_contact *c = kd_c(t, idx);

	c->in_repl = 0;
	kd_list_append(t, &t->bucket[b].head, idx);
	t->bucket[b].count++;
	t->members++;
	kd_subnet_add(t, kd_addr_subnet(&c->node.addr));
	t->generation++;
	if (t->on_change)
		t->on_change(t->ctx, true, c);
}

static void kd_member_unlink(struct kd_table *t, unsigned int b, u16 idx)
{
	struct kd_contact *c = kd_c(t, idx);

	kd_list_unlink(t, &t->bucket[b].head, idx);
	t->bucket[b].count--;
	t->members--;
	kd_subnet_del(t, kd_addr_subnet(&c->node.addr));
	t->generation++;
	if (t->on_change)
		t->on_change(t->ctx, false, c);
}

static void kd_repl_link(struct kd_table *t, unsigned int b, u16 idx)
{
	kd_c(t, idx)->in_repl = 1;
	kd_list_append(t, &t->bucket[b].repl_head, idx);
	t->bucket[b].repl_count++;
	t->replacements++;
}

static void kd_repl_unlink(struct kd_table *t, unsigned int b, u16 idx)
{
	kd_list_unlink(t, &t->bucket[b].repl_head, idx);
	t->bucket[b].repl_count--;
	t->replacements--;
}

/*
 * A pool entry, to be filled by kd_contact_init(). When the pool is
 * exhausted a replacement is given up: this bucket's least recently seen
 * one, or for a new member, one from the bucket with the most replacements,
 * since members matter more.
 */
static u16 kd_alloc(struct kd_table *t, unsigned int b, bool member)
{
	unsigned int victim = b, i;
	u16 idx = t->free_head;

	if (idx != KD_NIL) {
		t->free_head = kd_c(t, idx)->next;
		return idx;
	}
	if (!t->bucket[b].repl_count && member)
		for (i = 0; i < KD_ID_BITS; i++)
			if (t->bucket[i].repl_count > t->bucket[victim].repl_count)
				victim = i;
	if (!t->bucket[victim].repl_count)
		return KD_NIL;
	idx = t->bucket[victim].repl_head;
	kd_repl_unlink(t, victim, idx);
	return idx;
}

static void kd_contact_init(struct kd_table *t, u16 idx, const struct kd_node *n,
			    u64 now)
{
	struct kd_contact *c = kd_c(t, idx);

	memset(c, 0, sizeof(*c));
	c->node = *n;
	c->added_at = now;
	c->next = KD_NIL;
}

static u16 kd_find_in(const struct kd_table *t, unsigned int b, const struct kd_id *id)
{
	u16 heads[2] = { t->bucket[b].head, t->bucket[b].repl_head };
	unsigned int l;
	u16 i;

	for (l = 0; l < 2; l++)
		for (i = heads[l]; i != KD_NIL; i = kd_c(t, i)->next)
			if (kd_id_equal(&kd_c(t, i)->node.id, id))
				return i;
	return KD_NIL;
}

static u16 kd_find(const struct kd_table *t, const struct kd_id *id, unsigned int *b)
{
	*b = kd_id_bucket(&t->self, id);
	if (*b >= KD_ID_BITS)
		return KD_NIL;
	return kd_find_in(t, *b, id);
}

static bool kd_is_bad(const struct kd_table *t, const struct kd_contact *c)
{
	return c->fails >= t->p->max_fails;
}

/* How long bad member c waits after its last try before it is pinged again. */
static u64 kd_bad_ping_wait(const struct kd_table *t, const struct kd_contact *c)
{
	unsigned int missed = c->fails - t->p->max_fails;
	u64 wait = (u64)KD_BAD_PING_START_MS << KD_MIN(missed, 16u);

	return KD_MAX(KD_MIN(wait, (u64)KD_BAD_PING_MAX_MS), (u64)t->p->request_timeout_ms);
}

static bool kd_ping_pending(const struct kd_table *t, const struct kd_contact *c,
			    u64 now)
{
	if (kd_is_bad(t, c))
		return c->pinged_at && now >= c->pinged_at &&
		       now - c->pinged_at < kd_bad_ping_wait(t, c);
	/* A ping nobody reported on is forgotten after a request timeout. */
	return c->pinged_at && (now < c->pinged_at ||
				now - c->pinged_at < t->p->request_timeout_ms);
}

enum kd_liveness kd_table_liveness(const struct kd_table *t, const struct kd_contact *c,
				   u64 now)
{
	if (kd_is_bad(t, c))
		return KD_BAD;
	if (c->fails)
		return KD_FAILED;
	if (now < c->last_seen || now - c->last_seen < t->p->good_ms)
		return KD_GOOD;
	return KD_QUESTIONABLE;
}

/* Whether c is in doubt, so that a liveness ping should settle it. */
static bool kd_in_doubt(const struct kd_table *t, const struct kd_contact *c, u64 now)
{
	enum kd_liveness l = kd_table_liveness(t, c, now);

	return l == KD_QUESTIONABLE || l == KD_FAILED;
}

/*
 * Whether addr may join bucket b's members under the diversity limits, not
 * counting skip (a member about to leave, or KD_NIL).
 */
static bool kd_diverse_ok(const struct kd_table *t, unsigned int b,
			  const struct kd_addr *addr, u16 skip)
{
	u64 key = kd_addr_subnet(addr);
	u32 in_table = kd_subnet_count(t, key);
	u32 in_bucket = 0;
	u16 i;

	if (skip != KD_NIL && kd_addr_subnet(&kd_c(t, skip)->node.addr) == key)
		in_table--;
	if (in_table >= t->p->subnet_per_table)
		return false;
	for (i = t->bucket[b].head; i != KD_NIL; i = kd_c(t, i)->next)
		if (i != skip && kd_addr_subnet(&kd_c(t, i)->node.addr) == key)
			in_bucket++;
	return in_bucket < t->p->subnet_per_bucket;
}

static u16 kd_first_bad(const struct kd_table *t, unsigned int b)
{
	u16 i;

	for (i = t->bucket[b].head; i != KD_NIL; i = kd_c(t, i)->next)
		if (kd_is_bad(t, kd_c(t, i)))
			return i;
	return KD_NIL;
}

/* The most recently seen replacement that may take leaving's place. */
static u16 kd_best_repl(const struct kd_table *t, unsigned int b, u16 leaving)
{
	u16 best = KD_NIL, i;

	for (i = t->bucket[b].repl_head; i != KD_NIL; i = kd_c(t, i)->next)
		if (kd_diverse_ok(t, b, &kd_c(t, i)->node.addr, leaving))
			best = i;
	return best;
}

/* Removes member idx for good and lets the best replacement take its place. */
static void kd_evict(struct kd_table *t, unsigned int b, u16 idx)
{
	u16 repl = kd_best_repl(t, b, idx);

	kd_member_unlink(t, b, idx);
	kd_free(t, idx);
	if (repl != KD_NIL) {
		kd_repl_unlink(t, b, repl);
		kd_member_link(t, b, repl);
	}
}

/*
 * One round-trip sample r into a smoothed estimate and its mean deviation
 * (RFC 6298): each sample weighs 1/2^shift in the estimate and twice that
 * in the deviation. The first sample sets both.
 */
static void kd_rtt_sample(u32 *srtt, u32 *rttvar, u32 r, unsigned int shift)
{
	u32 dev;

	if (!*srtt) {
		*srtt = r;
		*rttvar = r / 2;
		return;
	}
	dev = r > *srtt ? r - *srtt : *srtt - r;
	*rttvar = (u32)((((u64)*rttvar << (shift - 1)) - *rttvar + dev) >> (shift - 1));
	*srtt = (u32)((((u64)*srtt << shift) - *srtt + r) >> shift);
}

static void kd_heard(struct kd_contact *c, u64 now, bool is_reply, u32 rtt_ms)
{
	u32 srtt, rttvar;

	c->last_seen = now;
	if (!is_reply)
		return;
	c->last_reply = now;
	c->fails = 0;
	srtt = c->rtt_ms;
	rttvar = c->rttvar_ms;
	kd_rtt_sample(&srtt, &rttvar, (u32)KD_MIN(KD_MAX(rtt_ms, 1u), KD_RTT_MAX_MS),
		      KD_RTT_SHIFT);
	c->rtt_ms = (u16)srtt;
	c->rttvar_ms = (u16)rttvar;
}

/* Asks for a ping of bucket b's least recently seen member if it is in doubt. */
static enum kd_seen kd_check_lrs(struct kd_table *t, unsigned int b, u64 now,
				 struct kd_node *to_ping)
{
	struct kd_contact *lrs;

	if (t->bucket[b].head == KD_NIL)
		return KD_SEEN_CACHED;
	lrs = kd_c(t, t->bucket[b].head);
	if (!kd_in_doubt(t, lrs, now) || kd_ping_pending(t, lrs, now))
		return KD_SEEN_CACHED;
	lrs->pinged_at = KD_MAX(now, 1);
	if (to_ping)
		*to_ping = lrs->node;
	return KD_SEEN_PING_LRS;
}

/* A known member's address changes only when the old one has gone bad. */
static bool kd_readdress(struct kd_table *t, unsigned int b, u16 idx,
			 const struct kd_addr *addr)
{
	struct kd_contact *c = kd_c(t, idx);

	if (!kd_is_bad(t, c))
		return false;
	if (c->in_repl) {
		c->node.addr = *addr;
	} else {
		if (!kd_diverse_ok(t, b, addr, idx))
			return false;
		kd_member_unlink(t, b, idx);
		c->node.addr = *addr;
		kd_member_link(t, b, idx);
	}
	c->fails = 0;
	c->pinged_at = 0;
	c->last_reply = 0;
	c->rtt_ms = 0;
	return true;
}

static enum kd_seen kd_seen_known(struct kd_table *t, unsigned int b, u16 idx, u64 now,
				  const struct kd_node *n, bool is_reply, u32 rtt_ms,
				  struct kd_node *to_ping)
{
	struct kd_contact *c = kd_c(t, idx);
	struct kd_bucket *bk = &t->bucket[b];
	u16 bad;

	if (!kd_addr_equal(&c->node.addr, &n->addr) && !kd_readdress(t, b, idx, &n->addr))
		return KD_SEEN_REFUSED;
	kd_heard(c, now, is_reply, rtt_ms);
	if (!c->in_repl) {
		kd_list_unlink(t, &bk->head, idx);
		kd_list_append(t, &bk->head, idx);
		return KD_SEEN_UPDATED;
	}
	kd_list_unlink(t, &bk->repl_head, idx);
	kd_list_append(t, &bk->repl_head, idx);
	if (bk->count < t->p->k) {
		if (!kd_diverse_ok(t, b, &c->node.addr, KD_NIL))
			return KD_SEEN_CACHED;
		kd_repl_unlink(t, b, idx);
		kd_member_link(t, b, idx);
		bk->touched_at = now;
		return KD_SEEN_ADDED;
	}
	bad = kd_first_bad(t, b);
	if (bad != KD_NIL && kd_diverse_ok(t, b, &c->node.addr, bad)) {
		kd_member_unlink(t, b, bad);
		kd_free(t, bad);
		kd_repl_unlink(t, b, idx);
		kd_member_link(t, b, idx);
		bk->touched_at = now;
		return KD_SEEN_REPLACED_BAD;
	}
	return kd_check_lrs(t, b, now, to_ping);
}

static enum kd_seen kd_seen_new(struct kd_table *t, unsigned int b, u64 now,
				const struct kd_node *n, bool is_reply, u32 rtt_ms,
				struct kd_node *to_ping)
{
	struct kd_bucket *bk = &t->bucket[b];
	bool full = bk->count >= t->p->k;
	u16 bad = full ? kd_first_bad(t, b) : KD_NIL;
	u16 idx;

	if (!kd_diverse_ok(t, b, &n->addr, bad))
		return KD_SEEN_DIVERSITY;
	if (!full || bad != KD_NIL) {
		if (bad != KD_NIL) {
			kd_member_unlink(t, b, bad);
			kd_free(t, bad);
		}
		idx = kd_alloc(t, b, true);
		if (idx == KD_NIL)
			return KD_SEEN_REFUSED;
		kd_contact_init(t, idx, n, now);
		kd_heard(kd_c(t, idx), now, is_reply, rtt_ms);
		kd_member_link(t, b, idx);
		bk->touched_at = now;
		return bad != KD_NIL ? KD_SEEN_REPLACED_BAD : KD_SEEN_ADDED;
	}
	if (!t->p->repl_per_bucket)
		return KD_SEEN_REFUSED;
	while (bk->repl_count >= t->p->repl_per_bucket) {
		idx = bk->repl_head;
		kd_repl_unlink(t, b, idx);
		kd_free(t, idx);
	}
	idx = kd_alloc(t, b, false);
	if (idx == KD_NIL)
		return KD_SEEN_REFUSED;
	kd_contact_init(t, idx, n, now);
	kd_heard(kd_c(t, idx), now, is_reply, rtt_ms);
	kd_repl_link(t, b, idx);
	return kd_check_lrs(t, b, now, to_ping);
}

size_t kd_table_memsize(const struct kd_params *p)
{
	return (size_t)p->max_contacts * sizeof(struct kd_contact) +
	       (size_t)p->max_contacts * 2 * sizeof(struct kd_subnet_slot);
}

void kd_table_init(struct kd_table *t, void *mem, const struct kd_params *p,
		   const struct kd_id *self, u64 now, kd_table_change_fn on_change,
		   void *ctx)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->self = *self;
	t->p = p;
	t->on_change = on_change;
	t->ctx = ctx;
	for (i = 0; i < KD_ID_BITS; i++) {
		t->bucket[i].head = KD_NIL;
		t->bucket[i].repl_head = KD_NIL;
		t->bucket[i].touched_at = now;
	}
	t->pool = mem;
	t->subnets = (struct kd_subnet_slot *)(t->pool + p->max_contacts);
	t->subnet_slots = (u32)p->max_contacts * 2;
	memset(mem, 0, kd_table_memsize(p));
	for (i = 0; i < p->max_contacts; i++)
		t->pool[i].next = i + 1 < p->max_contacts ? (u16)(i + 1) : KD_NIL;
	t->free_head = p->max_contacts ? 0 : KD_NIL;
}

enum kd_seen kd_table_seen(struct kd_table *t, u64 now, const struct kd_node *n,
			   bool is_reply, u32 rtt_ms, struct kd_node *to_ping)
{
	unsigned int b;
	u16 idx;

	if (kd_id_equal(&n->id, &t->self) || !kd_addr_usable(&n->addr))
		return KD_SEEN_REFUSED;
	if (is_reply)
		kd_rtt_sample(&t->rtt_ms, &t->rttvar_ms, (u32)KD_MAX(rtt_ms, 1u),
			      KD_TABLE_RTT_SHIFT);
	idx = kd_find(t, &n->id, &b);
	if (idx != KD_NIL)
		return kd_seen_known(t, b, idx, now, n, is_reply, rtt_ms, to_ping);
	return kd_seen_new(t, b, now, n, is_reply, rtt_ms, to_ping);
}

void kd_table_failed(struct kd_table *t, u64 now, const struct kd_id *id)
{
	unsigned int b;
	u16 idx = kd_find(t, id, &b);
	struct kd_contact *c;

	if (idx == KD_NIL)
		return;
	c = kd_c(t, idx);
	if (c->fails < 0xff)
		c->fails++;
	if (!kd_is_bad(t, c))
		return;
	if (c->in_repl) {
		kd_repl_unlink(t, b, idx);
		kd_free(t, idx);
		return;
	}
	/*
	 * Without a replacement the bad member stays until a new contact takes
	 * its place, and is pinged again with backoff from now on.
	 */
	if (kd_best_repl(t, b, idx) == KD_NIL) {
		c->pinged_at = KD_MAX(now, 1);
		return;
	}
	kd_evict(t, b, idx);
	t->bucket[b].touched_at = now;
}

bool kd_table_remove(struct kd_table *t, const struct kd_id *id)
{
	unsigned int b;
	u16 idx = kd_find(t, id, &b);

	if (idx == KD_NIL)
		return false;
	if (kd_c(t, idx)->in_repl) {
		kd_repl_unlink(t, b, idx);
		kd_free(t, idx);
	} else {
		kd_evict(t, b, idx);
	}
	return true;
}

struct kd_contact *kd_table_find(struct kd_table *t, const struct kd_id *id)
{
	unsigned int b;
	u16 idx = kd_find(t, id, &b);

	return idx == KD_NIL ? NULL : kd_c(t, idx);
}

u32 kd_table_timeout(const struct kd_table *t, const struct kd_id *id, u32 *expect_ms)
{
	u32 srtt = t->rtt_ms, rttvar = t->rttvar_ms, hi = t->p->request_timeout_ms;
	u32 lo = KD_MIN(t->p->request_timeout_min_ms, hi);
	const struct kd_contact *c = NULL;
	unsigned int b, fails = 0;
	u16 idx;
	u64 rto;

	if (id) {
		idx = kd_find(t, id, &b);
		c = idx == KD_NIL ? NULL : kd_c(t, idx);
	}
	if (c && c->rtt_ms) {
		srtt = c->rtt_ms;
		rttvar = c->rttvar_ms;
	}
	if (c)
		fails = KD_MIN((unsigned int)c->fails, (unsigned int)KD_RTO_BACKOFF_MAX);
	if (!srtt) {
		*expect_ms = hi;
		return hi;
	}
	rto = ((u64)srtt + 4 * (u64)rttvar) << fails;
	rto = KD_MIN(KD_MAX(rto, (u64)lo), (u64)hi);
	*expect_ms = (u32)KD_MIN(KD_MAX((u64)srtt + 2 * (u64)rttvar,
					(u64)KD_RTT_EXPECT_MIN_MS), rto);
	return (u32)rto;
}

static bool kd_family_wanted(const struct kd_addr *a, u8 want)
{
	if (a->family == KDHT_AF_INET)
		return want & KDHT_WANT_V4;
	return a->family == KDHT_AF_INET6 && (want & KDHT_WANT_V6);
}

/* Removes out[i] from the n entries of out; returns the new count. */
static unsigned int kd_closest_drop(struct kd_node *out, unsigned int n, unsigned int i)
{
	memmove(&out[i], &out[i + 1], (n - i - 1) * sizeof(out[0]));
	return n - 1;
}

/*
 * Inserts cand into out (n entries of max, closest first), keeping at most
 * result_per_subnet of one subnet: cand is skipped if that many of its subnet
 * are closer, else it displaces the farthest of its subnet once the subnet is
 * at the limit, else the farthest entry once out is full. Whatever the order
 * of the calls, out ends as the max closest of a closest-first diverse pick.
 */
static unsigned int kd_closest_insert(const struct kd_table *t, const struct kd_id *target,
				      const struct kd_node *cand, struct kd_node *out,
				      unsigned int n, unsigned int max)
{
	u64 key = kd_addr_subnet(&cand->addr);
	unsigned int i, pos = n, same = 0, closer = 0, last = 0;

	if (n == max && kd_id_cmp_distance(target, &cand->id, &out[n - 1].id) >= 0)
		return n;
	while (pos > 0 && kd_id_cmp_distance(target, &cand->id, &out[pos - 1].id) < 0)
		pos--;
	for (i = 0; i < n; i++) {
		if (kd_addr_subnet(&out[i].addr) != key)
			continue;
		same++;
		closer += i < pos;
		last = i;
	}
	if (closer >= t->p->result_per_subnet)
		return n;
	if (same >= t->p->result_per_subnet)
		n = kd_closest_drop(out, n, last);
	else if (n == max)
		n--;
	memmove(&out[pos + 1], &out[pos], (n - pos) * sizeof(out[0]));
	out[pos] = *cand;
	return n + 1;
}

static unsigned int kd_closest_bucket(const struct kd_table *t, unsigned int b,
				      const struct kd_id *target, u8 want,
				      struct kd_node *out, unsigned int n, unsigned int max)
{
	u16 i;

	for (i = t->bucket[b].head; i != KD_NIL; i = kd_c(t, i)->next) {
		const struct kd_contact *c = kd_c(t, i);

		if (!c->fails && kd_family_wanted(&c->node.addr, want))
			n = kd_closest_insert(t, target, &c->node, out, n, max);
	}
	return n;
}

/*
 * With tb the bucket target would fall in, members of bucket tb are the
 * closest, then those of every deeper bucket (all of them sharing target's
 * distance prefix), then buckets tb - 1, tb - 2, ... each strictly farther
 * than the one before. So the walk stops at the first full band.
 */
unsigned int kd_table_closest(const struct kd_table *t, const struct kd_id *target,
			      u8 want, struct kd_node *out, unsigned int max)
{
	unsigned int tb = kd_id_bucket(&t->self, target);
	unsigned int n = 0, b;

	if (!max)
		return 0;
	if (tb < KD_ID_BITS) {
		n = kd_closest_bucket(t, tb, target, want, out, n, max);
		if (n == max)
			return n;
		for (b = tb + 1; b < KD_ID_BITS; b++)
			n = kd_closest_bucket(t, b, target, want, out, n, max);
	}
	for (b = tb; b > 0 && n < max; b--)
		n = kd_closest_bucket(t, b - 1, target, want, out, n, max);
	return n;
}

unsigned int kd_table_due_pings(struct kd_table *t, u64 now, struct kd_node *out,
				unsigned int max)
{
	unsigned int b, n = 0;
	u16 i;

	for (b = 0; b < KD_ID_BITS && n < max; b++) {
		for (i = t->bucket[b].head; i != KD_NIL && n < max; i = kd_c(t, i)->next) {
			struct kd_contact *c = kd_c(t, i);

			if ((!kd_in_doubt(t, c, now) && !kd_is_bad(t, c)) ||
			    kd_ping_pending(t, c, now))
				continue;
			c->pinged_at = KD_MAX(now, 1);
			out[n++] = c->node;
		}
	}
	return n;
}

void kd_table_ping_done(struct kd_table *t, const struct kd_id *id)
{
	struct kd_contact *c = kd_table_find(t, id);

	if (c && !kd_is_bad(t, c))
		c->pinged_at = 0;
}

int kd_table_stale_bucket(const struct kd_table *t, u64 now)
{
	unsigned int b;

	for (b = 0; b < KD_ID_BITS; b++) {
		const struct kd_bucket *bk = &t->bucket[b];

		if (bk->count && now >= bk->touched_at &&
		    now - bk->touched_at >= t->p->refresh_ms)
			return (int)b;
	}
	return -1;
}

void kd_table_touch(struct kd_table *t, unsigned int bucket, u64 now)
{
	if (bucket < KD_ID_BITS)
		t->bucket[bucket].touched_at = now;
}

/* When member c next needs attention: going questionable, a ping timing out, a bad one retried. */
static u64 kd_contact_due(const struct kd_table *t, const struct kd_contact *c)
{
	if (kd_is_bad(t, c))
		return c->pinged_at + kd_bad_ping_wait(t, c);
	if (c->pinged_at)
		return c->pinged_at + t->p->request_timeout_ms;
	if (c->fails)
		return c->last_seen;
	return c->last_seen + t->p->good_ms;
}

u64 kd_table_next_due(const struct kd_table *t)
{
	u64 due = KD_TABLE_NEVER;
	unsigned int b;
	u16 i;

	for (b = 0; b < KD_ID_BITS; b++) {
		if (!t->bucket[b].count)
			continue;
		due = KD_MIN(due, t->bucket[b].touched_at + t->p->refresh_ms);
		for (i = t->bucket[b].head; i != KD_NIL; i = kd_c(t, i)->next)
			due = KD_MIN(due, kd_contact_due(t, kd_c(t, i)));
	}
	return due;
}

const struct kd_contact *kd_table_iter(const struct kd_table *t, u32 *cursor)
{
	u32 i;

	for (i = *cursor; i < t->p->max_contacts; i++) {
		const struct kd_contact *c = &t->pool[i];

		if (c->node.addr.family && !c->in_repl) {
			*cursor = i + 1;
			return c;
		}
	}
	*cursor = t->p->max_contacts;
	return NULL;
}
