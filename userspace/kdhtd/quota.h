/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Storage admission quotas: what each source prefix (an IPv4 /24, an IPv6
 * /48) and each publisher holds in this node's store, in bytes and in
 * records, held against limits. A prefix rather than an address, because
 * one host or tenant draws addresses from a whole /24 or /48 and could
 * rotate through them; the same prefixes bound the routing table.
 *
 * A record is charged to the prefix of the address that last stored it and
 * to its publisher, until it expires or another STORE replaces it. The
 * charges live in two LMDB databases of the store's environment (one row
 * per record, one per owner), written once per committed batch, so a
 * restart reads them back as they were; a crash between a batch's commit
 * and its charge leaves those few records uncharged, never overcharged.
 * Calls are short transactions, like the store's.
 */
#ifndef KDD_QUOTA_H
#define KDD_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#include "kd_types.h"
#include "store.h"

#define KDD_QUOTA_DEFAULT_SOURCE_BYTES		(64ull << 20)	/* 64 MiB per prefix */
#define KDD_QUOTA_DEFAULT_SOURCE_RECORDS	65536
#define KDD_QUOTA_DEFAULT_PUBLISHER_BYTES	(16ull << 20)	/* 16 MiB per publisher */
#define KDD_QUOTA_DEFAULT_PUBLISHER_RECORDS	16384
#define KDD_QUOTA_SWEEP_BATCH			1024	/* charges examined per sweep */

/* Limits; 0 means no limit of that kind. */
struct kdd_quota_params {
	uint64_t source_bytes;
	uint64_t source_records;
	uint64_t publisher_bytes;
	uint64_t publisher_records;
};

void kdd_quota_params_default(struct kdd_quota_params *p);

/* Why a record was refused: which owner's quota it would overrun. */
enum kdd_quota_verdict {
	KDD_QUOTA_OK = 0,
	KDD_QUOTA_SOURCE,
	KDD_QUOTA_PUBLISHER,
};

/* A record just committed, to be charged. */
struct kdd_quota_charge {
	struct kd_id key;
	struct kd_addr from;
	struct kd_id publisher;
	uint32_t len;
	uint64_t expires;	/* seconds since the epoch */
};

struct kdd_quota;

/*
 * Opens the quota tables in st's environment (created if new), for the
 * life of st. Returns 0 or a negative errno.
 */
int kdd_quota_open(struct kdd_quota **out, struct kdd_store *st,
		   const struct kdd_quota_params *p);
void kdd_quota_close(struct kdd_quota *q);

/*
 * Whether a record of len bytes under key, stored from `from` by
 * publisher, fits both owners' quotas. A record that replaces one charged
 * to the same owners is judged by the difference only, so that renewing
 * what one holds is never refused. A read error admits (the store itself
 * still refuses what it cannot hold).
 */
enum kdd_quota_verdict kdd_quota_admit(struct kdd_quota *q, const struct kd_id *key,
				       const struct kd_addr *from,
				       const struct kd_id *publisher, uint32_t len,
				       uint64_t now);

/*
 * Charges the n records of c, committed, to their owners, moving any
 * earlier charge of the same keys off theirs. Returns 0 or a negative errno
 * (nothing charged).
 */
int kdd_quota_charge(struct kdd_quota *q, const struct kdd_quota_charge *c, unsigned int n,
		     uint64_t now);

/*
 * Releases up to KDD_QUOTA_SWEEP_BATCH expired charges, resuming where the
 * previous call stopped. Returns how many, or a negative errno.
 */
int kdd_quota_sweep(struct kdd_quota *q, uint64_t now);

/* What an owner holds, for tests and stats: a source prefix or a publisher. */
int kdd_quota_usage(struct kdd_quota *q, const struct kd_addr *source,
		    const struct kd_id *publisher, uint64_t *bytes, uint64_t *records);

#endif /* KDD_QUOTA_H */
