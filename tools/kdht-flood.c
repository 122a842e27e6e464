// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-flood: sends PING or FIND_NODE requests to one node at a given rate
 * (or as fast as it can) for a while, from one or many source sockets, and
 * counts what comes back. The byte counts are UDP payloads as they cross the
 * wire to and from the flooder, which is what an amplification bound is about.
 * Requests leave by sendmmsg(2) and replies come in by recvmmsg(2), a batch
 * per call, so that the flooder costs little beside the node it floods.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "opts.h"

#define FLOOD_MAX_SOCKETS	1024	/* source sockets (addresses x ports) */
#define FLOOD_MAX_ADDRS		64	/* --bind addresses */
#define FLOOD_BATCH		32	/* requests sent between two receive sweeps */
#define FLOOD_RX_BATCH		32	/* replies one recvmmsg takes */
#define FLOOD_RX_SLOT		65536	/* room per reply: any size is counted whole */
#define FLOOD_RCVBUF		(4 << 20)
#define FLOOD_MAX_TRAILING	64000	/* --trailing: the datagram stays under 64 KB */
#define FLOOD_DEFAULT_SECONDS	"5"
#define FLOOD_DEFAULT_LINGER	"0.5"

struct source {
	int fd;
	bool have_token;
	uint8_t token[KDHT_TOKEN_LEN];
	uint32_t rxq_drops;	/* the kernel's cumulative count for this socket */
};

struct counts {
	uint64_t sent, bytes_out, send_errors;
	uint64_t received, bytes_in, pong, nodes, error, other;
};

struct flood {
	struct endpoint target;
	struct source src[FLOOD_MAX_SOCKETS];
	unsigned int nsrc;
	uint8_t type;
	uint8_t want_count;
	bool learn_token;
	bool broadcast;		/* the target may be a broadcast address */
	bool have_fixed_token;
	uint8_t fixed_token[KDHT_TOKEN_LEN];
	bool have_target_id;
	uint8_t target_id[KDHT_ID_LEN];
	uint8_t sender[KDHT_ID_LEN];
	unsigned long pad_to;
	unsigned long trailing;	/* junk bytes after each request */
	uint32_t txid;
	struct rng rng;
	struct counts c;
};

static int open_source(struct flood *f, const struct endpoint *bind_ep)
{
	struct source *s = &f->src[f->nsrc];
	int one = 1, size = FLOOD_RCVBUF;
	int fd;

	if (f->nsrc == FLOOD_MAX_SOCKETS) {
		fprintf(stderr, "kdht-flood: more than %d source sockets\n", FLOOD_MAX_SOCKETS);
		return -1;
	}
	fd = socket(f->target.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("kdht-flood: socket");
		return -1;
	}
	/* Root may go past rmem_max; others get what the sysctl allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) {
		perror("kdht-flood: SO_RCVBUF");
		close(fd);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0) {
		perror("kdht-flood: SO_RXQ_OVFL");
		close(fd);
		return -1;
	}
	if (f->broadcast && setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0) {
		perror("kdht-flood: SO_BROADCAST");
		close(fd);
		return -1;
	}
	if (bind_ep && bind(fd, (const struct sockaddr *)&bind_ep->ss, bind_ep->len) < 0) {
		perror("kdht-flood: bind");
		close(fd);
		return -1;
	}
	/* Connected: only the target's datagrams are counted as replies. */
	if (connect(fd, (const struct sockaddr *)&f->target.ss, f->target.len) < 0) {
		perror("kdht-flood: connect");
		close(fd);
		return -1;
	}
	s->fd = fd;
	f->nsrc++;
	return 0;
}

static size_t build_request(struct flood *f, struct source *s, uint8_t *pkt)
{
	const uint8_t *token = NULL;
	size_t len = KDHT_HDR_LEN;
	uint16_t body = 0;

	if (f->have_fixed_token)
		token = f->fixed_token;
	else if (f->learn_token && s->have_token)
		token = s->token;
	if (f->type == KDHT_MSG_FIND_NODE) {
		uint8_t *b = pkt + KDHT_HDR_LEN;

		if (f->have_target_id)
			memcpy(b, f->target_id, KDHT_ID_LEN);
		else
			rng_bytes(&f->rng, b, KDHT_ID_LEN);
		b[32] = f->target.ss.ss_family == AF_INET6 ? KDHT_WANT_V6 : KDHT_WANT_V4;
		b[33] = f->want_count;
		b[34] = 0;
		b[35] = 0;
		body = KDHT_FIND_NODE_LEN;
		len += body;
	}
	hdr_write(pkt, KDHT_VERSION, f->type, 0, body, ++f->txid, token, f->sender);
	len = pad_datagram(pkt, len, f->pad_to);
	memset(pkt + len, 0, f->trailing);
	return len + f->trailing;
}

