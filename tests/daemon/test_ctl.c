// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The control socket as dhtctl sees it: requests reach the daemon, bad
 * requests get one clear status, a slow answer arrives on the same socket;
 * only the daemon's uid, root and the members of --group (by any of their
 * groups) may change anything; a live socket is never taken over.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_call.h"

#define MAX_VALUE 1000

struct fixture {
	char dir[64];
	char path[128];
	uv_loop_t loop;
	uv_async_t wake;
	struct kdd_ctl *ctl;
	struct kdd_ctl_req *held;	/* a request answered on the next wake */
	int requests;
	bool last_may_mutate;
};

struct client {
	struct fixture *f;
	Kdhtctl__Request *req;
	Kdhtctl__Response *resp;
	int rc;
	const uint8_t *raw;	/* when set: sent as is instead of req */
	size_t raw_len;
	gid_t extra_group;	/* other_uid_client: a supplementary group, or 0 */
	Kdhtctl__Status want;	/* other_uid_client: the put's expected status */
};

static void on_request(void *ctx, struct kdd_ctl_req *r, const Kdhtctl__Request *req,
		       bool may_mutate)
{
	struct fixture *f = ctx;
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;

	f->requests++;
	f->last_may_mutate = may_mutate;
	if (req->op_case == KDHTCTL__REQUEST__OP_GET) {
		/* Answered later, as a network get would be. */
		f->held = r;
		uv_async_send(&f->wake);
		return;
	}
	resp.status = KDHTCTL__STATUS__OK;
	if (req->op_case == KDHTCTL__REQUEST__OP_PUT) {
		resp.has_acks = true;
		resp.acks = (uint32_t)req->put->value.len;
	}
	kdd_ctl_reply(r, &resp);
}

