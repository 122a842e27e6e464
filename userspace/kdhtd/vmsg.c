// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "vmsg.h"

#include <sodium.h>
#include <string.h>

#include "errors.h"
#include "kd_codec.h"
#include "kdht.pb-c.h"

/* Signatures cover this string first, so they mean nothing elsewhere. */
static const char sig_context[] = "KDHT-RECORD-V1";

void kdd_part_of_record(struct kdd_part *out, const struct kdd_record *r, uint32_t part,
			uint64_t now_s)
{
	memset(out, 0, sizeof(*out));
	out->key = r->key;
	out->part = part;
	out->parts = kdd_parts_for(r->len);
	out->total_len = r->len;
	out->data = r->value + (size_t)part * KDD_PART_LEN;
	out->len = KD_MIN(r->len - part * KDD_PART_LEN, (uint32_t)KDD_PART_LEN);
	out->ttl_s = (uint32_t)KD_MIN(r->expires - now_s, (uint64_t)UINT32_MAX);
	out->has_publisher = true;
	out->publisher = r->publisher;
	out->seq = r->seq;
	out->is_mutable = r->is_mutable;
	out->has_sig = r->has_sig;
	memcpy(out->sig, r->sig, KDD_SIG_LEN);
	out->name_len = r->name_len;
	memcpy(out->name, r->name, r->name_len);
}

void kdd_record_of_part(struct kdd_record *out, const struct kdd_part *meta,
			const uint8_t *value, const struct kd_id *sender)
{
	memset(out, 0, sizeof(*out));
	out->key = meta->key;
	out->value = value;
	out->len = meta->total_len;
	out->seq = meta->seq;
	out->is_mutable = meta->is_mutable;
	out->has_sig = meta->has_sig;
	out->cas = meta->cas;
	memcpy(out->sig, meta->sig, KDD_SIG_LEN);
	out->publisher = meta->has_publisher ? meta->publisher : *sender;
	out->name_len = meta->name_len;
	memcpy(out->name, meta->name, meta->name_len);
}

void kdd_key_of_content(struct kd_id *out, const uint8_t *value, uint32_t len)
{
	crypto_generichash(out->b, KDHT_ID_LEN, value, len, NULL, 0);
}

void kdd_key_of_name(struct kd_id *out, const uint8_t scope[32], const uint8_t *name,
		     size_t len)
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, KDHT_ID_LEN);
	crypto_generichash_update(&h, scope, KDD_MESH_ID_LEN);
	crypto_generichash_update(&h, name, len);
	crypto_generichash_final(&h, out->b, KDHT_ID_LEN);
}

uint32_t kdd_record_check(const struct kdd_record *r, const uint8_t *mesh_id)
{
	struct kd_id want;

	if (r->is_mutable != (r->name_len > 0) || r->name_len > KDD_NAME_MAX)
		return KDHT_ERR_MALFORMED;
	if (r->is_mutable)
		kdd_key_of_name(&want, mesh_id ? mesh_id : r->publisher.b, r->name, r->name_len);
	else
		kdd_key_of_content(&want, r->value, r->len);
	if (!kd_id_equal(&want, &r->key))
		return KDHT_ERR_BAD_KEY;
	if ((r->is_mutable || r->has_sig) &&
	    kdd_record_verify(&r->key, r->seq, r->is_mutable, r->value, r->len, &r->publisher,
			      r->sig) != 0)
		return KDHT_ERR_BAD_SIGNATURE;
	return 0;
}

static bool id_from(struct kd_id *out, const ProtobufCBinaryData *b)
{
	if (b->len != KDHT_ID_LEN)
		return false;
	memcpy(out->b, b->data, KDHT_ID_LEN);
	return true;
}

static ProtobufCBinaryData bin(const void *p, size_t len)
{
	ProtobufCBinaryData b = { .len = len, .data = (uint8_t *)p };

	return b;
}

