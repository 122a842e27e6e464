// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The userspace routing backend over real loopback UDP: nodes find each
 * other, pings are answered, value messages reach the daemon's handler.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "backend.h"

#define NODES 4
#define BASE_PORT 46210

struct node {
	struct kdd_backend *b;
	struct kd_id id;
	int got_msgs;
	struct kdd_msg last;
	uint8_t last_body[64];
};

static uv_loop_t loop;
static struct node nodes[NODES];
static struct kdd_backend *extras[2];	/* nodes a test made of its own */
static int lookup_done, ping_done;
static unsigned int lookup_hits;
static bool ping_ok;
static struct kd_id ping_id;

static void on_recv(void *ctx, const struct kdd_msg *m)
{
	struct node *n = ctx;

	n->got_msgs++;
	n->last = *m;
	memcpy(n->last_body, m->body, KD_MIN(m->body_len, sizeof(n->last_body)));
}

static void on_lookup(void *arg, bool ok, const struct kd_lookup_hit *hits, unsigned int nhits,
		      unsigned int rounds)
{
	lookup_done++;
	lookup_hits = nhits;
}

static void on_ping(void *arg, bool ok, const struct kd_node *node, uint32_t rtt_ms)
{
	ping_done++;
	ping_ok = ok;
	ping_id = node->id;
}

static void run_until(int *flag, int want)
{
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000;

	while (*flag < want && uv_hrtime() < deadline)
		uv_run(&loop, UV_RUN_ONCE);
}

/* Runs until every node knows `want` others (or 10 s pass). */
static void run_until_known(unsigned int want)
{
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000;
	struct kd_node out[NODES];
	unsigned int i, ok;

	do {
		uv_run(&loop, UV_RUN_ONCE);
		for (i = 0, ok = 0; i < NODES; i++)
			ok += nodes[i].b->ops->routes(nodes[i].b, out, NULL, NODES) >= want;
	} while (ok < NODES && uv_hrtime() < deadline);
}

