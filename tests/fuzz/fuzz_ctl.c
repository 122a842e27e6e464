// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Control requests on arbitrary bytes, as a local client could send them:
 * a request either decodes into one that passed every check, or is refused
 * with a status and a message.
 */
#include <assert.h>
#include <stdint.h>

#include "ctl.h"
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
		assert(req->put->key.len == KDHT_ID_LEN && req->put->value.len <= 1000);
		break;
	case KDHTCTL__REQUEST__OP_GET:
		assert(req->get->key.len == KDHT_ID_LEN);
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
