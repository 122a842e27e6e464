// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The routing core's defaults and the bounds a node's parameters must keep. */
#include "kd_params.h"

void kd_params_default(struct kd_params *p)
{
	memset(p, 0, sizeof(*p));
	p->k = 20;
	p->alpha = 3;
	p->repl_per_bucket = 8;
	p->max_fails = 3;
	p->lookup_retries = 1;
	p->subnet_per_bucket = 2;
	p->subnet_per_table = 10;
	p->max_contacts = 1024;
	p->max_inflight = 256;
	p->max_lookups = 16;
	p->lookup_width = 64;
	p->request_timeout_ms = 2000;
	p->lookup_timeout_ms = 30000;
	p->good_ms = 15 * 60 * 1000;
	p->refresh_ms = 15 * 60 * 1000;
	p->bootstrap_min_ms = 1000;
	p->bootstrap_max_ms = 60000;
	p->token_rotate_ms = 5 * 60 * 1000;
	p->rl_entries = 4096;
	p->rl_rate = 100;
	p->rl_burst = 200;
	p->rl_idle_ms = 10000;
	p->unvalidated_rate = 1000;
	p->max_unproven = 64;
}

static bool kd_in_range(u32 v, u32 lo, u32 hi)
{
	return v >= lo && v <= hi;
}

int kd_params_check(const struct kd_params *p)
{
	if (!kd_in_range(p->k, 1, KD_K_MAX) ||
	    !kd_in_range(p->alpha, 1, KD_ALPHA_MAX) ||
	    !kd_in_range(p->repl_per_bucket, 0, KD_REPL_MAX) ||
	    p->max_fails < 1 ||
	    p->lookup_retries > KD_LOOKUP_RETRIES_MAX ||
	    p->subnet_per_bucket < 1 ||
	    p->subnet_per_table < p->subnet_per_bucket ||
	    !kd_in_range(p->max_contacts, p->k, KD_CONTACTS_MAX) ||
	    !kd_in_range(p->max_inflight, 1, KD_INFLIGHT_MAX) ||
	    !kd_in_range(p->max_lookups, 1, KD_LOOKUPS_MAX) ||
	    !kd_in_range(p->lookup_width, (u32)p->k + p->alpha, KD_LOOKUP_WIDTH_MAX))
		return -EINVAL;
	if (p->request_timeout_ms < 1 ||
	    p->lookup_timeout_ms < p->request_timeout_ms ||
	    p->good_ms < 1 || p->refresh_ms < 1 ||
	    p->bootstrap_min_ms < 1 ||
	    p->bootstrap_max_ms < p->bootstrap_min_ms ||
	    p->token_rotate_ms < 1 ||
	    !kd_in_range(p->rl_entries, 1, KD_RL_ENTRIES_MAX) ||
	    !kd_in_range(p->rl_rate, 1, KD_RL_RATE_MAX) ||
	    !kd_in_range(p->rl_burst, 1, KD_RL_BURST_MAX) ||
	    p->rl_idle_ms < 1)
		return -EINVAL;
	return 0;
}
