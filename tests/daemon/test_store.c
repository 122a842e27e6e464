// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The LMDB store: what a user of put/get would see, across restarts too. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kdhtd.h"
#include "store.h"
#include "store_dir.h"

#define NOW 1700000000ull

struct fixture {
	char dir[64];
	struct kdd_store *st;
	struct kdd_store_params p;
	uint8_t buf[KDD_MAX_VALUE];
};

static void reopen(struct fixture *f)
{
	const char *msg;

	kdd_store_close(f->st);
	f->st = NULL;
	assert_int_equal(kdd_store_open(&f->st, f->dir, &f->p, &msg), 0);
}

static int setup_with(void **state, size_t map_size)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/kdd-test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	kdd_store_params_default(&f->p);
	if (map_size)
		f->p.map_size = map_size;
	reopen(f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, 0);
}

#define SMALL_MAP	(256 * 1024)

/* A small map that may grow to four times its size. */
static int setup_small(void **state)
{
	int rc = setup_with(state, SMALL_MAP);
	struct fixture *f = *state;

	f->p.max_map_size = 4 * SMALL_MAP;
	reopen(f);
	return rc;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kdd_store_close(f->st);
	store_dir_remove(f->dir);
	free(f);
	return 0;
}

static struct kdd_record record(uint8_t key_byte, const void *value, uint32_t len)
{
	struct kdd_record r;

	memset(&r, 0, sizeof(r));
	memset(r.key.b, key_byte, KDHT_ID_LEN);
	memset(r.publisher.b, 0xaa, KDHT_ID_LEN);
	r.value = value;
	r.len = len;
	return r;
}

static void put_then_get_survives_restart(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r = record(1, "hello", 5), got;

	r.seq = 7;
	r.has_sig = true;
	memset(r.sig, 0x5a, sizeof(r.sig));
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	reopen(f);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW + 1, &got, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(got.len, 5);
	assert_memory_equal(got.value, "hello", 5);
	assert_int_equal(got.seq, 7);
	assert_true(got.has_sig);
	assert_memory_equal(got.sig, r.sig, KDD_SIG_LEN);
	assert_memory_equal(got.publisher.b, r.publisher.b, KDHT_ID_LEN);
	assert_int_equal(got.expires, NOW + KDD_DEFAULT_TTL_S);
}

static void missing_key_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct kdd_record got;
	struct kd_id key;

	memset(key.b, 9, sizeof(key.b));
	assert_int_equal(kdd_store_get(f->st, &key, NOW, &got, f->buf, sizeof(f->buf)), -ENOENT);
}

static void expiry_is_capped_and_enforced(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r = record(2, "x", 1), got;

	assert_int_equal(kdd_store_put(f->st, &r, 10 * KDD_MAX_TTL_S, NOW), 0);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(got.expires, NOW + KDD_MAX_TTL_S);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW + KDD_MAX_TTL_S, &got, f->buf,
				       sizeof(f->buf)), -ENOENT);
}

static void sweeper_deletes_only_expired(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r;
	uint64_t n;
	int i;

	for (i = 0; i < 10; i++) {
		r = record((uint8_t)i, "v", 1);
		assert_int_equal(kdd_store_put(f->st, &r, i < 4 ? 60 : 3600, NOW), 0);
	}
	assert_int_equal(kdd_store_sweep(f->st, NOW + 61), 4);
	assert_int_equal(kdd_store_count(f->st, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(kdd_store_sweep(f->st, NOW + 61), 0);
}

static void mutable_needs_higher_seq(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r = record(3, "one", 3), got;

	r.is_mutable = true;
	r.seq = 5;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	r.value = (const uint8_t *)"two";
	/* Other bytes with the held seq: an equivocation. */
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), -ENOTUNIQ);
	r.seq = 4;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), -ESTALE);
	r.seq = 6;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_memory_equal(got.value, "two", 3);
	assert_int_equal(got.seq, 6);
	/*
	 * The key binds who may write (checked before the store): of the
	 * publishers it admits, as a closed mesh's members, a higher seq wins.
	 */
	memset(r.publisher.b, 0xbb, KDHT_ID_LEN);
	r.seq = 7;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	r.seq = 6;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), -ESTALE);
	memset(r.publisher.b, 0xaa, KDHT_ID_LEN);
	r.seq = 7;
	/* The same record again only renews it. */
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW + 100), 0);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(got.expires, NOW + 100 + KDD_DEFAULT_TTL_S);
}

static void cas_needs_the_seq_before(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r = record(5, "one", 3), got;

	r.is_mutable = true;
	r.cas = true;
	r.seq = 2;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), -EBADE);
	r.seq = 1;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	r.seq = 3;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), -EBADE);
	r.seq = 2;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(got.seq, 2);
}

