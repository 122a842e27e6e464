/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kdnl: a small client of kdht.ko's generic netlink family, for dhtctl and
 * the daemon's kernel backend. One handle is one netlink socket in the
 * caller's network namespace. Functions return 0 or a negative errno; the
 * kernel's extended ack message, when it sent one, is in kdnl_last_error().
 *
 * Blocking helpers (kdnl_ping, kdnl_lookup) read their socket until their
 * answer arrives and drop anything else they read, so a daemon keeps RECV
 * events on a handle of their own: the one that called kdnl_register().
 */
#ifndef KDNL_H
#define KDNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kd_siphash.h"
#include "kd_types.h"
#include "kdht_genl.h"
#include "kdht_wire.h"

#define KDNL_MAX_PEERS		KDHT_MAX_NODES	/* peers in one lookup result or RECV */
#define KDNL_DUMP_RETRIES	8	/* route dumps restarted after a change */

struct kdnl;

struct kdnl_peer {
	bool has_id;
	uint8_t id[KDHT_ID_LEN];
	struct kd_addr addr;
	uint32_t rtt_ms;
	uint8_t state;		/* enum kdht_peer_state (route dumps) */
	uint16_t bucket;
	uint32_t last_seen_ms;
};

struct kdnl_node {
	bool running;
	bool daemon;
	bool closed;		/* in a closed mesh (KDHT_A_CLOSED) */
	uint8_t id[KDHT_ID_LEN];
	uint16_t port;
	uint8_t k, alpha, retries, subnet_bucket;
	uint16_t subnet_table;
	uint32_t rate, burst, table_size, lookups;
};

/* What to change with kdnl_set_node(); has_* says which fields count. */
struct kdnl_node_set {
	bool has_id, has_port, has_k, has_alpha, has_retries, has_subnet_bucket;
	bool has_subnet_table, has_rate, has_burst;
	/* has_mesh_key: close the mesh under mesh_tag_key, or open it if !mesh_closed */
	bool has_mesh_key, mesh_closed;
	uint8_t mesh_tag_key[KD_SECRET_LEN];
	uint8_t id[KDHT_ID_LEN];
	uint16_t port;
	uint8_t k, alpha, retries, subnet_bucket;
	uint16_t subnet_table;
	uint32_t rate, burst;
};

struct kdnl_lookup_result {
	uint8_t target[KDHT_ID_LEN];
	bool ok;
	uint16_t rounds, sent, replies, timeouts;
	uint32_t elapsed_ms;
	unsigned int npeers;
	struct kdnl_peer peers[KDNL_MAX_PEERS];
};

struct kdnl_routes {
	uint32_t generation;
	size_t n;
	struct kdnl_peer *peers;	/* malloc'd; kdnl_routes_free() */
};

struct kdnl_send {
	struct kd_addr to;
	uint8_t type;		/* a value type, 0x10..0x7f */
	uint8_t flags;
	uint32_t txid;		/* 0: the kernel draws one for a request */
	const void *payload;
	size_t payload_len;	/* at most KDHT_MAX_BODY */
	uint16_t pad_to;	/* 0: no padding */
};

/* One asynchronous message from the kernel, from kdnl_read_event(). */
struct kdnl_event {
	int cmd;		/* KDHT_CMD_RECV, *_DONE, CONTACT_ADDED/REMOVED */
	uint32_t cookie;	/* *_DONE */
	bool ok;		/* *_DONE */
	struct kdnl_peer peer;	/* PING_DONE, RECV (sender), CONTACT_* */
	struct kdnl_lookup_result lookup;	/* LOOKUP_DONE; RECV: peers only */
	uint8_t type, flags;	/* RECV */
	uint32_t txid;
	const uint8_t *payload;	/* RECV: valid until the next read on the handle */
	size_t payload_len;
	bool validated;
	uint32_t reply_budget;
};

/* -ENOENT: the family is not registered (kdht.ko not loaded). */
int kdnl_open(struct kdnl **out);
void kdnl_close(struct kdnl *nl);
/* The socket, for poll() or an event loop; readable when an event waits. */
int kdnl_fd(const struct kdnl *nl);
/* The kernel's message for the last failed request, or NULL. */
const char *kdnl_last_error(const struct kdnl *nl);

int kdnl_get_node(struct kdnl *nl, struct kdnl_node *out);
int kdnl_set_node(struct kdnl *nl, const struct kdnl_node_set *set);
int kdnl_del_node(struct kdnl *nl);
int kdnl_add_contact(struct kdnl *nl, const struct kd_addr *addr);
int kdnl_stats(struct kdnl *nl, uint64_t out[KDHT_STAT_COUNT]);
const char *kdnl_stat_name(unsigned int stat);

/* Dumps the routing table, restarting when it changes mid-dump. */
int kdnl_routes(struct kdnl *nl, struct kdnl_routes *out);
void kdnl_routes_free(struct kdnl_routes *r);

/* Asynchronous starts; the *_DONE event carries cookie. */
int kdnl_ping_start(struct kdnl *nl, const struct kd_addr *addr, uint32_t cookie);
int kdnl_lookup_start(struct kdnl *nl, const uint8_t target[KDHT_ID_LEN],
		      uint32_t cookie);
/* Blocking forms: -ETIMEDOUT when no answer came within timeout_ms. */
int kdnl_ping(struct kdnl *nl, const struct kd_addr *addr, int timeout_ms,
	      struct kdnl_event *out);
int kdnl_lookup(struct kdnl *nl, const uint8_t target[KDHT_ID_LEN], int timeout_ms,
		struct kdnl_lookup_result *out);

int kdnl_register(struct kdnl *nl);
int kdnl_send(struct kdnl *nl, const struct kdnl_send *msg);
/* Joins the "routes" multicast group (CONTACT_ADDED/REMOVED events). */
int kdnl_subscribe_routes(struct kdnl *nl);

/*
 * Reads one event, waiting up to timeout_ms (-1: forever, 0: not at all).
 * Returns 1 with *ev filled, 0 on timeout, or a negative errno.
 */
int kdnl_read_event(struct kdnl *nl, int timeout_ms, struct kdnl_event *ev);

#endif /* KDNL_H */
