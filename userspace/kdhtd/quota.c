// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "quota.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sweep.h"

/*
 * An owner row's key: a kind byte, then for a source the family and the
 * prefix bytes (zero after them), for a publisher its 32-byte id.
 */
#define OWNER_LEN	(1 + KDHT_ID_LEN)
#define OWNER_SOURCE	1
#define OWNER_PUBLISHER	2
#define PREFIX4_BYTES	3	/* /24 */
#define PREFIX6_BYTES	6	/* /48 */

/* An owner row: bytes (u64 BE), records (u64 BE). */
#define USAGE_LEN	16

/* A charge row, under the record's key: source owner, publisher owner, len, expires. */
#define CHARGE_LEN	(2 * OWNER_LEN + 4 + 8)

struct kdd_quota {
	MDB_env *env;
	MDB_dbi usage;
	MDB_dbi charges;
	struct kdd_quota_params p;
	uint8_t sweep_from[KDHT_ID_LEN];
};

struct charge_row {
	uint8_t source[OWNER_LEN];
	uint8_t publisher[OWNER_LEN];
	uint32_t len;
	uint64_t expires;
};

void kdd_quota_params_default(struct kdd_quota_params *p)
{
	p->source_bytes = KDD_QUOTA_DEFAULT_SOURCE_BYTES;
	p->source_records = KDD_QUOTA_DEFAULT_SOURCE_RECORDS;
	p->publisher_bytes = KDD_QUOTA_DEFAULT_PUBLISHER_BYTES;
	p->publisher_records = KDD_QUOTA_DEFAULT_PUBLISHER_RECORDS;
}

static void source_owner(uint8_t *out, const struct kd_addr *a)
{
	memset(out, 0, OWNER_LEN);
	out[0] = OWNER_SOURCE;
	out[1] = a->family;
	memcpy(out + 2, a->ip, a->family == KDHT_AF_INET ? PREFIX4_BYTES : PREFIX6_BYTES);
}

static void publisher_owner(uint8_t *out, const struct kd_id *id)
{
	out[0] = OWNER_PUBLISHER;
	memcpy(out + 1, id->b, KDHT_ID_LEN);
}

int kdd_quota_open(struct kdd_quota **out, struct kdd_store *st,
		   const struct kdd_quota_params *p)
{
	struct kdd_quota *q;
	MDB_txn *txn;
	int rc;

	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->env = kdd_store_env(st);
	q->p = *p;
	rc = mdb_txn_begin(q->env, NULL, 0, &txn);
	if (rc)
		goto err_free;
	rc = mdb_dbi_open(txn, "quota_usage", MDB_CREATE, &q->usage);
	if (!rc)
		rc = mdb_dbi_open(txn, "quota_charges", MDB_CREATE, &q->charges);
	if (rc) {
		mdb_txn_abort(txn);
		goto err_free;
	}
	rc = mdb_txn_commit(txn);
	if (rc)
		goto err_free;
	*out = q;
	return 0;

err_free:
	free(q);
	return kdd_error_of_lmdb(rc);
}

void kdd_quota_close(struct kdd_quota *q)
{
	free(q);
}

