/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Address validation: what a node accepts and how much it may send back.
 *  - Tokens: a keyed hash of the peer's address under a secret rotated every
 *    token_rotate_ms; a token from the current or the previous period is
 *    accepted.
 *  - The reply budget: to an unvalidated source, reply bytes never exceed
 *    request bytes.
 * Nothing here locks; the host serialises access to each object.
 */
#ifndef KD_TOKEN_H
#define KD_TOKEN_H

#include "kd_types.h"
#include "kd_siphash.h"

struct kd_tokens {
	u8 cur[KD_SECRET_LEN];
	u8 prev[KD_SECRET_LEN];
	u64 rotated_at;
};

/* Starts with secret as both the current and the previous secret. */
void kd_tokens_init(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now);
/* Installs a fresh secret; the current one becomes the previous one. */
void kd_tokens_rotate(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now);
/* The token we issue to address a, under the current secret. */
void kd_token_make(const struct kd_tokens *t, const struct kd_addr *a,
		   u8 out[KDHT_TOKEN_LEN]);
/* Whether tok is ours for a under the current or the previous secret. */
bool kd_token_check(const struct kd_tokens *t, const struct kd_addr *a,
		    const u8 tok[KDHT_TOKEN_LEN]);

/* Bytes a reply may have: request_len if unvalidated, a full datagram if validated. */
static inline size_t kd_reply_budget(bool validated, size_t request_len)
{
	return validated ? KDHT_MAX_DATAGRAM : KD_MIN(request_len, (size_t)KDHT_MAX_DATAGRAM);
}

#endif /* KD_TOKEN_H */
