/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The packet tools' command lines: each tool describes its options once, in
 * a table, and one parser reads argv by it and prints the usage from it.
 */
#ifndef KDHT_TOOLS_OPTS_H
#define KDHT_TOOLS_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pkt.h"

enum opt_kind {
	OPT_FLAG,	/* dest: bool, set to true */
	OPT_UINT,	/* dest: unsigned long, in [min, max] */
	OPT_SECONDS,	/* dest: uint64_t nanoseconds, from "2" or "0.5" */
	OPT_STRING,	/* dest: const char *, the argument itself */
	OPT_HEX,	/* dest: max bytes, from exactly 2 * max hex digits */
	OPT_CUSTOM,	/* dest: whatever parse fills */
};

struct tool_opt {
	const char *name;	/* the long name, without "--"; NULL ends a table */
	char short_name;
	enum opt_kind kind;
	void *dest;
	const char *arg;	/* the argument's name in the usage; NULL: none */
	const char *help;
	unsigned long min, max;
	bool *seen;		/* if not NULL, set when the option is given */
	/* OPT_CUSTOM: reads arg into dest; prints why not and fails. */
	int (*parse)(const char *arg, void *dest);
};

/*
 * The fields every table entry names, for designated initializers:
 * { OPT(...), .max = N, .seen = &flag }.
 */
#define OPT(long_name, short, what, to, arg_name, help_text)		\
	.name = (long_name), .short_name = (short), .kind = (what),	\
	.dest = (to), .arg = (arg_name), .help = (help_text)

/* Entries several tools share, and the end of a table. */
#define OPT_SEED_ENTRY(to, help_text)					\
	{ OPT("seed", 'S', OPT_UINT, (to), "N", help_text), .max = ~0ul }
#define OPT_JSON_ENTRY(to)						\
	{ OPT("json", 'j', OPT_FLAG, (to), NULL, "print the counts as JSON") }
#define OPTS_END	{ .name = NULL }

struct tool {
	const char *name;		/* "kdht-flood": the usage's and messages' prefix */
	const char *synopsis;		/* what follows the name in the usage */
	const char *about;		/* printed after the options, or NULL */
	const struct tool_opt *opts;
	int nargs;			/* positional arguments, exactly */
};

/* A number's digits as a string, for help texts: OPTS_STR(KDHT_MAX_NODES) is "20". */
#define OPTS_STR_(x)	#x
#define OPTS_STR(x)	OPTS_STR_(x)

/* opts_parse's results other than an index into argv. */
#define OPTS_HELP	(-1)	/* --help was printed: exit 0 */
#define OPTS_BAD	(-2)	/* a bad command line, said on stderr: exit 2 */

/*
 * Reads argv by t's table (with -h, --help besides). Returns the index of
 * the first positional argument, or OPTS_HELP or OPTS_BAD.
 */
int opts_parse(const struct tool *t, int argc, char **argv);

/* The exit status for OPTS_HELP or OPTS_BAD. */
int opts_exit_status(int parse_result);

void opts_usage(const struct tool *t, FILE *f);

/* The target ADDR[:PORT] (default port KDHT_DEFAULT_PORT); says why not. */
int opts_target(const struct tool *t, const char *arg, struct endpoint *out);

#endif /* KDHT_TOOLS_OPTS_H */
