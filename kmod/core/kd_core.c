// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * One node's requests and lookups, driven from outside: kd_core_tick() when
 * kd_core_next_due() says so, and the host's pings, lookups and bootstraps.
 * Requests and lookups share this file because each drives the other: a
 * lookup sends FIND_NODE requests, and a request's end moves its lookup on.
 * Everything the node keeps lives in the block handed to kd_core_init(),
 * sized from the parameters; a full pool means a request is not sent, never
 * that memory grows. The receive path is kd_receive.c; the tokens peers
 * issued us are kd_token.c's.
 */
#include "kd_core_int.h"

/* Liveness pings one kd_core_tick() sends at most, so a tick stays short. */
#define KD_PINGS_PER_TICK	8
/*
 * kd_core_next_due() never asks for a tick sooner than this after the last
 * one, so work that is due but cannot proceed (every request slot busy) does
 * not make the host spin.
 */
#define KD_TICK_MIN_MS		10
/* A lookup handle is its slot index and, above it, the slot's generation. */
#define KD_HANDLE_SLOT_BITS	10
#define KD_HANDLE_GEN_MASK	0x1fffff

static size_t kd_align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* kd_params_check(), and the bounds of the parameters it does not know. */
static bool kd_core_params_ok(const struct kd_params *p)
{
	return !kd_params_check(p) &&
	       p->unvalidated_rate >= 1 && p->unvalidated_rate <= KD_RL_RATE_MAX &&
	       p->max_unproven >= 1 && p->max_unproven <= KD_UNPROVEN_MAX;
}

size_t kd_core_memsize(const struct kd_params *p)
{
	if (!kd_core_params_ok(p))
		return 0;
	return kd_align8(sizeof(struct kd_core)) +
	       kd_align8(kd_table_memsize(p)) +
	       kd_align8(sizeof(struct kd_req) * p->max_inflight) +
	       kd_align8(sizeof(struct kd_lk_slot) * p->max_lookups) +
	       kd_align8(sizeof(struct kd_lookup_cand) * p->max_lookups *
			 p->lookup_width) +
	       kd_align8(sizeof(struct kd_unproven) * p->max_unproven);
}

/* SipHash of a counter under a key from the seed: unpredictable to peers. */
static u64 kd_rand64(struct kd_core *c)
{
	u8 ctr[8];

	kd_put_be64(ctr, c->rng_ctr++);
	return kd_siphash(c->rng_key, ctr, sizeof(ctr));
}

static void kd_rand_bytes(struct kd_core *c, u8 *out, size_t len)
{
	size_t i;
	u64 v = 0;

	for (i = 0; i < len; i++) {
		if (!(i & 7))
			v = kd_rand64(c);
		out[i] = (u8)v;
		v >>= 8;
	}
}

static u32 kd_new_txid(struct kd_core *c)
{
	u32 t;

	do {
		t = (u32)kd_rand64(c);
	} while (!t);
	return t;
}

static void kd_core_on_change(void *ctx, bool added, const struct kd_contact *ct)
{
	struct kd_core *c = ctx;
	struct kd_event ev;

	kd_due_changed(c);
	memset(&ev, 0, sizeof(ev));
	ev.type = added ? KD_EV_CONTACT_ADDED : KD_EV_CONTACT_REMOVED;
	ev.ok = 1;
	ev.node = ct->node;
	kd_emit(c, &ev);
}

int kd_core_init(void *mem, size_t len, const struct kd_params *p,
		 const struct kd_id *self, const u8 seed[32], u64 now,
		 const struct kd_io *io, struct kd_core **out)
{
	size_t need = kd_core_memsize(p);
	u8 *m = mem;
	struct kd_core *c = mem;
	unsigned int i;

	if (!need || len < need || ((unsigned long)mem & 7))
		return -EINVAL;
	memset(mem, 0, need);
	c->p = *p;
	c->self = *self;
	c->io = *io;
	c->repl_init = p->repl_per_bucket;
	m += kd_align8(sizeof(*c));
	kd_table_init(&c->table, m, &c->p, self, now, kd_core_on_change, c);
	m += kd_align8(kd_table_memsize(p));
	c->req = (struct kd_req *)m;
	m += kd_align8(sizeof(struct kd_req) * p->max_inflight);
	c->lk = (struct kd_lk_slot *)m;
	m += kd_align8(sizeof(struct kd_lk_slot) * p->max_lookups);
	c->cand = (struct kd_lookup_cand *)m;
	m += kd_align8(sizeof(struct kd_lookup_cand) * p->max_lookups * p->lookup_width);
	c->unproven = (struct kd_unproven *)m;
	for (i = 0; i < p->max_inflight; i++)
		c->req[i].lookup = KD_NO_LOOKUP;

	kd_rl_bucket_init(&c->unvalidated, now, p->unvalidated_rate);
	kd_tokens_init(&c->tokens, seed, now);
	memcpy(c->rng_key, seed + KD_SECRET_LEN, KD_SECRET_LEN);
	c->next_rotate = now + p->token_rotate_ms;
	c->last_tick = now;
	c->now = now;
	*out = c;
	return 0;
}

