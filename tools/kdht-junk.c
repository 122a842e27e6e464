// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-junk: sends malformed datagrams to a node, N of them, reproducible
 * from a seed, of the classes chosen, to prove that every parse is bounded
 * and every rejection counted. It expects nothing back, and its socket is
 * not connected so that ICMP errors never interrupt a storm.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "opts.h"

#define JUNK_BATCH		64	/* datagrams per sendmmsg */
#define JUNK_DEFAULT_COUNT	100000

#define JUNK_CLASSES(X)						\
	X(TRUNCATED, "truncated")	/* cut short of its header or body_len */ \
	X(VERSION, "version")		/* an unknown version */	\
	X(MAGIC, "magic")		/* not our magic */		\
	X(TYPE, "type")			/* a reserved message type */	\
	X(LENGTH, "length")		/* a body of the wrong size, trailing bytes */ \
	X(PADDING, "padding")		/* pad_len out of range, non-zero padding */ \
	X(COUNT, "count")		/* absurd node counts, bad families */ \
	X(RANDOM, "random")		/* random bytes of random length */ \
	X(GARBAGE, "garbage")		/* a valid header over a random body */

#define JUNK_ENUM_(e, s) JUNK_##e,
enum junk_class { JUNK_CLASSES(JUNK_ENUM_) JUNK_NCLASSES };
#undef JUNK_ENUM_

#define JUNK_NAME_(e, s) s,
static const char *const junk_names[] = { JUNK_CLASSES(JUNK_NAME_) };
#undef JUNK_NAME_

struct junk {
	struct rng rng;
	uint8_t sender[KDHT_ID_LEN];
};

static const uint8_t routing_types[] = {
	KDHT_MSG_PING, KDHT_MSG_PONG, KDHT_MSG_FIND_NODE, KDHT_MSG_NODES, KDHT_MSG_ERROR,
};

static uint8_t pick_routing_type(struct junk *j)
{
	return routing_types[rng_below(&j->rng, sizeof(routing_types))];
}

/* A well-formed PING or FIND_NODE request: the base most classes break. */
static size_t valid_request(struct junk *j, uint8_t *p)
{
	rng_bytes(&j->rng, j->sender, KDHT_ID_LEN);	/* never our target's id */
	if (rng_below(&j->rng, 2)) {
		hdr_write(p, KDHT_VERSION, KDHT_MSG_PING, 0, 0, (uint32_t)rng_next(&j->rng),
			  NULL, j->sender);
		return KDHT_HDR_LEN;
	}
	hdr_write(p, KDHT_VERSION, KDHT_MSG_FIND_NODE, 0, KDHT_FIND_NODE_LEN,
		  (uint32_t)rng_next(&j->rng), NULL, j->sender);
	rng_bytes(&j->rng, p + KDHT_HDR_LEN, KDHT_ID_LEN);
	p[KDHT_HDR_LEN + 32] = KDHT_WANT_V4 | KDHT_WANT_V6;
	p[KDHT_HDR_LEN + 33] = KDHT_MAX_NODES;
	p[KDHT_HDR_LEN + 34] = 0;
	p[KDHT_HDR_LEN + 35] = 0;
	return KDHT_HDR_LEN + KDHT_FIND_NODE_LEN;
}

static size_t junk_truncated(struct junk *j, uint8_t *p)
{
	size_t len = valid_request(j, p);

	if (rng_below(&j->rng, 2))
		return rng_below(&j->rng, (uint32_t)len);
	/* Whole datagram, but body_len promises more than is there. */
	put_be16(p + 6, (uint16_t)(get_be16(p + 6) + 1 + rng_below(&j->rng, 0xffff - 40)));
	return len;
}

static size_t junk_version(struct junk *j, uint8_t *p)
{
	size_t len = valid_request(j, p);

	p[2] = (uint8_t)(KDHT_VERSION + 1 + rng_below(&j->rng, 255));
	return len;
}

static size_t junk_magic(struct junk *j, uint8_t *p)
{
	size_t len = valid_request(j, p);
	uint16_t m;

	do
		m = (uint16_t)rng_next(&j->rng);
	while (m == KDHT_MAGIC);
	put_be16(p, m);
	return len;
}

