/* SPDX-License-Identifier: MIT */
/* term_decide: from what the terminal answered (and, to break ties, the environment) to the
 * protocol, the cell size and a reason a person can check. Pure: no tty, no clock. */
#include "easel/term.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ea_term_probe_init(ea_term_probe *p)
{
    memset(p, 0, sizeof *p);
    ea_term_replies_init(&p->direct);
    ea_term_replies_init(&p->outer);
}

const char *ea_term_process_env(const char *name)
{
    return getenv(name);
}

static const char *env(ea_term_getenv_fn g, const char *name)
{
    const char *v = g(name);
    return v && *v ? v : NULL;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* XTVERSION names a terminal that draws OSC 1337 images (and may not answer the kitty query). */
static bool version_is_iterm(const char *v)
{
    return starts_with(v, "iTerm2") || starts_with(v, "WezTerm");
}

bool ea_term_has_kitty_placeholders(const char *v)
{
    int major, minor;
    if (starts_with(v, "ghostty"))
        return true;
    return sscanf(v, "kitty(%d.%d", &major, &minor) == 2 &&
           (major > 0 || (major == 0 && minor >= 28));
}

/* A terminal's brand from the environment: only a hint, since ssh and tmux drop or rewrite
 * most of these (terminal-graphics.md 1.3). Writes "NAME=value" into why. */
static bool env_hint(ea_term_getenv_fn g, enum ea_gfx_protocol *proto, char *why, size_t size)
{
    static const struct {
        const char *name, *value; /* value NULL: being set is enough; "x*": a prefix */
        enum ea_gfx_protocol proto;
    } hints[] = {
        {"TERM", "xterm-kitty", EA_GFX_KITTY},
        {"TERM", "xterm-ghostty", EA_GFX_KITTY},
        {"KITTY_WINDOW_ID", NULL, EA_GFX_KITTY},
        {"GHOSTTY_RESOURCES_DIR", NULL, EA_GFX_KITTY},
        {"TERM_PROGRAM", "ghostty", EA_GFX_KITTY},
        {"TERM_PROGRAM", "iTerm.app", EA_GFX_ITERM},
        {"LC_TERMINAL", "iTerm2", EA_GFX_ITERM}, /* survives ssh: configs forward LC_* */
        {"ITERM_SESSION_ID", NULL, EA_GFX_ITERM},
        {"TERM_PROGRAM", "WezTerm", EA_GFX_ITERM},
        {"WEZTERM_EXECUTABLE", NULL, EA_GFX_ITERM},
        {"TERM", "foot*", EA_GFX_SIXEL},
        {"TERM", "mlterm*", EA_GFX_SIXEL},
        {"TERMINAL_NAME", "contour", EA_GFX_SIXEL},
    };
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        const char *v = env(g, hints[i].name);
        if (!v)
            continue;
        const char *want = hints[i].value;
        bool match = !want;
        if (want) {
            size_t n = strlen(want);
            match = want[n - 1] == '*' ? strncmp(v, want, n - 1) == 0 : strcmp(v, want) == 0;
        }
        if (match) {
            *proto = hints[i].proto;
            snprintf(why, size, "%s=%.40s", hints[i].name, v);
            return true;
        }
    }
    return false;
}

/* A cell size worth believing: not zero, roughly taller than wide, and no bigger than a large
 * font on an 8K screen draws (about 60x120 at 4x scaling; 200x400 leaves room). A 500x1000
 * reply would make every picture as big as the cap allows. */
static bool plausible_cell(int w, int h)
{
    return w >= 2 && h >= 2 && w <= 200 && h <= 400 && 3 * w <= 4 * h && h <= 4 * w;
}

/* tmux makes up 16x32 pixel cells when it does not know the client's (terminal-graphics.md
 * 1.4), so inside tmux that exact size means "unknown". */
static bool usable_cell(int w, int h, bool in_tmux)
{
    return plausible_cell(w, h) && !(in_tmux && w == 16 && h == 32);
}

void ea_term_pick_cell_size(const ea_term_probe *p, ea_term_caps *c)
{
    const ea_term_replies *d = &p->direct;
    c->cols = 80;
    c->rows = 24;
    if (p->ws_col > 0 && p->ws_row > 0) {
        c->cols = p->ws_col;
        c->rows = p->ws_row;
    } else if (!c->in_tmux && d->cols > 0 && d->rows > 0) {
        /* tmux 3.3a answers CSI 18 t with columns and rows swapped: only the kernel there. */
        c->cols = d->cols;
        c->rows = d->rows;
    }

    struct {
        int w, h;
        enum ea_term_cell_source src;
    } tries[] = {
        /* The outer terminal knows its font; tmux only relays what it was told. */
        {p->asked_outer ? p->outer.cell_w : 0, p->asked_outer ? p->outer.cell_h : 0, EA_CELL_CSI16},
        {d->cell_w, d->cell_h, EA_CELL_CSI16},
        {d->text_w / c->cols, d->text_h / c->rows, EA_CELL_CSI14},
        {p->ws_col > 0 ? p->ws_xpixel / p->ws_col : 0, p->ws_row > 0 ? p->ws_ypixel / p->ws_row : 0,
         EA_CELL_IOCTL},
    };
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
        if (usable_cell(tries[i].w, tries[i].h, c->in_tmux)) {
            c->cell_w = tries[i].w;
            c->cell_h = tries[i].h;
            c->cell_source = tries[i].src;
            return;
        }
    c->cell_w = EA_TERM_DEFAULT_CELL_W;
    c->cell_h = EA_TERM_DEFAULT_CELL_H;
    c->cell_source = EA_CELL_DEFAULT;
}

