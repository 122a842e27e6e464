// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * libkdht through its public header only, against a real kdhtd on
 * loopback (the userspace routing backend, one node storing one replica):
 * put, get, node, routes, stats, and each documented error.
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

static void start_kdhtd(struct daemon *d)
{
	char port[8];

	snprintf(port, sizeof(port), "%d", 46500 + getpid() % 400);
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

static int setup(void **state)
{
	struct daemon *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	snprintf(d->dir, sizeof(d->dir), "/tmp/kdht-lib-test.XXXXXX");
	if (!mkdtemp(d->dir))
		return -1;
	snprintf(d->sock, sizeof(d->sock), "%s/ctl.sock", d->dir);
	start_kdhtd(d);
	if (kdht_open(&d->k, d->sock))
		return -1;
	kdht_set_timeout(d->k, 10000);
	wait_ready(d);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct daemon *d = *state;
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

static void put_then_get(void **state)
{
	struct daemon *d = *state;
	struct kdht_put_opts opts = { .ttl_s = 60, .is_mutable = true };
	struct kdht_put_result res;
	uint8_t key[KDHT_KEY_LEN];
	struct kdht_value v;

	assert_int_equal(kdht_key_from_name(key, "greeting", 8), 0);
	assert_int_equal(kdht_put(d->k, key, "hello\xff", 6, &opts, &res), 0);
	assert_int_equal(res.acks, 1);
	assert_int_equal(kdht_get(d->k, key, 0, &v), 0);
	assert_int_equal(v.len, 6);
	assert_memory_equal(v.data, "hello\xff", 6);
	assert_true(v.is_mutable);
	kdht_value_free(&v);
	assert_int_equal(kdht_get(d->k, key, KDHT_GET_LOCAL, &v), 0);
	assert_int_equal(v.len, 6);
	kdht_value_free(&v);
}

static void missing_key_is_not_found(void **state)
{
	struct daemon *d = *state;
	uint8_t key[KDHT_KEY_LEN];
	struct kdht_value v;

	assert_int_equal(kdht_key_from_name(key, "no such key", 11), 0);
	assert_int_equal(kdht_get(d->k, key, 0, &v), KDHT_ENOTFOUND);
	assert_int_equal(kdht_get(d->k, key, KDHT_GET_LOCAL, &v), KDHT_ENOTFOUND);
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

static void bad_arguments(void **state)
{
	struct daemon *d = *state;
	static uint8_t big[KDHT_VALUE_MAX + 1];
	uint8_t key[KDHT_KEY_LEN] = { 1 };
	struct kdht_contact c;
	struct kdht_value v;

	assert_int_equal(kdht_put(d->k, key, big, sizeof(big), NULL, NULL), -EMSGSIZE);
	assert_int_equal(kdht_put(d->k, key, NULL, 1, NULL, NULL), -EINVAL);
	assert_int_equal(kdht_put(NULL, key, "x", 1, NULL, NULL), -EINVAL);
	assert_int_equal(kdht_get(d->k, key, 0x80, &v), -EINVAL);
	assert_int_equal(kdht_set_timeout(d->k, 0), -EINVAL);
	assert_int_equal(kdht_key_from_name(key, "", 0), -EINVAL);
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
		cmocka_unit_test(missing_key_is_not_found),
		cmocka_unit_test(node_routes_stats),
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