static size_t junk_type(struct junk *j, uint8_t *p)
{
	size_t len = valid_request(j, p);
	uint32_t r = rng_below(&j->rng, 3);

	if (r == 0)
		p[3] = 0;
	else if (r == 1)
		p[3] = (uint8_t)(KDHT_MSG_ERROR + 1 +
				 rng_below(&j->rng, KDHT_MSG_ROUTING_LAST - KDHT_MSG_ERROR));
	else
		p[3] = (uint8_t)(KDHT_MSG_APP_LAST + 1 + rng_below(&j->rng, 0xff - KDHT_MSG_APP_LAST));
	return len;
}

static size_t junk_length(struct junk *j, uint8_t *p)
{
	size_t len = valid_request(j, p);
	uint32_t extra = 1 + rng_below(&j->rng, 64);

	rng_bytes(&j->rng, p + len, extra);
	if (rng_below(&j->rng, 2))
		return len + extra;	/* trailing bytes past body_len */
	/* body_len covers them: a body of the wrong size for the type */
	put_be16(p + 6, (uint16_t)(get_be16(p + 6) + extra));
	return len + extra;
}

static size_t junk_padding(struct junk *j, uint8_t *p)
{
	size_t len = valid_request(j, p);
	uint32_t pad = KDHT_PAD_TRAILER_LEN + rng_below(&j->rng, 200);
	size_t total = len + pad;

	memset(p + len, 0, pad);
	p[4] |= KDHT_F_PADDED;
	put_be16(p + 6, (uint16_t)(total - KDHT_HDR_LEN));
	switch (rng_below(&j->rng, 3)) {
	case 0:	/* pad_len below its own trailer */
		put_be16(p + total - 2, (uint16_t)rng_below(&j->rng, KDHT_PAD_TRAILER_LEN));
		break;
	case 1:	/* pad_len beyond the body */
		put_be16(p + total - 2, (uint16_t)(total - KDHT_HDR_LEN + 1 +
						   rng_below(&j->rng, 1000)));
		break;
	default:	/* right length, a non-zero padding byte */
		put_be16(p + total - 2, (uint16_t)pad);
		if (pad == KDHT_PAD_TRAILER_LEN) {
			put_be16(p + total - 2, 0);
			break;
		}
		p[len + rng_below(&j->rng, pad - KDHT_PAD_TRAILER_LEN)] =
			(uint8_t)(1 + rng_below(&j->rng, 255));
		break;
	}
	return total;
}

static size_t junk_count(struct junk *j, uint8_t *p)
{
	uint32_t n, i;
	size_t len;
	uint8_t *b = p + KDHT_HDR_LEN;

	if (rng_below(&j->rng, 2)) {
		len = valid_request(j, p);
		if (len == KDHT_HDR_LEN)
			len = valid_request(j, p);
		if (len == KDHT_HDR_LEN)
			return len;
		if (rng_below(&j->rng, 2))
			b[33] = rng_below(&j->rng, 2) ? 0 :
				(uint8_t)(KDHT_MAX_NODES + 1 + rng_below(&j->rng, 255 - KDHT_MAX_NODES));
		else
			b[32] = 0;	/* no family wanted */
		return len;
	}
	/* An unsolicited NODES reply whose count disagrees with its length. */
	rng_bytes(&j->rng, j->sender, KDHT_ID_LEN);
	n = rng_below(&j->rng, 4);
	len = KDHT_NODES_HDR_LEN + n * KDHT_NODE_LEN;
	b[0] = rng_below(&j->rng, 2) ? 255 : (uint8_t)(n + 1 + rng_below(&j->rng, 10));
	memset(b + 1, 0, 3);
	for (i = 0; i < n; i++) {
		uint8_t *e = b + KDHT_NODES_HDR_LEN + i * KDHT_NODE_LEN;

		rng_bytes(&j->rng, e, KDHT_NODE_LEN);
		e[32] = (uint8_t)rng_below(&j->rng, 256);	/* mostly a bad family */
	}
	hdr_write(p, KDHT_VERSION, KDHT_MSG_NODES, KDHT_F_REPLY, (uint16_t)len,
		  (uint32_t)rng_next(&j->rng), NULL, j->sender);
	return KDHT_HDR_LEN + len;
}

