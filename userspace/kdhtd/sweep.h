/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Sweeping an LMDB table keyed by 32-byte ids a batch at a time, so that a
 * table of any size is walked through without one long transaction: each
 * step starts where the previous one stopped and wraps at the end. The
 * store sweeps expired records with it and the quotas their charges.
 */
#ifndef KDD_SWEEP_H
#define KDD_SWEEP_H

#include <lmdb.h>
#include <stdbool.h>

#include "kd_types.h"

/*
 * Whether the row (k, v) goes: 1 delete it, 0 keep it, or an LMDB return
 * code, which ends the step. It may write in txn (e.g. release what the
 * row held) but must not delete the row itself.
 */
typedef int kdd_sweep_drop_fn(void *ctx, MDB_txn *txn, const MDB_val *k, const MDB_val *v);

/*
 * Examines up to batch rows of dbi from the key `from` on, in key order,
 * inside txn, deleting those drop says to. Leaves in from the key the next
 * step starts at: all zeros once the table's end was reached. Returns 0 and
 * the rows deleted in *deleted, or an LMDB return code; the caller then
 * aborts txn.
 */
int kdd_sweep_step(MDB_txn *txn, MDB_dbi dbi, uint8_t from[KDHT_ID_LEN], unsigned int batch,
		   kdd_sweep_drop_fn *drop, void *ctx, unsigned int *deleted);

#endif
