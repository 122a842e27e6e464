// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The routing core's defaults and the bounds a node's parameters must keep. */
#include "kd_params.h"

void kd_params_default(struct kd_params *p)
{
	memset(p, 0, sizeof(*p));
	p->k = KD_DEFAULT_K;
	p->alpha = KD_DEFAULT_ALPHA;
	p->repl_per_bucket = KD_DEFAULT_REPL_PER_BUCKET;
	p->max_fails = KD_DEFAULT_MAX_FAILS;
	p->lookup_retries = KD_DEFAULT_LOOKUP_RETRIES;
	p->subnet_per_bucket = KD_DEFAULT_SUBNET_PER_BUCKET;
	p->subnet_per_table = KD_DEFAULT_SUBNET_PER_TABLE;
	p->result_per_subnet = KD_DEFAULT_RESULT_PER_SUBNET;
	p->max_contacts = KD_DEFAULT_MAX_CONTACTS;
	p->max_inflight = KD_DEFAULT_MAX_INFLIGHT;
	p->max_lookups = KD_DEFAULT_MAX_LOOKUPS;
	p->lookup_width = KD_DEFAULT_LOOKUP_WIDTH;
	p->request_timeout_ms = KD_DEFAULT_REQUEST_TIMEOUT_MS;
	p->request_timeout_min_ms = KD_DEFAULT_REQUEST_TIMEOUT_MIN_MS;
	p->lookup_timeout_ms = KD_DEFAULT_LOOKUP_TIMEOUT_MS;
	p->good_ms = KD_DEFAULT_GOOD_MS;
	p->refresh_ms = KD_DEFAULT_REFRESH_MS;
	p->bootstrap_min_ms = KD_DEFAULT_BOOTSTRAP_MIN_MS;
	p->bootstrap_max_ms = KD_DEFAULT_BOOTSTRAP_MAX_MS;
	p->token_rotate_ms = KD_DEFAULT_TOKEN_ROTATE_MS;
	p->rl_entries = KD_DEFAULT_RL_ENTRIES;
	p->rl_rate = KD_DEFAULT_RL_RATE;
	p->rl_burst = KD_DEFAULT_RL_BURST;
	p->rl_idle_ms = KD_DEFAULT_RL_IDLE_MS;
	p->unvalidated_rate = KD_DEFAULT_UNVALIDATED_RATE;
	p->max_unproven = KD_DEFAULT_MAX_UNPROVEN;
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
	    !kd_in_range(p->result_per_subnet, 1, KD_K_MAX) ||
	    !kd_in_range(p->max_contacts, p->k, KD_CONTACTS_MAX) ||
	    !kd_in_range(p->max_inflight, 1, KD_INFLIGHT_MAX) ||
	    !kd_in_range(p->max_lookups, 1, KD_LOOKUPS_MAX) ||
	    !kd_in_range(p->lookup_width, (u32)p->k + p->alpha, KD_LOOKUP_WIDTH_MAX))
		return -EINVAL;
	if (p->request_timeout_ms < 1 || p->request_timeout_min_ms < 1 ||
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
