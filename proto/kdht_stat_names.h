/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * The names of the counters of enum kdht_stat, shared by /proc/net/kdht and
 * the userspace tools. Include it from one .c file per binary.
 */
#ifndef KDHT_STAT_NAMES_H
#define KDHT_STAT_NAMES_H

#include "kdht_genl.h"

static const char *const kdht_stat_names[KDHT_STAT_COUNT] = {
	[KDHT_STAT_RX_PACKETS] = "rx_packets",
	[KDHT_STAT_RX_BYTES] = "rx_bytes",
	[KDHT_STAT_TX_PACKETS] = "tx_packets",
	[KDHT_STAT_TX_BYTES] = "tx_bytes",
	[KDHT_STAT_RX_PING] = "rx_ping",
	[KDHT_STAT_RX_PONG] = "rx_pong",
	[KDHT_STAT_RX_FIND_NODE] = "rx_find_node",
	[KDHT_STAT_RX_NODES] = "rx_nodes",
	[KDHT_STAT_RX_ERROR] = "rx_error",
	[KDHT_STAT_RX_VALUE_MSG] = "rx_value_msg",
	[KDHT_STAT_TX_PING] = "tx_ping",
	[KDHT_STAT_TX_PONG] = "tx_pong",
	[KDHT_STAT_TX_FIND_NODE] = "tx_find_node",
	[KDHT_STAT_TX_NODES] = "tx_nodes",
	[KDHT_STAT_TX_ERROR] = "tx_error",
	[KDHT_STAT_TX_VALUE_MSG] = "tx_value_msg",
	[KDHT_STAT_TX_FAILED] = "tx_failed",
	[KDHT_STAT_RX_UNVALIDATED_BYTES] = "rx_unvalidated_bytes",
	[KDHT_STAT_TX_UNVALIDATED_BYTES] = "tx_unvalidated_bytes",
	[KDHT_STAT_DROP_TRUNCATED] = "drop_truncated",
	[KDHT_STAT_DROP_TRAILING] = "drop_trailing",
	[KDHT_STAT_DROP_BAD_MAGIC] = "drop_bad_magic",
	[KDHT_STAT_DROP_BAD_VERSION] = "drop_bad_version",
	[KDHT_STAT_DROP_BAD_TYPE] = "drop_bad_type",
	[KDHT_STAT_DROP_BAD_LENGTH] = "drop_bad_length",
	[KDHT_STAT_DROP_BAD_PADDING] = "drop_bad_padding",
	[KDHT_STAT_DROP_BAD_FAMILY] = "drop_bad_family",
	[KDHT_STAT_DROP_BAD_COUNT] = "drop_bad_count",
	[KDHT_STAT_DROP_BAD_ADDR] = "drop_bad_addr",
	[KDHT_STAT_DROP_SELF] = "drop_self",
	[KDHT_STAT_DROP_UNSOLICITED] = "drop_unsolicited",
	[KDHT_STAT_DROP_RATE_LIMITED] = "drop_rate_limited",
	[KDHT_STAT_DROP_UNVALIDATED] = "drop_unvalidated",
	[KDHT_STAT_DROP_NO_DAEMON] = "drop_no_daemon",
	[KDHT_STAT_DROP_UPCALL_NOBUFS] = "drop_upcall_nobufs",
	[KDHT_STAT_DROP_UNDER_LOAD] = "drop_under_load",
	[KDHT_STAT_DROP_SCOPE_LOOPBACK] = "drop_scope_loopback",
	[KDHT_STAT_DROP_SCOPE_LINK_LOCAL] = "drop_scope_link_local",
	[KDHT_STAT_DROP_SCOPE_PRIVATE] = "drop_scope_private",
	[KDHT_STAT_DROP_SCOPE_V4_MAPPED] = "drop_scope_v4_mapped",
	[KDHT_STAT_LOOKUPS_STARTED] = "lookups_started",
	[KDHT_STAT_LOOKUPS_DONE] = "lookups_done",
	[KDHT_STAT_LOOKUPS_FAILED] = "lookups_failed",
	[KDHT_STAT_UPCALLS] = "upcalls",
	[KDHT_STAT_CONTACTS_ADDED] = "contacts_added",
	[KDHT_STAT_CONTACTS_REMOVED] = "contacts_removed",
	[KDHT_STAT_DROP_OVERSIZE] = "drop_oversize",
	[KDHT_STAT_DROP_BROADCAST] = "drop_broadcast",
	[KDHT_STAT_TX_REFUSED_BROADCAST] = "tx_refused_broadcast",
	[KDHT_STAT_DROP_BAD_TAG] = "drop_bad_tag",
};

#endif /* KDHT_STAT_NAMES_H */
