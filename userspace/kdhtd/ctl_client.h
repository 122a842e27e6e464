/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The client side of the control socket: one blocking request/response. */
#ifndef KDD_CTL_CLIENT_H
#define KDD_CTL_CLIENT_H

#include "ctl.pb-c.h"

/* Where kdhtd listens and dhtctl connects unless told otherwise. */
#define KDHT_CTL_DEFAULT_SOCKET	"/run/kdht/kdhtd.sock"

/*
 * Connects to path, sends req and waits up to timeout_ms for the response.
 * Returns 0 and *resp (free with kdhtctl__response__free_unpacked), or
 * -ENOENT/-ECONNREFUSED (no daemon), -ETIMEDOUT, -EPROTO (a bad frame), or
 * another negative errno.
 */
int kdd_ctl_call(const char *path, const Kdhtctl__Request *req, int timeout_ms,
		 Kdhtctl__Response **resp);

#endif /* KDD_CTL_CLIENT_H */