static int setup(void **state)
{
	struct kdd_user_backend_params p = { .bind4 = "127.0.0.1", .bind6 = "" };
	struct kdd_backend_host host = { .recv = on_recv };
	const char *msg;
	int i;

	assert_int_equal(uv_loop_init(&loop), 0);
	lookup_done = 0;
	ping_done = 0;
	kd_params_default(&p.core);
	/* Every node shares 127.0.0.1: lift the per-subnet diversity limits. */
	p.core.subnet_per_bucket = p.core.k;
	p.core.result_per_subnet = p.core.k;
	p.core.subnet_per_table = 64;
	for (i = 0; i < NODES; i++) {
		memset(nodes[i].id.b, 0x11 * (i + 1), KDHT_ID_LEN);
		nodes[i].id.b[31] = (uint8_t)i;
		p.port = (uint16_t)(BASE_PORT + i);
		host.ctx = &nodes[i];
		assert_int_equal(kdd_user_backend_create(&nodes[i].b, &loop, &p, &nodes[i].id,
							 &host, &msg), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	int i;

	for (i = 0; i < NODES; i++)
		nodes[i].b->ops->stop(nodes[i].b);
	for (i = 0; i < 2; i++)
		if (extras[i])
			extras[i]->ops->stop(extras[i]);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (i = 0; i < NODES; i++)
		nodes[i].b->ops->destroy(nodes[i].b);
	for (i = 0; i < 2; i++) {
		if (extras[i])
			extras[i]->ops->destroy(extras[i]);
		extras[i] = NULL;
	}
	assert_int_equal(uv_loop_close(&loop), 0);
	return 0;
}

static void bootstrap_all_to_first(void)
{
	struct kd_addr a;
	char text[32];
	int i;

	for (i = 1; i < NODES; i++) {
		snprintf(text, sizeof(text), "127.0.0.1:%d", BASE_PORT);
		assert_int_equal(kd_addr_parse(&a, text, 0), 0);
		assert_int_equal(nodes[i].b->ops->bootstrap(nodes[i].b, &a), 0);
	}
}

static void nodes_find_each_other(void **state)
{
	struct kd_addr a;
	struct kd_node out[NODES];
	int i, want = 0;

	bootstrap_all_to_first();
	/* Bootstrapping ends in a lookup of each node's own id. */
	run_until_known(NODES - 1);
	for (i = 0; i < NODES; i++)
		assert_int_equal(nodes[i].b->ops->routes(nodes[i].b, out, NULL, NODES), NODES - 1);
	for (i = 1; i < NODES; i++) {
		want++;
		assert_int_equal(nodes[i].b->ops->lookup(nodes[i].b, &nodes[0].id, on_lookup,
							 NULL), 0);
	}
	run_until(&lookup_done, want);
	assert_int_equal(lookup_done, want);
	assert_int_equal(lookup_hits, NODES - 1);
	assert_true(nodes[0].b->ops->closest(nodes[0].b, &nodes[0].id, KDHT_WANT_V4,
					     out, NODES) >= 1);

	assert_int_equal(kd_addr_parse(&a, "127.0.0.1:46213", 0), 0);
	assert_int_equal(nodes[0].b->ops->ping(nodes[0].b, &a, on_ping, NULL), 0);
	run_until(&ping_done, 1);
	assert_true(ping_ok);
	assert_memory_equal(ping_id.b, nodes[3].id.b, KDHT_ID_LEN);
}

static void value_messages_reach_the_handler(void **state)
{
	static const uint8_t body[] = { 0x0a, 0x02, 'h', 'i' };
	struct kd_addr a;
	uint32_t txid = 0;

	assert_int_equal(kd_addr_parse(&a, "127.0.0.1:46211", 0), 0);
	assert_int_equal(nodes[0].b->ops->send(nodes[0].b, &a, KDHT_MSG_FIND_VALUE, 0, 0, body,
					       sizeof(body), 0, &txid), 0);
	run_until(&nodes[1].got_msgs, 1);
	assert_int_equal(nodes[1].got_msgs, 1);
	assert_int_equal(nodes[1].last.hdr.type, KDHT_MSG_FIND_VALUE);
	assert_int_equal(nodes[1].last.hdr.txid, txid);
	assert_memory_equal(nodes[1].last.hdr.sender.b, nodes[0].id.b, KDHT_ID_LEN);
	assert_int_equal(nodes[1].last.body_len, sizeof(body));
	assert_memory_equal(nodes[1].last_body, body, sizeof(body));
	assert_int_equal(nodes[1].last.from.port, BASE_PORT);
}

static uint64_t counter_of(struct kdd_backend *b, const char *name)
{
	struct kdd_counter c[KDD_BACKEND_MAX_COUNTERS];
	unsigned int i, n = b->ops->counters(b, c, KDD_BACKEND_MAX_COUNTERS);

	for (i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return c[i].value;
	fail_msg("no counter %s", name);
	return 0;
}

/* Sends len bytes to nodes[0] from a socket of its own; returns the socket. */
static int send_raw(const void *pkt, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(BASE_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	assert_int_equal(sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
	return fd;
}

/*
 * A datagram over 1280 bytes is dropped unparsed and counted `rx_oversize`
 * (PROTOCOL.md section 7), whatever its first 1280 bytes hold.
 */
static void an_oversize_datagram_is_counted(void **state)
{
	struct kd_hdr h = { .version = KDHT_VERSION, .type = KDHT_MSG_PING, .txid = 9 };
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000;
	static uint8_t pkt[KDHT_MAX_DATAGRAM + 1];
	int fd;

	memset(h.sender.b, 0x78, KDHT_ID_LEN);
	assert_int_equal(kd_encode(pkt, sizeof(pkt), &h, NULL, 0, KDHT_MAX_DATAGRAM),
			 KDHT_MAX_DATAGRAM);
	fd = send_raw(pkt, sizeof(pkt));
	while (counter_of(nodes[0].b, "rx") == 0 && uv_hrtime() < deadline)
		uv_run(&loop, UV_RUN_ONCE);
	close(fd);
	assert_int_equal(counter_of(nodes[0].b, "rx_oversize"), 1);
	assert_int_equal(counter_of(nodes[0].b, "bad_length"), 0);
	assert_int_equal(counter_of(nodes[0].b, "trailing"), 0);
}

/*
 * A FIND_NODE from an address that proved nothing draws a NODES cut to its
 * own size, and the node counts the cut as `unvalidated`.
 */
static void a_cut_nodes_reply_is_counted(void **state)
{
	struct kd_find_node fn = { .want = KDHT_WANT_V4, .count = KDHT_MAX_NODES };
	struct kd_hdr h = { .version = KDHT_VERSION, .type = KDHT_MSG_FIND_NODE, .txid = 7 };
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000;
	uint8_t pkt[KDHT_MAX_DATAGRAM];
	ssize_t got = -1;
	size_t len;
	int fd;

	bootstrap_all_to_first();
	run_until_known(NODES - 1);
	memset(h.sender.b, 0x77, KDHT_ID_LEN);
	len = kd_encode_find_node(pkt, sizeof(pkt), &h, &fn, 0);
	fd = send_raw(pkt, len);
	while (got < 0 && uv_hrtime() < deadline) {
		uv_run(&loop, UV_RUN_NOWAIT);
		got = recv(fd, pkt, sizeof(pkt), 0);
	}
	close(fd);
	assert_int_equal(got, kd_nodes_size(0));
	assert_int_equal(counter_of(nodes[0].b, "unvalidated"), 1);
}

/* A route of a's, to the node with id `id`: its address as text, "" if none. */
static void route_to(struct kdd_backend *a, const struct kd_id *id, char *text)
{
	struct kd_node out[NODES];
	unsigned int i, n = a->ops->routes(a, out, NULL, NODES);

	text[0] = 0;
	for (i = 0; i < n; i++)
		if (kd_id_equal(&out[i].id, id))
			kd_addr_format(text, &out[i].addr);
}

/* A node of a test's own, in extras[slot]: id filled with id_byte, at port. */
static struct kdd_backend *extra_node(unsigned int slot, const char *bind4, const char *bind6,
				      uint16_t port, uint8_t id_byte)
{
	struct kdd_user_backend_params p = { .bind4 = bind4, .bind6 = bind6, .port = port };
	struct kdd_backend_host host = { .recv = on_recv };
	struct kd_id id;
	const char *msg;

	kd_params_default(&p.core);
	memset(id.b, id_byte, sizeof(id.b));
	assert_int_equal(kdd_user_backend_create(&extras[slot], &loop, &p, &id, &host, &msg), 0);
	return extras[slot];
}

/*
 * b listens on every address; a knows it as b_text, an address whose
 * route's source is another one (a's own, a_text). b answers from the
 * address a asked, or a would drop the answer as unsolicited and take b
 * for dead; and b's own requests to a leave from that address too, so a
 * keeps knowing b at one address.
 */
static void answers_from_the_address_asked(struct kdd_backend *a, const char *a_text,
					   struct kdd_backend *b, const char *b_text)
{
	struct kd_addr to_b, to_a;
	char text[KD_ADDR_STRLEN];

	assert_int_equal(kd_addr_parse(&to_b, b_text, 0), 0);
	assert_int_equal(kd_addr_parse(&to_a, a_text, 0), 0);
	assert_int_equal(a->ops->ping(a, &to_b, on_ping, NULL), 0);
	run_until(&ping_done, 1);
	assert_true(ping_ok);
	assert_memory_equal(ping_id.b, b->ops->self(b)->b, KDHT_ID_LEN);
	route_to(a, b->ops->self(b), text);
	assert_string_equal(text, b_text);

	assert_int_equal(b->ops->ping(b, &to_a, on_ping, NULL), 0);
	run_until(&ping_done, 2);
	assert_true(ping_ok);
	route_to(a, b->ops->self(b), text);
	assert_string_equal(text, b_text);
}

/* 127.0.0.2 reaches this host, but the route's source towards 127.0.0.1 is 127.0.0.1. */
static void replies_leave_from_the_address_asked(void **state)
{
	struct kdd_backend *b = extra_node(0, NULL, "", BASE_PORT + NODES, 0xbb);

	answers_from_the_address_asked(nodes[0].b, "127.0.0.1:46210", b, "127.0.0.2:46214");
}

/* An IPv6 address of this host other than ::1 and link-local, or false. */
static bool second_ipv6(char *out, size_t cap)
{
	struct ifaddrs *all, *i;
	const struct sockaddr_in6 *sin6;
	bool found = false;

	if (getifaddrs(&all))
		return false;
	for (i = all; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET6)
			continue;
		sin6 = (const struct sockaddr_in6 *)i->ifa_addr;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		    IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
			continue;
		found = inet_ntop(AF_INET6, &sin6->sin6_addr, out, (socklen_t)cap) != NULL;
	}
	freeifaddrs(all);
	return found;
}

/* The same over IPv6, where the host has an address besides ::1 (skipped otherwise). */
static void ipv6_replies_leave_from_the_address_asked(void **state)
{
	char addr[INET6_ADDRSTRLEN], b_text[KD_ADDR_STRLEN];
	struct kdd_backend *a, *b;

	if (!second_ipv6(addr, sizeof(addr)))
		skip();
	a = extra_node(0, "", "::1", BASE_PORT + NODES, 0xaa);
	b = extra_node(1, "", NULL, BASE_PORT + NODES + 1, 0xbb);
	snprintf(b_text, sizeof(b_text), "[%s]:%d", addr, BASE_PORT + NODES + 1);
	answers_from_the_address_asked(a, "[::1]:46214", b, b_text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nodes_find_each_other, setup, teardown),
		cmocka_unit_test_setup_teardown(value_messages_reach_the_handler, setup, teardown),
		cmocka_unit_test_setup_teardown(a_cut_nodes_reply_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(an_oversize_datagram_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(replies_leave_from_the_address_asked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(ipv6_replies_leave_from_the_address_asked, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
