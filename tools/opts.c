// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "opts.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#define OPTS_MAX	32	/* options of one tool */
#define OPTS_LEFT_MAX	64	/* "-x, --name ARG" */

static void opt_left(const struct tool_opt *o, char *buf, size_t size)
{
	snprintf(buf, size, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
		 o->arg ? o->arg : "");
}

void opts_usage(const struct tool *t, FILE *f)
{
	const struct tool_opt *o;
	char left[OPTS_LEFT_MAX];
	int width = 0;

	for (o = t->opts; o->name; o++) {
		opt_left(o, left, sizeof(left));
		if ((int)strlen(left) > width)
			width = (int)strlen(left);
	}
	fprintf(f, "usage: %s %s\n", t->name, t->synopsis);
	for (o = t->opts; o->name; o++) {
		opt_left(o, left, sizeof(left));
		fprintf(f, "  %-*s  %s\n", width, left, o->help);
	}
	if (t->about)
		fputs(t->about, f);
}

static int opt_apply(const struct tool *t, const struct tool_opt *o, const char *arg)
{
	char name[OPTS_LEFT_MAX];

	snprintf(name, sizeof(name), "--%s", o->name);
	if (o->seen)
		*o->seen = true;
	switch (o->kind) {
	case OPT_FLAG:
		*(bool *)o->dest = true;
		return 0;
	case OPT_UINT:
		return uint_parse(arg, name, o->min, o->max, o->dest);
	case OPT_SECONDS:
		return seconds_parse(arg, name, o->dest);
	case OPT_STRING:
		*(const char **)o->dest = arg;
		return 0;
	case OPT_HEX:
		if (!kd_hex_parse(o->dest, o->max, arg))
			return 0;
		fprintf(stderr, "%s: %s: %lu hex digits, not '%s'\n", t->name, name, 2 * o->max,
			arg);
		return -EINVAL;
	case OPT_CUSTOM:
		return o->parse(arg, o->dest);
	}
	return -EINVAL;
}

/* getopt_long's view of the table: long options and the short-option string. */
static void getopt_tables(const struct tool *t, struct option *longs, char *shorts)
{
	const struct tool_opt *o;
	unsigned int n = 0;

	for (o = t->opts; o->name && n < OPTS_MAX; o++, n++) {
		longs[n] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					    NULL, o->short_name };
		*shorts++ = o->short_name;
		if (o->arg)
			*shorts++ = ':';
	}
	longs[n] = (struct option){ "help", no_argument, NULL, 'h' };
	longs[n + 1] = (struct option){ NULL, 0, NULL, 0 };
	*shorts++ = 'h';
	*shorts = '\0';
}

int opts_parse(const struct tool *t, int argc, char **argv)
{
	struct option longs[OPTS_MAX + 2];
	char shorts[2 * OPTS_MAX + 2];
	const struct tool_opt *o;
	int c;

	getopt_tables(t, longs, shorts);
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == 'h') {
			opts_usage(t, stdout);
			return OPTS_HELP;
		}
		for (o = t->opts; o->name && o->short_name != c; o++)
			;
		if (!o->name) {
			opts_usage(t, stderr);
			return OPTS_BAD;
		}
		if (opt_apply(t, o, optarg))
			return OPTS_BAD;
	}
	if (argc - optind != t->nargs) {
		opts_usage(t, stderr);
		return OPTS_BAD;
	}
	return optind;
}

int opts_exit_status(int parse_result)
{
	return parse_result == OPTS_HELP ? 0 : 2;
}

int opts_target(const struct tool *t, const char *arg, struct endpoint *out)
{
	if (!endpoint_parse(arg, KDHT_DEFAULT_PORT, out))
		return 0;
	fprintf(stderr, "%s: not an ADDR:PORT: '%s'\n", t->name, arg);
	return -EINVAL;
}
