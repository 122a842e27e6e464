// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The error table: a peer's refusal reaches the user as the same failure,
 * whichever edge it crossed (ERROR code, STORE_ACK status, control status).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <lmdb.h>
#include <string.h>

#include "errors.h"
#include "kdht.pb-c.h"
#include "vmsg.h"

/* Every wire code names one errno, which names the code again. */
static void wire_codes_round_trip(void **state)
{
	uint32_t code;

	for (code = KDHT_ERR_UNKNOWN_TYPE; code <= KDHT_ERR_EXISTS; code++)
		assert_int_equal(kdd_error_to_wire(kdd_error_from_wire(code)), code);
	assert_int_equal(kdd_error_from_wire(KDD_ACK_STORED), 0);
	assert_int_equal(kdd_error_to_wire(0), KDD_ACK_STORED);
	assert_int_equal(kdd_error_from_wire(200), -EPROTO);
	/* A storage failure of our own tells the peer we cannot serve it. */
	assert_int_equal(kdd_error_to_wire(-EIO), KDHT_ERR_UNAVAILABLE);
}

/* A STORE_ACK carries each refusal of a record, and reads back as itself. */
static void store_statuses_round_trip(void **state)
{
	static const uint32_t refusals[] = {
		KDD_ACK_STORED, KDHT_ERR_STALE, KDHT_ERR_BAD_SIGNATURE, KDHT_ERR_TOO_LARGE,
		KDHT_ERR_STORAGE_FULL, KDHT_ERR_EXISTS, KDHT_ERR_MALFORMED,
	};
	size_t i;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		assert_int_equal(kdd_error_from_store_status(
					 kdd_error_store_status(refusals[i])), refusals[i]);
	/* A storage error (or no daemon) is said as such, never as a full store. */
	assert_int_equal(kdd_error_store_status(kdd_error_to_wire(-EIO)),
			 KDHT__STORE_STATUS__STORE_UNAVAILABLE);
	assert_int_not_equal(kdd_error_from_wire(kdd_error_from_store_status(
				     kdd_error_store_status(kdd_error_to_wire(-EIO)))), -ENOSPC);
	assert_int_equal(kdd_error_from_store_status(1000), KDHT_ERR_MALFORMED);
}

static void control_statuses_and_words(void **state)
{
	assert_int_equal(kdd_error_ctl_status(0), KDHTCTL__STATUS__OK);
	assert_int_equal(kdd_error_ctl_status(-ENOENT), KDHTCTL__STATUS__NOT_FOUND);
	assert_int_equal(kdd_error_ctl_status(-ETIMEDOUT), KDHTCTL__STATUS__TIMEOUT);
	assert_int_equal(kdd_error_ctl_status(-EMSGSIZE), KDHTCTL__STATUS__TOO_LARGE);
	assert_int_equal(kdd_error_ctl_status(-ECANCELED), KDHTCTL__STATUS__UNAVAILABLE);
	assert_int_equal(kdd_error_ctl_status(-EIO), KDHTCTL__STATUS__FAILED);
	assert_string_equal(kdd_error_words(-ENOENT, "x"), "not found");
	assert_string_equal(kdd_error_words(-EIO, "get failed"), "get failed");
	/* A get whose copies all fail verification is not a timeout. */
	assert_int_not_equal(kdd_error_ctl_status(-EPERM), KDHTCTL__STATUS__TIMEOUT);
	assert_string_equal(kdd_error_words(-EPERM, "get failed"),
			    "no copy passed signature verification");
}

/* Only a refusal another node would not repeat ends a put's substitutions. */
static void which_failures_another_node_may_mend(void **state)
{
	assert_true(kdd_error_try_elsewhere(-ETIMEDOUT));
	assert_true(kdd_error_try_elsewhere(kdd_error_from_wire(KDHT_ERR_UNAVAILABLE)));
	assert_true(kdd_error_try_elsewhere(kdd_error_from_wire(KDHT_ERR_STORAGE_FULL)));
	assert_true(kdd_error_try_elsewhere(kdd_error_from_wire(KDHT_ERR_RATE_LIMITED)));
	assert_false(kdd_error_try_elsewhere(kdd_error_from_wire(KDHT_ERR_STALE)));
	assert_false(kdd_error_try_elsewhere(kdd_error_from_wire(KDHT_ERR_EXISTS)));
	assert_false(kdd_error_try_elsewhere(kdd_error_from_wire(200)));
	assert_string_equal(kdd_error_refusal(kdd_error_from_wire(KDHT_ERR_STALE)),
			    "a replica holds a newer version");
}

/* A full map reads as a full store, a missing row as not found, anything else as an I/O error. */
static void lmdb_failures_read_as_what_they_are(void **state)
{
	(void)state;
	assert_int_equal(kdd_error_of_lmdb(0), 0);
	assert_int_equal(kdd_error_of_lmdb(MDB_NOTFOUND), -ENOENT);
	assert_int_equal(kdd_error_of_lmdb(MDB_MAP_FULL), -ENOSPC);
	assert_int_equal(kdd_error_of_lmdb(MDB_TXN_FULL), -ENOSPC);
	assert_int_equal(kdd_error_of_lmdb(EACCES), -EACCES);
	assert_int_equal(kdd_error_of_lmdb(MDB_CORRUPTED), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wire_codes_round_trip),
		cmocka_unit_test(store_statuses_round_trip),
		cmocka_unit_test(control_statuses_and_words),
		cmocka_unit_test(which_failures_another_node_may_mend),
		cmocka_unit_test(lmdb_failures_read_as_what_they_are),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
