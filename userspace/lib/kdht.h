/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/**
 * libkdht: the client library of kdhtd, the values daemon of kdht.
 *
 * kdhtd stores values in the kdht mesh and fetches them from it; this
 * library asks it to, over its control socket (a unix stream socket,
 * KDHT_DEFAULT_SOCKET unless the daemon was started with --socket). A chat
 * server keeps one handle and calls the functions below; dhtctl is built on
 * nothing else.
 *
 * Call order: kdht_open() first, then any of the request functions, in any
 * order, then kdht_close(). Every request is one blocking round trip on a
 * connection of its own, bounded by the handle's timeout
 * (kdht_set_timeout()). A handle must not be used by two threads at once;
 * separate handles are independent.
 *
 * Errors: every function that can fail returns 0 or a negative code: either
 * a negative errno or one of the KDHT_E* codes below (outside errno's
 * range, as LMDB's MDB_* codes are). kdht_strerror() words any of them;
 * kdht_last_error() gives the daemon's own one-line explanation of the last
 * request it refused, when it sent one. The errors every request function
 * may return, besides those listed with it:
 *
 *  - -EINVAL: a NULL handle or result pointer, or an argument out of range.
 *  - -ECONNREFUSED: no daemon listens at the socket path (the socket file is
 *    missing or nobody accepts on it): kdhtd is not running.
 *  - -EACCES: the caller may not connect to the socket, or the daemon
 *    refused a mutating request from this user.
 *  - -ETIMEDOUT: no answer within the handle's timeout, or the daemon gave
 *    up on the network within its own.
 *  - -EPROTO: the daemon sent something that is not a response.
 *  - -ENOMEM: out of memory.
 *  - KDHT_EUNAVAIL: the daemon's routing backend is not running (shutting
 *    down, or kdht.ko's node is down).
 *  - KDHT_EFAILED: the daemon could not do what was asked; the reason is in
 *    kdht_last_error().
 */
#ifndef KDHT_H
#define KDHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KDHT_API __attribute__((visibility("default")))

/* Where kdhtd listens unless started with --socket. */
#define KDHT_DEFAULT_SOCKET	"/run/kdht/kdhtd.sock"
/* How long a request waits for its answer unless kdht_set_timeout() says. */
#define KDHT_DEFAULT_TIMEOUT_MS	60000
#define KDHT_KEY_LEN		32	/* keys and node ids: 256 bits */
#define KDHT_VALUE_MAX		(64 * 1024)	/* the largest value */
#define KDHT_TTL_MAX_S		(48u * 3600)	/* a daemon's default --max-ttl */
#define KDHT_ADDR_STRLEN	56	/* "a.b.c.d:port" or "[v6]:port", and NUL */
#define KDHT_NAME_MAX		128	/* bytes of a record's name */
#define KDHT_PUBLIC_KEY_LEN	32	/* an owner: an Ed25519 public key */
#define KDHT_SECRET_KEY_LEN	64	/* an owner key: Ed25519 seed || public key */
#define KDHT_MESH_FPR_LEN	8	/* a closed mesh's fingerprint */

/* Errors beyond errno. */
#define KDHT_ENOTFOUND	(-30800)	/* no value under the key */
#define KDHT_EFAILED	(-30801)	/* refused or failed; see kdht_last_error() */
#define KDHT_EUNAVAIL	(-30802)	/* the daemon's routing is not running */

struct kdht;

/**
 * Opens a handle on the daemon at socket_path (NULL: KDHT_DEFAULT_SOCKET).
 * Nothing is connected yet, so this succeeds whether or not the daemon
 * runs; the first request tells.
 *
 * @out: set to the new handle, to be given to kdht_close().
 * @socket_path: the daemon's control socket, or NULL.
 * Returns 0, -EINVAL (out is NULL), -ENAMETOOLONG (the path does not fit a
 * unix socket address) or -ENOMEM.
 */
KDHT_API int kdht_open(struct kdht **out, const char *socket_path);

/**
 * Frees a handle from kdht_open(); NULL is allowed. No request may be in
 * progress on it.
 */
KDHT_API void kdht_close(struct kdht *k);

/**
 * Sets how long each later request on k waits for its answer
 * (KDHT_DEFAULT_TIMEOUT_MS until then).
 * Returns 0, or -EINVAL when k is NULL or timeout_ms is not positive.
 */
KDHT_API int kdht_set_timeout(struct kdht *k, int timeout_ms);