void kd_core_make_hdr(struct kd_core *c, struct kd_hdr *h, u8 type, u8 flags,
		      const struct kd_addr *to, u32 txid)
{
	const u8 *tok;

	memset(h, 0, sizeof(*h));
	h->version = KDHT_VERSION;
	h->type = type;
	h->flags = flags;
	h->sender = c->self;
	if (flags & KDHT_F_REPLY) {
		h->txid = txid;
		kd_token_make(&c->tokens, to, h->token);
		return;
	}
	h->txid = txid ? txid : kd_new_txid(c);
	tok = kd_token_for(c, to, NULL);
	if (tok)
		memcpy(h->token, tok, KDHT_TOKEN_LEN);
}

int kd_core_send(struct kd_core *c, const struct kd_addr *to,
		 const struct kd_value_msg *m, u32 *txid)
{
	struct kd_hdr h;
	size_t len, pad_to;

	kd_core_make_hdr(c, &h, m->type, m->flags, to, m->txid);
	/* A request carrying the peer's token is validated: it need not pay. */
	pad_to = m->pad_to;
	if (kd_msg_is_request(m->type, m->flags) && kd_token_for(c, to, NULL))
		pad_to = 0;
	len = kd_encode(c->pkt, kd_pkt_cap(c), &h, m->body, m->body_len,
			KD_MIN(pad_to, kd_pkt_cap(c)));
	if (!len)
		return -EMSGSIZE;
	if (txid)
		*txid = h.txid;
	kd_send(c, to, len);
	return 0;
}

size_t kd_tag_append(struct kd_core *c, size_t len)
{
	if (len > KDHT_MAX_TAGGED_PLAIN)
		return 0;
	c->pkt[KDHT_OFF_FLAGS] |= KDHT_F_TAGGED;
	kd_siphash128(c->tag_key, c->pkt, len, c->pkt + len);
	return len + KDHT_TAG_LEN;
}

void kd_core_set_mesh_key(struct kd_core *c, const u8 *tag_key)
{
	memzero_explicit(c->tag_key, sizeof(c->tag_key));
	c->closed = !!tag_key;
	if (tag_key)
		memcpy(c->tag_key, tag_key, sizeof(c->tag_key));
}

bool kd_core_closed(const struct kd_core *c)
{
	return c->closed;
}

static int kd_req_alloc(struct kd_core *c)
{
	unsigned int i;

	if (c->reqs_used >= c->p.max_inflight)
		return -ENOSPC;
	for (i = 0; i < c->p.max_inflight; i++)
		if (c->req[i].kind == KD_REQ_FREE)
			return (int)i;
	return -ENOSPC;
}

void kd_req_free(struct kd_core *c, unsigned int i)
{
	if (c->req[i].kind == KD_REQ_PROBE)
		c->probes_out--;
	c->req[i].kind = KD_REQ_FREE;
	c->req[i].lookup = KD_NO_LOOKUP;
	c->req[i].parked = 0;
	c->req[i].prev_txid = 0;
	c->reqs_used--;
}

/*
 * The earlier FIND of lookup li to id, or -1: parked after its timeout, or
 * still outstanding when the lookup resends it early.
 */
static int kd_req_earlier(const struct kd_core *c, u16 li, const struct kd_id *id)
{
	unsigned int i;

	for (i = 0; i < c->p.max_inflight; i++)
		if (c->req[i].kind == KD_REQ_FIND && c->req[i].lookup == li &&
		    kd_id_equal(&c->req[i].id, id))
			return (int)i;
	return -1;
}