static void count_reply(struct flood *f, struct source *s, const uint8_t *pkt, size_t len)
{
	f->c.received++;
	f->c.bytes_in += len;
	if (len < KDHT_HDR_LEN || get_be16(pkt) != KDHT_MAGIC) {
		f->c.other++;
		return;
	}
	switch (pkt[3]) {
	case KDHT_MSG_PONG:
		f->c.pong++;
		break;
	case KDHT_MSG_NODES:
		f->c.nodes++;
		break;
	case KDHT_MSG_ERROR:
		f->c.error++;
		break;
	default:
		f->c.other++;
		break;
	}
	if (pkt[4] & KDHT_F_REPLY) {
		memcpy(s->token, pkt + 12, KDHT_TOKEN_LEN);
		s->have_token = true;
	}
}

/* Reads every datagram waiting on every source; never blocks. */
static void drain(struct flood *f)
{
	static uint8_t buf[FLOOD_RX_BATCH][FLOOD_RX_SLOT];
	static char cbuf[FLOOD_RX_BATCH][CMSG_SPACE(sizeof(uint32_t))];
	struct mmsghdr mm[FLOOD_RX_BATCH];
	struct iovec iov[FLOOD_RX_BATCH];
	struct cmsghdr *cm;
	unsigned int i, k;
	int n;

	for (i = 0; i < f->nsrc; i++) {
		struct source *s = &f->src[i];

		do {
			for (k = 0; k < FLOOD_RX_BATCH; k++) {
				iov[k].iov_base = buf[k];
				iov[k].iov_len = FLOOD_RX_SLOT;
				memset(&mm[k], 0, sizeof(mm[k]));
				mm[k].msg_hdr.msg_iov = &iov[k];
				mm[k].msg_hdr.msg_iovlen = 1;
				mm[k].msg_hdr.msg_control = cbuf[k];
				mm[k].msg_hdr.msg_controllen = sizeof(cbuf[k]);
			}
			n = recvmmsg(s->fd, mm, FLOOD_RX_BATCH, 0, NULL);
			/* n < 0: EAGAIN, or an ICMP error: nothing to count. */
			for (k = 0; n > 0 && k < (unsigned int)n; k++) {
				for (cm = CMSG_FIRSTHDR(&mm[k].msg_hdr); cm;
				     cm = CMSG_NXTHDR(&mm[k].msg_hdr, cm))
					if (cm->cmsg_level == SOL_SOCKET &&
					    cm->cmsg_type == SO_RXQ_OVFL)
						memcpy(&s->rxq_drops, CMSG_DATA(cm),
						       sizeof(uint32_t));
				count_reply(f, s, buf[k], mm[k].msg_len);
			}
		} while (n == FLOOD_RX_BATCH);
	}
}

/*
 * Sends n requests, each source in turn from *next; consecutive ones on the
 * same socket (all of them, with one source) leave in one sendmmsg.
 */
static void send_batch(struct flood *f, unsigned int *next, unsigned int n)
{
	static uint8_t pkt[FLOOD_BATCH][KDHT_MAX_DATAGRAM + FLOOD_MAX_TRAILING];
	struct mmsghdr mm[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	unsigned int src[FLOOD_BATCH], i, j, k;
	int sent;

	for (i = 0; i < n; i++) {
		src[i] = *next;
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = build_request(f, &f->src[*next], pkt[i]);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		*next = (*next + 1) % f->nsrc;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && src[j] == src[i]; j++)
			;
		for (k = i; k < j;) {
			sent = sendmmsg(f->src[src[i]].fd, mm + k, j - k, 0);
			if (sent < 0 && errno == EINTR)
				continue;
			if (sent <= 0) {
				/* A full socket buffer or an ICMP error: this one is lost. */
				f->c.send_errors++;
				k++;
				continue;
			}
			for (; sent > 0; sent--, k++) {
				f->c.sent++;
				f->c.bytes_out += mm[k].msg_len;
			}
		}
	}
}

static void wait_readable(struct flood *f, int timeout_ms)
{
	struct pollfd pfd[FLOOD_MAX_SOCKETS];
	unsigned int i;

	for (i = 0; i < f->nsrc; i++) {
		pfd[i].fd = f->src[i].fd;
		pfd[i].events = POLLIN;
	}
	if (poll(pfd, f->nsrc, timeout_ms) < 0 && errno != EINTR)
		perror("kdht-flood: poll");
}

