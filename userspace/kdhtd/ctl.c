// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "ctl.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdht_wire.h"
#include "kd_port.h"
#include "log.h"
#include "store.h"

struct kdd_ctl_conn {
	uv_pipe_t pipe;
	struct kdd_ctl *ctl;
	struct kdd_ctl_conn *next;
	struct kdd_ctl_req *pending;
	bool closed;
	bool close_done;
	bool may_mutate;
	size_t have;		/* bytes of the current frame received */
	uint8_t buf[KDD_CTL_FRAME_HDR + KDD_CTL_MAX_FRAME];
};

struct kdd_ctl_req {
	struct kdd_ctl_conn *conn;
};

struct kdd_ctl {
	uv_pipe_t listener;
	kdd_ctl_request_fn fn;
	void *ctx;
	gid_t group;
	uid_t uid;
	size_t max_value;
	unsigned int nconns;
	struct kdd_ctl_conn *conns;
	bool stopping;
};

struct write_req {
	uv_write_t w;
	uint8_t data[];
};

bool kdd_ctl_mutates(const Kdhtctl__Request *req)
{
	return req->op_case == KDHTCTL__REQUEST__OP_PUT ||
	       req->op_case == KDHTCTL__REQUEST__OP_BOOTSTRAP;
}

static bool id_ok(const ProtobufCBinaryData *b)
{
	return b->len == KDHT_ID_LEN;
}

static bool name_ok(const ProtobufCBinaryData *b)
{
	return b->len >= 1 && b->len <= KDD_NAME_MAX;
}

/* A put names a record (or none: a content key); cas and owner_key need a name. */
static const char *put_problem(const Kdhtctl__Put *put)
{
	/* A raw key, mutable or seq: a client from before names. */
	if (put->base.n_unknown_fields)
		return "unknown put fields (a dhtctl older than this kdhtd?)";
	if (put->has_name ? !name_ok(&put->name) : put->has_owner_key || put->has_cas)
		return "bad name: want 1 to 128 bytes (an immutable put takes no owner or cas)";
	if (put->has_owner_key && put->owner_key.len != crypto_sign_SECRETKEYBYTES)
		return "bad owner key: want a 64-byte Ed25519 secret key";
	return NULL;
}

/* A get takes a name (and an owner) or a raw key, not both. */
static const char *get_problem(const Kdhtctl__Get *get)
{
	if (get->has_name == get->has_key)
		return "want a name or a key";
	if (get->has_key && !id_ok(&get->key))
		return "bad key: want 32 bytes";
	if (get->has_name && !name_ok(&get->name))
		return "bad name: want 1 to 128 bytes";
	if (get->has_owner && (!get->has_name || !id_ok(&get->owner)))
		return "bad owner: want a 32-byte public key, with a name";
	return NULL;
}

Kdhtctl__Request *kdd_ctl_decode(const uint8_t *buf, size_t len, size_t max_value,
				 Kdhtctl__Status *status, const char **msg)
{
	Kdhtctl__Request *req;
	bool ok;

	*status = KDHTCTL__STATUS__BAD_REQUEST;
	req = kdhtctl__request__unpack(NULL, len, buf);
	if (!req) {
		*msg = "malformed request";
		return NULL;
	}
	switch (req->op_case) {
	case KDHTCTL__REQUEST__OP_PUT:
		*msg = put_problem(req->put);
		if (*msg)
			goto err;
		ok = true;
		if (req->put->value.len > max_value) {
			*status = KDHTCTL__STATUS__TOO_LARGE;
			*msg = "value too large";
			goto err;
		}
		break;
	case KDHTCTL__REQUEST__OP_GET:
		*msg = get_problem(req->get);
		if (*msg)
			goto err;
		ok = true;
		break;
	case KDHTCTL__REQUEST__OP_LOOKUP:
		ok = id_ok(&req->lookup->target);
		break;
	case KDHTCTL__REQUEST__OP_PING:
	case KDHTCTL__REQUEST__OP_BOOTSTRAP:
	case KDHTCTL__REQUEST__OP_ROUTES:
	case KDHTCTL__REQUEST__OP_STATS:
	case KDHTCTL__REQUEST__OP_NODE:
		ok = true;
		break;
	default:
		*msg = "unknown request";
		goto err;
	}
	if (!ok) {
		*msg = "bad key: want 32 bytes";
		goto err;
	}
	return req;
err:
	kdhtctl__request__free_unpacked(req, NULL);
	return NULL;
}

