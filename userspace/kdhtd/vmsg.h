/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The value messages' bodies (proto/kdht.proto) as plain C: the only file
 * that knows the protobuf layout. Decoders check sizes and return 0 or a
 * KDHT_ERR_* code; encoders return the body length or 0 if it does not fit.
 */
#ifndef KDD_VMSG_H
#define KDD_VMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kd_types.h"
#include "store.h"

/*
 * Value bytes in one STORE or VALUE part: the rest of a datagram is framing.
 * A STORE with every field at its maximum (a KDD_NAME_MAX name, cas set)
 * takes 1198 bytes of body: 30 left of KDHT_MAX_BODY for a mesh tag.
 */
#define KDD_PART_LEN	864
#define KDD_MAX_PARTS	((KDD_MAX_VALUE + KDD_PART_LEN - 1) / KDD_PART_LEN)

/*
 * STORE_ACK status as this daemon handles it: 0 (the part is held; the
 * record is committed once parts_held == parts), else a KDHT_ERR_* code,
 * mapped to and from the wire's StoreStatus here.
 */
#define KDD_ACK_STORED		0

/* One part of a record, as carried by STORE and VALUE. */
struct kdd_part {
	struct kd_id key;
	const uint8_t *data;	/* this part's bytes, inside the decoded message */
	uint32_t len;
	uint32_t part, parts, total_len;
	uint32_t ttl_s;		/* STORE: lifetime (> 0); VALUE: time left */
	bool has_publisher;
	struct kd_id publisher;
	uint64_t seq;
	bool is_mutable;
	bool has_sig;
	bool cas;		/* STORE: compare-and-swap (kdd_record.cas) */
	uint8_t sig[KDD_SIG_LEN];
	uint8_t name_len;
	uint8_t name[KDD_NAME_MAX];
};

struct kdd_ack {
	struct kd_id key;
	uint32_t status;
	uint32_t part;
	uint64_t held_seq;
	uint32_t parts_held;
};

struct kdd_find {
	struct kd_id key;
	uint32_t part;
	uint64_t min_seq;	/* mutable: a lower held seq answers with nodes */
	uint8_t want;		/* KDHT_WANT_* for the nodes; 0: both */
};

struct kdd_value {
	struct kd_id key;
	bool has_record;
	struct kdd_part rec;
	unsigned int nnodes;
	struct kd_node nodes[KDHT_MAX_NODES];
};

/*
 * Decoders keep the protobuf message alive in *keep (free it with
 * kdd_vmsg_free) because the part's data points into it.
 */
int kdd_vmsg_decode_store(const uint8_t *b, size_t len, struct kdd_part *out, void **keep);
int kdd_vmsg_decode_value(const uint8_t *b, size_t len, struct kdd_value *out, void **keep);
int kdd_vmsg_decode_ack(const uint8_t *b, size_t len, struct kdd_ack *out);
int kdd_vmsg_decode_find(const uint8_t *b, size_t len, struct kdd_find *out);
void kdd_vmsg_free_store(void *keep);
void kdd_vmsg_free_value(void *keep);

size_t kdd_vmsg_encode_store(uint8_t *b, size_t cap, const struct kdd_part *p);
size_t kdd_vmsg_encode_value(uint8_t *b, size_t cap, const struct kdd_value *v);
size_t kdd_vmsg_encode_ack(uint8_t *b, size_t cap, const struct kdd_ack *a);
size_t kdd_vmsg_encode_find(uint8_t *b, size_t cap, const struct kdd_find *f);

/* The number of parts a value of len bytes travels in (at least 1). */
static inline uint32_t kdd_parts_for(uint32_t len)
{
	return len ? (len + KDD_PART_LEN - 1) / KDD_PART_LEN : 1;
}

/*
 * Part `part` of a held record as a VALUE carries it: its bytes (pointing
 * into r->value), the record's fields, and the time it has left after now_s.
 */
void kdd_part_of_record(struct kdd_part *out, const struct kdd_record *r, uint32_t part,
			uint64_t now_s);

/*
 * The whole record whose metadata is meta and whose bytes are value (the
 * caller's): publisher is meta's, or sender when it has none (an immutable
 * record's publisher is the node that sent it).
 */
void kdd_record_of_part(struct kdd_record *out, const struct kdd_part *meta,
			const uint8_t *value, const struct kd_id *sender);

/* The 32 bytes a closed mesh's names derive from (kdd_key_of_name). */
#define KDD_MESH_ID_LEN	32

/*
 * Who may write what (PROTOCOL.md 9.1): the key of an immutable record is
 * BLAKE2b-256 of its value (a content key); a mutable record's is
 * BLAKE2b-256(scope || name), scope being its publisher's public key in an
 * open mesh, the mesh id in a closed one.
 */
void kdd_key_of_content(struct kd_id *out, const uint8_t *value, uint32_t len);
void kdd_key_of_name(struct kd_id *out, const uint8_t scope[32], const uint8_t *name,
		     size_t len);

/*
 * Whether the whole record r may live under its key: its name (1 to
 * KDD_NAME_MAX bytes, mutable records only), its key derivation and its
 * signature. mesh_id: the closed mesh's id (KDD_MESH_ID_LEN bytes), NULL in
 * an open mesh. Every storing node checks it before it stores, and every
 * getter before it believes a copy. Returns 0, KDHT_ERR_MALFORMED (a name
 * where none belongs, or none where one must be), KDHT_ERR_BAD_KEY or
 * KDHT_ERR_BAD_SIGNATURE.
 */
uint32_t kdd_record_check(const struct kdd_record *r, const uint8_t *mesh_id);

/*
 * The bytes a record's signature covers (proto/kdht.proto): "KDHT-RECORD-V1",
 * the key, seq (u64 BE), mutable (u8), total_len (u32 BE), the whole value.
 * Returns 0 if the signature by publisher (an Ed25519 public key) verifies.
 */
int kdd_record_verify(const struct kd_id *key, uint64_t seq, bool is_mutable,
		      const uint8_t *value, uint32_t len, const struct kd_id *publisher,
		      const uint8_t *sig);
void kdd_record_sign(const struct kd_id *key, uint64_t seq, bool is_mutable,
		     const uint8_t *value, uint32_t len, const uint8_t *sk, uint8_t *sig);

#endif /* KDD_VMSG_H */
