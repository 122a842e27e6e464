/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The daemon's two clocks: wall-clock seconds for what must survive a
 * restart (expiries, republish times), the monotonic clock for timeouts and
 * for measuring how long things take.
 */
#ifndef KDD_CLOCK_H
#define KDD_CLOCK_H

#include <stdint.h>
#include <sys/time.h>
#include <uv.h>

static inline uint64_t kdd_wall_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec;
}

static inline uint64_t kdd_wall_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static inline uint64_t kdd_mono_ms(void)
{
	return uv_hrtime() / 1000000;
}

static inline uint64_t kdd_mono_us(void)
{
	return uv_hrtime() / 1000;
}

#endif /* KDD_CLOCK_H */
