/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* The daemon's log: stderr or syslog, with a threshold. */
#ifndef KDD_LOG_H
#define KDD_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum kdd_log_level {
	KDD_LOG_ERR = LOG_ERR,
	KDD_LOG_WARN = LOG_WARNING,
	KDD_LOG_INFO = LOG_INFO,
	KDD_LOG_DEBUG = LOG_DEBUG,
};

void kdd_log_init(const char *ident, bool use_syslog, enum kdd_log_level max_level);

/* "err", "warn", "info" or "debug"; -1 for anything else. */
int kdd_log_level_parse(const char *s);

__attribute__((format(printf, 2, 3)))
void kdd_log(enum kdd_log_level level, const char *fmt, ...);

#endif /* KDD_LOG_H */
