// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-lookups: runs many lookups on the node of the current namespace, a
 * few at a time, from one process: a test asking hundreds of questions
 * should not pay a process start for each. Targets (64 hex digits) come one
 * per line on standard input; for each, one line comes out:
 *   TARGET ok|fail FIRST_ID|- ELAPSED_MS
 * FIRST_ID is the closest node the lookup returned.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdnl.h"
#include "pkt.h"

#define LOOKUPS_MAX_TARGETS	4096
#define LOOKUPS_DEFAULT_PARALLEL 4
#define LOOKUPS_MAX_PARALLEL	64
#define LOOKUPS_EVENT_TIMEOUT_MS 60000	/* longer than any lookup may live */

static void print_hex(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static int read_targets(uint8_t (*t)[KDHT_ID_LEN], size_t *n)
{
	char line[256];

	*n = 0;
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (*n == LOOKUPS_MAX_TARGETS) {
			fprintf(stderr, "kdht-lookups: more than %d targets\n", LOOKUPS_MAX_TARGETS);
			return -1;
		}
		if (kd_hex_parse(t[*n], KDHT_ID_LEN, line)) {
			fprintf(stderr, "kdht-lookups: not a %d-digit hex id: '%s'\n",
				2 * KDHT_ID_LEN, line);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "parallel", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static uint8_t targets[LOOKUPS_MAX_TARGETS][KDHT_ID_LEN];
	static struct kdnl_event ev;
	unsigned long parallel = LOOKUPS_DEFAULT_PARALLEL;
	size_t n, started = 0, done = 0;
	struct kdnl *nl;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "P:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'P':
			if (uint_parse(optarg, "--parallel", 1, LOOKUPS_MAX_PARALLEL, &parallel))
				return 2;
			break;
		case 'h':
			printf("usage: kdht-lookups [-P|--parallel N] < TARGETS\n"
			       "  one lookup per line of 64 hex digits on stdin, N at a time (default %d)\n"
			       "  prints: TARGET ok|fail FIRST_ID|- ELAPSED_MS\n",
			       LOOKUPS_DEFAULT_PARALLEL);
			return 0;
		default:
			fprintf(stderr, "usage: kdht-lookups [-P|--parallel N] < TARGETS\n");
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: kdht-lookups [-P|--parallel N] < TARGETS\n");
		return 2;
	}
	if (read_targets(targets, &n))
		return 2;
	ret = kdnl_open(&nl);
	if (ret) {
		fprintf(stderr, "kdht-lookups: %s\n", ret == -ENOENT ?
			"kdht.ko is not loaded" : strerror(-ret));
		return 1;
	}
	while (done < n) {
		while (started < n && started - done < parallel) {
			ret = kdnl_lookup_start(nl, targets[started], (uint32_t)started);
			if (ret) {
				fprintf(stderr, "kdht-lookups: lookup %zu: %s%s%s\n", started,
					strerror(-ret), kdnl_last_error(nl) ? ": " : "",
					kdnl_last_error(nl) ? kdnl_last_error(nl) : "");
				kdnl_close(nl);
				return 1;
			}
			started++;
		}
		ret = kdnl_read_event(nl, LOOKUPS_EVENT_TIMEOUT_MS, &ev);
		if (ret <= 0) {
			fprintf(stderr, "kdht-lookups: %s after %zu of %zu lookups\n",
				ret ? strerror(-ret) : "no answer from the kernel", done, n);
			kdnl_close(nl);
			return 1;
		}
		if (ev.cmd != KDHT_CMD_LOOKUP_DONE || ev.cookie >= started)
			continue;
		print_hex(targets[ev.cookie], KDHT_ID_LEN);
		printf(" %s ", ev.lookup.ok ? "ok" : "fail");
		if (ev.lookup.npeers && ev.lookup.peers[0].has_id)
			print_hex(ev.lookup.peers[0].id, KDHT_ID_LEN);
		else
			printf("-");
		printf(" %u\n", ev.lookup.elapsed_ms);
		done++;
	}
	kdnl_close(nl);
	return 0;
}
