// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The put/get engine on a small mesh in one process: every node a real
 * userspace backend on loopback, an LMDB store, the serve side (what peers
 * ask of it) and the op engine. What a user of put and get would notice:
 * values come back whole from any node; a put reaches r replicas even when
 * a node has no daemon behind it; a get survives its source falling silent
 * halfway through a value; a node that lost its copy gets it back from the
 * next get; a put of other bytes under an immutable key leaves every copy
 * as it was, and fails; a put whose reassembly a stranger evicts still
 * ends, committed; a forged copy on one replica neither wins a get nor
 * breaks it, and copies that are all forged read as a bad signature; a put
 * places at most per_subnet copies in one /24, its origin counted; a put
 * spreads its copies over as many /24s as the nodes near the key offer,
 * a spare keeps them spread, and a get reads and repairs the same nodes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "op.h"
#include "vmsg.h"
#include "store_dir.h"

#define NODES		6
#define BASE_PORT	46410
#define TIMEOUT_MS	300

enum behaviour {
	NORMAL,
	NO_DAEMON,	/* answers every value request with ERROR UNAVAILABLE */
	PART0_ONLY,	/* answers FIND_VALUE for part 0 only, then falls silent */
	SLOW_PART0,	/* answers FIND_VALUE for part 0 late, the others at once */
	JAMMED,		/* before a record's last part, strangers fill its reassembly slots */
};

#define SLOW_MS		100

/* A request held back by a SLOW_PART0 node. */
struct held_msg {
	uv_timer_t timer;
	struct tnode *node;
	struct kdd_msg m;
	uint8_t body[KDHT_MAX_BODY];
};

struct tnode {
	struct kdd_backend *b;
	struct kdd_store *store;
	struct kdd_serve serve;
	struct kdd_op_engine *op;
	struct kd_id id;
	char dir[64];
	enum behaviour behaviour;
	unsigned int finds_dropped;
	unsigned int jams;	/* JAMMED: times the slots were filled */
};

static uv_loop_t loop;
static uv_check_t commit;
static struct tnode nodes[NODES];
static unsigned int per_subnet;	/* the op engines' limit; 0 but in the subnet tests */
static const char *bind4[NODES];	/* node i's address; NULL: 127.0.0.1 */

/* Record names and their keys: see make_key(). */
static struct {
	char name[32];
	struct kd_id key;
} named[32];

static uint64_t wall(void)
{
	return (uint64_t)time(NULL);
}

static void on_commit(uv_check_t *h)
{
	unsigned int i;

	for (i = 0; i < NODES; i++)
		if (nodes[i].store)
			kdd_serve_flush(&nodes[i].serve, wall());
}

static void on_held_closed(uv_handle_t *h)
{
	free(h->data);
}

static void on_held(uv_timer_t *t)
{
	struct held_msg *h = t->data;

	kdd_serve_handle(&h->node->serve, &h->m, uv_hrtime() / 1000000, wall());
	uv_close((uv_handle_t *)t, on_held_closed);
}

static void hold(struct tnode *n, const struct kdd_msg *m)
{
	struct held_msg *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	h->node = n;
	h->m = *m;
	memcpy(h->body, m->body, m->body_len);
	h->m.body = h->body;
	assert_int_equal(uv_timer_init(&loop, &h->timer), 0);
	h->timer.data = h;
	assert_int_equal(uv_timer_start(&h->timer, on_held, SLOW_MS, 0), 0);
}

/* KDD_MAX_PARTIALS part-0 STOREs of random keys from strangers: every slot taken. */
static void jam(struct tnode *n, const struct kdd_msg *real)
{
	static uint8_t data[KDD_PART_LEN];
	uint8_t body[KDHT_MAX_BODY];
	struct kdd_msg m = *real;
	struct kdd_part p;
	unsigned int i;

	memset(&p, 0, sizeof(p));
	p.total_len = 2 * KDD_PART_LEN;
	p.parts = 2;
	p.len = KDD_PART_LEN;
	p.data = data;
	p.ttl_s = 60;
	for (i = 0; i < KDD_MAX_PARTIALS; i++) {
		/* As many strangers as slots: none is over its share. */
		m.from.port = (uint16_t)(real->from.port + 1000 + i);
		randombytes_buf(p.key.b, KDHT_ID_LEN);
		m.body_len = kdd_vmsg_encode_store(body, sizeof(body), &p);
		assert_true(m.body_len > 0);
		m.body = body;
		kdd_serve_handle(&n->serve, &m, uv_hrtime() / 1000000, wall());
	}
	n->jams++;
}

