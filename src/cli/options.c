/* SPDX-License-Identifier: MIT */
/* options: the parser, help and usage every command gets from its option table. */
#include "easel/options.h"

#include <string.h>

#include "easel/err.h"
#include "easel/sanitize.h"

enum { HELP_ID = 0x7fff, LONG_BASE = 0x10000 };

static const ea_opt help_opt = {"help", 'h', NULL, "this help", HELP_ID, EA_VAL_NONE, NULL, NULL};

void ea_opt_begin(ea_opt_parser *p, const ea_command *cmd)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->opts = cmd->options ? cmd->options(&p->n) : NULL;
    if (p->n > EA_OPT_MAX)
        p->n = EA_OPT_MAX; /* a table this long is a programming error the drift test shows */
    /* ':' first: a missing value comes back as ':', not '?', so the message can say which. */
    size_t k = 0, s = 0;
    p->shorts[s++] = ':';
    for (size_t i = 0; i <= p->n; i++) {
        const ea_opt *o = i < p->n ? &p->opts[i] : &help_opt;
        /* Above any short option's character: getopt_long returns either. */
        p->longs[k++] = (struct option){o->name, o->metavar ? required_argument : no_argument,
                                        NULL, LONG_BASE + o->id};
        if (o->short_opt) {
            p->shorts[s++] = o->short_opt;
            if (o->metavar)
                p->shorts[s++] = ':';
        }
    }
    p->longs[k] = (struct option){0};
    p->shorts[s] = '\0';
    optind = 1;
    opterr = 0;
}

static int short_id(const ea_opt_parser *p, int c)
{
    if (c == 'h')
        return HELP_ID;
    for (size_t i = 0; i < p->n; i++)
        if (p->opts[i].short_opt == c)
            return p->opts[i].id;
    return 0;
}

int ea_opt_next(ea_opt_parser *p, int argc, char **argv, const char **value)
{
    *value = NULL;
    int c = getopt_long(argc, argv, p->shorts, p->longs, NULL);
    if (c == -1) {
        p->next = optind;
        return EA_OPT_DONE;
    }
    if (c == '?' || c == ':') {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, argv[optind - 1]);
        if (c == ':')
            snprintf(p->why, sizeof p->why, "%s needs a value", shown);
        else if (optopt && optopt < 256)
            snprintf(p->why, sizeof p->why, "unknown option '-%c'", optopt);
        else
            snprintf(p->why, sizeof p->why, "unknown option '%s'", shown);
        if (!p->quiet)
            fprintf(stderr, "easel%s%s: %s (easel %s%s--help lists the options)\n",
                    *p->cmd->name ? " " : "", p->cmd->name, p->why, p->cmd->name,
                    *p->cmd->name ? " " : "");
        return EA_OPT_BAD;
    }
    int id = c >= LONG_BASE ? c - LONG_BASE : short_id(p, c);
    if (id == HELP_ID) {
        ea_opt_print_help(stdout, p->cmd);
        return EA_OPT_HELP;
    }
    *value = optarg;
    return id;
}

int ea_opt_operands(const ea_command *cmd, int argc, char **argv, int *first)
{
    ea_opt_parser p;
    ea_opt_begin(&p, cmd);
    const char *value;
    int id = ea_opt_next(&p, argc, argv, &value);
    *first = p.next;
    return id == EA_OPT_HELP ? -1 : id == EA_OPT_DONE ? 0 : EA_EXIT_USAGE;
}

const char *ea_opt_name(const ea_opt_parser *p, int id)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->opts[i].id == id)
            return p->opts[i].name;
    return "?";
}

/* ---- Text ---- */

/* Writes one word (spaces in it kept) at col, on a new line indented by indent when it would
 * pass width. Returns the column after it. */
static int put_word(FILE *out, const char *word, size_t n, int col, int indent, int width)
{
    if (col > indent && col + 1 + (int)n > width) {
        fprintf(out, "\n%*s", indent, "");
        col = indent;
    } else if (col != indent) {
        fputc(' ', out);
        col++;
    }
    fwrite(word, 1, n, out);
    return col + (int)n;
}

/* Writes text wrapped at width, continuation lines indented by indent; col is where the
 * cursor is. A newline in text starts a new line. Returns the column after the text. */
