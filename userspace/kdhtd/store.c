// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "store.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "sweep.h"

/*
 * A record as stored (big-endian):
 *   0 u8 format, 1 u8 flags, 2 u8 name_len, 3 u8 reserved, 4 u32 len,
 *   8 u64 seq, 16 u64 expires, 24 publisher[32], 56 sig[64],
 * 120 name[name_len], then value[len]. Format 1, from before names, has no
 * name (name_len 0).
 */
#define REC_FORMAT_NAMELESS	1
#define REC_FORMAT	2
#define REC_F_MUTABLE	0x01
#define REC_F_SIG	0x02
#define REC_HDR_LEN	120

/*
 * A writer's counter (big-endian): 0 u64 seq, 8 u64 written (wall seconds).
 * Rows of SEQ_ROW_OLD_LEN, from before the time was kept, hold the seq
 * alone and are never forgotten.
 */
#define SEQ_ROW_LEN	16
#define SEQ_ROW_OLD_LEN	8

/* A snapshot node: id[32], family, reserved, port(be16), ip[16]. */
#define SNAP_NODE_LEN	52
static const char snapshot_key[] = "routes";

struct kdd_store {
	MDB_env *env;
	MDB_dbi values;
	MDB_dbi meta;
	MDB_dbi seqs;		/* key -> SEQ_ROW_LEN bytes: a writer's counter */
	struct kdd_store_params p;
	struct kd_id sweep_from;
	struct kd_id seq_sweep_from;
	size_t map_size;	/* now: grown from p.map_size, or the file's size */
};

void kdd_store_params_default(struct kdd_store_params *p)
{
	p->map_size = KDD_STORE_DEFAULT_MAP_SIZE;
	p->max_map_size = KDD_STORE_DEFAULT_MAX_MAP_SIZE;
	p->default_ttl_s = KDD_DEFAULT_TTL_S;
	p->max_ttl_s = KDD_MAX_TTL_S;
	p->max_value = KDD_MAX_VALUE;
}

/* The values and the meta database, created if new; an LMDB return code. */
static int open_databases(struct kdd_store *st)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return rc;
	rc = mdb_dbi_open(txn, "values", MDB_CREATE, &st->values);
	if (!rc)
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta);
	if (!rc)
		rc = mdb_dbi_open(txn, "seqs", MDB_CREATE, &st->seqs);
	if (rc) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/* The map size in use: an existing file larger than asked for sets it. */
static size_t map_size_of(MDB_env *env)
{
	MDB_envinfo info;

	return mdb_env_info(env, &info) == 0 ? info.me_mapsize : 0;
}

/*
 * A full map doubles, up to max_map_size, before a put is refused. LMDB
 * allows it only with no transaction of ours open: the caller has aborted
 * its own and retries in a fresh one. Returns true if the map grew.
 */
static bool grow_map(struct kdd_store *st)
{
	size_t next;

	if (!st->map_size || st->map_size >= st->p.max_map_size)
		return false;
	next = st->map_size > st->p.max_map_size / 2 ? st->p.max_map_size : 2 * st->map_size;
	if (mdb_env_set_mapsize(st->env, next))
		return false;
	st->map_size = map_size_of(st->env);
	return true;
}

int kdd_store_open(struct kdd_store **out, const char *dir,
		   const struct kdd_store_params *p, const char **err_msg)
{
	struct kdd_store *st;
	int rc;

	if (p->max_value == 0 || p->max_value > KDD_MAX_VALUE || p->max_ttl_s == 0 ||
	    p->default_ttl_s == 0 || p->default_ttl_s > p->max_ttl_s) {
		*err_msg = "invalid storage parameters";
		return -EINVAL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		*err_msg = "allocating the store";
		return -ENOMEM;
	}
	st->p = *p;
	*err_msg = "creating the LMDB environment";
	rc = mdb_env_create(&st->env);
	if (rc)
		goto err_free;
	*err_msg = "setting the LMDB map size";
	rc = mdb_env_set_mapsize(st->env, p->map_size);
	if (rc)
		goto err_env;
	rc = mdb_env_set_maxdbs(st->env, KDD_STORE_MAX_DBS);
	if (rc)
		goto err_env;
	*err_msg = "opening the LMDB environment";
	rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600);
	if (rc)
		goto err_env;
	*err_msg = "opening the LMDB databases";
	rc = open_databases(st);
	if (rc)
		goto err_env;
	*err_msg = NULL;
	st->map_size = map_size_of(st->env);
	*out = st;
	return 0;

