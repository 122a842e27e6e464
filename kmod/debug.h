/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Object lifetime lines of debug builds: the test harness counts creates
 * against destroys per kind and fails a run on a mismatch.
 */
#ifndef _KDHT_DEBUG_H
#define _KDHT_DEBUG_H

#include <linux/printk.h>

#ifdef DEBUG
#define kdht_obj_log(op, kind, fmt, ...) \
	pr_info("obj " op " " kind " " fmt "\n", ##__VA_ARGS__)
#else
#define kdht_obj_log(op, kind, fmt, ...) no_printk(fmt, ##__VA_ARGS__)
#endif

#endif /* _KDHT_DEBUG_H */
