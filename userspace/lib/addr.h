/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The one address module of userspace: struct kd_addr (kmod/core/kd_types.h)
 * to and from text and socket addresses. dhtctl, kdhtd, kdnl and the packet
 * tools all use it, so an address is parsed and printed the same everywhere.
 */
#ifndef KD_ADDR_H
#define KD_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "kd_types.h"

/* "a.b.c.d:port" or "[v6]:port" (plus NUL). */
#define KD_ADDR_STRLEN 56

/*
 * Parses "IPv4:port", "[IPv6]:port", or a bare address, which takes
 * default_port (0: the port is required). Returns 0 or -EINVAL.
 */
int kd_addr_parse(struct kd_addr *out, const char *s, uint16_t default_port);
/* A bare IPv4 or IPv6 address, port 0 (a source to bind). 0 or -EINVAL. */
int kd_addr_parse_ip(struct kd_addr *out, const char *s);
void kd_addr_format(char buf[KD_ADDR_STRLEN], const struct kd_addr *a);

/* Returns the sockaddr length, or 0 for an unknown family. */
socklen_t kd_addr_to_sockaddr(const struct kd_addr *a, struct sockaddr_storage *ss);

/* An IPv4-mapped IPv6 source becomes the IPv4 address it stands for. */
int kd_addr_from_sockaddr(struct kd_addr *out, const struct sockaddr *sa);

/* AF_INET or AF_INET6 for a KDHT_AF_* family; the address's length in bytes. */
int kd_addr_sa_family(const struct kd_addr *a);
size_t kd_addr_ip_len(const struct kd_addr *a);

#endif /* KD_ADDR_H */
