/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The control socket: a unix stream socket carrying framed protobuf
 * requests (proto/ctl.proto). One request at a time per connection; the
 * daemon answers each with exactly one kdd_ctl_reply(), possibly later.
 */
#ifndef KDD_CTL_H
#define KDD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "ctl.pb-c.h"
#include "ctl_call.h"

#define KDD_CTL_DEFAULT_PATH	KDHT_CTL_DEFAULT_SOCKET
#define KDD_CTL_MODE		0660
#define KDD_CTL_MAX_FRAME	KDHT_CTL_MAX_FRAME	/* bytes of one request or response */
#define KDD_CTL_MAX_CONNS	64		/* clients connected at once */
#define KDD_CTL_PEER_GROUPS	64		/* a peer's groups read at once; more cost a malloc */
#define KDD_CTL_FRAME_HDR	4

struct kdd_ctl;
struct kdd_ctl_req;

/*
 * A decoded, checked request. may_mutate: the peer is root, the daemon's
 * user, or has the configured group as its primary group (SO_PEERCRED) or
 * as a supplementary one (SO_PEERGROUPS: its groups at connect()).
 */
typedef void (*kdd_ctl_request_fn)(void *ctx, struct kdd_ctl_req *r,
				    const Kdhtctl__Request *req, bool may_mutate);

struct kdd_ctl_params {
	const char *path;	/* the socket; a stale one there is replaced, a live one
				 * (connect() succeeds) is not: -EADDRINUSE */
	gid_t group;		/* whose members may mutate too, or (gid_t)-1 */
	size_t max_value;	/* the largest value a put may carry */
};

/* Listens on p->path. Returns 0 or a negative errno. */
int kdd_ctl_start(struct kdd_ctl **out, uv_loop_t *loop, const struct kdd_ctl_params *p,
		  kdd_ctl_request_fn fn, void *ctx);

/* Closes the socket and every connection; pending requests still get replied. */
void kdd_ctl_stop(struct kdd_ctl *c);

/* Answers r and frees it; a vanished client makes this a no-op. */
void kdd_ctl_reply(struct kdd_ctl_req *r, const Kdhtctl__Response *resp);

/* Answers r with a status and one line of text. */
void kdd_ctl_reply_status(struct kdd_ctl_req *r, Kdhtctl__Status status, const char *msg);

/*
 * Decodes one frame's payload and checks it (an operation set, 32-byte keys
 * and targets, a value of at most max_value bytes). Returns the request, or
 * NULL with *status and *msg saying why. Free with kdhtctl__request__free_unpacked.
 */
Kdhtctl__Request *kdd_ctl_decode(const uint8_t *buf, size_t len, size_t max_value,
				 Kdhtctl__Status *status, const char **msg);

/* Whether a request changes the daemon's state (and so needs may_mutate). */
bool kdd_ctl_mutates(const Kdhtctl__Request *req);

#endif /* KDD_CTL_H */