/*
 * Sends a PING or, for KD_REQ_FIND, the FIND_NODE of lookup slot li. A
 * request to a node that issued us no token pays for what it draws: a
 * FIND_NODE is padded so that the full NODES reply fits the budget the node
 * gives an unvalidated source, and a PING so that the PONG does; each with
 * room for the node's own PING back, which proves our address to it and
 * makes us its contact. A probe, sent to an unproven address, is never
 * padded. A FIND
 * resent takes over the slot of the earlier attempt with a fresh txid, and a
 * late reply to that attempt still matches.
 */
static int kd_req_send(struct kd_core *c, u64 now, u8 kind, const struct kd_addr *to,
		       const struct kd_id *id, u16 li, u32 cookie)
{
	struct kd_req *rq;
	struct kd_hdr h;
	const u8 *tok;
	u32 prev = 0, expect;
	size_t len;
	int i = -1;

	if (kind == KD_REQ_FIND && id)
		i = kd_req_earlier(c, li, id);
	if (i >= 0) {
		prev = c->req[i].txid;
		c->req[i].kind = KD_REQ_FREE;
		c->reqs_used--;
	} else {
		i = kd_req_alloc(c);
		if (i < 0)
			return i;
	}
	rq = &c->req[i];
	memset(&h, 0, sizeof(h));
	h.version = KDHT_VERSION;
	h.sender = c->self;
	h.txid = kd_new_txid(c);
	tok = kd_token_for(c, to, id);
	if (tok)
		memcpy(h.token, tok, KDHT_TOKEN_LEN);
	if (kind == KD_REQ_FIND) {
		struct kd_find_node fn;

		fn.target = c->lk[li].l.target;
		fn.want = KD_WANT_ALL;
		fn.count = c->p.k;
		len = kd_encode_find_node(c->pkt, kd_pkt_cap(c), &h, &fn,
					  tok ? 0 : kd_nodes_size(fn.count) + KDHT_HDR_LEN);
	} else {
		h.type = KDHT_MSG_PING;
		len = kd_encode(c->pkt, kd_pkt_cap(c), &h, NULL, 0,
				tok || kind == KD_REQ_PROBE ? 0 : KD_PING_PADDED);
	}
	rq->to = *to;
	rq->id_known = !!id;
	if (id)
		rq->id = *id;
	else
		memset(&rq->id, 0, sizeof(rq->id));
	rq->sent_at = now;
	/*
	 * Only a lookup, which still uses a late reply, guesses an unmeasured
	 * peer's round trip from the table's. A ping to an address that is not
	 * a member (a probe, a bootstrap, the host's) waits the configured
	 * maximum: nothing else would hear its answer, and a newcomer far away
	 * must be able to prove its address to a table of near members.
	 */
	rq->timeout_ms = kd_table_timeout(&c->table, id, &expect);
	if (kind != KD_REQ_FIND && !(id && kd_table_find(&c->table, id)))
		rq->timeout_ms = c->p.request_timeout_ms;
	rq->txid = h.txid;
	rq->prev_txid = prev;
	rq->parked = 0;
	rq->cookie = cookie;
	rq->lookup = kind == KD_REQ_FIND ? li : KD_NO_LOOKUP;
	rq->kind = kind;
	c->reqs_used++;
	kd_due_changed(c);
	kd_send(c, to, len);
	return i;
}

int kd_core_probe(struct kd_core *c, u64 now, const struct kd_node *n)
{
	int i = kd_req_send(c, now, KD_REQ_PROBE, &n->addr, &n->id, KD_NO_LOOKUP, 0);

	if (i >= 0)
		c->probes_out++;
	return i;
}

void kd_core_seen(struct kd_core *c, u64 now, const struct kd_node *n,
		  u8 flags, bool is_reply, u32 rtt_ms)
{
	struct kd_node to_ping;

	if (flags & KDHT_F_CLIENT)
		return;
	if (kd_table_seen(&c->table, now, n, is_reply, rtt_ms, &to_ping) ==
	    KD_SEEN_PING_LRS)
		kd_req_send(c, now, KD_REQ_LIVENESS, &to_ping.addr, &to_ping.id,
			    KD_NO_LOOKUP, 0);
}

static unsigned int kd_target_bucket(const struct kd_core *c, const struct kd_id *t)
{
	return KD_MIN(kd_id_bucket(&c->self, t), (unsigned int)KD_ID_BITS - 1);
}

