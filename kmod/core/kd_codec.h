/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Encoding and decoding of the fixed header and the routing bodies. Every
 * decoder is bounds-checked and returns 0 or a reason (enum kd_reason) for
 * the rejection; nothing is read outside [buf, buf + len).
 */
#ifndef KD_CODEC_H
#define KD_CODEC_H

#include "kd_types.h"

/* Why a datagram was dropped. Stable: the names are exported as counters. */
enum kd_reason {
	KD_R_OK = 0,
	KD_R_TRUNCATED,		/* shorter than the header or than body_len says */
	KD_R_TRAILING,		/* bytes after header + body_len */
	KD_R_BAD_MAGIC,
	KD_R_BAD_VERSION,
	KD_R_BAD_TYPE,		/* a reserved type */
	KD_R_BAD_LENGTH,	/* a body of the wrong size for its type */
	KD_R_BAD_PADDING,	/* pad_len out of range or non-zero padding */
	KD_R_BAD_FAMILY,
	KD_R_BAD_COUNT,
	KD_R_BAD_ADDR,		/* a node entry with an unusable address */
	KD_R_SELF,		/* carries our own id as sender */
	KD_R_UNSOLICITED,	/* a reply that matches no request of ours */
	KD_R_RATE_LIMITED,
	KD_R_UNVALIDATED,	/* a reply was cut or refused: source unvalidated */
	KD_R_NO_DAEMON,		/* value message, nobody to hand it to */
	KD_R_UPCALL_NOBUFS,	/* value message, the daemon's queue is full */
	KD_R_UNDER_LOAD,	/* unvalidated request over the node's unvalidated_rate */
	/*
	 * One NODES entry refused, the rest of the reply kept: an address of
	 * a narrower scope than the peer that sent it (kd_addr_learnable()).
	 */
	KD_R_SCOPE_LOOPBACK,
	KD_R_SCOPE_LINK_LOCAL,
	KD_R_SCOPE_PRIVATE,
	KD_R_SCOPE_V4_MAPPED,	/* from anyone: a mapped address is an IPv4 one */
	/* Closed mesh: no valid tag. Open node: a closed mesh's tagged datagram. */
	KD_R_BAD_TAG,
	KD_R_COUNT
};

/* The KD_R_SCOPE_* reasons, counted per NODES entry in kd_input.scope_refused. */
#define KD_R_SCOPE_COUNT	(KD_R_SCOPE_V4_MAPPED - KD_R_SCOPE_LOOPBACK + 1)

const char *kd_reason_name(unsigned int reason);

struct kd_hdr {
	u8 version;
	u8 type;
	u8 flags;
	u16 body_len;		/* as on the wire, padding included */
	u32 txid;
	u8 token[KDHT_TOKEN_LEN];
	struct kd_id sender;
};

/*
 * Decodes the header of a datagram of len bytes. On success *body points at
 * the body and *body_len is its length without padding.
 */
int kd_decode_hdr(const u8 *pkt, size_t len, struct kd_hdr *h, const u8 **body,
		  size_t *body_len);

struct kd_find_node {
	struct kd_id target;
	u8 want;
	u8 count;
};

struct kd_nodes {
	u8 count;
	struct kd_node node[KDHT_MAX_NODES];
};

/* Body decoders take the unpadded body from kd_decode_hdr(). */
int kd_decode_empty(const u8 *body, size_t len);	/* PING, PONG */
int kd_decode_find_node(const u8 *body, size_t len, struct kd_find_node *out);
int kd_decode_nodes(const u8 *body, size_t len, struct kd_nodes *out);
int kd_decode_error(const u8 *body, size_t len, u16 *code);
/*
 * The key a value message's body starts with (PROTOCOL.md section 9: field
 * 1, 32 bytes, so the body begins 0x0a 0x20). Reads those 34 bytes and no
 * more: the rest is the daemon's to parse. Returns false, *key untouched,
 * when the body does not start so.
 */
bool kd_decode_key(const u8 *body, size_t len, struct kd_id *key);

/*
 * Whether a message is a request (PROTOCOL.md section 2.1): by its type, so
 * that a reply whose sender forgot KDHT_F_REPLY is still matched as one;
 * only the application types 0x14..0x7f, which version 1 leaves undefined,
 * are told by the flag.
 */
bool kd_msg_is_request(u8 type, u8 flags);

/*
 * Encoders write a whole datagram into buf (cap bytes) and return its length,
 * or 0 if it does not fit. pad_to > 0 pads the datagram to pad_to bytes
 * (KDHT_F_PADDED), when that is larger than the unpadded datagram.
 */
size_t kd_encode(u8 *buf, size_t cap, const struct kd_hdr *h, const u8 *body,
		 size_t body_len, size_t pad_to);
size_t kd_encode_find_node(u8 *buf, size_t cap, const struct kd_hdr *h,
			   const struct kd_find_node *fn, size_t pad_to);
size_t kd_encode_nodes(u8 *buf, size_t cap, const struct kd_hdr *h,
		       const struct kd_node *nodes, unsigned int count);
size_t kd_encode_error(u8 *buf, size_t cap, const struct kd_hdr *h, u16 code);

/* Size of a NODES datagram with n entries. */
static inline size_t kd_nodes_size(unsigned int n)
{
	return KDHT_HDR_LEN + KDHT_NODES_HDR_LEN + (size_t)n * KDHT_NODE_LEN;
}

#endif /* KD_CODEC_H */
