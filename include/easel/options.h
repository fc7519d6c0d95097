/* SPDX-License-Identifier: MIT */
/* options: each command's options as one table (ea_opt, one entry per option) that drives its
 * parser (getopt_long, so options may follow the operands), its --help, the top-level usage,
 * `easel help`, the shell completions and the help/man drift test: they cannot disagree. */
#ifndef EASEL_OPTIONS_H
#define EASEL_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* What an option's value (or a command's operand) is, for the completions. */
enum ea_opt_values {
    EA_VAL_NONE = 0,  /* free text: nothing to offer */
    EA_VAL_FILE,      /* a path: the shell's file completion */
    EA_VAL_SESSION,   /* a session's name or ID */
    EA_VAL_MODEL,     /* the rule table's models (not retired) */
    EA_VAL_QUALITY,   /* the qualities of the model given with -m (or the default) */
    EA_VAL_FORMAT,    /* the formats of that model */
    EA_VAL_SIZE,      /* auto, the standard sizes, common ratios */
    EA_VAL_WORDS,     /* the words of ea_opt.words */
    EA_VAL_COMMAND,   /* a command's name (easel help COMMAND) */
    EA_VAL_SHELL,     /* bash, zsh or fish */
};

/* The workbench's option ids (ea_workbench_command). */
enum { EA_WB_OFFLINE = 1, EA_WB_THEME };

typedef struct ea_opt {
    const char *name;     /* long name, without "--" */
    char short_opt;       /* 0: none */
    const char *metavar;  /* NULL: a flag, takes no value */
    const char *help;     /* one sentence; wrapped when printed */
    int id;               /* what ea_opt_next returns for it; > 0 */
    enum ea_opt_values values;
    const char *words;    /* EA_VAL_WORDS: "blocks sixel kitty iterm" */
    const char *group;    /* a heading printed before it when it changes ("request"), or NULL */
} ea_opt;

typedef struct ea_command {
    const char *name;
    const char *operands;   /* after the options in the synopsis: "FILE...", "[SESSION]" */
    const char *summary;    /* one line, for the command list */
    const char *about;      /* a paragraph for --help after the usage line, or NULL */
    const char *notes;      /* printed as is after the options (lines end in \n), or NULL */
    int (*run)(int argc, char **argv);
    /* The options, -h/--help aside (every command has it). A function, so that a table may be
     * built from another (generate's from the parameter table). */
    const ea_opt *(*options)(size_t *count);
    enum ea_opt_values operand_values; /* what the operands complete to */
    bool hidden;            /* left out of the usage (completions, internal commands) */
} ea_command;

/* Defines `static const ea_opt *fn(size_t *count)` returning a static table. */
#define EA_OPTIONS_FN(fn, table)                                                                   \
    static const ea_opt *fn(size_t *count)                                                         \
    {                                                                                              \
        *count = sizeof table / sizeof table[0];                                                   \
        return table;                                                                              \
    }

/* Every command, in the order the usage lists them (src/cli/commands.c). Each command's file
 * defines its descriptor (ea_command_show ...), declared in cli.h. */
const ea_command *const *ea_commands(size_t *count);
const ea_command *ea_command_find(const char *name);
/* The workbench's options (`easel` with no command), as a pseudo-command named "". */
const ea_command *ea_workbench_command(void);

/* ---- Parsing ---- */

#define EA_OPT_MAX 64
enum { EA_OPT_DONE = -1, EA_OPT_HELP = -2, EA_OPT_BAD = -3 };

typedef struct ea_opt_parser {
    const ea_command *cmd;
    const ea_opt *opts;
    size_t n;
    int next;             /* after EA_OPT_DONE: the first operand, argv[next..argc) */
    bool quiet;           /* set after ea_opt_begin: EA_OPT_BAD leaves why unprinted */
    char why[128];        /* after EA_OPT_BAD: "unknown option '--x'", "--cols needs a value" */
    /* private: getopt_long's tables */
    struct option longs[EA_OPT_MAX + 2];
    char shorts[EA_OPT_MAX * 2 + 4];
} ea_opt_parser;

/* Starts parsing argv (argv[0] is the command's name) for cmd. */
void ea_opt_begin(ea_opt_parser *p, const ea_command *cmd);
/* The next option's id, its value (or NULL) in *value; EA_OPT_DONE when none is left (the
 * operands are then argv[p->next..argc), in order, options after them taken out: GNU
 * permutation, as `easel show FILE --protocol blocks` expects); EA_OPT_HELP after printing the
 * help on stdout; EA_OPT_BAD after saying why on stderr (an unknown option, a missing value;
 * in p->why too, and only there when p->quiet). */
int ea_opt_next(ea_opt_parser *p, int argc, char **argv, const char **value);
/* For a command whose only option is --help: -1 after printing the help (exit 0), 0 with
 * *first set to the first operand, or EA_EXIT_USAGE after saying why. */
int ea_opt_operands(const ea_command *cmd, int argc, char **argv, int *first);
/* The long name of the option with this id, for messages ("cols"). */
const char *ea_opt_name(const ea_opt_parser *p, int id);

/* ---- Text ---- */

/* `easel CMD --help`: usage line, about, the options (wrapped, with group headings), notes. */
void ea_opt_print_help(FILE *out, const ea_command *cmd);
/* The synopsis of a command: "easel show [--protocol P] [--cols N] ... FILE...", wrapped at
 * 78 columns with continuation lines indented by indent. */
void ea_opt_print_synopsis(FILE *out, const ea_command *cmd, int indent);
/* The top-level usage: every command's synopsis and summary. */
void ea_opt_print_usage(FILE *out);

#endif