static void take_sixel_limits(ea_term_caps *c, const ea_term_replies *r)
{
    c->sixel_colors = r->sixel_colors;
    c->sixel_max_w = r->sixel_max_w;
    c->sixel_max_h = r->sixel_max_h;
}

/* The terminal itself, no multiplexer in between. */
static void decide_direct(const ea_term_probe *p, ea_term_getenv_fn g, ea_term_caps *c)
{
    const ea_term_replies *r = &p->direct;
    const char *name = c->terminal;
    enum ea_gfx_protocol hint;
    char why[64];

    if (r->kitty_ok) {
        c->protocol = EA_GFX_KITTY;
        snprintf(c->reason, sizeof c->reason, "kitty: graphics query answered OK (%s)", name);
    } else if (version_is_iterm(r->version)) {
        c->protocol = EA_GFX_ITERM;
        snprintf(c->reason, sizeof c->reason, "iterm: XTVERSION says %s", r->version);
    } else if (r->da1_sixel) {
        c->protocol = EA_GFX_SIXEL;
        take_sixel_limits(c, r);
        snprintf(c->reason, sizeof c->reason, "sixel: DA1 lists 4 (%s)", name);
    } else if (!r->da1) {
        /* Silence proves nothing (a slow link, a terminal that ignores DA1): the environment
         * is all there is. */
        if (env_hint(g, &hint, why, sizeof why)) {
            c->protocol = hint;
            snprintf(c->reason, sizeof c->reason, "%s: no reply within %d ms; %s",
                     ea_gfx_protocol_name(hint), p->timeout_ms, why);
        } else {
            c->protocol = EA_GFX_BLOCKS;
            snprintf(c->reason, sizeof c->reason, "blocks: no reply within %d ms", p->timeout_ms);
        }
    } else if (env_hint(g, &hint, why, sizeof why) && hint == EA_GFX_ITERM) {
        /* iTerm2 before 3.5 answers neither XTVERSION nor anything else that names it. */
        c->protocol = EA_GFX_ITERM;
        snprintf(c->reason, sizeof c->reason, "iterm: %s (the replies name no protocol)", why);
    } else {
        c->protocol = EA_GFX_BLOCKS;
        snprintf(c->reason, sizeof c->reason,
                 "blocks: DA1 (%s) lists no 4 and the kitty query %s (%s)", r->da1_text,
                 r->kitty_replied ? "failed" : "went unanswered", name);
    }
}

