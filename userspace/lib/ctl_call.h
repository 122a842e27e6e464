/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The control socket's framing, client side: one blocking request/response
 * in proto/ctl.proto's messages. Private to libkdht and the daemon's tests;
 * applications use kdht.h.
 */
#ifndef KDHT_CTL_CALL_H
#define KDHT_CTL_CALL_H

#include "ctl.pb-c.h"
#include "kdht.h"

/* Where kdhtd listens and dhtctl connects unless told otherwise. */
#define KDHT_CTL_DEFAULT_SOCKET	KDHT_DEFAULT_SOCKET
/* The largest request or response, after its 4-byte big-endian length. */
#define KDHT_CTL_MAX_FRAME	(128u * 1024)

/* A connected socket to the daemon at path, or -ENOENT/-ECONNREFUSED/... */
int kdht_ctl_connect(const char *path);

/*
 * Connects to path, sends req and waits up to timeout_ms for the response.
 * Returns 0 and *resp (free with kdhtctl__response__free_unpacked), or
 * -ENOENT/-ECONNREFUSED (no daemon), -ETIMEDOUT, -EPROTO (a bad frame), or
 * another negative errno.
 */
int kdht_ctl_call(const char *path, const Kdhtctl__Request *req, int timeout_ms,
		  Kdhtctl__Response **resp);

#endif /* KDHT_CTL_CALL_H */
