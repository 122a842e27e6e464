/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Generic netlink interface of kdht.ko: family KDHT_GENL_NAME, version
 * KDHT_GENL_VERSION, netnsok. Every command acts on the node of the caller's
 * network namespace. Every command but the events, and the routes group,
 * needs CAP_NET_ADMIN there: the table and the counters tell who talks to
 * the host (/proc/net/kdht shows counters, id, port and table size only).
 *
 * KDHT_CMD_GET_NODE    -> KDHT_A_RUNNING, ID, PORT, K, ALPHA, RETRIES,
 *                         SUBNET_*, RL_*, TABLE_SIZE, LOOKUPS, DAEMON (registered),
 *                         CLOSED (in a closed mesh; the key is never returned)
 * KDHT_CMD_SET_NODE    [ID] [PORT] [K] [ALPHA] [RETRIES] [SUBNET_*] [RL_*]
 *                      [MESH_KEY: the 16-byte tag key derived from the mesh
 *                      key (PROTOCOL.md "Closed mesh") closes the mesh, an
 *                      empty one opens it; kept across a restart, wiped when
 *                      replaced or when the node goes]
 *                      starts the node if it is not running (PORT default:
 *                      the module parameter; ID default: random); a new ID
 *                      or PORT on a running node restarts it with an empty
 *                      table. A new PORT is bound first: if it is in use
 *                      (-EADDRINUSE) the node runs on with its table.
 *                      Parameters alone are changed in place.
 * KDHT_CMD_DEL_NODE    stops the node, frees everything it held.
 * KDHT_CMD_ADD_CONTACT KDHT_A_PEER (ADDR, PORT): bootstrap from it.
 * KDHT_CMD_PING        KDHT_A_PEER (ADDR, PORT) [COOKIE] -> acked at once;
 *                      later KDHT_CMD_PING_DONE unicast to the caller:
 *                      COOKIE, OK, PEER (ID, ADDR, PORT, RTT).
 * KDHT_CMD_LOOKUP      TARGET [COOKIE] -> acked at once; later
 *                      KDHT_CMD_LOOKUP_DONE unicast to the caller: COOKIE,
 *                      TARGET, OK, ROUNDS, SENT, REPLIES, TIMEOUTS,
 *                      ELAPSED_MS, PEERS (ID, ADDR, PORT, RTT each).
 * KDHT_CMD_GET_ROUTES  dump: one message per page of contacts, each with
 *                      GENERATION and PEERS (ID, ADDR, PORT, RTT, STATE,
 *                      BUCKET, LAST_SEEN_MS). A change of generation during
 *                      the dump sets NLM_F_DUMP_INTR.
 * KDHT_CMD_GET_STATS   -> KDHT_A_STATS (nested: one u64 per enum kdht_stat,
 *                      attribute stat + 1, padding KDHT_STATS_PAD); zeros
 *                      in a namespace that never ran a node.
 * KDHT_CMD_REGISTER    makes the caller's socket this namespace's daemon:
 *                      value messages go to it, and to no other socket, as
 *                      KDHT_CMD_RECV. Forgotten when that socket closes;
 *                      -EBUSY while another socket is registered.
 * KDHT_CMD_SEND        PEER (ADDR, PORT), TYPE, [FLAGS], [TXID], PAYLOAD,
 *                      [PAD_TO]: sends a value message from the node's
 *                      socket; the header (sender id, token) is the node's.
 *                      Only value types (0x10..0x7f) and ERROR (the
 *                      daemon's refusals of value requests); PAYLOAD at
 *                      most KDHT_MAX_BODY bytes.
 * KDHT_CMD_RECV        (event, to the daemon) PEER (ID, ADDR, PORT), TYPE,
 *                      FLAGS, TXID, PAYLOAD (unpadded), VALIDATED,
 *                      REPLY_BUDGET; for FIND_VALUE and STORE also PEERS:
 *                      the k closest nodes the node knows to the key (the
 *                      key is the first protobuf field, see PROTOCOL.md).
 * KDHT_CMD_CONTACT_ADDED / KDHT_CMD_CONTACT_REMOVED
 *                      (events, group KDHT_MCGRP_ROUTES) PEER (ID, ADDR, PORT).
 */
#ifndef _UAPI_KDHT_GENL_H
#define _UAPI_KDHT_GENL_H

#define KDHT_GENL_NAME		"kdht"
#define KDHT_GENL_VERSION	1
#define KDHT_MCGRP_ROUTES	"routes"

enum kdht_cmd {
	KDHT_CMD_UNSPEC,
	KDHT_CMD_GET_NODE,
	KDHT_CMD_SET_NODE,
	KDHT_CMD_DEL_NODE,
	KDHT_CMD_ADD_CONTACT,
	KDHT_CMD_PING,
	KDHT_CMD_PING_DONE,
	KDHT_CMD_LOOKUP,
	KDHT_CMD_LOOKUP_DONE,
	KDHT_CMD_GET_ROUTES,
	KDHT_CMD_GET_STATS,
	KDHT_CMD_REGISTER,
	KDHT_CMD_SEND,
	KDHT_CMD_RECV,
	KDHT_CMD_CONTACT_ADDED,
	KDHT_CMD_CONTACT_REMOVED,
	__KDHT_CMD_MAX
};

#define KDHT_CMD_MAX (__KDHT_CMD_MAX - 1)

enum kdht_attr {
	KDHT_A_UNSPEC,
	KDHT_A_RUNNING,		/* u8 */
	KDHT_A_ID,		/* binary, 32 bytes */
	KDHT_A_PORT,		/* u16, host order */
	KDHT_A_K,		/* u8 */
	KDHT_A_ALPHA,		/* u8 */
	KDHT_A_SUBNET_BUCKET,	/* u8 */
	KDHT_A_SUBNET_TABLE,	/* u16 */
	KDHT_A_RL_RATE,		/* u32, requests per second per source */
	KDHT_A_RL_BURST,	/* u32 */
	KDHT_A_TABLE_SIZE,	/* u32 */
	KDHT_A_LOOKUPS,		/* u32, running */
	KDHT_A_DAEMON,		/* u8, a daemon is registered */
	KDHT_A_PEER,		/* nested, enum kdht_peer_attr */
	KDHT_A_PEERS,		/* nested list of KDHT_A_PEER */
	KDHT_A_TARGET,		/* binary, 32 bytes */
	KDHT_A_COOKIE,		/* u32 */
	KDHT_A_OK,		/* u8 */
	KDHT_A_ROUNDS,		/* u16 */
	KDHT_A_SENT,		/* u16 */
	KDHT_A_REPLIES,		/* u16 */
	KDHT_A_TIMEOUTS,	/* u16 */
	KDHT_A_ELAPSED_MS,	/* u32 */
	KDHT_A_GENERATION,	/* u32 */
	KDHT_A_STATS,		/* nested, one u64 per enum kdht_stat (attr = stat + 1) */
	KDHT_A_TYPE,		/* u8, wire message type */
	KDHT_A_FLAGS,		/* u8, wire flags */
	KDHT_A_TXID,		/* u32 */
	KDHT_A_PAYLOAD,		/* binary */
	KDHT_A_VALIDATED,	/* u8 */
	KDHT_A_REPLY_BUDGET,	/* u32, bytes a reply may have */
	KDHT_A_PAD_TO,		/* u16, pad the datagram to this size */
	KDHT_A_PAD,		/* for 64-bit alignment of top-level u64 attributes */
	KDHT_A_RETRIES,		/* u8, resends of a timed-out lookup request */
	KDHT_A_MESH_KEY,	/* binary, 16 bytes (the tag key) or empty; never sent back */
	KDHT_A_CLOSED,		/* u8, the node is in a closed mesh */
	__KDHT_A_MAX
};

#define KDHT_A_MAX (__KDHT_A_MAX - 1)

enum kdht_peer_attr {
	KDHT_PEER_UNSPEC,
	KDHT_PEER_ID,		/* binary, 32 bytes */
	KDHT_PEER_ADDR,		/* binary, 4 (IPv4) or 16 (IPv6) bytes */
	KDHT_PEER_PORT,		/* u16, host order */
	KDHT_PEER_RTT_MS,	/* u32 */
	KDHT_PEER_STATE,	/* u8, enum kdht_peer_state */
	KDHT_PEER_BUCKET,	/* u16 */
	KDHT_PEER_LAST_SEEN_MS,	/* u32, milliseconds ago */
	__KDHT_PEER_MAX
};

#define KDHT_PEER_MAX (__KDHT_PEER_MAX - 1)

/* Padding inside KDHT_A_STATS, where every other number is a stat + 1. */
#define KDHT_STATS_PAD		0

enum kdht_peer_state {
	KDHT_PEER_GOOD,
	KDHT_PEER_QUESTIONABLE,
	KDHT_PEER_BAD,
	KDHT_PEER_FAILED,	/* its last request failed: not handed out until it answers */
};

/*
 * Counters, per namespace, in KDHT_A_STATS. Their names, as /proc/net/kdht
 * and dhtctl print them, are in proto/kdht_stat_names.h. The DROP_ entries
 * follow the order of the routing core's drop reasons (enum kd_reason, from
 * KD_R_TRUNCATED on).
 */
enum kdht_stat {
	KDHT_STAT_RX_PACKETS,
	KDHT_STAT_RX_BYTES,
	KDHT_STAT_TX_PACKETS,
	KDHT_STAT_TX_BYTES,
	KDHT_STAT_RX_PING,
	KDHT_STAT_RX_PONG,
	KDHT_STAT_RX_FIND_NODE,
	KDHT_STAT_RX_NODES,
	KDHT_STAT_RX_ERROR,
	KDHT_STAT_RX_VALUE_MSG,
	KDHT_STAT_TX_PING,
	KDHT_STAT_TX_PONG,
	KDHT_STAT_TX_FIND_NODE,
	KDHT_STAT_TX_NODES,
	KDHT_STAT_TX_ERROR,
	KDHT_STAT_TX_VALUE_MSG,
	KDHT_STAT_TX_FAILED,
	KDHT_STAT_RX_UNVALIDATED_BYTES,
	KDHT_STAT_TX_UNVALIDATED_BYTES,
	KDHT_STAT_DROP_TRUNCATED,
	KDHT_STAT_DROP_TRAILING,
	KDHT_STAT_DROP_BAD_MAGIC,
	KDHT_STAT_DROP_BAD_VERSION,
	KDHT_STAT_DROP_BAD_TYPE,
	KDHT_STAT_DROP_BAD_LENGTH,
	KDHT_STAT_DROP_BAD_PADDING,
	KDHT_STAT_DROP_BAD_FAMILY,
	KDHT_STAT_DROP_BAD_COUNT,
	KDHT_STAT_DROP_BAD_ADDR,
	KDHT_STAT_DROP_SELF,
	KDHT_STAT_DROP_UNSOLICITED,
	KDHT_STAT_DROP_RATE_LIMITED,
	KDHT_STAT_DROP_UNVALIDATED,
	KDHT_STAT_DROP_NO_DAEMON,
	KDHT_STAT_DROP_UPCALL_NOBUFS,
	KDHT_STAT_DROP_UNDER_LOAD,
	KDHT_STAT_DROP_SCOPE_LOOPBACK,
	KDHT_STAT_DROP_SCOPE_LINK_LOCAL,
	KDHT_STAT_DROP_SCOPE_PRIVATE,
	KDHT_STAT_DROP_SCOPE_V4_MAPPED,
	KDHT_STAT_LOOKUPS_STARTED,
	KDHT_STAT_LOOKUPS_DONE,
	KDHT_STAT_LOOKUPS_FAILED,
	KDHT_STAT_UPCALLS,
	KDHT_STAT_CONTACTS_ADDED,
	KDHT_STAT_CONTACTS_REMOVED,
	KDHT_STAT_DROP_OVERSIZE,	/* over KDHT_MAX_DATAGRAM, not copied */
	KDHT_STAT_DROP_BROADCAST,	/* sent to a broadcast or multicast address */
	KDHT_STAT_TX_REFUSED_BROADCAST,	/* we never send to one */
	KDHT_STAT_DROP_BAD_TAG,		/* closed mesh: no valid tag; open: a tagged one */
	KDHT_STAT_COUNT
};

#endif /* _UAPI_KDHT_GENL_H */
