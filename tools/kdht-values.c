// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-values: STOREs and FIND_VALUEs at one node, with a bounded number in
 * flight, for benchmarks and crash tests of the value path.
 *
 *   store: keys first..first+n-1, each a one-part value of --size bytes;
 *          counts the acknowledgements by status and can write the index
 *          of every key acknowledged as stored to a file.
 *   find:  asks for keys (a range, or the indices in a file) and checks
 *          that each value comes back exactly as `store` wrote it.
 *
 * Record i is immutable: its value is a keyed stream of BLAKE2b-256 of
 * (seed, i) as two little-endian u64, and its key the value's content key,
 * BLAKE2b-256 of the value, so a value read back proves itself.
 *
 * store attacks instead with one of:
 *   --squat OWNER  record i is the name "name-I" of the owner public key
 *                  OWNER (its key BLAKE2b-256(OWNER || name)), seq 2^40,
 *                  published and signed by the tool's key: a wrong key;
 *   --forge OWNER  the same name published as OWNER, signed by the tool's
 *                  key: a wrong signature;
 *   --equivocate   the name "name-I" of the tool's own key, validly signed
 *                  at seq 1: runs that share --signer and differ in --seed
 *                  write other bytes under the same key and seq, each to
 *                  the replica it is aimed at;
 *   --partial N    part 0 of an immutable value of N parts (its content key
 *                  that of the whole), never the rest: reassembly bait.
 * Every storing node must refuse a squat or a forgery (counted as refused;
 * stored counts one that took). The tool's key is random, or derived from
 * --signer; an attack that signs prints its public key to stderr.
 *
 * A request unanswered after --timeout is sent again once, then counted
 * lost; one refused with ERROR UNVALIDATED is sent again once, with the
 * reply's token. With --mesh-key it speaks as a member of that closed
 * mesh: every datagram out tagged, every one in checked.
 */
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kd_siphash.h"
#include "meshkey.h"
#include "opts.h"
#include "vmsg.h"

#define VALUES_MAX_WINDOW	4096	/* requests in flight at most */
#define VALUES_SLOT_BITS	12	/* a txid's low bits name its slot */
#define VALUES_RCVBUF		(8 << 20)
#define VALUES_DEFAULT_TTL_S	86400
#define VALUES_MAX_PARTS	(KDD_MAX_VALUE / KDD_PART_LEN)	/* --partial: within a value */

struct slot {
	bool used;
	bool resent;
	uint32_t txid;
	uint64_t key_index;
	uint64_t sent_at;
};

struct counts {
	uint64_t sent, resent, stored, found, missing, wrong, lost, refused, errors, other;
};

enum attack { ATTACK_NONE, ATTACK_SQUAT, ATTACK_FORGE, ATTACK_EQUIVOCATE, ATTACK_PARTIAL };

struct values {
	bool is_find;
	int fd;
	uint64_t seed;
	uint32_t size;
	unsigned int window;
	uint64_t timeout_ns;
	uint8_t sender[KDHT_ID_LEN];
	enum attack attack;
	uint8_t owner[crypto_sign_PUBLICKEYBYTES];	/* --squat, --forge: the victim */
	uint32_t parts;			/* --partial: the whole value's parts */
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	bool have_token;
	uint8_t token[KDHT_TOKEN_LEN];
	uint32_t gen;
	struct slot slots[VALUES_MAX_WINDOW];
	unsigned int inflight;
	FILE *acked;
	struct counts c;
	bool closed;		/* --mesh-key: tag out, check in */
	uint8_t tag_key[KD_MESH_TAG_KEY_LEN];
	uint8_t whole[KDD_MAX_VALUE];	/* --partial: the value part 0 is cut from */
};

/* Record i: its len bytes in value, and its content key. */
static void record_of(const struct values *v, uint64_t i, struct kd_id *key, uint8_t *value,
		      uint32_t len)
{
	static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
	uint8_t in[16], stream_key[crypto_stream_chacha20_KEYBYTES];
	int b;

	for (b = 0; b < 8; b++) {
		in[b] = (uint8_t)(v->seed >> (8 * b));
		in[8 + b] = (uint8_t)(i >> (8 * b));
	}
	crypto_generichash(stream_key, sizeof(stream_key), in, sizeof(in), NULL, 0);
	crypto_stream_chacha20(value, len, nonce, stream_key);
	crypto_generichash(key->b, KDHT_ID_LEN, value, len, NULL, 0);
}