static void on_recv(void *ctx, const struct kdd_msg *m)
{
	struct tnode *n = ctx;
	struct kdd_find f;

	if (m->hdr.flags & KDHT_F_REPLY) {
		kdd_op_on_reply(n->op, m);
		return;
	}
	if (n->behaviour == NO_DAEMON) {
		uint8_t body[KDHT_ERROR_LEN] = { 0, KDHT_ERR_UNAVAILABLE };

		n->b->ops->send(n->b, &m->from, KDHT_MSG_ERROR, KDHT_F_REPLY, m->hdr.txid, body,
				sizeof(body), 0, NULL);
		return;
	}
	if (n->behaviour == PART0_ONLY && m->hdr.type == KDHT_MSG_FIND_VALUE &&
	    kdd_vmsg_decode_find(m->body, m->body_len, &f) == 0 && f.part > 0) {
		n->finds_dropped++;
		return;
	}
	if (n->behaviour == SLOW_PART0 && m->hdr.type == KDHT_MSG_FIND_VALUE &&
	    kdd_vmsg_decode_find(m->body, m->body_len, &f) == 0 && f.part == 0) {
		hold(n, m);
		return;
	}
	if (n->behaviour == JAMMED && n->jams == 0 && m->hdr.type == KDHT_MSG_STORE) {
		struct kdd_part p;
		void *keep;

		if (kdd_vmsg_decode_store(m->body, m->body_len, &p, &keep) == 0) {
			if (p.parts > 1 && p.part == p.parts - 1)
				jam(n, m);
			kdd_vmsg_free_store(keep);
		}
	}
	kdd_serve_handle(&n->serve, m, uv_hrtime() / 1000000, wall());
}

static void node_open(unsigned int i)
{
	struct kdd_user_backend_params p = { .bind4 = bind4[i] ? bind4[i] : "127.0.0.1",
					     .bind6 = "" };
	struct kdd_op_params cp = {
		.r = 3, .w = 2, .default_ttl_s = 3600, .timeout_ms = TIMEOUT_MS, .retries = 1,
		.max_value = KDD_MAX_VALUE, .per_subnet = per_subnet,
	};
	struct kdd_backend_host host = { .recv = on_recv };
	struct kdd_store_params sp;
	struct tnode *n = &nodes[i];
	const char *msg;

	strcpy(n->dir, "/tmp/kdd-test-op-XXXXXX");
	assert_non_null(mkdtemp(n->dir));
	kdd_store_params_default(&sp);
	assert_int_equal(kdd_store_open(&n->store, n->dir, &sp, &msg), 0);
	kd_params_default(&p.core);
	/* Nodes share a /24 of 127/8: lift the per-subnet diversity limits. */
	p.core.subnet_per_bucket = p.core.k;
	p.core.result_per_subnet = p.core.k;
	p.core.subnet_per_table = 64;
	p.core.rl_rate = 100000;
	p.core.rl_burst = 100000;
	p.port = (uint16_t)(BASE_PORT + i);
	host.ctx = n;
	assert_int_equal(kdd_user_backend_create(&n->b, &loop, &p, &n->id, &host, &msg), 0);
	assert_int_equal(kdd_serve_init(&n->serve, n->store, n->b, KDD_MAX_VALUE), 0);
	assert_int_equal(kdd_op_create(&n->op, &loop, n->b, &n->serve, &cp), 0);
}

/* Stops node i's I/O; node_close frees it after a loop turn. */
static void node_stop(unsigned int i)
{
	kdd_op_stop(nodes[i].op);
	nodes[i].b->ops->stop(nodes[i].b);
}

static void node_free(unsigned int i)
{
	struct tnode *n = &nodes[i];

	kdd_op_destroy(n->op);
	n->b->ops->destroy(n->b);
	kdd_serve_fini(&n->serve);
	kdd_store_close(n->store);
	n->store = NULL;
	store_dir_remove(n->dir);
}

static void run_ms(unsigned int ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000;

	while (uv_hrtime() < end)
		uv_run(&loop, UV_RUN_NOWAIT);
}

static void run_until(const int *flag, unsigned int ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000;

	while (!*flag && uv_hrtime() < end)
		uv_run(&loop, UV_RUN_ONCE);
}

static int setup(void **state)
{
	struct kd_addr a;
	unsigned int i, known;
	char text[32];
	uint64_t end;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(uv_check_init(&loop, &commit), 0);
	assert_int_equal(uv_check_start(&commit, on_commit), 0);
	memset(named, 0, sizeof(named));
	for (i = 0; i < NODES; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		memset(nodes[i].id.b, 0x10 * (i + 1), KDHT_ID_LEN);
		node_open(i);
	}
	snprintf(text, sizeof(text), "%s:%d", bind4[0] ? bind4[0] : "127.0.0.1", BASE_PORT);
	assert_int_equal(kd_addr_parse(&a, text, 0), 0);
	for (i = 1; i < NODES; i++)
		assert_int_equal(nodes[i].b->ops->bootstrap(nodes[i].b, &a), 0);
	end = uv_hrtime() + 10ull * 1000000000;
	do {
		struct kd_node out[NODES];

		uv_run(&loop, UV_RUN_ONCE);
		for (i = 0, known = 0; i < NODES; i++)
			known += nodes[i].b->ops->routes(nodes[i].b, out, NULL, NODES) == NODES - 1;
	} while (known < NODES && uv_hrtime() < end);
	assert_int_equal(known, NODES);
	return 0;
}

