/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The node's Ed25519 key pair, kept in the state directory (mode 0600), and
 * the node id derived from it: BLAKE2b-256 of the public key.
 */
#ifndef KDD_IDENTITY_H
#define KDD_IDENTITY_H

#include <sodium.h>

#include "kd_types.h"

#define KDD_IDENTITY_FILE "identity.key"

struct kdd_identity {
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	struct kd_id id;
};

/*
 * Loads state_dir/identity.key, or creates it with a fresh key pair. Returns
 * 0 or a negative errno (-EPERM if the file is readable by others, -EINVAL
 * if it is not a key file); *err_msg then says what failed.
 */
int kdd_identity_load(struct kdd_identity *ident, const char *state_dir,
		      const char **err_msg);

/* The node id of a public key. */
void kdd_identity_node_id(struct kd_id *out, const unsigned char *pk);

#endif /* KDD_IDENTITY_H */
