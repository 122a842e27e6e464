/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Where routing happens: in-process (the routing core on the daemon's own
 * UDP socket) or in kdht.ko. The daemon's value logic talks only to this
 * interface; value messages come back through kdd_backend_host.recv.
 */
#ifndef KDD_BACKEND_H
#define KDD_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "kd_core.h"

/* A value message received from a peer (a kd_core upcall). */
struct kdd_msg {
	struct kd_addr from;
	struct kd_hdr hdr;
	const uint8_t *body;	/* unpadded; valid during the callback only */
	size_t body_len;
	size_t reply_budget;	/* largest reply allowed (no amplification) */
	bool validated;		/* the source proved its address (PROTOCOL.md 5) */
};

struct kdd_backend_host {
	void *ctx;
	void (*recv)(void *ctx, const struct kdd_msg *m);
	/* A node joined the routing table, or left it (either may be NULL). */
	void (*contact_added)(void *ctx, const struct kd_node *n);
	void (*contact_removed)(void *ctx, const struct kd_node *n);
};

/*
 * hits: closest first, valid during the callback only. ok: finished in
 * time. rounds: the lookup's hops (0 when it asked nobody).
 */
typedef void (*kdd_lookup_cb)(void *arg, bool ok, const struct kd_lookup_hit *hits,
			      unsigned int nhits, unsigned int rounds);
typedef void (*kdd_ping_cb)(void *arg, bool ok, const struct kd_node *node, uint32_t rtt_ms);

struct kdd_counter {
	const char *name;
	uint64_t value;
};

#define KDD_BACKEND_MAX_COUNTERS 48

struct kdd_backend;

/* What the routing table knows of one member besides its node. */
struct kdd_route {
	uint32_t rtt_ms;	/* smoothed round trip; 0 if unknown */
	uint8_t state;		/* enum kd_liveness */
	uint16_t bucket;	/* leading bits its id shares with ours */
	uint32_t last_seen_ms;	/* since its last valid message */
};

struct kdd_backend_ops {
	const char *name;
	int (*bootstrap)(struct kdd_backend *b, const struct kd_addr *addr);
	/* -ENOSPC when too many lookups run; cb is then never called. */
	int (*lookup)(struct kdd_backend *b, const struct kd_id *target, kdd_lookup_cb cb,
		      void *arg);
	int (*ping)(struct kdd_backend *b, const struct kd_addr *to, kdd_ping_cb cb, void *arg);
	/*
	 * Sends one message: a request (txid 0: drawn by the core, written to
	 * *txid_out when not NULL) or, with KDHT_F_REPLY, the reply to txid.
	 */
	int (*send)(struct kdd_backend *b, const struct kd_addr *to, uint8_t type, uint8_t flags,
		    uint32_t txid, const uint8_t *body, size_t body_len, size_t pad_to,
		    uint32_t *txid_out);
	unsigned int (*closest)(struct kdd_backend *b, const struct kd_id *target, uint8_t want,
				struct kd_node *out, unsigned int max);
	/* The routing table's members, up to max; info (may be NULL): what is known of each. */
	unsigned int (*routes)(struct kdd_backend *b, struct kd_node *out,
			       struct kdd_route *info, unsigned int max);
	unsigned int (*counters)(struct kdd_backend *b, struct kdd_counter *out, unsigned int max);
	const struct kd_id *(*self)(struct kdd_backend *b);
	/* The addresses peers reach this node at, as text. */
	unsigned int (*addresses)(struct kdd_backend *b, char (*out)[64], unsigned int max);
	/* Stops all I/O; pending lookups and pings complete with ok = false. */
	void (*stop)(struct kdd_backend *b);
	void (*destroy)(struct kdd_backend *b);
};

struct kdd_backend {
	const struct kdd_backend_ops *ops;
	struct kdd_backend_host host;
};

#define KDD_UDP_RCVBUF	(4u << 20)	/* bytes queued on a UDP socket: a burst during a sync */

struct kdd_user_backend_params {
	struct kd_params core;
	const char *bind4;	/* NULL: any; "" disables IPv4 */
	const char *bind6;	/* NULL: any; "" disables IPv6 */
	uint16_t port;
	uint32_t rcvbuf;	/* SO_RCVBUF of each socket; 0: the system's */
	bool mesh_closed;	/* a closed mesh, every datagram tagged under: */
	uint8_t mesh_tag_key[KD_SECRET_LEN];
};

/*
 * The routing core in-process, on its own UDP sockets. Returns 0 or a
 * negative errno; *err_msg says which step failed.
 */
int kdd_user_backend_create(struct kdd_backend **out, uv_loop_t *loop,
			    const struct kdd_user_backend_params *p, const struct kd_id *self,
			    const struct kdd_backend_host *host, const char **err_msg);

/*
 * kdht.ko's node of this network namespace: started with our id and port
 * unless it already runs so, in the closed mesh of mesh_tag_key
 * (KD_SECRET_LEN bytes) or, if NULL, an open one; this daemon registered
 * as its value handler. -ENOENT when the module is not loaded.
 */
int kdd_kernel_backend_create(struct kdd_backend **out, uv_loop_t *loop, uint16_t port,
			      const uint8_t *mesh_tag_key, const struct kd_id *self,
			      const struct kdd_backend_host *host, const char **err_msg);

#endif /* KDD_BACKEND_H */