/* Inside tmux: the outer terminal was asked through passthrough (when tmux allows it). */
static void decide_tmux(const ea_term_probe *p, ea_term_getenv_fn g, ea_term_caps *c)
{
    const ea_term_replies *t = &p->direct, *o = p->asked_outer ? &p->outer : NULL;
    const char *tmux = t->version[0] ? t->version : "tmux";
    bool off = strcmp(p->tmux_allow_passthrough, "off") == 0;
    enum ea_gfx_protocol hint;
    char why[64];

    if (o && o->kitty_ok && ea_term_has_kitty_placeholders(o->version)) {
        /* Placeholders are text in tmux's grid: they scroll, clip and vanish with the pane. */
        c->protocol = EA_GFX_KITTY;
        c->kitty_placeholders = true;
        c->tmux_passthrough = true;
        snprintf(c->reason, sizeof c->reason,
                 "kitty: Unicode placeholders through %s (the outer terminal, %s, answered the "
                 "graphics query OK)",
                 tmux, o->version);
    } else if (o && o->kitty_ok) {
        /* Without placeholders the picture is placed over tmux's grid: it shows, but tmux
         * does not know it is there and a pane redraw can cover it. */
        c->protocol = EA_GFX_KITTY;
        c->tmux_passthrough = true;
        snprintf(c->reason, sizeof c->reason,
                 "kitty: placed through %.24s passthrough (%.40s has no Unicode placeholders "
                 "before kitty 0.28)",
                 tmux, o->version[0] ? o->version : "unnamed");
    } else if (t->da1_sixel) {
        /* tmux >= 3.4 built with sixel keeps the image in its own grid and redraws it. */
        c->protocol = EA_GFX_SIXEL;
        take_sixel_limits(c, t);
        snprintf(c->reason, sizeof c->reason, "sixel: %s draws sixel itself (its DA1 lists 4)",
                 tmux);
    } else if (o && version_is_iterm(o->version)) {
        c->protocol = EA_GFX_ITERM;
        c->tmux_passthrough = true;
        snprintf(c->reason, sizeof c->reason, "iterm: through %s passthrough (XTVERSION says %s)",
                 tmux, o->version);
    } else if (o && (o->da1_sixel || o->sixel_colors > 0)) {
        c->protocol = EA_GFX_SIXEL;
        c->tmux_passthrough = true;
        take_sixel_limits(c, o);
        snprintf(c->reason, sizeof c->reason,
                 "sixel: through %s passthrough (the outer terminal reports sixel); tmux redraws "
                 "erase it",
                 tmux);
    } else if (o && o->dsr_ok && env_hint(g, &hint, why, sizeof why) && hint == EA_GFX_ITERM) {
        c->protocol = EA_GFX_ITERM;
        c->tmux_passthrough = true;
        snprintf(c->reason, sizeof c->reason, "iterm: through %s passthrough; %s", tmux, why);
    } else if (off) {
        c->protocol = EA_GFX_BLOCKS;
        snprintf(c->reason, sizeof c->reason,
                 "blocks: %s has no sixel and its allow-passthrough is off, so the outer terminal "
                 "cannot be reached",
                 tmux);
        if (env_hint(g, &hint, why, sizeof why))
            snprintf(c->note, sizeof c->note,
                     "%s suggests %s: `tmux set -g allow-passthrough on` would let easel use it",
                     why, ea_gfx_protocol_name(hint));
    } else if (o && !o->dsr_ok) {
        c->protocol = EA_GFX_BLOCKS;
        snprintf(c->reason, sizeof c->reason,
                 "blocks: %s has no sixel and no reply came through its passthrough within %d ms",
                 tmux, p->timeout_ms);
    } else {
        c->protocol = EA_GFX_BLOCKS;
        snprintf(c->reason, sizeof c->reason,
                 "blocks: neither %s nor the outer terminal (%s) offers graphics", tmux,
                 o && o->version[0] ? o->version : "unnamed");
    }
}

void ea_term_decide(const ea_term_probe *p, ea_term_getenv_fn g, ea_term_caps *c)
{
    if (!g)
        g = ea_term_process_env;
    memset(c, 0, sizeof *c);
    c->protocol = EA_GFX_BLOCKS;
    c->asked = p->asked;
    c->answered = p->direct.da1;
    c->ms_waited = p->ms_waited;
    snprintf(c->tmux_allow_passthrough, sizeof c->tmux_allow_passthrough, "%s",
             p->tmux_allow_passthrough);

    const char *term = env(g, "TERM");
    const char *colorterm = env(g, "COLORTERM");
    c->over_ssh = env(g, "SSH_CONNECTION") || env(g, "SSH_TTY") || env(g, "SSH_CLIENT");
    c->truecolor = colorterm && (strcmp(colorterm, "truecolor") == 0 ||
                                 strcmp(colorterm, "24bit") == 0);
    /* tmux also shows itself by its XTVERSION, e.g. after ssh from inside a tmux pane. */
    c->in_tmux = env(g, "TMUX") || starts_with(term, "tmux") ||
                 starts_with(p->direct.version, "tmux");
    c->in_screen = !c->in_tmux && (env(g, "STY") || starts_with(term, "screen"));

    if (p->direct.version[0])
        snprintf(c->terminal, sizeof c->terminal, "%s", p->direct.version);
    else if (env(g, "TERM_PROGRAM"))
        snprintf(c->terminal, sizeof c->terminal, "%.30s %.20s", env(g, "TERM_PROGRAM"),
                 env(g, "TERM_PROGRAM_VERSION") ? env(g, "TERM_PROGRAM_VERSION") : "");
    else
        snprintf(c->terminal, sizeof c->terminal, "TERM=%.50s", term ? term : "");
    size_t tl = strlen(c->terminal);
    if (tl && c->terminal[tl - 1] == ' ')
        c->terminal[tl - 1] = '\0';
    if (p->asked_outer)
        snprintf(c->outer, sizeof c->outer, "%s", p->outer.version);

    ea_term_pick_cell_size(p, c);

    if (!p->asked)
        snprintf(c->reason, sizeof c->reason, "blocks: %s",
                 p->not_asked ? p->not_asked : "the terminal was not asked");
    else if (c->in_screen)
        snprintf(c->reason, sizeof c->reason, "blocks: GNU screen has no graphics (%s)",
                 env(g, "STY") ? "STY is set" : "TERM=screen*");
    else if (c->in_tmux)
        decide_tmux(p, g, c);
    else
        decide_direct(p, g, c);
}
