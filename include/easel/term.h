/* SPDX-License-Identifier: MIT */
/* term: what the terminal easel runs in can draw and how big its cells are in pixels, learned
 * once before curses starts by asking it (bounded wait, never a hang), with a reason for doctor. */
#ifndef EASEL_TERM_H
#define EASEL_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "easel/config.h"
#include "easel/err.h"
#include "easel/gfx_protocol.h"

#define EA_TERM_TIMEOUT_MS 1000      /* local terminals answer in one round trip */
#define EA_TERM_SSH_TIMEOUT_MS 3000  /* SSH_CONNECTION, SSH_TTY or SSH_CLIENT is set */
#define EA_TERM_DEFAULT_CELL_W 8     /* when neither the terminal nor the kernel knows */
#define EA_TERM_DEFAULT_CELL_H 16

/* ---- The replies, parsed (pure: no tty, testable from recorded bytes) ---- */

/* Longest reply kept; longer ones are skipped whole. XTVERSION strings are ~30 bytes. */
#define EA_TERM_SEQ_MAX 256

/* What a terminal said, filled in as its bytes arrive. Fields stay 0/false/"" until the
 * matching reply is seen; a later reply of the same kind replaces an earlier one. */
typedef struct ea_term_replies {
    bool da1;                    /* CSI ? ... c arrived: the sentinel */
    bool da1_sixel;              /* DA1 lists attribute 4 */
    char da1_text[48];           /* its parameters, "62;4;22", for reasons */
    bool dsr_ok;                 /* CSI 0 n: the sentinel of a round through tmux passthrough */
    bool kitty_replied;          /* an APC _Gi=31;... reply arrived */
    bool kitty_ok;               /* ... and it said OK */
    char kitty_message[48];      /* "OK", or the error ("EINVAL:...") */
    char version[64];            /* XTVERSION: "kitty(0.35.2)", "XTerm(379)", "tmux 3.3a" */
    int cell_w, cell_h;          /* CSI 6;h;w t (asked with CSI 16 t) */
    int text_w, text_h;          /* CSI 4;h;w t (CSI 14 t): the text area in pixels */
    int rows, cols;              /* CSI 8;rows;cols t (CSI 18 t) */
    int sixel_colors;            /* CSI ? 1;0;n S */
    int sixel_max_w, sixel_max_h;/* CSI ? 2;0;w;h S */
    size_t ignored;              /* bytes that were not a reply we know: key presses, noise */
    /* The scanner's state between calls (private): replies may be split anywhere. */
    struct {
        int state;
        size_t len;              /* bytes kept in seq */
        size_t total;            /* bytes of the sequence so far, introducer included */
        char seq[EA_TERM_SEQ_MAX];
    } scan;
} ea_term_replies;

void ea_term_replies_init(ea_term_replies *r);
/* Feeds n more bytes. Calling it once with all bytes or many times with any split of them gives
 * the same result. Key presses and unknown sequences in between are counted and skipped. */
void ea_term_parse_replies(const char *bytes, size_t n, ea_term_replies *r);

/* ---- The decision (pure: replies + environment -> caps) ---- */

enum ea_term_cell_source {
    EA_CELL_DEFAULT = 0, /* 8x16 */
    EA_CELL_CSI16,       /* the terminal's CSI 16 t reply */
    EA_CELL_CSI14,       /* the CSI 14 t text area divided by columns and rows */
    EA_CELL_IOCTL,       /* TIOCGWINSZ's ws_xpixel/ws_ypixel divided by columns and rows */
    EA_CELL_GIVEN,       /* set by the caller (easel show --cell) */
};

