// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-hostile: a responder that lies. It answers PING with PONG, so that a
 * node bootstrapping from it takes it for a peer, and every FIND_NODE with
 * NODES listing the --entry addresses it was given (loopback, link-local,
 * broadcast, v4-mapped: whatever a test wants a node to be aimed at), each
 * under a fresh random id. It counts what it answered, until --duration
 * passes; the report is JSON with --json.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "opts.h"

#define HOSTILE_DEFAULT_SECONDS	"30"

struct hostile {
	int fd;
	struct endpoint entries[KDHT_MAX_NODES];
	unsigned int nentries;
	uint8_t id[KDHT_ID_LEN];
	struct rng rng;
	uint64_t pongs, nodes, other;
};

/* One NODES entry for endpoint e under a random id. */
static void write_entry(struct hostile *h, uint8_t *p, const struct endpoint *e)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&e->ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&e->ss;

	memset(p, 0, KDHT_NODE_LEN);
	rng_bytes(&h->rng, p, KDHT_ID_LEN);
	if (e->ss.ss_family == AF_INET) {
		p[32] = KDHT_AF_INET;
		memcpy(p + 34, &v4->sin_port, 2);
		memcpy(p + 36, &v4->sin_addr, 4);
	} else {
		p[32] = KDHT_AF_INET6;
		memcpy(p + 34, &v6->sin6_port, 2);
		memcpy(p + 36, &v6->sin6_addr, 16);
	}
}

/* The reply to the request in pkt, written over it; 0: none. */
static size_t answer(struct hostile *h, uint8_t *pkt, size_t len)
{
	uint8_t *body = pkt + KDHT_HDR_LEN;
	uint32_t txid;
	uint8_t token[KDHT_TOKEN_LEN];
	unsigned int i;

	if (len < KDHT_HDR_LEN || get_be16(pkt) != KDHT_MAGIC || (pkt[4] & KDHT_F_REPLY))
		return 0;
	txid = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
	rng_bytes(&h->rng, token, sizeof(token));
	if (pkt[3] == KDHT_MSG_PING) {
		hdr_write(pkt, KDHT_VERSION, KDHT_MSG_PONG, KDHT_F_REPLY, 0, txid, token, h->id);
		h->pongs++;
		return KDHT_HDR_LEN;
	}
	if (pkt[3] != KDHT_MSG_FIND_NODE) {
		h->other++;
		return 0;
	}
	memset(body, 0, KDHT_NODES_HDR_LEN);
	body[0] = (uint8_t)h->nentries;
	for (i = 0; i < h->nentries; i++)
		write_entry(h, body + KDHT_NODES_HDR_LEN + i * KDHT_NODE_LEN, &h->entries[i]);
	len = KDHT_NODES_HDR_LEN + h->nentries * KDHT_NODE_LEN;
	hdr_write(pkt, KDHT_VERSION, KDHT_MSG_NODES, KDHT_F_REPLY, (uint16_t)len, txid, token,
		  h->id);
	h->nodes++;
	return KDHT_HDR_LEN + len;
}

static void serve(struct hostile *h, uint64_t duration_ns)
{
	uint8_t pkt[KDHT_MAX_DATAGRAM];
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	struct sockaddr_storage from;
	uint64_t start = now_ns();
	socklen_t flen;
	ssize_t n;
	size_t len;

	while (now_ns() - start < duration_ns) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		flen = sizeof(from);
		n = recvfrom(h->fd, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n <= 0)
			continue;
		len = answer(h, pkt, (size_t)n);
		if (len && sendto(h->fd, pkt, len, 0, (struct sockaddr *)&from, flen) < 0)
			perror("kdht-hostile: sendto");
	}
}

static int add_entry(const char *arg, void *dest)
{
	struct hostile *h = dest;

	if (h->nentries == KDHT_MAX_NODES) {
		fprintf(stderr, "kdht-hostile: at most %d --entry\n", KDHT_MAX_NODES);
		return -EINVAL;
	}
	if (endpoint_parse(arg, KDHT_DEFAULT_PORT, &h->entries[h->nentries])) {
		fprintf(stderr, "kdht-hostile: --entry: not an ADDR[:PORT]: '%s'\n", arg);
		return -EINVAL;
	}
	h->nentries++;
	return 0;
}

int main(int argc, char **argv)
{
	static struct hostile h;
	struct endpoint bind_ep;
	uint64_t duration_ns, seed = 1;
	bool json = false;
	int argi;
	const struct tool_opt opts[] = {
		{ OPT("entry", 'e', OPT_CUSTOM, &h, "ADDR:PORT",
		      "an address every NODES lists; repeat for several"), .parse = add_entry },
		{ OPT("duration", 'd', OPT_SECONDS, &duration_ns, "S",
		      "seconds of answering (default " HOSTILE_DEFAULT_SECONDS ")") },
		OPT_SEED_ENTRY(&seed, "seed for ids and tokens (default 1)"),
		OPT_JSON_ENTRY(&json),
		OPTS_END,
	};
	const struct tool t = { "kdht-hostile", "[options] BIND_ADDR:PORT", NULL, opts, 1 };

	if (seconds_parse(HOSTILE_DEFAULT_SECONDS, "--duration", &duration_ns))
		return 2;
	argi = opts_parse(&t, argc, argv);
	if (argi < 0)
		return opts_exit_status(argi);
	if (opts_target(&t, argv[argi], &bind_ep))
		return 2;
	rng_seed(&h.rng, seed);
	rng_bytes(&h.rng, h.id, KDHT_ID_LEN);
	h.fd = socket(bind_ep.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (h.fd < 0 || bind(h.fd, (struct sockaddr *)&bind_ep.ss, bind_ep.len) < 0) {
		perror("kdht-hostile: socket");
		return 1;
	}
	serve(&h, duration_ns);
	close(h.fd);
	const struct figure fig[] = {
		{ "pong", (double)h.pongs, 0 }, { "nodes", (double)h.nodes, 0 },
		{ "other", (double)h.other, 0 },
	};
	figures_print(fig, sizeof(fig) / sizeof(fig[0]), json);
	return 0;
}