/* Checks one record part and copies its fields; the data stays in r. */
static int part_from(struct kdd_part *out, const Kdht__Record *r)
{
	memset(out, 0, sizeof(*out));
	if (!id_from(&out->key, &r->key))
		return KDHT_ERR_MALFORMED;
	out->data = r->value.data;
	out->len = (uint32_t)r->value.len;
	out->part = r->part_index;
	out->parts = r->part_count;
	out->total_len = r->total_len;
	if (out->total_len > KDD_MAX_VALUE)
		return KDHT_ERR_TOO_LARGE;
	/* Parts are all KDD_PART_LEN long but the last, which holds the rest. */
	if (out->parts != kdd_parts_for(out->total_len) || out->part >= out->parts)
		return KDHT_ERR_MALFORMED;
	if (out->len != (out->part + 1 < out->parts ? KDD_PART_LEN :
			 out->total_len - out->part * KDD_PART_LEN))
		return KDHT_ERR_MALFORMED;
	out->ttl_s = r->expiry_s;
	if (out->ttl_s == 0)
		return KDHT_ERR_MALFORMED;
	if (r->publisher.len) {
		if (!id_from(&out->publisher, &r->publisher))
			return KDHT_ERR_MALFORMED;
		out->has_publisher = true;
	}
	out->seq = r->seq;
	out->is_mutable = r->mutable_;
	if (r->signature.len) {
		if (r->signature.len != KDD_SIG_LEN)
			return KDHT_ERR_MALFORMED;
		memcpy(out->sig, r->signature.data, KDD_SIG_LEN);
		out->has_sig = true;
	}
	if (out->is_mutable && (!out->has_publisher || !out->has_sig))
		return KDHT_ERR_BAD_SIGNATURE;
	if (r->name.len > KDD_NAME_MAX)
		return KDHT_ERR_MALFORMED;
	out->name_len = (uint8_t)r->name.len;
	if (r->name.len)
		memcpy(out->name, r->name.data, r->name.len);
	return 0;
}

static void record_to(Kdht__Record *r, const struct kdd_part *p)
{
	r->key = bin(p->key.b, KDHT_ID_LEN);
	r->value = bin(p->data, p->len);
	r->part_index = p->part;
	r->part_count = p->parts;
	r->total_len = p->total_len;
	r->expiry_s = p->ttl_s;
	if (p->has_publisher)
		r->publisher = bin(p->publisher.b, KDHT_ID_LEN);
	r->seq = p->seq;
	r->mutable_ = p->is_mutable;
	if (p->has_sig)
		r->signature = bin(p->sig, KDD_SIG_LEN);
	r->name = bin(p->name, p->name_len);
}

/* Reads a protobuf varint at b[*i], advancing *i; false past len or at 10 bytes. */
static bool read_varint(const uint8_t *b, size_t len, size_t *i, uint64_t *out)
{
	unsigned int shift;

	*out = 0;
	for (shift = 0; *i < len && shift < 64; shift += 7) {
		uint8_t c = b[(*i)++];

		*out |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return true;
	}
	return false;
}

/*
 * Whether the key (field 1) and an embedded record (field 2 as bytes:
 * Store.record, Value.record) each occur at most once at the top of a
 * body. Protobuf would take the last key, which the routing node did not
 * act on, and merge two records by rules of its own (PROTOCOL.md 9).
 */
static bool key_and_record_once(const uint8_t *b, size_t len)
{
	unsigned int key = 0, record = 0;
	uint64_t tag, n;
	size_t i = 0;

	while (i < len) {
		if (!read_varint(b, len, &i, &tag))
			return false;
		if ((tag & 7) == 0) {
			if (!read_varint(b, len, &i, &n))
				return false;
			n = 0;
		} else if ((tag & 7) == 2) {
			if (!read_varint(b, len, &i, &n))
				return false;
		} else {
			n = (tag & 7) == 1 ? 8 : (tag & 7) == 5 ? 4 : UINT64_MAX;
		}
		if (n > len - i)
			return false;
		i += n;
		key += tag >> 3 == 1;
		record += tag == (2 << 3 | 2);
	}
	return key <= 1 && record <= 1;
}

/*
 * Every body starts with the key as field 1: the routing node finds the key
 * there (kd_decode_key) without parsing protobuf. Neither the key nor a
 * record may come again later in the body.
 */
static bool key_first(const uint8_t *b, size_t len)
{
	struct kd_id key;

	return kd_decode_key(b, len, &key) && key_and_record_once(b, len);
}

int kdd_vmsg_decode_store(const uint8_t *b, size_t len, struct kdd_part *out, void **keep)
{
	Kdht__Store *m;
	struct kd_id key;
	int rc;

	*keep = NULL;
	if (!key_first(b, len))
		return KDHT_ERR_MALFORMED;
	m = kdht__store__unpack(NULL, len, b);
	if (!m)
		return KDHT_ERR_MALFORMED;
	rc = KDHT_ERR_MALFORMED;
	if (id_from(&key, &m->key) && m->record) {
		rc = part_from(out, m->record);
		if (!rc && !kd_id_equal(&key, &out->key))
			rc = KDHT_ERR_MALFORMED;
		out->cas = m->cas;
	}
	if (rc) {
		kdht__store__free_unpacked(m, NULL);
		return rc;
	}
	*keep = m;
	return 0;
}

