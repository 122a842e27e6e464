// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dhtctl: the command line of kdht. Without -k a verb goes to kdhtd over
 * its control socket (libkdht); with -k to kdht.ko's node in the current
 * network namespace (kdnl). The verbs are in verbs.c.
 */
#include <stdio.h>
#include <string.h>

#include "dhtctl.h"
#include "out.h"

/* dhtctl help [VERB], dhtctl [VERB] --help: name NULL for every verb. */
static int help(const char *name)
{
	const struct dhtctl_verb *v = NULL;

	if (name) {
		v = dhtctl_verb_find(name);
		if (!v)
			return out_fail(DHTCTL_USAGE, "unknown verb '%s'", name);
	}
	dhtctl_help(v);
	return DHTCTL_OK;
}

/* dhtctl completion bash: not listed; the build installs its output. */
static int completion(const struct dhtctl_cmd *c)
{
	if (c->argc != 2 || strcmp(c->argv[1], "bash"))
		return out_fail(DHTCTL_USAGE, "usage: dhtctl completion bash");
	dhtctl_completion_bash();
	return DHTCTL_OK;
}

int main(int argc, char **argv)
{
	struct dhtctl_cmd c;
	int rc;

	rc = dhtctl_parse(&c, argc, argv);
	if (rc)
		return rc;
	if (opt_given(&c, OPT_HELP))
		return help(c.argc ? c.argv[0] : NULL);
	if (!c.argc)
		return dhtctl_usage_error(NULL);
	if (!strcmp(c.argv[0], "help"))
		return c.argc > 2 ? out_fail(DHTCTL_USAGE, "usage: dhtctl help [VERB]") :
				    help(c.argc == 2 ? c.argv[1] : NULL);
	if (!strcmp(c.argv[0], "completion"))
		return completion(&c);
	rc = dhtctl_select_verb(&c);
	if (rc)
		return rc;
	return opt_given(&c, OPT_KERNEL) ? c.verb->kernel(&c) : c.verb->daemon(&c);
}
