// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libkdht through its public header only, against a real kdhtd on
 * loopback (the userspace routing backend, one node storing one replica):
 * named and immutable put and get, owners and owner key files, the
 * writer's seq (across a restart) and compare-and-swap, node, routes with
 * each contact's state, stats, and each documented error.
 *
 *   test_kdht KDHTD
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kdht.h"

static const char *kdhtd_path;

struct daemon {
	char dir[64];
	char sock[96];
	pid_t pid;
	struct kdht *k;
};

/* The first daemon's UDP port; a second one, where a test needs it, takes the next. */
static int base_port(void)
{
	return 46500 + getpid() % 400 * 2;
}

static void start_kdhtd_at(struct daemon *d, int udp_port)
{
	char port[8];

	snprintf(port, sizeof(port), "%d", udp_port);
	d->pid = fork();
	assert_true(d->pid >= 0);
	if (d->pid == 0) {
		execl(kdhtd_path, "kdhtd", "--config", "/dev/null", "--backend", "user",
		      "--state-dir", d->dir, "--socket", d->sock, "--port", port,
		      "--bind4", "127.0.0.1", "--bind6", "none", "-r", "1", "-w", "1",
		      "--log-level", "warn", (char *)NULL);
		_exit(127);
	}
}

static void start_kdhtd(struct daemon *d)
{
	start_kdhtd_at(d, base_port());
}

/* Waits (bounded) until the daemon answers. */
static void wait_ready(struct daemon *d)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	struct kdht_node n;
	int i;

	for (i = 0; i < 200; i++) {
		if (kdht_node(d->k, &n) == 0) {
			kdht_node_free(&n);
			return;
		}
		nanosleep(&pause, NULL);
	}
	fail_msg("kdhtd did not answer at %s", d->sock);
}

/* A daemon in a directory of its own, answering on udp_port; NULL on failure. */
static struct daemon *daemon_up(int udp_port)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	snprintf(d->dir, sizeof(d->dir), "/tmp/kdht-lib-test.XXXXXX");
	if (!mkdtemp(d->dir)) {
		free(d);
		return NULL;
	}
	snprintf(d->sock, sizeof(d->sock), "%s/ctl.sock", d->dir);
	start_kdhtd_at(d, udp_port);
	if (kdht_open(&d->k, d->sock))
		return NULL;
	kdht_set_timeout(d->k, 10000);
	wait_ready(d);
	return d;
}

static int daemon_down(struct daemon *d)
{
	char cmd[128];

	kdht_close(d->k);
	kill(d->pid, SIGTERM);
	waitpid(d->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->dir);
	if (system(cmd) != 0)
		return -1;
	free(d);
	return 0;
}

static int setup(void **state)
{
	*state = daemon_up(base_port());
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	return daemon_down(*state);
}

/* kdhtd's owner public key, as kdht_node() reports it. */
static void daemon_owner(struct daemon *d, uint8_t owner[KDHT_PUBLIC_KEY_LEN])
{
	struct kdht_node n;

	assert_int_equal(kdht_node(d->k, &n), 0);
	memcpy(owner, n.owner, KDHT_PUBLIC_KEY_LEN);
	kdht_node_free(&n);
}

/* Gets name of owner (NULL: kdhtd's) and checks its bytes and seq. */
static void expect_record(struct daemon *d, const char *name, const uint8_t *owner,
			 const char *want, uint64_t want_seq)
{
	struct kdht_value v;

	assert_int_equal(kdht_get(d->k, name, strlen(name), owner, 0, &v), 0);
	assert_int_equal(v.len, strlen(want));
	assert_memory_equal(v.data, want, v.len);
	assert_int_equal(v.seq, want_seq);
	kdht_value_free(&v);
}

