// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The receive path: one datagram at a time, from kd_core_input(). Requests
 * we answer here (PING, FIND_NODE) are answered at once; replies are matched
 * to the request slot that awaits them and handed to kd_core.c's requests
 * and lookups; value messages are left to the host (in->upcall).
 */
#include "kd_core_int.h"

static int kd_req_match(const struct kd_core *c, u32 txid, const struct kd_addr *from)
{
	unsigned int i;

	for (i = 0; i < c->p.max_inflight; i++)
		if (c->req[i].kind != KD_REQ_FREE &&
		    (c->req[i].txid == txid ||
		     (c->req[i].prev_txid && c->req[i].prev_txid == txid)) &&
		    kd_addr_equal(&c->req[i].to, from))
			return (int)i;
	return -1;
}

/*
 * Keeps the entries of a NODES reply from `from` that our lookups may ask:
 * not our own id, and no address of a narrower scope than from's, each
 * refusal counted by its scope.
 */
static void kd_keep_learnable(struct kd_core *c, const struct kd_addr *from,
			      struct kd_nodes *ns, struct kd_input *in)
{
	static const u8 reason[] = {
		[KD_SCOPE_LOOPBACK] = KD_R_SCOPE_LOOPBACK,
		[KD_SCOPE_LINK_LOCAL] = KD_R_SCOPE_LINK_LOCAL,
		[KD_SCOPE_PRIVATE] = KD_R_SCOPE_PRIVATE,
		[KD_SCOPE_V4_MAPPED] = KD_R_SCOPE_V4_MAPPED,
	};
	unsigned int i, n = 0;
	u8 *count;

	for (i = 0; i < ns->count; i++) {
		const struct kd_node *e = &ns->node[i];

		if (kd_id_equal(&e->id, &c->self))
			continue;
		if (!kd_addr_learnable(from, &e->addr)) {
			count = &in->scope_refused[reason[kd_addr_scope(&e->addr)] -
						   KD_R_SCOPE_LOOPBACK];
			*count += *count < 0xff;
			continue;
		}
		ns->node[n++] = *e;
	}
	ns->count = (u8)n;
}

static void kd_reply_done(struct kd_core *c, u64 now, const struct kd_req *rq,
			  const struct kd_node *from, u8 type, u32 rtt)
{
	struct kd_event ev;
	struct kd_lk_slot *s;

	switch (rq->kind) {
	case KD_REQ_PING:
		memset(&ev, 0, sizeof(ev));
		ev.type = KD_EV_PING_DONE;
		ev.ok = type == KDHT_MSG_PONG;
		ev.cookie = rq->cookie;
		ev.node = *from;
		ev.rtt_ms = rtt;
		kd_emit(c, &ev);
		break;
	case KD_REQ_LIVENESS:
		kd_table_ping_done(&c->table, &rq->id);
		break;
	case KD_REQ_FIND:
		if (rq->lookup == KD_NO_LOOKUP)
			break;
		s = &c->lk[rq->lookup];
		if (type == KDHT_MSG_NODES)
			kd_lookup_on_reply(&s->l, now, from, c->nodes.node,
					   c->nodes.count);
		else
			kd_lookup_on_failure(&s->l, now, &from->id);
		kd_core_lookup_pump(c, now, rq->lookup);
		break;
	}
}

/*
 * Whether the source address of a request is beyond forgery: it carries our
 * token for that address, or it is a loopback address, which the kernel
 * accepts from the loopback interface only.
 */
static bool kd_source_proven(const struct kd_core *c, const struct kd_addr *from,
			     const struct kd_hdr *h)
{
	return kd_addr_scope(from) == KD_SCOPE_LOOPBACK ||
	       kd_token_check(&c->tokens, from, h->token);
}

/*
 * What a request, or a reply that is the daemon's, of len bytes tells of its
 * sender, which we answered with reply_len bytes: a table contact that
 * answered us at that address is seen again; any other sender has not
 * proven its address and waits in the unproven list (kd_unproven.c).
 */
static void kd_core_heard(struct kd_core *c, u64 now, const struct kd_node *n,
			  const struct kd_input *in, size_t len, size_t reply_len)
{
	const struct kd_contact *ct;

	if (in->hdr.flags & KDHT_F_CLIENT)
		return;
	ct = kd_table_find(&c->table, &n->id);
	if (ct && ct->last_reply && kd_addr_equal(&ct->node.addr, &n->addr)) {
		kd_core_seen(c, now, n, in->hdr.flags, false, 0);
		return;
	}
	kd_unproven_heard(c, now, n, len, reply_len,
			  kd_source_proven(c, &n->addr, &in->hdr));
}