/* An owner's row; a missing one holds nothing. An LMDB return code. */
static int usage_get(struct kdd_quota *q, MDB_txn *txn, const uint8_t *owner,
		     uint64_t *bytes, uint64_t *records)
{
	MDB_val k = { .mv_size = OWNER_LEN, .mv_data = (void *)owner }, v;
	int rc = mdb_get(txn, q->usage, &k, &v);

	*bytes = 0;
	*records = 0;
	if (rc == 0 && v.mv_size == USAGE_LEN) {
		*bytes = kd_get_be64(v.mv_data);
		*records = kd_get_be64((const uint8_t *)v.mv_data + 8);
	}
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Adds (sign +1) or takes off (sign -1) one record of len bytes. */
static int usage_add(struct kdd_quota *q, MDB_txn *txn, const uint8_t *owner, uint32_t len,
		     int sign)
{
	MDB_val k = { .mv_size = OWNER_LEN, .mv_data = (void *)owner };
	MDB_val v = { .mv_size = USAGE_LEN };
	uint64_t bytes, records;
	uint8_t row[USAGE_LEN];
	int rc;

	rc = usage_get(q, txn, owner, &bytes, &records);
	if (rc)
		return rc;
	if (sign > 0) {
		bytes += len;
		records++;
	} else {
		bytes -= KD_MIN(bytes, (uint64_t)len);
		records -= records > 0;
	}
	if (records == 0) {
		rc = mdb_del(txn, q->usage, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	kd_put_be64(row, bytes);
	kd_put_be64(row + 8, records);
	v.mv_data = row;
	return mdb_put(txn, q->usage, &k, &v, 0);
}

static bool charge_decode(const MDB_val *v, struct charge_row *c)
{
	const uint8_t *b = v->mv_data;

	if (v->mv_size != CHARGE_LEN)
		return false;
	memcpy(c->source, b, OWNER_LEN);
	memcpy(c->publisher, b + OWNER_LEN, OWNER_LEN);
	c->len = kd_get_be32(b + 2 * OWNER_LEN);
	c->expires = kd_get_be64(b + 2 * OWNER_LEN + 4);
	return true;
}

/* The charge under key, if any: 1 found, 0 none, else an LMDB return code. */
static int charge_get(struct kdd_quota *q, MDB_txn *txn, const struct kd_id *key,
		      struct charge_row *c)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = (void *)key->b }, v;
	int rc = mdb_get(txn, q->charges, &k, &v);

	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	return charge_decode(&v, c) ? 1 : 0;
}

/* Takes a charge off both its owners. */
static int release(struct kdd_quota *q, MDB_txn *txn, const struct charge_row *c)
{
	int rc = usage_add(q, txn, c->source, c->len, -1);

	return rc ? rc : usage_add(q, txn, c->publisher, c->len, -1);
}

/*
 * Whether one more record of len bytes keeps owner within max_bytes and
 * max_records (0: no limit); `replaced` is a charge of the same owner the
 * record takes the place of, or NULL.
 */
static bool fits(struct kdd_quota *q, MDB_txn *txn, const uint8_t *owner,
		 const struct charge_row *replaced, uint32_t len, uint64_t max_bytes,
		 uint64_t max_records)
{
	uint64_t bytes, records;

	if (usage_get(q, txn, owner, &bytes, &records))
		return true;
	if (replaced) {
		bytes -= KD_MIN(bytes, (uint64_t)replaced->len);
		records -= records > 0;
	}
	return (!max_bytes || bytes + len <= max_bytes) &&
	       (!max_records || records + 1 <= max_records);
}

enum kdd_quota_verdict kdd_quota_admit(struct kdd_quota *q, const struct kd_id *key,
				       const struct kd_addr *from,
				       const struct kd_id *publisher, uint32_t len,
				       uint64_t now)
{
	uint8_t source[OWNER_LEN], pub[OWNER_LEN];
	enum kdd_quota_verdict verdict = KDD_QUOTA_OK;
	struct charge_row held;
	bool has_held = false;
	MDB_txn *txn;

	if (mdb_txn_begin(q->env, NULL, MDB_RDONLY, &txn))
		return KDD_QUOTA_OK;
	source_owner(source, from);
	publisher_owner(pub, publisher);
	has_held = charge_get(q, txn, key, &held) == 1 && held.expires > now;
	if (!fits(q, txn, source,
		  has_held && !memcmp(held.source, source, OWNER_LEN) ? &held : NULL, len,
		  q->p.source_bytes, q->p.source_records))
		verdict = KDD_QUOTA_SOURCE;
	else if (!fits(q, txn, pub,
		       has_held && !memcmp(held.publisher, pub, OWNER_LEN) ? &held : NULL, len,
		       q->p.publisher_bytes, q->p.publisher_records))
		verdict = KDD_QUOTA_PUBLISHER;
	mdb_txn_abort(txn);
	return verdict;
}

/* Moves the charge of c->key to c's owners. An LMDB return code. */
static int charge_one(struct kdd_quota *q, MDB_txn *txn, const struct kdd_quota_charge *c)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = (void *)c->key.b };
	MDB_val v = { .mv_size = CHARGE_LEN };
	struct charge_row old, now;
	uint8_t row[CHARGE_LEN];
	int rc;

	rc = charge_get(q, txn, &c->key, &old);
	if (rc == 1)
		rc = release(q, txn, &old);
	if (rc)
		return rc;
	source_owner(now.source, &c->from);
	publisher_owner(now.publisher, &c->publisher);
	memcpy(row, now.source, OWNER_LEN);
	memcpy(row + OWNER_LEN, now.publisher, OWNER_LEN);
	kd_put_be32(row + 2 * OWNER_LEN, c->len);
	kd_put_be64(row + 2 * OWNER_LEN + 4, c->expires);
	v.mv_data = row;
	rc = mdb_put(txn, q->charges, &k, &v, 0);
	if (!rc)
		rc = usage_add(q, txn, now.source, c->len, 1);
	if (!rc)
		rc = usage_add(q, txn, now.publisher, c->len, 1);
	return rc;
}

int kdd_quota_charge(struct kdd_quota *q, const struct kdd_quota_charge *c, unsigned int n,
		     uint64_t now)
{
	unsigned int i;
	MDB_txn *txn;
	int rc;

	if (n == 0)
		return 0;
	rc = mdb_txn_begin(q->env, NULL, 0, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	for (i = 0; i < n && !rc; i++)
		rc = charge_one(q, txn, &c[i]);
	if (rc) {
		mdb_txn_abort(txn);
		return kdd_error_of_lmdb(rc);
	}
	return kdd_error_of_lmdb(mdb_txn_commit(txn));
}

struct charge_sweep {
	struct kdd_quota *q;
	uint64_t now;
};

/* An expired charge is released from its owners; one that does not decode just goes. */
static int charge_expired(void *ctx, MDB_txn *txn, const MDB_val *k, const MDB_val *v)
{
	const struct charge_sweep *s = ctx;
	struct charge_row c;
	int rc;

	(void)k;
	if (!charge_decode(v, &c))
		return 1;
	if (c.expires > s->now)
		return 0;
	rc = release(s->q, txn, &c);
	return rc ? rc : 1;
}

int kdd_quota_sweep(struct kdd_quota *q, uint64_t now)
{
	struct charge_sweep s = { .q = q, .now = now };
	unsigned int released;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(q->env, NULL, 0, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	rc = kdd_sweep_step(txn, q->charges, q->sweep_from, KDD_QUOTA_SWEEP_BATCH,
			    charge_expired, &s, &released);
	if (rc) {
		mdb_txn_abort(txn);
		return kdd_error_of_lmdb(rc);
	}
	rc = mdb_txn_commit(txn);
	return rc ? kdd_error_of_lmdb(rc) : (int)released;
}

int kdd_quota_usage(struct kdd_quota *q, const struct kd_addr *source,
		    const struct kd_id *publisher, uint64_t *bytes, uint64_t *records)
{
	uint8_t owner[OWNER_LEN];
	MDB_txn *txn;
	int rc;

	if (source)
		source_owner(owner, source);
	else
		publisher_owner(owner, publisher);
	rc = mdb_txn_begin(q->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	rc = usage_get(q, txn, owner, bytes, records);
	mdb_txn_abort(txn);
	return kdd_error_of_lmdb(rc);
}