static void kd_core_lookup_detach(struct kd_core *c, unsigned int li)
{
	unsigned int i;

	for (i = 0; i < c->p.max_inflight; i++) {
		if (c->req[i].kind != KD_REQ_FIND || c->req[i].lookup != li)
			continue;
		if (c->req[i].parked)
			kd_req_free(c, i);
		else
			c->req[i].lookup = KD_NO_LOOKUP;
	}
	c->lk[li].used = 0;
	c->lookups_used--;
}

static void kd_core_lookup_complete(struct kd_core *c, u64 now, unsigned int li)
{
	struct kd_lk_slot *s = &c->lk[li];
	struct kd_event ev;

	kd_table_touch(&c->table, kd_target_bucket(c, &s->l.target), now);
	memset(&ev, 0, sizeof(ev));
	ev.type = KD_EV_LOOKUP_DONE;
	ev.ok = !s->l.timed_out;
	ev.cookie = s->cookie;
	ev.target = s->l.target;
	ev.stats = s->l.stats;
	ev.nhits = kd_lookup_result(&s->l, c->hits, KD_K_MAX);
	ev.hits = c->hits;
	kd_core_lookup_detach(c, li);
	if (!s->internal)
		kd_emit(c, &ev);
}

void kd_core_lookup_pump(struct kd_core *c, u64 now, unsigned int li)
{
	struct kd_lk_slot *s = &c->lk[li];
	struct kd_node n;
	u32 expect;
	int i;

	while (c->reqs_used < c->p.max_inflight && kd_lookup_next(&s->l, now, &n)) {
		i = kd_req_send(c, now, KD_REQ_FIND, &n.addr, &n.id, (u16)li, 0);
		if (i < 0) {
			kd_lookup_on_failure(&s->l, now, &n.id);
			continue;
		}
		kd_table_timeout(&c->table, &n.id, &expect);
		kd_lookup_set_timing(&s->l, &n.id, expect, c->req[i].timeout_ms);
	}
	if (kd_lookup_done(&s->l))
		kd_core_lookup_complete(c, now, li);
}

int kd_core_lookup_start(struct kd_core *c, u64 now, const struct kd_id *target,
			 u32 cookie, bool internal)
{
	struct kd_lk_slot *s = NULL;
	unsigned int i, n;

	for (i = 0; i < c->p.max_lookups; i++) {
		if (!c->lk[i].used) {
			s = &c->lk[i];
			break;
		}
	}
	if (!s)
		return -ENOSPC;
	kd_lookup_init(&s->l, c->cand + (size_t)i * c->p.lookup_width,
		       c->p.lookup_width, target, c->p.k, c->p.alpha,
		       c->p.lookup_retries, c->p.request_timeout_ms,
		       c->p.lookup_timeout_ms, now);
	s->l.per_subnet = c->p.result_per_subnet;
	s->used = 1;
	s->gen = (s->gen + 1) & KD_HANDLE_GEN_MASK;
	s->internal = internal;
	s->cookie = cookie;
	c->lookups_used++;
	kd_due_changed(c);
	n = kd_table_closest(&c->table, target, KD_WANT_ALL, c->closest, c->p.k);
	while (n--)
		kd_lookup_seed(&s->l, &c->closest[n]);
	kd_core_lookup_pump(c, now, i);
	return (int)((s->gen << KD_HANDLE_SLOT_BITS) | i);
}

int kd_core_lookup(struct kd_core *c, u64 now, const struct kd_id *target, u32 cookie)
{
	c->now = now;
	return kd_core_lookup_start(c, now, target, cookie, false);
}

void kd_core_lookup_cancel(struct kd_core *c, int handle)
{
	unsigned int i = (unsigned int)handle & ((1u << KD_HANDLE_SLOT_BITS) - 1);

	if (handle < 0 || i >= c->p.max_lookups || !c->lk[i].used ||
	    c->lk[i].gen != (unsigned int)handle >> KD_HANDLE_SLOT_BITS)
		return;
	kd_core_lookup_detach(c, i);
}

/* id failed a request: the running lookups that did not ask it yet will not. */
static void kd_core_exclude(struct kd_core *c, u64 now, const struct kd_id *id)
{
	unsigned int i;

	for (i = 0; i < c->p.max_lookups; i++) {
		if (!c->lk[i].used)
			continue;
		kd_lookup_exclude(&c->lk[i].l, now, id);
		if (kd_lookup_done(&c->lk[i].l))
			kd_core_lookup_complete(c, now, i);
	}
}

