// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* Addresses as users type them for ping and bootstrap. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "addr.h"

static void round_trip(const char *in, const char *want)
{
	struct kd_addr a;
	char buf[KD_ADDR_STRLEN];

	assert_int_equal(kd_addr_parse(&a, in, 4650), 0);
	kd_addr_format(buf, &a);
	assert_string_equal(buf, want);
}

static void parses_what_users_type(void **state)
{
	round_trip("127.0.0.1:4001", "127.0.0.1:4001");
	round_trip("10.1.2.3", "10.1.2.3:4650");
	round_trip("[::1]:9", "[::1]:9");
	round_trip("fe80::1", "[fe80::1]:4650");
	round_trip("[2001:db8::5]", "[2001:db8::5]:4650");
}

static void refuses_nonsense(void **state)
{
	static const char *const bad[] = {
		"", ":", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x",
		"host.example:1", "[::1", "[::1]x", "1.2.3.4:1:2", "999.1.1.1:5",
		"[]:5", "1.2.3.4:-1", "1.2.3.4: 5",
	};
	struct kd_addr a;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kd_addr_parse(&a, bad[i], 4650), -EINVAL);
}

static void sockaddr_round_trip_and_v4_mapped(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(77) };
	struct kd_addr a, b;

	assert_int_equal(kd_addr_parse(&a, "192.0.2.9:5000", 1), 0);
	assert_int_equal(kd_addr_to_sockaddr(&a, &ss), sizeof(struct sockaddr_in));
	assert_int_equal(kd_addr_from_sockaddr(&b, (struct sockaddr *)&ss), 0);
	assert_memory_equal(&a, &b, sizeof(a));

	sin6.sin6_addr.s6_addr[10] = 0xff;
	sin6.sin6_addr.s6_addr[11] = 0xff;
	sin6.sin6_addr.s6_addr[12] = 192;
	sin6.sin6_addr.s6_addr[15] = 7;
	assert_int_equal(kd_addr_from_sockaddr(&b, (struct sockaddr *)&sin6), 0);
	assert_int_equal(b.family, KDHT_AF_INET);
	assert_int_equal(b.port, 77);
	assert_int_equal(b.ip[0], 192);
	assert_int_equal(b.ip[3], 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_what_users_type),
		cmocka_unit_test(refuses_nonsense),
		cmocka_unit_test(sockaddr_round_trip_and_v4_mapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