#define VALUES_SQUAT_SEQ	(1ull << 40)	/* a squat's seq: above any honest one */
#define VALUES_EQUIVOCATE_SEQ	1		/* what an owner's first put writes */

/*
 * p becomes record i as the attack writes it: the name "name-I" of the
 * victim (--squat, --forge) or of the tool's own key (--equivocate),
 * published by the tool (--squat, --equivocate) or as the victim (--forge),
 * always signed by the tool's key.
 */
static void named_of(const struct values *v, uint64_t i, struct kdd_part *p)
{
	const uint8_t *scope = v->attack == ATTACK_EQUIVOCATE ? v->pk : v->owner;
	const uint8_t *publisher = v->attack == ATTACK_FORGE ? v->owner : v->pk;

	p->name_len = (uint8_t)snprintf((char *)p->name, sizeof(p->name), "name-%llu",
					(unsigned long long)i);
	kdd_key_of_name(&p->key, scope, p->name, p->name_len);
	p->is_mutable = true;
	p->seq = v->attack == ATTACK_EQUIVOCATE ? VALUES_EQUIVOCATE_SEQ : VALUES_SQUAT_SEQ;
	p->has_publisher = true;
	memcpy(p->publisher.b, publisher, KDHT_ID_LEN);
	p->has_sig = true;
	kdd_record_sign(&p->key, p->seq, true, p->data, p->len, v->sk, p->sig);
}

/* p becomes part 0 of record i cut as a value of v->parts parts. */
static void partial_of(struct values *v, uint64_t i, struct kdd_part *p)
{
	p->total_len = v->parts * KDD_PART_LEN;
	record_of(v, i, &p->key, v->whole, p->total_len);
	p->data = v->whole;
	p->len = KDD_PART_LEN;
	p->parts = v->parts;
}

/* A fresh txid for slot i: a generation above, the slot below. */
static uint32_t new_txid(struct values *v, unsigned int i)
{
	if (++v->gen >= 1u << (32 - VALUES_SLOT_BITS))
		v->gen = 1;
	return v->gen << VALUES_SLOT_BITS | i;
}

/* Builds and sends the request of slot s; 0 or -1 when the send failed. */
static int transmit(struct values *v, struct slot *s)
{
	uint8_t pkt[KDHT_MAX_DATAGRAM], value[KDD_PART_LEN];
	uint8_t *body = pkt + KDHT_HDR_LEN;
	struct kd_id key;
	size_t len;

	record_of(v, s->key_index, &key, value, v->size);
	if (v->is_find) {
		struct kdd_find f = { .key = key };

		len = kdd_vmsg_encode_find(body, KDHT_MAX_BODY, &f);
	} else {
		struct kdd_part p = {
			.key = key, .data = value, .len = v->size, .parts = 1,
			.total_len = v->size, .ttl_s = VALUES_DEFAULT_TTL_S,
		};

		if (v->attack == ATTACK_PARTIAL)
			partial_of(v, s->key_index, &p);
		else if (v->attack != ATTACK_NONE)
			named_of(v, s->key_index, &p);
		len = kdd_vmsg_encode_store(body, KDHT_MAX_BODY, &p);
	}
	if (!len)
		return -1;
	/* A client: the node must not take it into its routing table. */
	hdr_write(pkt, KDHT_VERSION, v->is_find ? KDHT_MSG_FIND_VALUE : KDHT_MSG_STORE,
		  KDHT_F_CLIENT, (uint16_t)len, s->txid, v->have_token ? v->token : NULL,
		  v->sender);
	len += KDHT_HDR_LEN;
	/* Without a token a VALUE may not outgrow its request: pay for it. */
	if (v->is_find && !v->have_token)
		len = pad_datagram(pkt, len, v->closed ? KDHT_MAX_TAGGED_PLAIN : KDHT_MAX_DATAGRAM);
	if (v->closed) {
		pkt[KDHT_OFF_FLAGS] |= KDHT_F_TAGGED;
		kd_siphash128(v->tag_key, pkt, len, pkt + len);
		len += KDHT_TAG_LEN;
	}
	if (send(v->fd, pkt, len, 0) != (ssize_t)len)
		return -1;
	s->sent_at = now_ns();
	return 0;
}

