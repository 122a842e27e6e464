// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * A routing node of a closed mesh fed arbitrary scripts: raw datagrams,
 * which must all fail the tag check, and arbitrary datagrams tagged under
 * the mesh's key, which reach the parsers behind the gate; time steps,
 * lookups, pings and bootstraps. Whatever it sends must be tagged under the
 * key, at most 1280 bytes with its tag, and decode once the tag is off; a
 * reply to an unvalidated source is never larger than the request.
 */
#include <stdlib.h>

#include "kd_core.h"
#include "kd_siphash.h"
#include "fuzz_node.h"

static const u8 tag_key[KD_SECRET_LEN] = "fuzz mesh key..";
static const struct kd_addr *cur_from;	/* source of the datagram being input */
static size_t cur_reply_len;		/* bytes sent back to it */

static void on_send(void *ctx, const struct kd_addr *to, const u8 *pkt, size_t len)
{
	u8 tag[KDHT_TAG_LEN];
	struct kd_hdr h;
	const u8 *body;
	size_t blen;

	CHECK(len <= KDHT_MAX_DATAGRAM && len >= KDHT_HDR_LEN + KDHT_TAG_LEN);
	CHECK(pkt[KDHT_OFF_FLAGS] & KDHT_F_TAGGED);
	kd_siphash128(tag_key, pkt, len - KDHT_TAG_LEN, tag);
	CHECK(!memcmp(tag, pkt + len - KDHT_TAG_LEN, KDHT_TAG_LEN));
	CHECK(kd_decode_hdr(pkt, len - KDHT_TAG_LEN, &h, &body, &blen) == KD_R_OK);
	if (cur_from && kd_addr_equal(to, cur_from))
		cur_reply_len += len;
}

static void on_event(void *ctx, const struct kd_event *ev)
{
	CHECK(ev->nhits <= KD_K_MAX);
}

/* Inputs len bytes from `from`; tagged: flagged and tagged under the key first. */
static void input(struct kd_core *c, u64 now, const struct kd_addr *from, u8 *pkt,
		  size_t len, bool tagged)
{
	struct kd_input in;
	int r;

	if (tagged && len > KDHT_OFF_FLAGS && len + KDHT_TAG_LEN <= KDHT_MAX_DATAGRAM) {
		pkt[KDHT_OFF_FLAGS] |= KDHT_F_TAGGED;
		kd_siphash128(tag_key, pkt, len, pkt + len);
		len += KDHT_TAG_LEN;
	} else {
		tagged = false;
	}
	cur_from = from;
	cur_reply_len = 0;
	r = kd_core_input(c, now, from, pkt, len, &in);
	CHECK(r >= KD_R_OK && r < KD_R_COUNT);
	if (!tagged)
		CHECK(r == KD_R_BAD_TAG);
	if (r == KD_R_OK && !in.validated)
		CHECK(cur_reply_len <= len);
	if (r == KD_R_OK)
		CHECK(cur_reply_len <= in.reply_budget + KDHT_TAG_LEN);
	cur_from = NULL;
}

static struct kd_core *mesh_node(u64 *mem, size_t size, u64 now)
{
	struct kd_io io = { .send = on_send, .event = on_event };
	struct kd_params p;
	struct kd_core *c;
	struct kd_id id;
	u8 seed[32] = { 9 };

	fuzz_small_params(&p);
	CHECK(kd_core_memsize(&p) <= size);
	memset(id.b, 0x42, KDHT_ID_LEN);
	CHECK(kd_core_init(mem, size, &p, &id, seed, now, &io, &c) == 0);
	kd_core_set_mesh_key(c, tag_key);
	return c;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u64 mem[65536];
	static u8 pkt[KDHT_MAX_DATAGRAM + 1];	/* room for one byte too many */
	struct script s = { data, size };
	u64 now = 1000;
	struct kd_core *c = mesh_node(mem, sizeof(mem), now);
	struct kd_addr a;
	unsigned int op;
	size_t len;

	while (s.left) {
		op = take(&s) % (2 + FUZZ_CALLS);
		if (op < 2) {	/* raw bytes, untagged or tagged by a member */
			a = fuzz_peer_addr(take(&s));
			len = fuzz_bytes(&s, pkt, sizeof(pkt) - KDHT_TAG_LEN);
			input(c, now, &a, pkt, len, op == 1);
		} else {
			fuzz_call(c, &s, &now, op - 2);
		}
	}
	return 0;
}
