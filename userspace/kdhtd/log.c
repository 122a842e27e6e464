// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool log_syslog;
static enum kdd_log_level log_max = KDD_LOG_INFO;
static const char *log_ident = "kdhtd";

static const char *const level_names[] = {
	[LOG_ERR] = "err", [LOG_WARNING] = "warn", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void kdd_log_init(const char *ident, bool use_syslog, enum kdd_log_level max_level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_max = max_level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

int kdd_log_level_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (level_names[i] && strcmp(level_names[i], s) == 0)
			return (int)i;
	return -1;
}

void kdd_log(enum kdd_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_max)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog((int)level, fmt, ap);
	} else {
		fprintf(stderr, "%s: %s: ", log_ident, level_names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