/**
 * The daemon's message for the last request it refused on this handle
 * (e.g. "another value is held under this key"), or NULL. Valid until the
 * next request on the handle.
 */
KDHT_API const char *kdht_last_error(const struct kdht *k);

/** A constant string for any code a kdht_* function returned. */
KDHT_API const char *kdht_strerror(int err);

/*
 * Who may write what. A record lives under a key that derives from it, and
 * every node that stores it, and every get, checks the derivation:
 *
 *  - a named record (mutable) under BLAKE2b-256(owner || name): owner is
 *    the Ed25519 public key that signs it, so only the holder of that key
 *    writes the name (a closed mesh, whose nodes share a mesh key, derives
 *    it from the mesh id instead, and any member writes it);
 *  - an immutable record under its content key, BLAKE2b-256(value).
 *
 * A named record carries a sequence number (seq) that the writing daemon
 * keeps per key, on disk: each put takes one more than the highest it used
 * or saw, so a put replaces the previous one. A replica refuses a lower
 * seq, and another value with the seq it holds.
 */

/**
 * The key of a named record in an open mesh: BLAKE2b-256(owner || name).
 * Needs no handle.
 * Returns 0, -EINVAL (an argument NULL, or name_len not 1..KDHT_NAME_MAX)
 * or -EIO (libsodium could not initialise).
 */
KDHT_API int kdht_key_of_name(uint8_t key[KDHT_KEY_LEN],
			      const uint8_t owner[KDHT_PUBLIC_KEY_LEN], const void *name,
			      size_t name_len);

/**
 * The content key of an immutable value: BLAKE2b-256(value). Needs no handle.
 * Returns 0, -EINVAL (key NULL, or value NULL with len not 0) or -EIO.
 */
KDHT_API int kdht_key_of_content(uint8_t key[KDHT_KEY_LEN], const void *value, size_t len);

/**
 * Creates the owner key file path (it must not exist) with a fresh Ed25519
 * key pair: the 64 bytes of the secret key (seed || public key), mode 0600,
 * the format of kdhtd's own identity.key.
 *
 * @pk: set to the public key, the owner others name in kdht_get().
 * Returns 0, -EINVAL, -EEXIST, -EIO, or another negative errno of open(2)
 * or write(2).
 */
KDHT_API int kdht_keygen(const char *path, uint8_t pk[KDHT_PUBLIC_KEY_LEN]);

/**
 * Reads an owner key file (kdht_keygen(), or a kdhtd identity.key).
 *
 * @sk: the secret key, for kdht_put_opts.owner_key; wipe it after use.
 * @pk: its public key.
 * Returns 0, -EPERM (the file is readable by others), -EINVAL (not 64 bytes
 * whose halves agree), or a negative errno of open(2) or read(2).
 */
KDHT_API int kdht_key_load(const char *path, uint8_t sk[KDHT_SECRET_KEY_LEN],
			   uint8_t pk[KDHT_PUBLIC_KEY_LEN]);

/* Where an operation's time went, as the daemon measured it. */
struct kdht_timing {
	bool valid;		/* false: the daemon did not say */
	uint64_t elapsed_us;	/* the whole operation */
	uint64_t lookup_us;	/* of which the lookup of the key */
	uint32_t lookup_rounds;
	uint32_t asked;		/* other nodes sent a request */
};

struct kdht_put_opts {
	/* 0: the daemon's default. The daemon cuts it to its --max-ttl,
	 * KDHT_TTL_MAX_S unless configured otherwise. */
	uint32_t ttl_s;
	/*
	 * kdht_put() only. owner_key: KDHT_SECRET_KEY_LEN bytes
	 * (kdht_key_load()) to write under; NULL: the daemon's own identity.
	 * The key travels to the daemon over its control socket.
	 */
	const uint8_t *owner_key;
	/*
	 * Compare-and-swap: store only where the replica holds seq cas_seq
	 * (no record, for 0); the record's seq is then cas_seq + 1. Each
	 * replica decides for itself: the put succeeds if enough replicas
	 * matched.
	 */
	bool cas;
	uint64_t cas_seq;
};

struct kdht_put_result {
	uint32_t acks;		/* replicas that committed the value */
	uint8_t key[KDHT_KEY_LEN];	/* the record's key */
	uint64_t seq;		/* the seq it was written with (0: immutable) */
	/* KDHT_EFAILED: the highest seq a refusing replica holds (0: none said) */
	uint64_t held_seq;
	struct kdht_timing timing;
};

