// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The closed mesh's key file and derivations; see meshkey.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "hex.h"
#include "meshkey.h"

static int derive(const uint8_t key[KD_MESH_KEY_LEN], const char *label, uint8_t *out,
		  size_t len)
{
	return crypto_generichash(out, len, (const uint8_t *)label, strlen(label), key,
				  KD_MESH_KEY_LEN) ? -EIO : 0;
}

int kd_mesh_derive(const uint8_t key[KD_MESH_KEY_LEN], struct kd_mesh *out)
{
	if (sodium_init() < 0)
		return -EIO;
	if (derive(key, "kdht mesh tag v1", out->tag_key, sizeof(out->tag_key)) ||
	    derive(key, "kdht mesh id v1", out->id, sizeof(out->id)))
		return -EIO;
	return 0;
}

/* Nobody but the owner and, at most, the caller's group may read it. */
static bool mode_private(const struct stat *st)
{
	if (st->st_mode & S_IRWXO)
		return false;
	return !(st->st_mode & S_IRWXG) || st->st_gid == getegid();
}

static int read_text(int fd, char text[KD_MESH_FILE_LEN + 1], const char **why)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st)) {
		*why = "cannot stat the mesh key file";
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != KD_MESH_FILE_LEN) {
		*why = "the mesh key file must hold 64 hex digits and a newline";
		return -EINVAL;
	}
	if (!mode_private(&st)) {
		*why = "the mesh key file is readable by others (chmod 600 it)";
		return -EACCES;
	}
	n = read(fd, text, KD_MESH_FILE_LEN + 1);
	if (n != KD_MESH_FILE_LEN) {
		*why = "the mesh key file must hold 64 hex digits and a newline";
		return n < 0 ? -errno : -EINVAL;
	}
	return 0;
}

int kd_mesh_key_read(const char *path, uint8_t key[KD_MESH_KEY_LEN], const char **why)
{
	char text[KD_MESH_FILE_LEN + 1];
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*why = "cannot open the mesh key file";
		return -errno;
	}
	rc = read_text(fd, text, why);
	close(fd);
	if (rc == 0 && text[KD_MESH_FILE_LEN - 1] != '\n')
		rc = -EINVAL;
	if (rc == 0) {
		text[KD_MESH_FILE_LEN - 1] = '\0';
		rc = kd_hex_parse(key, KD_MESH_KEY_LEN, text);
	}
	if (rc == -EINVAL)
		*why = "the mesh key file must hold 64 hex digits and a newline";
	sodium_memzero(text, sizeof(text));
	return rc;
}

int kd_mesh_key_generate(char text[KD_MESH_FILE_LEN])
{
	uint8_t key[KD_MESH_KEY_LEN];
	char hex[2 * KD_MESH_KEY_LEN + 1];

	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(key, sizeof(key));
	kd_hex_format(hex, key, sizeof(key));
	memcpy(text, hex, 2 * KD_MESH_KEY_LEN);
	text[KD_MESH_FILE_LEN - 1] = '\n';
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return 0;
}

int kd_mesh_key_write(const char *path, const char text[KD_MESH_FILE_LEN])
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	ssize_t n;
	int rc = 0;

	if (fd < 0)
		return -errno;
	/* O_CREAT's mode is cut by the umask: 0600 is set whatever it is. */
	if (fchmod(fd, 0600))
		rc = -errno;
	n = rc ? 0 : write(fd, text, KD_MESH_FILE_LEN);
	if (!rc && n != KD_MESH_FILE_LEN)
		rc = n < 0 ? -errno : -EIO;
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		unlink(path);
	return rc;
}

void kd_mesh_fingerprint(const struct kd_mesh *m, char out[2 * KD_MESH_FPR_LEN + 1])
{
	kd_hex_format(out, m->id, KD_MESH_FPR_LEN);
}