static int kd_core_on_reply(struct kd_core *c, u64 now, const struct kd_node *from,
			    struct kd_input *in, size_t len)
{
	const struct kd_hdr *h = &in->hdr;
	struct kd_req rq;
	u8 want = KDHT_MSG_PONG;
	u16 code;
	u32 rtt;
	int i, r;

	i = kd_req_match(c, h->txid, &from->addr);
	if (i < 0) {
		/* An ERROR to a value request: those are the daemon's. */
		if (h->type == KDHT_MSG_ERROR &&
		    kd_decode_error(in->body, in->body_len, &code) == KD_R_OK) {
			in->upcall = true;
			kd_token_store(c, from, h->token);
			kd_core_heard(c, now, from, in, len, 0);
			return KD_R_OK;
		}
		return KD_R_UNSOLICITED;
	}
	rq = c->req[i];
	if (rq.kind == KD_REQ_FIND)
		want = KDHT_MSG_NODES;
	if ((rq.id_known && !kd_id_equal(&rq.id, &from->id)) ||
	    (h->type != want && h->type != KDHT_MSG_ERROR))
		return KD_R_UNSOLICITED;

	if (h->type == KDHT_MSG_PONG)
		r = kd_decode_empty(in->body, in->body_len);
	else if (h->type == KDHT_MSG_NODES)
		r = kd_decode_nodes(in->body, in->body_len, &c->nodes);
	else
		r = kd_decode_error(in->body, in->body_len, &code);
	if (r) {
		kd_req_fail(c, now, (unsigned int)i, false);
		return r;
	}
	if (h->type == KDHT_MSG_NODES)
		kd_keep_learnable(c, &from->addr, &c->nodes, in);

	kd_req_free(c, (unsigned int)i);
	in->proven = true;
	rtt = (u32)KD_MIN(now - rq.sent_at, (u64)0xffffffff);
	/* It answered at its address: proven, a table contact from now on. */
	kd_unproven_forget(c, &from->addr);
	kd_core_seen(c, now, from, h->flags, true, rtt);
	kd_token_store(c, from, h->token);
	kd_reply_done(c, now, &rq, from, h->type, rtt);

	if (c->nboot && !c->boot_lookup_started) {
		c->boot_lookup_started = 1;
		kd_core_lookup_start(c, now, &c->self, 0, true);
	}
	return KD_R_OK;
}

static bool kd_core_validated(struct kd_core *c, const struct kd_addr *from,
			      const struct kd_hdr *h)
{
	const struct kd_contact *ct;

	if (kd_token_check(&c->tokens, from, h->token))
		return true;
	ct = kd_table_find(&c->table, &h->sender);
	return ct && ct->last_reply && kd_addr_equal(&ct->node.addr, from);
}

/* Answers with NODES; returns the bytes sent. */
static size_t kd_answer_find_node(struct kd_core *c, const struct kd_addr *from,
				  const struct kd_find_node *fn, struct kd_input *in)
{
	size_t len;
	struct kd_hdr rh;
	unsigned int got, i, n = 0;
	unsigned int max = KD_MIN((unsigned int)fn->count, (unsigned int)c->p.k);

	got = kd_table_closest(&c->table, &fn->target, fn->want, c->closest, max + 1);
	for (i = 0; i < got && n < max; i++)
		if (!kd_id_equal(&c->closest[i].id, &in->hdr.sender))
			c->closest[n++] = c->closest[i];
	while (n && kd_nodes_size(n) > in->reply_budget) {
		n--;
		in->reply_cut = true;
	}
	kd_core_make_hdr(c, &rh, KDHT_MSG_NODES, KDHT_F_REPLY, from, in->hdr.txid);
	len = kd_encode_nodes(c->pkt, kd_pkt_cap(c), &rh, c->closest, n);
	kd_send(c, from, len);
	return len;
}

/*
 * A request must pass the host's per-source limiter and, from an unvalidated
 * source, the node's unvalidated budget: with that spent the node is under
 * load and answers validated requests only, as WireGuard answers only
 * handshakes that carry its cookie when under load.
 */
static int kd_core_admit(struct kd_core *c, u64 now, const struct kd_addr *from,
			 const struct kd_input *in)
{
	if (c->io.admit && !c->io.admit(c->io.ctx, now, from, in->proven))
		return KD_R_RATE_LIMITED;
	if (!in->validated &&
	    !kd_rl_bucket_take(&c->unvalidated, now, c->p.unvalidated_rate,
			       c->p.unvalidated_rate))
		return KD_R_UNDER_LOAD;
	return KD_R_OK;
}

/*
 * Answers PING and FIND_NODE here, marks anything else for the host; sets
 * *reply_len to the bytes this datagram may draw from us.
 */
