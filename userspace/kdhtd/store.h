/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The node's values and routing-table snapshot in one LMDB environment.
 * Every call is one short transaction; a write returns only after its commit,
 * so a caller may acknowledge a STORE as soon as kdd_store_put() returns 0.
 * Times are wall-clock seconds so that expiries survive a restart.
 */
#ifndef KDD_STORE_H
#define KDD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kd_types.h"

#define KDD_STORE_DEFAULT_MAP_SIZE	(64u << 20)	/* bytes: 64 MiB */
#define KDD_STORE_DEFAULT_MAX_MAP_SIZE	(1024u << 20)	/* a full map grows to: 1 GiB */
#define KDD_MAX_VALUE			(64u * 1024)	/* largest value: 64 KiB */
#define KDD_DEFAULT_TTL_S		(24u * 3600)	/* a STORE without expiry */
#define KDD_MAX_TTL_S			(48u * 3600)	/* no record lives longer */
#define KDD_SWEEP_BATCH			1024	/* records examined per sweep call */
#define KDD_SNAPSHOT_MAX		256	/* routing contacts kept across restarts */
#define KDD_RENEW_MIN_S			60	/* an expiry moved by less is not rewritten */
#define KDD_SIG_LEN			64	/* Ed25519 signature */
#define KDD_STORE_MAX_DBS		5	/* values, meta, seqs, and quota.c's two */
#define KDD_NAME_MAX			128	/* bytes of a mutable record's name */

struct kdd_store_params {
	size_t map_size;
	size_t max_map_size;	/* a full map doubles up to this before puts are refused */
	uint32_t default_ttl_s;
	uint32_t max_ttl_s;
	uint32_t max_value;
};

void kdd_store_params_default(struct kdd_store_params *p);

/*
 * One stored value. publisher is the publisher's Ed25519 public key for a
 * mutable record (checked by the caller before kdd_store_put) or the storing
 * node's id for an immutable one. name: a mutable record's, from which its
 * key derives (PROTOCOL.md 9.1; checked by the caller too).
 */
struct kdd_record {
	struct kd_id key;
	struct kd_id publisher;
	uint64_t seq;
	uint64_t expires;	/* seconds since the epoch */
	bool is_mutable;
	bool has_sig;
	bool cas;		/* put: only if the held seq is seq - 1 (none, for 1) */
	uint8_t sig[KDD_SIG_LEN];
	uint8_t name_len;
	uint8_t name[KDD_NAME_MAX];
	uint32_t len;
	const uint8_t *value;	/* put: the caller's bytes; get: see kdd_store_get */
};

struct kdd_store;

/*
 * Opens (creating if needed) the environment in directory dir, which must
 * exist. Returns 0 or a negative errno; *err_msg then names the failed step.
 */
int kdd_store_open(struct kdd_store **out, const char *dir,
		   const struct kdd_store_params *p, const char **err_msg);
void kdd_store_close(struct kdd_store *st);

/*
 * Stores rec with a time to live of ttl_s seconds (0: the default; capped
 * at max_ttl_s). A mutable record replaces the held one only if its seq is
 * higher, whoever published either (the key already binds the writer: the
 * caller checked its derivation); the same seq with the same value just
 * renews the expiry, with other bytes it is refused (equivocation). With
 * rec->cas the held seq must be rec->seq - 1 (no record held, for seq 1).
 * An immutable one is written once: the same bytes again extend the expiry,
 * other bytes are refused (-EEXIST). A
 * renewal that would move the expiry by less than KDD_RENEW_MIN_S writes
 * nothing: the copies republished every hour by each replica cost no write.
 * Returns 0 once committed; -ESTALE (a higher seq is held), -ENOTUNIQ
 * (other bytes with the same seq are held), -EBADE (cas: another seq is
 * held), -EEXIST (an immutable record of other bytes is held), -EMSGSIZE
 * (value over max_value), -ENOSPC (map full: nothing was changed), -EINVAL
 * (a mutable record for a key that holds an immutable one or the reverse),
 * -EIO.
 */
