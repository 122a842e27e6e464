// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The printers: one per verb, human or JSON, whichever target filled the
 * model. A field one target does not know is left out (JSON) or shown as
 * "-" (tables).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dhtctl.h"
#include "hex.h"
#include "out.h"

#define HEX_ID_LEN	(2 * KDHT_KEY_LEN + 1)

static void json_contact(struct json *j, const struct dhtctl_contact *p)
{
	json_open(j, '{', NULL);
	if (p->has_id)
		json_hex(j, "id", p->id, KDHT_KEY_LEN);
	json_str(j, "addr", p->addr);
	json_uint(j, "rtt_ms", p->rtt_ms);
	if (p->state)
		json_str(j, "state", p->state);
	if (p->has_bucket)
		json_uint(j, "bucket", p->bucket);
	if (p->has_last_seen)
		json_uint(j, "last_seen_ms", p->last_seen_ms);
	json_close(j, '}');
}

static void json_contacts(struct json *j, const char *key, const struct dhtctl_contacts *r)
{
	size_t i;

	json_open(j, '[', key);
	for (i = 0; i < r->n; i++)
		json_contact(j, &r->v[i]);
	json_close(j, ']');
}

/* A decimal, or "-" when the target did not say. */
static const char *maybe(char *buf, size_t cap, bool has, unsigned long v)
{
	if (!has)
		return "-";
	snprintf(buf, cap, "%lu", v);
	return buf;
}

/* One row; full: with the state, bucket and age a route dump gives. */
static void text_contact(const struct dhtctl_contact *p, bool full)
{
	char id[HEX_ID_LEN], bucket[12], seen[12];

	if (p->has_id)
		kd_hex_format(id, p->id, KDHT_KEY_LEN);
	printf("%-64s  %-46s  %6u", p->has_id ? id : "-", p->addr, p->rtt_ms);
	if (full)
		printf("  %-12s  %6s  %12s", p->state ? p->state : "-",
		       maybe(bucket, sizeof(bucket), p->has_bucket, p->bucket),
		       maybe(seen, sizeof(seen), p->has_last_seen, p->last_seen_ms));
	putchar('\n');
}

/*
 * The contacts as a table, with the route dump's columns when the target
 * gave them; nothing at all when there are no contacts.
 */
static void text_contacts(const struct dhtctl_contacts *r)
{
	bool full = r->n && r->v[0].state;
	size_t i;

	if (!r->n)
		return;
	printf("%-64s  %-46s  %6s", "ID", "ADDR", "RTT_MS");
	if (full)
		printf("  %-12s  %6s  %12s", "STATE", "BUCKET", "AGE_MS");
	putchar('\n');
	for (i = 0; i < r->n; i++)
		text_contact(&r->v[i], full);
}

void show_routes(const struct dhtctl_contacts *r)
{
	struct json j = { 0 };

	if (!out_json()) {
		text_contacts(r);
		return;
	}
	json_open(&j, '{', NULL);
	if (r->has_generation)
		json_uint(&j, "generation", r->generation);
	json_contacts(&j, "contacts", r);
	json_close(&j, '}');
}

void show_lookup(const struct dhtctl_contacts *r)
{
	struct json j = { 0 };

	if (!out_json()) {
		text_contacts(r);
		printf("%zu nodes, %u rounds", r->n, r->rounds);
		if (r->has_counts)
			printf(", %u sent, %u replies, %u timeouts, %u ms%s", r->sent,
			       r->replies, r->timeouts, r->elapsed_ms,
			       r->ok ? "" : " (timed out)");
		putchar('\n');
		return;
	}
	json_open(&j, '{', NULL);
	json_hex(&j, "target", r->target, KDHT_KEY_LEN);
	json_uint(&j, "rounds", r->rounds);
	if (r->has_counts) {
		json_bool(&j, "ok", r->ok);
		json_uint(&j, "sent", r->sent);
		json_uint(&j, "replies", r->replies);
		json_uint(&j, "timeouts", r->timeouts);
		json_uint(&j, "elapsed_ms", r->elapsed_ms);
	}
	json_contacts(&j, "nodes", r);
	json_close(&j, '}');
}