static void run(struct flood *f, unsigned long rate, uint64_t duration_ns, uint64_t linger_ns,
		uint64_t *elapsed_ns)
{
	uint64_t start = now_ns(), now = start, due = 0, done;
	unsigned int next = 0;

	while (now - start < duration_ns) {
		if (rate) {
			due = (now - start) * rate / 1000000000ull + 1;
			done = f->c.sent + f->c.send_errors;
			if (done < due)
				send_batch(f, &next, due - done < FLOOD_BATCH ?
						     (unsigned int)(due - done) : FLOOD_BATCH);
			drain(f);
			if (f->c.sent + f->c.send_errors >= due)
				wait_readable(f, 1);
		} else {
			send_batch(f, &next, FLOOD_BATCH);
			drain(f);
		}
		now = now_ns();
	}
	*elapsed_ns = now - start;
	/* Lingering waits for the replies still on their way, not for a time. */
	while (f->c.received < f->c.sent && now_ns() - now < linger_ns) {
		wait_readable(f, 10);
		drain(f);
	}
}

/* Datagrams the kernel dropped for want of room on our sockets. */
static uint64_t rcvbuf_drops(const struct flood *f)
{
	uint64_t drops = 0;
	unsigned int i;

	for (i = 0; i < f->nsrc; i++)
		drops += f->src[i].rxq_drops;
	return drops;
}

static void print_counts(const struct flood *f, uint64_t elapsed_ns, bool json)
{
	double secs = (double)elapsed_ns / 1e9;
	const struct figure fig[] = {
		{ "sent", (double)f->c.sent, 0 }, { "received", (double)f->c.received, 0 },
		{ "bytes_out", (double)f->c.bytes_out, 0 }, { "bytes_in", (double)f->c.bytes_in, 0 },
		{ "pong", (double)f->c.pong, 0 }, { "nodes", (double)f->c.nodes, 0 },
		{ "error", (double)f->c.error, 0 }, { "other", (double)f->c.other, 0 },
		{ "send_errors", (double)f->c.send_errors, 0 },
		{ "rcvbuf_drops", (double)rcvbuf_drops(f), 0 },
		{ "seconds", secs, 3 }, { "sent_per_s", (double)f->c.sent / secs, 1 },
		{ "replies_per_s", (double)f->c.received / secs, 1 },
	};

	figures_print(fig, sizeof(fig) / sizeof(fig[0]), json);
}

/* The command line, where it does not go straight into struct flood. */
struct flood_cmdline {
	unsigned long rate, sockets, seed, count;
	uint64_t duration_ns, linger_ns;
	bool json, have_id;
	struct endpoint addrs[FLOOD_MAX_ADDRS];
	unsigned int naddrs;
};

static int parse_type(const char *arg, void *dest)
{
	uint8_t *type = dest;

	if (!strcmp(arg, "ping")) {
		*type = KDHT_MSG_PING;
	} else if (!strcmp(arg, "find_node")) {
		*type = KDHT_MSG_FIND_NODE;
	} else {
		fprintf(stderr, "kdht-flood: --type: ping or find_node, not '%s'\n", arg);
		return -EINVAL;
	}
	return 0;
}

static int add_bind(const char *arg, void *dest)
{
	struct flood_cmdline *o = dest;

	if (o->naddrs == FLOOD_MAX_ADDRS) {
		fprintf(stderr, "kdht-flood: at most %d --bind addresses\n", FLOOD_MAX_ADDRS);
		return -EINVAL;
	}
	if (address_parse(arg, &o->addrs[o->naddrs])) {
		fprintf(stderr, "kdht-flood: --bind: not an address: '%s'\n", arg);
		return -EINVAL;
	}
	o->naddrs++;
	return 0;
}

