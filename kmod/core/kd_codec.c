// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The wire codec. Every field is read and written byte by byte at its
 * offset from proto/kdht_wire.h, after the length that covers it has been
 * checked, so no input can make a decoder read outside the datagram.
 */
#include "kd_codec.h"

static const char * const kd_reason_names[KD_R_COUNT] = {
	[KD_R_OK]		= "ok",
	[KD_R_TRUNCATED]	= "truncated",
	[KD_R_TRAILING]		= "trailing",
	[KD_R_BAD_MAGIC]	= "bad_magic",
	[KD_R_BAD_VERSION]	= "bad_version",
	[KD_R_BAD_TYPE]		= "bad_type",
	[KD_R_BAD_LENGTH]	= "bad_length",
	[KD_R_BAD_PADDING]	= "bad_padding",
	[KD_R_BAD_FAMILY]	= "bad_family",
	[KD_R_BAD_COUNT]	= "bad_count",
	[KD_R_BAD_ADDR]		= "bad_addr",
	[KD_R_SELF]		= "self",
	[KD_R_UNSOLICITED]	= "unsolicited",
	[KD_R_RATE_LIMITED]	= "rate_limited",
	[KD_R_UNVALIDATED]	= "unvalidated",
	[KD_R_NO_DAEMON]	= "no_daemon",
	[KD_R_UPCALL_NOBUFS]	= "upcall_nobufs",
	[KD_R_UNDER_LOAD]	= "under_load",
	[KD_R_SCOPE_LOOPBACK]	= "scope_loopback",
	[KD_R_SCOPE_LINK_LOCAL]	= "scope_link_local",
	[KD_R_SCOPE_PRIVATE]	= "scope_private",
	[KD_R_SCOPE_V4_MAPPED]	= "scope_v4_mapped",
	[KD_R_BAD_TAG]		= "bad_tag",
};

const char *kd_reason_name(unsigned int reason)
{
	if (reason >= KD_R_COUNT)
		return "unknown";
	return kd_reason_names[reason];
}

/* Types 0x00, 0x06..0x0f and 0x80..0xff are reserved. */
static bool kd_type_known(u8 type)
{
	if (type >= KDHT_MSG_PING && type <= KDHT_MSG_ERROR)
		return true;
	return type >= KDHT_MSG_STORE && type <= KDHT_MSG_APP_LAST;
}