static void put_then_get(void **state)
{
	struct daemon *d = *state;
	struct kdht_put_opts opts = { .ttl_s = 60 };
	struct kdht_put_result res;
	uint8_t owner[KDHT_PUBLIC_KEY_LEN], key[KDHT_KEY_LEN];
	struct kdht_value v;

	daemon_owner(d, owner);
	assert_int_equal(kdht_put(d->k, "greeting", 8, "hello\xff", 6, &opts, &res), 0);
	assert_int_equal(res.acks, 1);
	assert_int_equal(res.seq, 1);
	/* The key is the owner's: BLAKE2b-256(owner || name). */
	assert_int_equal(kdht_key_of_name(key, owner, "greeting", 8), 0);
	assert_memory_equal(res.key, key, KDHT_KEY_LEN);
	assert_int_equal(kdht_get(d->k, "greeting", 8, NULL, 0, &v), 0);
	assert_int_equal(v.len, 6);
	assert_memory_equal(v.data, "hello\xff", 6);
	assert_true(v.is_mutable);
	assert_true(v.has_owner);
	assert_memory_equal(v.owner, owner, KDHT_PUBLIC_KEY_LEN);
	kdht_value_free(&v);
	assert_int_equal(kdht_get(d->k, "greeting", 8, owner, KDHT_GET_LOCAL, &v), 0);
	assert_int_equal(v.len, 6);
	kdht_value_free(&v);
	/* The writer's counter moves on: the next put replaces the first. */
	assert_int_equal(kdht_put(d->k, "greeting", 8, "hi", 2, &opts, &res), 0);
	assert_int_equal(res.seq, 2);
	expect_record(d, "greeting", NULL, "hi", 2);
}

static void immutable_under_its_content_key(void **state)
{
	struct daemon *d = *state;
	struct kdht_put_result res;
	uint8_t key[KDHT_KEY_LEN];
	struct kdht_value v;

	assert_int_equal(kdht_put_immutable(d->k, "a fixed text", 12, NULL, &res), 0);
	assert_int_equal(kdht_key_of_content(key, "a fixed text", 12), 0);
	assert_memory_equal(res.key, key, KDHT_KEY_LEN);
	assert_int_equal(res.seq, 0);
	assert_int_equal(kdht_get_key(d->k, key, 0, &v), 0);
	assert_int_equal(v.len, 12);
	assert_memory_equal(v.data, "a fixed text", 12);
	assert_false(v.is_mutable);
	assert_false(v.has_owner);
	kdht_value_free(&v);
}

static void another_owner_finds_nothing(void **state)
{
	struct daemon *d = *state;
	uint8_t stranger[KDHT_PUBLIC_KEY_LEN] = { 7 };
	struct kdht_value v;

	assert_int_equal(kdht_put(d->k, "mine", 4, "x", 1, NULL, NULL), 0);
	assert_int_equal(kdht_get(d->k, "mine", 4, stranger, 0, &v), KDHT_ENOTFOUND);
	assert_int_equal(kdht_get(d->k, "mine", 4, stranger, KDHT_GET_LOCAL, &v),
			 KDHT_ENOTFOUND);
}

static void compare_and_swap(void **state)
{
	struct daemon *d = *state;
	struct kdht_put_opts opts = { .cas = true, .cas_seq = 0 };
	struct kdht_put_result res;

	/* 0: only while no record is held. */
	assert_int_equal(kdht_put(d->k, "counter", 7, "1", 1, &opts, &res), 0);
	assert_int_equal(res.seq, 1);
	assert_int_equal(kdht_put(d->k, "counter", 7, "1", 1, &opts, &res), KDHT_EFAILED);
	assert_int_equal(res.held_seq, 1);
	assert_string_equal(kdht_last_error(d->k),
			    "put failed: held seq is 1, not 0 (0 acknowledged)");
	opts.cas_seq = 1;
	assert_int_equal(kdht_put(d->k, "counter", 7, "2", 1, &opts, &res), 0);
	assert_int_equal(res.seq, 2);
	assert_int_equal(kdht_put(d->k, "counter", 7, "2b", 2, &opts, &res), KDHT_EFAILED);
	assert_int_equal(res.held_seq, 2);
	expect_record(d, "counter", NULL, "2", 2);
}

