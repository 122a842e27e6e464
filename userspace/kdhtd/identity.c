// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void kdd_identity_node_id(struct kd_id *out, const unsigned char *pk)
{
	crypto_generichash(out->b, KDHT_ID_LEN, pk, crypto_sign_PUBLICKEYBYTES, NULL, 0);
}

static int read_key(struct kdd_identity *ident, int fd, const char **err_msg)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) < 0) {
		*err_msg = "cannot stat the identity file";
		return -errno;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		*err_msg = "the identity file is accessible to others (want mode 0600)";
		return -EPERM;
	}
	n = read(fd, ident->sk, sizeof(ident->sk));
	if (n < 0) {
		*err_msg = "cannot read the identity file";
		return -errno;
	}
	if ((size_t)n != sizeof(ident->sk)) {
		*err_msg = "the identity file is not an Ed25519 secret key";
		return -EINVAL;
	}
	/* The secret key is seed || public key: both halves must agree. */
	crypto_sign_ed25519_sk_to_seed(seed, ident->sk);
	if (crypto_sign_seed_keypair(ident->pk, sk, seed) != 0 ||
	    sodium_memcmp(sk, ident->sk, sizeof(sk)) != 0) {
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk, sizeof(sk));
		*err_msg = "the identity file is not an Ed25519 secret key";
		return -EINVAL;
	}
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return 0;
}

static int create_key(struct kdd_identity *ident, const char *path, const char **err_msg)
{
	char tmp[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		*err_msg = "state directory path too long";
		return -ENAMETOOLONG;
	}
	crypto_sign_keypair(ident->pk, ident->sk);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err_msg = "cannot create the identity file";
		return -errno;
	}
	n = write(fd, ident->sk, sizeof(ident->sk));
	if (n != (ssize_t)sizeof(ident->sk) || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		*err_msg = "cannot write the identity file";
		return n < 0 ? -errno : -EIO;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		*err_msg = "cannot write the identity file";
		return -errno;
	}
	return 0;
}

int kdd_identity_load(struct kdd_identity *ident, const char *state_dir,
		      const char **err_msg)
{
	char path[PATH_MAX];
	int fd, rc;

	if (sodium_init() < 0) {
		*err_msg = "cannot initialise libsodium";
		return -EIO;
	}
	if (snprintf(path, sizeof(path), "%s/%s", state_dir, KDD_IDENTITY_FILE) >=
	    (int)sizeof(path)) {
		*err_msg = "state directory path too long";
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		rc = read_key(ident, fd, err_msg);
		close(fd);
	} else if (errno == ENOENT) {
		rc = create_key(ident, path, err_msg);
	} else {
		*err_msg = "cannot open the identity file";
		rc = -errno;
	}
	if (rc == 0)
		kdd_identity_node_id(&ident->id, ident->pk);
	return rc;
}
