/* SPDX-License-Identifier: MIT */
/* The terminal's answers turned into drawing options, for the commands that draw inline. */
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "easel/config.h"
#include "easel/gfx.h"
#include "easel/term.h"

int ea_gfx_options_detect(ea_gfx_options *opt, const char *protocol, ea_err *err)
{
    ea_gfx_options_init(opt);
    if (!isatty(STDOUT_FILENO)) {
        if (protocol && ea_gfx_protocol_parse(protocol, &opt->protocol) != 0)
            return ea_err_set(err, EA_EXIT_USAGE,
                              "unknown protocol '%s' (blocks, sixel, kitty, iterm)", protocol);
        return 0;
    }
    /* Replies come back on the terminal's input: stdin, or /dev/tty when stdin is a file. */
    int in_fd = STDIN_FILENO, tty_fd = -1;
    if (!isatty(in_fd) && (tty_fd = open("/dev/tty", O_RDONLY | O_CLOEXEC)) >= 0)
        in_fd = tty_fd;
    ea_config cfg;
    ea_config_init(&cfg);
    ea_config_load(&cfg, NULL); /* a broken config file must not stop a picture */
    ea_term_detect_options dopt;
    ea_term_detect_options_init(&dopt);
    ea_term_detect_options_use_config(&dopt, &cfg);
    dopt.protocol = protocol;
    ea_term_caps caps;
    int rc = ea_term_detect(in_fd, STDOUT_FILENO, &dopt, &caps, err);
    ea_config_free(&cfg);
    if (tty_fd >= 0)
        close(tty_fd);
    if (rc != 0)
        return -1;
    opt->protocol = caps.protocol;
    opt->kitty_placeholders = caps.kitty_placeholders;
    opt->kitty_png = caps.over_ssh;
    opt->blocks_256 = !caps.truecolor;
    opt->wrap = caps.tmux_passthrough ? EA_GFX_WRAP_TMUX : EA_GFX_WRAP_NONE;
    if (caps.cell_w > 0 && caps.cell_h > 0) {
        opt->cell_w = caps.cell_w;
        opt->cell_h = caps.cell_h;
    }
    if (caps.cols > 0 && caps.rows > 1) {
        opt->cols = caps.cols;
        opt->rows = caps.rows - 1; /* room for the prompt below the picture */
    }
    return 0;
}
