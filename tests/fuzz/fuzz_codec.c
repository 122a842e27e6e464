// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Every decoder of the wire codec on arbitrary bytes. Whatever decodes must
 * encode back to a datagram that decodes to the same message, byte for
 * byte except the reserved header byte (sent as zero, ignored on receipt).
 */
#include <stdlib.h>

#include "kd_codec.h"
#include "fuzz_script.h"

static bool node_equal(const struct kd_node *a, const struct kd_node *b)
{
	return kd_id_equal(&a->id, &b->id) && a->addr.family == b->addr.family &&
	       a->addr.port == b->addr.port && !memcmp(a->addr.ip, b->addr.ip, 16);
}

static void round_trip_nodes(const struct kd_hdr *h, const u8 *body, size_t len)
{
	static struct kd_nodes a, b;
	static u8 buf[KDHT_MAX_DATAGRAM];
	struct kd_hdr h2;
	const u8 *b2;
	size_t l2, n;
	unsigned int i;

	if (kd_decode_nodes(body, len, &a))
		return;
	n = kd_encode_nodes(buf, sizeof(buf), h, a.node, a.count);
	CHECK(n == kd_nodes_size(a.count));
	CHECK(kd_decode_hdr(buf, n, &h2, &b2, &l2) == KD_R_OK);
	CHECK(h2.type == KDHT_MSG_NODES && l2 == len);
	CHECK(kd_decode_nodes(b2, l2, &b) == KD_R_OK);
	CHECK(a.count == b.count);
	for (i = 0; i < a.count; i++)
		CHECK(node_equal(&a.node[i], &b.node[i]));
}

static void round_trip_find_node(const struct kd_hdr *h, const u8 *body, size_t len)
{
	struct kd_find_node a, b;
	u8 buf[KDHT_MAX_DATAGRAM];
	struct kd_hdr h2;
	const u8 *b2;
	size_t l2, n;

	if (kd_decode_find_node(body, len, &a))
		return;
	n = kd_encode_find_node(buf, sizeof(buf), h, &a, kd_nodes_size(a.count));
	CHECK(n == kd_nodes_size(a.count));
	CHECK(kd_decode_hdr(buf, n, &h2, &b2, &l2) == KD_R_OK);
	CHECK(h2.type == KDHT_MSG_FIND_NODE && l2 == KDHT_FIND_NODE_LEN);
	CHECK(kd_decode_find_node(b2, l2, &b) == KD_R_OK);
	CHECK(kd_id_equal(&a.target, &b.target) && a.want == b.want && a.count == b.count);
}

static void round_trip_error(const struct kd_hdr *h, const u8 *body, size_t len)
{
	u8 buf[KDHT_MAX_DATAGRAM];
	struct kd_hdr h2;
	const u8 *b2;
	size_t l2, n;
	u16 a, b;

	if (kd_decode_error(body, len, &a))
		return;
	n = kd_encode_error(buf, sizeof(buf), h, a);
	CHECK(n == KDHT_HDR_LEN + KDHT_ERROR_LEN);
	CHECK(kd_decode_hdr(buf, n, &h2, &b2, &l2) == KD_R_OK);
	CHECK(kd_decode_error(b2, l2, &b) == KD_R_OK && a == b);
}

static void bodies(const struct kd_hdr *h, const u8 *body, size_t len)
{
	if (kd_decode_empty(body, len) == KD_R_OK)
		CHECK(len == 0);
	round_trip_find_node(h, body, len);
	round_trip_nodes(h, body, len);
	round_trip_error(h, body, len);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static u8 buf[KDHT_MAX_DATAGRAM];
	struct kd_hdr h, h2;
	const u8 *body, *b2;
	size_t blen, l2, n;
	int r;

	/* The bytes as a bare body, under a fixed header. */
	memset(&h, 0, sizeof(h));
	h.flags = KDHT_F_REPLY;
	bodies(&h, data, size);

	r = kd_decode_hdr(data, size, &h, &body, &blen);
	CHECK(r >= KD_R_OK && r < KD_R_COUNT);
	if (r)
		return 0;
	CHECK(body == data + KDHT_HDR_LEN && blen <= size - KDHT_HDR_LEN);
	n = kd_encode(buf, sizeof(buf), &h, body, blen,
		      (h.flags & KDHT_F_PADDED) ? size : 0);
	CHECK(n == size);
	CHECK(!memcmp(buf, data, 5) && !memcmp(buf + 6, data + 6, size - 6));
	CHECK(kd_decode_hdr(buf, n, &h2, &b2, &l2) == KD_R_OK);
	CHECK(l2 == blen && !memcmp(b2, body, blen));
	CHECK(h2.type == h.type && h2.flags == h.flags && h2.txid == h.txid &&
	      h2.body_len == h.body_len && kd_id_equal(&h2.sender, &h.sender) &&
	      !memcmp(h2.token, h.token, KDHT_TOKEN_LEN));
	bodies(&h, body, blen);
	return 0;
}
