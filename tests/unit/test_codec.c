// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The wire codec: round trips and every class of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kd_codec.h"

static struct kd_hdr mkhdr(u8 type, u8 flags)
{
	struct kd_hdr h;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	h.version = KDHT_VERSION;
	h.type = type;
	h.flags = flags;
	h.txid = 0xdeadbeef;
	for (i = 0; i < KDHT_TOKEN_LEN; i++)
		h.token[i] = (u8)(0xa0 + i);
	for (i = 0; i < KDHT_ID_LEN; i++)
		h.sender.b[i] = (u8)i;
	return h;
}

static struct kd_node mknode(u8 seed, u8 family)
{
	struct kd_node n;

	memset(&n, 0, sizeof(n));
	memset(n.id.b, seed, KDHT_ID_LEN);
	n.addr.family = family;
	n.addr.port = (u16)(4000 + seed);
	if (family == KDHT_AF_INET) {
		n.addr.ip[0] = 10;
		n.addr.ip[3] = seed;
	} else {
		n.addr.ip[0] = 0x20;
		n.addr.ip[1] = 0x01;
		n.addr.ip[15] = seed;
	}
	return n;
}

static void test_ping_round_trip(void **state)
{
	struct kd_hdr h = mkhdr(KDHT_MSG_PING, 0), d;
	u8 buf[KDHT_MAX_DATAGRAM];
	const u8 *body;
	size_t blen, n;

	n = kd_encode(buf, sizeof(buf), &h, NULL, 0, 0);
	assert_int_equal(n, KDHT_HDR_LEN);
	assert_int_equal(buf[0], 0x4b);
	assert_int_equal(buf[1], 0x44);
	assert_int_equal(buf[3], KDHT_MSG_PING);
	assert_int_equal(kd_decode_hdr(buf, n, &d, &body, &blen), KD_R_OK);
	assert_int_equal(d.type, KDHT_MSG_PING);
	assert_int_equal(d.txid, 0xdeadbeef);
	assert_memory_equal(d.token, h.token, KDHT_TOKEN_LEN);
	assert_true(kd_id_equal(&d.sender, &h.sender));
	assert_int_equal(blen, 0);
	assert_int_equal(kd_decode_empty(body, blen), KD_R_OK);
}

static void test_find_node_padded_round_trip(void **state)
{
	struct kd_hdr h = mkhdr(KDHT_MSG_FIND_NODE, 0), d;
	struct kd_find_node fn = { .want = KDHT_WANT_V4 | KDHT_WANT_V6, .count = 20 }, fd;
	u8 buf[KDHT_MAX_DATAGRAM];
	const u8 *body;
	size_t blen, n;

	memset(fn.target.b, 0x5a, KDHT_ID_LEN);
	n = kd_encode_find_node(buf, sizeof(buf), &h, &fn, kd_nodes_size(20));
	assert_int_equal(n, kd_nodes_size(20));
	assert_true(buf[4] & KDHT_F_PADDED);
	assert_int_equal(kd_decode_hdr(buf, n, &d, &body, &blen), KD_R_OK);
	assert_int_equal(blen, KDHT_FIND_NODE_LEN);
	assert_int_equal(kd_decode_find_node(body, blen, &fd), KD_R_OK);
	assert_memory_equal(fd.target.b, fn.target.b, KDHT_ID_LEN);
	assert_int_equal(fd.want, fn.want);
	assert_int_equal(fd.count, 20);

	/* Unpadded when pad_to is not larger. */
	n = kd_encode_find_node(buf, sizeof(buf), &h, &fn, 10);
	assert_int_equal(n, KDHT_HDR_LEN + KDHT_FIND_NODE_LEN);
	assert_false(buf[4] & KDHT_F_PADDED);

	/* A one-byte pad cannot hold its trailer: widened to two. */
	n = kd_encode_find_node(buf, sizeof(buf), &h, &fn,
				KDHT_HDR_LEN + KDHT_FIND_NODE_LEN + 1);
	assert_int_equal(n, KDHT_HDR_LEN + KDHT_FIND_NODE_LEN + 2);
	assert_int_equal(kd_decode_hdr(buf, n, &d, &body, &blen), KD_R_OK);
	assert_int_equal(blen, KDHT_FIND_NODE_LEN);
}

