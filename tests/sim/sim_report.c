// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-sim's figures: percentiles of the judged lookups, the tables' sizes,
 * and the three ways of printing them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim_report.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (0..100) of v[0..n), sorted in place. */
static uint32_t percentile(uint32_t *v, uint32_t n, uint32_t p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u32);
	return v[((uint64_t)(n - 1) * p + 50) / 100];
}

static long peak_rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int sim_summarise(const struct sim *s, struct sim_summary *sum)
{
	uint32_t *rounds = calloc(s->nlk + 1, sizeof(*rounds));
	uint32_t *ms = calloc(s->nlk + 1, sizeof(*ms));
	uint64_t members = 0, repl = 0, found = 0, want = 0, sent = 0, timeouts = 0;
	uint32_t i, d = 0;

	if (!rounds || !ms) {
		free(rounds);
		free(ms);
		return -ENOMEM;
	}
	for (i = 0; i < s->nlk; i++) {
		const struct sim_lookup_rec *r = &s->lk[i];

		if (!r->done)
			continue;
		sum->ok += r->ok;
		sum->success += r->success;
		found += r->found;
		want += r->want;
		sent += r->sent;
		timeouts += r->timeouts;
		rounds[d] = r->rounds;
		ms[d] = r->elapsed_ms;
		if (r->rounds > sum->rounds_max)
			sum->rounds_max = r->rounds;
		d++;
	}
	sum->done = d;
	sum->found_frac = want ? (double)found / (double)want : 0;
	sum->sent_avg = d ? (double)sent / d : 0;
	sum->timeouts_avg = d ? (double)timeouts / d : 0;
	sum->rounds_med = percentile(rounds, d, 50);
	sum->rounds_p99 = percentile(rounds, d, 99);
	sum->ms_med = percentile(ms, d, 50);
	sum->ms_p90 = percentile(ms, d, 90);
	sum->ms_p99 = percentile(ms, d, 99);
	sum->ms_max = percentile(ms, d, 100);
	free(rounds);
	free(ms);
	for (i = 0; i < s->nnodes; i++) {
		struct kd_table *t;

		if (!s->node[i].alive)
			continue;
		t = kd_core_table(s->node[i].core);
		members += t->members;
		repl += t->replacements;
		if ((uint32_t)t->members + t->replacements > sum->contacts_max)
			sum->contacts_max = (uint32_t)t->members + t->replacements;
		sum->live++;
	}
	sum->members_avg = sum->live ? (double)members / sum->live : 0;
	sum->repl_avg = sum->live ? (double)repl / sum->live : 0;
	sum->peak_rss_kb = peak_rss_kb();
	return 0;
}

double sim_pct(uint32_t a, uint32_t b)
{
	return b ? 100.0 * a / b : 0;
}

void sim_print_human(const struct sim *s, uint64_t seed, const struct sim_summary *m)
{
	unsigned int r;

	printf("kdht-sim: %u nodes (%u live, %u hostile), seed %llu\n", s->nnodes, m->live,
	       s->nhostile, (unsigned long long)seed);
	printf("  params      k=%u alpha=%u max_contacts=%u max_inflight=%u max_lookups=%u width=%u\n",
	       s->params.k, s->params.alpha, s->params.max_contacts, s->params.max_inflight,
	       s->params.max_lookups, s->params.lookup_width);
	printf("  memory      %zu B/node (kd_core_memsize), %zu B/contact, arena %.1f MiB, peak RSS %.1f MiB\n",
	       kd_core_memsize(&s->params), sizeof(struct kd_contact),
	       (double)s->node_mem * s->max_nodes / 1048576.0, m->peak_rss_kb / 1024.0);
	printf("  tables      %.1f members, %.1f replacements per live node (fullest %u of %u); %u joins failed\n",
	       m->members_avg, m->repl_avg, m->contacts_max, s->params.max_contacts,
	       s->joins_failed);
	printf("  join        %.2f s wall, %.1f s virtual\n", m->join_wall_s,
	       m->join_virtual_ms / 1000.0);
	printf("  lookups     %u asked, %u done, %u in time\n", s->nlk, m->done, m->ok);
	printf("  success     %.2f%% found the closest live node; %.2f%% of the k closest found\n",
	       sim_pct(m->success, s->nlk), 100.0 * m->found_frac);
	if (m->success < s->nlk)
		printf("  failures    %u: closest node unknown to every hit; %u: a hit knew it\n",
		       s->fail_unknown, s->fail_known);
	if (s->nsybil || s->crowded)
		printf("  sybils      %u in 11.0.0.0/24 next to the key; %u results with more than %u of one /24\n",
		       s->nsybil, s->crowded, s->params.result_per_subnet);
	printf("  rounds      median %u, p99 %u, max %u\n", m->rounds_med, m->rounds_p99,
	       m->rounds_max);
	printf("  time        median %u ms, p90 %u ms, p99 %u ms, max %u ms (virtual)\n",
	       m->ms_med, m->ms_p90, m->ms_p99, m->ms_max);
	if (s->churn.active)
		printf("  churn       %u left, %u joined (%u in a vanished node's slot), %.0f ms apart\n",
		       s->churn.left, s->churn.joined, s->churn.reused, s->churn.interval_ms);
	printf("  messages    %.1f sent, %.2f timeouts per lookup\n", m->sent_avg,
	       m->timeouts_avg);
	printf("  network     %llu sent, %llu delivered, %llu lost, %llu to dead, %llu hostile replies, peak %u in flight\n",
	       (unsigned long long)s->cnt.sent, (unsigned long long)s->cnt.delivered,
	       (unsigned long long)s->cnt.lost, (unsigned long long)s->cnt.to_dead,
	       (unsigned long long)s->cnt.hostile_replies, s->pkts.peak);
	for (r = 1; r < KD_R_COUNT; r++)
		if (s->cnt.input_drops[r])
			printf("  dropped     %s: %llu\n", kd_reason_name(r),
			       (unsigned long long)s->cnt.input_drops[r]);
	if (s->cnt.replies_cut)
		printf("  cut         %llu replies cut to an unvalidated source's budget\n",
		       (unsigned long long)s->cnt.replies_cut);
	if (s->cnt.tick_storms)
		printf("  WARNING     %llu tick storms (core due again right after its tick)\n",
		       (unsigned long long)s->cnt.tick_storms);
	printf("  wall        %.2f s lookups, %.2f s total\n", m->lookup_wall_s,
	       m->join_wall_s + m->lookup_wall_s);
}

