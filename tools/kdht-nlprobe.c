// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * kdht-nlprobe: asks kdht.ko's netlink family what a process may have, for
 * tests of who may see the node: registers as the namespace's daemon and/or
 * joins the routes group, then counts what arrives for a while. Prints one
 * JSON object: each step's result (0 or a negative errno) and the counts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kdnl.h"
#include "opts.h"

#define NLPROBE_POLL_MS	100

struct probe {
	bool do_register, do_subscribe;
	uint64_t listen_ns;
	int registered, subscribed;
	unsigned long upcalls, route_events, other;
};

static int parse_cmdline(int argc, char **argv, struct probe *p)
{
	const struct tool_opt opts[] = {
		{ OPT("register", 'r', OPT_FLAG, &p->do_register, NULL,
		      "register as the namespace's daemon") },
		{ OPT("subscribe", 's', OPT_FLAG, &p->do_subscribe, NULL,
		      "join the routes multicast group") },
		{ OPT("listen", 'l', OPT_SECONDS, &p->listen_ns, "S",
		      "then count the events that arrive for S seconds (default 0)") },
		OPTS_END,
	};
	const struct tool t = {
		"kdht-nlprobe", "[options]",
		"  prints {\"register\": E, \"subscribe\": E, \"upcalls\": N,\n"
		"  \"route_events\": N, \"other\": N}, E being 0 or a negative errno\n",
		opts, 0,
	};

	return opts_parse(&t, argc, argv);
}

/* Counts events until listen_ns has passed; a negative errno if reading fails. */
static int listen_events(struct kdnl *nl, struct probe *p)
{
	static struct kdnl_event ev;
	uint64_t waited_ns = 0;
	int ret;

	while (waited_ns < p->listen_ns) {
		ret = kdnl_read_event(nl, NLPROBE_POLL_MS, &ev);
		if (ret < 0)
			return ret;
		if (!ret) {
			waited_ns += NLPROBE_POLL_MS * 1000000ull;
			continue;
		}
		if (ev.cmd == KDHT_CMD_RECV)
			p->upcalls++;
		else if (ev.cmd == KDHT_CMD_CONTACT_ADDED || ev.cmd == KDHT_CMD_CONTACT_REMOVED)
			p->route_events++;
		else
			p->other++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct probe p = { 0 };
	struct kdnl *nl;
	int ret;

	ret = parse_cmdline(argc, argv, &p);
	if (ret < 0)
		return opts_exit_status(ret);
	ret = kdnl_open(&nl);
	if (ret) {
		fprintf(stderr, "kdht-nlprobe: opening kdht's netlink family: %s\n", strerror(-ret));
		return 1;
	}
	if (p.do_register)
		p.registered = kdnl_register(nl);
	if (p.do_subscribe)
		p.subscribed = kdnl_subscribe_routes(nl);
	ret = listen_events(nl, &p);
	kdnl_close(nl);
	if (ret) {
		fprintf(stderr, "kdht-nlprobe: reading events: %s\n", strerror(-ret));
		return 1;
	}
	printf("{\"register\": %d, \"subscribe\": %d, \"upcalls\": %lu, "
	       "\"route_events\": %lu, \"other\": %lu}\n",
	       p.registered, p.subscribed, p.upcalls, p.route_events, p.other);
	return 0;
}
