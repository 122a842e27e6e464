/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* dhtctl's output: errors and notices, and a small JSON writer on stdout. */
#ifndef DHTCTL_OUT_H
#define DHTCTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* With --json, errors are also a JSON object on stdout. */
void out_set_json(bool json);
bool out_json(void);

/*
 * One line on stderr, "dhtctl: ...", and with --json {"error": "...",
 * "status": status} on stdout unless a result was printed. Returns status.
 */
int out_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line on stderr that changes nothing (a clamped value). */
void out_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A decimal number within [min, max]; -1 otherwise. */
int out_parse_uint(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out);
bool out_is_utf8(const uint8_t *p, size_t len);

/* JSON writer: a stack of open objects/arrays on stdout with comma tracking. */
struct json {
	int depth;
	bool first[16];
};

void json_open(struct json *j, char bracket, const char *key);
void json_close(struct json *j, char bracket);
/* Invalid UTF-8 in val is written as U+FFFD, so the output stays JSON. */
void json_str(struct json *j, const char *key, const char *val);
void json_bytes(struct json *j, const char *key, const uint8_t *p, size_t len);
void json_hex(struct json *j, const char *key, const uint8_t *p, size_t len);
void json_base64(struct json *j, const char *key, const uint8_t *p, size_t len);
void json_uint(struct json *j, const char *key, uint64_t val);
void json_bool(struct json *j, const char *key, bool val);

#endif /* DHTCTL_OUT_H */
