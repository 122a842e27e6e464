// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Owner key files: the 64 bytes of an Ed25519 secret key (seed || public
 * key), mode 0600, as kdhtd keeps its identity.key.
 */
#include "kdht.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

int kdht_keygen(const char *path, uint8_t pk[KDHT_PUBLIC_KEY_LEN])
{
	uint8_t sk[KDHT_SECRET_KEY_LEN];
	ssize_t n;
	int fd, rc = 0;

	if (!path || !pk)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	crypto_sign_keypair(pk, sk);
	n = write(fd, sk, sizeof(sk));
	sodium_memzero(sk, sizeof(sk));
	if (n != (ssize_t)sizeof(sk) || fsync(fd) < 0)
		rc = n < 0 ? -errno : -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (rc)
		unlink(path);
	return rc;
}

/* Whether sk's public half is the one its seed gives; pk is set to it. */
static bool halves_agree(const uint8_t sk[KDHT_SECRET_KEY_LEN], uint8_t pk[KDHT_PUBLIC_KEY_LEN])
{
	uint8_t seed[crypto_sign_SEEDBYTES], again[KDHT_SECRET_KEY_LEN];
	bool ok;

	crypto_sign_ed25519_sk_to_seed(seed, sk);
	ok = crypto_sign_seed_keypair(pk, again, seed) == 0 &&
	     sodium_memcmp(again, sk, KDHT_SECRET_KEY_LEN) == 0;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(again, sizeof(again));
	return ok;
}

int kdht_key_load(const char *path, uint8_t sk[KDHT_SECRET_KEY_LEN],
		  uint8_t pk[KDHT_PUBLIC_KEY_LEN])
{
	uint8_t extra;
	struct stat st;
	ssize_t n;
	int fd, rc = 0;

	if (!path || !sk || !pk)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		rc = -EPERM;
	n = rc ? 0 : read(fd, sk, KDHT_SECRET_KEY_LEN);
	if (!rc && n < 0)
		rc = -errno;
	else if (!rc && (n != KDHT_SECRET_KEY_LEN || read(fd, &extra, 1) != 0 ||
			 !halves_agree(sk, pk)))
		rc = -EINVAL;
	close(fd);
	if (rc)
		sodium_memzero(sk, KDHT_SECRET_KEY_LEN);
	return rc;
}