/*
 * A request got no usable answer (timeout: it timed out): the peer failed,
 * and whoever waited learns it. A timed-out FIND of a running lookup is
 * parked for one more timeout, so that a late reply still matches and is
 * used: until the resend takes it over if the lookup asks again, else until
 * it times out once more.
 */
void kd_req_fail(struct kd_core *c, u64 now, unsigned int i, bool timeout)
{
	struct kd_req rq = c->req[i];
	struct kd_event ev;

	kd_due_changed(c);
	if (rq.parked) {
		kd_req_free(c, i);
		return;
	}
	/* A probe's id is only claimed: the contact that holds it did not fail. */
	if (rq.id_known && rq.kind != KD_REQ_PROBE) {
		kd_table_failed(&c->table, now, &rq.id);
		kd_core_exclude(c, now, &rq.id);
	}
	if (timeout && rq.kind == KD_REQ_FIND && rq.lookup != KD_NO_LOOKUP) {
		kd_lookup_on_timeout(&c->lk[rq.lookup].l, now, &rq.id);
		c->req[i].parked = 1;
		c->req[i].sent_at = now;
		kd_core_lookup_pump(c, now, rq.lookup);
		return;
	}
	kd_req_free(c, i);
	switch (rq.kind) {
	case KD_REQ_PING:
		memset(&ev, 0, sizeof(ev));
		ev.type = KD_EV_PING_DONE;
		ev.cookie = rq.cookie;
		ev.node.addr = rq.to;
		kd_emit(c, &ev);
		break;
	case KD_REQ_LIVENESS:
		kd_table_ping_done(&c->table, &rq.id);
		break;
	case KD_REQ_PROBE:
		kd_unproven_forget(c, &rq.to);
		break;
	case KD_REQ_FIND:
		if (rq.lookup == KD_NO_LOOKUP)
			break;
		kd_lookup_on_failure(&c->lk[rq.lookup].l, now, &rq.id);
		kd_core_lookup_pump(c, now, rq.lookup);
		break;
	}
}

int kd_core_ping(struct kd_core *c, u64 now, const struct kd_addr *to, u32 cookie)
{
	int r;

	c->now = now;
	if (!kd_addr_usable(to))
		return -EINVAL;
	r = kd_req_send(c, now, KD_REQ_PING, to, NULL, KD_NO_LOOKUP, cookie);
	return r < 0 ? r : 0;
}

int kd_core_bootstrap(struct kd_core *c, u64 now, const struct kd_addr *addr)
{
	unsigned int i;

	c->now = now;
	if (!kd_addr_usable(addr))
		return -EINVAL;
	for (i = 0; i < c->nboot; i++)
		if (kd_addr_equal(&c->boot[i], addr))
			break;
	if (i == c->nboot) {
		if (c->nboot >= KD_BOOTSTRAP_MAX)
			return -ENOSPC;
		c->boot[c->nboot++] = *addr;
	}
	c->boot_backoff = c->p.bootstrap_min_ms;
	c->boot_next = now + c->boot_backoff;
	kd_due_changed(c);
	kd_req_send(c, now, KD_REQ_BOOT, addr, NULL, KD_NO_LOOKUP, 0);
	return 0;
}

static void kd_tick_requests(struct kd_core *c, u64 now)
{
	unsigned int i;

	for (i = 0; i < c->p.max_inflight; i++)
		if (c->req[i].kind != KD_REQ_FREE &&
		    now - c->req[i].sent_at >= c->req[i].timeout_ms)
			kd_req_fail(c, now, i, true);
}

static void kd_tick_lookups(struct kd_core *c, u64 now)
{
	unsigned int i;

	for (i = 0; i < c->p.max_lookups; i++) {
		if (!c->lk[i].used)
			continue;
		kd_lookup_tick(&c->lk[i].l, now);
		kd_core_lookup_pump(c, now, i);
	}
}

static void kd_tick_pings(struct kd_core *c, u64 now)
{
	unsigned int i, n, room = c->p.max_inflight - c->reqs_used;

	n = kd_table_due_pings(&c->table, now, c->closest,
			       KD_MIN(room, (unsigned int)KD_PINGS_PER_TICK));
	for (i = 0; i < n; i++)
		if (kd_req_send(c, now, KD_REQ_LIVENESS, &c->closest[i].addr,
				&c->closest[i].id, KD_NO_LOOKUP, 0) < 0)
			kd_table_ping_done(&c->table, &c->closest[i].id);
}

