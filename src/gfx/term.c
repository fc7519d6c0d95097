/* SPDX-License-Identifier: MIT */
/* term: asks the terminal what it can draw. One write of every query with DA1 last (terminals
 * answer in order, so DA1's reply means "nothing more is coming"), then a read with a deadline
 * in raw mode, restored on every path. The bytes go to term_reply.c, the choice to term_decide.c. */
#include "easel/term.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "easel/paths.h"

extern char **environ;

/* The queries (terminal-graphics.md 1.1). */
#define Q_CELL "\033[16t"                       /* -> CSI 6;h;w t */
#define Q_TEXT "\033[14t\033[18t"               /* -> CSI 4;h;w t, CSI 8;rows;cols t */
#define Q_SIXEL "\033[?1;1;0S\033[?2;1;0S"      /* -> CSI ?1;0;colours S, CSI ?2;0;w;h S */
#define Q_KITTY "\033_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\033\\" /* -> APC Gi=31;OK ST */
#define Q_VERSION "\033[>0q"                    /* -> DCS >|name ST */
#define Q_DA1 "\033[c"                          /* -> CSI ?62;...;4;...c: the sentinel */
/* Through tmux passthrough the outer terminal's DA1 reply is swallowed by tmux (which takes it
 * for an answer to its own question), while DSR's "CSI 0 n" reaches the pane: so it ends the
 * round there. Measured with tmux 3.3a. */
#define Q_DSR "\033[5n"

/* Straight to the terminal. Under tmux or GNU screen no kitty query: both take an APC string
 * for the window title. */
static const char QUERIES[] = Q_CELL Q_TEXT Q_SIXEL Q_KITTY Q_VERSION Q_DA1;
static const char QUERIES_MUX[] = Q_CELL Q_TEXT Q_SIXEL Q_VERSION Q_DA1;
/* To a kitty by its environment: no sixel question, which kitty cannot answer and logs as a
 * parse error. */
static const char QUERIES_KITTY[] = Q_CELL Q_TEXT Q_KITTY Q_VERSION Q_DA1;
/* To the terminal outside tmux, wrapped once in passthrough. */
static const char QUERIES_OUTER[] = Q_CELL Q_KITTY Q_VERSION Q_SIXEL Q_DA1 Q_DSR;
static const char REQUERY[] = Q_CELL Q_DA1;
static const char REQUERY_OUTER[] = Q_CELL Q_DSR;

void ea_term_detect_options_init(ea_term_detect_options *o)
{
    memset(o, 0, sizeof *o);
}

void ea_term_detect_options_use_config(ea_term_detect_options *o, const ea_config *cfg)
{
    o->setting = ea_config_get(cfg, EA_CFG_GRAPHICS);
    if (o->setting)
        o->setting_source = ea_config_source_of(cfg, EA_CFG_GRAPHICS) == EA_SRC_FILE
                                ? "the config's graphics key"
                                : "EASEL_GRAPHICS";
}

const char *ea_term_cell_source_name(enum ea_term_cell_source s)
{
    switch (s) {
    case EA_CELL_CSI16: return "CSI 16 t";
    case EA_CELL_CSI14: return "CSI 14 t";
    case EA_CELL_IOCTL: return "TIOCGWINSZ";
    case EA_CELL_GIVEN: return "given";
    case EA_CELL_DEFAULT: break;
    }
    return "default";
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *env_or_null(ea_term_getenv_fn g, const char *name)
{
    const char *v = g(name);
    return v && *v ? v : NULL;
}

/* ---- Raw mode, entered and left as a pair ---- */

typedef struct raw_tty {
    int fd;
    struct termios saved;
    sigset_t saved_mask;
} raw_tty;

/* No echo, no line editing, no signals from the keyboard, reads that never block (we poll).
 * Signals that could end the process are held until raw_end, so that no path leaves the
 * terminal raw: a kill during the wait is delivered once the terminal is restored. */
static int raw_begin(raw_tty *t, int fd)
{
    t->fd = fd;
    if (tcgetattr(fd, &t->saved) != 0)
        return -1;
    sigset_t hold;
    sigemptyset(&hold);
    sigaddset(&hold, SIGINT);
    sigaddset(&hold, SIGTERM);
    sigaddset(&hold, SIGHUP);
    sigaddset(&hold, SIGQUIT);
    sigaddset(&hold, SIGTSTP);
    pthread_sigmask(SIG_BLOCK, &hold, &t->saved_mask);

    struct termios raw = t->saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(fd, TCSANOW, &raw) != 0) {
        pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
        return -1;
    }
    return 0;
}

