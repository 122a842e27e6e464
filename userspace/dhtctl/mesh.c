// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dhtctl mesh: the closed mesh's key files. keygen writes a new key (to
 * FILE, created 0600 and never over another file, or to stdout); show FILE
 * tells the mesh a key file makes, by its fingerprint, so that operators
 * can compare files without showing the key. Neither needs a node.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "dhtctl.h"
#include "meshkey.h"
#include "out.h"

_Static_assert(KD_MESH_FPR_LEN == KDHT_MESH_FPR_LEN, "libkdht's fingerprint is the mesh key's");

static int keygen(const struct dhtctl_cmd *c)
{
	char text[KD_MESH_FILE_LEN];
	int rc;

	if (c->argc > 2)
		return dhtctl_usage_error(c->verb);
	if (kd_mesh_key_generate(text))
		return out_fail(DHTCTL_FAIL, "mesh keygen: no random bytes");
	if (c->argc == 1) {
		rc = fwrite(text, 1, sizeof(text), stdout) == sizeof(text) ? 0 : -EIO;
	} else {
		rc = kd_mesh_key_write(c->argv[1], text);
		if (rc == -EEXIST)
			return out_fail(DHTCTL_FAIL, "mesh keygen: %s exists; not replaced",
					c->argv[1]);
	}
	sodium_memzero(text, sizeof(text));
	if (rc)
		return out_fail(DHTCTL_FAIL, "mesh keygen: %s: %s",
				c->argc == 2 ? c->argv[1] : "stdout", strerror(-rc));
	return DHTCTL_OK;
}

static int show_file(const struct dhtctl_cmd *c)
{
	char fpr[2 * KD_MESH_FPR_LEN + 1];
	uint8_t key[KD_MESH_KEY_LEN];
	struct kd_mesh m;
	const char *why;
	struct json j = { 0 };
	int rc;

	rc = kd_mesh_key_read(c->argv[1], key, &why);
	if (!rc)
		rc = kd_mesh_derive(key, &m);
	sodium_memzero(key, sizeof(key));
	if (rc)
		return out_fail(DHTCTL_FAIL, "mesh show: %s: %s", c->argv[1],
				rc == -EIO ? "cannot derive the mesh keys" : why);
	kd_mesh_fingerprint(&m, fpr);
	sodium_memzero(&m, sizeof(m));
	dhtctl_show_mesh(&j, true, fpr);
	return DHTCTL_OK;
}

void dhtctl_show_mesh(struct json *j, bool closed, const char *fingerprint)
{
	if (!out_json()) {
		printf("mesh: %s", closed ? "closed" : "open");
		if (fingerprint)
			printf(", fingerprint %s", fingerprint);
		putchar('\n');
		return;
	}
	json_open(j, '{', NULL);
	json_bool(j, "closed", closed);
	if (fingerprint)
		json_str(j, "fingerprint", fingerprint);
	json_close(j, '}');
}

int dhtctl_mesh_files(struct dhtctl_cmd *c)
{
	if (c->argc >= 1 && !strcmp(c->argv[0], "keygen"))
		return keygen(c);
	if (c->argc == 2 && !strcmp(c->argv[0], "show"))
		return show_file(c);
	return dhtctl_usage_error(c->verb);
}