err_env:
	mdb_env_close(st->env);
err_free:
	free(st);
	return kdd_error_of_lmdb(rc);
}

void kdd_store_close(struct kdd_store *st)
{
	if (!st)
		return;
	mdb_env_close(st->env);
	free(st);
}

static void rec_encode(uint8_t *buf, const struct kdd_record *rec)
{
	memset(buf, 0, REC_HDR_LEN);
	buf[0] = REC_FORMAT;
	buf[1] = (rec->is_mutable ? REC_F_MUTABLE : 0) | (rec->has_sig ? REC_F_SIG : 0);
	buf[2] = rec->name_len;
	kd_put_be32(buf + 4, rec->len);
	kd_put_be64(buf + 8, rec->seq);
	kd_put_be64(buf + 16, rec->expires);
	memcpy(buf + 24, rec->publisher.b, KDHT_ID_LEN);
	if (rec->has_sig)
		memcpy(buf + 56, rec->sig, KDD_SIG_LEN);
	memcpy(buf + REC_HDR_LEN, rec->name, rec->name_len);
	memcpy(buf + REC_HDR_LEN + rec->name_len, rec->value, rec->len);
}

/* Decodes a stored record; the value points into the LMDB page. */
static int rec_decode(const MDB_val *k, const MDB_val *v, struct kdd_record *rec)
{
	const uint8_t *b = v->mv_data;
	size_t name_len;

	if (k->mv_size != KDHT_ID_LEN || v->mv_size < REC_HDR_LEN)
		return -EIO;
	if (b[0] != REC_FORMAT && b[0] != REC_FORMAT_NAMELESS)
		return -EIO;
	name_len = b[0] == REC_FORMAT ? b[2] : 0;
	if (name_len > KDD_NAME_MAX ||
	    kd_get_be32(b + 4) != v->mv_size - REC_HDR_LEN - name_len)
		return -EIO;
	memcpy(rec->key.b, k->mv_data, KDHT_ID_LEN);
	rec->name_len = (uint8_t)name_len;
	memcpy(rec->name, b + REC_HDR_LEN, name_len);
	rec->cas = false;
	rec->is_mutable = b[1] & REC_F_MUTABLE;
	rec->has_sig = b[1] & REC_F_SIG;
	rec->len = kd_get_be32(b + 4);
	rec->seq = kd_get_be64(b + 8);
	rec->expires = kd_get_be64(b + 16);
	memcpy(rec->publisher.b, b + 24, KDHT_ID_LEN);
	memcpy(rec->sig, b + 56, KDD_SIG_LEN);
	rec->value = b + REC_HDR_LEN + name_len;
	return 0;
}

static bool same_bytes(const struct kdd_record *a, const struct kdd_record *b)
{
	return a->len == b->len && memcmp(a->value, b->value, a->len) == 0;
}

/*
 * Decides what a put does given the held record (NULL: none held);
 * 1: only renew the expiry.
 */