/* Returns the index of the target in argv, or OPTS_HELP or OPTS_BAD. */
static int parse_cmdline(int argc, char **argv, struct flood *f, struct flood_cmdline *o)
{
	const struct tool_opt opts[] = {
		{ OPT("type", 't', OPT_CUSTOM, &f->type, "ping|find_node",
		      "request type (default ping)"), .parse = parse_type },
		{ OPT("rate", 'r', OPT_UINT, &o->rate, "N",
		      "requests per second, 0: as fast as possible (default 0)"), .max = 1000000 },
		{ OPT("duration", 'd', OPT_SECONDS, &o->duration_ns, "S",
		      "seconds of sending (default " FLOOD_DEFAULT_SECONDS ")") },
		{ OPT("linger", 'w', OPT_SECONDS, &o->linger_ns, "S",
		      "then seconds for late replies, until all are in (default "
		      FLOOD_DEFAULT_LINGER ")") },
		{ OPT("sockets", 's', OPT_UINT, &o->sockets, "N",
		      "source ports per source address (default 1)"),
		  .min = 1, .max = FLOOD_MAX_SOCKETS },
		{ OPT("bind", 'b', OPT_CUSTOM, o, "ADDR",
		      "a source address; repeat for several (default: any)"), .parse = add_bind },
		{ OPT("pad", 'p', OPT_UINT, &f->pad_to, "N", "pad each request to N bytes"),
		  .max = KDHT_MAX_DATAGRAM },
		{ OPT("trailing", 'J', OPT_UINT, &f->trailing, "N",
		      "append N junk bytes to each request (datagrams no node takes)"),
		  .max = FLOOD_MAX_TRAILING },
		{ OPT("token", 'T', OPT_HEX, f->fixed_token, "HEX",
		      "send this token (16 hex digits) in every request"),
		  .max = KDHT_TOKEN_LEN, .seen = &f->have_fixed_token },
		{ OPT("learn-token", 'L', OPT_FLAG, &f->learn_token, NULL,
		      "send the token from the last reply on that socket") },
		{ OPT("broadcast", 'B', OPT_FLAG, &f->broadcast, NULL,
		      "allow a broadcast target (SO_BROADCAST)") },
		{ OPT("target", 'x', OPT_HEX, f->target_id, "HEX",
		      "FIND_NODE target (default: random per request)"),
		  .max = KDHT_ID_LEN, .seen = &f->have_target_id },
		{ OPT("count", 'c', OPT_UINT, &o->count, "N", "FIND_NODE count, 1.."
		      OPTS_STR(KDHT_MAX_NODES) " (default " OPTS_STR(KDHT_MAX_NODES) ")"),
		  .min = 1, .max = KDHT_MAX_NODES },
		{ OPT("id", 'i', OPT_HEX, f->sender, "HEX", "our sender id (default: random)"),
		  .max = KDHT_ID_LEN, .seen = &o->have_id },
		OPT_SEED_ENTRY(&o->seed, "seed for ids and targets (default 1)"),
		OPT_JSON_ENTRY(&o->json),
		OPTS_END,
	};
	const struct tool t = { "kdht-flood", "[options] ADDR:PORT", NULL, opts, 1 };
	int argi;

	*o = (struct flood_cmdline){ .sockets = 1, .seed = 1, .count = KDHT_MAX_NODES };
	f->type = KDHT_MSG_PING;
	if (seconds_parse(FLOOD_DEFAULT_SECONDS, "--duration", &o->duration_ns) ||
	    seconds_parse(FLOOD_DEFAULT_LINGER, "--linger", &o->linger_ns))
		return OPTS_BAD;
	argi = opts_parse(&t, argc, argv);
	if (argi < 0)
		return argi;
	if (opts_target(&t, argv[argi], &f->target))
		return OPTS_BAD;
	f->want_count = (uint8_t)o->count;
	return argi;
}

/* Each --bind address (or any) times --sockets; returns an exit status. */
static int open_sources(struct flood *f, const struct flood_cmdline *o)
{
	unsigned int a, naddrs = o->naddrs ? o->naddrs : 1;
	unsigned long p;

	for (a = 0; a < naddrs; a++) {
		const struct endpoint *bind_ep = o->naddrs ? &o->addrs[a] : NULL;

		if (bind_ep && bind_ep->ss.ss_family != f->target.ss.ss_family) {
			fprintf(stderr, "kdht-flood: --bind address %u is not of the target's family\n",
				a + 1);
			return 2;
		}
		for (p = 0; p < o->sockets; p++)
			if (open_source(f, bind_ep))
				return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct flood f;
	struct flood_cmdline o;
	uint64_t elapsed_ns;
	int ret;

	ret = parse_cmdline(argc, argv, &f, &o);
	if (ret < 0)
		return opts_exit_status(ret);
	rng_seed(&f.rng, o.seed);
	if (!o.have_id)
		rng_bytes(&f.rng, f.sender, KDHT_ID_LEN);
	ret = open_sources(&f, &o);
	if (ret)
		return ret;
	run(&f, o.rate, o.duration_ns, o.linger_ns, &elapsed_ns);
	print_counts(&f, elapsed_ns, o.json);
	return 0;
}