/* A record's name is kept with it; the writer's counter survives a restart. */
static void name_and_writer_seq_survive_restart(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r = record(6, "v", 1), got;
	uint64_t seq;

	r.is_mutable = true;
	r.seq = 1;
	r.name_len = 5;
	memcpy(r.name, "alice", 5);
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	assert_int_equal(kdd_store_seq_kept(f->st, &r.key, &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(kdd_store_seq_keep(f->st, &r.key, 41, NOW), 0);
	assert_int_equal(kdd_store_seq_keep(f->st, &r.key, 40, NOW), 0);
	reopen(f);
	assert_int_equal(kdd_store_seq_kept(f->st, &r.key, &seq), 0);
	assert_int_equal(seq, 41);
	assert_int_equal(kdd_store_held_seq(f->st, &r.key, NOW, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(got.name_len, 5);
	assert_memory_equal(got.name, "alice", 5);
	assert_int_equal(got.len, 1);
	assert_memory_equal(got.value, "v", 1);
}

/*
 * A writer's counter lives as long as a record it numbered may: the sweep
 * keeps it until max_ttl_s after its last use, then forgets it, so the
 * table does not grow with every key ever written.
 */
static void writer_seq_forgotten_after_longest_life(void **state)
{
	struct fixture *f = *state;
	struct kd_id old = { .b = { 1 } }, used = { .b = { 2 } };
	uint32_t life = f->p.max_ttl_s;
	uint64_t seq;

	assert_int_equal(kdd_store_seq_keep(f->st, &old, 7, NOW), 0);
	assert_int_equal(kdd_store_seq_keep(f->st, &used, 9, NOW), 0);
	/* Kept again later: its life starts over. */
	assert_int_equal(kdd_store_seq_keep(f->st, &used, 9, NOW + 100), 0);
	assert_true(kdd_store_sweep(f->st, NOW + life - 1) >= 0);
	assert_int_equal(kdd_store_seq_kept(f->st, &old, &seq), 0);
	assert_int_equal(seq, 7);
	assert_true(kdd_store_sweep(f->st, NOW + life) >= 0);
	assert_int_equal(kdd_store_seq_kept(f->st, &old, &seq), 0);
	assert_int_equal(seq, 0);
	assert_int_equal(kdd_store_seq_kept(f->st, &used, &seq), 0);
	assert_int_equal(seq, 9);
	assert_true(kdd_store_sweep(f->st, NOW + 100 + life) >= 0);
	assert_int_equal(kdd_store_seq_kept(f->st, &used, &seq), 0);
	assert_int_equal(seq, 0);
}

static void immutable_keeps_first_value(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r = record(4, "first", 5), got;

	assert_int_equal(kdd_store_put(f->st, &r, 60, NOW), 0);
	/* The same bytes again extend the expiry... */
	assert_int_equal(kdd_store_put(f->st, &r, 120, NOW), 0);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(got.expires, NOW + 120);
	/* ...other bytes are refused and change nothing. */
	r.value = (const uint8_t *)"other";
	assert_int_equal(kdd_store_put(f->st, &r, 600, NOW), -EEXIST);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_memory_equal(got.value, "first", 5);
	assert_int_equal(got.expires, NOW + 120);
	r.is_mutable = true;
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), -EINVAL);
}

static void oversized_value_refused(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r = record(5, f->buf, KDD_MAX_VALUE + 1), got;

	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), -EMSGSIZE);
	r.len = KDD_MAX_VALUE;
	memset(f->buf, 0x33, KDD_MAX_VALUE);
	assert_int_equal(kdd_store_put(f->st, &r, 0, NOW), 0);
	memset(f->buf, 0, KDD_MAX_VALUE);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, sizeof(f->buf)), 0);
	assert_int_equal(got.len, KDD_MAX_VALUE);
	assert_int_equal(f->buf[0], 0x33);
	assert_int_equal(f->buf[KDD_MAX_VALUE - 1], 0x33);
	assert_int_equal(kdd_store_get(f->st, &r.key, NOW, &got, f->buf, 10), -ENOBUFS);
}

static void map_full_refuses_and_keeps_data(void **state)
{
	struct fixture *f = *state;
	static uint8_t big[16 * 1024];
	struct kdd_record r, got;
	int i, rc = 0;

	memset(big, 0x77, sizeof(big));
	for (i = 0; i < 64; i++) {
		r = record((uint8_t)i, big, sizeof(big));
		rc = kdd_store_put(f->st, &r, 0, NOW);
		if (rc)
			break;
	}
	assert_int_equal(rc, -ENOSPC);
	/* Refused only once the map grew: more than the first size holds. */
	assert_true((size_t)i * sizeof(big) > SMALL_MAP);
	/* Every value acknowledged before the refusal reads back whole. */
	reopen(f);
	while (i-- > 0) {
		memset(got.key.b, (uint8_t)i, KDHT_ID_LEN);
		assert_int_equal(kdd_store_get(f->st, &got.key, NOW, &got, f->buf,
					       sizeof(f->buf)), 0);
		assert_int_equal(got.len, sizeof(big));
		assert_memory_equal(got.value, big, sizeof(big));
	}
}