static int put_verdict(const struct kdd_record *held, const struct kdd_record *rec)
{
	if (rec->cas && rec->seq - 1 != (held ? held->seq : 0))
		return -EBADE;
	if (!held)
		return 0;
	if (held->is_mutable != rec->is_mutable)
		return -EINVAL;
	/* An immutable record is written once; the same bytes again renew it. */
	if (!rec->is_mutable)
		return same_bytes(rec, held) ? 1 : -EEXIST;
	/*
	 * The key binds the writer (the caller checked its derivation), so any
	 * publisher it admits may replace another by seq: in a closed mesh
	 * every member writes the same names.
	 */
	if (rec->seq > held->seq)
		return 0;
	if (rec->seq < held->seq)
		return -ESTALE;
	/* One seq, one value: other bytes under it are an equivocation. */
	return same_bytes(rec, held) ? 1 : -ENOTUNIQ;
}

/* A put's lifetime: the default for none, at most the longest. */
static uint32_t lifetime(const struct kdd_store *st, uint32_t ttl_s)
{
	if (ttl_s == 0)
		return st->p.default_ttl_s;
	return ttl_s > st->p.max_ttl_s ? st->p.max_ttl_s : ttl_s;
}

/* Writes w under k; an LMDB failure goes to *fatal. */
static void write_record(struct kdd_store *st, MDB_txn *txn, MDB_val *k,
			 const struct kdd_record *w, int *fatal)
{
	MDB_val v = { .mv_size = REC_HDR_LEN + w->name_len + w->len };
	int rc;

	rc = mdb_put(txn, st->values, k, &v, MDB_RESERVE);
	if (rc == 0)
		rec_encode(v.mv_data, w);
	else
		*fatal = rc;
}

/*
 * The unexpired record under k in *held; false when none is (or it does
 * not decode). An LMDB failure goes to *fatal.
 */
static bool held_in_txn(struct kdd_store *st, MDB_txn *txn, MDB_val *k, uint64_t now,
			struct kdd_record *held, int *fatal)
{
	MDB_val v;
	int rc;

	rc = mdb_get(txn, st->values, k, &v);
	if (rc && rc != MDB_NOTFOUND)
		*fatal = rc;
	return rc == 0 && rec_decode(k, &v, held) == 0 && held->expires > now;
}

/*
 * One put inside txn. Returns the record's outcome (0 or a negative errno
 * of kdd_store_put); an LMDB error that leaves txn unusable is put in *fatal
 * instead, and txn must then be aborted. *held_seq: the seq held for the
 * key after it (0: none).
 */
static int put_in_txn(struct kdd_store *st, MDB_txn *txn, const struct kdd_record *rec,
		      uint32_t ttl_s, uint64_t now, int *fatal, uint64_t *held_seq)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = (void *)rec->key.b };
	struct kdd_record held, w = *rec;
	uint8_t *kept = NULL;
	bool have;
	int verdict;

	*fatal = 0;
	*held_seq = 0;
	if (rec->len > st->p.max_value || rec->name_len > KDD_NAME_MAX)
		return -EMSGSIZE;
	ttl_s = lifetime(st, ttl_s);
	w.expires = now + ttl_s;

	have = held_in_txn(st, txn, &k, now, &held, fatal);
	if (*fatal)
		return 0;
	*held_seq = have ? held.seq : 0;
	verdict = put_verdict(have ? &held : NULL, rec);
	if (verdict < 0)
		return verdict;
	*held_seq = rec->seq;
	if (verdict == 1) {
		/* Keep the held bytes; only the expiry moves, never backwards. */
		if (held.expires + KDD_RENEW_MIN_S > w.expires)
			return 0;
		/* The held value lives in a page the put below may replace. */
		kept = malloc(held.len ? held.len : 1);
		if (!kept)
			return -ENOMEM;
		memcpy(kept, held.value, held.len);
		w = held;
		w.value = kept;
		w.expires = now + ttl_s;
	}
	write_record(st, txn, &k, &w, fatal);
	free(kept);
	return 0;
}

