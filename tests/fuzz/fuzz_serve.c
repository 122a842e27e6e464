// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The value handlers on arbitrary requests, as a hostile peer would send
 * them: the first byte picks the message type, the rest is the body. The
 * handlers answer through a real userspace backend (replies go to a
 * discard port) and store into a real, small LMDB environment, so
 * reassembly, commits, a full map and lookups all run. Nothing may crash,
 * leak or leave the store unreadable.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct kdd_serve serve;
static uv_loop_t loop;
static uint64_t clock_ms = 1;

static void on_recv(void *ctx, const struct kdd_msg *m)
{
}

static void setup(void)
{
	static char dir[] = "/tmp/kdd-fuzz-serve-XXXXXX";
	struct kdd_user_backend_params p = { .bind4 = "127.0.0.1", .bind6 = "" };
	struct kdd_backend_host host = { .recv = on_recv };
	struct kdd_store_params sp;
	struct kdd_backend *b;
	struct kdd_store *st;
	struct kd_id self;
	const char *msg;

	assert(mkdtemp(dir));
	kdd_store_params_default(&sp);
	sp.map_size = 1u << 20;
	assert(kdd_store_open(&st, dir, &sp, &msg) == 0);
	assert(uv_loop_init(&loop) == 0);
	kd_params_default(&p.core);
	memset(self.b, 0x42, sizeof(self.b));
	assert(kdd_user_backend_create(&b, &loop, &p, &self, &host, &msg) == 0);
	assert(kdd_serve_init(&serve, st, b, KDD_MAX_VALUE) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t types[] = {
		KDHT_MSG_STORE, KDHT_MSG_FIND_VALUE, KDHT_MSG_STORE_ACK, 0x42,
	};
	struct kdd_msg m;
	uint64_t n;

	if (!serve.store)
		setup();
	if (size < 1 || size > KDHT_MAX_BODY + 1)
		return 0;
	memset(&m, 0, sizeof(m));
	m.from.family = KDHT_AF_INET;
	m.from.ip[0] = 127;
	m.from.ip[3] = 1;
	m.from.port = 9;
	m.hdr.type = types[data[0] % sizeof(types)];
	m.hdr.txid = data[0];
	memset(m.hdr.sender.b, data[0], KDHT_ID_LEN);
	m.body = data + 1;
	m.body_len = size - 1;
	m.reply_budget = data[0] & 0x80 ? KDHT_MAX_DATAGRAM : KDHT_HDR_LEN + size;
	clock_ms += 1000;
	kdd_serve_handle(&serve, &m, clock_ms, 1700000000 + clock_ms / 1000);
	/* Sometimes the batch carries over to the next input, as in a busy loop turn. */
	if (!(data[0] & 0x40))
		kdd_serve_flush(&serve, 1700000000 + clock_ms / 1000);
	kdd_serve_expire(&serve, clock_ms);
	assert(kdd_store_count(serve.store, &n) == 0);
	return 0;
}
