// SPDX-License-Identifier: GPL-2.0 OR MIT
#include "out.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void out_err(const char *fmt, ...)
{
	va_list ap;

	fputs("dhtctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void out_hex(char *dst, const uint8_t *src, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 0xf];
	}
	dst[2 * len] = '\0';
}

static int out_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int out_parse_hex(uint8_t *dst, size_t len, const char *s)
{
	size_t i;

	if (strlen(s) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		int hi = out_nibble(s[2 * i]), lo = out_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void out_ip(char *dst, size_t cap, int family, const uint8_t *ip)
{
	if (!inet_ntop(family, ip, dst, (socklen_t)cap))
		snprintf(dst, cap, "?");
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

int out_parse_endpoint(const char *s, int *family, uint8_t ip[16], uint16_t *port)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *start = s;
	unsigned long p;
	size_t len;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -1;
		start = s + 1;
		len = (size_t)(close - start);
		colon = close + 1;
		*family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		len = (size_t)(colon - s);
		*family = AF_INET;
	}
	if (len == 0 || len >= sizeof(host))
		return -1;
	memcpy(host, start, len);
	host[len] = '\0';
	memset(ip, 0, 16);
	if (inet_pton(*family, host, ip) != 1)
		return -1;
	if (out_parse_uint(colon + 1, 1, 65535, &p))
		return -1;
	*port = (uint16_t)p;
	return 0;
}

static void json_sep(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			putchar(',');
		j->first[j->depth] = false;
	}
	if (key)
		printf("\"%s\":", key);
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

void json_str(struct json *j, const char *key, const char *val)
{
	const char *p;

	json_sep(j, key);
	putchar('"');
	for (p = val; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
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

void json_null(struct json *j, const char *key)
{
	json_sep(j, key);
	fputs("null", stdout);
}
