/* show: draws image files inline with the detected protocol or the one forced by --protocol,
 * writing to stdout even when it is not a terminal (so the bytes can be tested and measured). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/cli.h"
#include "easel/gfx.h"
#include "easel/sanitize.h"

static void show_usage(FILE *out)
{
    fprintf(out,
            "usage: easel show [--protocol P] [--cols N] [--rows N] [--cell WxH] FILE...\n\n"
            "Draws each image inline, fitted inside the box and keeping its aspect ratio.\n"
            "  --protocol P     blocks, sixel, kitty or iterm (default: what the terminal\n"
            "                   answers; blocks when stdout is not a terminal)\n"
            "  --cols N         the box's width in cells (default: the terminal's, or 80)\n"
            "  --rows N         the box's height in cells (default: the terminal's less one,\n"
            "                   or 24)\n"
            "  --cell WxH       a cell's size in pixels (default: asked, or 8x16)\n"
            "  --wrap W         none, tmux or screen: wrap the picture's escape sequences for\n"
            "                   a multiplexer (default: detected)\n"
            "  --kitty-data D   raw, zlib or png: how kitty receives the pixels (default:\n"
            "                   raw, png over SSH)\n"
            "  --colors C       24bit or 256: the colours of blocks (default: 24bit unless\n"
            "                   the terminal is known to lack it)\n"
            "So --cols 80 --rows 40 --cell 8x16 draws within 640x640 pixels.\n");
}

static int parse_positive(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v <= 0 || v > 100000)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_cell(const char *s, int *w, int *h)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X') || a <= 0 || a > 1000)
        return -1;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (end == rest || *end || b <= 0 || b > 1000)
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

typedef struct show_args {
    const char *protocol, *wrap, *kitty_data, *colors;
    int cols, rows, cell_w, cell_h; /* 0 = not given */
    int first_file;
} show_args;

/* 0, or an exit code after printing why. */
static int parse_args(int argc, char **argv, show_args *a)
{
    *a = (show_args){0};
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (arg[0] != '-' || arg[1] == '\0')
            break;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            show_usage(stdout);
            return -1;
        }
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = value == NULL;
        if (strcmp(arg, "--protocol") == 0 && value)
            a->protocol = value;
        else if (strcmp(arg, "--cols") == 0 && value)
            bad = parse_positive(value, &a->cols) != 0;
        else if (strcmp(arg, "--rows") == 0 && value)
            bad = parse_positive(value, &a->rows) != 0;
        else if (strcmp(arg, "--cell") == 0 && value)
            bad = parse_cell(value, &a->cell_w, &a->cell_h) != 0;
        else if (strcmp(arg, "--wrap") == 0 && value)
            a->wrap = value;
        else if (strcmp(arg, "--kitty-data") == 0 && value)
            a->kitty_data = value;
        else if (strcmp(arg, "--colors") == 0 && value)
            a->colors = value;
        else {
            char shown[64];
            ea_sanitize_copy(shown, sizeof shown, arg);
            fprintf(stderr, "easel show: unknown option or missing value: %s\n\n", shown);
            show_usage(stderr);
            return EA_EXIT_USAGE;
        }
        if (bad) {
            char shown[64];
            ea_sanitize_copy(shown, sizeof shown, value ? value : "(none)");
            fprintf(stderr, "easel show: bad value for %s: %s\n", arg, shown);
            return EA_EXIT_USAGE;
        }
        i++;
    }
    a->first_file = i;
    if (i >= argc) {
        fprintf(stderr, "easel show: no image file given\n\n");
        show_usage(stderr);
        return EA_EXIT_USAGE;
    }
    return 0;
}

/* What the terminal says, when stdout is one; otherwise the documented defaults. */
static int detect(const show_args *a, ea_gfx_options *opt)
{
    ea_gfx_options_init(opt);
    bool everything_given = a->protocol && a->cols && a->rows && a->cell_w;
    if (everything_given) {
        if (ea_gfx_protocol_parse(a->protocol, &opt->protocol) == 0)
            return 0;
    }
    ea_err err = {0};
    if (ea_gfx_options_detect(opt, a->protocol, &err) != 0) {
        fprintf(stderr, "easel show: %s\n", err.msg);
        return EA_EXIT_USAGE;
    }
    return 0;
}

/* The explicit options win over what was detected. */
static int apply_args(const show_args *a, ea_gfx_options *opt)
{
    if (a->cols)
        opt->cols = a->cols;
    if (a->rows)
        opt->rows = a->rows;
    if (a->cell_w) {
        opt->cell_w = a->cell_w;
        opt->cell_h = a->cell_h;
    }
    if (a->wrap) {
        if (strcmp(a->wrap, "none") == 0)
            opt->wrap = EA_GFX_WRAP_NONE;
        else if (strcmp(a->wrap, "tmux") == 0)
            opt->wrap = EA_GFX_WRAP_TMUX;
        else if (strcmp(a->wrap, "screen") == 0)
            opt->wrap = EA_GFX_WRAP_SCREEN;
        else
            return fprintf(stderr, "easel show: --wrap takes none, tmux or screen\n"), -1;
    }
    if (a->kitty_data) {
        bool raw = strcmp(a->kitty_data, "raw") == 0, zlib = strcmp(a->kitty_data, "zlib") == 0;
        bool png = strcmp(a->kitty_data, "png") == 0;
        if (!raw && !zlib && !png)
            return fprintf(stderr, "easel show: --kitty-data takes raw, zlib or png\n"), -1;
        opt->kitty_zlib = zlib;
        opt->kitty_png = png;
    }
    if (a->colors) {
        if (strcmp(a->colors, "256") != 0 && strcmp(a->colors, "24bit") != 0)
            return fprintf(stderr, "easel show: --colors takes 24bit or 256\n"), -1;
        opt->blocks_256 = strcmp(a->colors, "256") == 0;
    }
    return 0;
}

int ea_cmd_show(int argc, char **argv)
{
    show_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? EA_EXIT_OK : rc;
    ea_gfx_options opt;
    if ((rc = detect(&a, &opt)) != 0)
        return rc;
    if (apply_args(&a, &opt) != 0)
        return EA_EXIT_USAGE;
    int status = EA_EXIT_OK;
    for (int i = a.first_file; i < argc; i++) {
        unsigned char *bytes = NULL;
        size_t n = 0;
        ea_err err = {0};
        /* From the file's bytes, so that a picture drawn smaller than the file is decoded
         * at the drawn size (ea_gfx_show_frame). */
        if (ea_image_read_file(argv[i], NULL, &bytes, &n, &err) != 0 ||
            ea_gfx_show_frame(bytes, n, &opt, STDOUT_FILENO, NULL, &err) != 0) {
            if (bytes) { /* name the file: several may be drawn */
                char msg[sizeof err.msg];
                snprintf(msg, sizeof msg, "%s", err.msg);
                ea_err_set(&err, err.code, "%s: %s", argv[i], msg);
            }
            fprintf(stderr, "easel show: %s\n", err.msg);
            status = err.code ? err.code : EA_EXIT_INTERNAL;
        }
        free(bytes);
    }
    return status;
}
