// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* Ids, XOR distance, bucket indexes and addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kd_types.h"
#include "unit_addr.h"
#include "unit_rng.h"

static int bit_of(const struct kd_id *id, unsigned int i)
{
	return (id->b[i / 8] >> (7 - i % 8)) & 1;
}

/* The common prefix length, bit by bit. */
static unsigned int prefix_len(const struct kd_id *a, const struct kd_id *b)
{
	unsigned int i;

	for (i = 0; i < KD_ID_BITS; i++)
		if (bit_of(a, i) != bit_of(b, i))
			return i;
	return KD_ID_BITS;
}

static struct kd_id id_with_bit(unsigned int bit)
{
	struct kd_id id;

	memset(&id, 0, sizeof(id));
	id.b[bit / 8] = (u8)(0x80 >> (bit % 8));
	return id;
}

static void test_distance_is_xor(void **state)
{
	struct kd_id a, b, d;
	unsigned int i;

	(void)state;
	rng_state = 1;
	rng_fill(a.b, sizeof(a.b));
	rng_fill(b.b, sizeof(b.b));
	kd_id_distance(&d, &a, &b);
	for (i = 0; i < KDHT_ID_LEN; i++)
		assert_int_equal(d.b[i], a.b[i] ^ b.b[i]);
	kd_id_distance(&d, &a, &a);
	for (i = 0; i < KDHT_ID_LEN; i++)
		assert_int_equal(d.b[i], 0);
}

static void test_cmp_distance(void **state)
{
	struct kd_id zero, near = id_with_bit(255), far = id_with_bit(0), t;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	assert_true(kd_id_cmp_distance(&zero, &near, &far) < 0);
	assert_true(kd_id_cmp_distance(&zero, &far, &near) > 0);
	assert_int_equal(kd_id_cmp_distance(&zero, &far, &far), 0);
	/* Seen from a target with the top bit set, the order flips. */
	t = id_with_bit(0);
	assert_true(kd_id_cmp_distance(&t, &far, &near) < 0);
	/* Distance is not numeric order: 0x01.. is closer to 0x00 than 0x80.. is to 0x7f.. */
	memset(&t, 0x7f, sizeof(t));
	near = t;
	near.b[KDHT_ID_LEN - 1] ^= 1;
	far = t;
	far.b[0] = 0x80;
	assert_true(kd_id_cmp_distance(&t, &near, &far) < 0);
}

static void test_bucket_index(void **state)
{
	struct kd_id self, other;
	unsigned int bit, round, i;

	(void)state;
	memset(&self, 0, sizeof(self));
	assert_int_equal(kd_id_bucket(&self, &self), KD_ID_BITS);
	for (bit = 0; bit < KD_ID_BITS; bit++) {
		other = id_with_bit(bit);
		assert_int_equal(kd_id_bucket(&self, &other), bit);
	}
	rng_state = 7;
	for (round = 0; round < 2000; round++) {
		rng_fill(self.b, sizeof(self.b));
		other = self;
		/* Flip one bit at a random depth, and random bits below it. */
		bit = (unsigned int)(rng_next() % KD_ID_BITS);
		other.b[bit / 8] ^= (u8)(0x80 >> (bit % 8));
		for (i = bit + 1; i < KD_ID_BITS; i++)
			if (rng_next() & 1)
				other.b[i / 8] ^= (u8)(0x80 >> (i % 8));
		assert_int_equal(kd_id_bucket(&self, &other), prefix_len(&self, &other));
		assert_int_equal(kd_id_bucket(&self, &other), bit);
	}
}

static void test_id_in_bucket(void **state)
{
	struct kd_id self, out;
	u8 rnd[KDHT_ID_LEN];
	unsigned int b, i;

	(void)state;
	rng_state = 11;
	for (b = 0; b < KD_ID_BITS; b++) {
		rng_fill(self.b, sizeof(self.b));
		rng_fill(rnd, sizeof(rnd));
		kd_id_in_bucket(&out, &self, b, rnd);
		assert_int_equal(kd_id_bucket(&self, &out), b);
		/* Below bit b the id is the random bytes, so refreshes spread out. */
		for (i = b + 1; i < KD_ID_BITS; i++)
			assert_int_equal(bit_of(&out, i), (rnd[i / 8] >> (7 - i % 8)) & 1);
	}
	kd_id_in_bucket(&out, &self, KD_ID_BITS, rnd);
	assert_true(kd_id_equal(&out, &self));
}

static struct kd_addr v4(u8 a, u8 b, u8 c, u8 d, u16 port)
{
	const u8 ip[4] = { a, b, c, d };