static bool kd_all_zero(const u8 *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int kd_decode_hdr(const u8 *pkt, size_t len, struct kd_hdr *h, const u8 **body,
		  size_t *body_len)
{
	size_t blen, pad;

	if (len < KDHT_HDR_LEN)
		return KD_R_TRUNCATED;
	if (len > KDHT_MAX_DATAGRAM)
		return KD_R_BAD_LENGTH;
	if (kd_get_be16(pkt) != KDHT_MAGIC)
		return KD_R_BAD_MAGIC;
	if (pkt[2] != KDHT_VERSION)
		return KD_R_BAD_VERSION;
	if (!kd_type_known(pkt[3]))
		return KD_R_BAD_TYPE;
	blen = kd_get_be16(pkt + 6);
	if (blen > KDHT_MAX_BODY)
		return KD_R_BAD_LENGTH;
	if (len < KDHT_HDR_LEN + blen)
		return KD_R_TRUNCATED;
	if (len > KDHT_HDR_LEN + blen)
		return KD_R_TRAILING;

	h->version = pkt[2];
	h->type = pkt[3];
	h->flags = pkt[4];
	h->body_len = (u16)blen;
	h->txid = kd_get_be32(pkt + 8);
	memcpy(h->token, pkt + 12, KDHT_TOKEN_LEN);
	memcpy(h->sender.b, pkt + 20, KDHT_ID_LEN);

	pad = 0;
	if (h->flags & KDHT_F_PADDED) {
		const u8 *b = pkt + KDHT_HDR_LEN;

		if (blen < KDHT_PAD_TRAILER_LEN)
			return KD_R_BAD_PADDING;
		pad = kd_get_be16(b + blen - KDHT_PAD_TRAILER_LEN);
		if (pad < KDHT_PAD_TRAILER_LEN || pad > blen)
			return KD_R_BAD_PADDING;
		if (!kd_all_zero(b + blen - pad, pad - KDHT_PAD_TRAILER_LEN))
			return KD_R_BAD_PADDING;
	}
	*body = pkt + KDHT_HDR_LEN;
	*body_len = blen - pad;
	return KD_R_OK;
}

int kd_decode_empty(const u8 *body, size_t len)
{
	return len ? KD_R_BAD_LENGTH : KD_R_OK;
}

int kd_decode_find_node(const u8 *body, size_t len, struct kd_find_node *out)
{
	if (len != KDHT_FIND_NODE_LEN)
		return KD_R_BAD_LENGTH;
	memcpy(out->target.b, body, KDHT_ID_LEN);
	out->want = body[KDHT_ID_LEN];
	out->count = body[KDHT_ID_LEN + 1];
	if (!(out->want & (KDHT_WANT_V4 | KDHT_WANT_V6)))
		return KD_R_BAD_FAMILY;
	if (out->count < 1 || out->count > KDHT_MAX_NODES)
		return KD_R_BAD_COUNT;
	return KD_R_OK;
}

static int kd_decode_node(const u8 *p, struct kd_node *n)
{
	memcpy(n->id.b, p, KDHT_ID_LEN);
	n->addr.family = p[32];
	n->addr.reserved = 0;
	n->addr.port = kd_get_be16(p + 34);
	memcpy(n->addr.ip, p + 36, sizeof(n->addr.ip));
	if (n->addr.family != KDHT_AF_INET && n->addr.family != KDHT_AF_INET6)
		return KD_R_BAD_FAMILY;
	if (n->addr.family == KDHT_AF_INET && !kd_all_zero(n->addr.ip + 4, 12))
		return KD_R_BAD_ADDR;
	if (!n->addr.port || !kd_addr_usable(&n->addr))
		return KD_R_BAD_ADDR;
	return KD_R_OK;
}

int kd_decode_nodes(const u8 *body, size_t len, struct kd_nodes *out)
{
	unsigned int i;
	int r;

	if (len < KDHT_NODES_HDR_LEN)
		return KD_R_BAD_LENGTH;
	out->count = body[0];
	if (out->count > KDHT_MAX_NODES)
		return KD_R_BAD_COUNT;
	if (len != KDHT_NODES_HDR_LEN + (size_t)out->count * KDHT_NODE_LEN)
		return KD_R_BAD_COUNT;
	for (i = 0; i < out->count; i++) {
		r = kd_decode_node(body + KDHT_NODES_HDR_LEN + i * KDHT_NODE_LEN,
				   &out->node[i]);
		if (r)
			return r;
	}
	return KD_R_OK;
}

int kd_decode_error(const u8 *body, size_t len, u16 *code)
{
	if (len != KDHT_ERROR_LEN)
		return KD_R_BAD_LENGTH;
	*code = kd_get_be16(body);
	return KD_R_OK;
}

/* Protobuf's tag of field 1 with wire type 2 (bytes), then the key's length. */
#define KD_KEY_TAG	0x0a

bool kd_decode_key(const u8 *body, size_t len, struct kd_id *key)
{
	if (len < 2 + KDHT_ID_LEN || body[0] != KD_KEY_TAG || body[1] != KDHT_ID_LEN)
		return false;
	memcpy(key->b, body + 2, KDHT_ID_LEN);
	return true;
}

bool kd_msg_is_request(u8 type, u8 flags)
{
	switch (type) {
	case KDHT_MSG_PING:
	case KDHT_MSG_FIND_NODE:
	case KDHT_MSG_STORE:
	case KDHT_MSG_FIND_VALUE:
		return true;
	case KDHT_MSG_PONG:
	case KDHT_MSG_NODES:
	case KDHT_MSG_ERROR:
	case KDHT_MSG_STORE_ACK:
	case KDHT_MSG_VALUE:
		return false;
	default:
		return !(flags & KDHT_F_REPLY);
	}
}

/*
 * Writes the header for a body of body_len bytes and, when pad_to asks for
 * it, the padding after it. Returns the datagram length, or 0 if it does
 * not fit cap or KDHT_MAX_DATAGRAM. A pad shorter than its own trailer is
 * widened to the trailer, so the datagram may end one byte past pad_to.
 */
static size_t kd_put_hdr(u8 *buf, size_t cap, const struct kd_hdr *h, u8 type,
			 size_t body_len, size_t pad_to)
{
	size_t total = KDHT_HDR_LEN + body_len;
	size_t pad = 0;
	u8 flags = h->flags & ~KDHT_F_PADDED;

	if (pad_to > KDHT_MAX_DATAGRAM)
		pad_to = KDHT_MAX_DATAGRAM;
	if (pad_to > total) {
		pad = KD_MAX(pad_to - total, (size_t)KDHT_PAD_TRAILER_LEN);
		flags |= KDHT_F_PADDED;
	}
	if (total + pad > cap || total + pad > KDHT_MAX_DATAGRAM)
		return 0;

	buf[0] = KDHT_MAGIC >> 8;
	buf[1] = KDHT_MAGIC & 0xff;
	buf[2] = KDHT_VERSION;
	buf[3] = type;
	buf[4] = flags;
	buf[5] = 0;
	kd_put_be16(buf + 6, (u16)(body_len + pad));
	kd_put_be32(buf + 8, h->txid);
	memcpy(buf + 12, h->token, KDHT_TOKEN_LEN);
	memcpy(buf + 20, h->sender.b, KDHT_ID_LEN);
	if (pad) {
		memset(buf + total, 0, pad - KDHT_PAD_TRAILER_LEN);
		kd_put_be16(buf + total + pad - KDHT_PAD_TRAILER_LEN, (u16)pad);
	}
	return total + pad;
}

size_t kd_encode(u8 *buf, size_t cap, const struct kd_hdr *h, const u8 *body,
		 size_t body_len, size_t pad_to)
{
	size_t n = kd_put_hdr(buf, cap, h, h->type, body_len, pad_to);

	if (n && body_len)
		memmove(buf + KDHT_HDR_LEN, body, body_len);
	return n;
}

size_t kd_encode_find_node(u8 *buf, size_t cap, const struct kd_hdr *h,
			   const struct kd_find_node *fn, size_t pad_to)
{
	size_t n = kd_put_hdr(buf, cap, h, KDHT_MSG_FIND_NODE, KDHT_FIND_NODE_LEN,
			      pad_to);
	u8 *b = buf + KDHT_HDR_LEN;

	if (!n)
		return 0;
	memcpy(b, fn->target.b, KDHT_ID_LEN);
	b[KDHT_ID_LEN] = fn->want;
	b[KDHT_ID_LEN + 1] = fn->count;
	kd_put_be16(b + KDHT_ID_LEN + 2, 0);
	return n;
}

static void kd_encode_node(u8 *p, const struct kd_node *n)
{
	memcpy(p, n->id.b, KDHT_ID_LEN);
	p[32] = n->addr.family;
	p[33] = 0;
	kd_put_be16(p + 34, n->addr.port);
	memcpy(p + 36, n->addr.ip, sizeof(n->addr.ip));
	if (n->addr.family == KDHT_AF_INET)
		memset(p + 40, 0, 12);
}

size_t kd_encode_nodes(u8 *buf, size_t cap, const struct kd_hdr *h,
		       const struct kd_node *nodes, unsigned int count)
{
	size_t n;
	unsigned int i;
	u8 *b = buf + KDHT_HDR_LEN;

	if (count > KDHT_MAX_NODES)
		return 0;
	n = kd_put_hdr(buf, cap, h, KDHT_MSG_NODES,
		       KDHT_NODES_HDR_LEN + (size_t)count * KDHT_NODE_LEN, 0);
	if (!n)
		return 0;
	b[0] = (u8)count;
	memset(b + 1, 0, KDHT_NODES_HDR_LEN - 1);
	for (i = 0; i < count; i++)
		kd_encode_node(b + KDHT_NODES_HDR_LEN + i * KDHT_NODE_LEN, &nodes[i]);
	return n;
}

size_t kd_encode_error(u8 *buf, size_t cap, const struct kd_hdr *h, u16 code)
{
	size_t n = kd_put_hdr(buf, cap, h, KDHT_MSG_ERROR, KDHT_ERROR_LEN, 0);

	if (!n)
		return 0;
	kd_put_be16(buf + KDHT_HDR_LEN, code);
	kd_put_be16(buf + KDHT_HDR_LEN + 2, 0);
	return n;
}
