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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdnl.h"
#include "opts.h"

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

/* The command line: options only, the targets come on stdin. */
static int parse_cmdline(int argc, char **argv, unsigned long *parallel)
{
	const struct tool_opt opts[] = {
		{ OPT("parallel", 'P', OPT_UINT, parallel, "N",
		      "lookups at a time (default " OPTS_STR(LOOKUPS_DEFAULT_PARALLEL) ")"),
		  .min = 1, .max = LOOKUPS_MAX_PARALLEL },
		OPTS_END,
	};
	const struct tool t = {
		"kdht-lookups", "[options] < TARGETS",
		"  one lookup per line of 64 hex digits on stdin; prints, for each:\n"
		"  TARGET ok|fail FIRST_ID|- ELAPSED_MS\n",
		opts, 0,
	};

	*parallel = LOOKUPS_DEFAULT_PARALLEL;
	return opts_parse(&t, argc, argv);
}

/* One output line: TARGET ok|fail FIRST_ID|- ELAPSED_MS. */
static void print_lookup(const uint8_t *target, const struct kdnl_event *ev)
{
	print_hex(target, KDHT_ID_LEN);
	printf(" %s ", ev->lookup.ok ? "ok" : "fail");
	if (ev->lookup.npeers && ev->lookup.peers[0].has_id)
		print_hex(ev->lookup.peers[0].id, KDHT_ID_LEN);
	else
		printf("-");
	printf(" %u\n", ev->lookup.elapsed_ms);
}

/* Runs the n lookups, parallel at a time; 0, or -1 when the kernel failed us. */
static int run_lookups(struct kdnl *nl, uint8_t (*targets)[KDHT_ID_LEN], size_t n,
		       unsigned long parallel)
{
	static struct kdnl_event ev;
	size_t started = 0, done = 0;
	int ret;

	while (done < n) {
		while (started < n && started - done < parallel) {
			ret = kdnl_lookup_start(nl, targets[started], (uint32_t)started);
			if (ret) {
				fprintf(stderr, "kdht-lookups: lookup %zu: %s%s%s\n", started,
					strerror(-ret), kdnl_last_error(nl) ? ": " : "",
					kdnl_last_error(nl) ? kdnl_last_error(nl) : "");
				return -1;
			}
			started++;
		}
		ret = kdnl_read_event(nl, LOOKUPS_EVENT_TIMEOUT_MS, &ev);
		if (ret <= 0) {
			fprintf(stderr, "kdht-lookups: %s after %zu of %zu lookups\n",
				ret ? strerror(-ret) : "no answer from the kernel", done, n);
			return -1;
		}
		if (ev.cmd != KDHT_CMD_LOOKUP_DONE || ev.cookie >= started)
			continue;
		print_lookup(targets[ev.cookie], &ev);
		done++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t targets[LOOKUPS_MAX_TARGETS][KDHT_ID_LEN];
	unsigned long parallel;
	struct kdnl *nl;
	size_t n;
	int ret;

	ret = parse_cmdline(argc, argv, &parallel);
	if (ret < 0)
		return opts_exit_status(ret);
	if (read_targets(targets, &n))
		return 2;
	ret = kdnl_open(&nl);
	if (ret) {
		fprintf(stderr, "kdht-lookups: %s\n", ret == -ENOENT ?
			"kdht.ko is not loaded" : strerror(-ret));
		return 1;
	}
	ret = run_lookups(nl, targets, n, parallel);
	kdnl_close(nl);
	return ret ? 1 : 0;
}