static void test_nodes_round_trip(void **state)
{
	struct kd_hdr h = mkhdr(KDHT_MSG_NODES, KDHT_F_REPLY), d;
	struct kd_node in[KDHT_MAX_NODES];
	struct kd_nodes out;
	u8 buf[KDHT_MAX_DATAGRAM];
	const u8 *body;
	size_t blen, n;
	unsigned int i;

	for (i = 0; i < KDHT_MAX_NODES; i++)
		in[i] = mknode((u8)(i + 1), i % 2 ? KDHT_AF_INET6 : KDHT_AF_INET);
	n = kd_encode_nodes(buf, sizeof(buf), &h, in, KDHT_MAX_NODES);
	assert_int_equal(n, kd_nodes_size(KDHT_MAX_NODES));
	assert_true(n <= KDHT_MAX_DATAGRAM);
	assert_int_equal(kd_decode_hdr(buf, n, &d, &body, &blen), KD_R_OK);
	assert_int_equal(d.flags, KDHT_F_REPLY);
	assert_int_equal(kd_decode_nodes(body, blen, &out), KD_R_OK);
	assert_int_equal(out.count, KDHT_MAX_NODES);
	for (i = 0; i < KDHT_MAX_NODES; i++) {
		assert_true(kd_id_equal(&out.node[i].id, &in[i].id));
		assert_int_equal(out.node[i].addr.family, in[i].addr.family);
		assert_int_equal(out.node[i].addr.port, in[i].addr.port);
		assert_memory_equal(out.node[i].addr.ip, in[i].addr.ip, 16);
	}
	/* Too many entries, or a buffer too small: nothing written. */
	assert_int_equal(kd_encode_nodes(buf, sizeof(buf), &h, in, KDHT_MAX_NODES + 1), 0);
	assert_int_equal(kd_encode_nodes(buf, kd_nodes_size(3) - 1, &h, in, 3), 0);
	assert_int_equal(kd_encode_nodes(buf, kd_nodes_size(3), &h, in, 3), kd_nodes_size(3));
}

static void test_error_round_trip(void **state)
{
	struct kd_hdr h = mkhdr(KDHT_MSG_ERROR, KDHT_F_REPLY), d;
	u8 buf[KDHT_MAX_DATAGRAM];
	const u8 *body;
	size_t blen, n;
	u16 code;

	n = kd_encode_error(buf, sizeof(buf), &h, KDHT_ERR_UNKNOWN_TYPE);
	assert_int_equal(n, KDHT_HDR_LEN + KDHT_ERROR_LEN);
	assert_int_equal(kd_decode_hdr(buf, n, &d, &body, &blen), KD_R_OK);
	assert_int_equal(d.type, KDHT_MSG_ERROR);
	assert_int_equal(kd_decode_error(body, blen, &code), KD_R_OK);
	assert_int_equal(code, KDHT_ERR_UNKNOWN_TYPE);
	assert_int_equal(kd_decode_error(body, blen - 1, &code), KD_R_BAD_LENGTH);
}

/* A PING padded to pad_to bytes (0: unpadded) in buf[KDHT_MAX_DATAGRAM + 8]. */
static size_t ping(u8 *buf, size_t pad_to)
{
	struct kd_hdr h = mkhdr(KDHT_MSG_PING, 0);

	return kd_encode(buf, KDHT_MAX_DATAGRAM + 8, &h, NULL, 0, pad_to);
}

static int hdr_reason(const u8 *buf, size_t len)
{
	struct kd_hdr d;
	const u8 *body;
	size_t blen;

	return kd_decode_hdr(buf, len, &d, &body, &blen);
}

static void test_header_rejections(void **state)
{
	u8 buf[KDHT_MAX_DATAGRAM + 8];
	size_t n = ping(buf, 0);
	unsigned int t;

	assert_int_equal(hdr_reason(buf, n - 1), KD_R_TRUNCATED);
	assert_int_equal(hdr_reason(buf, 0), KD_R_TRUNCATED);
	assert_int_equal(hdr_reason(buf, n + 1), KD_R_TRAILING);

	buf[0] ^= 1;
	assert_int_equal(hdr_reason(buf, n), KD_R_BAD_MAGIC);
	n = ping(buf, 0);
	buf[2] = KDHT_VERSION + 1;
	assert_int_equal(hdr_reason(buf, n), KD_R_BAD_VERSION);

	for (t = 0; t < 256; t++) {
		bool reserved = t == 0 || (t > KDHT_MSG_ERROR && t < KDHT_MSG_STORE) ||
				t > KDHT_MSG_APP_LAST;

		n = ping(buf, 0);
		buf[3] = (u8)t;
		assert_int_equal(hdr_reason(buf, n), reserved ? KD_R_BAD_TYPE : KD_R_OK);
	}

	/* body_len says more than is there, or more than a datagram holds. */
	n = ping(buf, 0);
	kd_put_be16(buf + 6, 4);
	assert_int_equal(hdr_reason(buf, n), KD_R_TRUNCATED);
	kd_put_be16(buf + 6, KDHT_MAX_BODY + 1);
	memset(buf + KDHT_HDR_LEN, 0, KDHT_MAX_BODY + 1);
	assert_int_equal(hdr_reason(buf, KDHT_MAX_DATAGRAM), KD_R_BAD_LENGTH);
	assert_int_equal(hdr_reason(buf, KDHT_MAX_DATAGRAM + 1), KD_R_BAD_LENGTH);

	/* Unknown flags and the reserved byte are ignored. */
	n = ping(buf, 0);
	buf[4] = 0x80;
	buf[5] = 0xff;
	assert_int_equal(hdr_reason(buf, n), KD_R_OK);
}

