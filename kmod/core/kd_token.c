// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Address-validation tokens: the ones we issue (a keyed hash of the peer's
 * address under our rotating secret) and the ones peers issued us, kept in
 * their table contact or, for peers that are not contacts, in a small cache
 * in struct kd_core.
 */
#include "kd_core_int.h"

void kd_tokens_init(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now)
{
	memcpy(t->cur, secret, KD_SECRET_LEN);
	memcpy(t->prev, secret, KD_SECRET_LEN);
	t->rotated_at = now;
}

void kd_tokens_rotate(struct kd_tokens *t, const u8 secret[KD_SECRET_LEN], u64 now)
{
	memcpy(t->prev, t->cur, KD_SECRET_LEN);
	memcpy(t->cur, secret, KD_SECRET_LEN);
	t->rotated_at = now;
}

/* The token binds family, port and address, so it is useless from anywhere else. */
static void kd_token_calc(const u8 secret[KD_SECRET_LEN], const struct kd_addr *a,
			  u8 out[KDHT_TOKEN_LEN])
{
	u8 msg[3 + sizeof(a->ip)];
	size_t iplen = a->family == KDHT_AF_INET ? 4 : sizeof(a->ip);

	msg[0] = a->family;
	kd_put_be16(msg + 1, a->port);
	memcpy(msg + 3, a->ip, iplen);
	kd_put_be64(out, kd_siphash(secret, msg, 3 + iplen));
}

void kd_token_make(const struct kd_tokens *t, const struct kd_addr *a,
		   u8 out[KDHT_TOKEN_LEN])
{
	kd_token_calc(t->cur, a, out);
}

/* Compares without an early exit, so timing does not tell how much matched. */
static bool kd_token_equal(const u8 *a, const u8 *b)
{
	u8 diff = 0;
	unsigned int i;

	for (i = 0; i < KDHT_TOKEN_LEN; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

bool kd_token_check(const struct kd_tokens *t, const struct kd_addr *a,
		    const u8 tok[KDHT_TOKEN_LEN])
{
	u8 want[KDHT_TOKEN_LEN];
	bool ok;

	kd_token_calc(t->cur, a, want);
	ok = kd_token_equal(want, tok);
	kd_token_calc(t->prev, a, want);
	return kd_token_equal(want, tok) || ok;
}

static bool kd_token_zero(const u8 *tok)
{
	unsigned int i;

	for (i = 0; i < KDHT_TOKEN_LEN; i++)
		if (tok[i])
			return false;
	return true;
}

/*
 * A token is trusted for one of our own rotation periods after it arrived:
 * its issuer accepts it for at least one of its periods, and peers run the
 * same default. An older one may be stale, and a request relying on it
 * would get its answer cut, so the request is padded instead.
 */
static bool kd_token_fresh(const struct kd_core *c, u64 got_at)
{
	return got_at && c->now >= got_at && c->now - got_at < c->p.token_rotate_ms;
}

/* A contact's token came with its last reply: last_reply dates it. */
static bool kd_contact_token_ok(const struct kd_core *c, const struct kd_contact *ct,
				const struct kd_addr *to)
{
	return kd_addr_equal(&ct->node.addr, to) && !kd_token_zero(ct->token) &&
	       kd_token_fresh(c, ct->last_reply);
}

const u8 *kd_token_for(struct kd_core *c, const struct kd_addr *to,
		       const struct kd_id *id)
{
	const struct kd_contact *ct;
	unsigned int i;
	u32 cursor = 0;

	if (id) {
		ct = kd_table_find(&c->table, id);
		if (ct && kd_contact_token_ok(c, ct, to))
			return ct->token;
	}
	for (i = 0; i < KD_TOKEN_CACHE; i++)
		if (c->tcache[i].used && kd_addr_equal(&c->tcache[i].addr, to) &&
		    kd_token_fresh(c, c->tcache[i].got_at))
			return c->tcache[i].token;
	if (id)
		return NULL;
	while ((ct = kd_table_iter(&c->table, &cursor)))
		if (kd_contact_token_ok(c, ct, to))
			return ct->token;
	return NULL;
}

void kd_token_store(struct kd_core *c, const struct kd_node *from, const u8 *tok)
{
	struct kd_contact *ct;
	struct kd_tok_entry *e = NULL;
	unsigned int i;

	if (kd_token_zero(tok))
		return;
	ct = kd_table_find(&c->table, &from->id);
	if (ct && kd_addr_equal(&ct->node.addr, &from->addr)) {
		memcpy(ct->token, tok, KDHT_TOKEN_LEN);
		return;
	}
	for (i = 0; i < KD_TOKEN_CACHE && !e; i++)
		if (c->tcache[i].used && kd_addr_equal(&c->tcache[i].addr, &from->addr))
			e = &c->tcache[i];
	if (!e) {
		e = &c->tcache[c->tcache_next];
		c->tcache_next = (c->tcache_next + 1) % KD_TOKEN_CACHE;
	}
	e->used = 1;
	e->got_at = c->now;
	e->addr = from->addr;
	memcpy(e->token, tok, KDHT_TOKEN_LEN);
}
