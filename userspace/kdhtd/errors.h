/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * Every failure the daemon names, in one table. Inside the daemon a failure
 * is a negative errno; each edge speaks its own code: the wire's ERROR and
 * STORE_ACK codes (KDHT_ERR_*, PROTOCOL.md), the STORE_ACK body's status,
 * the control socket's status, and words for the user. The functions here
 * translate between them; nothing else in the daemon does.
 *
 *	errno		wire code		control status
 *	-EINVAL		MALFORMED		FAILED
 *	-EMSGSIZE	TOO_LARGE		TOO_LARGE
 *	-ENOSPC		STORAGE_FULL		FAILED
 *	-EPERM		BAD_SIGNATURE		FAILED
 *	-ESTALE		STALE			FAILED
 *	-EEXIST		EXISTS			FAILED
 *	-EKEYREJECTED	BAD_KEY			FAILED
 *	-ENOTUNIQ	CONFLICT		FAILED
 *	-EBADE		CAS_MISMATCH		FAILED
 *	-ECONNREFUSED	UNAVAILABLE		FAILED
 *	-EOPNOTSUPP	UNKNOWN_TYPE		FAILED
 *	-EAGAIN		RATE_LIMITED		FAILED
 *	-EACCES		UNVALIDATED		FAILED
 *	-ENOENT		-			NOT_FOUND
 *	-ETIMEDOUT	-			TIMEOUT
 *	-ESHUTDOWN	-			UNAVAILABLE
 *	-ECANCELED	-			UNAVAILABLE
 *	-EBUSY		-			FAILED
 */
#ifndef KDD_ERRORS_H
#define KDD_ERRORS_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl.pb-c.h"

/*
 * The errno for an LMDB return code: -ENOENT for MDB_NOTFOUND, -ENOSPC for a
 * full map or transaction, the errno itself for a system error, else -EIO.
 */
int kdd_error_of_lmdb(int rc);

/* The wire code for err: KDD_ACK_STORED (0) for 0, UNAVAILABLE for any other errno. */
uint32_t kdd_error_to_wire(int err);

/* The errno a wire code stands for: 0 for KDD_ACK_STORED, -EPROTO for an unknown code. */
int kdd_error_from_wire(uint32_t code);

/* The control socket's status for err: OK for 0, FAILED for one not in the table. */
Kdhtctl__Status kdd_error_ctl_status(int err);

/* Words for err ("not found", "timed out"...), or otherwise when it has none. */
const char *kdd_error_words(int err, const char *otherwise);

/* How a replica's refusal with err reads in a put's failure. */
const char *kdd_error_refusal(int err);

/*
 * Whether another node may succeed where one failed with err: one gone,
 * without a daemon, out of room or rate limiting may be replaced; a refusal
 * of the record itself (stale, bad signature, too large) would be repeated.
 */
bool kdd_error_try_elsewhere(int err);

/* A STORE_ACK body's status (a Kdht__StoreStatus) for a wire code, and back. */
int kdd_error_store_status(uint32_t code);
uint32_t kdd_error_from_store_status(int status);

#endif /* KDD_ERRORS_H */