static void finish(struct values *v, struct slot *s)
{
	s->used = false;
	v->inflight--;
}

static void on_ack(struct values *v, struct slot *s, const uint8_t *body, size_t len)
{
	struct kdd_ack a;

	if (kdd_vmsg_decode_ack(body, len, &a)) {
		v->c.other++;
		return;
	}
	if (a.status == KDD_ACK_STORED) {
		v->c.stored++;
		if (v->acked)
			fprintf(v->acked, "%llu\n", (unsigned long long)s->key_index);
	} else {
		v->c.refused++;
	}
	finish(v, s);
}

static void on_value(struct values *v, struct slot *s, const uint8_t *body, size_t len)
{
	uint8_t want[KDD_PART_LEN];
	struct kdd_value val;
	struct kd_id key;
	void *keep;

	if (kdd_vmsg_decode_value(body, len, &val, &keep)) {
		v->c.other++;
		return;
	}
	record_of(v, s->key_index, &key, want, v->size);
	if (!val.has_record) {
		v->c.missing++;
	} else {
		if (val.rec.total_len == v->size && val.rec.len == v->size &&
		    memcmp(val.rec.data, want, v->size) == 0)
			v->c.found++;
		else
			v->c.wrong++;
	}
	kdd_vmsg_free_value(keep);
	finish(v, s);
}

static void on_datagram(struct values *v, const uint8_t *pkt, size_t n)
{
	uint8_t tag[KDHT_TAG_LEN];
	uint16_t body_len;
	uint32_t txid;
	unsigned int i;

	if (v->closed) {
		if (n < KDHT_HDR_LEN + KDHT_TAG_LEN) {
			v->c.other++;
			return;
		}
		n -= KDHT_TAG_LEN;
		kd_siphash128(v->tag_key, pkt, n, tag);
		if (memcmp(tag, pkt + n, KDHT_TAG_LEN)) {
			v->c.other++;
			return;
		}
	}
	if (n < KDHT_HDR_LEN || get_be16(pkt) != KDHT_MAGIC || !(pkt[4] & KDHT_F_REPLY)) {
		v->c.other++;
		return;
	}
	memcpy(v->token, pkt + 12, KDHT_TOKEN_LEN);
	v->have_token = true;
	txid = (uint32_t)pkt[8] << 24 | (uint32_t)pkt[9] << 16 | (uint32_t)pkt[10] << 8 | pkt[11];
	body_len = get_be16(pkt + 6);
	if (KDHT_HDR_LEN + (size_t)body_len > n) {
		v->c.other++;
		return;
	}
	i = txid & ((1u << VALUES_SLOT_BITS) - 1);
	if (i >= v->window || !v->slots[i].used || v->slots[i].txid != txid) {
		v->c.other++;	/* late, or a second answer to a resent request */
		return;
	}
	if (pkt[3] == KDHT_MSG_ERROR) {
		/* Refused for want of a token: sent again once, with this reply's. */
		if (body_len >= 2 && get_be16(pkt + KDHT_HDR_LEN) == KDHT_ERR_UNVALIDATED &&
		    !v->slots[i].resent && transmit(v, &v->slots[i]) == 0) {
			v->slots[i].resent = true;
			v->c.resent++;
			return;
		}
		v->c.errors++;
		finish(v, &v->slots[i]);
	} else if (pkt[3] == KDHT_MSG_STORE_ACK && !v->is_find) {
		on_ack(v, &v->slots[i], pkt + KDHT_HDR_LEN, body_len);
	} else if (pkt[3] == KDHT_MSG_VALUE && v->is_find) {
		on_value(v, &v->slots[i], pkt + KDHT_HDR_LEN, body_len);
	} else {
		v->c.other++;
	}
}