typedef struct ea_term_caps {
    enum ea_gfx_protocol protocol;
    bool kitty_placeholders;     /* kitty through tmux: upload with U=1, draw U+10EEEE cells */
    bool tmux_passthrough;       /* wrap graphics in ESC Ptmux; ... ESC \ (every ESC doubled) */
    bool in_tmux, in_screen, over_ssh;
    bool truecolor;              /* COLORTERM says truecolor/24bit: blocks may use 24-bit colour */
    bool asked;                  /* queries were sent (false: not a terminal, background...) */
    bool answered;               /* the sentinel arrived in time */
    int cell_w, cell_h;
    enum ea_term_cell_source cell_source;
    int cols, rows;
    int sixel_colors;            /* 0 when not reported */
    int sixel_max_w, sixel_max_h;
    char terminal[64];           /* XTVERSION, else from the environment ("TERM=xterm-256color") */
    char outer[64];              /* inside tmux: the outer terminal's XTVERSION, or "" */
    char tmux_allow_passthrough[8]; /* "on", "off", "all", or "" when tmux was not asked */
    char reason[256];            /* "sixel: DA1 lists 4 (XTerm(379))" */
    char note[256];              /* a second line for doctor (an override's detected value...) */
    int ms_waited;
} ea_term_caps;

/* Looks a variable up: getenv, or a table in tests. */
typedef const char *(*ea_term_getenv_fn)(const char *name);
const char *ea_term_process_env(const char *name); /* getenv, with that type */

/* Everything detection learned, for ea_term_decide. */
typedef struct ea_term_probe {
    bool asked;                  /* queries were sent to the terminal */
    const char *not_asked;       /* why not, when !asked: "not a terminal" */
    char cannot[96];             /* not_asked's text when TERM cannot (ea_term_cannot) */
    ea_term_replies direct;      /* the terminal, or tmux itself inside tmux */
    bool asked_outer;            /* inside tmux: queries went through passthrough */
    ea_term_replies outer;       /* the outer terminal's replies through passthrough */
    int timeout_ms, ms_waited;
    int ws_col, ws_row, ws_xpixel, ws_ypixel; /* TIOCGWINSZ, zeros when unknown */
    char tmux_allow_passthrough[8];
} ea_term_probe;

void ea_term_probe_init(ea_term_probe *p);

/* Sets every field of caps from what was learned. getenv_fn NULL means getenv. Environment
 * variables only break ties: a reply always wins over them. */
void ea_term_decide(const ea_term_probe *p, ea_term_getenv_fn getenv_fn, ea_term_caps *caps);

/* Sets cols, rows, cell_w, cell_h and cell_source from the probe: CSI 16 t (the outer terminal's
 * first inside tmux), then CSI 14 t over the cell count, then TIOCGWINSZ, then 8x16. Reads
 * caps->in_tmux, where tmux's made-up 16x32 cells count as unknown. */
void ea_term_pick_cell_size(const ea_term_probe *p, ea_term_caps *caps);

/* True when the terminal named by an XTVERSION reply draws kitty's Unicode placeholders
 * (U=1): kitty 0.28 and later, and Ghostty. Older kitty refuses the whole command. */
bool ea_term_has_kitty_placeholders(const char *xtversion);

/* ---- Terminals that cannot ---- */

/* Whether a terminal type has cursor addressing, as its terminfo entry says: -1 when terminfo
 * does not know the type (then easel cannot tell, and assumes it can), 0 when the entry lacks
 * it (a hard-copy or generic type), 1 when it has it. The lookup needs curses, which only
 * src/ui may use: the workbench registers it (ea_term_use_terminfo) before any command runs. */
typedef int (*ea_term_terminfo_fn)(const char *term);
void ea_term_use_terminfo(ea_term_terminfo_fn addressing);

/* NULL when the terminal named by TERM takes escape sequences; otherwise why not, for a
 * message ("TERM is not set", "TERM=dumb", "TERM=X has no cursor addressing"), written to why.
 * Such a terminal gets no queries, no pictures, no SGR colour and no progress line from any
 * command, and the workbench does not start. getenv_fn NULL means getenv. */
