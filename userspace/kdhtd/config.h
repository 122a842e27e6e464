/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * kdhtd's configuration: defaults, then the config file (--config, lines of
 * "name = value" with the long option names), then the command line.
 */
#ifndef KDD_CONFIG_H
#define KDD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "ctl.h"
#include "kd_params.h"
#include "log.h"
#include "meshkey.h"
#include "op.h"
#include "quota.h"
#include "store.h"
#include "vmsg.h"

/*
 * The daemon's own defaults. The others it prints in --help are named where
 * they are used: KDHT_DEFAULT_PORT (kdht_wire.h), KD_DEFAULT_RL_RATE and
 * KD_DEFAULT_SUBNET_PER_TABLE (kd_params.h), KDD_MAX_VALUE, KDD_DEFAULT_TTL_S,
 * KDD_MAX_TTL_S and KDD_STORE_DEFAULT_MAP_SIZE (store.h), KDD_QUOTA_DEFAULT_*
 * (quota.h), KDD_UDP_RCVBUF (backend.h), KDD_CTL_DEFAULT_PATH (ctl.h).
 */
#define KDD_DEFAULT_STATE_DIR		"/var/lib/kdht"
#define KDD_DEFAULT_CONFIG		"/etc/kdht/kdhtd.conf"
#define KDD_DEFAULT_BACKEND		KDD_BACKEND_AUTO
#define KDD_DEFAULT_R			3	/* replicas a put stores to */
#define KDD_DEFAULT_W			2	/* acknowledgements that make a put succeed */
#define KDD_DEFAULT_REPUBLISH_S		3600
#define KDD_DEFAULT_REQUEST_TIMEOUT_MS	1000	/* one value request */
#define KDD_DEFAULT_RETRIES		2	/* resends of an unanswered value request */
#define KDD_DEFAULT_LOG_LEVEL		KDD_LOG_INFO

/* What the options accept. */
#define KDD_REQUEST_TIMEOUT_MIN_MS	10
#define KDD_REQUEST_TIMEOUT_MAX_MS	60000
#define KDD_MAX_RETRIES			10
#define KDD_MIN_MAP_SIZE		(1ull << 20)
#define KDD_MAX_MAP_SIZE		(1ull << 40)
#define KDD_MAX_UDP_BUFFER		(1u << 30)
#define KDD_MAX_BOOTSTRAP		KD_BOOTSTRAP_MAX
#define KDD_CONFIG_LINE_MAX		512

enum kdd_backend_kind { KDD_BACKEND_AUTO, KDD_BACKEND_USER, KDD_BACKEND_KERNEL };

struct kdd_config {
	char state_dir[256];
	char socket_path[108];
	char group[64];			/* "" : no group may mutate */
	uint16_t port;
	enum kdd_backend_kind backend;
	char bootstrap[KDD_MAX_BOOTSTRAP][64];
	unsigned int nbootstrap;
	char bind4[64];			/* "" : any; "none": no IPv4 */
	char bind6[64];
	unsigned int r, w;
	uint32_t republish_s;
	uint32_t max_value;
	uint32_t default_ttl_s;
	uint32_t max_ttl_s;
	size_t map_size;
	size_t max_map_size;		/* a full map grows up to this */
	struct kdd_quota_params quota;	/* what one source prefix, one publisher may store */
	uint32_t rate_limit;		/* requests/s per source */
	uint32_t udp_buffer;		/* user backend: SO_RCVBUF of its sockets */
	uint32_t subnet_limit;		/* contacts per /24 (/48) in the table */
	uint32_t request_timeout_ms;	/* one value request's timeout */
	unsigned int retries;		/* value requests resent before giving up */
	enum kdd_log_level log_level;
	bool syslog;
	/*
	 * The closed mesh: --mesh-key names the key file ("": an open mesh);
	 * kdd_config_parse() reads it and fills the rest, the key itself
	 * never kept. mesh_id is what names in a closed mesh hash with:
	 * key = H(mesh_id || name).
	 */
	char mesh_key[256];
	bool mesh_closed;
	uint8_t mesh_tag_key[KD_MESH_TAG_KEY_LEN];
	uint8_t mesh_id[KD_MESH_ID_LEN];
};

void kdd_config_default(struct kdd_config *c);

/*
 * Fills c from the config file named by --config (or the default file, if
 * it exists) and argv, then reads the mesh key file if one is named (and
 * refuses it if others may read it or it is malformed). Returns 0, 1 when --help or --version was printed,
 * or -1 after printing one line on stderr.
 */
int kdd_config_parse(struct kdd_config *c, int argc, char **argv);

/* The parameters of each module that follow from c. */
void kdd_config_core_params(const struct kdd_config *c, struct kd_params *p);
void kdd_config_store_params(const struct kdd_config *c, struct kdd_store_params *p);
void kdd_config_op_params(const struct kdd_config *c, struct kdd_op_params *p);
void kdd_config_user_backend_params(const struct kdd_config *c,
				    struct kdd_user_backend_params *p);
/* Fails with -ENOENT when c names a group that does not exist. */
int kdd_config_ctl_params(const struct kdd_config *c, struct kdd_ctl_params *p);

#endif /* KDD_CONFIG_H */
