// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dhtctl: the command line of kdht. With -k it talks to kdht.ko in the
 * current network namespace; otherwise to kdhtd over its control socket.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "dhtctl.h"
#include "out.h"

static void usage(FILE *f)
{
	fputs("usage: dhtctl [-k|--kernel] [-j|--json] [-s|--socket PATH] VERB [ARGS]\n"
	      "\n"
	      "kernel verbs (-k, the node of this network namespace):\n"
	      "  node [up|down|set]   show, start, stop or tune the node\n"
	      "  bootstrap ADDR:PORT  add a contact to join through\n"
	      "  ping ADDR:PORT       ping a node: its id and round trip\n"
	      "  lookup HEX64         the k closest nodes to an id\n"
	      "  routes               the routing table\n"
	      "  stats                the counters\n"
	      "\n"
	      "Without -k the verbs go to kdhtd (its control socket: -s, default\n"
	      "/run/kdht/kdhtd.sock). Every verb takes --help and --json.\n"
	      "Exit status: 0 ok, 1 failed or not found, 2 usage.\n", f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dhtctl_opts opts = { .socket_path = NULL };
	int c;

	while ((c = getopt_long(argc, argv, "+kjs:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			opts.kernel = true;
			break;
		case 'j':
			opts.json = true;
			break;
		case 's':
			opts.socket_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return DHTCTL_OK;
		default:
			usage(stderr);
			return DHTCTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return DHTCTL_USAGE;
	}
	argc -= optind;
	argv += optind;
	if (opts.kernel)
		return dhtctl_kernel_main(argc, argv, &opts);
	return dhtctl_daemon_main(argc, argv, &opts);
}
