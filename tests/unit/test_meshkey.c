// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * The mesh key file and its derivations: the values Python's hashlib
 * computes for keyed BLAKE2b, files written 0600 and never over another,
 * and every file kdhtd must refuse refused with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hex.h"
#include "meshkey.h"

static char dir[] = "/tmp/kdht-meshkey-XXXXXX";
static char path[64];

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/mesh.key", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return rmdir(dir);
}

/* path holds text, with mode. */
static void put_file(const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Vectors: hashlib.blake2b(label, key=bytes(range(32)), digest_size=n). */
static void test_derivation_vectors(void **state)
{
	uint8_t key[KD_MESH_KEY_LEN], want_tag[KD_MESH_TAG_KEY_LEN], want_id[KD_MESH_ID_LEN];
	struct kd_mesh m;
	char fpr[2 * KD_MESH_FPR_LEN + 1];
	unsigned int i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	assert_int_equal(kd_hex_parse(want_tag, sizeof(want_tag),
				      "cd56ad38e78f210853362a423e104b67"), 0);
	assert_int_equal(kd_hex_parse(want_id, sizeof(want_id),
				      "12dd3f31118aa19227d08bea6bb6cfdc"
				      "e95b6599bef0352fa43a8d0a90a5e491"), 0);
	assert_int_equal(kd_mesh_derive(key, &m), 0);
	assert_memory_equal(m.tag_key, want_tag, sizeof(want_tag));
	assert_memory_equal(m.id, want_id, sizeof(want_id));
	kd_mesh_fingerprint(&m, fpr);
	assert_string_equal(fpr, "12dd3f31118aa192");
}

static void test_generate_write_read(void **state)
{
	char text[KD_MESH_FILE_LEN];
	uint8_t key[KD_MESH_KEY_LEN], want[KD_MESH_KEY_LEN];
	const char *why = NULL;
	char hex[2 * KD_MESH_KEY_LEN + 1];
	struct stat st;

	unlink(path);
	umask(0);
	assert_int_equal(kd_mesh_key_generate(text), 0);
	assert_int_equal(text[KD_MESH_FILE_LEN - 1], '\n');
	memcpy(hex, text, sizeof(hex) - 1);
	hex[sizeof(hex) - 1] = '\0';
	assert_int_equal(kd_hex_parse(want, sizeof(want), hex), 0);
	assert_int_equal(kd_mesh_key_write(path, text), 0);
	umask(022);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(kd_mesh_key_read(path, key, &why), 0);
	assert_memory_equal(key, want, sizeof(key));
	/* Never over an existing file, and the file is left as it was. */
	assert_int_equal(kd_mesh_key_generate(text), 0);
	assert_int_equal(kd_mesh_key_write(path, text), -EEXIST);
	assert_int_equal(kd_mesh_key_read(path, key, &why), 0);
	assert_memory_equal(key, want, sizeof(key));
}

static void test_refusals(void **state)
{
	static const char good[] =
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
	uint8_t key[KD_MESH_KEY_LEN];
	const char *why = NULL;

	put_file(good, 0644);
	assert_int_equal(kd_mesh_key_read(path, key, &why), -EACCES);
	assert_non_null(strstr(why, "readable by others"));
	put_file(good, 0604);
	assert_int_equal(kd_mesh_key_read(path, key, &why), -EACCES);
	put_file(good, 0640);	/* our own group may */
	assert_int_equal(kd_mesh_key_read(path, key, &why), 0);
	put_file(good, 0400);
	assert_int_equal(kd_mesh_key_read(path, key, &why), 0);
	put_file("000102030405060708090a0b0c0d0e0f\n", 0600);
	assert_int_equal(kd_mesh_key_read(path, key, &why), -EINVAL);
	assert_non_null(strstr(why, "64 hex digits"));
	put_file("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fff\n", 0600);
	assert_int_equal(kd_mesh_key_read(path, key, &why), -EINVAL);
	put_file("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 0600);
	assert_int_equal(kd_mesh_key_read(path, key, &why), -EINVAL);
	put_file("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f ", 0600);
	assert_int_equal(kd_mesh_key_read(path, key, &why), -EINVAL);
	unlink(path);
	assert_int_equal(kd_mesh_key_read(path, key, &why), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derivation_vectors),
		cmocka_unit_test(test_generate_write_read),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