void kdd_vmsg_free_store(void *keep)
{
	if (keep)
		kdht__store__free_unpacked(keep, NULL);
}

void kdd_vmsg_free_value(void *keep)
{
	if (keep)
		kdht__value__free_unpacked(keep, NULL);
}

static int node_from(struct kd_node *out, const Kdht__NodeEntry *e)
{
	memset(out, 0, sizeof(*out));
	if (!id_from(&out->id, &e->id) || e->port == 0 || e->port > 0xffff)
		return KDHT_ERR_MALFORMED;
	out->addr.port = (uint16_t)e->port;
	if (e->family == KDHT_AF_INET && e->addr.len == 4)
		out->addr.family = KDHT_AF_INET;
	else if (e->family == KDHT_AF_INET6 && e->addr.len == 16)
		out->addr.family = KDHT_AF_INET6;
	else
		return KDHT_ERR_MALFORMED;
	memcpy(out->addr.ip, e->addr.data, e->addr.len);
	return kd_addr_usable(&out->addr) ? 0 : KDHT_ERR_MALFORMED;
}

int kdd_vmsg_decode_value(const uint8_t *b, size_t len, struct kdd_value *out, void **keep)
{
	Kdht__Value *m;
	size_t i;
	int rc = KDHT_ERR_MALFORMED;

	*keep = NULL;
	if (!key_first(b, len))
		return rc;
	m = kdht__value__unpack(NULL, len, b);
	if (!m)
		return KDHT_ERR_MALFORMED;
	memset(out, 0, offsetof(struct kdd_value, nodes));
	if (!id_from(&out->key, &m->key) || m->n_closer > KDHT_MAX_NODES)
		goto err;
	if (m->record) {
		rc = part_from(&out->rec, m->record);
		if (rc)
			goto err;
		rc = KDHT_ERR_MALFORMED;
		if (!kd_id_equal(&out->key, &out->rec.key))
			goto err;
		out->has_record = true;
	}
	for (i = 0; i < m->n_closer; i++) {
		rc = node_from(&out->nodes[i], m->closer[i]);
		if (rc)
			goto err;
	}
	out->nnodes = (unsigned int)m->n_closer;
	*keep = m;
	return 0;
err:
	kdht__value__free_unpacked(m, NULL);
	return rc;
}

int kdd_vmsg_decode_ack(const uint8_t *b, size_t len, struct kdd_ack *out)
{
	Kdht__StoreAck *m;
	int rc = KDHT_ERR_MALFORMED;

	if (!key_first(b, len))
		return rc;
	m = kdht__store_ack__unpack(NULL, len, b);
	if (!m)
		return rc;
	if (id_from(&out->key, &m->key)) {
		out->status = kdd_error_from_store_status(m->status);
		out->part = m->part_index;
		out->held_seq = m->held_seq;
		out->parts_held = m->parts_held;
		rc = 0;
	}
	kdht__store_ack__free_unpacked(m, NULL);
	return rc;
}

int kdd_vmsg_decode_find(const uint8_t *b, size_t len, struct kdd_find *out)
{
	Kdht__FindValue *m;
	int rc = KDHT_ERR_MALFORMED;

	if (!key_first(b, len))
		return rc;
	m = kdht__find_value__unpack(NULL, len, b);
	if (!m)
		return rc;
	if (id_from(&out->key, &m->key) && m->part_index < KDD_MAX_PARTS) {
		out->part = m->part_index;
		out->min_seq = m->min_seq;
		out->want = (uint8_t)(m->want & (KDHT_WANT_V4 | KDHT_WANT_V6));
		rc = 0;
	}
	kdht__find_value__free_unpacked(m, NULL);
	return rc;
}

size_t kdd_vmsg_encode_store(uint8_t *b, size_t cap, const struct kdd_part *p)
{
	Kdht__Store m = KDHT__STORE__INIT;
	Kdht__Record r = KDHT__RECORD__INIT;

	record_to(&r, p);
	m.key = bin(p->key.b, KDHT_ID_LEN);
	m.record = &r;
	m.cas = p->cas;
	if (kdht__store__get_packed_size(&m) > cap)
		return 0;
	return kdht__store__pack(&m, b);
}

