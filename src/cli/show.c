/* SPDX-License-Identifier: MIT */
/* show: draws image files inline with the detected protocol or the one forced by --protocol,
 * writing to stdout even when it is not a terminal (so the bytes can be tested and measured). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "easel/cli.h"
#include "easel/gfx.h"
#include "easel/options.h"
#include "easel/sanitize.h"
#include "easel/term.h"

enum { OPT_PROTOCOL = 1, OPT_COLS, OPT_ROWS, OPT_CELL, OPT_WRAP, OPT_KITTY_DATA, OPT_COLORS };

static const ea_opt show_opts[] = {
    {"protocol", 0, "P",
     "blocks, sixel, kitty or iterm (default: what the terminal answers; blocks when stdout is "
     "not a terminal; none, only each file's name and size, when TERM is dumb or unset)",
     OPT_PROTOCOL, EA_VAL_WORDS, "auto blocks sixel kitty iterm", NULL},
    {"cols", 0, "N", "the box's width in cells (default: the terminal's, or 80)", OPT_COLS,
     EA_VAL_NONE, NULL, NULL},
    {"rows", 0, "N", "the box's height in cells (default: the terminal's less one, or 24)",
     OPT_ROWS, EA_VAL_NONE, NULL, NULL},
    {"cell", 0, "WxH", "a cell's size in pixels (default: asked, or 8x16)", OPT_CELL, EA_VAL_NONE,
     NULL, NULL},
    {"wrap", 0, "W",
     "none, tmux or screen: wrap the picture's escape sequences for a multiplexer (default: "
     "detected)", OPT_WRAP, EA_VAL_WORDS, "none tmux screen", NULL},
    {"kitty-data", 0, "D",
     "raw, zlib or png: how kitty receives the pixels (default: raw, png over SSH)",
     OPT_KITTY_DATA, EA_VAL_WORDS, "raw zlib png", NULL},
    {"colors", 0, "C",
     "24bit or 256: the colours of blocks (default: 24bit unless the terminal is known to lack "
     "it)", OPT_COLORS, EA_VAL_WORDS, "24bit 256", NULL},
};
EA_OPTIONS_FN(show_options, show_opts)

const ea_command ea_command_show = {
    "show", "FILE...", "draw images inline",
    "Draws each image inline, fitted inside the box and keeping its aspect ratio.",
    "So --cols 80 --rows 40 --cell 8x16 draws within 640x640 pixels.\n",
    ea_cmd_show, show_options, EA_VAL_FILE, false,
};

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

/* 0, or an exit code after printing why; -1 after --help. */
static int parse_args(int argc, char **argv, show_args *a)
{
    *a = (show_args){0};
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_show);
    const char *value;
    int id;
    while ((id = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        if (id == EA_OPT_HELP)
            return -1;
        if (id == EA_OPT_BAD)
            return EA_EXIT_USAGE;
        int bad = 0;
        switch (id) {
        case OPT_PROTOCOL: a->protocol = value; break;
        case OPT_COLS: bad = parse_positive(value, &a->cols); break;
        case OPT_ROWS: bad = parse_positive(value, &a->rows); break;
        case OPT_CELL: bad = parse_cell(value, &a->cell_w, &a->cell_h); break;
        case OPT_WRAP: a->wrap = value; break;
        case OPT_KITTY_DATA: a->kitty_data = value; break;
        case OPT_COLORS: a->colors = value; break;
        }
        if (bad) {
            char shown[64];
            ea_sanitize_copy(shown, sizeof shown, value);
            fprintf(stderr, "easel show: bad value for --%s: %s\n", ea_opt_name(&p, id), shown);
            return EA_EXIT_USAGE;
        }
    }
    a->first_file = p.next;
    if (p.next >= argc) {
        fprintf(stderr, "easel show: no image file given\n\n");
        ea_opt_print_help(stderr, &ea_command_show);
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

/* A terminal that cannot (TERM=dumb or unset) gets no escape byte at all: each file's name
 * and size as text instead, and why on stderr. The picture on a pipe under a capable TERM is
 * still drawn (blocks): the picture is what `easel show` outputs, to a file or `less -R`. */
static int describe_only(const show_args *a, int argc, char **argv, const char *why)
{
    fprintf(stderr, "easel show: %s: no pictures, only each file's size (--protocol draws one "
                    "anyway)\n", why);
    int status = EA_EXIT_OK;
    for (int i = a->first_file; i < argc; i++) {
        ea_image img;
        ea_err err = {0};
        char shown[512];
        ea_sanitize_copy(shown, sizeof shown, argv[i]);
        if (ea_image_load_file(argv[i], NULL, &img, &err) != 0) {
            fprintf(stderr, "easel show: %s\n", err.msg);
            status = err.code ? err.code : EA_EXIT_INTERNAL;
        } else {
            printf("%s: %dx%d\n", shown, img.w, img.h);
        }
        ea_image_free(&img);
    }
    return status;
}

/* ---- Inside tmux ----
 * A picture through tmux's passthrough reaches the terminal outside at that terminal's cursor,
 * unseen by tmux: one that runs past the bottom of the screen scrolls all of it, tmux's
 * status line and the other panes included, while tmux believes nothing moved. So tmux makes
 * the room itself first: as many newlines as the picture has rows (tmux scrolls its own pane)
 * and the cursor back up as many, then a wait for tmux's answer to a status request (tmux has
 * then drawn the scroll and put the terminal's cursor at the pane's), then the picture, which
 * leaves the cursor alone where it can (the room ends one row below the picture, for sixel,
 * which moves it there), and newlines through tmux to below the picture. */

/* Pictures that the outer terminal draws at its own cursor through tmux; blocks and kitty's
 * placeholders are text, which tmux scrolls itself. */
static bool needs_room(const ea_gfx_options *opt)
{
    return opt->origin_row == 0 && opt->wrap == EA_GFX_WRAP_TMUX &&
           opt->protocol != EA_GFX_BLOCKS &&
           !(opt->protocol == EA_GFX_KITTY && opt->kitty_placeholders) && isatty(STDOUT_FILENO);
}

/* The box inside the pane, one row left below the picture for the cursor: a taller picture
 * could not get its room from tmux. */
static void fit_pane(ea_gfx_options *opt)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row < 2 || ws.ws_col < 1)
        return;
    if (opt->rows > ws.ws_row - 1)
        opt->rows = ws.ws_row - 1;
    if (opt->cols > ws.ws_col)
        opt->cols = ws.ws_col;
}