#define CHURN_PER_S	167	/* 10,000 records a minute */
#define CHURN_TTL_S	60

/* A store churning 10,000 records a minute, swept at the daemon's pace, stays bounded. */
static void churn_stays_bounded(void **state)
{
	static struct kdd_store_write w[CHURN_PER_S];
	static const uint8_t v[8];
	struct fixture *f = *state;
	uint32_t n = 0;
	uint64_t t, count;
	unsigned int i;

	for (t = 0; t < 600; t++) {
		for (i = 0; i < CHURN_PER_S; i++, n++) {
			w[i].rec = record(0, v, sizeof(v));
			memcpy(w[i].rec.key.b, &n, sizeof(n));
			w[i].ttl_s = CHURN_TTL_S;
		}
		kdd_store_put_many(f->st, w, CHURN_PER_S, NOW + t);
		for (i = 0; i < CHURN_PER_S; i++)
			assert_int_equal(w[i].rc, 0);
		if (t % KDD_SWEEP_S == 0)
			assert_true(kdd_store_sweep(f->st, NOW + t) >= 0);
	}
	assert_int_equal(kdd_store_count(f->st, &count), 0);
	/* The live minute, and no more than as much again waiting for the sweeper. */
	assert_true(count <= 2 * CHURN_TTL_S * CHURN_PER_S);
}

static void routes_snapshot_round_trips(void **state)
{
	struct fixture *f = *state;
	struct kd_node in[3], out[8];
	int i;

	memset(in, 0, sizeof(in));
	for (i = 0; i < 3; i++) {
		memset(in[i].id.b, 0x10 + i, KDHT_ID_LEN);
		in[i].addr.family = i == 2 ? KDHT_AF_INET6 : KDHT_AF_INET;
		in[i].addr.port = (uint16_t)(4650 + i);
		in[i].addr.ip[0] = 127;
		in[i].addr.ip[3] = (uint8_t)(1 + i);
	}
	assert_int_equal(kdd_store_load_routes(f->st, out, 8), 0);
	assert_int_equal(kdd_store_save_routes(f->st, in, 3), 0);
	reopen(f);
	assert_int_equal(kdd_store_load_routes(f->st, out, 8), 3);
	assert_memory_equal(in, out, sizeof(in));
	assert_int_equal(kdd_store_load_routes(f->st, out, 2), 2);
}

static int count_cb(void *ctx, const struct kdd_record *rec)
{
	(*(int *)ctx)++;
	return 0;
}

static void foreach_skips_expired(void **state)
{
	struct fixture *f = *state;
	struct kdd_record r;
	int n = 0;

	r = record(1, "a", 1);
	assert_int_equal(kdd_store_put(f->st, &r, 10, NOW), 0);
	r = record(2, "b", 1);
	assert_int_equal(kdd_store_put(f->st, &r, 1000, NOW), 0);
	assert_int_equal(kdd_store_foreach(f->st, NOW + 20, NULL, count_cb, &n), 0);
	assert_int_equal(n, 1);
	/* Resuming after the last key visits nothing more. */
	memset(r.key.b, 3, KDHT_ID_LEN);
	n = 0;
	assert_int_equal(kdd_store_foreach(f->st, NOW, &r.key, count_cb, &n), 0);
	assert_int_equal(n, 0);
	memset(r.key.b, 2, KDHT_ID_LEN);
	assert_int_equal(kdd_store_foreach(f->st, NOW, &r.key, count_cb, &n), 0);
	assert_int_equal(n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(put_then_get_survives_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_key_is_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(expiry_is_capped_and_enforced, setup, teardown),
		cmocka_unit_test_setup_teardown(sweeper_deletes_only_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(writer_seq_forgotten_after_longest_life, setup,
						teardown),
		cmocka_unit_test_setup_teardown(mutable_needs_higher_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(cas_needs_the_seq_before, setup, teardown),
		cmocka_unit_test_setup_teardown(name_and_writer_seq_survive_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(immutable_keeps_first_value, setup, teardown),
		cmocka_unit_test_setup_teardown(oversized_value_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(map_full_refuses_and_keeps_data, setup_small,
						teardown),
		cmocka_unit_test_setup_teardown(churn_stays_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(routes_snapshot_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(foreach_skips_expired, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
