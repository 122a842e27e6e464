// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "errors.h"

#include <errno.h>
#include <lmdb.h>
#include <stddef.h>

#include "kdht.pb-c.h"
#include "vmsg.h"

struct error_row {
	int err;
	uint32_t wire;			/* 0: none */
	Kdht__StoreStatus store;	/* in a STORE_ACK body */
	Kdhtctl__Status ctl;
	const char *words;		/* NULL: the caller's own */
	const char *refusal;		/* a replica's, in a put's failure */
	bool try_elsewhere;
};

#define STORE_NONE KDHT__STORE_STATUS__STORE_MALFORMED

/*
 * Where two rows share a STORE_ACK status, the first is what it reads as
 * (a full store, not a missing daemon).
 */
static const struct error_row rows[] = {
	{ -EINVAL, KDHT_ERR_MALFORMED, KDHT__STORE_STATUS__STORE_MALFORMED,
	  KDHTCTL__STATUS__FAILED, NULL, "a replica refused the value", false },
	{ -EMSGSIZE, KDHT_ERR_TOO_LARGE, KDHT__STORE_STATUS__STORE_TOO_LARGE,
	  KDHTCTL__STATUS__TOO_LARGE, "value too large", "value too large for a replica", false },
	{ -ENOSPC, KDHT_ERR_STORAGE_FULL, KDHT__STORE_STATUS__STORE_FULL,
	  KDHTCTL__STATUS__FAILED, NULL, "a replica's storage is full", true },
	{ -EPERM, KDHT_ERR_BAD_SIGNATURE, KDHT__STORE_STATUS__STORE_BAD_SIGNATURE,
	  KDHTCTL__STATUS__FAILED, "no copy passed signature verification",
	  "a replica refused the signature", false },
	{ -ESTALE, KDHT_ERR_STALE, KDHT__STORE_STATUS__STORE_STALE,
	  KDHTCTL__STATUS__FAILED, NULL, "a replica holds a newer version", false },
	{ -EEXIST, KDHT_ERR_EXISTS, KDHT__STORE_STATUS__STORE_EXISTS, KDHTCTL__STATUS__FAILED,
	  NULL, "another value is held under this key", false },
	{ -EKEYREJECTED, KDHT_ERR_BAD_KEY, KDHT__STORE_STATUS__STORE_BAD_KEY,
	  KDHTCTL__STATUS__FAILED, "no copy's key derives from its record",
	  "a replica refused the key: it does not derive from the record", false },
	{ -ENOTUNIQ, KDHT_ERR_CONFLICT, KDHT__STORE_STATUS__STORE_CONFLICT,
	  KDHTCTL__STATUS__FAILED, NULL, "a replica holds other bytes with this seq", false },
	{ -EBADE, KDHT_ERR_CAS_MISMATCH, KDHT__STORE_STATUS__STORE_CAS_MISMATCH,
	  KDHTCTL__STATUS__FAILED, NULL, "a replica holds another seq", false },
	{ -ECONNREFUSED, KDHT_ERR_UNAVAILABLE, KDHT__STORE_STATUS__STORE_UNAVAILABLE,
	  KDHTCTL__STATUS__FAILED, NULL,
	  "a replica could not store it (no daemon running, or a storage error)", true },
	{ -EOPNOTSUPP, KDHT_ERR_UNKNOWN_TYPE, STORE_NONE, KDHTCTL__STATUS__FAILED,
	  NULL, "a replica refused the value", true },
	{ -EAGAIN, KDHT_ERR_RATE_LIMITED, STORE_NONE, KDHTCTL__STATUS__FAILED,
	  NULL, "a replica refused the value", true },
	{ -EACCES, KDHT_ERR_UNVALIDATED, STORE_NONE, KDHTCTL__STATUS__FAILED,
	  NULL, "a replica refused an unvalidated sender", true },
	{ -ENOENT, 0, STORE_NONE, KDHTCTL__STATUS__NOT_FOUND, "not found", NULL, false },
	{ -ETIMEDOUT, 0, STORE_NONE, KDHTCTL__STATUS__TIMEOUT, "timed out", NULL, true },
	{ -ESHUTDOWN, 0, STORE_NONE, KDHTCTL__STATUS__UNAVAILABLE, NULL, NULL, false },
	{ -ECANCELED, 0, STORE_NONE, KDHTCTL__STATUS__UNAVAILABLE, NULL, NULL, false },
	{ -EBUSY, 0, STORE_NONE, KDHTCTL__STATUS__FAILED,
	  "too many operations in flight", NULL, false },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

static const struct error_row *row_of(int err)
{
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (rows[i].err == err)
			return &rows[i];
	return NULL;
}

static const struct error_row *row_of_wire(uint32_t code)
{
	size_t i;

	for (i = 0; code && i < NROWS; i++)
		if (rows[i].wire == code)
			return &rows[i];
	return NULL;
}

uint32_t kdd_error_to_wire(int err)
{
	const struct error_row *r = row_of(err);

	if (err == 0)
		return KDD_ACK_STORED;
	return r && r->wire ? r->wire : KDHT_ERR_UNAVAILABLE;
}

int kdd_error_from_wire(uint32_t code)
{
	const struct error_row *r = row_of_wire(code);

	if (code == KDD_ACK_STORED)
		return 0;
	return r ? r->err : -EPROTO;
}

Kdhtctl__Status kdd_error_ctl_status(int err)
{
	const struct error_row *r = row_of(err);

	if (err == 0)
		return KDHTCTL__STATUS__OK;
	return r ? r->ctl : KDHTCTL__STATUS__FAILED;
}

const char *kdd_error_words(int err, const char *otherwise)
{
	const struct error_row *r = row_of(err);

	return r && r->words ? r->words : otherwise;
}

const char *kdd_error_refusal(int err)
{
	const struct error_row *r = row_of(err);

	return r && r->refusal ? r->refusal : "a replica refused the value";
}

bool kdd_error_try_elsewhere(int err)
{
	const struct error_row *r = row_of(err);

	return r && r->try_elsewhere;
}

int kdd_error_store_status(uint32_t code)
{
	const struct error_row *r = row_of_wire(code);

	if (code == KDD_ACK_STORED)
		return KDHT__STORE_STATUS__STORE_OK;
	return r ? (int)r->store : STORE_NONE;
}

uint32_t kdd_error_from_store_status(int status)
{
	size_t i;

	if (status == KDHT__STORE_STATUS__STORE_OK)
		return KDD_ACK_STORED;
	for (i = 0; i < NROWS; i++)
		if (rows[i].wire && (int)rows[i].store == status)
			return rows[i].wire;
	return KDHT_ERR_MALFORMED;
}

int kdd_error_of_lmdb(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	default:
		return rc > 0 && rc < 4096 ? -rc : -EIO;
	}
}
