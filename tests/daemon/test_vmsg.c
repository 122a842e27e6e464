// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The sizes PROTOCOL.md section 9 promises, computed by the encoder the
 * daemon sends with: the largest STORE and VALUE bodies, and how many
 * closer nodes of each family a full datagram carries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "vmsg.h"

/* A part with every field at its largest: the last full part of a largest value. */
static struct kdd_part largest_part(void)
{
	static uint8_t value[KDD_PART_LEN];
	struct kdd_part p;

	memset(&p, 0xff, sizeof(p));
	p.data = value;
	p.len = KDD_PART_LEN;
	p.total_len = KDD_MAX_VALUE;
	p.parts = kdd_parts_for(KDD_MAX_VALUE);
	p.part = p.parts - 2;
	p.ttl_s = UINT32_MAX;
	p.seq = UINT64_MAX;
	p.has_publisher = true;
	p.is_mutable = true;
	p.has_sig = true;
	p.cas = true;
	p.name_len = KDD_NAME_MAX;
	return p;
}

/*
 * Section 9.1: a STORE with every field at its largest is 1198 bytes of body
 * and a VALUE carrying that part 1196 (no cas), with room for a closed
 * mesh's tag.
 */
static void the_largest_part_fits_a_datagram(void **state)
{
	struct kdd_part p = largest_part();
	struct kdd_value v;
	uint8_t body[KDHT_MAX_BODY];

	assert_int_equal(kdd_vmsg_encode_store(body, sizeof(body), &p), 1198);
	memset(&v, 0, sizeof(v));
	v.key = p.key;
	v.has_record = true;
	v.rec = p;
	assert_int_equal(kdd_vmsg_encode_value(body, sizeof(body), &v), 1196);
	assert_true(1198 <= KDHT_MAX_BODY - KDHT_TAG_LEN);
}

/* The most closer nodes of one family a VALUE body of KDHT_MAX_BODY holds. */
static unsigned int closer_that_fit(uint8_t family)
{
	uint8_t body[KDHT_MAX_BODY];
	struct kdd_value v;
	unsigned int n;

	memset(&v, 0, sizeof(v));
	for (n = 0; n < KDHT_MAX_NODES; n++) {
		memset(&v.nodes[n], 0xff, sizeof(v.nodes[n]));
		v.nodes[n].addr.family = family;
		if (family == KDHT_AF_INET)
			memset(v.nodes[n].addr.ip + 4, 0, sizeof(v.nodes[n].addr.ip) - 4);
		v.nodes[n].addr.port = UINT16_MAX;
	}
	for (n = KDHT_MAX_NODES; n > 0; n--) {
		v.nnodes = n;
		if (kdd_vmsg_encode_value(body, sizeof(body), &v))
			break;
	}
	return n;
}

/* Section 9.3: all 20 IPv4 entries, and 19 IPv6 ones, fit a full datagram. */
static void closer_entries_per_datagram(void **state)
{
	assert_int_equal(closer_that_fit(KDHT_AF_INET), KDHT_MAX_NODES);
	assert_int_equal(closer_that_fit(KDHT_AF_INET6), 19);
}

/* A VALUE whose record comes twice is refused, not merged (PROTOCOL.md 9). */
static void a_second_record_in_a_value_is_refused(void **state)
{
	static const uint8_t second_record[] = { 0x12, 0x02, 0x30, 0x07 };
	struct kdd_part p = largest_part();
	struct kdd_value v, got;
	uint8_t body[KDHT_MAX_BODY + sizeof(second_record)];
	size_t len;
	void *keep;

	memset(&v, 0, sizeof(v));
	p.total_len = 1;
	p.parts = 1;
	p.part = 0;
	p.len = 1;
	v.key = p.key;
	v.has_record = true;
	v.rec = p;
	len = kdd_vmsg_encode_value(body, sizeof(body), &v);
	assert_int_equal(kdd_vmsg_decode_value(body, len, &got, &keep), 0);
	kdd_vmsg_free_value(keep);
	memcpy(body + len, second_record, sizeof(second_record));
	assert_int_equal(kdd_vmsg_decode_value(body, len + sizeof(second_record), &got, &keep),
			 KDHT_ERR_MALFORMED);
	assert_null(keep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_largest_part_fits_a_datagram),
		cmocka_unit_test(closer_entries_per_datagram),
		cmocka_unit_test(a_second_record_in_a_value_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