static int teardown(void **state)
{
	unsigned int i;

	for (i = 0; i < NODES; i++)
		node_stop(i);
	uv_close((uv_handle_t *)&commit, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (i = 0; i < NODES; i++)
		node_free(i);
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

/* ---- one operation at a time ---- */

static struct {
	int done, status;
	struct kdd_op_info info;
	uint8_t value[KDD_MAX_VALUE];
	uint32_t len;
} res;

static void on_put(void *arg, int status, const char *why, const struct kdd_op_info *info)
{
	res.done = 1;
	res.status = status;
	res.info = *info;
}

static void on_get(void *arg, int status, const struct kdd_record *rec,
		   const struct kdd_op_info *info)
{
	res.done = 1;
	res.status = status;
	res.info = *info;
	res.len = 0;
	if (status == 0) {
		memcpy(res.value, rec->value, rec->len);
		res.len = rec->len;
	}
}

/*
 * The tests name their records; a record's key derives from it (a content
 * key, or its owner's and name's), so the key a name stands for is
 * remembered at its first put. A name never put stands for its own hash.
 */

static bool find_key(struct kd_id *k, const char *name)
{
	unsigned int i;

	for (i = 0; i < 32 && named[i].name[0]; i++) {
		if (strcmp(named[i].name, name) == 0) {
			*k = named[i].key;
			return true;
		}
	}
	return false;
}

static void remember_key(const char *name, const struct kd_id *k)
{
	unsigned int i;

	for (i = 0; i < 32 && named[i].name[0]; i++)
		if (strcmp(named[i].name, name) == 0)
			return;
	assert_true(i < 32);
	snprintf(named[i].name, sizeof(named[i].name), "%s", name);
	named[i].key = *k;
}

static void make_key(struct kd_id *k, const char *text)
{
	if (!find_key(k, text))
		crypto_generichash(k->b, KDHT_ID_LEN, (const uint8_t *)text, strlen(text), NULL,
				   0);
}

/*
 * Puts len bytes as an immutable record named key: under their content key,
 * or under the key of key's first put (other bytes there: a squat).
 */
static int put(unsigned int from, const char *key, const uint8_t *value, uint32_t len)
{
	struct kdd_record rec;

	memset(&rec, 0, sizeof(rec));
	kdd_key_of_content(&rec.key, value, len);
	remember_key(key, &rec.key);
	make_key(&rec.key, key);
	rec.value = value;
	rec.len = len;
	memset(&res, 0, sizeof(res));
	assert_int_equal(kdd_op_put(nodes[from].op, &rec, 0, on_put, NULL), 0);
	run_until(&res.done, 5000);
	assert_true(res.done);
	return res.status;
}

static int get(unsigned int from, const char *key)
{
	struct kd_id k;

	make_key(&k, key);
	memset(&res, 0, sizeof(res));
	assert_int_equal(kdd_op_get(nodes[from].op, &k, on_get, NULL), 0);
	run_until(&res.done, 5000);
	assert_true(res.done);
	return res.status;
}

/* How many nodes' stores hold key now. */
static unsigned int copies(const char *key)
{
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_record rec;
	unsigned int i, n = 0;
	struct kd_id k;

	make_key(&k, key);
	for (i = 0; i < NODES; i++)
		n += kdd_store_get(nodes[i].store, &k, wall(), &rec, buf, sizeof(buf)) == 0;
	return n;
}

/* Value requests node i's client has sent so far. */
static uint64_t requests_sent(unsigned int i)
{
	struct kdd_counter cs[32];
	unsigned int n, j;

	n = kdd_op_counters(nodes[i].op, cs, 32);
	for (j = 0; j < n; j++)
		if (strcmp(cs[j].name, "value_requests") == 0)
			return cs[j].value;
	fail_msg("no value_requests counter");
	return 0;
}

static void fill(uint8_t *b, uint32_t len, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static void values_come_back_whole_from_any_node(void **state)
{
	static uint8_t big[30500];
	unsigned int i;

	assert_int_equal(put(0, "small", (const uint8_t *)"hello", 5), 0);
	assert_true(res.info.acks >= 2);
	run_ms(200);
	assert_int_equal(copies("small"), 3);
	for (i = 0; i < NODES; i++) {
		uint64_t sent = requests_sent(i);

		assert_int_equal(get(i, "small"), 0);
		assert_int_equal(res.len, 5);
		assert_memory_equal(res.value, "hello", 5);
		/* A one-part value costs one request per replica asked, no second round. */
		run_ms(50);
		assert_int_equal(requests_sent(i) - sent, res.info.asked);
	}

	fill(big, sizeof(big), 3);
	assert_int_equal(put(2, "big", big, sizeof(big)), 0);
	run_ms(200);
	assert_int_equal(copies("big"), 3);
	assert_int_equal(get(5, "big"), 0);
	assert_int_equal(res.len, sizeof(big));
	assert_memory_equal(res.value, big, sizeof(big));

	assert_int_equal(get(1, "never stored"), -ENOENT);
}

static void a_node_without_daemon_is_replaced(void **state)
{
	unsigned int i;
	char key[32];
	uint64_t t0;

	for (i = 0; i < NODES; i++)
		nodes[i].behaviour = i == 1 || i == 4 ? NO_DAEMON : NORMAL;
	/* Whichever nodes a key's replicas are, the put lands on three that store. */
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "key-%u", i);
		t0 = uv_hrtime();
		assert_int_equal(put(0, key, (const uint8_t *)key, (uint32_t)strlen(key)), 0);
		/* An ERROR is an answer: no waiting for a timeout. */
		assert_true(uv_hrtime() - t0 < (uint64_t)TIMEOUT_MS * 1000000);
		run_ms(100);
		assert_int_equal(copies(key), 3);
		assert_int_equal(get(3, key), 0);
		assert_memory_equal(res.value, key, strlen(key));
	}
}

static bool holds(unsigned int i, const char *key)
{
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_record rec;
	struct kd_id k;

	make_key(&k, key);
	return kdd_store_get(nodes[i].store, &k, wall(), &rec, buf, sizeof(buf)) == 0;
}

static void a_source_falling_silent_is_replaced(void **state)
{
	static uint8_t big[12345];
	unsigned int i, reader = NODES, dropped = 0;
	bool slow_set = false;

	fill(big, sizeof(big), 9);
	assert_int_equal(put(0, "switch", big, sizeof(big)), 0);
	run_ms(200);
	assert_int_equal(copies("switch"), 3);
	/*
	 * Two replicas answer part 0 and then fall silent; the third answers
	 * part 0 last: the get first reads from a silent one and must move on.
	 */
	for (i = 0; i < NODES; i++) {
		if (!holds(i, "switch")) {
			reader = reader == NODES ? i : reader;
			continue;
		}
		nodes[i].behaviour = slow_set ? PART0_ONLY : SLOW_PART0;
		slow_set = true;
	}
	assert_true(reader < NODES);
	assert_int_equal(get(reader, "switch"), 0);
	assert_int_equal(res.len, sizeof(big));
	assert_memory_equal(res.value, big, sizeof(big));
	for (i = 0; i < NODES; i++)
		dropped += nodes[i].finds_dropped;
	assert_true(dropped > 0);
}

/* Node i loses its disk: the same node, its store empty. */
static void restart_empty(unsigned int i)
{
	struct kd_id id = nodes[i].id;

	node_stop(i);
	run_ms(50);
	node_free(i);
	nodes[i].id = id;
	node_open(i);
}

static void a_lost_copy_is_repaired_by_a_get(void **state)
{
	unsigned int i, lost = NODES;
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_record rec;
	struct kd_id k;

	assert_int_equal(put(0, "repair", (const uint8_t *)"again", 5), 0);
	run_ms(200);
	assert_int_equal(copies("repair"), 3);
	/* A replica other than the reader loses its disk: same node, empty store. */
	make_key(&k, "repair");
	for (i = 1; i < NODES && lost == NODES; i++)
		if (kdd_store_get(nodes[i].store, &k, wall(), &rec, buf, sizeof(buf)) == 0)
			lost = i;
	assert_true(lost < NODES);
	restart_empty(lost);
	assert_int_equal(copies("repair"), 2);
	assert_int_equal(get(0, "repair"), 0);
	run_ms(300);
	assert_int_equal(copies("repair"), 3);
}

/* Nodes whose store holds key with exactly these bytes / with any value. */
static void count_values(const char *key, const char *want, unsigned int *same,
			 unsigned int *any)
{
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_record rec;
	unsigned int i;
	struct kd_id k;

	make_key(&k, key);
	*same = *any = 0;
	for (i = 0; i < NODES; i++) {
		if (kdd_store_get(nodes[i].store, &k, wall(), &rec, buf, sizeof(buf)))
			continue;
		(*any)++;
		*same += rec.len == strlen(want) && memcmp(rec.value, want, rec.len) == 0;
	}
}

static void an_immutable_key_keeps_its_first_value(void **state)
{
	unsigned int i, holder = NODES, same, any;
	uint64_t sent;

	assert_int_equal(put(0, "first", (const uint8_t *)"one", 3), 0);
	run_ms(200);
	for (i = 1; i < NODES && holder == NODES; i++)
		if (holds(i, "first"))
			holder = i;
	assert_true(holder < NODES);
	/* From a replica: refused there and then, nobody else is asked. */
	sent = requests_sent(holder);
	assert_int_not_equal(put(holder, "first", (const uint8_t *)"two", 3), 0);
	assert_int_equal(res.info.acks, 0);
	assert_int_equal(requests_sent(holder), sent);
	/* From a node that is not: the replicas refuse, no node takes the bytes. */
	for (i = 0; i < NODES; i++)
		if (!holds(i, "first"))
			break;
	assert_true(i < NODES);
	assert_int_not_equal(put(i, "first", (const uint8_t *)"two", 3), 0);
	run_ms(200);
	count_values("first", "one", &same, &any);
	assert_int_equal(same, 3);
	assert_int_equal(any, 3);
	assert_int_equal(get(i, "first"), 0);
	assert_memory_equal(res.value, "one", 3);
}

/* Node i's client counter called name. */
static uint64_t counter(unsigned int i, const char *name)
{
	struct kdd_counter cs[32];
	unsigned int n, j;

	n = kdd_op_counters(nodes[i].op, cs, 32);
	for (j = 0; j < n; j++)
		if (strcmp(cs[j].name, name) == 0)
			return cs[j].value;
	fail_msg("no counter %s", name);
	return 0;
}

/* Every operation of every node ended, none by the stall check. */
static void assert_all_ended(void)
{
	unsigned int i;

	for (i = 0; i < NODES; i++) {
		assert_int_equal(kdd_op_room(nodes[i].op), KDD_OP_MAX);
		assert_int_equal(counter(i, "ops_stalled"), 0);
	}
}

static void a_put_outlives_an_evicted_reassembly(void **state)
{
	static uint8_t big[2500];
	unsigned int i, jams = 0;

	for (i = 0; i < NODES; i++)
		nodes[i].behaviour = JAMMED;
	fill(big, sizeof(big), 5);
	assert_int_equal(put(0, "jammed", big, sizeof(big)), 0);
	run_ms(300);
	for (i = 0; i < NODES; i++)
		jams += nodes[i].jams;
	assert_true(jams >= 2);
	assert_true(counter(0, "parts_resent") >= 2);
	assert_int_equal(copies("jammed"), 3);
	assert_int_equal(get(4, "jammed"), 0);
	assert_int_equal(res.len, sizeof(big));
	assert_memory_equal(res.value, big, sizeof(big));
	run_ms(100);
	assert_all_ended();
}

static void other_bytes_under_a_held_immutable_key_fail(void **state)
{
	static uint8_t one[2500], two[2500];
	unsigned int i, j, same = 0;
	static uint8_t buf[KDD_MAX_VALUE];
	struct kdd_record rec;
	struct kd_id k;

	fill(one, sizeof(one), 1);
	memcpy(two, one, sizeof(two));
	two[sizeof(two) - 1] ^= 0xff;	/* only the last part differs */
	assert_int_equal(put(0, "held", one, sizeof(one)), 0);
	run_ms(200);
	for (i = 1; i < NODES; i++) {
		assert_int_not_equal(put(i, "held", two, sizeof(two)), 0);
		run_ms(50);
	}
	make_key(&k, "held");
	for (j = 0; j < NODES; j++)
		same += kdd_store_get(nodes[j].store, &k, wall(), &rec, buf, sizeof(buf)) == 0 &&
			rec.len == sizeof(one) && memcmp(rec.value, one, sizeof(one)) == 0;
	assert_int_equal(same, 3);
	assert_int_equal(copies("held"), 3);
	assert_int_equal(get(5, "held"), 0);
	assert_memory_equal(res.value, one, sizeof(one));
	run_ms(200);
	assert_all_ended();
}

static uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];