void sim_print_json(const struct sim *s, uint64_t seed, const char *scenario,
		    const struct sim_summary *m)
{
	unsigned int r;
	const char *sep = "";

	if (scenario)
		printf("{\"scenario\":\"%s\",", scenario);
	else
		printf("{");
	printf("\"nodes\":%u,\"live\":%u,\"hostile\":%u,\"seed\":%llu,", s->nnodes, m->live,
	       s->nhostile, (unsigned long long)seed);
	printf("\"bytes_per_node\":%zu,\"bytes_per_contact\":%zu,\"peak_rss_kb\":%ld,",
	       kd_core_memsize(&s->params), sizeof(struct kd_contact), m->peak_rss_kb);
	printf("\"table_members_avg\":%.2f,\"table_replacements_avg\":%.2f,\"table_contacts_max\":%u,\"joins_failed\":%u,",
	       m->members_avg, m->repl_avg, m->contacts_max, s->joins_failed);
	printf("\"lookups\":%u,\"done\":%u,\"in_time\":%u,\"success_pct\":%.3f,\"k_closest_found_pct\":%.3f,",
	       s->nlk, m->done, m->ok, sim_pct(m->success, s->nlk), 100.0 * m->found_frac);
	printf("\"fail_closest_unknown\":%u,\"fail_closest_known\":%u,",
	       s->fail_unknown, s->fail_known);
	printf("\"sybils\":%u,\"crowded_results\":%u,", s->nsybil, s->crowded);
	printf("\"rounds_median\":%u,\"rounds_p99\":%u,\"rounds_max\":%u,", m->rounds_med,
	       m->rounds_p99, m->rounds_max);
	printf("\"ms_p90\":%u,\"ms_max\":%u,\"churn_left\":%u,\"churn_joined\":%u,",
	       m->ms_p90, m->ms_max, s->churn.left, s->churn.joined);
	printf("\"ms_median\":%u,\"ms_p99\":%u,\"sent_per_lookup\":%.2f,\"timeouts_per_lookup\":%.3f,",
	       m->ms_med, m->ms_p99, m->sent_avg, m->timeouts_avg);
	printf("\"packets\":{\"sent\":%llu,\"delivered\":%llu,\"lost\":%llu,\"to_dead\":%llu,\"hostile_replies\":%llu},",
	       (unsigned long long)s->cnt.sent, (unsigned long long)s->cnt.delivered,
	       (unsigned long long)s->cnt.lost, (unsigned long long)s->cnt.to_dead,
	       (unsigned long long)s->cnt.hostile_replies);
	printf("\"dropped\":{");
	for (r = 1; r < KD_R_COUNT; r++) {
		if (!s->cnt.input_drops[r])
			continue;
		printf("%s\"%s\":%llu", sep, kd_reason_name(r),
		       (unsigned long long)s->cnt.input_drops[r]);
		sep = ",";
	}
	printf("},\"replies_cut\":%llu,\"tick_storms\":%llu,\"join_wall_s\":%.3f,\"lookup_wall_s\":%.3f}\n",
	       (unsigned long long)s->cnt.replies_cut, (unsigned long long)s->cnt.tick_storms,
	       m->join_wall_s, m->lookup_wall_s);
}

void sim_print_row_header(void)
{
	printf("%-12s %7s %8s %11s %26s %8s %9s %8s %8s\n", "scenario", "nodes", "success",
	       "rounds", "time ms med/p90/p99/max", "x quiet", "msgs", "timeouts",
	       "wall s");
}

void sim_print_row(const char *name, const struct sim *s, const struct sim_summary *m,
		   uint32_t quiet_ms)
{
	char rounds[24], ms[48];

	snprintf(rounds, sizeof(rounds), "%u/%u", m->rounds_med, m->rounds_p99);
	snprintf(ms, sizeof(ms), "%u/%u/%u/%u", m->ms_med, m->ms_p90, m->ms_p99, m->ms_max);
	printf("%-12s %7u %7.2f%% %11s %26s %8.2f %9.1f %8.2f %8.1f\n", name, m->live,
	       sim_pct(m->success, s->nlk), rounds, ms, quiet_ms ? (double)m->ms_med / quiet_ms : 0,
	       m->sent_avg, m->timeouts_avg, m->join_wall_s + m->lookup_wall_s);
}
