// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The value-message bodies on arbitrary bytes: every decoder, as a peer's
 * datagram would reach it. What decodes must re-encode and decode to the
 * same fields (the name and the cas flag too); a whole record goes through
 * the key-derivation and signature checks.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_part(const struct kdd_part *a, const struct kdd_part *b)
{
	assert(kd_id_equal(&a->key, &b->key));
	assert(a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
	assert(a->part == b->part && a->parts == b->parts && a->total_len == b->total_len);
	assert(a->ttl_s == b->ttl_s && a->seq == b->seq && a->is_mutable == b->is_mutable);
	assert(a->has_sig == b->has_sig && a->has_publisher == b->has_publisher);
	assert(a->cas == b->cas && a->name_len == b->name_len && a->name_len <= KDD_NAME_MAX);
	assert(memcmp(a->name, b->name, a->name_len) == 0);
}

/* A whole one-part record goes through the checks of a storing node. */
static void check_whole(const struct kdd_part *p)
{
	static const uint8_t mesh_id[KDD_MESH_ID_LEN];
	struct kdd_record r;

	if (p->parts != 1)
		return;
	kdd_record_of_part(&r, p, p->data, &p->key);
	(void)kdd_record_check(&r, NULL);
	(void)kdd_record_check(&r, mesh_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[KDHT_MAX_BODY * 2];
	struct kdd_part p, p2;
	struct kdd_value v, v2;
	struct kdd_ack a, a2;
	struct kdd_find f, f2;
	void *keep, *keep2;
	size_t len;

	if (size > KDHT_MAX_BODY)
		return 0;
	if (kdd_vmsg_decode_store(data, size, &p, &keep) == 0) {
		assert(p.part < p.parts && p.total_len <= KDD_MAX_VALUE && p.len <= KDD_PART_LEN);
		len = kdd_vmsg_encode_store(buf, sizeof(buf), &p);
		assert(len);
		assert(kdd_vmsg_decode_store(buf, len, &p2, &keep2) == 0);
		same_part(&p, &p2);
		check_whole(&p);
		kdd_vmsg_free_store(keep2);
		kdd_vmsg_free_store(keep);
	}
	if (kdd_vmsg_decode_value(data, size, &v, &keep) == 0) {
		assert(v.nnodes <= KDHT_MAX_NODES);
		len = kdd_vmsg_encode_value(buf, sizeof(buf), &v);
		assert(len);
		assert(kdd_vmsg_decode_value(buf, len, &v2, &keep2) == 0);
		assert(v.has_record == v2.has_record && v.nnodes == v2.nnodes);
		assert(memcmp(v.nodes, v2.nodes, v.nnodes * sizeof(v.nodes[0])) == 0);
		if (v.has_record)
			same_part(&v.rec, &v2.rec);
		kdd_vmsg_free_value(keep2);
		kdd_vmsg_free_value(keep);
	}
	if (kdd_vmsg_decode_ack(data, size, &a) == 0) {
		len = kdd_vmsg_encode_ack(buf, sizeof(buf), &a);
		assert(len && kdd_vmsg_decode_ack(buf, len, &a2) == 0);
		assert(a.status == a2.status && a.part == a2.part && a.parts_held == a2.parts_held);
	}
	if (kdd_vmsg_decode_find(data, size, &f) == 0) {
		len = kdd_vmsg_encode_find(buf, sizeof(buf), &f);
		assert(len && kdd_vmsg_decode_find(buf, len, &f2) == 0);
		assert(f.part == f2.part && f.min_seq == f2.min_seq && f.want == f2.want);
	}
	return 0;
}