static int put_wrapped(FILE *out, const char *text, int col, int indent, int width)
{
    int base = indent;
    while (*text) {
        if (col == indent) /* a line's own indent ("  easel mock listening ...") is kept */
            while (*text == ' ') {
                fputc(' ', out);
                text++;
                col++;
                indent++;
            }
        while (*text == ' ')
            text++;
        size_t n = strcspn(text, " \n");
        if (n)
            col = put_word(out, text, n, col, indent, width);
        text += n;
        if (*text == '\n') {
            text++;
            indent = base;
            fprintf(out, "\n%*s", indent, "");
            col = indent;
        }
    }
    return col;
}

static void option_left(char *buf, size_t size, const ea_opt *o)
{
    snprintf(buf, size, "%c%c%s--%s%s%s", o->short_opt ? '-' : ' ',
             o->short_opt ? o->short_opt : ' ', o->short_opt ? ", " : "  ", o->name,
             o->metavar ? " " : "", o->metavar ? o->metavar : "");
}

void ea_opt_print_help(FILE *out, const ea_command *cmd)
{
    fprintf(out, "usage: ");
    ea_opt_print_synopsis(out, cmd, 7);
    fprintf(out, "\n");
    put_wrapped(out, cmd->about ? cmd->about : cmd->summary, 0, 0, 78);
    fprintf(out, "\n");
    size_t n = 0;
    const ea_opt *opts = cmd->options ? cmd->options(&n) : NULL;
    const char *group = "";
    for (size_t i = 0; i <= n; i++) {
        const ea_opt *o = i < n ? &opts[i] : &help_opt;
        const char *g = o->group ? o->group : "options";
        if (i == 0 || (i < n && strcmp(g, group) != 0)) {
            fprintf(out, "\n%s:\n", g);
            group = g;
        }
        char left[64];
        option_left(left, sizeof left, o);
        if (strlen(left) > 24)
            fprintf(out, "  %s\n%*s", left, 27, "");
        else
            fprintf(out, "  %-24s ", left);
        put_wrapped(out, o->help, 27, 27, 78);
        fprintf(out, "\n");
    }
    if (cmd->notes) /* preformatted: tables of faults, examples */
        fprintf(out, "\n%s", cmd->notes);
}

void ea_opt_print_synopsis(FILE *out, const ea_command *cmd, int indent)
{
    char word[128];
    int col = indent + fprintf(out, "easel%s%s", *cmd->name ? " " : "", cmd->name);
    size_t n = 0;
    const ea_opt *opts = cmd->options ? cmd->options(&n) : NULL;
    for (size_t i = 0; i < n; i++) {
        const ea_opt *o = &opts[i];
        /* One word, so that wrapping never splits "[--cols N]". */
        int len = snprintf(word, sizeof word, "[%s%s%s--%s%s%s]", o->short_opt ? "-" : "",
                           o->short_opt ? (char[]){o->short_opt, 0} : "",
                           o->short_opt ? "|" : "", o->name, o->metavar ? " " : "",
                           o->metavar ? o->metavar : "");
        col = put_word(out, word, len > 0 && len < (int)sizeof word ? (size_t)len : strlen(word),
                       col, indent + 6, 78);
    }
    if (cmd->operands)
        col = put_wrapped(out, cmd->operands, col, indent + 6, 78);
    fprintf(out, "\n");
}

void ea_opt_print_usage(FILE *out)
{
    fprintf(out, "usage: ");
    ea_opt_print_synopsis(out, ea_workbench_command(), 7);
    fprintf(out, "       the workbench\n\ncommands:\n");
    size_t n;
    const ea_command *const *all = ea_commands(&n);
    for (size_t i = 0; i < n; i++) {
        if (all[i]->hidden)
            continue;
        fprintf(out, "  ");
        ea_opt_print_synopsis(out, all[i], 2);
        fprintf(out, "        %s\n", all[i]->summary);
    }
    fprintf(out, "\n"
                 "  easel help [COMMAND], easel COMMAND --help, easel --version\n\n"
                 "With no OPENAI_API_KEY and no OPENAI_BASE_URL, easel uses its offline backend.\n"
                 "See easel(1).\n");
}