static void test_padding_rejections(void **state)
{
	u8 buf[KDHT_MAX_DATAGRAM + 8];
	size_t blen, n = ping(buf, 100);
	const u8 *body;
	struct kd_hdr d;

	assert_int_equal(n, 100);
	assert_int_equal(kd_decode_hdr(buf, n, &d, &body, &blen), KD_R_OK);
	assert_int_equal(blen, 0);

	buf[60] = 1;	/* a non-zero padding byte */
	assert_int_equal(hdr_reason(buf, n), KD_R_BAD_PADDING);
	buf[60] = 0;
	kd_put_be16(buf + n - 2, 1);	/* pad_len below its trailer */
	assert_int_equal(hdr_reason(buf, n), KD_R_BAD_PADDING);
	kd_put_be16(buf + n - 2, 49);	/* pad_len beyond the body */
	assert_int_equal(hdr_reason(buf, n), KD_R_BAD_PADDING);
	kd_put_be16(buf + n - 2, 10);	/* shorter pad: the rest is body */
	assert_int_equal(kd_decode_hdr(buf, n, &d, &body, &blen), KD_R_OK);
	assert_int_equal(blen, 38);
	assert_int_equal(kd_decode_empty(body, blen), KD_R_BAD_LENGTH);

	/* A padded flag with a body too short for the trailer. */
	n = ping(buf, 0);
	buf[4] |= KDHT_F_PADDED;
	assert_int_equal(hdr_reason(buf, n), KD_R_BAD_PADDING);
}

static void test_find_node_rejections(void **state)
{
	u8 b[KDHT_FIND_NODE_LEN];
	struct kd_find_node fn;

	memset(b, 0, sizeof(b));
	b[32] = KDHT_WANT_V4;
	b[33] = 1;
	assert_int_equal(kd_decode_find_node(b, sizeof(b), &fn), KD_R_OK);
	assert_int_equal(kd_decode_find_node(b, sizeof(b) - 1, &fn), KD_R_BAD_LENGTH);
	b[33] = 0;
	assert_int_equal(kd_decode_find_node(b, sizeof(b), &fn), KD_R_BAD_COUNT);
	b[33] = KDHT_MAX_NODES + 1;
	assert_int_equal(kd_decode_find_node(b, sizeof(b), &fn), KD_R_BAD_COUNT);
	b[33] = KDHT_MAX_NODES;
	b[32] = 0;
	assert_int_equal(kd_decode_find_node(b, sizeof(b), &fn), KD_R_BAD_FAMILY);
	b[32] = 0x80;
	assert_int_equal(kd_decode_find_node(b, sizeof(b), &fn), KD_R_BAD_FAMILY);
}

static void test_nodes_rejections(void **state)
{
	struct kd_hdr h = mkhdr(KDHT_MSG_NODES, KDHT_F_REPLY);
	struct kd_node in[2] = { mknode(1, KDHT_AF_INET), mknode(2, KDHT_AF_INET6) };
	struct kd_nodes out;
	u8 buf[KDHT_MAX_DATAGRAM];
	u8 *b = buf + KDHT_HDR_LEN, *e1 = b + KDHT_NODES_HDR_LEN;
	size_t n = kd_encode_nodes(buf, sizeof(buf), &h, in, 2);
	size_t blen = n - KDHT_HDR_LEN;

	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_OK);
	assert_int_equal(kd_decode_nodes(b, 3, &out), KD_R_BAD_LENGTH);
	assert_int_equal(kd_decode_nodes(b, blen - 1, &out), KD_R_BAD_COUNT);
	b[0] = 3;
	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_BAD_COUNT);
	b[0] = KDHT_MAX_NODES + 1;
	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_BAD_COUNT);
	b[0] = 2;

	e1[32] = 5;
	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_BAD_FAMILY);
	e1[32] = KDHT_AF_INET;
	e1[36 + 7] = 1;		/* IPv4 with bytes past the first four */
	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_BAD_ADDR);
	e1[36 + 7] = 0;
	kd_put_be16(e1 + 34, 0);
	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_BAD_ADDR);
	kd_put_be16(e1 + 34, 4650);
	memset(e1 + 36, 0, 4);	/* 0.0.0.0 */
	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_BAD_ADDR);
	e1[36] = 224;		/* multicast */
	assert_int_equal(kd_decode_nodes(b, blen, &out), KD_R_BAD_ADDR);
}

static void test_reason_names(void **state)
{
	assert_string_equal(kd_reason_name(KD_R_TRUNCATED), "truncated");
	assert_string_equal(kd_reason_name(KD_R_UNVALIDATED), "unvalidated");
	assert_string_equal(kd_reason_name(KD_R_COUNT), "unknown");
	for (unsigned int r = 0; r < KD_R_COUNT; r++)
		assert_non_null(kd_reason_name(r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ping_round_trip),
		cmocka_unit_test(test_find_node_padded_round_trip),
		cmocka_unit_test(test_nodes_round_trip),
		cmocka_unit_test(test_error_round_trip),
		cmocka_unit_test(test_header_rejections),
		cmocka_unit_test(test_padding_rejections),
		cmocka_unit_test(test_find_node_rejections),
		cmocka_unit_test(test_nodes_rejections),
		cmocka_unit_test(test_reason_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
