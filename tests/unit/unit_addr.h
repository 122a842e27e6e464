/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* Addresses for the unit tests, written as their leading bytes. */
#ifndef KDHT_UNIT_ADDR_H
#define KDHT_UNIT_ADDR_H

#include <stddef.h>
#include <string.h>

#include "kd_types.h"

/* An address of family with port, ip starting with prefix, zero after it. */
static inline struct kd_addr unit_addr(u8 family, u16 port, const u8 *prefix, size_t len)
{
	struct kd_addr a;

	memset(&a, 0, sizeof(a));
	a.family = family;
	a.port = port;
	memcpy(a.ip, prefix, len);
	return a;
}

#endif /* KDHT_UNIT_ADDR_H */