/* late_replies: the deadline passed, so replies may still be on their way; dropping what has
 * arrived keeps most of them out of the next reader (curses would see them as keys). */
static void raw_end(raw_tty *t, bool late_replies)
{
    while (tcsetattr(t->fd, late_replies ? TCSAFLUSH : TCSANOW, &t->saved) != 0 && errno == EINTR)
        ;
    pthread_sigmask(SIG_SETMASK, &t->saved_mask, NULL);
}

/* ---- One round: write the queries, read until the sentinel or the deadline ---- */

enum sentinel { BY_DA1, BY_DSR };

static bool round_done(const ea_term_replies *r, enum sentinel s)
{
    return s == BY_DA1 ? r->da1 : r->dsr_ok;
}

/* ESC Ptmux; + the bytes with every ESC doubled + ESC \ (terminal-graphics.md 4). */
static size_t tmux_wrap(const char *in, size_t n, char *out, size_t size)
{
    size_t j = (size_t)snprintf(out, size, "\033Ptmux;");
    for (size_t i = 0; i < n && j + 4 < size; i++) {
        if (in[i] == '\033')
            out[j++] = '\033';
        out[j++] = in[i];
    }
    out[j++] = '\033';
    out[j++] = '\\';
    return j;
}

/* 1 when the sentinel arrived, 0 at the deadline, -1 when the terminal went away. */
static int ask(int in_fd, int out_fd, const char *q, size_t n, bool wrap, enum sentinel s,
               long deadline, ea_term_replies *r)
{
    char wrapped[512];
    if (wrap) {
        n = tmux_wrap(q, n, wrapped, sizeof wrapped);
        q = wrapped;
    }
    /* One write: the queries reach the terminal together and their replies come back as one
     * round trip, which is what makes 1 s enough even over a slow link. */
    if (ea_write_all(out_fd, q, n) != 0)
        return -1;
    char buf[512];
    while (!round_done(r, s)) {
        long left = deadline - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = in_fd, .events = POLLIN};
        int ready = poll(&pfd, 1, (int)left);
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready < 0)
            return -1;
        if (ready == 0)
            return 0;
        ssize_t got = read(in_fd, buf, sizeof buf);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) /* hangup: a readable fd with nothing to read */
            return -1;
        ea_term_parse_replies(buf, (size_t)got, r);
    }
    return 1;
}

static void read_winsize(int fd, ea_term_probe *p)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0) {
        p->ws_col = ws.ws_col;
        p->ws_row = ws.ws_row;
        p->ws_xpixel = ws.ws_xpixel;
        p->ws_ypixel = ws.ws_ypixel;
    }
}

/* ---- tmux's allow-passthrough, from `tmux show` ---- */

pid_t ea_term_spawn_tmux(char *const argv[], int *out_fd)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    pid_t pid;
    int rc = posix_spawnp(&pid, "tmux", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    *out_fd = fds[0];
    return pid;
}

/* Runs `tmux show -Apv [-t PANE] allow-passthrough` (the pane's value, inherited or not) and
 * writes its first word into out, or "" when tmux cannot tell within timeout_ms. */
