// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"

/* The one address parser, kd_addr_parse(), then the socket address it names. */
static int endpoint_from(const struct kd_addr *a, struct endpoint *out)
{
	memset(out, 0, sizeof(*out));
	out->len = kd_addr_to_sockaddr(a, &out->ss);
	return out->len ? 0 : -EINVAL;
}

int endpoint_parse(const char *s, uint16_t default_port, struct endpoint *out)
{
	struct kd_addr a;

	if (kd_addr_parse(&a, s, default_port))
		return -EINVAL;
	return endpoint_from(&a, out);
}

int address_parse(const char *s, struct endpoint *out)
{
	struct kd_addr a;

	if (kd_addr_parse_ip(&a, s))
		return -EINVAL;
	return endpoint_from(&a, out);
}

void hdr_write(uint8_t *p, uint8_t version, uint8_t type, uint8_t flags,
	       uint16_t body_len, uint32_t txid, const uint8_t *token,
	       const uint8_t *sender)
{
	put_be16(p, KDHT_MAGIC);
	p[2] = version;
	p[3] = type;
	p[4] = flags;
	p[5] = 0;
	put_be16(p + 6, body_len);
	p[8] = (uint8_t)(txid >> 24);
	p[9] = (uint8_t)(txid >> 16);
	p[10] = (uint8_t)(txid >> 8);
	p[11] = (uint8_t)txid;
	if (token)
		memcpy(p + 12, token, KDHT_TOKEN_LEN);
	else
		memset(p + 12, 0, KDHT_TOKEN_LEN);
	memcpy(p + 20, sender, KDHT_ID_LEN);
}

size_t pad_datagram(uint8_t *pkt, size_t len, size_t pad_to)
{
	size_t pad;

	if (pad_to > KDHT_MAX_DATAGRAM)
		pad_to = KDHT_MAX_DATAGRAM;
	if (pad_to < len + KDHT_PAD_TRAILER_LEN)
		return len;
	pad = pad_to - len;
	memset(pkt + len, 0, pad);
	put_be16(pkt + pad_to - KDHT_PAD_TRAILER_LEN, (uint16_t)pad);
	pkt[4] |= KDHT_F_PADDED;
	put_be16(pkt + 6, (uint16_t)(pad_to - KDHT_HDR_LEN));
	return pad_to;
}

void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9e3779b97f4a7c15ull;
}

uint64_t rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)((rng_next(r) >> 32) * n >> 32);
}

void rng_bytes(struct rng *r, uint8_t *p, size_t n)
{
	size_t i;
	uint64_t v = 0;

	for (i = 0; i < n; i++) {
		if ((i & 7) == 0)
			v = rng_next(r);
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int uint_parse(const char *s, const char *opt, unsigned long min,
	       unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || *out < min || *out > max) {
		fprintf(stderr, "%s: expected an integer in %lu..%lu, got '%s'\n",
			opt, min, max, s);
		return -EINVAL;
	}
	return 0;
}

int seconds_parse(const char *s, const char *opt, uint64_t *out_ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= 0 && v <= 3600)) {
		fprintf(stderr, "%s: expected seconds in 0..3600, got '%s'\n", opt, s);
		return -EINVAL;
	}
	*out_ns = (uint64_t)(v * 1e9);
	return 0;
}

void figures_print(const struct figure *f, unsigned int n, bool json)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (json)
			printf("%s\"%s\":%.*f", i ? "," : "{", f[i].name, f[i].decimals, f[i].value);
		else
			printf("%s %.*f\n", f[i].name, f[i].decimals, f[i].value);
	}
	if (json)
		printf("}\n");
}