const char *ea_term_cannot(ea_term_getenv_fn getenv_fn, char *why, size_t size);
/* fd is a terminal and TERM can take escape sequences: colour, progress lines and pictures may
 * go there. A pipe or a file never gets them (but `easel show`, whose output is the picture). */
bool ea_term_fd_capable(int fd);

/* ---- Asking the terminal ---- */

typedef struct ea_term_detect_options {
    const char *protocol;        /* --protocol: wins over everything; NULL or "auto" to detect */
    const char *setting;         /* the `graphics` setting; NULL: $EASEL_GRAPHICS */
    const char *setting_source;  /* named in the reason; NULL: "EASEL_GRAPHICS" */
    int timeout_ms;              /* 0: 1000, or 3000 over SSH */
    ea_term_getenv_fn getenv_fn; /* NULL: getenv */
    /* tmux's allow-passthrough ("on"/"off"/"all"); NULL: ask `tmux show` when inside tmux. */
    const char *tmux_allow_passthrough;
} ea_term_detect_options;

void ea_term_detect_options_init(ea_term_detect_options *o);
/* Takes the `graphics` setting (config file or $EASEL_GRAPHICS) from cfg; the strings stay
 * borrowed from cfg. */
void ea_term_detect_options_use_config(ea_term_detect_options *o, const ea_config *cfg);

/* Puts in_fd in raw mode (restored on every path), writes every query at once with DA1 last,
 * reads until DA1's reply or the deadline, then decides. Inside tmux a second round goes
 * through passthrough to the outer terminal. When in_fd or out_fd is not a terminal nothing is
 * written and caps says "not a terminal". caps is always filled; -1 (err set, EA_EXIT_USAGE)
 * only when opt->protocol or the setting is not a protocol name: caps then holds what was
 * detected. opt may be NULL. */
int ea_term_detect(int in_fd, int out_fd, const ea_term_detect_options *opt, ea_term_caps *caps,
                   ea_err *err);

/* After a resize (SIGWINCH, font zoom): columns and rows again, and the cell size by CSI 16 t
 * (through passthrough inside tmux) with a short wait, then TIOCGWINSZ, then the default.
 * Call it only while nothing else reads in_fd (before curses, or with curses' input paused):
 * bytes that are not replies are lost. 0, or -1 when in_fd is not a terminal (caps keeps the
 * columns and rows TIOCGWINSZ gave, if any). */
int ea_term_requery_cell_size(int in_fd, int out_fd, ea_term_caps *caps, int timeout_ms);

/* Writes n bytes to out_fd, then asks for the terminal's status (CSI 5 n) and waits, in raw
 * mode restored on every path, at most timeout_ms for its answer on in_fd: a multiplexer
 * answers only once it has handled every byte before the question, and has told the terminal
 * outside it what they did (tmux scrolls a pane, and moves the terminal's cursor to the
 * pane's, only then). Only the bytes are written when in_fd or out_fd is not a terminal or
 * easel is not in its foreground. 1 when the answer came, 0 when it did not, -1 when the
 * write failed. Bytes that are not the answer (keys typed meanwhile) are lost. */
int ea_term_sync(int in_fd, int out_fd, const void *bytes, size_t n, int timeout_ms);

/* "CSI 16 t", "CSI 14 t", "TIOCGWINSZ", "default", "given". */
const char *ea_term_cell_source_name(enum ea_term_cell_source s);

/* Text lines for `easel doctor`: "  protocol    kitty (kitty: graphics query answered OK)\n"...
 * Each line starts with indent. Returns the length written (truncated to size like snprintf). */
size_t ea_term_caps_describe(const ea_term_caps *caps, const char *indent, char *out, size_t size);

/* Starts `tmux ARGS...` (argv[0] "tmux") with stdin and stderr on /dev/null and stdout on a
 * pipe whose reading end (close-on-exec) goes to *out_fd; the caller reads it and reaps the
 * child. Its pid, or -1. */
pid_t ea_term_spawn_tmux(char *const argv[], int *out_fd);

#endif
