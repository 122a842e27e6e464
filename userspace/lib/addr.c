// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int kd_addr_parse(struct kd_addr *out, const char *s, uint16_t default_port)
{
	char host[INET6_ADDRSTRLEN];
	const char *port_s = NULL, *end;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->port = default_port;
	if (s[0] == '[') {
		end = strchr(s, ']');
		if (!end)
			return -EINVAL;
		len = (size_t)(end - s - 1);
		if (end[1] == ':')
			port_s = end + 2;
		else if (end[1])
			return -EINVAL;
		s++;
		out->family = KDHT_AF_INET6;
	} else {
		end = strchr(s, ':');
		if (end && strchr(end + 1, ':')) {
			/* A bare IPv6 address. */
			end = NULL;
			out->family = KDHT_AF_INET6;
		} else {
			out->family = KDHT_AF_INET;
		}
		len = end ? (size_t)(end - s) : strlen(s);
		if (end)
			port_s = end + 1;
	}
	if (len == 0 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	if (port_s && parse_port(port_s, &out->port))
		return -EINVAL;
	if (inet_pton(kd_addr_sa_family(out), host, out->ip) != 1)
		return -EINVAL;
	return out->port ? 0 : -EINVAL;
}

int kd_addr_parse_ip(struct kd_addr *out, const char *s)
{
	memset(out, 0, sizeof(*out));
	out->family = strchr(s, ':') ? KDHT_AF_INET6 : KDHT_AF_INET;
	return inet_pton(kd_addr_sa_family(out), s, out->ip) == 1 ? 0 : -EINVAL;
}

int kd_addr_sa_family(const struct kd_addr *a)
{
	return a->family == KDHT_AF_INET ? AF_INET : AF_INET6;
}

size_t kd_addr_ip_len(const struct kd_addr *a)
{
	return a->family == KDHT_AF_INET ? 4 : 16;
}

void kd_addr_format(char buf[KD_ADDR_STRLEN], const struct kd_addr *a)
{
	char host[INET6_ADDRSTRLEN];

	if (a->family == KDHT_AF_INET && inet_ntop(AF_INET, a->ip, host, sizeof(host)))
		snprintf(buf, KD_ADDR_STRLEN, "%s:%u", host, a->port);
	else if (a->family == KDHT_AF_INET6 && inet_ntop(AF_INET6, a->ip, host, sizeof(host)))
		snprintf(buf, KD_ADDR_STRLEN, "[%s]:%u", host, a->port);
	else
		snprintf(buf, KD_ADDR_STRLEN, "?");
}

socklen_t kd_addr_to_sockaddr(const struct kd_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == KDHT_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->ip, 4);
		return sizeof(*sin);
	}
	if (a->family == KDHT_AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->ip, 16);
		return sizeof(*sin6);
	}
	return 0;
}

int kd_addr_from_sockaddr(struct kd_addr *out, const struct sockaddr *sa)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		out->family = KDHT_AF_INET;
		out->port = ntohs(sin->sin_port);
		memcpy(out->ip, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		out->port = ntohs(sin6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			out->family = KDHT_AF_INET;
			memcpy(out->ip, sin6->sin6_addr.s6_addr + 12, 4);
		} else {
			out->family = KDHT_AF_INET6;
			memcpy(out->ip, &sin6->sin6_addr, 16);
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}