static void ask_tmux_passthrough(ea_term_getenv_fn g, int timeout_ms, char *out, size_t size)
{
    out[0] = '\0';
    const char *pane = env_or_null(g, "TMUX_PANE");
    char *argv[8];
    int argc = 0;
    argv[argc++] = "tmux";
    argv[argc++] = "show";
    argv[argc++] = "-Apv";
    if (pane) {
        argv[argc++] = "-t";
        argv[argc++] = (char *)pane;
    }
    argv[argc++] = "allow-passthrough";
    argv[argc] = NULL;

    int fds[2];
    pid_t pid = ea_term_spawn_tmux(argv, &fds[0]);
    if (pid < 0)
        return;

    char text[64];
    size_t len = 0;
    long deadline = now_ms() + timeout_ms;
    for (;;) {
        long left = deadline - now_ms();
        struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) == 0) {
            kill(pid, SIGKILL); /* a wedged tmux server must not hold easel up */
            len = 0;
            break;
        }
        ssize_t got = read(fds[0], text + len, sizeof text - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break; /* end of its output */
        len += (size_t)got;
        if (len == sizeof text - 1)
            break; /* more than a value: not the answer we asked for */
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    text[len] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return;
    text[strcspn(text, " \t\r\n")] = '\0';
    if (strcmp(text, "on") == 0 || strcmp(text, "off") == 0 || strcmp(text, "all") == 0)
        snprintf(out, size, "%.7s", text);
}

/* ---- Terminals that cannot ---- */

static ea_term_terminfo_fn terminfo_addressing;

void ea_term_use_terminfo(ea_term_terminfo_fn addressing)
{
    terminfo_addressing = addressing;
}

const char *ea_term_cannot(ea_term_getenv_fn g, char *why, size_t size)
{
    const char *term = (g ? g : ea_term_process_env)("TERM");
    if (!term || !*term)
        snprintf(why, size, "TERM is not set");
    else if (strcmp(term, "dumb") == 0)
        snprintf(why, size, "TERM=dumb");
    else if (terminfo_addressing && terminfo_addressing(term) == 0)
        snprintf(why, size, "TERM=%.60s has no cursor addressing", term);
    else
        return NULL;
    return why;
}

bool ea_term_fd_capable(int fd)
{
    char why[96];
    return isatty(fd) && !ea_term_cannot(NULL, why, sizeof why);
}

/* ---- Detection ---- */

/* A multiplexer may sit in front of the terminal: TMUX, STY, or its TERM. */
static bool mux_suspected(ea_term_getenv_fn g)
{
    const char *term = env_or_null(g, "TERM");
    return env_or_null(g, "TMUX") || env_or_null(g, "STY") ||
           (term && (strncmp(term, "tmux", 4) == 0 || strncmp(term, "screen", 6) == 0));
}

/* Fills p by asking the terminal. Never fails: what went wrong becomes p->not_asked or an
 * unanswered round, and ea_term_decide turns that into a reason. */
static void probe_terminal(int in_fd, int out_fd, const ea_term_detect_options *o,
                           ea_term_getenv_fn g, ea_term_probe *p)
{
    bool ssh = env_or_null(g, "SSH_CONNECTION") || env_or_null(g, "SSH_TTY") ||
               env_or_null(g, "SSH_CLIENT");
    p->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms
                                      : ssh ? EA_TERM_SSH_TIMEOUT_MS : EA_TERM_TIMEOUT_MS;
    if (!isatty(in_fd) || !isatty(out_fd)) {
        p->not_asked = "not a terminal";
        return;
    }
    if (ea_term_cannot(g, p->cannot, sizeof p->cannot)) {
        p->not_asked = p->cannot;
        return;
    }
    read_winsize(out_fd, p);
    /* A background job that touched the terminal would be stopped by SIGTTOU/SIGTTIN. */
    pid_t fg = tcgetpgrp(in_fd);
    if (fg != -1 && fg != getpgrp()) {
        p->not_asked = "not in the terminal's foreground";
        return;
    }
    raw_tty raw;
    if (raw_begin(&raw, in_fd) != 0) {
        p->not_asked = "the terminal refused raw mode";
        return;
    }
    p->asked = true;
    long start = now_ms(), deadline = start + p->timeout_ms;
    bool mux = mux_suspected(g);
    const char *term = env_or_null(g, "TERM");
    bool kitty = !mux && (env_or_null(g, "KITTY_WINDOW_ID") || (term && strcmp(term, "xterm-kitty") == 0));
    const char *q = mux ? QUERIES_MUX : kitty ? QUERIES_KITTY : QUERIES;
    size_t qn = mux ? sizeof QUERIES_MUX - 1 : kitty ? sizeof QUERIES_KITTY - 1 : sizeof QUERIES - 1;
    int got = ask(in_fd, out_fd, q, qn, false, BY_DA1, deadline, &p->direct);

    /* Inside tmux, ask the terminal outside it too, unless tmux would drop the question. */
    bool tmux = env_or_null(g, "TMUX") || strncmp(p->direct.version, "tmux", 4) == 0;
    if (tmux && got == 1) {
        if (o->tmux_allow_passthrough)
            snprintf(p->tmux_allow_passthrough, sizeof p->tmux_allow_passthrough, "%s",
                     o->tmux_allow_passthrough);
        else if (env_or_null(g, "TMUX"))
            ask_tmux_passthrough(g, (int)(deadline - now_ms()), p->tmux_allow_passthrough,
                                 sizeof p->tmux_allow_passthrough);
        if (strcmp(p->tmux_allow_passthrough, "off") != 0) {
            p->asked_outer = true;
            got = ask(in_fd, out_fd, QUERIES_OUTER, sizeof QUERIES_OUTER - 1, true, BY_DSR,
                      deadline, &p->outer);
        }
    }
    p->ms_waited = (int)(now_ms() - start);
    raw_end(&raw, got != 1);
}

