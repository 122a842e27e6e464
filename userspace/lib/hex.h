/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The one hex parser and printer of userspace (ids, keys, tokens). */
#ifndef KD_HEX_H
#define KD_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Exactly 2 * len hex digits, either case, into dst. Returns 0 or -EINVAL. */
int kd_hex_parse(uint8_t *dst, size_t len, const char *s);
/* Lower-case hex of src; dst holds 2 * len + 1 bytes. */
void kd_hex_format(char *dst, const uint8_t *src, size_t len);

#endif /* KD_HEX_H */
