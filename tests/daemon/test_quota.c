// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Storage quotas: what each source prefix and publisher is charged, what
 * is refused, and that a restart and expiry leave the accounting right.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "quota.h"
#include "store_dir.h"

#define NOW 1700000000ull

struct fixture {
	char dir[64];
	struct kdd_store *st;
	struct kdd_quota *q;
	struct kdd_quota_params p;
};

static void open_all(struct fixture *f)
{
	struct kdd_store_params sp;
	const char *msg;

	kdd_store_params_default(&sp);
	assert_int_equal(kdd_store_open(&f->st, f->dir, &sp, &msg), 0);
	assert_int_equal(kdd_quota_open(&f->q, f->st, &f->p), 0);
}

static void close_all(struct fixture *f)
{
	kdd_quota_close(f->q);
	kdd_store_close(f->st);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	strcpy(f->dir, "/tmp/kdd-test-quota-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->p.source_records = 2;
	f->p.publisher_bytes = 250;
	open_all(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	close_all(f);
	store_dir_remove(f->dir);
	free(f);
	return 0;
}

static struct kdd_quota_charge charge_of(uint8_t key, const char *from, uint8_t publisher,
					 uint32_t len, uint64_t expires)
{
	struct kdd_quota_charge c;

	memset(&c, 0, sizeof(c));
	memset(c.key.b, key, KDHT_ID_LEN);
	assert_int_equal(kd_addr_parse(&c.from, from, 0), 0);
	memset(c.publisher.b, publisher, KDHT_ID_LEN);
	c.len = len;
	c.expires = expires;
	return c;
}

static enum kdd_quota_verdict admit(struct fixture *f, const struct kdd_quota_charge *c)
{
	return kdd_quota_admit(f->q, &c->key, &c->from, &c->publisher, c->len, NOW);
}

static void charge(struct fixture *f, const struct kdd_quota_charge *c)
{
	assert_int_equal(kdd_quota_charge(f->q, c, 1, NOW), 0);
}

static uint64_t source_records(struct fixture *f, const char *from)
{
	struct kd_addr a;
	uint64_t bytes, records;

	assert_int_equal(kd_addr_parse(&a, from, 0), 0);
	assert_int_equal(kdd_quota_usage(f->q, &a, NULL, &bytes, &records), 0);
	return records;
}

/* One /24 is one owner, whichever of its addresses stores; a restart keeps it. */
static void a_prefix_is_charged_across_restart(void **state)
{
	struct fixture *f = *state;
	struct kdd_quota_charge a = charge_of(1, "192.0.2.1:4650", 1, 10, NOW + 600);
	struct kdd_quota_charge b = charge_of(2, "192.0.2.77:4651", 2, 10, NOW + 600);
	struct kdd_quota_charge c = charge_of(3, "192.0.2.200:4650", 3, 10, NOW + 600);
	struct kdd_quota_charge other = charge_of(3, "198.51.100.1:4650", 3, 10, NOW + 600);

	charge(f, &a);
	charge(f, &b);
	assert_int_equal(admit(f, &c), KDD_QUOTA_SOURCE);
	assert_int_equal(admit(f, &other), KDD_QUOTA_OK);
	/* Renewing what it holds is judged by the difference: none. */
	assert_int_equal(admit(f, &a), KDD_QUOTA_OK);

	close_all(f);
	open_all(f);
	assert_int_equal(source_records(f, "192.0.2.9:1"), 2);
	assert_int_equal(admit(f, &c), KDD_QUOTA_SOURCE);
	assert_int_equal(admit(f, &other), KDD_QUOTA_OK);
}

/* A record stored again from elsewhere moves its charge there. */
static void a_replaced_record_moves_its_charge(void **state)
{
	struct fixture *f = *state;
	struct kdd_quota_charge a = charge_of(1, "192.0.2.1:4650", 1, 10, NOW + 600);
	struct kdd_quota_charge moved = charge_of(1, "198.51.100.1:4650", 1, 10, NOW + 600);

	charge(f, &a);
	charge(f, &moved);
	assert_int_equal(source_records(f, "192.0.2.1:1"), 0);
	assert_int_equal(source_records(f, "198.51.100.1:1"), 1);
}

/* A publisher's bytes are counted over every source it stores through. */
static void a_publisher_over_its_quota_is_refused(void **state)
{
	struct fixture *f = *state;
	struct kdd_quota_charge a = charge_of(1, "192.0.2.1:4650", 7, 200, NOW + 600);
	struct kdd_quota_charge b = charge_of(2, "198.51.100.1:4650", 7, 100, NOW + 600);
	struct kdd_quota_charge c = charge_of(2, "198.51.100.1:4650", 8, 100, NOW + 600);

	charge(f, &a);
	assert_int_equal(admit(f, &b), KDD_QUOTA_PUBLISHER);
	assert_int_equal(admit(f, &c), KDD_QUOTA_OK);
}

/* Expired charges are released by the sweep, and the owner may store again. */
static void expiry_releases_charges(void **state)
{
	struct fixture *f = *state;
	struct kdd_quota_charge a = charge_of(1, "192.0.2.1:4650", 1, 10, NOW + 5);
	struct kdd_quota_charge b = charge_of(2, "192.0.2.2:4650", 2, 10, NOW + 5);
	struct kdd_quota_charge c = charge_of(3, "192.0.2.3:4650", 3, 10, NOW + 600);

	charge(f, &a);
	charge(f, &b);
	assert_int_equal(admit(f, &c), KDD_QUOTA_SOURCE);
	assert_int_equal(kdd_quota_sweep(f->q, NOW + 4), 0);
	assert_int_equal(kdd_quota_sweep(f->q, NOW + 5), 2);
	assert_int_equal(source_records(f, "192.0.2.1:1"), 0);
	assert_int_equal(admit(f, &c), KDD_QUOTA_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(a_prefix_is_charged_across_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(a_replaced_record_moves_its_charge, setup, teardown),
		cmocka_unit_test_setup_teardown(a_publisher_over_its_quota_is_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(expiry_releases_charges, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