/* rec: key, len bytes at seq, mutable, published and validly signed by pk. */
static void signed_record(struct kdd_record *rec, const char *key, uint64_t seq,
			  const uint8_t *value, uint32_t len)
{
	memset(rec, 0, sizeof(*rec));
	rec->name_len = (uint8_t)strlen(key);
	memcpy(rec->name, key, rec->name_len);
	kdd_key_of_name(&rec->key, pk, rec->name, rec->name_len);
	remember_key(key, &rec->key);
	rec->value = value;
	rec->len = len;
	rec->seq = seq;
	rec->is_mutable = true;
	rec->has_sig = true;
	memcpy(rec->publisher.b, pk, KDHT_ID_LEN);
	kdd_record_sign(&rec->key, seq, true, value, len, sk, rec->sig);
}

static int put_signed(unsigned int from, const char *key, uint64_t seq, const uint8_t *value,
		      uint32_t len)
{
	struct kdd_record rec;

	signed_record(&rec, key, seq, value, len);
	memset(&res, 0, sizeof(res));
	assert_int_equal(kdd_op_put(nodes[from].op, &rec, 0, on_put, NULL), 0);
	run_until(&res.done, 5000);
	assert_true(res.done);
	return res.status;
}

/* Replaces key on node i's store with len bytes at seq under a signature that fails. */
static void forge(unsigned int i, const char *key, uint64_t seq, uint32_t len)
{
	static uint8_t evil[KDD_MAX_VALUE];
	struct kdd_record rec;

	memset(evil, 'x', len);
	signed_record(&rec, key, seq, evil, len);
	randombytes_buf(rec.sig, KDD_SIG_LEN);
	assert_int_equal(kdd_store_put(nodes[i].store, &rec, 3600, wall()), 0);
}