static void owner_key_file(void **state)
{
	struct daemon *d = *state;
	uint8_t pk[KDHT_PUBLIC_KEY_LEN], sk[KDHT_SECRET_KEY_LEN], again[KDHT_PUBLIC_KEY_LEN];
	struct kdht_put_opts opts = { 0 };
	struct kdht_value v;
	char path[128];

	snprintf(path, sizeof(path), "%s/owner.key", d->dir);
	assert_int_equal(kdht_keygen(path, pk), 0);
	assert_int_equal(kdht_keygen(path, pk), -EEXIST);
	assert_int_equal(kdht_key_load(path, sk, again), 0);
	assert_memory_equal(pk, again, sizeof(pk));
	opts.owner_key = sk;
	assert_int_equal(kdht_put(d->k, "alice", 5, "chat.example:5222", 17, &opts, NULL), 0);
	expect_record(d, "alice", pk, "chat.example:5222", 1);
	/* Under the daemon's own key the name is another record. */
	assert_int_equal(kdht_get(d->k, "alice", 5, NULL, 0, &v), KDHT_ENOTFOUND);
	/* Halves that do not agree are no key. */
	sk[40] ^= 1;
	assert_int_equal(kdht_put(d->k, "alice", 5, "x", 1, &opts, NULL), -EINVAL);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(kdht_key_load(path, sk, again), -EPERM);
}

/* Stops the daemon and starts it again on the same state directory. */
static void restart(struct daemon *d)
{
	kill(d->pid, SIGTERM);
	waitpid(d->pid, NULL, 0);
	start_kdhtd(d);
	wait_ready(d);
}

static void seq_survives_a_restart(void **state)
{
	struct daemon *d = *state;
	struct kdht_put_opts opts = { .ttl_s = 1 };
	struct timespec two_s = { 2, 0 };
	struct kdht_put_result res;
	uint64_t last;

	assert_int_equal(kdht_put(d->k, "presence", 8, "on", 2, &opts, &res), 0);
	assert_int_equal(kdht_put(d->k, "presence", 8, "off", 3, &opts, &res), 0);
	last = res.seq;
	/* The record expires, the daemon restarts: only its own counter remains. */
	nanosleep(&two_s, NULL);
	restart(d);
	assert_int_equal(kdht_put(d->k, "presence", 8, "on", 2, NULL, &res), 0);
	assert_int_equal(res.seq, last + 1);
}

static void missing_key_is_not_found(void **state)
{
	struct daemon *d = *state;
	uint8_t key[KDHT_KEY_LEN];
	struct kdht_value v;

	assert_int_equal(kdht_get(d->k, "no such key", 11, NULL, 0, &v), KDHT_ENOTFOUND);
	assert_int_equal(kdht_key_of_content(key, "nothing", 7), 0);
	assert_int_equal(kdht_get_key(d->k, key, KDHT_GET_LOCAL, &v), KDHT_ENOTFOUND);
	assert_string_equal(kdht_last_error(d->k), "not held by this node");
}

static void node_routes_stats(void **state)
{
	struct daemon *d = *state;
	struct kdht_contacts routes;
	struct kdht_stats stats;
	struct kdht_node n;
	size_t i;
	bool held = false;

	assert_int_equal(kdht_node(d->k, &n), 0);
	assert_string_equal(n.backend, "user");
	assert_int_equal(n.n_addrs, 1);
	kdht_node_free(&n);
	assert_int_equal(kdht_routes(d->k, &routes), 0);
	assert_int_equal(routes.n, 0);
	kdht_contacts_free(&routes);
	assert_int_equal(kdht_stats(d->k, &stats), 0);
	for (i = 0; i < stats.n; i++)
		held |= !strcmp(stats.v[i].name, "values_held");
	assert_true(held);
	kdht_stats_free(&stats);
}

/* Leading bits two ids share: the routing table's bucket of one in the other's table. */
static unsigned int shared_bits(const uint8_t *a, const uint8_t *b)
{
	unsigned int i, bit;

	for (i = 0; i < KDHT_KEY_LEN; i++)
		for (bit = 0; bit < 8; bit++)
			if ((a[i] ^ b[i]) & (0x80u >> bit))
				return i * 8 + bit;
	return KDHT_KEY_LEN * 8;
}

/*
 * A node that answered a ping is in the routes as good, in the bucket its id
 * falls in, seen just now; the ping's own answer carries no table state.
 */
