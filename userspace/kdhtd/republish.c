// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * Keeping the held records alive on the network. A pass stores every
 * unexpired record again, by a put, to the r nodes a put now chooses (the
 * closest, spread over subnets), with the lifetime it has left: a replica
 * lost to churn is replaced (a put puts a live node in the place of a dead
 * one), and a node that joined closer to a key receives it. A pass runs every republish interval, and soon after
 * the routing table gains or loses a contact. It walks the store in key
 * order, one record at a time, with at most KDD_REPUBLISH_INFLIGHT puts
 * running and KDD_USER_OPS operations always left to the control socket.
 */
#include "kdhtd.h"

#include <errno.h>
#include <string.h>

#include "clock.h"
#include "log.h"

/* k + 1 as a 256-bit big-endian number; false when it wraps to zero. */
static bool next_key(struct kd_id *k)
{
	int i;

	for (i = KDHT_ID_LEN - 1; i >= 0; i--)
		if (++k->b[i] != 0)
			return true;
	return false;
}

struct first_record {
	struct kdd_record rec;
	uint8_t *buf;
	bool found;
};

static int take_first(void *ctx, const struct kdd_record *rec)
{
	struct first_record *f = ctx;

	f->rec = *rec;
	memcpy(f->buf, rec->value, rec->len);
	f->rec.value = f->buf;
	f->found = true;
	return 1;
}

static void on_republished(void *arg, int status, const char *why,
			   const struct kdd_op_info *info)
{
	struct kdd *d = arg;

	d->republish_inflight--;
	if (status) {
		d->republish_failed++;
		kdd_log(KDD_LOG_DEBUG, "republish: %s", why);
	} else {
		d->republished++;
	}
	kdd_republish_step(d, kdd_wall_s());
}

void kdd_republish_step(struct kdd *d, uint64_t now)
{
	struct first_record f = { .buf = d->republish_buf };
	int rc;

	/* A put's callback may run inside kdd_op_put: the outer call goes on. */
	if (d->republish_busy || d->stopping)
		return;
	d->republish_busy = true;
	if (!d->republishing && now >= d->republish_at) {
		d->republishing = true;
		d->republish_read_all = false;
		d->republish_again = false;
		memset(d->republish_from.b, 0, KDHT_ID_LEN);
	}
	while (d->republishing && !d->republish_read_all &&
	       d->republish_inflight < KDD_REPUBLISH_INFLIGHT &&
	       kdd_op_room(d->op) > KDD_USER_OPS) {
		f.found = false;
		rc = kdd_store_foreach(d->store, now, &d->republish_from, take_first, &f);
		if (rc < 0)
			kdd_log(KDD_LOG_WARN, "republish: reading the store: %s", strerror(-rc));
		if (rc < 0 || !f.found) {
			d->republish_read_all = true;
			break;
		}
		d->republish_from = f.rec.key;
		if (!next_key(&d->republish_from))
			d->republish_read_all = true;
		d->republish_inflight++;
		rc = kdd_op_put(d->op, &f.rec, (uint32_t)(f.rec.expires - now),
				on_republished, d);
		if (rc) {
			d->republish_inflight--;
			d->republish_failed++;
		}
	}
	if (d->republishing && d->republish_read_all && d->republish_inflight == 0) {
		d->republishing = false;
		d->republish_passes++;
		d->republish_at = now + (d->republish_again ? KDD_HANDOFF_DELAY_S :
				      d->cfg.republish_s);
	}
	d->republish_busy = false;
}

void kdd_republish_soon(struct kdd *d)
{
	uint64_t soon = kdd_wall_s() + KDD_HANDOFF_DELAY_S;

	/* A pass under way may already have passed the keys a change concerns. */
	if (d->republishing)
		d->republish_again = true;
	else if (d->republish_at > soon)
		d->republish_at = soon;
}

unsigned int kdd_republish_counters(struct kdd *d, struct kdd_counter *out, unsigned int max)
{
	const struct kdd_counter cs[] = {
		{ "republished", d->republished },
		{ "republish_failed", d->republish_failed },
		{ "republish_passes", d->republish_passes },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cs) / sizeof(cs[0]) && i < max; i++)
		out[i] = cs[i];
	return i;
}
