/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/* A test's scratch LMDB directory, removed with the files LMDB made in it. */
#ifndef KDD_TEST_STORE_DIR_H
#define KDD_TEST_STORE_DIR_H

#include <stdio.h>
#include <unistd.h>

static inline void store_dir_remove(const char *dir)
{
	static const char *const files[] = { "data.mdb", "lock.mdb" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

#endif /* KDD_TEST_STORE_DIR_H */