	return unit_addr(KDHT_AF_INET, port, ip, sizeof(ip));
}

/* [w0:w1:w2:w3::last]:port */
static struct kd_addr v6(u16 w0, u16 w1, u16 w2, u16 w3, u16 last, u16 port)
{
	u8 ip[16] = { 0 };

	kd_put_be16(ip, w0);
	kd_put_be16(ip + 2, w1);
	kd_put_be16(ip + 4, w2);
	kd_put_be16(ip + 6, w3);
	kd_put_be16(ip + 14, last);
	return unit_addr(KDHT_AF_INET6, port, ip, sizeof(ip));
}

static void test_addr_equal(void **state)
{
	struct kd_addr a = v4(10, 0, 0, 1, 4650), b = a;

	(void)state;
	assert_true(kd_addr_equal(&a, &b));
	b.port = 4651;
	assert_false(kd_addr_equal(&a, &b));
	b = v4(10, 0, 0, 2, 4650);
	assert_false(kd_addr_equal(&a, &b));
	b = a;
	b.family = KDHT_AF_INET6;
	assert_false(kd_addr_equal(&a, &b));
	a = v6(0x2001, 0xdb8, 0, 0, 1, 4650);
	b = a;
	assert_true(kd_addr_equal(&a, &b));
	b.ip[15] = 2;
	assert_false(kd_addr_equal(&a, &b));
}

static void test_addr_usable(void **state)
{
	const struct {
		struct kd_addr addr;
		bool usable;
	} cases[] = {
		{ v4(10, 0, 0, 1, 4650), true },
		{ v4(127, 0, 0, 1, 4650), true },
		{ v4(10, 0, 0, 1, 0), false },
		{ v4(0, 0, 0, 0, 4650), false },
		{ v4(224, 0, 0, 1, 4650), false },
		{ v4(239, 255, 255, 250, 4650), false },
		{ v4(255, 255, 255, 255, 4650), false },
		{ v6(0x2001, 0xdb8, 0, 0, 1, 4650), true },
		{ v6(0, 0, 0, 0, 1, 4650), true },	/* ::1 */
		{ v6(0, 0, 0, 0, 0, 4650), false },
		{ v6(0xff02, 0, 0, 0, 1, 4650), false },
	};
	struct kd_addr a;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (kd_addr_usable(&cases[i].addr) != cases[i].usable)
			fail_msg("case %u: expected %s", i, cases[i].usable ? "usable" : "unusable");
	}
	a = v4(10, 0, 0, 1, 4650);
	a.family = 5;
	assert_false(kd_addr_usable(&a));
}

static void test_addr_subnet(void **state)
{
	struct kd_addr a = v4(10, 1, 2, 3, 1), b = v4(10, 1, 2, 200, 2);
	struct kd_addr c = v4(10, 1, 3, 3, 1);
	struct kd_addr x = v6(0x2001, 0xdb8, 7, 1, 1, 1), y = v6(0x2001, 0xdb8, 7, 2, 9, 2);
	struct kd_addr z = v6(0x2001, 0xdb8, 8, 1, 1, 1), m;

	(void)state;
	assert_true(kd_addr_subnet(&a) == kd_addr_subnet(&b));
	assert_true(kd_addr_subnet(&a) != kd_addr_subnet(&c));
	assert_true(kd_addr_subnet(&x) == kd_addr_subnet(&y));
	assert_true(kd_addr_subnet(&x) != kd_addr_subnet(&z));
	assert_true(kd_addr_subnet(&a) != 0);
	/* The same leading bytes in the other family are another subnet. */
	m = a;
	m.family = KDHT_AF_INET6;
	assert_true(kd_addr_subnet(&a) != kd_addr_subnet(&m));
	/* ::ffff:10.1.2.9 is in 10.1.2.0/24. */
	memset(m.ip, 0, sizeof(m.ip));
	m.ip[10] = 0xff;
	m.ip[11] = 0xff;
	memcpy(m.ip + 12, b.ip, 3);
	m.ip[15] = 9;
	assert_true(kd_addr_subnet(&a) == kd_addr_subnet(&m));
	m.ip[11] = 0xfe;
	assert_true(kd_addr_subnet(&a) != kd_addr_subnet(&m));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance_is_xor),
		cmocka_unit_test(test_cmp_distance),
		cmocka_unit_test(test_bucket_index),
		cmocka_unit_test(test_id_in_bucket),
		cmocka_unit_test(test_addr_equal),
		cmocka_unit_test(test_addr_usable),
		cmocka_unit_test(test_addr_subnet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
