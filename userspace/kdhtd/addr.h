/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Conversions between struct kd_addr, text and socket addresses. */
#ifndef KDD_ADDR_H
#define KDD_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "kd_types.h"

/* "a.b.c.d:port" or "[v6]:port" (plus NUL). */
#define KDD_ADDR_STRLEN 56

/*
 * Parses "IPv4:port" or "[IPv6]:port"; a bare address takes default_port.
 * Returns 0 or -EINVAL.
 */
int kdd_addr_parse(struct kd_addr *out, const char *s, uint16_t default_port);
void kdd_addr_format(char buf[KDD_ADDR_STRLEN], const struct kd_addr *a);

/* Returns the sockaddr length, or 0 for an unknown family. */
socklen_t kdd_addr_to_sockaddr(const struct kd_addr *a, struct sockaddr_storage *ss);

/* An IPv4-mapped IPv6 source becomes the IPv4 address it stands for. */
int kdd_addr_from_sockaddr(struct kd_addr *out, const struct sockaddr *sa);

#endif /* KDD_ADDR_H */