static size_t junk_random(struct junk *j, uint8_t *p)
{
	size_t len = rng_below(&j->rng, KDHT_MAX_DATAGRAM + 1);

	rng_bytes(&j->rng, p, len);
	return len;
}

static size_t junk_garbage(struct junk *j, uint8_t *p)
{
	uint32_t body = rng_below(&j->rng, KDHT_MAX_BODY + 1);

	rng_bytes(&j->rng, j->sender, KDHT_ID_LEN);
	hdr_write(p, KDHT_VERSION, pick_routing_type(j),
		  (uint8_t)rng_below(&j->rng, 2) * KDHT_F_REPLY, (uint16_t)body,
		  (uint32_t)rng_next(&j->rng), NULL, j->sender);
	rng_bytes(&j->rng, p + KDHT_HDR_LEN, body);
	return KDHT_HDR_LEN + body;
}

typedef size_t (*junk_fn)(struct junk *j, uint8_t *p);

static const junk_fn junk_fns[JUNK_NCLASSES] = {
	junk_truncated, junk_version, junk_magic, junk_type, junk_length,
	junk_padding, junk_count, junk_random, junk_garbage,
};

static int parse_classes(const char *arg, void *dest)
{
	bool *on = dest;
	char buf[256], *tok, *save = NULL;
	unsigned int i;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	memset(on, 0, JUNK_NCLASSES * sizeof(*on));
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool found = false;

		for (i = 0; i < JUNK_NCLASSES; i++) {
			if (!strcmp(tok, "all") || !strcmp(tok, junk_names[i])) {
				on[i] = true;
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "kdht-junk: --class: unknown class '%s'\n", tok);
			return -EINVAL;
		}
	}
	return 0;
}

static void pace(uint64_t start, unsigned long rate, uint64_t sent)
{
	uint64_t due_ns, elapsed;
	struct timespec ts;

	if (!rate)
		return;
	due_ns = sent * 1000000000ull / rate;
	elapsed = now_ns() - start;
	if (due_ns <= elapsed)
		return;
	ts.tv_sec = (time_t)((due_ns - elapsed) / 1000000000ull);
	ts.tv_nsec = (long)((due_ns - elapsed) % 1000000000ull);
	nanosleep(&ts, NULL);
}

/* The command line. */
struct junk_cmdline {
	unsigned long count, seed, rate;
	bool on[JUNK_NCLASSES];
	bool json, have_bind;
	struct endpoint target, bind_ep;
};

static int parse_bind(const char *arg, void *dest)
{
	if (!address_parse(arg, dest))
		return 0;
	fprintf(stderr, "kdht-junk: --bind: not an address: '%s'\n", arg);
	return -EINVAL;
}

/* "  classes: truncated,version,...\n", for the usage. */
static const char *classes_about(void)
{
	static char about[256];
	size_t len = 0;
	unsigned int i;

	len += (size_t)snprintf(about, sizeof(about), "  classes:");
	for (i = 0; i < JUNK_NCLASSES && len < sizeof(about); i++)
		len += (size_t)snprintf(about + len, sizeof(about) - len, "%s%s", i ? "," : " ",
					junk_names[i]);
	if (len < sizeof(about))
		snprintf(about + len, sizeof(about) - len, "\n");
	return about;
}

/* Returns the index of the target in argv, or OPTS_HELP or OPTS_BAD. */
static int parse_cmdline(int argc, char **argv, struct junk_cmdline *o)
{
	const struct tool_opt opts[] = {
		{ OPT("count", 'n', OPT_UINT, &o->count, "N",
		      "datagrams to send (default " OPTS_STR(JUNK_DEFAULT_COUNT) ")"),
		  .min = 1, .max = 1000000000 },
		OPT_SEED_ENTRY(&o->seed, "the same seed sends the same datagrams (default 1)"),
		{ OPT("class", 'c', OPT_CUSTOM, o->on, "LIST",
		      "comma-separated classes, or all (default all)"), .parse = parse_classes },
		{ OPT("rate", 'r', OPT_UINT, &o->rate, "N",
		      "datagrams per second, 0: as fast as possible (default 0)"),
		  .max = 10000000 },
		{ OPT("bind", 'b', OPT_CUSTOM, &o->bind_ep, "ADDR", "source address"),
		  .parse = parse_bind, .seen = &o->have_bind },
		OPT_JSON_ENTRY(&o->json),
		OPTS_END,
	};
	const struct tool t = { "kdht-junk", "[options] ADDR:PORT", classes_about(), opts, 1 };
	unsigned int i;
	int argi;

	*o = (struct junk_cmdline){ .count = JUNK_DEFAULT_COUNT, .seed = 1 };
	for (i = 0; i < JUNK_NCLASSES; i++)
		o->on[i] = true;
	argi = opts_parse(&t, argc, argv);
	if (argi >= 0 && opts_target(&t, argv[argi], &o->target))
		return OPTS_BAD;
	return argi;
}

