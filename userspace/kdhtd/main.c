// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* kdhtd: the kdht values daemon. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "kdhtd.h"
#include "log.h"

int main(int argc, char **argv)
{
	struct kdd_config cfg;
	static struct kdd d;
	uv_loop_t loop;
	int rc;

	kdd_config_default(&cfg);
	rc = kdd_config_parse(&cfg, argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	kdd_log_init("kdhtd", cfg.syslog, cfg.log_level);
	/* A client that hangs up mid-reply must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	rc = uv_loop_init(&loop);
	if (rc) {
		kdd_log(KDD_LOG_ERR, "event loop: %s", uv_strerror(rc));
		return 1;
	}
	if (kdd_start(&d, &loop, &cfg)) {
		uv_loop_close(&loop);
		return 1;
	}
	rc = uv_run(&loop, UV_RUN_DEFAULT);
	kdd_free(&d);
	if (uv_loop_close(&loop))
		kdd_log(KDD_LOG_WARN, "handles left open at exit");
	kdd_log(KDD_LOG_INFO, "stopped");
	return 0;
}