/* One put in a transaction of its own; *map_full: it failed for want of map. */
static int put_alone(struct kdd_store *st, const struct kdd_record *rec, uint32_t ttl_s,
		     uint64_t now, bool *map_full, uint64_t *held_seq)
{
	MDB_txn *txn;
	int rc, fatal;

	*map_full = false;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	rc = put_in_txn(st, txn, rec, ttl_s, now, &fatal, held_seq);
	if (!fatal && !rc)
		fatal = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	*map_full = fatal == MDB_MAP_FULL;
	return fatal ? kdd_error_of_lmdb(fatal) : rc;
}

/* kdd_store_put, telling the seq held after it. */
static int put_one(struct kdd_store *st, const struct kdd_record *rec, uint32_t ttl_s,
		   uint64_t now, uint64_t *held_seq)
{
	bool map_full;
	int rc;

	do
		rc = put_alone(st, rec, ttl_s, now, &map_full, held_seq);
	while (map_full && grow_map(st));
	return rc;
}

int kdd_store_put(struct kdd_store *st, const struct kdd_record *rec,
		  uint32_t ttl_s, uint64_t now)
{
	uint64_t held_seq;

	return put_one(st, rec, ttl_s, now, &held_seq);
}

void kdd_store_put_many(struct kdd_store *st, struct kdd_store_write *w, unsigned int n,
			uint64_t now)
{
	unsigned int i;
	MDB_txn *txn;
	int rc, fatal = 0;

	if (n == 0)
		return;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc == 0) {
		for (i = 0; i < n && !fatal; i++)
			w[i].rc = put_in_txn(st, txn, &w[i].rec, w[i].ttl_s, now, &fatal,
					     &w[i].held_seq);
		if (fatal)
			mdb_txn_abort(txn);
		else
			fatal = mdb_txn_commit(txn);
		if (!fatal)
			return;
	}
	/* The batch failed as a whole: each record alone, so those that fit are kept. */
	for (i = 0; i < n; i++)
		w[i].rc = put_one(st, &w[i].rec, w[i].ttl_s, now, &w[i].held_seq);
}

int kdd_store_held_seq(struct kdd_store *st, const struct kd_id *key, uint64_t now,
		       uint64_t *seq)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = (void *)key->b };
	struct kdd_record held;
	MDB_txn *txn;
	int rc, fatal = 0;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	*seq = held_in_txn(st, txn, &k, now, &held, &fatal) ? held.seq : 0;
	mdb_txn_abort(txn);
	return kdd_error_of_lmdb(fatal);
}

/*
 * Looks key up in dbi in a new read-only transaction, left in *txn for the
 * caller to abort (NULL if none began). Returns an LMDB code.
 */
static int read_one(struct kdd_store *st, MDB_dbi dbi, const struct kd_id *key, MDB_val *v,
		    MDB_txn **txn)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = (void *)key->b };
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
	if (rc) {
		*txn = NULL;
		return rc;
	}
	return mdb_get(*txn, dbi, &k, v);
}

/* A counter row's seq, or 0 for a row of no known shape. */
static uint64_t seq_row_seq(const MDB_val *v)
{
	if (v->mv_size != SEQ_ROW_LEN && v->mv_size != SEQ_ROW_OLD_LEN)
		return 0;
	return kd_get_be64(v->mv_data);
}

int kdd_store_seq_kept(struct kdd_store *st, const struct kd_id *key, uint64_t *seq)
{
	MDB_val v;
	MDB_txn *txn;
	int rc;

	rc = read_one(st, st->seqs, key, &v, &txn);
	*seq = rc == 0 ? seq_row_seq(&v) : 0;
	if (txn)
		mdb_txn_abort(txn);
	return rc == MDB_NOTFOUND ? 0 : kdd_error_of_lmdb(rc);
}

