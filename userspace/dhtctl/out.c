// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "out.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

#define JSON_HEX_MAX	32	/* ids and keys */

static bool json_mode;
static bool printed;	/* a JSON result went to stdout: no error object after it */

void out_set_json(bool json)
{
	json_mode = json;
}

bool out_json(void)
{
	return json_mode;
}

int out_fail(int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "dhtctl: %s\n", msg);
	if (json_mode && !printed) {
		struct json j = { 0 };

		json_open(&j, '{', NULL);
		json_str(&j, "error", msg);
		json_uint(&j, "status", (uint64_t)status);
		json_close(&j, '}');
	}
	return status;
}

void out_note(const char *fmt, ...)
{
	va_list ap;

	fputs("dhtctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int out_parse_uint(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The length of the UTF-8 sequence at p (at most left bytes), or 0. */
static size_t utf8_len(const uint8_t *p, size_t left)
{
	size_t n, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool out_is_utf8(const uint8_t *p, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i += n) {
		n = utf8_len(p + i, len - i);
		if (!n)
			return false;
	}
	return true;
}

/* A JSON string: escaped, invalid UTF-8 written as U+FFFD. */
static void json_quoted(const uint8_t *p, size_t len)
{
	size_t i, n;

	putchar('"');
	for (i = 0; i < len; i += n) {
		n = utf8_len(p + i, len - i);
		if (!n) {
			fputs("\\ufffd", stdout);
			n = 1;
		} else if (p[i] == '"' || p[i] == '\\') {
			printf("\\%c", p[i]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			printf("\\u%04x", p[i]);
		} else {
			fwrite(p + i, 1, n, stdout);
		}
	}
	putchar('"');
}

static void json_sep(struct json *j, const char *key)
{
	printed = true;
	if (j->depth > 0) {
		if (!j->first[j->depth])
			putchar(',');
		j->first[j->depth] = false;
	}
	if (key) {
		json_quoted((const uint8_t *)key, strlen(key));
		putchar(':');
	}
}

void json_open(struct json *j, char bracket, const char *key)
{
	json_sep(j, key);
	putchar(bracket);
	if (j->depth + 1 < (int)(sizeof(j->first) / sizeof(j->first[0])))
		j->depth++;
	j->first[j->depth] = true;
}

void json_close(struct json *j, char bracket)
{
	putchar(bracket);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		putchar('\n');
}

void json_bytes(struct json *j, const char *key, const uint8_t *p, size_t len)
{
	json_sep(j, key);
	json_quoted(p, len);
}

void json_str(struct json *j, const char *key, const char *val)
{
	json_bytes(j, key, (const uint8_t *)val, strlen(val));
}

void json_hex(struct json *j, const char *key, const uint8_t *p, size_t len)
{
	char hex[2 * JSON_HEX_MAX + 1];

	if (len > JSON_HEX_MAX)
		len = JSON_HEX_MAX;
	kd_hex_format(hex, p, len);
	json_str(j, key, hex);
}

void json_base64(struct json *j, const char *key, const uint8_t *p, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	json_sep(j, key);
	putchar('"');
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		printf("%c%c%c%c", abc[v >> 18], abc[v >> 12 & 63], abc[v >> 6 & 63],
		       abc[v & 63]);
	}
	if (len - i == 1)
		printf("%c%c==", abc[p[i] >> 2], abc[(p[i] & 3) << 4]);
	else if (len - i == 2)
		printf("%c%c%c=", abc[p[i] >> 2], abc[(p[i] & 3) << 4 | p[i + 1] >> 4],
		       abc[(p[i + 1] & 15) << 2]);
	putchar('"');
}

void json_uint(struct json *j, const char *key, uint64_t val)
{
	json_sep(j, key);
	printf("%llu", (unsigned long long)val);
}

void json_bool(struct json *j, const char *key, bool val)
{
	json_sep(j, key);
	fputs(val ? "true" : "false", stdout);
}