/*
 * Puts on node i's store, under key's name as pk owns it, a validly signed
 * record of another writer at seq: a squat a storing node would refuse.
 */
static void squat(unsigned int i, const char *key, uint64_t seq)
{
	uint8_t other_pk[crypto_sign_PUBLICKEYBYTES], other_sk[crypto_sign_SECRETKEYBYTES];
	struct kdd_record rec;

	crypto_sign_keypair(other_pk, other_sk);
	signed_record(&rec, key, seq, (const uint8_t *)"squatter", 8);
	memcpy(rec.publisher.b, other_pk, KDHT_ID_LEN);
	kdd_record_sign(&rec.key, seq, true, rec.value, rec.len, other_sk, rec.sig);
	assert_int_equal(kdd_store_put(nodes[i].store, &rec, 3600, wall()), 0);
}

/* The first node that does not hold key. */
static unsigned int a_reader(const char *key)
{
	unsigned int i;

	for (i = 0; i < NODES; i++)
		if (!holds(i, key))
			return i;
	fail_msg("every node holds %s", key);
	return 0;
}

static void a_forged_copy_neither_wins_nor_breaks_a_get(void **state)
{
	static const char *const keys[] = { "mutable-short", "mutable-long" };
	static uint8_t good[2500];
	unsigned int i, k, forged, reader;
	uint32_t len;

	crypto_sign_keypair(pk, sk);
	fill(good, sizeof(good), 7);
	for (k = 0; k < 2; k++) {
		len = k ? sizeof(good) : 40;
		assert_int_equal(put_signed(0, keys[k], 5, good, len), 0);
		run_ms(200);
		assert_int_equal(copies(keys[k]), 3);
		/* One replica other than the writer holds a newer copy that does not verify. */
		for (i = 1, forged = NODES; i < NODES && forged == NODES; i++)
			if (holds(i, keys[k]))
				forged = i;
		assert_true(forged < NODES);
		forge(forged, keys[k], 100, len);
		reader = a_reader(keys[k]);
		assert_int_equal(get(reader, keys[k]), 0);
		assert_int_equal(res.len, len);
		assert_memory_equal(res.value, good, len);
		run_ms(100);
		assert_true(counter(reader, "copies_unverified") >= 1);
	}
	/* Every copy forged: a bad signature, said as such, not a timeout. */
	for (i = 0; i < NODES; i++)
		if (holds(i, keys[0]))
			forge(i, keys[0], 200, 40);
	assert_int_equal(get(a_reader(keys[0]), keys[0]), -EPERM);
	run_ms(100);
	assert_all_ended();
}