static int seq_keep_alone(struct kdd_store *st, MDB_val *k, uint64_t seq, uint64_t now,
			  bool *map_full)
{
	uint8_t row[SEQ_ROW_LEN];
	MDB_val v;
	MDB_txn *txn;
	int rc;

	*map_full = false;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return rc;
	rc = mdb_get(txn, st->seqs, k, &v);
	if (rc == 0 && seq_row_seq(&v) > seq) {
		mdb_txn_abort(txn);
		return 0;
	}
	kd_put_be64(row, rc == 0 ? KD_MAX(seq_row_seq(&v), seq) : seq);
	kd_put_be64(row + 8, now);
	v = (MDB_val){ .mv_size = sizeof(row), .mv_data = row };
	rc = rc && rc != MDB_NOTFOUND ? rc : mdb_put(txn, st->seqs, k, &v, 0);
	if (rc) {
		mdb_txn_abort(txn);
		*map_full = rc == MDB_MAP_FULL;
		return rc;
	}
	rc = mdb_txn_commit(txn);
	*map_full = rc == MDB_MAP_FULL;
	return rc;
}

int kdd_store_seq_keep(struct kdd_store *st, const struct kd_id *key, uint64_t seq,
		       uint64_t now)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = (void *)key->b };
	bool map_full;
	int rc;

	do
		rc = seq_keep_alone(st, &k, seq, now, &map_full);
	while (map_full && grow_map(st));
	return kdd_error_of_lmdb(rc);
}

int kdd_store_get(struct kdd_store *st, const struct kd_id *key, uint64_t now,
		  struct kdd_record *rec, uint8_t *buf, size_t cap)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = (void *)key->b };
	MDB_val v;
	MDB_txn *txn;
	int rc;

	rc = read_one(st, st->values, key, &v, &txn);
	if (!txn)
		return kdd_error_of_lmdb(rc);
	if (rc) {
		rc = kdd_error_of_lmdb(rc);
		goto out;
	}
	rc = rec_decode(&k, &v, rec);
	if (rc)
		goto out;
	if (rec->expires <= now) {
		rc = -ENOENT;
		goto out;
	}
	if (rec->len > cap) {
		rc = -ENOBUFS;
		goto out;
	}
	memcpy(buf, rec->value, rec->len);
	rec->value = buf;
out:
	mdb_txn_abort(txn);
	return rc;
}

/* A record that does not decode is as good as expired. */
static int record_expired(void *ctx, MDB_txn *txn, const MDB_val *k, const MDB_val *v)
{
	const uint64_t *now = ctx;
	struct kdd_record rec;

	(void)txn;
	return rec_decode(k, v, &rec) != 0 || rec.expires <= *now;
}

struct seq_sweep {
	uint64_t now;
	uint32_t max_ttl_s;
};

/* A counter whose records have all expired by now goes; an old row without a time stays. */
static int seq_forgotten(void *ctx, MDB_txn *txn, const MDB_val *k, const MDB_val *v)
{
	const struct seq_sweep *s = ctx;

	(void)txn;
	(void)k;
	if (v->mv_size == SEQ_ROW_OLD_LEN)
		return 0;
	if (v->mv_size != SEQ_ROW_LEN)
		return 1;
	return kd_get_be64((const uint8_t *)v->mv_data + 8) + s->max_ttl_s <= s->now;
}

int kdd_store_sweep(struct kdd_store *st, uint64_t now)
{
	struct seq_sweep seqs = { .now = now, .max_ttl_s = st->p.max_ttl_s };
	unsigned int deleted, forgotten;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	rc = kdd_sweep_step(txn, st->values, st->sweep_from.b, KDD_SWEEP_BATCH,
			    record_expired, &now, &deleted);
	if (!rc)
		rc = kdd_sweep_step(txn, st->seqs, st->seq_sweep_from.b, KDD_SWEEP_BATCH,
				    seq_forgotten, &seqs, &forgotten);
	if (rc) {
		mdb_txn_abort(txn);
		return kdd_error_of_lmdb(rc);
	}
	rc = mdb_txn_commit(txn);
	return rc ? kdd_error_of_lmdb(rc) : (int)deleted;
}