static void kd_tick_refresh(struct kd_core *c, u64 now)
{
	u8 rnd[KDHT_ID_LEN];
	struct kd_id target;
	int b;

	if (c->lookups_used >= c->p.max_lookups)
		return;
	b = kd_table_stale_bucket(&c->table, now);
	if (b < 0)
		return;
	kd_rand_bytes(c, rnd, sizeof(rnd));
	kd_id_in_bucket(&target, &c->self, (unsigned int)b, rnd);
	kd_table_touch(&c->table, (unsigned int)b, now);
	kd_core_lookup_start(c, now, &target, 0, true);
}

/*
 * Joining, on a backoff from bootstrap_min_ms to bootstrap_max_ms: while the
 * table has fewer than KD_JOIN_MEMBERS members, the bootstrap addresses are
 * pinged again, and the first answer runs the lookup of our own id again.
 * So a node whose join lookup met loss does not wait for the bucket refresh
 * to fill its table; in a mesh of fewer than KD_JOIN_MEMBERS nodes this
 * settles at a ping and a small lookup per bootstrap_max_ms.
 */
static void kd_tick_bootstrap(struct kd_core *c, u64 now)
{
	unsigned int i;

	if (!c->nboot || c->table.members >= KD_JOIN_MEMBERS || now < c->boot_next)
		return;
	c->boot_lookup_started = 0;
	for (i = 0; i < c->nboot; i++)
		kd_req_send(c, now, KD_REQ_BOOT, &c->boot[i], NULL, KD_NO_LOOKUP, 0);
	c->boot_backoff = KD_MIN(c->boot_backoff * 2, c->p.bootstrap_max_ms);
	c->boot_next = now + c->boot_backoff;
}

u64 kd_core_tick(struct kd_core *c, u64 now)
{
	u8 secret[KD_SECRET_LEN];

	c->now = now;
	kd_due_changed(c);
	if (now >= c->next_rotate) {
		kd_rand_bytes(c, secret, sizeof(secret));
		kd_tokens_rotate(&c->tokens, secret, now);
		c->next_rotate = now + c->p.token_rotate_ms;
	}
	kd_tick_requests(c, now);
	kd_tick_lookups(c, now);
	kd_tick_pings(c, now);
	kd_tick_refresh(c, now);
	kd_tick_bootstrap(c, now);
	c->last_tick = now;
	return kd_core_next_due(c);
}

u64 kd_core_next_due(struct kd_core *c)
{
	u64 due = c->next_rotate;
	unsigned int i;

	if (c->due_valid)
		return c->due;
	for (i = 0; i < c->p.max_inflight; i++)
		if (c->req[i].kind != KD_REQ_FREE)
			due = KD_MIN(due, c->req[i].sent_at + c->req[i].timeout_ms);
	for (i = 0; i < c->p.max_lookups; i++)
		if (c->lk[i].used)
			due = KD_MIN(due, kd_lookup_next_due(&c->lk[i].l));
	due = KD_MIN(due, kd_table_next_due(&c->table));
	if (c->nboot && c->table.members < KD_JOIN_MEMBERS)
		due = KD_MIN(due, c->boot_next);
	c->due = KD_MAX(due, c->last_tick + KD_TICK_MIN_MS);
	c->due_valid = 1;
	return c->due;
}

int kd_core_set_params(struct kd_core *c, const struct kd_params *p)
{
	if (!kd_core_params_ok(p))
		return -EINVAL;
	if (p->max_contacts != c->p.max_contacts ||
	    p->max_unproven != c->p.max_unproven ||
	    p->max_inflight != c->p.max_inflight ||
	    p->max_lookups != c->p.max_lookups ||
	    p->lookup_width != c->p.lookup_width ||
	    p->repl_per_bucket > c->repl_init)
		return -EINVAL;
	c->p = *p;
	kd_due_changed(c);
	return 0;
}

const struct kd_params *kd_core_params(const struct kd_core *c)
{
	return &c->p;
}

const struct kd_id *kd_core_self(const struct kd_core *c)
{
	return &c->self;
}

struct kd_table *kd_core_table(struct kd_core *c)
{
	return &c->table;
}

unsigned int kd_core_lookups_running(const struct kd_core *c)
{
	return c->lookups_used;
}

unsigned int kd_core_closest(const struct kd_core *c, const struct kd_id *target,
			     u8 want, struct kd_node *out, unsigned int max)
{
	return kd_table_closest(&c->table, target, want, out, max);
}
