/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The few primitives the routing core needs, for the kernel and for
 * userspace. This is the only file of the core that knows which host it is
 * built for; the logic files include it and nothing else from the outside.
 */
#ifndef KD_PORT_H
#define KD_PORT_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/stddef.h>
#include <linux/errno.h>
#include <linux/bitops.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

/* The kernel's name for a memset the compiler may not drop (glibc 2.25+). */
#define memzero_explicit(p, len) explicit_bzero(p, len)
#endif

/* Byte order on the wire is big-endian, read and written byte by byte. */
static inline u16 kd_get_be16(const u8 *p)
{
	return (u16)((p[0] << 8) | p[1]);
}

static inline u32 kd_get_be32(const u8 *p)
{
	return ((u32)p[0] << 24) | ((u32)p[1] << 16) | ((u32)p[2] << 8) | p[3];
}

static inline u64 kd_get_be64(const u8 *p)
{
	return ((u64)kd_get_be32(p) << 32) | kd_get_be32(p + 4);
}

static inline void kd_put_be16(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)(v & 0xff);
}

static inline void kd_put_be32(u8 *p, u32 v)
{
	p[0] = (u8)(v >> 24);
	p[1] = (u8)(v >> 16);
	p[2] = (u8)(v >> 8);
	p[3] = (u8)v;
}

static inline void kd_put_be64(u8 *p, u64 v)
{
	kd_put_be32(p, (u32)(v >> 32));
	kd_put_be32(p + 4, (u32)v);
}

/* Unaligned little-endian 64-bit load, for SipHash. */
static inline u64 kd_get_le64(const u8 *p)
{
	u64 v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define KD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/*
 * Functions, not macros, so that no argument is evaluated twice. The core
 * only takes minima and maxima of unsigned quantities.
 */
static inline u64 kd_min(u64 a, u64 b)
{
	return a < b ? a : b;
}

static inline u64 kd_max(u64 a, u64 b)
{
	return a > b ? a : b;
}

#define KD_MIN(a, b) kd_min(a, b)
#define KD_MAX(a, b) kd_max(a, b)

#endif /* KD_PORT_H */
