// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A whole routing node fed arbitrary scripts: raw datagrams from a handful
 * of addresses, well-formed replies to the requests it really sent (with
 * arbitrary node lists), time steps, lookups and pings. Whatever it sends
 * must decode, and a reply to an unvalidated source is never larger than
 * the request that caused it.
 */
#include <stdlib.h>

#include "kd_core.h"
#include "fuzz_node.h"

#define SENT_MAX 64

struct sent {
	struct kd_addr to;
	u32 txid;
	u8 type;
};

static struct sent sent[SENT_MAX];
static unsigned int nsent;
static const struct kd_addr *cur_from;	/* source of the datagram being input */
static size_t cur_reply_max;		/* its reply budget */
static size_t cur_reply_len;		/* bytes sent back to it */

static struct kd_node node_of(u8 v)
{
	struct kd_node n;
	unsigned int i;

	for (i = 0; i < KDHT_ID_LEN; i++)
		n.id.b[i] = (u8)(v * 151 + i * 7);
	n.addr = fuzz_peer_addr(v);
	n.addr.ip[2] = (u8)(v / FUZZ_PEERS);
	return n;
}

static void on_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	struct kd_hdr h;
	const u8 *body;
	size_t blen;

	CHECK(len <= KDHT_MAX_DATAGRAM);
	CHECK(kd_decode_hdr(pkt, len, &h, &body, &blen) == KD_R_OK);
	CHECK(kd_addr_usable(to));
	if (cur_from && (h.flags & KDHT_F_REPLY) && kd_addr_equal(to, cur_from))
		cur_reply_len += len;
	if (!(h.flags & KDHT_F_REPLY)) {
		sent[nsent % SENT_MAX].to = *to;
		sent[nsent % SENT_MAX].txid = h.txid;
		sent[nsent % SENT_MAX].type = h.type;
		nsent++;
	}
}

static void on_event(void *ctx, const struct kd_event *ev)
{
	CHECK(ev->nhits <= KD_K_MAX);
}

static void input(struct kd_core *c, u64 now, const struct kd_addr *from,
		  const u8 *pkt, size_t len)
{
	struct kd_input in;
	int r;

	cur_from = from;
	cur_reply_len = 0;
	r = kd_core_input(c, now, from, pkt, len, &in);
	CHECK(r >= KD_R_OK && r < KD_R_COUNT);
	cur_reply_max = in.reply_budget;
	if (r == KD_R_OK && !in.validated)
		CHECK(cur_reply_len <= len);
	if (r == KD_R_OK)
		CHECK(cur_reply_len <= cur_reply_max);
	cur_from = NULL;
}

/* A well-formed reply to one of the requests the node sent. */
static void answer(struct kd_core *c, u64 now, struct script *s)
{
	static u8 pkt[KDHT_MAX_DATAGRAM];
	struct kd_node nodes[KDHT_MAX_NODES];
	struct sent *q;
	struct kd_hdr h;
	unsigned int i, n;
	size_t len;

	if (!nsent)
		return;
	q = &sent[take(s) % KD_MIN(nsent, (unsigned int)SENT_MAX)];
	memset(&h, 0, sizeof(h));
	h.flags = KDHT_F_REPLY | (take(s) & KDHT_F_CLIENT);
	h.txid = q->txid;
	h.sender = node_of(take(s)).id;
	for (i = 0; i < KDHT_TOKEN_LEN; i++)
		h.token[i] = take(s);
	if (q->type == KDHT_MSG_PING) {
		h.type = KDHT_MSG_PONG;
		len = kd_encode(pkt, sizeof(pkt), &h, NULL, 0, 0);
	} else {
		n = take(s) % (KDHT_MAX_NODES + 1);
		for (i = 0; i < n; i++)
			nodes[i] = node_of(take(s));
		len = kd_encode_nodes(pkt, sizeof(pkt), &h, nodes, n);
	}
	input(c, now, &q->to, pkt, len);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u64 mem[65536];
	static u8 pkt[KDHT_MAX_DATAGRAM + 1];	/* room for one byte too many */
	struct kd_io io = { .send = on_send, .event = on_event };
	struct script s = { data, size };
	struct kd_params p;
	struct kd_core *c;
	struct kd_addr a;
	struct kd_id id;
	u8 seed[32] = { 7 };
	u64 now = 1000;
	unsigned int op;
	size_t len;

	fuzz_small_params(&p);
	p.token_rotate_ms = 60000;
	CHECK(kd_core_memsize(&p) <= sizeof(mem));
	memset(id.b, 0x42, KDHT_ID_LEN);
	nsent = 0;
	CHECK(kd_core_init(mem, sizeof(mem), &p, &id, seed, now, &io, &c) == 0);

	while (s.left) {
		op = take(&s) % (2 + FUZZ_CALLS);
		if (op == 0) {		/* raw bytes */
			a = fuzz_peer_addr(take(&s));
			len = fuzz_bytes(&s, pkt, sizeof(pkt));
			input(c, now, &a, pkt, len);
		} else if (op == 1) {
			answer(c, now, &s);
		} else {
			fuzz_call(c, &s, &now, op - 2);
		}
		CHECK(kd_core_lookups_running(c) <= p.max_lookups);
		CHECK(kd_core_table(c)->members <= p.max_contacts);
	}
	return 0;
}
