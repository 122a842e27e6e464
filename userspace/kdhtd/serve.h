/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The answering side of the value messages: STORE (reassembled from parts,
 * validated, committed, then acknowledged), FIND_VALUE (a value part or the
 * closest nodes), and ERROR UNKNOWN_TYPE for other value types. Every
 * rejection is counted by reason.
 *
 * Group commit: a STORE that completes a record is staged, and the staged
 * records are committed in one LMDB transaction, one sync for all of them;
 * only then do their acknowledgements leave. The daemon calls
 * kdd_serve_turn() after each loop turn's I/O. While records keep coming
 * the batch grows; once a turn brings none, it is committed when it has
 * waited as long as the previous commit took (at least 1 ms, at most
 * KDD_COMMIT_DELAY_MS), for the senders answered by that commit to send
 * again; at once when KDD_COMMIT_BATCH are staged. Under load a commit
 * covers what arrived while the previous one synced; a lone STORE waits
 * about one commit's time.
 */
#ifndef KDD_SERVE_H
#define KDD_SERVE_H

#include "backend.h"
#include "quota.h"
#include "store.h"
#include "vmsg.h"

#define KDD_MAX_PARTIALS	16	/* multi-part STOREs being reassembled */
#define KDD_PARTIALS_PER_SOURCE	4	/* of which one source address holds at most */
#define KDD_PARTIALS_PER_PUBLISHER 4	/* and one publisher */
#define KDD_PARTIAL_TIMEOUT_MS	15000	/* an unfinished one is dropped after */
#define KDD_COMMIT_BATCH	1024	/* records staged for one transaction at most */
#define KDD_COMMIT_DELAY_MS	5	/* the oldest staged record waits at most */

enum kdd_serve_counter {
	KDD_SERVE_STORE, KDD_SERVE_FIND, KDD_SERVE_STORED, KDD_SERVE_FOUND, KDD_SERVE_NOT_FOUND,
	KDD_SERVE_MALFORMED, KDD_SERVE_TOO_LARGE, KDD_SERVE_BAD_SIGNATURE, KDD_SERVE_STALE,
	KDD_SERVE_EXISTS,
	KDD_SERVE_STORAGE_FULL, KDD_SERVE_STORAGE_ERROR, KDD_SERVE_UNKNOWN_TYPE,
	KDD_SERVE_REPLY_CUT,
	KDD_SERVE_PARTIAL_EVICTED, KDD_SERVE_PARTIAL_EXPIRED, KDD_SERVE_SEND_ERROR,
	KDD_SERVE_UNVALIDATED,
	KDD_SERVE_QUOTA_SOURCE, KDD_SERVE_QUOTA_PUBLISHER, KDD_SERVE_QUOTA_ERROR,
	KDD_SERVE_BAD_KEY, KDD_SERVE_CONFLICT, KDD_SERVE_CAS_MISMATCH,
	KDD_SERVE_COUNT
};

struct kdd_partial {
	bool used;
	struct kd_addr from;
	struct kd_id sender;
	struct kdd_part meta;	/* part 0's fields; data unused */
	uint64_t started_ms;
	uint32_t have;
	uint8_t got[(KDD_MAX_PARTS + 7) / 8];
	uint8_t *buf;		/* total_len bytes */
};

/* Where the acknowledgement of a staged record goes. */
struct kdd_reply_to {
	struct kd_addr addr;
	uint32_t txid;
	uint32_t part;		/* the part whose STORE completed the record */
	size_t budget;
	uint8_t *owned;		/* an assembled value, freed after the commit */
};

struct kdd_serve {
	struct kdd_store *store;
	struct kdd_backend *backend;
	uint32_t max_value;
	/* A closed mesh's id, which names derive from (kdd_record_check); NULL: open. */
	const uint8_t *mesh_id;
	struct kdd_partial partials[KDD_MAX_PARTIALS];
	uint64_t counters[KDD_SERVE_COUNT];
	unsigned int nstaged;
	unsigned int nstaged_seen;	/* at the previous turn */
	uint64_t staged_since_us;	/* when the oldest staged record came */
	uint64_t last_commit_us;	/* how long the previous commit took */
	struct kdd_store_write *staged;	/* KDD_COMMIT_BATCH of each */
	struct kdd_reply_to *staged_to;
	uint8_t (*staged_value)[KDD_PART_LEN];	/* one-part values */
	struct kdd_quota *quota;	/* NULL: no quotas */
	uint32_t max_ttl_s;		/* the store's, for the charges' expiries */
	struct kdd_quota_charge *charges;	/* KDD_COMMIT_BATCH */
	uint8_t valbuf[KDD_MAX_VALUE];
};

extern const char *const kdd_serve_counter_names[];

/* Returns 0 or -ENOMEM. */
int kdd_serve_init(struct kdd_serve *s, struct kdd_store *store,
		   struct kdd_backend *backend, uint32_t max_value);
/*
 * From now on a record a peer STOREs must fit the quotas of its source
 * prefix and its publisher (else STORE_FULL, counted quota_source or
 * quota_publisher), and is charged to them once committed. A batch being
 * committed is charged as a whole, so an owner may overrun its quota by
 * what one batch holds (KDD_COMMIT_BATCH records). max_ttl_s: the store's
 * largest lifetime, which clamps the charges' as it clamps the records'.
 */
void kdd_serve_set_quota(struct kdd_serve *s, struct kdd_quota *q, uint32_t max_ttl_s);

/* Drops what is staged unacknowledged and frees the reassemblies. */
void kdd_serve_fini(struct kdd_serve *s);

/* Handles a request (no KDHT_F_REPLY). now_s: wall clock, for expiries. */
void kdd_serve_handle(struct kdd_serve *s, const struct kdd_msg *m, uint64_t now_ms,
		      uint64_t now_s);

/* Commits the staged records, then sends their acknowledgements. */
void kdd_serve_flush(struct kdd_serve *s, uint64_t now_s);

/*
 * The end of a loop turn's I/O: flushes if due (see above). Returns -1 when
 * nothing is staged, 0 when the loop must turn again without blocking (the
 * daemon runs a uv_idle), or the milliseconds until the flush is due (the
 * daemon arms a timer that calls kdd_serve_flush).
 */
int kdd_serve_turn(struct kdd_serve *s, uint64_t now_us, uint64_t now_s);

/* Drops unfinished reassemblies older than KDD_PARTIAL_TIMEOUT_MS. */
void kdd_serve_expire(struct kdd_serve *s, uint64_t now_ms);

/*
 * Checks and commits one whole record (signature of a mutable one, size) at
 * once, in a transaction of its own: this node's own copies of its puts.
 * Returns KDD_ACK_STORED or a KDHT_ERR_* code; counts the outcome.
 */
uint32_t kdd_serve_commit(struct kdd_serve *s, const struct kdd_part *meta,
			  const uint8_t *value, const struct kd_id *sender, uint64_t now_s);

#endif /* KDD_SERVE_H */