static int kd_core_dispatch(struct kd_core *c, const struct kd_node *sender,
			    struct kd_input *in, size_t *reply_len)
{
	const struct kd_addr *from = &sender->addr;
	struct kd_find_node fn;
	struct kd_hdr rh;
	int r;

	switch (in->hdr.type) {
	case KDHT_MSG_PING:
		r = kd_decode_empty(in->body, in->body_len);
		if (r)
			return r;
		kd_core_make_hdr(c, &rh, KDHT_MSG_PONG, KDHT_F_REPLY, from, in->hdr.txid);
		*reply_len = kd_encode(c->pkt, kd_pkt_cap(c), &rh, NULL, 0, 0);
		kd_send(c, from, *reply_len);
		break;
	case KDHT_MSG_FIND_NODE:
		r = kd_decode_find_node(in->body, in->body_len, &fn);
		if (r)
			return r;
		*reply_len = kd_answer_find_node(c, from, &fn, in);
		break;
	default:
		in->upcall = true;
		in->has_key = kd_decode_key(in->body, in->body_len, &in->key);
		/*
		 * A request handed up may be answered with its whole budget. A
		 * reply to the daemon's request brings a fresh token, which
		 * keeps its next STOREs to that replica validated.
		 */
		if (kd_msg_is_request(in->hdr.type, in->hdr.flags))
			*reply_len = in->reply_budget;
		else
			kd_token_store(c, sender, in->hdr.token);
		break;
	}
	return KD_R_OK;
}

/*
 * The closed mesh's gate, before anything else reads the datagram: closed,
 * only a datagram flagged KDHT_F_TAGGED whose trailer is its tag passes, and
 * *len loses the trailer; open, a flagged datagram is a closed mesh's and
 * is not ours to answer.
 */
static int kd_tag_check(const struct kd_core *c, const u8 *pkt, size_t *len)
{
	bool flagged = *len > KDHT_OFF_FLAGS && (pkt[KDHT_OFF_FLAGS] & KDHT_F_TAGGED);
	u8 tag[KDHT_TAG_LEN];
	size_t plain;

	if (!c->closed)
		return flagged ? KD_R_BAD_TAG : KD_R_OK;
	if (!flagged || *len < KDHT_HDR_LEN + KDHT_TAG_LEN || *len > KDHT_MAX_DATAGRAM)
		return KD_R_BAD_TAG;
	plain = *len - KDHT_TAG_LEN;
	kd_siphash128(c->tag_key, pkt, plain, tag);
	if (!kd_equal_ct(tag, pkt + plain, KDHT_TAG_LEN))
		return KD_R_BAD_TAG;
	*len = plain;
	return KD_R_OK;
}

int kd_core_input(struct kd_core *c, u64 now, const struct kd_addr *from,
		  const u8 *pkt, size_t len, struct kd_input *in)
{
	struct kd_node sender;
	size_t reply_len = 0;
	int r;

	c->now = now;
	memset(in, 0, sizeof(*in));
	r = kd_tag_check(c, pkt, &len);
	if (r)
		return r;
	r = kd_decode_hdr(pkt, len, &in->hdr, &in->body, &in->body_len);
	if (r)
		return r;
	if (kd_id_equal(&in->hdr.sender, &c->self))
		return KD_R_SELF;
	if (!kd_addr_usable(from))
		return KD_R_BAD_ADDR;
	sender.id = in->hdr.sender;
	sender.addr = *from;
	in->validated = kd_core_validated(c, from, &in->hdr);
	in->reply_budget = KD_MIN(kd_reply_budget(in->validated, len), kd_pkt_cap(c));
	if (in->hdr.type == KDHT_MSG_PONG || in->hdr.type == KDHT_MSG_NODES ||
	    in->hdr.type == KDHT_MSG_ERROR)
		return kd_core_on_reply(c, now, &sender, in, len);
	if (kd_msg_is_request(in->hdr.type, in->hdr.flags)) {
		in->proven = kd_source_proven(c, from, &in->hdr);
		r = kd_core_admit(c, now, from, in);
		if (r)
			return r;
	}
	r = kd_core_dispatch(c, &sender, in, &reply_len);
	if (r)
		return r;
	kd_core_heard(c, now, &sender, in, len, reply_len);
	return KD_R_OK;
}

void kd_core_refuse(struct kd_core *c, const struct kd_addr *from,
		    const struct kd_input *in, u16 code)
{
	struct kd_hdr rh;

	if (!kd_msg_is_request(in->hdr.type, in->hdr.flags) ||
	    KDHT_HDR_LEN + KDHT_ERROR_LEN > in->reply_budget)
		return;
	kd_core_make_hdr(c, &rh, KDHT_MSG_ERROR, KDHT_F_REPLY, from, in->hdr.txid);
	kd_send(c, from, kd_encode_error(c->pkt, kd_pkt_cap(c), &rh, code));
}
