// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-sybil: one attacker holding many addresses of one /24 plays N fake
 * nodes whose ids sit next to a target key (the key XOR a random 32-bit
 * tail), to test that lookups and puts keep at most two nodes of a subnet.
 *
 * Each fake node has its own UDP socket (one per address and port). It
 * answers PING with PONG and FIND_NODE with the fake nodes closest to the
 * target asked, every reply carrying a token for the requester as
 * PROTOCOL.md section 5 wants. Value messages: --mode withhold answers
 * FIND_VALUE with the closest fake nodes and acknowledges every STORE as
 * whole (parts_held = parts) while keeping nothing; --mode forge answers
 * FIND_VALUE with a record of its own for the key, signed with its own
 * Ed25519 key at seq 2^62.
 *
 * To become known it sends, every --announce seconds and from every fake
 * node, a FIND_NODE for its own id to every honest node it knows (the
 * --bootstrap addresses, then every node the replies name), with the token
 * that node issued it, or padded to pay for the answer and the ping back
 * when it holds none. The honest nodes ping back, get a PONG and take the
 * fake nodes into their tables as far as their subnet limits allow.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "hex.h"
#include "kd_codec.h"
#include "opts.h"
#include "vmsg.h"

#define SYBIL_MAX_ADDRS		254	/* hosts of one /24 */
#define SYBIL_MAX_PORTS		8
#define SYBIL_MAX_BOOTSTRAP	16
#define SYBIL_MAX_PEERS		256	/* honest nodes remembered */
#define SYBIL_ID_TAIL		4	/* id bytes that differ from the target */
#define SYBIL_FORGED_SEQ	(1ull << 62)
#define SYBIL_FORGED_TTL_S	3600
#define SYBIL_DEFAULT_ANNOUNCE	"5"
#define SYBIL_FIND_PAD		(56 + 52 * KDHT_MAX_NODES + 52)	/* PROTOCOL.md 5 */

/* A token an honest node issued to one fake node. */
struct token {
	bool have;
	uint8_t b[KDHT_TOKEN_LEN];
};

struct fake {
	int fd;
	struct kd_node node;
	uint8_t issued[KDHT_TOKEN_LEN];	/* the token it hands to every requester */
};

struct counts {
	uint64_t pings, finds, find_values, stores, replies, announced, other;
};

struct sybil {
	struct fake *fake;
	unsigned int nfake;
	struct kd_id target;
	bool forge;
	struct kd_addr peer[SYBIL_MAX_PEERS];
	unsigned int npeers;
	struct token *tokens;		/* nfake * SYBIL_MAX_PEERS */
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	struct rng rng;
	struct counts c;
};

struct sybil_cmdline {
	struct kd_addr first;
	bool have_first;
	unsigned long addrs, ports, port, seed;
	uint64_t announce_ns, duration_ns;
	struct kd_addr boot[SYBIL_MAX_BOOTSTRAP];
	unsigned int nboot;
	bool json;
	bool content;		/* TARGET is a value: aim at its content key */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The fake node at addr, or -1. */
static int fake_at(const struct sybil *s, const struct kd_addr *addr)
{
	unsigned int i;

	for (i = 0; i < s->nfake; i++)
		if (kd_addr_equal(&s->fake[i].node.addr, addr))
			return (int)i;
	return -1;
}

/* The index of honest node addr, remembered if new and there is room; or -1. */
static int peer_index(struct sybil *s, const struct kd_addr *addr)
{
	unsigned int i;

	if (fake_at(s, addr) >= 0)
		return -1;
	for (i = 0; i < s->npeers; i++)
		if (kd_addr_equal(&s->peer[i], addr))
			return (int)i;
	if (s->npeers == SYBIL_MAX_PEERS)
		return -1;
	s->peer[s->npeers] = *addr;
	return (int)s->npeers++;
}

static struct token *token_of(struct sybil *s, unsigned int fake, unsigned int peer)
{
	return &s->tokens[(size_t)fake * SYBIL_MAX_PEERS + peer];
}

/* Up to max fake nodes closest to target, closest first; returns how many. */
static unsigned int closest_fakes(const struct sybil *s, const struct kd_id *target,
				  struct kd_node *out, unsigned int max)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < s->nfake; i++) {
		const struct kd_node *c = &s->fake[i].node;

		if (n == max && kd_id_cmp_distance(target, &c->id, &out[n - 1].id) >= 0)
			continue;
		if (n < max)
			n++;
		for (j = n - 1; j > 0 && kd_id_cmp_distance(target, &c->id, &out[j - 1].id) < 0; j--)
			out[j] = out[j - 1];
		out[j] = *c;
	}
	return n;
}