static void on_conn_closed(uv_handle_t *h)
{
	struct kdd_ctl_conn *conn = h->data;

	conn->close_done = true;
	if (!conn->pending)
		free(conn);
}

static void conn_close(struct kdd_ctl_conn *conn)
{
	struct kdd_ctl *c = conn->ctl;
	struct kdd_ctl_conn **pp;

	if (conn->closed)
		return;
	conn->closed = true;
	for (pp = &c->conns; *pp; pp = &(*pp)->next) {
		if (*pp == conn) {
			*pp = conn->next;
			break;
		}
	}
	c->nconns--;
	uv_close((uv_handle_t *)&conn->pipe, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct kdd_ctl_conn *conn = h->data;

	buf->base = (char *)conn->buf + conn->have;
	buf->len = sizeof(conn->buf) - conn->have;
}

static void on_written(uv_write_t *w, int status)
{
	free(w);
}

static void send_frame(struct kdd_ctl_conn *conn, const Kdhtctl__Response *resp)
{
	size_t len = kdhtctl__response__get_packed_size(resp);
	struct write_req *wr;
	uv_buf_t b;
	int rc;

	if (len > KDD_CTL_MAX_FRAME) {
		kdd_log(KDD_LOG_ERR, "control: response of %zu bytes dropped", len);
		conn_close(conn);
		return;
	}
	wr = malloc(sizeof(*wr) + KDD_CTL_FRAME_HDR + len);
	if (!wr) {
		conn_close(conn);
		return;
	}
	kd_put_be32(wr->data, (uint32_t)len);
	kdhtctl__response__pack(resp, wr->data + KDD_CTL_FRAME_HDR);
	b = uv_buf_init((char *)wr->data, (unsigned int)(KDD_CTL_FRAME_HDR + len));
	rc = uv_write(&wr->w, (uv_stream_t *)&conn->pipe, &b, 1, on_written);
	if (rc) {
		free(wr);
		conn_close(conn);
	}
}

static void reply_now(struct kdd_ctl_conn *conn, Kdhtctl__Status status, const char *msg)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;

	resp.status = status;
	resp.error = (char *)msg;
	send_frame(conn, &resp);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void dispatch(struct kdd_ctl_conn *conn, size_t len)
{
	struct kdd_ctl *c = conn->ctl;
	Kdhtctl__Request *req;
	Kdhtctl__Status status;
	struct kdd_ctl_req *r;
	const char *msg;

	req = kdd_ctl_decode(conn->buf + KDD_CTL_FRAME_HDR, len, c->max_value,
			     &status, &msg);
	if (!req) {
		reply_now(conn, status, msg);
		return;
	}
	if (kdd_ctl_mutates(req) && !conn->may_mutate) {
		reply_now(conn, KDHTCTL__STATUS__DENIED, "permission denied");
		kdhtctl__request__free_unpacked(req, NULL);
		return;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		reply_now(conn, KDHTCTL__STATUS__FAILED, "out of memory");
		kdhtctl__request__free_unpacked(req, NULL);
		return;
	}
	r->conn = conn;
	conn->pending = r;
	uv_read_stop((uv_stream_t *)&conn->pipe);
	c->fn(c->ctx, r, req, conn->may_mutate);
	kdhtctl__request__free_unpacked(req, NULL);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct kdd_ctl_conn *conn = s->data;
	size_t len;

	if (nread < 0) {
		conn_close(conn);
		return;
	}
	conn->have += (size_t)nread;
	if (conn->have < KDD_CTL_FRAME_HDR)
		return;
	len = kd_get_be32(conn->buf);
	if (len > KDD_CTL_MAX_FRAME) {
		reply_now(conn, KDHTCTL__STATUS__BAD_REQUEST, "request too large");
		conn_close(conn);
		return;
	}
	if (conn->have < KDD_CTL_FRAME_HDR + len)
		return;
	if (conn->have > KDD_CTL_FRAME_HDR + len) {
		/* One request at a time: a client does not pipeline. */
		reply_now(conn, KDHTCTL__STATUS__BAD_REQUEST, "pipelined requests");
		conn_close(conn);
		return;
	}
	conn->have = 0;
	dispatch(conn, len);
}

void kdd_ctl_reply(struct kdd_ctl_req *r, const Kdhtctl__Response *resp)
{
	struct kdd_ctl_conn *conn = r->conn;
	int rc;

	free(r);
	conn->pending = NULL;
	if (conn->closed) {
		/* A vanished client: its memory waited for this reply. */
		if (conn->close_done)
			free(conn);
		return;
	}
	send_frame(conn, resp);
	if (conn->closed)
		return;
	rc = uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read);
	if (rc)
		conn_close(conn);
}