size_t kdd_vmsg_encode_value(uint8_t *b, size_t cap, const struct kdd_value *v)
{
	Kdht__Value m = KDHT__VALUE__INIT;
	Kdht__Record r = KDHT__RECORD__INIT;
	Kdht__NodeEntry e[KDHT_MAX_NODES], *ep[KDHT_MAX_NODES];
	unsigned int i;

	m.key = bin(v->key.b, KDHT_ID_LEN);
	if (v->has_record) {
		record_to(&r, &v->rec);
		m.record = &r;
	}
	for (i = 0; i < v->nnodes && i < KDHT_MAX_NODES; i++) {
		kdht__node_entry__init(&e[i]);
		e[i].id = bin(v->nodes[i].id.b, KDHT_ID_LEN);
		e[i].family = v->nodes[i].addr.family;
		e[i].addr = bin(v->nodes[i].addr.ip,
				v->nodes[i].addr.family == KDHT_AF_INET ? 4 : 16);
		e[i].port = v->nodes[i].addr.port;
		ep[i] = &e[i];
	}
	m.n_closer = i;
	m.closer = ep;
	if (kdht__value__get_packed_size(&m) > cap)
		return 0;
	return kdht__value__pack(&m, b);
}

size_t kdd_vmsg_encode_ack(uint8_t *b, size_t cap, const struct kdd_ack *a)
{
	Kdht__StoreAck m = KDHT__STORE_ACK__INIT;

	m.key = bin(a->key.b, KDHT_ID_LEN);
	m.status = (Kdht__StoreStatus)kdd_error_store_status(a->status);
	m.part_index = a->part;
	m.held_seq = a->held_seq;
	m.parts_held = a->parts_held;
	if (kdht__store_ack__get_packed_size(&m) > cap)
		return 0;
	return kdht__store_ack__pack(&m, b);
}

size_t kdd_vmsg_encode_find(uint8_t *b, size_t cap, const struct kdd_find *f)
{
	Kdht__FindValue m = KDHT__FIND_VALUE__INIT;

	m.key = bin(f->key.b, KDHT_ID_LEN);
	m.part_index = f->part;
	m.min_seq = f->min_seq;
	m.want = f->want;
	if (kdht__find_value__get_packed_size(&m) > cap)
		return 0;
	return kdht__find_value__pack(&m, b);
}

/*
 * Ed25519 over the whole string (not the pre-hashed variant): the string is
 * assembled in one buffer, at most a 64 KiB value plus 59 bytes.
 */
static size_t signed_string(uint8_t *buf, const struct kd_id *key, uint64_t seq,
			    bool is_mutable, const uint8_t *value, uint32_t len)
{
	size_t n = sizeof(sig_context) - 1;

	memcpy(buf, sig_context, n);
	memcpy(buf + n, key->b, KDHT_ID_LEN);
	n += KDHT_ID_LEN;
	kd_put_be64(buf + n, seq);
	n += 8;
	buf[n++] = is_mutable ? 1 : 0;
	kd_put_be32(buf + n, len);
	n += 4;
	if (len)
		memcpy(buf + n, value, len);
	return n + len;
}

#define SIGNED_MAX (sizeof(sig_context) - 1 + KDHT_ID_LEN + 8 + 1 + 4 + KDD_MAX_VALUE)

int kdd_record_verify(const struct kd_id *key, uint64_t seq, bool is_mutable,
		      const uint8_t *value, uint32_t len, const struct kd_id *publisher,
		      const uint8_t *sig)
{
	static uint8_t buf[SIGNED_MAX];
	size_t n;

	if (len > KDD_MAX_VALUE)
		return -1;
	n = signed_string(buf, key, seq, is_mutable, value, len);
	return crypto_sign_verify_detached(sig, buf, n, publisher->b) == 0 ? 0 : -1;
}

void kdd_record_sign(const struct kd_id *key, uint64_t seq, bool is_mutable,
		     const uint8_t *value, uint32_t len, const uint8_t *sk, uint8_t *sig)
{
	static uint8_t buf[SIGNED_MAX];
	size_t n;

	n = signed_string(buf, key, seq, is_mutable, value, len);
	crypto_sign_detached(sig, NULL, buf, n, sk);
}
