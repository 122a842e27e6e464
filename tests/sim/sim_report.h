/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * kdht-sim's figures: a run's lookups and tables summed up, and printed as a
 * report, a row of the per-scenario report, or one JSON object.
 */
#ifndef KDHT_SIM_REPORT_H
#define KDHT_SIM_REPORT_H

#include "sim.h"

struct sim_summary {
	uint32_t done, ok, success;
	double found_frac;
	uint32_t rounds_med, rounds_p99, rounds_max;
	uint32_t ms_med, ms_p90, ms_p99, ms_max;
	double sent_avg, timeouts_avg;
	double members_avg, repl_avg;
	uint32_t contacts_max;	/* the fullest pool: members and replacements */
	uint32_t live;
	double join_wall_s, lookup_wall_s;
	uint64_t join_virtual_ms;
	long peak_rss_kb;
};

/* Sums up the judged lookups and the live nodes' tables into sum; -ENOMEM. */
int sim_summarise(const struct sim *s, struct sim_summary *sum);
/* 100 * a / b, or 0 when b is 0. */
double sim_pct(uint32_t a, uint32_t b);
/* The report of one run, for a person. */
void sim_print_human(const struct sim *s, uint64_t seed, const struct sim_summary *m);
/* One JSON object on one line; scenario names the --report scenario, or NULL. */
void sim_print_json(const struct sim *s, uint64_t seed, const char *scenario,
		    const struct sim_summary *m);
/* The header of the per-scenario report's rows. */
void sim_print_row_header(void);
/* One scenario's row of the report; quiet_ms is the quiet median, 0 if unknown. */
void sim_print_row(const char *name, const struct sim *s, const struct sim_summary *m,
		   uint32_t quiet_ms);

#endif /* KDHT_SIM_REPORT_H */
