/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * What the packet tools share: endpoint parsing, datagram headers written
 * straight from proto/kdht_wire.h (the tools must be able to write what the
 * codec would refuse to), a seeded generator and the clock.
 */
#ifndef KDHT_TOOLS_PKT_H
#define KDHT_TOOLS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hex.h"
#include "kdht_wire.h"

struct endpoint {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "1.2.3.4:5", "[fd00::1]:5"; port optional when default_port != 0. */
int endpoint_parse(const char *s, uint16_t default_port, struct endpoint *out);

/* Address only ("1.2.3.4", "fd00::1"), port 0, for binding sources. */
int address_parse(const char *s, struct endpoint *out);

/* Writes a KDHT_HDR_LEN-byte header at p. */
void hdr_write(uint8_t *p, uint8_t version, uint8_t type, uint8_t flags,
	       uint16_t body_len, uint32_t txid, const uint8_t *token,
	       const uint8_t *sender);

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/*
 * Appends padding to a datagram of len bytes so that it is pad_to bytes
 * long (when pad_to > len + KDHT_PAD_TRAILER_LEN - 1), fixing body_len and
 * KDHT_F_PADDED in its header. Returns the new length.
 */
size_t pad_datagram(uint8_t *pkt, size_t len, size_t pad_to);

/* xorshift64*: reproducible from a seed, cheap enough for 10^6 packets. */
struct rng {
	uint64_t s;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n), n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
void rng_bytes(struct rng *r, uint8_t *p, size_t n);

/* One figure of a tool's report. */
struct figure {
	const char *name;
	double value;
	int decimals;		/* 0: a count */
};

/* Prints the figures as one JSON object, or as "name value" lines. */
void figures_print(const struct figure *f, unsigned int n, bool json);

/* Monotonic time in nanoseconds. */
uint64_t now_ns(void);

/* Parses an unsigned decimal in [min, max]; prints a message naming opt. */
int uint_parse(const char *s, const char *opt, unsigned long min,
	       unsigned long max, unsigned long *out);

/* Seconds, possibly fractional ("2", "0.5"), to nanoseconds. */
int seconds_parse(const char *s, const char *opt, uint64_t *out_ns);

#endif /* KDHT_TOOLS_PKT_H */
