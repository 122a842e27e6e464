// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Control requests on arbitrary bytes, as a local client could send them:
 * a request either decodes into one that passed every check, or is refused
 * with a status and a message.
 */
#include <assert.h>
#include <stdint.h>

#include "ctl.h"
#include "store.h"
#include "kdht_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Kdhtctl__Request *req;
	Kdhtctl__Status status;
	const char *msg = NULL;

	if (size > KDD_CTL_MAX_FRAME)
		return 0;
	req = kdd_ctl_decode(data, size, 1000, &status, &msg);
	if (!req) {
		assert(msg && status != KDHTCTL__STATUS__OK);
		return 0;
	}
	switch (req->op_case) {
	case KDHTCTL__REQUEST__OP_PUT:
		assert(req->put->value.len <= 1000);
		/* A name of 1..128 bytes, or none with no owner key and no cas. */
		assert(req->put->has_name ? req->put->name.len >= 1 &&
					    req->put->name.len <= KDD_NAME_MAX :
		       !req->put->has_owner_key && !req->put->has_cas);
		assert(!req->put->has_owner_key || req->put->owner_key.len == 64);
		break;
	case KDHTCTL__REQUEST__OP_GET:
		/* A raw key or a name, of the owner if one is named. */
		assert(req->get->has_key != req->get->has_name);
		assert(!req->get->has_key || req->get->key.len == KDHT_ID_LEN);
		assert(!req->get->has_name || (req->get->name.len >= 1 &&
					       req->get->name.len <= KDD_NAME_MAX));
		assert(!req->get->has_owner || req->get->owner.len == KDHT_ID_LEN);
		break;
	case KDHTCTL__REQUEST__OP_LOOKUP:
		assert(req->lookup->target.len == KDHT_ID_LEN);
		break;
	default:
		assert(req->op_case != KDHTCTL__REQUEST__OP__NOT_SET);
		break;
	}
	kdhtctl__request__free_unpacked(req, NULL);
	return 0;
}