void show_ping(const struct dhtctl_contact *p)
{
	char id[HEX_ID_LEN];
	struct json j = { 0 };

	if (out_json()) {
		json_contact(&j, p);
		return;
	}
	if (p->has_id)
		kd_hex_format(id, p->id, KDHT_KEY_LEN);
	printf("%s %s rtt %u ms\n", p->has_id ? id : "-", p->addr, p->rtt_ms);
}

void show_bootstrap(const char *addr)
{
	struct json j = { 0 };

	if (!out_json())
		return;
	json_open(&j, '{', NULL);
	json_str(&j, "bootstrap", addr);
	json_bool(&j, "ok", true);
	json_close(&j, '}');
}

void show_stats(const struct dhtctl_stat *s, size_t n)
{
	struct json j = { 0 };
	size_t i;

	if (out_json())
		json_open(&j, '{', NULL);
	for (i = 0; i < n; i++) {
		if (out_json())
			json_uint(&j, s[i].name, s[i].value);
		else
			printf("%-24s %llu\n", s[i].name, (unsigned long long)s[i].value);
	}
	if (out_json())
		json_close(&j, '}');
}

static void json_node(const struct dhtctl_node *n)
{
	struct json j = { 0 };
	size_t i;

	json_open(&j, '{', NULL);
	if (n->has_id)
		json_hex(&j, "id", n->id, KDHT_KEY_LEN);
	if (n->is_kernel) {
		json_bool(&j, "running", n->running);
		json_uint(&j, "port", n->port);
		json_uint(&j, "k", n->k);
		json_uint(&j, "alpha", n->alpha);
		json_uint(&j, "retries", n->retries);
		json_uint(&j, "subnet_bucket", n->subnet_bucket);
		json_uint(&j, "subnet_table", n->subnet_table);
		json_uint(&j, "rate", n->rate);
		json_uint(&j, "burst", n->burst);
		json_uint(&j, "table_size", n->table_size);
		json_uint(&j, "lookups", n->lookups);
		json_bool(&j, "daemon", n->daemon);
	}
	if (n->backend) {
		json_str(&j, "backend", n->backend);
		json_hex(&j, "owner", n->owner, KDHT_PUBLIC_KEY_LEN);
		json_uint(&j, "values", n->values);
		json_open(&j, '[', "addrs");
		for (i = 0; i < n->n_addrs; i++)
			json_str(&j, NULL, n->addrs[i]);
		json_close(&j, ']');
	}
	json_close(&j, '}');
}

static void text_node(const struct dhtctl_node *n)
{
	char id[HEX_ID_LEN];
	size_t i;

	if (n->has_id) {
		kd_hex_format(id, n->id, KDHT_KEY_LEN);
		printf("id:            %s\n", id);
	}
	if (n->is_kernel) {
		printf("running:       %s\n", n->running ? "yes" : "no");
		printf("port:          %u\n", n->port);
		printf("k:             %u\nalpha:         %u\nretries:       %u\n", n->k,
		       n->alpha, n->retries);
		printf("subnet limits: %u per bucket, %u per table\n", n->subnet_bucket,
		       n->subnet_table);
		printf("rate limit:    %u/s per source, burst %u\n", n->rate, n->burst);
		printf("table size:    %u\nlookups:       %u\n", n->table_size, n->lookups);
		printf("daemon:        %s\n", n->daemon ? "registered" : "none");
	}
	if (n->backend) {
		printf("backend:       %s\n", n->backend);
		kd_hex_format(id, n->owner, KDHT_PUBLIC_KEY_LEN);
		printf("owner:         %s\n", id);
		printf("values:        %llu\n", (unsigned long long)n->values);
		for (i = 0; i < n->n_addrs; i++)
			printf("addr:          %s\n", n->addrs[i]);
	}
}

void show_node(const struct dhtctl_node *n)
{
	if (out_json())
		json_node(n);
	else
		text_node(n);
}