/* --protocol, else the `graphics` setting: replaces the detected protocol but keeps what was
 * detected in caps->note. */
static int apply_override(const ea_term_detect_options *o, ea_term_getenv_fn g,
                          const ea_term_probe *p, ea_term_caps *c, ea_err *err)
{
    const char *value = o->protocol, *source = "--protocol";
    if (!value) {
        value = o->setting ? o->setting : env_or_null(g, "EASEL_GRAPHICS");
        source = o->setting_source ? o->setting_source : "EASEL_GRAPHICS";
    }
    if (!value || !*value || strcmp(value, "auto") == 0)
        return 0;
    enum ea_gfx_protocol proto;
    if (ea_gfx_protocol_parse(value, &proto) != 0)
        return ea_err_set(err, EA_EXIT_USAGE,
                          "%s: '%.40s' is not a graphics protocol (auto, blocks, sixel, kitty, "
                          "iterm)",
                          source, value);
    snprintf(c->note, sizeof c->note, "detected %.240s", c->reason);
    snprintf(c->reason, sizeof c->reason, "%s: set by %s", ea_gfx_protocol_name(proto), source);
    c->protocol = proto;
    /* Inside tmux a forced protocol still has to get through it. */
    bool tmux_sixel = c->in_tmux && p->direct.da1_sixel;
    c->kitty_placeholders = c->in_tmux && proto == EA_GFX_KITTY &&
                            ea_term_has_kitty_placeholders(p->outer.version);
    c->tmux_passthrough = c->in_tmux && (proto == EA_GFX_KITTY || proto == EA_GFX_ITERM ||
                                         (proto == EA_GFX_SIXEL && !tmux_sixel));
    return 0;
}

int ea_term_detect(int in_fd, int out_fd, const ea_term_detect_options *opt, ea_term_caps *caps,
                   ea_err *err)
{
    ea_term_detect_options defaults;
    ea_term_detect_options_init(&defaults);
    const ea_term_detect_options *o = opt ? opt : &defaults;
    ea_term_getenv_fn g = o->getenv_fn ? o->getenv_fn : ea_term_process_env;

    ea_term_probe p;
    ea_term_probe_init(&p);
    probe_terminal(in_fd, out_fd, o, g, &p);
    ea_term_decide(&p, g, caps);
    return apply_override(o, g, &p, caps, err);
}