static int open_socket(const struct junk_cmdline *o)
{
	int fd = socket(o->target.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		perror("kdht-junk: socket");
		return -1;
	}
	if (o->have_bind && bind(fd, (const struct sockaddr *)&o->bind_ep.ss, o->bind_ep.len) < 0) {
		perror("kdht-junk: bind");
		close(fd);
		return -1;
	}
	return fd;
}

/* What a storm sent, in all and by class. */
struct junk_counts {
	uint64_t sent, errors, bytes, start;
	uint64_t per_class[JUNK_NCLASSES];
};

/* Sends o->count datagrams of the classes chosen; 0, or -1 if sending failed. */
static int storm(int fd, const struct junk_cmdline *o, struct junk_counts *k)
{
	static uint8_t bufs[JUNK_BATCH][KDHT_MAX_DATAGRAM + 64];
	struct iovec iov[JUNK_BATCH];
	struct mmsghdr msgs[JUNK_BATCH];
	enum junk_class slot_class[JUNK_BATCH], classes[JUNK_NCLASSES];
	unsigned int nclasses = 0, i;
	struct junk j;

	for (i = 0; i < JUNK_NCLASSES; i++)
		if (o->on[i])
			classes[nclasses++] = (enum junk_class)i;
	rng_seed(&j.rng, o->seed);
	k->start = now_ns();
	while (k->sent + k->errors < o->count) {
		uint64_t left = o->count - k->sent - k->errors;
		unsigned int n = left < JUNK_BATCH ? (unsigned int)left : JUNK_BATCH;
		int r;

		for (i = 0; i < n; i++) {
			enum junk_class c = classes[rng_below(&j.rng, nclasses)];

			iov[i].iov_base = bufs[i];
			iov[i].iov_len = junk_fns[c](&j, bufs[i]);
			memset(&msgs[i], 0, sizeof(msgs[i]));
			msgs[i].msg_hdr.msg_name = (void *)&o->target.ss;
			msgs[i].msg_hdr.msg_namelen = o->target.len;
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			slot_class[i] = c;
		}
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("kdht-junk: sendmmsg");
				return -1;
			}
			r = 0;
		}
		for (i = 0; i < (unsigned int)r; i++) {
			k->bytes += iov[i].iov_len;
			k->per_class[slot_class[i]]++;
		}
		k->sent += (unsigned int)r;
		k->errors += n - (unsigned int)r;
		pace(k->start, o->rate, k->sent + k->errors);
	}
	return 0;
}

static void print_counts(const struct junk_counts *k, bool json)
{
	struct figure fig[3 + JUNK_NCLASSES + 1] = {
		{ "sent", (double)k->sent, 0 }, { "send_errors", (double)k->errors, 0 },
		{ "bytes", (double)k->bytes, 0 },
	};
	unsigned int i;

	for (i = 0; i < JUNK_NCLASSES; i++)
		fig[3 + i] = (struct figure){ junk_names[i], (double)k->per_class[i], 0 };
	fig[3 + i] = (struct figure){ "seconds", (double)(now_ns() - k->start) / 1e9, 3 };
	figures_print(fig, 3 + JUNK_NCLASSES + 1, json);
}

int main(int argc, char **argv)
{
	struct junk_cmdline o;
	struct junk_counts k = { 0 };
	int ret, fd;

	ret = parse_cmdline(argc, argv, &o);
	if (ret < 0)
		return opts_exit_status(ret);
	fd = open_socket(&o);
	if (fd < 0)
		return 1;
	ret = storm(fd, &o, &k);
	close(fd);
	if (ret)
		return 1;
	print_counts(&k, o.json);
	return 0;
}