static void drain(struct values *v)
{
	uint8_t buf[2048];
	ssize_t n;

	while ((n = recv(v->fd, buf, sizeof(buf), 0)) >= 0)
		on_datagram(v, buf, (size_t)n);
}

static void expire(struct values *v, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < v->window; i++) {
		struct slot *s = &v->slots[i];

		if (!s->used || now - s->sent_at < v->timeout_ns)
			continue;
		if (!s->resent && transmit(v, s) == 0) {
			s->resent = true;
			v->c.resent++;
			continue;
		}
		v->c.lost++;
		finish(v, s);
	}
}

/* The key indices to work on: a range, or read from a file. */
struct work {
	FILE *from;
	uint64_t next, end;
};

static bool next_index(struct work *w, uint64_t *out)
{
	unsigned long long i;

	if (w->from)
		return fscanf(w->from, "%llu", &i) == 1 && (*out = i, true);
	if (w->next >= w->end)
		return false;
	*out = w->next++;
	return true;
}

static void run(struct values *v, struct work *w, uint64_t duration_ns, uint64_t *elapsed_ns)
{
	uint64_t start = now_ns(), now = start;
	struct pollfd pfd = { .fd = v->fd, .events = POLLIN };
	bool more = true;
	unsigned int i;

	while (more || v->inflight) {
		for (i = 0; more && i < v->window && v->inflight < v->window; i++) {
			struct slot *s = &v->slots[i];

			if (s->used)
				continue;
			if ((duration_ns && now - start >= duration_ns) ||
			    !next_index(w, &s->key_index)) {
				more = false;
				break;
			}
			s->used = true;
			s->resent = false;
			s->txid = new_txid(v, i);
			v->inflight++;
			if (transmit(v, s)) {
				v->c.lost++;
				finish(v, s);
				continue;
			}
			v->c.sent++;
		}
		if (poll(&pfd, 1, 10) < 0 && errno != EINTR)
			perror("kdht-values: poll");
		drain(v);
		now = now_ns();
		expire(v, now);
	}
	*elapsed_ns = now_ns() - start;
}

static void print_counts(const struct values *v, uint64_t elapsed_ns, bool json)
{
	const struct counts *c = &v->c;
	double secs = (double)elapsed_ns / 1e9;
	uint64_t done = v->is_find ? c->found + c->missing + c->wrong : c->stored + c->refused;
	const struct figure fig[] = {
		{ "sent", (double)c->sent, 0 }, { "resent", (double)c->resent, 0 },
		{ "stored", (double)c->stored, 0 }, { "refused", (double)c->refused, 0 },
		{ "found", (double)c->found, 0 }, { "missing", (double)c->missing, 0 },
		{ "wrong", (double)c->wrong, 0 }, { "errors", (double)c->errors, 0 },
		{ "lost", (double)c->lost, 0 }, { "other", (double)c->other, 0 },
		{ "seconds", secs, 3 }, { "answered_per_s", (double)done / secs, 1 },
	};

	figures_print(fig, sizeof(fig) / sizeof(fig[0]), json);
}

