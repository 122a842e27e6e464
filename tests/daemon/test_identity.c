// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The node identity: stable across restarts, private, derived id. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "identity.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	strcpy(dir, "/tmp/kdd-test-ident-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, KDD_IDENTITY_FILE);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static void created_private_and_stable(void **state)
{
	struct kdd_identity a, b;
	struct kd_id id;
	struct stat sb;
	const char *msg;

	assert_int_equal(kdd_identity_load(&a, dir, &msg), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(kdd_identity_load(&b, dir, &msg), 0);
	assert_memory_equal(a.id.b, b.id.b, KDHT_ID_LEN);
	assert_memory_equal(a.pk, b.pk, sizeof(a.pk));
	kdd_identity_node_id(&id, a.pk);
	assert_memory_equal(id.b, a.id.b, KDHT_ID_LEN);
	/* The id is a hash of the key, not the key itself. */
	assert_memory_not_equal(a.id.b, a.pk, KDHT_ID_LEN);
}

static void refuses_shared_or_corrupt_key(void **state)
{
	struct kdd_identity a;
	const char *msg;
	unsigned char junk[crypto_sign_SECRETKEYBYTES];
	int fd;

	assert_int_equal(kdd_identity_load(&a, dir, &msg), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(kdd_identity_load(&a, dir, &msg), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);

	memset(junk, 0x42, sizeof(junk));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	assert_int_equal(kdd_identity_load(&a, dir, &msg), -EINVAL);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, 10), 10);
	close(fd);
	assert_int_equal(kdd_identity_load(&a, dir, &msg), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(created_private_and_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_shared_or_corrupt_key, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