/* A getter checks the key's derivation: another writer's copy is not believed. */
static void a_squatted_copy_is_not_believed(void **state)
{
	unsigned int i, reader;

	crypto_sign_keypair(pk, sk);
	assert_int_equal(put_signed(0, "alice", 3, (const uint8_t *)"chat.example", 12), 0);
	run_ms(200);
	for (i = 1; i < NODES; i++)
		if (holds(i, "alice")) {
			squat(i, "alice", 100);
			break;
		}
	assert_true(i < NODES);
	reader = a_reader("alice");
	assert_int_equal(get(reader, "alice"), 0);
	assert_int_equal(res.len, 12);
	assert_memory_equal(res.value, "chat.example", 12);
	run_ms(100);
	assert_true(counter(reader, "copies_unverified") >= 1);
	/* Every copy squatted: a key that does not derive, said as such. */
	for (i = 0; i < NODES; i++)
		if (holds(i, "alice"))
			squat(i, "alice", 200);
	assert_int_equal(get(a_reader("alice"), "alice"), -EKEYREJECTED);
	run_ms(100);
}

static int setup_one_subnet(void **state)
{
	per_subnet = 2;
	return setup(state);
}

static int setup_one_subnet_limit_r(void **state)
{
	per_subnet = 3;
	return setup(state);
}

static int teardown_subnets(void **state)
{
	per_subnet = 0;
	memset(bind4, 0, sizeof(bind4));
	return teardown(state);
}

/*
 * Every node is on 127.0.0.1, one /24: a put (r = 3) from each node leaves
 * want copies, this node counted when it is a replica, and still want when
 * replicas fail and are replaced.
 */