static int open_socket(struct values *v, const struct endpoint *target)
{
	int size = VALUES_RCVBUF;

	v->fd = socket(target->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->fd < 0) {
		perror("kdht-values: socket");
		return -1;
	}
	/* Root may go past rmem_max; others get what the sysctl allows. */
	if (setsockopt(v->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(v->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) {
		perror("kdht-values: SO_RCVBUF");
		return -1;
	}
	if (connect(v->fd, (const struct sockaddr *)&target->ss, target->len) < 0) {
		perror("kdht-values: connect");
		return -1;
	}
	return 0;
}

/* The command line, where it does not go straight into struct values. */
struct values_cmdline {
	unsigned long n, first, size, window, seed, signer, partial;
	uint64_t duration_ns;
	const char *acked, *indices, *mesh_key;
	bool squat, forge, equivocate, have_signer, json;
	struct endpoint target;
};

/* The attack the command line asks for, at most one, and for store only. */
static int attack_of(struct values *v, const struct values_cmdline *o)
{
	unsigned int asked = o->squat + o->forge + o->equivocate + (o->partial > 0);

	if (asked > 1 || (asked && v->is_find)) {
		fprintf(stderr, "kdht-values: --squat, --forge, --equivocate and --partial: one at most, with store\n");
		return OPTS_BAD;
	}
	v->attack = o->squat ? ATTACK_SQUAT : o->forge ? ATTACK_FORGE :
		    o->equivocate ? ATTACK_EQUIVOCATE : o->partial ? ATTACK_PARTIAL : ATTACK_NONE;
	v->parts = (uint32_t)o->partial;
	return 0;
}

/* Returns the index of the target in argv, or OPTS_HELP or OPTS_BAD. */
static int parse_cmdline(int argc, char **argv, struct values *v, struct values_cmdline *o)
{
	const struct tool_opt opts[] = {
		{ OPT("keys", 'n', OPT_UINT, &o->n, "N", "how many keys (default 10000)"),
		  .min = 1, .max = ~0ul },
		{ OPT("first", 'o', OPT_UINT, &o->first, "N", "index of the first key (default 0)"),
		  .max = ~0ul },
		{ OPT("size", 'z', OPT_UINT, &o->size, "N",
		      "store: value bytes, 0.." OPTS_STR(KDD_PART_LEN) " (default 100)"),
		  .max = KDD_PART_LEN },
		{ OPT("window", 'W', OPT_UINT, &o->window, "N",
		      "requests in flight at most, 1.." OPTS_STR(VALUES_MAX_WINDOW) " (default 256)"),
		  .min = 1, .max = VALUES_MAX_WINDOW },
		{ OPT("duration", 'd', OPT_SECONDS, &o->duration_ns, "S",
		      "stop sending after S seconds (default: no limit)") },
		{ OPT("timeout", 't', OPT_SECONDS, &v->timeout_ns, "S",
		      "a request unanswered this long is resent once (default 1)") },
		OPT_SEED_ENTRY(&o->seed, "keys are derived from N (default 1)"),
		{ OPT("acked", 'a', OPT_STRING, &o->acked, "FILE",
		      "store: write the index of each key acknowledged as stored") },
		{ OPT("indices", 'k', OPT_STRING, &o->indices, "FILE",
		      "find: the key indices to ask for, one per line") },
		{ OPT("mesh-key", 'm', OPT_STRING, &o->mesh_key, "FILE",
		      "a closed mesh's key file: tag every datagram under it") },
		{ OPT("squat", 'q', OPT_HEX, v->owner, "HEX64",
		      "store: owner HEX64's names name-I, published by the tool"),
		  .max = sizeof(v->owner), .seen = &o->squat },
		{ OPT("forge", 'F', OPT_HEX, v->owner, "HEX64",
		      "store: owner HEX64's names name-I, published as HEX64, forged"),
		  .max = sizeof(v->owner), .seen = &o->forge },
		{ OPT("equivocate", 'E', OPT_FLAG, &o->equivocate, NULL,
		      "store: the tool's own names name-I at seq 1, bytes from --seed") },
		{ OPT("partial", 'P', OPT_UINT, &o->partial, "N",
		      "store: part 0 of values of N parts, 2.." OPTS_STR(VALUES_MAX_PARTS)),
		  .min = 2, .max = VALUES_MAX_PARTS },
		{ OPT("signer", 's', OPT_UINT, &o->signer, "N",
		      "the tool's signing key derived from N (default: a random key)"),
		  .max = ~0ul, .seen = &o->have_signer },
		OPT_JSON_ENTRY(&o->json),
		OPTS_END,
	};
	const struct tool t = { "kdht-values", "store|find [options] ADDR:PORT", NULL, opts, 1 };
	int argi;

	*o = (struct values_cmdline){ .n = 10000, .size = 100, .window = 256, .seed = 1 };
	if (argc < 2 || (strcmp(argv[1], "store") && strcmp(argv[1], "find"))) {
		opts_usage(&t, stderr);
		return OPTS_BAD;
	}
	v->is_find = !strcmp(argv[1], "find");
	if (seconds_parse("1", "--timeout", &v->timeout_ns))
		return OPTS_BAD;
	argi = opts_parse(&t, argc - 1, argv + 1);
	if (argi < 0)
		return argi;
	if ((o->acked && v->is_find) || (o->indices && !v->is_find)) {
		opts_usage(&t, stderr);
		return OPTS_BAD;
	}
	if (attack_of(v, o))
		return OPTS_BAD;
	if (opts_target(&t, argv[argi + 1], &o->target))
		return OPTS_BAD;
	return argi + 1;
}

/* The tag key of the closed mesh of key file path, if given; says why not. */
static int load_mesh_key(struct values *v, const char *path)
{
	uint8_t key[KD_MESH_KEY_LEN];
	struct kd_mesh m;
	const char *why = "cannot derive the mesh keys";
	int rc;

	if (!path)
		return 0;
	rc = kd_mesh_key_read(path, key, &why);
	if (!rc)
		rc = kd_mesh_derive(key, &m);
	sodium_memzero(key, sizeof(key));
	if (rc) {
		fprintf(stderr, "kdht-values: %s: %s\n", path, why);
		return rc;
	}
	v->closed = true;
	memcpy(v->tag_key, m.tag_key, sizeof(v->tag_key));
	return 0;
}

/* Opens path, if given, into *f; says why not. */
static int open_file(const char *path, const char *mode, FILE **f)
{
	if (!path)
		return 0;
	*f = fopen(path, mode);
	if (*f)
		return 0;
	fprintf(stderr, "kdht-values: %s: %s\n", path, strerror(errno));
	return -errno;
}

/* The tool's signing key: random, or derived from --signer so that runs share it. */
static void signer_keypair(struct values *v, const struct values_cmdline *o)
{
	uint8_t seed[crypto_sign_SEEDBYTES], in[8];
	char hex[2 * crypto_sign_PUBLICKEYBYTES + 1];
	int b;

	if (o->have_signer) {
		for (b = 0; b < 8; b++)
			in[b] = (uint8_t)(o->signer >> (8 * b));
		crypto_generichash(seed, sizeof(seed), in, sizeof(in), NULL, 0);
		crypto_sign_seed_keypair(v->pk, v->sk, seed);
	} else {
		crypto_sign_keypair(v->pk, v->sk);
	}
	if (v->attack != ATTACK_NONE && v->attack != ATTACK_PARTIAL)
		fprintf(stderr, "kdht-values: signer %s\n",
			sodium_bin2hex(hex, sizeof(hex), v->pk, sizeof(v->pk)));
}

int main(int argc, char **argv)
{
	static struct values v;
	struct values_cmdline o;
	struct work w = { 0 };
	uint64_t elapsed_ns;
	int ret;

	if (sodium_init() < 0) {
		fprintf(stderr, "kdht-values: cannot initialise libsodium\n");
		return 1;
	}
	ret = parse_cmdline(argc, argv, &v, &o);
	if (ret < 0)
		return opts_exit_status(ret);
	v.seed = o.seed;
	v.size = (uint32_t)o.size;
	v.window = (unsigned int)o.window;
	randombytes_buf(v.sender, sizeof(v.sender));
	signer_keypair(&v, &o);
	v.gen = randombytes_uniform(1u << 16);
	w.next = o.first;
	w.end = o.first + o.n;
	if (load_mesh_key(&v, o.mesh_key) || open_file(o.indices, "r", &w.from) ||
	    open_file(o.acked, "w", &v.acked) || open_socket(&v, &o.target))
		return 1;
	run(&v, &w, o.duration_ns, &elapsed_ns);
	if (v.acked && fclose(v.acked)) {
		fprintf(stderr, "kdht-values: %s: %s\n", o.acked, strerror(errno));
		return 1;
	}
	if (w.from)
		fclose(w.from);
	print_counts(&v, elapsed_ns, o.json);
	return 0;
}
