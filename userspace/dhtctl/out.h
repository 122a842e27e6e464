/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Output helpers: hex ids, addresses, errors, and a small JSON writer. */
#ifndef DHTCTL_OUT_H
#define DHTCTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OUT_ADDR_LEN	64	/* "[v6]:port" with room to spare */

/* One line on stderr: "dhtctl: ...". */
void out_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void out_hex(char *dst, const uint8_t *src, size_t len);	/* dst: 2 * len + 1 */
/* -1 unless s is exactly 2 * len hex digits. */
int out_parse_hex(uint8_t *dst, size_t len, const char *s);
/* "1.2.3.4" or "fe80::1"; family AF_INET or AF_INET6. */
void out_ip(char *dst, size_t cap, int family, const uint8_t *ip);
/* ADDR:PORT, [V6ADDR]:PORT. -1 on a malformed address or port. */
int out_parse_endpoint(const char *s, int *family, uint8_t ip[16], uint16_t *port);
/* A decimal number within [min, max]; -1 otherwise. */
int out_parse_uint(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out);

/* JSON writer: a stack of open objects/arrays on stdout with comma tracking. */
struct json {
	int depth;
	bool first[16];
};

void json_open(struct json *j, char bracket, const char *key);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *val);
void json_uint(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);

#endif /* DHTCTL_OUT_H */