static void put_from_each_leaves(unsigned int want)
{
	unsigned int i;
	char key[32];

	for (i = 0; i < NODES; i++) {
		snprintf(key, sizeof(key), "subnet-%u", i);
		assert_int_equal(put(i, key, (const uint8_t *)key, (uint32_t)strlen(key)), 0);
		run_ms(100);
		assert_int_equal(copies(key), want);
	}
	for (i = 0; i < NODES; i++)
		nodes[i].behaviour = i == 1 || i == 4 ? NO_DAEMON : NORMAL;
	for (i = 0; i < NODES; i++) {
		snprintf(key, sizeof(key), "subnet-failing-%u", i);
		assert_int_equal(put(i % 2 ? 3 : 0, key, (const uint8_t *)key,
				     (uint32_t)strlen(key)), 0);
		run_ms(100);
		assert_int_equal(copies(key), want);
	}
	assert_all_ended();
}

/*
 * Puts key from node 0, then leaves its only copy on a node the put did not
 * choose (outside the set), every other copy gone with its holder's disk.
 * Returns that node; *asker: another node the put did not choose.
 */
static unsigned int only_copy_outside_the_set(const char *key, unsigned int *asker)
{
	static uint8_t buf[KDD_MAX_VALUE];
	unsigned int i, holder = NODES, keeper = NODES;
	bool held[NODES];
	struct kdd_record rec;
	struct kd_id k;

	assert_int_equal(put(0, key, (const uint8_t *)"beyond", 6), 0);
	run_ms(200);
	*asker = NODES;
	for (i = 0; i < NODES; i++) {
		held[i] = holds(i, key);
		if (held[i])
			holder = i;
		else if (keeper == NODES)
			keeper = i;
		else if (*asker == NODES)
			*asker = i;
	}
	assert_true(holder < NODES && keeper < NODES && *asker < NODES);
	make_key(&k, key);
	assert_int_equal(kdd_store_get(nodes[holder].store, &k, wall(), &rec, buf, sizeof(buf)), 0);
	assert_int_equal(kdd_store_put(nodes[keeper].store, &rec, 3600, wall()), 0);
	for (i = 0; i < NODES; i++)
		if (held[i])
			restart_empty(i);
	assert_int_equal(copies(key), 1);
	return keeper;
}

/* A get of key from node `from` returns the lone copy, and repairs the set. */
static void get_finds_the_lone_copy(const char *key, unsigned int from)
{
	assert_int_equal(get(from, key), 0);
	assert_int_equal(res.len, 6);
	assert_memory_equal(res.value, "beyond", 6);
	run_ms(300);
	assert_true(copies(key) >= 3);
	assert_all_ended();
}

/*
 * A get whose set holds nothing asks the candidates just past it, where a
 * put whose lookup met other nodes left the copies; the set is repaired.
 */
static void a_get_finds_copies_just_past_its_set(void **state)
{
	unsigned int asker;

	(void)state;
	only_copy_outside_the_set("past", &asker);
	get_finds_the_lone_copy("past", asker);
}

/* Past the set, this node's own copy answers at once, and the get ends with it. */
static void a_get_finds_its_own_copy_past_its_set(void **state)
{
	unsigned int keeper, asker;

	(void)state;
	keeper = only_copy_outside_the_set("own", &asker);
	get_finds_the_lone_copy("own", keeper);
}

/* An idle node sleeps: the retransmission tick runs only while an operation does. */
static void the_tick_runs_only_while_an_operation_does(void **state)
{
	uint64_t end;
	unsigned int i;

	for (i = 0; i < NODES; i++)
		assert_false(kdd_op_ticking(nodes[i].op));
	assert_int_equal(put(0, "tick", (const uint8_t *)"tock", 4), 0);
	/* The put goes on to the replicas beyond w after it reported. */
	end = uv_hrtime() + 5000ull * 1000000;
	while (kdd_op_ticking(nodes[0].op) && uv_hrtime() < end)
		uv_run(&loop, UV_RUN_ONCE);
	for (i = 0; i < NODES; i++)
		assert_false(kdd_op_ticking(nodes[i].op));
	assert_int_equal(get(3, "tick"), 0);
	assert_memory_equal(res.value, "tock", 4);
}

/* A limit of 2 per subnet: 2 copies of 3 on one /24. */
static void a_put_takes_two_copies_per_subnet(void **state)
{
	put_from_each_leaves(2);
}

/* A limit of r per subnet: one /24 is all there is, and it takes every copy. */
static void a_put_on_one_subnet_takes_r_copies_when_the_limit_allows(void **state)
{
	put_from_each_leaves(3);
}

/*
 * Three /24s of 127/8: A (127.0.1.1) holds nodes 0, 1 and 5, B
 * (127.0.2.1) nodes 2 and 4, C (127.0.3.1) node 3. Node ids are 0x10 *
 * (i + 1) in every byte, so a key whose first byte is below 0x10 has them
 * at distances in node order: the two closest share A.
 */
static const char *const spread_subnet[NODES] = {
	"127.0.1.1", "127.0.1.1", "127.0.2.1", "127.0.3.1", "127.0.2.1", "127.0.1.1",
};