int kdd_store_put(struct kdd_store *st, const struct kdd_record *rec,
		  uint32_t ttl_s, uint64_t now);

/* One put of a batch, and what came of it. */
struct kdd_store_write {
	struct kdd_record rec;
	uint32_t ttl_s;
	int rc;			/* set by kdd_store_put_many: as kdd_store_put's */
	uint64_t held_seq;	/* set too: the seq held for the key after it (0: none) */
};

/*
 * Group commit: the n puts of w in one transaction, so one commit and one
 * sync for all of them; every w[i].rc is set once they are committed (or
 * refused). Should the transaction fail as a whole (map full, I/O error),
 * each put is made again in a transaction of its own, so that those that
 * fit are still kept.
 */
void kdd_store_put_many(struct kdd_store *st, struct kdd_store_write *w, unsigned int n,
			uint64_t now);

/*
 * Reads the unexpired record under key into *rec, its value copied into buf
 * (cap bytes, at least max_value). Returns 0, -ENOENT, -ENOBUFS or -EIO.
 */
int kdd_store_get(struct kdd_store *st, const struct kd_id *key, uint64_t now,
		  struct kdd_record *rec, uint8_t *buf, size_t cap);

/*
 * Deletes up to KDD_SWEEP_BATCH expired records, resuming where the previous
 * call stopped, and as many writer's counters past their life (see
 * kdd_store_seq_keep). Returns how many records were deleted, or a negative
 * errno.
 */
int kdd_store_sweep(struct kdd_store *st, uint64_t now);

/*
 * The seq of the unexpired record held under key in *seq (0 when none is).
 * Returns 0 or -EIO.
 */
int kdd_store_held_seq(struct kdd_store *st, const struct kd_id *key, uint64_t now,
		       uint64_t *seq);

/*
 * The writer's counter: the highest seq this node signed, or learnt a
 * replica holds, for a record under key, kept in a table of its own so that
 * a restart never reuses one. kdd_store_seq_kept reads it (0: never
 * written); kdd_store_seq_keep raises it to seq (a lower seq changes
 * nothing) and notes now (wall seconds) as its time. Both return 0 or a
 * negative errno (-ENOSPC, -EIO). The sweep forgets a counter max_ttl_s
 * after its time, when no record it numbered can be alive anywhere: the
 * table holds the keys written within a record's longest life, not every
 * key ever written. A later put starts past what this node holds, and a
 * replica's STALE refusal tells it the seq to pass.
 */
int kdd_store_seq_kept(struct kdd_store *st, const struct kd_id *key, uint64_t *seq);
int kdd_store_seq_keep(struct kdd_store *st, const struct kd_id *key, uint64_t seq,
		       uint64_t now);

/* Number of records held, expired or not. */
int kdd_store_count(struct kdd_store *st, uint64_t *count);

/*
 * Visits the unexpired records (value included) in key order from the
 * first key >= from (NULL: the first), for republishing; stops early when fn
 * returns non-zero and returns that value. fn must not call back into the
 * store.
 */
int kdd_store_foreach(struct kdd_store *st, uint64_t now, const struct kd_id *from,
		      int (*fn)(void *ctx, const struct kdd_record *rec), void *ctx);

/* Replaces the routing-table snapshot; at most KDD_SNAPSHOT_MAX nodes. */
int kdd_store_save_routes(struct kdd_store *st, const struct kd_node *nodes,
			  unsigned int n);

/* Reads the snapshot; returns how many nodes were written (0 if none). */
int kdd_store_load_routes(struct kdd_store *st, struct kd_node *out, unsigned int max);

/*
 * The LMDB environment, for modules that keep tables of their own in it
 * (quota.c): valid until kdd_store_close().
 */
struct MDB_env *kdd_store_env(struct kdd_store *st);

#endif /* KDD_STORE_H */