static void on_wake(uv_async_t *a)
{
	struct fixture *f = a->data;
	Kdhtctl__Response resp = KDHTCTL__RESPONSE__INIT;

	if (!f->held)
		return;
	resp.status = KDHTCTL__STATUS__OK;
	resp.has_value = true;
	resp.value.data = (uint8_t *)"later";
	resp.value.len = 5;
	kdd_ctl_reply(f->held, &resp);
	f->held = NULL;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct kdd_ctl_params p = { .group = (gid_t)-1, .max_value = MAX_VALUE };

	assert_non_null(f);
	strcpy(f->dir, "/tmp/kdd-test-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(uv_async_init(&f->loop, &f->wake, on_wake), 0);
	f->wake.data = f;
	p.path = f->path;
	assert_int_equal(kdd_ctl_start(&f->ctl, &f->loop, &p, on_request, f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kdd_ctl_stop(f->ctl);
	uv_close((uv_handle_t *)&f->wake, NULL);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void *client_main(void *arg)
{
	struct client *cl = arg;

	cl->rc = kdht_ctl_call(cl->f->path, cl->req, 5000, &cl->resp);
	return NULL;
}

static void *raw_client_main(void *arg)
{
	struct client *cl = arg;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	uint8_t buf[256];
	ssize_t n;
	int fd;

	strcpy(sun.sun_path, cl->f->path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cl->rc = -EIO;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return NULL;
	if (write(fd, cl->raw, cl->raw_len) != (ssize_t)cl->raw_len)
		goto out;
	n = read(fd, buf, sizeof(buf));
	if (n > 4 && (size_t)n == 4 + ((size_t)buf[2] << 8 | buf[3])) {
		cl->resp = kdhtctl__response__unpack(NULL, (size_t)n - 4, buf + 4);
		cl->rc = cl->resp ? 0 : -EPROTO;
	}
out:
	close(fd);
	return NULL;
}

/* Runs the loop until the client thread has its answer. */
static void run_client(struct fixture *f, struct client *cl, void *(*fn)(void *))
{
	pthread_t t;

	cl->f = f;
	assert_int_equal(pthread_create(&t, NULL, fn, cl), 0);
	while (pthread_tryjoin_np(t, NULL) != 0)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void put_reaches_daemon_from_own_uid(void **state)
{
	struct fixture *f = *state;
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Put put = KDHTCTL__PUT__INIT;
	uint8_t key[32] = { 1 };
	struct client cl = { .req = &req };
	struct stat sb;

	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, KDD_CTL_MODE);
	put.has_name = true;
	put.name.data = key;
	put.name.len = sizeof(key);
	put.value.data = (uint8_t *)"abc";
	put.value.len = 3;
	req.op_case = KDHTCTL__REQUEST__OP_PUT;
	req.put = &put;
	run_client(f, &cl, client_main);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(cl.resp->status, KDHTCTL__STATUS__OK);
	assert_int_equal(cl.resp->acks, 3);
	assert_int_equal(f->requests, 1);
	assert_true(f->last_may_mutate);
	kdhtctl__response__free_unpacked(cl.resp, NULL);
}

static void deferred_reply_arrives(void **state)
{
	struct fixture *f = *state;
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Get get = KDHTCTL__GET__INIT;
	uint8_t key[32] = { 2 };
	struct client cl = { .req = &req };

	get.has_key = true;
	get.key.data = key;
	get.key.len = sizeof(key);
	req.op_case = KDHTCTL__REQUEST__OP_GET;
	req.get = &get;
	run_client(f, &cl, client_main);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(cl.resp->status, KDHTCTL__STATUS__OK);
	assert_int_equal(cl.resp->value.len, 5);
	assert_memory_equal(cl.resp->value.data, "later", 5);
	kdhtctl__response__free_unpacked(cl.resp, NULL);
}

/* Sends cl's request: refused as a bad request, the error saying want. */
static void expect_bad_request(struct fixture *f, struct client *cl, const char *want)
{
	run_client(f, cl, client_main);
	assert_int_equal(cl->rc, 0);
	assert_int_equal(cl->resp->status, KDHTCTL__STATUS__BAD_REQUEST);
	assert_non_null(strstr(cl->resp->error, want));
	kdhtctl__response__free_unpacked(cl->resp, NULL);
}

static void bad_requests_get_a_status(void **state)
{
	struct fixture *f = *state;
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Put put = KDHTCTL__PUT__INIT;
	static uint8_t big[MAX_VALUE + 1];
	uint8_t key[32] = { 3 };
	struct client cl = { .req = &req };
	static const uint8_t garbage[] = { 0, 0, 0, 3, 0xff, 0xff, 0xff };
	/* Request { put { key (1) = 2 bytes, value (2) = "v" } }, framed. */
	static const uint8_t old_put[] = { 0, 0, 0, 9, 0x0a, 7, 0x0a, 2, 1, 2, 0x12, 1, 'v' };

	Kdhtctl__Get get = KDHTCTL__GET__INIT;

	put.has_name = true;
	put.name.data = big;
	put.name.len = 129;
	put.value.data = big;
	put.value.len = 1;
	req.op_case = KDHTCTL__REQUEST__OP_PUT;
	req.put = &put;
	expect_bad_request(f, &cl, "bad name");

	/* A put of a client from before names: its raw key is refused, not ignored. */
	cl.raw = old_put;
	cl.raw_len = sizeof(old_put);
	run_client(f, &cl, raw_client_main);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(cl.resp->status, KDHTCTL__STATUS__BAD_REQUEST);
	assert_non_null(strstr(cl.resp->error, "unknown put fields"));
	kdhtctl__response__free_unpacked(cl.resp, NULL);
	cl.raw = NULL;

	/* An owner key must be a whole Ed25519 secret key. */
	put.name.len = 4;
	put.has_owner_key = true;
	put.owner_key.data = key;
	put.owner_key.len = sizeof(key);
	expect_bad_request(f, &cl, "bad owner key");
	put.has_owner_key = false;

	/* A get takes a name or a key, and a key is 32 bytes. */
	get.has_key = true;
	get.key.data = key;
	get.key.len = 31;
	req.op_case = KDHTCTL__REQUEST__OP_GET;
	req.get = &get;
	expect_bad_request(f, &cl, "bad key: want 32 bytes");
	get.key.len = 32;
	get.has_name = true;
	get.name.data = key;
	get.name.len = 1;
	expect_bad_request(f, &cl, "want a name or a key");

	req.op_case = KDHTCTL__REQUEST__OP_PUT;
	req.put = &put;
	put.value.len = sizeof(big);
	run_client(f, &cl, client_main);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(cl.resp->status, KDHTCTL__STATUS__TOO_LARGE);
	kdhtctl__response__free_unpacked(cl.resp, NULL);

	cl.raw = garbage;
	cl.raw_len = sizeof(garbage);
	run_client(f, &cl, raw_client_main);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(cl.resp->status, KDHTCTL__STATUS__BAD_REQUEST);
	kdhtctl__response__free_unpacked(cl.resp, NULL);
	assert_int_equal(f->requests, 0);
}

/* A put from a client of another uid (and extra_group, if set): cl->rc 0 if answered want. */
static void *other_uid_client(void *arg)
{
	struct client *cl = arg;
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Put put = KDHTCTL__PUT__INIT;
	Kdhtctl__Response *resp;
	uint8_t key[32] = { 5 };
	pid_t pid;
	int status;

	put.value.data = key;
	put.value.len = 1;
	req.op_case = KDHTCTL__REQUEST__OP_PUT;
	req.put = &put;
	pid = fork();
	if (pid == 0) {
		if (setgroups(cl->extra_group ? 1 : 0, &cl->extra_group) || setgid(65534) ||
		    setuid(65534))
			_exit(3);
		if (kdht_ctl_call(cl->f->path, &req, 5000, &resp))
			_exit(4);
		_exit(resp->status == cl->want ? 0 : 5);
	}
	cl->rc = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) ?
		 WEXITSTATUS(status) : -1;
	return NULL;
}

static void other_users_cannot_put(void **state)
{
	struct fixture *f = *state;
	struct client cl = { .want = KDHTCTL__STATUS__DENIED };

	if (geteuid() != 0)
		skip();
	/* Open the socket to everyone so that the credentials decide. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(chmod(f->path, 0666), 0);
	run_client(f, &cl, other_uid_client);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(f->requests, 0);
}

#define TEST_GROUP	4242	/* no user has it as its primary group */

static void a_supplementary_group_may_put(void **state)
{
	struct kdd_ctl_params p = { .group = TEST_GROUP, .max_value = MAX_VALUE };
	struct client cl = { .extra_group = TEST_GROUP, .want = KDHTCTL__STATUS__OK };
	struct fixture *f = *state;

	if (geteuid() != 0)
		skip();
	kdd_ctl_stop(f->ctl);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	p.path = f->path;
	assert_int_equal(kdd_ctl_start(&f->ctl, &f->loop, &p, on_request, f), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	run_client(f, &cl, other_uid_client);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(f->requests, 1);
	assert_true(f->last_may_mutate);
}

static void a_live_socket_is_never_taken_over(void **state)
{
	struct kdd_ctl_params p = { .group = (gid_t)-1, .max_value = MAX_VALUE };
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Empty empty = KDHTCTL__EMPTY__INIT;
	struct client cl = { .req = &req };
	struct fixture *f = *state;
	struct kdd_ctl *second;

	p.path = f->path;
	assert_int_equal(kdd_ctl_start(&second, &f->loop, &p, on_request, f), -EADDRINUSE);
	/* The first daemon still answers on its socket. */
	req.op_case = KDHTCTL__REQUEST__OP_STATS;
	req.stats = &empty;
	run_client(f, &cl, client_main);
	assert_int_equal(cl.rc, 0);
	assert_int_equal(f->requests, 1);
	kdhtctl__response__free_unpacked(cl.resp, NULL);
}

static void no_daemon_is_reported(void **state)
{
	Kdhtctl__Request req = KDHTCTL__REQUEST__INIT;
	Kdhtctl__Empty empty = KDHTCTL__EMPTY__INIT;
	Kdhtctl__Response *resp;

	req.op_case = KDHTCTL__REQUEST__OP_STATS;
	req.stats = &empty;
	assert_int_equal(kdht_ctl_call("/tmp/kdd-test-no-such.sock", &req, 100, &resp), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(put_reaches_daemon_from_own_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(deferred_reply_arrives, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_requests_get_a_status, setup, teardown),
		cmocka_unit_test_setup_teardown(other_users_cannot_put, setup, teardown),
		cmocka_unit_test_setup_teardown(a_supplementary_group_may_put, setup, teardown),
		cmocka_unit_test_setup_teardown(a_live_socket_is_never_taken_over, setup,
						teardown),
		cmocka_unit_test(no_daemon_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