/**
 * Writes the named record name: value under the key of (owner, name)
 * (kdht_key_of_name()), owner being the public half of opts->owner_key or
 * the daemon's identity (kdht_node()). Its seq is one more than the
 * highest the daemon used or saw for the key; when a replica holds a
 * higher one (another daemon with the same owner key wrote it), the daemon
 * reads it back and writes once more past it. Returns once enough replicas
 * committed it.
 *
 * @name: 1 to KDHT_NAME_MAX bytes, any bytes.
 * @opts: NULL for the daemon's identity and default lifetime.
 * @out: the key, seq, replicas that acknowledged and time taken; may be
 * NULL. On KDHT_EFAILED, held_seq and acks are set.
 * Returns 0, or besides the common errors: -EMSGSIZE (len is over
 * KDHT_VALUE_MAX, or over the daemon's own maximum), -EINVAL (value NULL
 * with len not 0, a bad name, or an owner key whose halves do not agree),
 * KDHT_EFAILED (too few replicas committed it; with opts->cas, the
 * replicas hold another seq: kdht_last_error() says "held seq is N, not S").
 */
KDHT_API int kdht_put(struct kdht *k, const void *name, size_t name_len, const void *value,
		      size_t len, const struct kdht_put_opts *opts,
		      struct kdht_put_result *out);

/**
 * Stores an immutable value under its content key (kdht_key_of_content()),
 * returned in out->key; read it back with kdht_get_key().
 *
 * @opts: NULL, or only ttl_s set.
 * Returns as kdht_put().
 */
KDHT_API int kdht_put_immutable(struct kdht *k, const void *value, size_t len,
				const struct kdht_put_opts *opts,
				struct kdht_put_result *out);

/* kdht_get() flags. */
#define KDHT_GET_LOCAL	1u	/* this node's own copy only: no network */

/* A value from kdht_get(); free data with kdht_value_free(). */
struct kdht_value {
	uint8_t *data;
	size_t len;
	uint64_t seq;		/* the record's sequence number */
	bool is_mutable;
	uint8_t key[KDHT_KEY_LEN];
	bool has_owner;		/* a named record: */
	uint8_t owner[KDHT_PUBLIC_KEY_LEN];	/* the key that signed it */
	struct kdht_timing timing;
};

/**
 * Fetches the named record name of owner: from the replicas, or with
 * KDHT_GET_LOCAL from the daemon's own store. Only a copy signed by owner
 * under the key of (owner, name) is believed.
 *
 * @owner: a public key (kdht_node() shows a daemon's); NULL: this daemon's.
 * @flags: 0 or KDHT_GET_LOCAL; other bits give -EINVAL.
 * @out: filled on success (release with kdht_value_free()), empty otherwise.
 * Returns 0, or besides the common errors: KDHT_ENOTFOUND (no replica, or
 * with KDHT_GET_LOCAL not this node, holds such a record), KDHT_EFAILED (the
 * copies found failed their checks).
 */
KDHT_API int kdht_get(struct kdht *k, const void *name, size_t name_len,
		      const uint8_t owner[KDHT_PUBLIC_KEY_LEN], unsigned int flags,
		      struct kdht_value *out);

/**
 * Fetches the record under a raw key, a content key from
 * kdht_put_immutable(). A copy is believed only if its key derives from it.
 * Returns as kdht_get().
 */
KDHT_API int kdht_get_key(struct kdht *k, const uint8_t key[KDHT_KEY_LEN], unsigned int flags,
			  struct kdht_value *out);

/** Frees what kdht_get() put in v; v itself is the caller's. */
KDHT_API void kdht_value_free(struct kdht_value *v);

/* A routing table member's liveness, as the daemon's routing core judges it. */
enum kdht_contact_state {
	KDHT_CONTACT_GOOD,		/* heard from lately, no failures */
	KDHT_CONTACT_QUESTIONABLE,	/* silent for a while; it will be pinged */
	KDHT_CONTACT_BAD,		/* failed too many requests in a row */
	KDHT_CONTACT_FAILED,		/* its last request failed; being checked */
};