static int show_with_room(const unsigned char *bytes, size_t n, const ea_gfx_options *opt,
                          int in_fd, ea_err *err)
{
    ea_gfx_options stay = *opt;
    stay.cursor_stays = true;
    ea_gfx_geometry geo = {0};
    ea_buf room, pic;
    ea_buf_init(&room, EA_BUF_UNCAPPED);
    ea_buf_init(&pic, EA_BUF_UNCAPPED);
    int rc = ea_gfx_encode_frame(bytes, n, &stay, &pic, &geo, err);
    if (rc == 0) {
        for (int r = 0; r < geo.rows; r++)
            if (ea_buf_putc(&room, '\n') != 0 || ea_buf_putc(&pic, '\n') != 0)
                rc = -1;
        if (rc != 0 || ea_buf_printf(&room, "\033[%dA", geo.rows) != 0)
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    /* Unanswered (a tmux too busy for a second): drawn anyway, as without the wait. */
    if (rc == 0 && (ea_term_sync(in_fd, STDOUT_FILENO, room.data, room.len, 1000) < 0 ||
                    ea_gfx_write_all(STDOUT_FILENO, pic.data, pic.len) != 0))
        rc = ea_err_set(err, EA_EXIT_INTERNAL, "cannot write the picture: output closed");
    ea_buf_free(&room);
    ea_buf_free(&pic);
    return rc;
}

int ea_cmd_show(int argc, char **argv)
{
    show_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != 0)
        return rc < 0 ? EA_EXIT_OK : rc;
    char cannot[96];
    if ((!a.protocol || strcmp(a.protocol, "auto") == 0) &&
        ea_term_cannot(NULL, cannot, sizeof cannot))
        return describe_only(&a, argc, argv, cannot);
    ea_gfx_options opt;
    if ((rc = detect(&a, &opt)) != 0)
        return rc;
    if (apply_args(&a, &opt) != 0)
        return EA_EXIT_USAGE;
    bool room = needs_room(&opt);
    int in_fd = STDIN_FILENO, tty_fd = -1;
    if (room) {
        fit_pane(&opt);
        /* tmux's answers come back on the terminal's input: stdin, or /dev/tty. */
        if (!isatty(in_fd) && (tty_fd = open("/dev/tty", O_RDONLY | O_CLOEXEC)) >= 0)
            in_fd = tty_fd;
    }
    int status = EA_EXIT_OK;
    for (int i = a.first_file; i < argc; i++) {
        unsigned char *bytes = NULL;
        size_t n = 0;
        ea_err err = {0};
        /* From the file's bytes, so that a picture drawn smaller than the file is decoded
         * at the drawn size (ea_gfx_show_frame). */
        if (ea_image_read_file(argv[i], NULL, &bytes, &n, &err) != 0 ||
            (room ? show_with_room(bytes, n, &opt, in_fd, &err)
                  : ea_gfx_show_frame(bytes, n, &opt, STDOUT_FILENO, NULL, &err)) != 0) {
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
    if (tty_fd >= 0)
        close(tty_fd);
    return status;
}
