/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The closed mesh's key file and what is derived from it (PROTOCOL.md,
 * "Closed mesh"): the one place userspace reads, writes and derives from a
 * mesh key. kdhtd and dhtctl both use it.
 */
#ifndef KD_MESHKEY_H
#define KD_MESHKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KD_MESH_KEY_LEN		32	/* the secret every member holds */
#define KD_MESH_TAG_KEY_LEN	16	/* SipHash-2-4-128 key of the datagram tags */
#define KD_MESH_ID_LEN		32	/* names a closed mesh: key = H(mesh id || name) */
#define KD_MESH_FPR_LEN		8	/* bytes of the mesh id shown as its fingerprint */
/* The file: 64 hex digits and a newline. */
#define KD_MESH_FILE_LEN	(2 * KD_MESH_KEY_LEN + 1)

struct kd_mesh {
	uint8_t tag_key[KD_MESH_TAG_KEY_LEN];
	uint8_t id[KD_MESH_ID_LEN];
};

/*
 * Derives the tag key and the mesh id from key: keyed BLAKE2b under key of
 * the strings "kdht mesh tag v1" and "kdht mesh id v1". Returns 0, or -EIO
 * if libsodium fails (sodium_init() is called here).
 */
int kd_mesh_derive(const uint8_t key[KD_MESH_KEY_LEN], struct kd_mesh *out);

/*
 * Reads the key file at path into key. The file must hold exactly 64 hex
 * digits and one newline, and be readable by nobody but its owner and,
 * optionally, the caller's group. Returns 0, or a negative errno with *why
 * (a static string) saying what is wrong: -EACCES for the mode (the file's
 * group or others may read it), -EINVAL for the contents, or open's error.
 */
int kd_mesh_key_read(const char *path, uint8_t key[KD_MESH_KEY_LEN], const char **why);

/*
 * Draws a fresh key and formats it as a key file's contents into
 * text (KD_MESH_FILE_LEN bytes, not NUL-terminated). Returns 0 or -EIO.
 */
int kd_mesh_key_generate(char text[KD_MESH_FILE_LEN]);

/*
 * Creates path with mode 0600 holding text (a key file's contents); never
 * replaces an existing file (-EEXIST). Returns 0 or a negative errno.
 */
int kd_mesh_key_write(const char *path, const char text[KD_MESH_FILE_LEN]);

/* The mesh's fingerprint: hex of its id's first KD_MESH_FPR_LEN bytes; out holds 17. */
void kd_mesh_fingerprint(const struct kd_mesh *m, char out[2 * KD_MESH_FPR_LEN + 1]);

#endif /* KD_MESHKEY_H */