static void send_to(struct sybil *s, const struct fake *f, const struct kd_addr *to,
		    const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = kd_addr_to_sockaddr(to, &ss);

	if (!len || !sl || sendto(f->fd, pkt, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len)
		s->c.other++;
}

/* A reply header from fake f to a request h: its txid, a token for the requester. */
static void reply_hdr(const struct fake *f, const struct kd_hdr *h, uint8_t type,
		      struct kd_hdr *rh)
{
	memset(rh, 0, sizeof(*rh));
	rh->version = KDHT_VERSION;
	rh->type = type;
	rh->flags = KDHT_F_REPLY;
	rh->txid = h->txid;
	memcpy(rh->token, f->issued, KDHT_TOKEN_LEN);
	rh->sender = f->node.id;
}

/* A value message's body in a reply of type from fake f. */
static void send_value_reply(struct sybil *s, const struct fake *f, const struct kd_addr *to,
			     const struct kd_hdr *h, uint8_t type, const uint8_t *body,
			     size_t len)
{
	uint8_t pkt[KDHT_MAX_DATAGRAM];
	struct kd_hdr rh;

	reply_hdr(f, h, type, &rh);
	send_to(s, f, to, pkt, kd_encode(pkt, sizeof(pkt), &rh, body, len, 0));
}

/* The record --mode forge serves for key: its own, signed by its own key. */
static void forged_part(struct sybil *s, const struct kd_id *key, struct kdd_part *p)
{
	static const uint8_t value[] = "forged by kdht-sybil";

	memset(p, 0, sizeof(*p));
	p->key = *key;
	p->data = value;
	p->len = sizeof(value) - 1;
	p->parts = 1;
	p->total_len = p->len;
	p->ttl_s = SYBIL_FORGED_TTL_S;
	p->has_publisher = true;
	memcpy(p->publisher.b, s->pk, KDHT_ID_LEN);
	p->seq = SYBIL_FORGED_SEQ;
	p->is_mutable = true;
	p->has_sig = true;
	kdd_record_sign(key, p->seq, true, value, p->len, s->sk, p->sig);
}

static void answer_find_value(struct sybil *s, const struct fake *f, const struct kd_addr *to,
			      const struct kd_hdr *h, const uint8_t *body, size_t len)
{
	uint8_t out[KDHT_MAX_BODY];
	struct kdd_value v;
	struct kdd_find q;

	if (kdd_vmsg_decode_find(body, len, &q)) {
		s->c.other++;
		return;
	}
	s->c.find_values++;
	memset(&v, 0, sizeof(v));
	v.key = q.key;
	if (s->forge) {
		v.has_record = true;
		forged_part(s, &q.key, &v.rec);
	} else {
		v.nnodes = closest_fakes(s, &q.key, v.nodes, KDHT_MAX_NODES);
	}
	send_value_reply(s, f, to, h, KDHT_MSG_VALUE, out,
			 kdd_vmsg_encode_value(out, sizeof(out), &v));
}

/* Acknowledges a STORE part as if the whole record were held, and keeps nothing. */
static void answer_store(struct sybil *s, const struct fake *f, const struct kd_addr *to,
			 const struct kd_hdr *h, const uint8_t *body, size_t len)
{
	uint8_t out[KDHT_MAX_BODY];
	struct kdd_part p;
	struct kdd_ack a;
	void *keep;

	if (kdd_vmsg_decode_store(body, len, &p, &keep)) {
		s->c.other++;
		return;
	}
	s->c.stores++;
	memset(&a, 0, sizeof(a));
	a.key = p.key;
	a.status = KDD_ACK_STORED;
	a.part = p.part;
	a.held_seq = p.seq;
	a.parts_held = p.parts;
	kdd_vmsg_free_store(keep);
	send_value_reply(s, f, to, h, KDHT_MSG_STORE_ACK, out,
			 kdd_vmsg_encode_ack(out, sizeof(out), &a));
}

static void answer_routing(struct sybil *s, const struct fake *f, const struct kd_addr *to,
			   const struct kd_hdr *h, const uint8_t *body, size_t len)
{
	uint8_t pkt[KDHT_MAX_DATAGRAM];
	struct kd_node nodes[KDHT_MAX_NODES];
	struct kd_find_node fn;
	struct kd_hdr rh;
	unsigned int n;

	if (h->type == KDHT_MSG_PING) {
		s->c.pings++;
		reply_hdr(f, h, KDHT_MSG_PONG, &rh);
		send_to(s, f, to, pkt, kd_encode(pkt, sizeof(pkt), &rh, NULL, 0, 0));
		return;
	}
	if (kd_decode_find_node(body, len, &fn) != KD_R_OK) {
		s->c.other++;
		return;
	}
	s->c.finds++;
	n = closest_fakes(s, &fn.target, nodes, KD_MIN((unsigned int)fn.count, KDHT_MAX_NODES));
	reply_hdr(f, h, KDHT_MSG_NODES, &rh);
	send_to(s, f, to, pkt, kd_encode_nodes(pkt, sizeof(pkt), &rh, nodes, n));
}

/* A reply to one of our FIND_NODEs or PINGs: keep the token, learn the nodes named. */
static void on_reply(struct sybil *s, unsigned int fake, const struct kd_addr *from,
		     const struct kd_hdr *h, const uint8_t *body, size_t len)
{
	struct kd_nodes nodes;
	struct token *t;
	unsigned int i;
	int p = peer_index(s, from);

	s->c.replies++;
	if (p < 0)
		return;
	t = token_of(s, fake, (unsigned int)p);
	memcpy(t->b, h->token, KDHT_TOKEN_LEN);
	t->have = true;
	if (h->type != KDHT_MSG_NODES || kd_decode_nodes(body, len, &nodes) != KD_R_OK)
		return;
	for (i = 0; i < nodes.count; i++)
		peer_index(s, &nodes.node[i].addr);
}

static void on_datagram(struct sybil *s, unsigned int fake, const struct kd_addr *from,
			const uint8_t *pkt, size_t n)
{
	const struct fake *f = &s->fake[fake];
	const uint8_t *body;
	struct kd_hdr h;
	size_t len;

	if (kd_decode_hdr(pkt, n, &h, &body, &len) != KD_R_OK) {
		s->c.other++;
		return;
	}
	if (h.flags & KDHT_F_REPLY)
		on_reply(s, fake, from, &h, body, len);
	else if (h.type == KDHT_MSG_PING || h.type == KDHT_MSG_FIND_NODE)
		answer_routing(s, f, from, &h, body, len);
	else if (h.type == KDHT_MSG_FIND_VALUE)
		answer_find_value(s, f, from, &h, body, len);
	else if (h.type == KDHT_MSG_STORE)
		answer_store(s, f, from, &h, body, len);
	else
		s->c.other++;
}

/* Every fake node asks every known honest node for the nodes next to its own id. */
static void announce(struct sybil *s)
{
	uint8_t pkt[KDHT_MAX_DATAGRAM];
	struct kd_find_node fn;
	struct kd_hdr h;
	unsigned int i, p;

	for (i = 0; i < s->nfake; i++) {
		for (p = 0; p < s->npeers; p++) {
			const struct token *t = token_of(s, i, p);

			memset(&h, 0, sizeof(h));
			h.version = KDHT_VERSION;
			h.type = KDHT_MSG_FIND_NODE;
			h.txid = (uint32_t)rng_next(&s->rng) | 1;
			if (t->have)
				memcpy(h.token, t->b, KDHT_TOKEN_LEN);
			h.sender = s->fake[i].node.id;
			fn.target = s->fake[i].node.id;
			fn.want = KDHT_WANT_V4;
			fn.count = KDHT_MAX_NODES;
			send_to(s, &s->fake[i], &s->peer[p], pkt,
				kd_encode_find_node(pkt, sizeof(pkt), &h, &fn,
						    t->have ? 0 : SYBIL_FIND_PAD));
			s->c.announced++;
		}
	}
}

/* Reads what waits on fake i's socket. */
static void drain(struct sybil *s, unsigned int i)
{
	uint8_t pkt[KDHT_MAX_DATAGRAM];
	struct sockaddr_storage ss;
	struct kd_addr from;
	socklen_t sl;
	ssize_t n;

	for (;;) {
		sl = sizeof(ss);
		n = recvfrom(s->fake[i].fd, pkt, sizeof(pkt), MSG_DONTWAIT,
			     (struct sockaddr *)&ss, &sl);
		if (n < 0)
			return;
		if (kd_addr_from_sockaddr(&from, (struct sockaddr *)&ss) == 0)
			on_datagram(s, i, &from, pkt, (size_t)n);
	}
}

static void run(struct sybil *s, uint64_t announce_ns, uint64_t duration_ns)
{
	struct pollfd *pfd = calloc(s->nfake, sizeof(*pfd));
	uint64_t start = now_ns(), next = start;
	unsigned int i;

	if (!pfd)
		return;
	for (i = 0; i < s->nfake; i++) {
		pfd[i].fd = s->fake[i].fd;
		pfd[i].events = POLLIN;
	}
	while (!stop && (!duration_ns || now_ns() - start < duration_ns)) {
		uint64_t now = now_ns();

		if (now >= next) {
			announce(s);
			next = now + announce_ns;
		}
		if (poll(pfd, s->nfake, (int)((next - now) / 1000000 + 1)) <= 0)
			continue;
		for (i = 0; i < s->nfake; i++)
			if (pfd[i].revents & POLLIN)
				drain(s, i);
	}
	free(pfd);
}

/* Fake i: address first + i / ports, port port + i % ports, id next to the target. */
static int open_fake(struct sybil *s, const struct sybil_cmdline *o, unsigned int i)
{
	struct fake *f = &s->fake[i];
	struct sockaddr_storage ss;
	uint32_t tail = (uint32_t)rng_next(&s->rng);
	unsigned int b;
	socklen_t sl;

	f->node.addr = o->first;
	f->node.addr.ip[3] = (uint8_t)(o->first.ip[3] + i / o->ports);
	f->node.addr.port = (uint16_t)(o->port + i % o->ports);
	f->node.id = s->target;
	for (b = 0; b < SYBIL_ID_TAIL; b++)
		f->node.id.b[KDHT_ID_LEN - 1 - b] ^= (uint8_t)(tail >> (8 * b));
	rng_bytes(&s->rng, f->issued, KDHT_TOKEN_LEN);
	sl = kd_addr_to_sockaddr(&f->node.addr, &ss);
	f->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&ss, sl)) {
		char text[KD_ADDR_STRLEN];

		kd_addr_format(text, &f->node.addr);
		fprintf(stderr, "kdht-sybil: cannot bind %s: %s\n", text, strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_mode(const char *arg, void *dest)
{
	bool *forge = dest;

	if (strcmp(arg, "withhold") && strcmp(arg, "forge")) {
		fprintf(stderr, "kdht-sybil: --mode: withhold or forge, not '%s'\n", arg);
		return -EINVAL;
	}
	*forge = strcmp(arg, "forge") == 0;
	return 0;
}

static int parse_first(const char *arg, void *dest)
{
	struct sybil_cmdline *o = dest;

	if (kd_addr_parse_ip(&o->first, arg) || o->first.family != KDHT_AF_INET) {
		fprintf(stderr, "kdht-sybil: --first: not an IPv4 address: '%s'\n", arg);
		return -EINVAL;
	}
	o->have_first = true;
	return 0;
}

static int add_bootstrap(const char *arg, void *dest)
{
	struct sybil_cmdline *o = dest;

	if (o->nboot == SYBIL_MAX_BOOTSTRAP) {
		fprintf(stderr, "kdht-sybil: at most %d --bootstrap nodes\n", SYBIL_MAX_BOOTSTRAP);
		return -EINVAL;
	}
	if (kd_addr_parse(&o->boot[o->nboot], arg, KDHT_DEFAULT_PORT)) {
		fprintf(stderr, "kdht-sybil: --bootstrap: not an address: '%s'\n", arg);
		return -EINVAL;
	}
	o->nboot++;
	return 0;
}

/* Returns the index of the target in argv, or OPTS_HELP or OPTS_BAD. */
static int parse_cmdline(int argc, char **argv, struct sybil *s, struct sybil_cmdline *o)
{
	const struct tool_opt opts[] = {
		{ OPT("first", 'f', OPT_CUSTOM, o, "ADDR",
		      "the first IPv4 address; the others follow it in its /24"),
		  .parse = parse_first },
		{ OPT("addresses", 'n', OPT_UINT, &o->addrs, "N",
		      "addresses held, each already on an interface (default 200)"),
		  .min = 1, .max = SYBIL_MAX_ADDRS },
		{ OPT("ports", 'P', OPT_UINT, &o->ports, "N",
		      "ports per address, one fake node each (default 1)"),
		  .min = 1, .max = SYBIL_MAX_PORTS },
		{ OPT("port", 'p', OPT_UINT, &o->port, "PORT", "the first port (default "
		      OPTS_STR(KDHT_DEFAULT_PORT) ")"), .min = 1, .max = 65535 },
		{ OPT("bootstrap", 'b', OPT_CUSTOM, o, "ADDR[:PORT]",
		      "an honest node to announce to; repeat for several"),
		  .parse = add_bootstrap },
		{ OPT("mode", 'm', OPT_CUSTOM, &s->forge, "withhold|forge",
		      "what FIND_VALUE gets (default withhold)"), .parse = parse_mode },
		{ OPT("announce", 'a', OPT_SECONDS, &o->announce_ns, "S",
		      "seconds between announcements (default " SYBIL_DEFAULT_ANNOUNCE ")") },
		{ OPT("duration", 'd', OPT_SECONDS, &o->duration_ns, "S",
		      "seconds to run, 0: until SIGTERM or SIGINT (default 0)") },
		{ OPT("content", 'c', OPT_FLAG, &o->content, NULL,
		      "TARGET is a value: aim at its content key, BLAKE2b-256 of it") },
		OPT_SEED_ENTRY(&o->seed, "seed for ids and tokens (default 1)"),
		OPT_JSON_ENTRY(&o->json),
		OPTS_END,
	};
	const struct tool t = { "kdht-sybil", "[options] --first ADDR TARGET_HEX | --content VALUE", NULL, opts, 1 };
	int argi;

	*o = (struct sybil_cmdline){ .addrs = 200, .ports = 1, .port = KDHT_DEFAULT_PORT,
				     .seed = 1 };
	if (seconds_parse(SYBIL_DEFAULT_ANNOUNCE, "--announce", &o->announce_ns))
		return OPTS_BAD;
	argi = opts_parse(&t, argc, argv);
	if (argi < 0)
		return argi;
	if (o->content)
		kdd_key_of_content(&s->target, (const uint8_t *)argv[argi],
				   (uint32_t)strlen(argv[argi]));
	if (!o->have_first ||
	    (!o->content && kd_hex_parse(s->target.b, KDHT_ID_LEN, argv[argi])) ||
	    o->first.ip[3] == 0 || o->first.ip[3] + o->addrs - 1 > SYBIL_MAX_ADDRS ||
	    o->port + o->ports - 1 > 65535) {
		fprintf(stderr, "kdht-sybil: want --first ADDR with room for --addresses in its /24, ports up to 65535 and a 64-digit TARGET_HEX\n");
		return OPTS_BAD;
	}
	return argi;
}

static void print_counts(const struct sybil *s, bool json)
{
	const struct figure f[] = {
		{ "fake_nodes", s->nfake, 0 },
		{ "honest_known", s->npeers, 0 },
		{ "announced", (double)s->c.announced, 0 },
		{ "replies", (double)s->c.replies, 0 },
		{ "pings", (double)s->c.pings, 0 },
		{ "find_nodes", (double)s->c.finds, 0 },
		{ "find_values", (double)s->c.find_values, 0 },
		{ "stores_acked", (double)s->c.stores, 0 },
		{ "other", (double)s->c.other, 0 },
	};

	figures_print(f, sizeof(f) / sizeof(f[0]), json);
}

int main(int argc, char **argv)
{
	static struct sybil s;
	struct sybil_cmdline o;
	unsigned int i;
	int ret;
	char hex[2 * KDHT_ID_LEN + 1];

	if (sodium_init() < 0)
		return 1;
	ret = parse_cmdline(argc, argv, &s, &o);
	if (ret < 0)
		return opts_exit_status(ret);
	kd_hex_format(hex, s.target.b, KDHT_ID_LEN);
	fprintf(stderr, "kdht-sybil: target %s\n", hex);
	rng_seed(&s.rng, o.seed);
	crypto_sign_keypair(s.pk, s.sk);
	s.nfake = (unsigned int)(o.addrs * o.ports);
	s.fake = calloc(s.nfake, sizeof(*s.fake));
	s.tokens = calloc((size_t)s.nfake * SYBIL_MAX_PEERS, sizeof(*s.tokens));
	if (!s.fake || !s.tokens)
		return 1;
	for (i = 0; i < s.nfake; i++)
		if (open_fake(&s, &o, i))
			return 1;
	for (i = 0; i < o.nboot; i++)
		peer_index(&s, &o.boot[i]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	run(&s, o.announce_ns, o.duration_ns);
	print_counts(&s, o.json);
	return 0;
}
