/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * kdht wire protocol: the fixed header and the bodies the kernel parses.
 * Shared by kdht.ko and userspace. All multi-byte integers are big-endian
 * on the wire; the codec (kmod/core/kd_codec.c) reads and writes them byte
 * by byte, so no struct here is ever overlaid on a packet. proto/PROTOCOL.md
 * is the normative description; the offsets below must match it.
 */
#ifndef KDHT_WIRE_H
#define KDHT_WIRE_H

#define KDHT_MAGIC		0x4b44	/* "KD" */
#define KDHT_VERSION		1
#define KDHT_ID_LEN		32	/* node ids and keys: 256 bits */
#define KDHT_TOKEN_LEN		8	/* address-validation token */
#define KDHT_MAX_DATAGRAM	1280	/* no datagram is ever larger */
#define KDHT_DEFAULT_PORT	4650

/*
 * Fixed header, 52 bytes:
 *   0  u16 magic      KDHT_MAGIC
 *   2  u8  version    KDHT_VERSION
 *   3  u8  type       enum kdht_msg_type
 *   4  u8  flags      KDHT_F_*
 *   5  u8  reserved   sent as 0, ignored on receipt
 *   6  u16 body_len   bytes after the header, padding included
 *   8  u32 txid       chosen by the requester, echoed in the reply
 *  12  u8  token[8]   in a request: the token the receiver issued to the
 *                     sender's address, or zeros; in a reply: a fresh token
 *                     the sender issues to the receiver's address
 *  20  u8  sender[32] the sender's node id
 */
#define KDHT_HDR_LEN		52
#define KDHT_OFF_FLAGS		4
#define KDHT_MAX_BODY		(KDHT_MAX_DATAGRAM - KDHT_HDR_LEN)

/* The header's flags. Unknown flags are ignored. */
#define KDHT_F_REPLY		0x01	/* a reply to txid */
#define KDHT_F_PADDED		0x02	/* the body ends in padding, see below */
#define KDHT_F_CLIENT		0x04	/* sender answers no requests: never add it to a table */
#define KDHT_F_TAGGED		0x08	/* a closed mesh's datagram: ends in the tag below */

/*
 * Closed mesh (PROTOCOL.md "Closed mesh"): every datagram carries
 * KDHT_F_TAGGED and ends in a KDHT_TAG_LEN-byte trailer, SipHash-2-4-128
 * under the mesh's tag key over every byte before it. body_len does not
 * count the trailer: the datagram is KDHT_HDR_LEN + body_len + KDHT_TAG_LEN
 * bytes, so header and body together stay within KDHT_MAX_TAGGED_PLAIN.
 */
#define KDHT_TAG_LEN		16
#define KDHT_MAX_TAGGED_PLAIN	(KDHT_MAX_DATAGRAM - KDHT_TAG_LEN)

/*
 * Padding (any type): with KDHT_F_PADDED the body's last two bytes are a u16
 * pad_len >= 2 counting the padding including those two bytes; the other
 * padding bytes are zero. A requester pads so that the reply it wants fits
 * the reply budget of an unvalidated source (reply bytes <= request bytes).
 */
#define KDHT_PAD_TRAILER_LEN	2

enum kdht_msg_type {
	/* Routing messages: parsed and answered by the routing core. */
	KDHT_MSG_PING		= 0x01,
	KDHT_MSG_PONG		= 0x02,
	KDHT_MSG_FIND_NODE	= 0x03,
	KDHT_MSG_NODES		= 0x04,
	KDHT_MSG_ERROR		= 0x05,
	KDHT_MSG_ROUTING_LAST	= 0x0f,	/* 0x06..0x0f reserved: dropped */

	/* Value messages: bodies are protobuf (proto/kdht.proto), handed up. */
	KDHT_MSG_STORE		= 0x10,
	KDHT_MSG_STORE_ACK	= 0x11,
	KDHT_MSG_FIND_VALUE	= 0x12,
	KDHT_MSG_VALUE		= 0x13,
	KDHT_MSG_APP_LAST	= 0x7f,	/* 0x14..0x7f: handed up; the daemon decides */
	/* 0x80..0xff reserved: dropped */
};

/* PING and PONG have empty bodies (before any padding). */

/*
 * FIND_NODE body, 36 bytes:
 *   0 u8  target[32]
 *  32 u8  want        KDHT_WANT_* address families asked for (non-zero)
 *  33 u8  count       how many nodes are asked for, 1..KDHT_MAX_NODES
 *  34 u16 reserved
 */
#define KDHT_FIND_NODE_LEN	(KDHT_ID_LEN + 4)
#define KDHT_WANT_V4		0x01
#define KDHT_WANT_V6		0x02

/*
 * NODES body: u8 count, u8 reserved[3], then count node entries.
 * Node entry, 52 bytes:
 *   0 u8  id[32]
 *  32 u8  family      KDHT_AF_INET or KDHT_AF_INET6
 *  33 u8  reserved
 *  34 u16 port        non-zero
 *  36 u8  addr[16]    IPv4 in the first 4 bytes, the other 12 zero
 */
#define KDHT_NODES_HDR_LEN	4
#define KDHT_NODE_LEN		52
#define KDHT_MAX_NODES		20	/* entries in one NODES message */
#define KDHT_AF_INET		4
#define KDHT_AF_INET6		6

/* ERROR body, 4 bytes: u16 code, u16 reserved. */
#define KDHT_ERROR_LEN		4
enum kdht_error_code {
	KDHT_ERR_UNKNOWN_TYPE	= 1,
	KDHT_ERR_MALFORMED	= 2,
	KDHT_ERR_TOO_LARGE	= 3,
	KDHT_ERR_RATE_LIMITED	= 4,
	KDHT_ERR_STORAGE_FULL	= 5,
	KDHT_ERR_BAD_SIGNATURE	= 6,
	KDHT_ERR_STALE		= 7,	/* a mutable record older than the one held */
	KDHT_ERR_UNAVAILABLE	= 8,	/* no daemon behind the routing node */
	KDHT_ERR_EXISTS		= 9,	/* another immutable value is held under the key */
	KDHT_ERR_UNVALIDATED	= 10,	/* STORE from an unvalidated source: retry, token in hand */
	KDHT_ERR_BAD_KEY	= 11,	/* the key does not derive from the record */
	KDHT_ERR_CONFLICT	= 12,	/* other bytes with the held seq (equivocation) */
	KDHT_ERR_CAS_MISMATCH	= 13,	/* compare-and-swap: the held seq is another */
};

#endif /* KDHT_WIRE_H */