void kdd_ctl_reply_status(struct kdd_ctl_req *r, Kdhtctl__Status status, const char *msg)
{
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;

	resp.status = status;
	resp.error = (char *)msg;
	kdd_ctl_reply(r, &resp);
}

/*
 * Whether the peer is in c->group by one of its supplementary groups.
 * SO_PEERGROUPS (Linux 4.13) gives them as they were at connect(), from
 * the kernel, with none of the races of reading /proc/PID/status or of
 * getgrouplist() on a uid whose groups may since have changed.
 */
static bool peer_in_group(struct kdd_ctl *c, int fd)
{
	gid_t few[KDD_CTL_PEER_GROUPS], *groups = few;
	socklen_t len = sizeof(few);
	bool found = false;
	size_t i;
	int rc;

	rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	/* More groups than fit: len now says how many bytes they take. */
	if (rc < 0 && errno == ERANGE) {
		groups = malloc(len);
		rc = groups ? getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) : -1;
	}
	for (i = 0; rc == 0 && i < len / sizeof(gid_t) && !found; i++)
		found = groups[i] == c->group;
	if (groups != few)
		free(groups);
	return found;
}

static bool peer_may_mutate(struct kdd_ctl *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == c->uid ||
	       (c->group != (gid_t)-1 && (cred.gid == c->group || peer_in_group(c, fd)));
}

static void on_connection(uv_stream_t *server, int status)
{
	struct kdd_ctl *c = server->data;
	struct kdd_ctl_conn *conn;
	uv_os_fd_t fd;

	if (status < 0)
		return;
	conn = malloc(sizeof(*conn));
	if (!conn)
		return;
	memset(conn, 0, offsetof(struct kdd_ctl_conn, buf));
	conn->ctl = c;
	if (uv_pipe_init(server->loop, &conn->pipe, 0)) {
		free(conn);
		return;
	}
	conn->pipe.data = conn;
	conn->next = c->conns;
	c->conns = conn;
	c->nconns++;
	if (uv_accept(server, (uv_stream_t *)&conn->pipe) ||
	    uv_fileno((uv_handle_t *)&conn->pipe, &fd)) {
		conn_close(conn);
		return;
	}
	if (c->nconns > KDD_CTL_MAX_CONNS) {
		conn_close(conn);
		return;
	}
	conn->may_mutate = peer_may_mutate(c, fd);
	if (uv_read_start((uv_stream_t *)&conn->pipe, on_alloc, on_read))
		conn_close(conn);
}

/*
 * A socket left by a daemon that died is removed; one that a live daemon
 * answers on is not: -EADDRINUSE. connect() tells them apart.
 */
static int remove_stale_socket(const char *path)
{
	struct stat sb;
	int fd;

	if (lstat(path, &sb) < 0 || !S_ISSOCK(sb.st_mode))
		return 0;
	fd = kdht_ctl_connect(path);
	if (fd >= 0) {
		close(fd);
		return -EADDRINUSE;
	}
	/* Refused: nobody listens. Any other failure says nothing: left alone. */
	if (fd != -ECONNREFUSED)
		return fd == -ENOENT ? 0 : fd;
	unlink(path);
	return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
	free(h->data);
}

int kdd_ctl_start(struct kdd_ctl **out, uv_loop_t *loop, const struct kdd_ctl_params *p,
		  kdd_ctl_request_fn fn, void *ctx)
{
	struct kdd_ctl *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->ctx = ctx;
	c->group = p->group;
	c->uid = getuid();
	c->max_value = p->max_value;
	rc = uv_pipe_init(loop, &c->listener, 0);
	if (rc) {
		free(c);
		return rc;
	}
	c->listener.data = c;
	rc = remove_stale_socket(p->path);
	if (!rc)
		rc = uv_pipe_bind(&c->listener, p->path);
	if (!rc && chmod(p->path, KDD_CTL_MODE) < 0)
		rc = -errno;
	if (!rc && p->group != (gid_t)-1 && chown(p->path, (uid_t)-1, p->group) < 0)
		rc = -errno;
	if (!rc)
		rc = uv_listen((uv_stream_t *)&c->listener, 16, on_connection);
	if (rc) {
		uv_close((uv_handle_t *)&c->listener, on_listener_closed);
		return rc;
	}
	*out = c;
	return 0;
}

void kdd_ctl_stop(struct kdd_ctl *c)
{
	while (c->conns)
		conn_close(c->conns);
	uv_close((uv_handle_t *)&c->listener, on_listener_closed);
}