int ea_term_requery_cell_size(int in_fd, int out_fd, ea_term_caps *caps, int timeout_ms)
{
    ea_term_probe p;
    ea_term_probe_init(&p);
    read_winsize(out_fd, &p);
    raw_tty raw;
    if (!isatty(in_fd) || !isatty(out_fd) || raw_begin(&raw, in_fd) != 0) {
        ea_term_pick_cell_size(&p, caps);
        return -1;
    }
    long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 500);
    int got;
    if (caps->tmux_passthrough) { /* the outer terminal knows its font; tmux may not */
        p.asked_outer = true;
        got = ask(in_fd, out_fd, REQUERY_OUTER, sizeof REQUERY_OUTER - 1, true, BY_DSR, deadline,
                  &p.outer);
    } else {
        got = ask(in_fd, out_fd, REQUERY, sizeof REQUERY - 1, false, BY_DA1, deadline, &p.direct);
    }
    raw_end(&raw, got != 1);
    ea_term_pick_cell_size(&p, caps);
    return 0;
}

int ea_term_sync(int in_fd, int out_fd, const void *bytes, size_t n, int timeout_ms)
{
    pid_t fg = isatty(in_fd) ? tcgetpgrp(in_fd) : -1;
    raw_tty raw;
    /* A background job that touched the terminal's modes would be stopped by SIGTTOU. */
    if (!isatty(out_fd) || fg == -1 || fg != getpgrp() || raw_begin(&raw, in_fd) != 0)
        return ea_write_all(out_fd, bytes, n) == 0 ? 0 : -1;
    int rc = -1;
    if (ea_write_all(out_fd, bytes, n) == 0) {
        ea_term_replies r;
        ea_term_replies_init(&r);
        rc = ask(in_fd, out_fd, Q_DSR, sizeof Q_DSR - 1, false, BY_DSR, now_ms() + timeout_ms,
                 &r) == 1;
    }
    raw_end(&raw, rc != 1);
    return rc;
}

/* ---- For doctor ---- */

/* Appends indent, a label padded to doctor's column, the formatted value and a newline,
 * snprintf-style: *len counts what would have been written, so a short buffer truncates. */
static void __attribute__((format(printf, 6, 7)))
line(char *out, size_t size, size_t *len, const char *indent, const char *label,
     const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    int n = snprintf(out + *len, *len < size ? size - *len : 0, "%s%-18s %s\n", indent, label,
                     text);
    if (n > 0)
        *len += (size_t)n;
}

size_t ea_term_caps_describe(const ea_term_caps *c, const char *in, char *out, size_t size)
{
    size_t len = 0;
    if (size)
        out[0] = '\0';
    line(out, size, &len, in, "protocol", "%s", ea_gfx_protocol_name(c->protocol));
    line(out, size, &len, in, "why", "%s", c->reason);
    if (c->note[0])
        line(out, size, &len, in, "note", "%s", c->note);
    line(out, size, &len, in, "terminal", "%s", c->terminal[0] ? c->terminal : "unknown");
    line(out, size, &len, in, "cells", "%dx%d, each %dx%d pixels (from %s)", c->cols, c->rows,
         c->cell_w, c->cell_h, ea_term_cell_source_name(c->cell_source));
    if (c->in_tmux)
        line(out, size, &len, in, "tmux", "yes: allow-passthrough %s, outer terminal %s%s%s",
             c->tmux_allow_passthrough[0] ? c->tmux_allow_passthrough : "unknown",
             c->outer[0] ? c->outer : "unknown",
             c->tmux_passthrough ? ", graphics through passthrough" : "",
             c->kitty_placeholders ? ", kitty Unicode placeholders" : "");
    else
        line(out, size, &len, in, "tmux", "no");
    line(out, size, &len, in, "screen", "%s",
         c->in_screen ? "yes (no graphics through GNU screen)" : "no");
    line(out, size, &len, in, "ssh", "%s", c->over_ssh ? "yes (a longer wait for replies)" : "no");
    if (c->sixel_colors || c->sixel_max_w)
        line(out, size, &len, in, "sixel", "%d colours, at most %dx%d pixels", c->sixel_colors,
             c->sixel_max_w, c->sixel_max_h);
    line(out, size, &len, in, "colour", "%s", c->truecolor ? "24-bit (COLORTERM)" : "256 colours");
    if (!c->asked)
        line(out, size, &len, in, "waited", "not asked");
    else
        line(out, size, &len, in, "waited", "%d ms (%s)", c->ms_waited,
             c->answered ? "answered" : "no answer before the deadline");
    return len;
}