static void routes_report_state(void **state)
{
	struct daemon *d = *state, *other = daemon_up(base_port() + 1);
	struct kdht_contacts routes;
	struct kdht_contact pong;
	struct kdht_node self;
	char addr[32];

	assert_non_null(other);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", base_port() + 1);
	assert_int_equal(kdht_ping(d->k, addr, &pong), 0);
	assert_false(pong.has_state);
	assert_int_equal(kdht_node(d->k, &self), 0);
	assert_int_equal(kdht_routes(d->k, &routes), 0);
	assert_int_equal(routes.n, 1);
	assert_memory_equal(routes.v[0].id, pong.id, KDHT_KEY_LEN);
	assert_true(routes.v[0].has_state);
	assert_int_equal(routes.v[0].state, KDHT_CONTACT_GOOD);
	assert_string_equal(kdht_contact_state_name(routes.v[0].state), "good");
	assert_int_equal(routes.v[0].bucket, shared_bits(self.id, pong.id));
	/* Seen by the ping just answered: well within the request timeout. */
	assert_true(routes.v[0].last_seen_ms < 10000);
	kdht_contacts_free(&routes);
	kdht_node_free(&self);
	assert_int_equal(daemon_down(other), 0);
}

static void contact_state_names(void **state)
{
	(void)state;
	assert_string_equal(kdht_contact_state_name(KDHT_CONTACT_GOOD), "good");
	assert_string_equal(kdht_contact_state_name(KDHT_CONTACT_QUESTIONABLE),
			    "questionable");
	assert_string_equal(kdht_contact_state_name(KDHT_CONTACT_BAD), "bad");
	assert_string_equal(kdht_contact_state_name(KDHT_CONTACT_FAILED), "failed");
	assert_string_equal(kdht_contact_state_name((enum kdht_contact_state)99), "unknown");
}

static void bad_arguments(void **state)
{
	struct daemon *d = *state;
	static uint8_t big[KDHT_VALUE_MAX + 1];
	uint8_t key[KDHT_KEY_LEN] = { 1 };
	struct kdht_contact c;
	struct kdht_value v;

	struct kdht_put_opts cas = { .cas = true };

	assert_int_equal(kdht_put(d->k, "k", 1, big, sizeof(big), NULL, NULL), -EMSGSIZE);
	assert_int_equal(kdht_put(d->k, "k", 1, NULL, 1, NULL, NULL), -EINVAL);
	assert_int_equal(kdht_put(NULL, "k", 1, "x", 1, NULL, NULL), -EINVAL);
	assert_int_equal(kdht_put(d->k, big, KDHT_NAME_MAX + 1, "x", 1, NULL, NULL), -EINVAL);
	assert_int_equal(kdht_put_immutable(d->k, "x", 1, &cas, NULL), -EINVAL);
	assert_int_equal(kdht_get(d->k, "k", 1, NULL, 0x80, &v), -EINVAL);
	assert_int_equal(kdht_get_key(d->k, key, 0x80, &v), -EINVAL);
	assert_int_equal(kdht_set_timeout(d->k, 0), -EINVAL);
	assert_int_equal(kdht_key_of_name(key, key, "", 0), -EINVAL);
	/* The daemon itself refuses what is not an address. */
	assert_int_equal(kdht_ping(d->k, "not an address", &c), -EINVAL);
	assert_int_equal(kdht_bootstrap(d->k, "1.2.3.4:0"), -EINVAL);
	assert_non_null(kdht_last_error(d->k));
}

static void no_daemon(void **state)
{
	char path[200];
	struct kdht *k;
	struct kdht_node n;

	assert_int_equal(kdht_open(NULL, NULL), -EINVAL);
	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(kdht_open(&k, path), -ENAMETOOLONG);
	assert_int_equal(kdht_open(&k, "/tmp/kdht-lib-test-no-such.sock"), 0);
	assert_int_equal(kdht_node(k, &n), -ECONNREFUSED);
	assert_string_equal(kdht_strerror(-ECONNREFUSED), "daemon not running");
	assert_null(kdht_last_error(k));
	kdht_close(k);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_then_get),
		cmocka_unit_test(immutable_under_its_content_key),
		cmocka_unit_test(another_owner_finds_nothing),
		cmocka_unit_test(compare_and_swap),
		cmocka_unit_test(owner_key_file),
		cmocka_unit_test(seq_survives_a_restart),
		cmocka_unit_test(missing_key_is_not_found),
		cmocka_unit_test(node_routes_stats),
		cmocka_unit_test(routes_report_state),
		cmocka_unit_test(contact_state_names),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(no_daemon),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_kdht KDHTD\n");
		return 2;
	}
	kdhtd_path = argv[1];
	return cmocka_run_group_tests(tests, setup, teardown);
}