/* A node of the mesh as the daemon reports it. */
struct kdht_contact {
	uint8_t id[KDHT_KEY_LEN];
	bool has_id;		/* false: the daemon did not know it */
	char addr[KDHT_ADDR_STRLEN];	/* "ip:port" or "[ip6]:port" */
	uint32_t rtt_ms;	/* the last round trip; 0: none measured */
	/*
	 * kdht_routes() from a daemon that reports them; false for lookups,
	 * pings and older daemons. The three fields below count only if true.
	 */
	bool has_state;
	enum kdht_contact_state state;
	uint16_t bucket;	/* leading bits its id shares with the daemon's */
	uint32_t last_seen_ms;	/* since its last valid message */
};

/**
 * The name of a contact state: "good", "questionable", "bad" or "failed";
 * "unknown" for a value outside enum kdht_contact_state. Never NULL.
 */
KDHT_API const char *kdht_contact_state_name(enum kdht_contact_state s);

/* Contacts from kdht_lookup() or kdht_routes(); kdht_contacts_free(). */
struct kdht_contacts {
	size_t n;
	struct kdht_contact *v;
	uint32_t rounds;	/* kdht_lookup(): the lookup's rounds */
};

/**
 * Pings the node at addr ("ip:port", "[ip6]:port", or an address alone for
 * the default port 4650) from the daemon's node.
 *
 * @out: the node that answered: its id, address and round trip.
 * Returns 0, or besides the common errors: -EINVAL (addr is not an
 * address), -ETIMEDOUT (no answer).
 */
KDHT_API int kdht_ping(struct kdht *k, const char *addr, struct kdht_contact *out);

/**
 * Adds the node at addr (as for kdht_ping()) as a contact to join the mesh
 * through.
 * Returns 0, or besides the common errors: -EINVAL (addr is not an
 * address), KDHT_EFAILED (the daemon has too many bootstrap addresses).
 */
KDHT_API int kdht_bootstrap(struct kdht *k, const char *addr);

/**
 * The nodes closest to target that an iterative lookup found, closest
 * first; out->rounds is the number of rounds it took.
 * Returns 0, or besides the common errors: -ETIMEDOUT (the lookup did not
 * finish). Release out with kdht_contacts_free().
 */
KDHT_API int kdht_lookup(struct kdht *k, const uint8_t target[KDHT_KEY_LEN],
			 struct kdht_contacts *out);

/**
 * The daemon's routing table (at most its first 256 contacts), in no
 * particular order; out->rounds is 0.
 * Returns 0 or one of the common errors. Release out with
 * kdht_contacts_free().
 */
KDHT_API int kdht_routes(struct kdht *k, struct kdht_contacts *out);

/** Frees what kdht_lookup() or kdht_routes() put in c. */
KDHT_API void kdht_contacts_free(struct kdht_contacts *c);

struct kdht_counter {
	char *name;		/* e.g. "values_held" */
	uint64_t value;
};

/* Counters from kdht_stats(); kdht_stats_free(). */
struct kdht_stats {
	size_t n;
	struct kdht_counter *v;
};

/**
 * The daemon's counters, in its order (their names are those dhtctl stats
 * prints). Returns 0 or one of the common errors. Release out with
 * kdht_stats_free().
 */
KDHT_API int kdht_stats(struct kdht *k, struct kdht_stats *out);
/** Frees what kdht_stats() put in s. */
KDHT_API void kdht_stats_free(struct kdht_stats *s);

/* The daemon's node, from kdht_node(); kdht_node_free(). */
struct kdht_node {
	uint8_t id[KDHT_KEY_LEN];
	uint8_t owner[KDHT_PUBLIC_KEY_LEN];	/* what its puts are written under */
	char *backend;		/* "user" (in-process routing) or "kernel" */
	uint64_t values;	/* records held */
	size_t n_addrs;
	char **addrs;		/* where it listens, "ip:port" */
	bool mesh_closed;	/* its datagrams are tagged under a mesh key */
	/* a closed mesh: which, as `dhtctl mesh show FILE` tells it of a key file */
	uint8_t mesh_fingerprint[KDHT_MESH_FPR_LEN];
};

/**
 * The daemon's node: its id, owner public key, addresses, routing backend,
 * record count, and its mesh: open, or closed with the key's fingerprint.
 * Returns 0, or besides the common errors: KDHT_EFAILED (the daemon's
 * storage failed). Release out with kdht_node_free().
 */
KDHT_API int kdht_node(struct kdht *k, struct kdht_node *out);
/** Frees what kdht_node() put in n. */
KDHT_API void kdht_node_free(struct kdht_node *n);

#ifdef __cplusplus
}
#endif

#endif /* KDHT_H */
