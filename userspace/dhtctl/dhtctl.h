/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* dhtctl: options shared by the kernel verbs and the daemon verbs. */
#ifndef DHTCTL_H
#define DHTCTL_H

#include <stdbool.h>

/* Exit statuses. */
#define DHTCTL_OK	0
#define DHTCTL_FAIL	1	/* failed, or not found */
#define DHTCTL_USAGE	2

struct dhtctl_opts {
	bool json;		/* --json: machine-readable output */
	bool kernel;		/* -k: talk to kdht.ko in this namespace */
	const char *socket_path;	/* the daemon's control socket */
};

/* argv[0] is the verb. Both return a DHTCTL_* exit status. */
int dhtctl_kernel_main(int argc, char **argv, const struct dhtctl_opts *opts);
int dhtctl_daemon_main(int argc, char **argv, const struct dhtctl_opts *opts);

#endif /* DHTCTL_H */
