// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "sweep.h"

#include <string.h>

int kdd_sweep_step(MDB_txn *txn, MDB_dbi dbi, uint8_t from[KDHT_ID_LEN], unsigned int batch,
		   kdd_sweep_drop_fn *drop, void *ctx, unsigned int *deleted)
{
	MDB_val k = { .mv_size = KDHT_ID_LEN, .mv_data = from }, v;
	MDB_cursor *cur;
	unsigned int seen;
	int rc;

	*deleted = 0;
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	for (seen = 0; rc == 0 && seen < batch; seen++) {
		rc = drop(ctx, txn, &k, &v);
		if (rc == 1) {
			rc = mdb_cursor_del(cur, 0);
			*deleted += !rc;
		}
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND) {
		memset(from, 0, KDHT_ID_LEN);
		rc = 0;
	} else if (rc == 0 && k.mv_size == KDHT_ID_LEN) {
		memcpy(from, k.mv_data, KDHT_ID_LEN);
	} else if (rc == 0) {
		/* A key of another length: start over rather than skip a range. */
		memset(from, 0, KDHT_ID_LEN);
	}
	mdb_cursor_close(cur);
	return rc;
}