int kdd_store_count(struct kdd_store *st, uint64_t *count)
{
	MDB_stat s;
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	rc = mdb_stat(txn, st->values, &s);
	mdb_txn_abort(txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	*count = s.ms_entries;
	return 0;
}

int kdd_store_foreach(struct kdd_store *st, uint64_t now, const struct kd_id *from,
		      int (*fn)(void *ctx, const struct kdd_record *rec), void *ctx)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = from ? (void *)from->b : NULL };
	MDB_val v;
	struct kdd_record rec;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc, ret = 0;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	rc = mdb_cursor_open(txn, st->values, &cur);
	if (rc) {
		mdb_txn_abort(txn);
		return kdd_error_of_lmdb(rc);
	}
	for (rc = mdb_cursor_get(cur, &k, &v, from ? MDB_SET_RANGE : MDB_FIRST);
	     rc == 0 && ret == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (rec_decode(&k, &v, &rec) == 0 && rec.expires > now)
			ret = fn(ctx, &rec);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (ret)
		return ret;
	return rc == MDB_NOTFOUND ? 0 : kdd_error_of_lmdb(rc);
}

int kdd_store_save_routes(struct kdd_store *st, const struct kd_node *nodes,
			  unsigned int n)
{
	MDB_val k = { .mv_size = sizeof(snapshot_key) - 1, .mv_data = (void *)snapshot_key };
	MDB_val v;
	MDB_txn *txn;
	unsigned int i;
	uint8_t *b;
	int rc;

	if (n > KDD_SNAPSHOT_MAX)
		n = KDD_SNAPSHOT_MAX;
	rc = mdb_txn_begin(st->env, NULL, 0, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	v.mv_size = (size_t)n * SNAP_NODE_LEN;
	if (n == 0) {
		rc = mdb_del(txn, st->meta, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	} else {
		rc = mdb_put(txn, st->meta, &k, &v, MDB_RESERVE);
	}
	if (rc) {
		mdb_txn_abort(txn);
		return kdd_error_of_lmdb(rc);
	}
	for (i = 0, b = v.mv_data; n && i < n; i++, b += SNAP_NODE_LEN) {
		memcpy(b, nodes[i].id.b, KDHT_ID_LEN);
		b[32] = nodes[i].addr.family;
		b[33] = 0;
		kd_put_be16(b + 34, nodes[i].addr.port);
		memcpy(b + 36, nodes[i].addr.ip, 16);
	}
	return kdd_error_of_lmdb(mdb_txn_commit(txn));
}

int kdd_store_load_routes(struct kdd_store *st, struct kd_node *out, unsigned int max)
{
	MDB_val k = { .mv_size = sizeof(snapshot_key) - 1, .mv_data = (void *)snapshot_key };
	MDB_val v;
	MDB_txn *txn;
	const uint8_t *b;
	unsigned int n = 0;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return kdd_error_of_lmdb(rc);
	rc = mdb_get(txn, st->meta, &k, &v);
	if (rc == 0 && v.mv_size % SNAP_NODE_LEN == 0) {
		for (b = v.mv_data; n < max && n < v.mv_size / SNAP_NODE_LEN;
		     n++, b += SNAP_NODE_LEN) {
			memcpy(out[n].id.b, b, KDHT_ID_LEN);
			out[n].addr.family = b[32];
			out[n].addr.reserved = 0;
			out[n].addr.port = kd_get_be16(b + 34);
			memcpy(out[n].addr.ip, b + 36, 16);
		}
	}
	mdb_txn_abort(txn);
	if (rc && rc != MDB_NOTFOUND)
		return kdd_error_of_lmdb(rc);
	return (int)n;
}

/* ---- for the tables of other modules (quota.c) ---- */

MDB_env *kdd_store_env(struct kdd_store *st)
{
	return st->env;
}
