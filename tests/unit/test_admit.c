// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* SipHash-2-4, address-validation tokens and the per-source rate limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kd_token.h"
#include "kd_ratelimit.h"
#include "kd_params.h"
#include "unit_addr.h"

static const u8 key_seq[KD_SECRET_LEN] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
};

/*
 * SipHash-2-4 reference values for key 00..0f and message 00 01 .. (len-1):
 * the 15-byte one is the worked example of the SipHash paper; all cover the
 * empty, partial and whole final blocks.
 */
static void test_siphash_vectors(void **state)
{
	static const struct {
		size_t len;
		u64 want;
	} v[] = {
		{ 0, 0x726fdb47dd0e0e31ull },
		{ 1, 0x74f839c593dc67fdull },
		{ 2, 0x0d6c8009d9a94f5aull },
		{ 3, 0x85676696d7fb7e2dull },
		{ 7, 0xab0200f58b01d137ull },
		{ 8, 0x93f5f5799a932462ull },
		{ 15, 0xa129ca6149be45e5ull },
		{ 63, 0x958a324ceb064572ull },
	};
	u8 msg[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (u8)i;
	for (i = 0; i < KD_ARRAY_SIZE(v); i++)
		assert_true(kd_siphash(key_seq, msg, v[i].len) == v[i].want);
}

static void test_siphash_key_matters(void **state)
{
	u8 key[KD_SECRET_LEN];
	u8 msg[15];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (u8)i;
	memcpy(key, key_seq, sizeof(key));
	key[15] ^= 1;
	assert_true(kd_siphash(key, msg, sizeof(msg)) != 0xa129ca6149be45e5ull);
}

/* 192.0.2.last */
static struct kd_addr addr4(u8 last, u16 port)
{
	static const u8 net[3] = { 192, 0, 2 };
	struct kd_addr a = unit_addr(KDHT_AF_INET, port, net, sizeof(net));

	a.ip[3] = last;
	return a;
}

/* 2001:db8:0:SUBNET64::HOST */
static struct kd_addr addr6(u8 subnet64, u8 host, u16 port)
{
	static const u8 net[4] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct kd_addr a = unit_addr(KDHT_AF_INET6, port, net, sizeof(net));

	a.ip[7] = subnet64;
	a.ip[15] = host;
	return a;
}

static void secret(u8 out[KD_SECRET_LEN], u8 seed)
{
	unsigned int i;

	for (i = 0; i < KD_SECRET_LEN; i++)
		out[i] = (u8)(seed * 31 + i);
}

static void test_tokens_lifetime(void **state)
{
	struct kd_tokens t;
	struct kd_addr a = addr4(1, 4650);
	u8 s[KD_SECRET_LEN], tok[KDHT_TOKEN_LEN], fresh[KDHT_TOKEN_LEN];

	(void)state;
	secret(s, 1);
	kd_tokens_init(&t, s, 1000);
	kd_token_make(&t, &a, tok);
	assert_true(kd_token_check(&t, &a, tok));

	secret(s, 2);
	kd_tokens_rotate(&t, s, 2000);
	assert_int_equal(t.rotated_at, 2000);
	assert_true(kd_token_check(&t, &a, tok));	/* previous period */
	kd_token_make(&t, &a, fresh);
	assert_memory_not_equal(fresh, tok, KDHT_TOKEN_LEN);
	assert_true(kd_token_check(&t, &a, fresh));

	secret(s, 3);
	kd_tokens_rotate(&t, s, 3000);
	assert_false(kd_token_check(&t, &a, tok));	/* two periods old */
	assert_true(kd_token_check(&t, &a, fresh));
}

static void test_tokens_bound_to_address(void **state)
{
	struct kd_tokens t;
	struct kd_addr a = addr4(1, 4650), other;
	u8 s[KD_SECRET_LEN], tok[KDHT_TOKEN_LEN], zero[KDHT_TOKEN_LEN] = { 0 };

	(void)state;
	secret(s, 9);
	kd_tokens_init(&t, s, 0);
	kd_token_make(&t, &a, tok);
	other = addr4(2, 4650);
	assert_false(kd_token_check(&t, &other, tok));
	other = addr4(1, 4651);
	assert_false(kd_token_check(&t, &other, tok));
	other = a;
	other.family = KDHT_AF_INET6;
	assert_false(kd_token_check(&t, &other, tok));
	assert_false(kd_token_check(&t, &a, zero));
	tok[KDHT_TOKEN_LEN - 1] ^= 1;
	assert_false(kd_token_check(&t, &a, tok));

	/* IPv6 tokens cover all 128 bits, not just the /64. */
	a = addr6(1, 1, 4650);
	kd_token_make(&t, &a, tok);
	assert_true(kd_token_check(&t, &a, tok));
	other = addr6(1, 2, 4650);
	assert_false(kd_token_check(&t, &other, tok));
}

struct rl_fixture {
	struct kd_ratelimit rl;
	struct kd_rl_entry mem[64];
};

static struct kd_ratelimit *rl_new(struct rl_fixture *f, u32 n, u32 rate, u32 burst)
{
	assert_true(kd_rl_memsize(n) <= sizeof(f->mem));
	/* Garbage in the block must not matter: init clears it. */
	memset(f->mem, 0xa5, sizeof(f->mem));
	kd_rl_init(&f->rl, f->mem, n, rate, burst, key_seq);
	return &f->rl;
}

/* Requests from a validated source: its new entry starts with a full burst. */
static unsigned int take(struct kd_ratelimit *rl, u64 now, const struct kd_addr *a,
			 unsigned int tries)
{
	unsigned int ok = 0, i;

	for (i = 0; i < tries; i++)
		ok += kd_rl_allow(rl, now, a, true);
	return ok;
}

static void test_rl_burst_then_rate(void **state)
{
	struct rl_fixture f;
	struct kd_ratelimit *rl = rl_new(&f, 16, 10, 5);
	struct kd_addr a = addr4(1, 1);

	(void)state;
	assert_int_equal(take(rl, 1000, &a, 20), 5);
	/* 10 per second: one every 100 ms, nothing before. */
	assert_int_equal(take(rl, 1099, &a, 3), 0);
	assert_int_equal(take(rl, 1100, &a, 3), 1);
	assert_int_equal(take(rl, 1150, &a, 3), 0);
	assert_int_equal(take(rl, 1200, &a, 3), 1);
	/* A second of quiet refills 10, but the bucket holds only 5. */
	assert_int_equal(take(rl, 2200, &a, 20), 5);
	/* Steady state over 10 s at a high offered load: 10 per second. */
	{
		unsigned int ok = 0;
		u64 t;

		for (t = 2210; t <= 12200; t += 10)
			ok += take(rl, t, &a, 5);
		assert_int_equal(ok, 100);
	}
	/* The port does not matter: it is the same source. */
	a.port = 2;
	assert_int_equal(take(rl, 12200, &a, 1), 0);
}

static void test_rl_long_idle_no_overflow(void **state)
{
	struct rl_fixture f;
	struct kd_ratelimit *rl = rl_new(&f, 16, KD_RL_RATE_MAX, KD_RL_BURST_MAX);
	struct kd_addr a = addr4(1, 1);

	(void)state;
	/* 2^16 per second over 2^48 ms is 2^64 thousandths: a naive product wraps to 0. */
	kd_rl_set(rl, 1u << 16, 3);
	assert_int_equal(take(rl, 5, &a, 10), 3);
	/* After ages of silence: a full bucket, no more. */
	assert_int_equal(take(rl, 5 + (1ull << 48), &a, 10), 3);
	/* The clock stepping back refills nothing. */
	assert_int_equal(take(rl, 6, &a, 10), 0);
}

static void test_rl_sources_isolated(void **state)
{
	struct rl_fixture f;
	struct kd_ratelimit *rl = rl_new(&f, 64, 1, 4);
	struct kd_addr a = addr4(1, 1), b = addr4(2, 1);
	struct kd_addr x = addr6(1, 1, 1), y = addr6(1, 200, 1), z = addr6(2, 1, 1);

	(void)state;
	assert_int_equal(take(rl, 0, &a, 10), 4);
	assert_int_equal(take(rl, 0, &b, 10), 4);
	/* IPv6 hosts in one /64 share a bucket; another /64 has its own. */
	assert_int_equal(take(rl, 0, &x, 2), 2);
	assert_int_equal(take(rl, 0, &y, 10), 2);
	assert_int_equal(take(rl, 0, &z, 10), 4);
	assert_int_equal(rl->used, 4);
}

static void test_rl_set_caps_tokens(void **state)
{
	struct rl_fixture f;
	struct kd_ratelimit *rl = rl_new(&f, 16, 1, 100);
	struct kd_addr a = addr4(1, 1);

	(void)state;
	assert_int_equal(take(rl, 0, &a, 1), 1);
	kd_rl_set(rl, 1, 2);
	assert_int_equal(take(rl, 0, &a, 10), 2);
}

static void test_rl_bounded_under_spraying(void **state)
{
	struct rl_fixture f;
	struct kd_ratelimit *rl = rl_new(&f, 50, 1, 2);
	struct kd_addr a;
	unsigned int i, allowed = 0;

	(void)state;
	assert_int_equal(rl->nentries, 64);
	assert_int_equal(kd_rl_memsize(50), 64 * sizeof(struct kd_rl_entry));
	for (i = 0; i < 100000; i++) {
		a = addr4(0, 1);
		a.ip[0] = 10;
		a.ip[1] = (u8)(i >> 16);
		a.ip[2] = (u8)(i >> 8);
		a.ip[3] = (u8)i;
		allowed += kd_rl_allow(rl, 1000 + i / 100, &a, false);
		assert_true(rl->used <= rl->nentries);
	}
	/* Bounded state: once the table is full, new sources are refused, not recycled in. */
	assert_int_equal(allowed, 64);
	assert_int_equal(rl->used, 64);
}

static void test_rl_collect_idle(void **state)
{
	struct rl_fixture f;
	struct kd_ratelimit *rl = rl_new(&f, 64, 1, 1);
	struct kd_addr a;
	unsigned int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		a = addr4((u8)(i + 1), 1);
		assert_true(kd_rl_allow(rl, 100 * i, &a, false));
	}
	assert_int_equal(rl->used, 10);
	/* At 1000 with idle 500: entries last used before 500 go (0..500). */
	assert_int_equal(kd_rl_collect(rl, 1000, 500), 6);
	assert_int_equal(rl->used, 4);
	/* A collected source starts again with a full bucket; a kept one does not. */
	a = addr4(1, 1);
	assert_true(kd_rl_allow(rl, 1000, &a, false));
	a = addr4(10, 1);
	assert_false(kd_rl_allow(rl, 1000, &a, false));
	assert_int_equal(kd_rl_collect(rl, 100000, 500), 5);
	assert_int_equal(rl->used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_siphash_key_matters),
		cmocka_unit_test(test_tokens_lifetime),
		cmocka_unit_test(test_tokens_bound_to_address),
		cmocka_unit_test(test_rl_burst_then_rate),
		cmocka_unit_test(test_rl_long_idle_no_overflow),
		cmocka_unit_test(test_rl_sources_isolated),
		cmocka_unit_test(test_rl_set_caps_tokens),
		cmocka_unit_test(test_rl_bounded_under_spraying),
		cmocka_unit_test(test_rl_collect_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