static void json_timing(struct json *j, const struct kdht_timing *t)
{
	if (!t->valid)
		return;
	json_uint(j, "elapsed_us", t->elapsed_us);
	json_uint(j, "lookup_us", t->lookup_us);
	json_uint(j, "lookup_rounds", t->lookup_rounds);
	json_uint(j, "asked", t->asked);
}

/* -v: on stderr, so that stdout keeps only the value. */
static void text_timing(const struct kdht_timing *t)
{
	if (!t->valid)
		return;
	fprintf(stderr, "%.1f ms (lookup %.1f ms, %u rounds), %u nodes asked\n",
		(double)t->elapsed_us / 1000, (double)t->lookup_us / 1000, t->lookup_rounds,
		t->asked);
}

void show_put(size_t bytes, const struct kdht_put_result *r, bool verbose)
{
	struct json j = { 0 };
	char key[HEX_ID_LEN];

	if (!out_json()) {
		kd_hex_format(key, r->key, KDHT_KEY_LEN);
		if (r->seq)
			printf("stored %zu bytes, seq %llu, %u replicas acknowledged\n", bytes,
			       (unsigned long long)r->seq, r->acks);
		else
			printf("%s\nstored %zu bytes under this content key, %u replicas acknowledged\n",
			       key, bytes, r->acks);
		if (verbose)
			text_timing(&r->timing);
		return;
	}
	json_open(&j, '{', NULL);
	json_hex(&j, "key", r->key, KDHT_KEY_LEN);
	json_uint(&j, "bytes", bytes);
	json_uint(&j, "seq", r->seq);
	json_uint(&j, "acks", r->acks);
	json_timing(&j, &r->timing);
	json_close(&j, '}');
}

void show_keygen(const uint8_t pk[KDHT_PUBLIC_KEY_LEN])
{
	struct json j = { 0 };
	char hex[HEX_ID_LEN];

	if (!out_json()) {
		kd_hex_format(hex, pk, KDHT_PUBLIC_KEY_LEN);
		printf("%s\n", hex);
		return;
	}
	json_open(&j, '{', NULL);
	json_hex(&j, "owner", pk, KDHT_PUBLIC_KEY_LEN);
	json_close(&j, '}');
}

/* JSON strings are UTF-8: any other value is given in base64. */
static void json_value(const struct kdht_value *v)
{
	struct json j = { 0 };
	bool utf8 = out_is_utf8(v->data, v->len);

	json_open(&j, '{', NULL);
	json_uint(&j, "bytes", v->len);
	json_hex(&j, "key", v->key, KDHT_KEY_LEN);
	if (v->has_owner)
		json_hex(&j, "owner", v->owner, KDHT_PUBLIC_KEY_LEN);
	json_uint(&j, "seq", v->seq);
	json_bool(&j, "mutable", v->is_mutable);
	json_str(&j, "encoding", utf8 ? "utf-8" : "base64");
	if (utf8)
		json_bytes(&j, "value", v->data, v->len);
	else
		json_base64(&j, "value", v->data, v->len);
	json_timing(&j, &v->timing);
	json_close(&j, '}');
}

/* -v: which record was read, on stderr as the timing. */
static void text_record(const struct kdht_value *v)
{
	char hex[HEX_ID_LEN];

	if (v->has_owner) {
		kd_hex_format(hex, v->owner, KDHT_PUBLIC_KEY_LEN);
		fprintf(stderr, "owner %s, seq %llu\n", hex, (unsigned long long)v->seq);
	} else {
		kd_hex_format(hex, v->key, KDHT_KEY_LEN);
		fprintf(stderr, "immutable, content key %s\n", hex);
	}
}

int show_get(const struct kdht_value *v, bool verbose)
{
	if (out_json()) {
		json_value(v);
		return DHTCTL_OK;
	}
	if (v->len && fwrite(v->data, 1, v->len, stdout) != v->len)
		return out_fail(DHTCTL_FAIL, "writing the value: %s", strerror(errno));
	if (isatty(STDOUT_FILENO) && v->len && v->data[v->len - 1] != '\n')
		putchar('\n');
	if (verbose) {
		text_record(v);
		text_timing(&v->timing);
	}
	return DHTCTL_OK;
}