static int setup_three_subnets(void **state)
{
	memcpy(bind4, spread_subnet, sizeof(bind4));
	per_subnet = 2;
	return setup(state);
}

/*
 * Node from puts a value named prefix-N whose content key's first byte is
 * below 0x10, and the copies settle; the value is left in value.
 */
static void put_near_node_0(unsigned int from, char *value, size_t size, const char *prefix)
{
	struct kd_id k;
	unsigned int n;

	for (n = 0; n < 4096; n++) {
		snprintf(value, size, "%s-%u", prefix, n);
		kdd_key_of_content(&k, (const uint8_t *)value, (uint32_t)strlen(value));
		if (k.b[0] < 0x10)
			break;
	}
	assert_true(n < 4096);
	assert_int_equal(put(from, value, (const uint8_t *)value, (uint32_t)strlen(value)), 0);
	run_ms(100);
}

/* How many /24s the nodes holding key are on. */
static unsigned int subnets_holding(const char *key)
{
	const char *seen[NODES];
	unsigned int i, j, n = 0;

	for (i = 0; i < NODES; i++) {
		if (!holds(i, key))
			continue;
		for (j = 0; j < n && strcmp(seen[j], bind4[i]) != 0; j++)
			;
		if (j == n)
			seen[n++] = bind4[i];
	}
	return n;
}

/*
 * The closest two share A: the put takes 0 (A), 2 (B) and 3 (C), whoever
 * puts; node 1, a replica by distance, is counted on A by its address.
 */
static void a_put_spreads_over_subnets(void **state)
{
	static const unsigned int putters[] = { 5, 1, 3 };
	unsigned int i;
	char v[32];

	for (i = 0; i < sizeof(putters) / sizeof(putters[0]); i++) {
		put_near_node_0(putters[i], v, sizeof(v),
				i == 0 ? "far" : i == 1 ? "second" : "in-c");
		assert_int_equal(copies(v), 3);
		assert_int_equal(subnets_holding(v), 3);
		assert_false(holds(1, v));
	}
	assert_all_ended();
}

/*
 * A spare takes the place of a failed replica on a subnet the set lacks,
 * and a second on a subnet only once no other subnet is left.
 */
static void a_spare_keeps_the_spread(void **state)
{
	char v[32];

	nodes[2].behaviour = NO_DAEMON;
	put_near_node_0(5, v, sizeof(v), "b-fails");
	assert_int_equal(copies(v), 3);
	assert_int_equal(subnets_holding(v), 3);
	assert_true(holds(4, v));

	nodes[3].behaviour = NO_DAEMON;
	put_near_node_0(5, v, sizeof(v), "c-fails");
	assert_int_equal(copies(v), 3);
	assert_int_equal(subnets_holding(v), 2);
	assert_true(holds(0, v) && holds(1, v) && holds(4, v));
	assert_all_ended();
}

/* A get asks the nodes a put chose, and repairs the copy one of them lost. */
static void a_get_reads_and_repairs_the_spread_set(void **state)
{
	char v[32];

	put_near_node_0(5, v, sizeof(v), "repair");
	assert_true(holds(3, v));
	restart_empty(3);
	assert_int_equal(get(5, v), 0);
	assert_memory_equal(res.value, v, strlen(v));
	run_ms(300);
	assert_true(holds(3, v));
	assert_false(holds(1, v));
	assert_int_equal(subnets_holding(v), 3);
	assert_all_ended();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(values_come_back_whole_from_any_node, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_node_without_daemon_is_replaced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_source_falling_silent_is_replaced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_lost_copy_is_repaired_by_a_get, setup,
						teardown),
		cmocka_unit_test_setup_teardown(an_immutable_key_keeps_its_first_value, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_put_outlives_an_evicted_reassembly, setup,
						teardown),
		cmocka_unit_test_setup_teardown(other_bytes_under_a_held_immutable_key_fail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_squatted_copy_is_not_believed, setup, teardown),
		cmocka_unit_test_setup_teardown(a_forged_copy_neither_wins_nor_breaks_a_get, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_get_finds_copies_just_past_its_set, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_get_finds_its_own_copy_past_its_set, setup,
						teardown),
		cmocka_unit_test_setup_teardown(the_tick_runs_only_while_an_operation_does, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_put_takes_two_copies_per_subnet,
						setup_one_subnet, teardown_subnets),
		cmocka_unit_test_setup_teardown(
			a_put_on_one_subnet_takes_r_copies_when_the_limit_allows,
			setup_one_subnet_limit_r, teardown_subnets),
		cmocka_unit_test_setup_teardown(a_put_spreads_over_subnets, setup_three_subnets,
						teardown_subnets),
		cmocka_unit_test_setup_teardown(a_spare_keeps_the_spread, setup_three_subnets,
						teardown_subnets),
		cmocka_unit_test_setup_teardown(a_get_reads_and_repairs_the_spread_set,
						setup_three_subnets, teardown_subnets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
