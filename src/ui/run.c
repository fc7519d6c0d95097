/* SPDX-License-Identifier: MIT */
/* run: the workbench's one loop. It waits in ea_http_wait with the terminal and a self-pipe as
 * extra fds; signal handlers only set flags and write to the pipe; keys become actions
 * through the one action table; panels marked dirty are drawn and doupdate() runs once a
 * frame. Requests never block it: they live in the same ea_http and report by callbacks. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "easel/err.h"
#include "easel/term.h"
#include "internal.h"

/* How often the status bar's clock ticks while a request runs; idle, the loop sleeps until
 * a key, a signal or the network wakes it (no busy polling). */
#define TICK_MS 200
#define SCRIPT_IDLE_LIMIT_MS 60000
/* A step of the loop longer than this is named in the trace. */
#define SLOW_MS 10.0

static volatile sig_atomic_t got_winch, got_hup, got_term, got_chld;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    switch (sig) {
    case SIGWINCH: got_winch = 1; break;
    case SIGHUP: got_hup = 1; break;
    case SIGCHLD: got_chld = 1; break;
    default: got_term = 1; break;
    }
    if (wake_pipe[1] >= 0 && write(wake_pipe[1], "", 1) < 0) {
        /* the pipe is full: a wakeup is pending already */
    }
    errno = saved;
}

static int signals_start(char *why, size_t why_len)
{
    if (pipe(wake_pipe) != 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(wake_pipe[i], F_SETFL, fcntl(wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    /* Installed before curses starts, so curses leaves SIGWINCH to us. */
    static const int sigs[] = {SIGWINCH, SIGHUP, SIGINT, SIGTERM, SIGCHLD};
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    /* A terminal that went away must not kill us while a paid image is being saved. */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

double ui_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static FILE *trace_file;

bool ui_tracing(void)
{
    return trace_file != NULL;
}

void ui_trace(const char *fmt, ...)
{
    if (!trace_file)
        return;
    fprintf(trace_file, "%.3f ", ui_now_ms());
    va_list ap;
    va_start(ap, fmt);
    vfprintf(trace_file, fmt, ap);
    va_end(ap);
    fputc('\n', trace_file);
}

/* ---- Layout and drawing ------------------------------------------------------------------ */

static const ui_panel_ops *const panel_ops[EA_PANEL_COUNT] = {
    [EA_PANEL_TITLE] = &ui_title_ops,     [EA_PANEL_SESSIONS] = &ui_sessions_ops,
    [EA_PANEL_PREVIEW] = &ui_preview_ops, [EA_PANEL_HISTORY] = &ui_history_ops,
    [EA_PANEL_EDITOR] = &ui_editor_ops,   [EA_PANEL_PARAMS] = &ui_params_ops,
    [EA_PANEL_STATUS] = &ui_status_ops,
};

/* Drawing order; the editor comes last so the terminal's cursor ends up in it. */
static const enum ea_panel_id draw_order[] = {
    EA_PANEL_TITLE, EA_PANEL_SESSIONS, EA_PANEL_PREVIEW, EA_PANEL_HISTORY,
    EA_PANEL_PARAMS, EA_PANEL_STATUS, EA_PANEL_EDITOR,
};
#define N_DRAW (sizeof draw_order / sizeof draw_order[0])

/* Tab order: left to right, top to bottom. */
static const enum ea_panel_id focus_order[] = {
    EA_PANEL_SESSIONS, EA_PANEL_PREVIEW, EA_PANEL_HISTORY, EA_PANEL_EDITOR, EA_PANEL_PARAMS,
};
#define N_FOCUS (sizeof focus_order / sizeof focus_order[0])

static bool visible(const ui_app *app, enum ea_panel_id id)
{
    return app->panels[id].win != NULL;
}

static void relayout(ui_app *app)
{
    ea_layout_compute(COLS, LINES, &app->want, &app->layout);
    ui_detail_layout(app, &app->layout);
    for (int i = 0; i < EA_PANEL_COUNT; i++) {
        ui_panel *p = &app->panels[i];
        p->id = (enum ea_panel_id)i;
        p->ops = panel_ops[i];
        if (p->win)
            delwin(p->win);
        p->win = NULL;
        p->rect = app->layout.panel[i];
        if (ea_rect_visible(&p->rect) && (p->win = newwin(p->rect.h, p->rect.w, p->rect.y, p->rect.x)))
            leaveok(p->win, i != EA_PANEL_EDITOR);
    }
    if (!visible(app, app->focus))
        app->focus = EA_PANEL_EDITOR;
    if (!visible(app, EA_PANEL_PREVIEW))
        ui_picture_hide(app); /* collapsed: its picture goes with it */
    /* Whatever was on the screen before goes: every cell is drawn again. */
    werase(stdscr);
    if (app->layout.too_small)
        mvwaddstr(stdscr, LINES / 2, 1, "easel: the terminal is too small (40x12 at least)");
    wnoutrefresh(stdscr);
    clearok(curscr, TRUE);
    app->relayout = false;
    app->help_dirty = true;
    ui_dirty_all(app);
}

void ui_render(ui_app *app)
{
    static int cursor = -1;
    if (app->hung_up || app->child_pid)
        return;
    /* A picture half written owns the terminal until it ends: text now would land inside
     * its escape sequence. The loop waits for the output to be writable meanwhile. */
    if (ui_picture_busy(app)) {
        ui_picture_flush(app);
        if (ui_picture_busy(app))
            return;
    }
    if (app->relayout)
        relayout(app);
    if (app->params_stale) {
        ui_draft_changed(app); /* the same changes: the prompt, a value, an image */
        ui_params_refresh(app);
    }
    bool any = false;
    for (size_t k = 0; k < N_DRAW; k++) {
        ui_panel *p = &app->panels[draw_order[k]];
        if (!p->win || !p->dirty)
            continue;
        wattrset(p->win, app->theme.attr[UI_NORMAL]);
        wbkgdset(p->win, ' ' | app->theme.attr[UI_NORMAL]);
        werase(p->win);
        p->ops->draw(app, p);
        wnoutrefresh(p->win);
        p->dirty = false;
        any = true;
    }
    if (app->help_open && (any || app->help_dirty)) {
        ui_help_draw(app);
        app->help_dirty = false;
        any = true;
    }
    int want = app->focus == EA_PANEL_EDITOR && !app->help_open && visible(app, EA_PANEL_EDITOR);
    if (want && any)
        wnoutrefresh(app->panels[EA_PANEL_EDITOR].win);
    if (want != cursor) {
        curs_set(want);
        cursor = want;
    }
    if (any) {
        /* A full repaint (resize, C-l, back from the external editor) clears the screen,
         * the picture included: it goes out again. */
        bool repaint = is_cleared(curscr) || is_cleared(newscr);
        doupdate();
        if (repaint)
            ui_picture_invalidate(app);
        if (!app->drawn_once) {
            ui_trace("first-frame");
            app->drawn_once = true;
        }
        if (app->key_due_ms > 0) {
            ui_trace("key latency_ms=%.3f", ui_now_ms() - app->key_due_ms);
            app->key_due_ms = 0;
        }
    }
    /* Raw sequences after doupdate(), never before (see picture.c): curses' output would
     * otherwise land in the middle of them. */
    ui_clipboard_flush(app);
    ui_picture_flush(app);
}

/* ---- Keys and actions -------------------------------------------------------------------- */

/* The focus moves to a panel. The model list is asked for the first time the parameter
 * panel gets it: a workbench that never goes there sends nothing it did not ask for. */
static void focus_on(ui_app *app, enum ea_panel_id id)
{
    app->focus = id;
    if (id == EA_PANEL_PARAMS && !app->models_asked) {
        app->models_asked = true;
        ui_params_models_fetch(app);
    }
}

static void move_focus(ui_app *app, int delta)
{
    size_t at = 0;
    for (size_t i = 0; i < N_FOCUS; i++)
        if (focus_order[i] == app->focus)
            at = i;
    for (size_t step = 1; step <= N_FOCUS; step++) {
        enum ea_panel_id id = focus_order[(at + N_FOCUS + (size_t)delta * step) % N_FOCUS];
        if (visible(app, id)) {
            focus_on(app, id);
            break;
        }
    }
    ui_dirty_all(app);
}

static void toggle(ui_app *app, enum ea_show *want, enum ea_panel_id id)
{
    *want = visible(app, id) ? EA_SHOW_OFF : EA_SHOW_ON;
    app->relayout = true;
    ea_layout probe;
    ea_layout_compute(COLS, LINES, &app->want, &probe);
    if (*want == EA_SHOW_ON && !ea_rect_visible(&probe.panel[id]))
        ui_message(app, true, "no room for the %s panel at %dx%d", panel_ops[id]->title, COLS, LINES);
    else if (*want == EA_SHOW_ON)
        focus_on(app, id);
}

static void request_quit(ui_app *app)
{
    if (ui_running(app) > 0 && !app->quit_armed) {
        app->quit_armed = true;
        ui_dirty(app, EA_PANEL_STATUS);
        return;
    }
    /* Cancelled requests are logged `cancelled`; the loop ends once every on_done ran. */
    for (size_t i = 0; i < app->n_slots; i++)
        if (app->slots[i]->turn && !app->slots[i]->turn_done)
            ea_turn_cancel(app->slots[i]->turn);
    app->quitting = true;
}

static bool global_action(ui_app *app, enum ea_action a)
{
    switch (a) {
    case EA_ACT_QUIT: request_quit(app); return true;
    case EA_ACT_HELP:
        app->help_open = true;
        app->help_top = 0;
        app->help_dirty = true;
        ui_dirty_all(app);
        return true;
    case EA_ACT_FOCUS_NEXT: move_focus(app, +1); return true;
    case EA_ACT_FOCUS_PREV: move_focus(app, -1); return true;
    case EA_ACT_CANCEL: ui_cancel(app); return true;
    case EA_ACT_NEW_SESSION: ui_new_session(app); return true;
    case EA_ACT_NEXT_SESSION:
        ui_switch_session(app, (app->cur + 1) % app->n_slots);
        return true;
    case EA_ACT_PREV_SESSION:
        ui_switch_session(app, (app->cur + app->n_slots - 1) % app->n_slots);
        return true;
    case EA_ACT_TOGGLE_SESSIONS: toggle(app, &app->want.sessions, EA_PANEL_SESSIONS); return true;
    case EA_ACT_TOGGLE_PARAMS: toggle(app, &app->want.params, EA_PANEL_PARAMS); return true;
    case EA_ACT_TOGGLE_HISTORY: toggle(app, &app->want.history, EA_PANEL_HISTORY); return true;
    case EA_ACT_REDRAW: app->relayout = true; return true;
    default: return false;
    }
}

/* A one-line input takes every key until Enter or Esc: a question on the status bar, the
 * prompt search, a parameter's value. */
static bool typing_line(const ui_app *app)
{
    return app->ask_done || app->searching || app->param_editing || app->filtering;
}

static bool line_key(ui_app *app, ea_key k)
{
    if (app->ask_done)
        ui_ask_key(app, k);
    else if (app->searching)
        ui_editor_search_key(app, k);
    else if (app->param_editing)
        ui_params_edit_key(app, k);
    else if (app->filtering)
        ui_sessions_filter_key(app, k);
    else
        return false;
    return true;
}

void ui_repaint(ui_app *app)
{
    clearok(curscr, TRUE);
    ui_dirty_all(app);
    ui_picture_invalidate(app);
}

void ui_dispatch_key(ui_app *app, ea_key k)
{
    if (k == EA_KEY_FOCUS_IN) {
        /* Back from another tmux window or pane, or a re-attach: tmux redrew the text from
         * its own copy, but not the picture. */
        ui_trace("focus-in");
        ui_repaint(app);
        return;
    }
    if (k == EA_KEY_PASTE_START || k == EA_KEY_PASTE_END) {
        app->pasting = k == EA_KEY_PASTE_START;
        return;
    }
    if (app->pasting) {
        /* A paste goes where typing would: into a line being typed (a path pasted into the
         * question) as its text alone, for a newline in it would answer, and never into a
         * y/N question; into the prompt whole, newlines and all. */
        if (!typing_line(app))
            ui_editor_paste_key(app, k);
        else if (ea_key_is_text(k) && !app->ask_one_key)
            line_key(app, k);
        return;
    }
    if (line_key(app, k))
        return;
    if (app->help_open) {
        int a = ea_keymap_lookup(&k, 1, EA_SCOPE_HELP);
        if (a > 0)
            ui_help_action(app, (enum ea_action)a);
        return;
    }
    ui_panel *p = &app->panels[app->focus];
    enum ea_scope scope = app->masking && app->focus == EA_PANEL_PREVIEW ? EA_SCOPE_MASK : p->ops->scope;
    if (app->n_pending == EA_KEYSEQ_MAX)
        app->n_pending = 0;
    app->pending[app->n_pending++] = k;
    int a = ea_keymap_lookup(app->pending, app->n_pending, scope);
    if (a == EA_ACT_PREFIX) {
        char name[32];
        ui_message(app, false, "%s-", ea_key_name(k, name, sizeof name));
        return;
    }
    int n = app->n_pending;
    app->n_pending = 0;
    /* In the editor a key that types a character is typed, before any wider binding. */
    const ea_action_desc *d = a > 0 ? ea_action_get((enum ea_action)a) : NULL;
    char u[5];
    if (n == 1 && p->ops->text && ea_key_utf8(k, u) && (!d || d->scope != scope)) {
        p->ops->text(app, p, u, strlen(u));
        return;
    }
    if (a > 0 && a != EA_ACT_QUIT)
        app->quit_armed = false;
    if (a > 0 && ((p->ops->action && p->ops->action(app, p, (enum ea_action)a)) ||
                  global_action(app, (enum ea_action)a))) {
        /* The turn read whole covers the preview: it goes when the history loses the focus. */
        if (app->focus != EA_PANEL_HISTORY)
            ui_detail_close(app);
        return;
    }
    char name[32];
    ea_key_name(k, name, sizeof name);
    ui_message(app, false, "%s%s does nothing here: F1 lists the keys", n > 1 ? "that sequence ending in " : "", name);
}

/* ---- The mouse --------------------------------------------------------------------------- */

#define WHEEL_HELP_ROWS 3

const char *const ui_mouse_kind_names[UI_MOUSE_KIND_COUNT] = {
    [UI_MOUSE_CLICK] = "click", [UI_MOUSE_WHEEL_UP] = "wheel-up", [UI_MOUSE_WHEEL_DOWN] = "wheel-down",
};

void ui_dispatch_mouse(ui_app *app, ui_mouse m)
{
    if (m.kind == UI_MOUSE_CLICK) {
        double now = ui_now_ms();
        bool again = now - app->click_at <= UI_DOUBLE_CLICK_MS && m.y == app->click_y && m.x == app->click_x;
        m.clicks = again ? 2 : 1;
        /* A third click starts over rather than making another double click. */
        app->click_at = again ? 0 : now;
        app->click_y = m.y;
        app->click_x = m.x;
    }
    /* A line being typed (a question, a search, a parameter's value, a paste) keeps every
     * key until Enter or Esc; a click elsewhere must not leave it half done. */
    if (app->pasting || typing_line(app))
        return;
    app->n_pending = 0;
    if (app->help_open) {
        if (m.kind == UI_MOUSE_CLICK) {
            ui_help_action(app, EA_ACT_HELP_CLOSE);
            return;
        }
        for (int i = 0; i < WHEEL_HELP_ROWS; i++)
            ui_help_action(app, m.kind == UI_MOUSE_WHEEL_UP ? EA_ACT_LIST_UP : EA_ACT_LIST_DOWN);
        return;
    }
    enum ea_panel_id id = ea_layout_hit(&app->layout, m.y, m.x);
    ui_trace("mouse %s row=%d col=%d clicks=%d panel=%s", ui_mouse_kind_names[m.kind], m.y, m.x, m.clicks,
             id < EA_PANEL_COUNT ? panel_ops[id]->title : "none");
    if (id == EA_PANEL_COUNT || !visible(app, id))
        return;
    ui_panel *p = &app->panels[id];
    /* The wheel scrolls what is under the pointer without taking the focus, as elsewhere. */
    if (m.kind == UI_MOUSE_CLICK && p->ops->focusable && app->focus != id) {
        focus_on(app, id);
        app->quit_armed = false;
        m.took_focus = true;
        ui_dirty_all(app);
    }
    if (p->ops->mouse) {
        m.y -= p->rect.y;
        m.x -= p->rect.x;
        p->ops->mouse(app, p, &m);
    }
}

/* ---- The scripted mode ------------------------------------------------------------------- */

typedef struct script_state {
    ui_script *s;
    long wait_until;   /* <sleep>: run the loop until then */
    long file_deadline; /* <wait-file>: until the file exists, or this */
    char file[1024];
    long idle_deadline; /* <wait-idle> or the end: wait until no request runs, or this */
    bool waiting_idle, ending;
    int status;
} script_state;

/* Feeds the script's next item when the last one is done with; returns the loop timeout. */
static int script_step(ui_app *app, script_state *st)
{
    long now = now_ms();
    if (st->wait_until > now)
        return (int)(st->wait_until - now);
    /* A key after a sleep was due when the sleep ended, even if the loop came late. */
    double due = st->wait_until ? (double)st->wait_until : ui_now_ms();
    st->wait_until = 0;
    if (st->file[0]) {
        if (access(st->file, F_OK) != 0 && now < st->file_deadline)
            return 50;
        if (now >= st->file_deadline)
            fprintf(stderr, "easel: script: no %s after %d s\n", st->file, SCRIPT_IDLE_LIMIT_MS / 1000);
        st->file[0] = '\0';
    }
    if (st->waiting_idle) {
        /* Idle includes the picture: nothing decoding, nothing waiting to be drawn. */
        bool busy = ui_running(app) > 0 || app->child_pid || app->lister || app->models_pending ||
                    !ui_picture_settled(app);
        if (busy && now < st->idle_deadline)
            return 50;
        if (busy) {
            fprintf(stderr, "easel: script: still busy after %d s\n", SCRIPT_IDLE_LIMIT_MS / 1000);
            st->status = EA_EXIT_INTERNAL;
        }
        st->waiting_idle = false;
        if (st->ending) {
            ui_render(app);
            /* On a real terminal the screen is there to see; a dump only when asked. */
            if (app->headless || getenv("EASEL_UI_DUMP"))
                ui_term_dump(getenv("EASEL_UI_DUMP"));
            app->quitting = true;
            return 0;
        }
    }
    ui_script_item it;
    char why[300];
    if (ui_script_next(st->s, &it, why, sizeof why) != 0) {
        fprintf(stderr, "easel: %s\n", why);
        st->status = EA_EXIT_USAGE;
        app->quitting = true;
        return 0;
    }
    switch (it.op) {
    case UI_SCRIPT_KEY:
        if (app->key_due_ms == 0)
            app->key_due_ms = due;
        ui_dispatch_key(app, it.key);
        break;
    case UI_SCRIPT_MOUSE:
        if (app->key_due_ms == 0)
            app->key_due_ms = due;
        ui_dispatch_mouse(app, it.mouse);
        break;
    case UI_SCRIPT_WAIT_FILE:
        snprintf(st->file, sizeof st->file, "%s", it.path);
        st->file_deadline = now + SCRIPT_IDLE_LIMIT_MS;
        break;
    case UI_SCRIPT_SLEEP: st->wait_until = now + it.a; break;
    case UI_SCRIPT_RESIZE: ui_term_resize(app, it.a, it.b); break;
    case UI_SCRIPT_DUMP:
        ui_render(app);
        if (ui_term_dump(it.path) != 0)
            fprintf(stderr, "easel: script: cannot write %s\n", it.path);
        break;
    case UI_SCRIPT_END:
    case UI_SCRIPT_WAIT_IDLE:
        /* The end waits until idle too, then prints the screen. */
        st->ending = it.op == UI_SCRIPT_END;
        st->waiting_idle = true;
        st->idle_deadline = now + SCRIPT_IDLE_LIMIT_MS;
        break;
    }
    return 0;
}

/* ---- The loop ---------------------------------------------------------------------------- */

static void handle_signals(ui_app *app)
{
    if (got_chld) {
        got_chld = 0;
        int status;
        if (app->child_pid && waitpid(app->child_pid, &status, WNOHANG) == app->child_pid)
            ui_editor_external_done(app, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
    }
    if (got_winch) {
        got_winch = 0;
        struct winsize ws;
        if (!app->headless && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
            ui_picture_resized(app);
            ui_term_resize(app, ws.ws_col, ws.ws_row);
        }
    }
    if (got_hup && !app->hung_up) {
        /* The terminal is gone, the requests are not: let each finish, save its images and
         * write its result record (a paid image is never lost), then leave. */
        app->hung_up = true;
        app->quitting = true;
    }
    if (got_term) {
        got_term = 0;
        if (app->child_pid) /* Ctrl-C in the external editor reaches us too: not ours */
            return;
        app->quit_armed = true;
        request_quit(app);
    }
}

static int loop(ui_app *app, script_state *script)
{
    ui_render(app); /* the first frame, which also lays out the panels */
    while (!(app->quitting && ui_running(app) == 0)) {
        handle_signals(app);
        /* Leaving (C-q, a signal, a hangup): the draft goes to disk now, before the requests
         * still running are waited for. */
        if (app->quitting)
            ui_draft_changed(app); /* saved only if it differs from what is on disk */
        ui_draft_save_due(app, app->quitting);
        if (app->quitting && ui_running(app) == 0)
            break;
        int timeout = ui_running(app) > 0 ? TICK_MS : -1;
        if (app->lister)
            timeout = 0; /* sessions still to read: a chunk after each look at the keys */
        if (script && !app->quitting) {
            int t = script_step(app, script);
            timeout = timeout < 0 || t < timeout ? t : timeout;
        }
        int note = ui_message_expire(app);
        if (note >= 0 && (timeout < 0 || note < timeout))
            timeout = note;
        int watch = ui_tmux_watch(app);
        if (watch >= 0 && (timeout < 0 || watch < timeout))
            timeout = watch;
        ui_render(app);
        /* After the render, which notices the draft's changes. */
        int draft = ui_draft_timeout(app);
        if (draft >= 0 && (timeout < 0 || draft < timeout))
            timeout = draft;
        /* After the render too, whose flush says what the picture waits for. */
        int retry = ui_picture_timeout(app);
        if (retry >= 0 && (timeout < 0 || retry < timeout))
            timeout = retry;
        /* The self-pipe (signals, the picture worker), the keys, and the terminal's output
         * while a picture is partly written. */
        struct pollfd fds[3] = {{wake_pipe[0], POLLIN, 0}};
        nfds_t n = 1, key_at = 0, out_at = 0;
        bool keys = !script && !app->hung_up && !app->child_pid;
        if (keys)
            fds[key_at = n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
        if (ui_picture_busy(app) && !app->hung_up)
            fds[out_at = n++] = (struct pollfd){ui_picture_out_fd(app), POLLOUT, 0};
        if (ea_http_wait(app->http, fds, n, timeout) != 0 && errno != EINTR) {
            fprintf(stderr, "easel: waiting failed: %s\n", strerror(errno));
            return EA_EXIT_INTERNAL;
        }
        char drain[64];
        while (read(wake_pipe[0], drain, sizeof drain) > 0) {
        }
        ui_picture_collect(app);
        if (key_at && (fds[key_at].revents & POLLIN)) {
            ui_input in;
            double read_at = ui_now_ms();
            bool any = false;
            while (ui_term_read(&in)) {
                any = true;
                if (app->key_due_ms == 0)
                    app->key_due_ms = read_at;
                if (in.is_mouse)
                    ui_dispatch_mouse(app, in.mouse);
                else
                    ui_dispatch_key(app, in.key);
            }
            /* Readable with nothing to read: a terminal that went away reads as an end of
             * file for ever (curl's wait reports that as POLLIN). It is a hangup even if no
             * SIGHUP came (one blocked, or sent to another process group), or the loop would
             * spin on it. */
            struct pollfd probe = {STDIN_FILENO, POLLIN, 0};
            if (!any && poll(&probe, 1, 0) > 0 && (probe.revents & (POLLHUP | POLLERR | POLLNVAL)))
                got_hup = 1;
        }
        double t0 = ui_now_ms();
        if (ea_http_process(app->http) != 0) {
            fprintf(stderr, "easel: the transfer loop failed\n");
            return EA_EXIT_INTERNAL;
        }
        double spent = ui_now_ms() - t0;
        if (spent > SLOW_MS)
            ui_trace("slow transfers_ms=%.1f", spent); /* where a late key's time went */
        ui_reap_turns(app);
        ui_sessions_load_more(app);
        if (ui_running(app) > 0)
            ui_dirty(app, EA_PANEL_STATUS); /* the elapsed time */
    }
    return script ? script->status : EA_EXIT_OK;
}

static void parse_size(const char *text, int *cols, int *rows)
{
    int c, r;
    if (text && sscanf(text, "%dx%d", &c, &r) == 2 && c > 0 && r > 0) {
        *cols = c;
        *rows = r;
    }
}

int ea_ui_run(const ea_ui_options *opt)
{
    setlocale(LC_ALL, "");
    char why[1200] = "";
    static ui_app app; /* static: the signal path and atexit see a zeroed state before open */
    memset(&app, 0, sizeof app);
    script_state script = {0};
    const char *script_path = getenv("EASEL_UI_SCRIPT");
    app.script = script_path && *script_path;
    if (app.script && !(script.s = ui_script_open(script_path, why, sizeof why))) {
        fprintf(stderr, "easel: %s\n", why);
        return EA_EXIT_USAGE;
    }
    /* Scripted keys on a real terminal (the tests under Xvfb) draw there; without one,
     * curses draws into memory for the text dump. */
    app.headless = app.script && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO));
    /* Said before anything starts (a backend, the terminal's queries): curses would draw
     * garbage on such a terminal, or refuse with a message naming no way out. */
    char cannot[96];
    if (!app.script && ea_term_cannot(NULL, cannot, sizeof cannot)) {
        fprintf(stderr,
                "easel: the workbench needs a terminal with cursor addressing, and %s; set "
                "TERM to your terminal's type (e.g. xterm-256color), or use the commands "
                "(easel generate, log, sessions), which work anywhere\n",
                cannot);
        return EA_EXIT_USAGE;
    }
    const char *trace = getenv("EASEL_UI_TRACE");
    if (trace && *trace && (trace_file = fopen(trace, "a")))
        setvbuf(trace_file, NULL, _IOLBF, 0);
    ui_trace("begin");
    int rc = EA_EXIT_INTERNAL;
    if (ui_app_open(&app, opt, why, sizeof why) != 0 || signals_start(why, sizeof why) != 0) {
        fprintf(stderr, "easel: %s\n", why);
        goto done;
    }
    /* The terminal is asked about pictures before curses starts: its replies must not reach
     * curses as keys. */
    if (ui_picture_open(&app, app.headless, wake_pipe[1], why, sizeof why) != 0) {
        fprintf(stderr, "easel: %s\n", why);
        rc = EA_EXIT_USAGE;
        goto done;
    }
    int cols = 80, rows = 24;
    parse_size(getenv("EASEL_UI_SIZE"), &cols, &rows);
    if (ea_config_switch(&app.cfg, EA_CFG_MOUSE, true, &app.mouse) != 0) {
        fprintf(stderr, "easel: mouse must be on or off, not '%s'\n", ea_config_get(&app.cfg, EA_CFG_MOUSE));
        rc = EA_EXIT_USAGE;
        goto done;
    }
    if (ui_term_start(app.headless, app.mouse, cols, rows, why, sizeof why) != 0) {
        fprintf(stderr, "easel: %s\n", why);
        rc = EA_EXIT_USAGE;
        goto done;
    }
    const char *theme = opt->theme ? opt->theme : ea_config_get(&app.cfg, EA_CFG_THEME);
    if (ui_theme_init(&app.theme, theme, why, sizeof why) != 0) {
        ui_term_stop();
        fprintf(stderr, "easel: %s\n", why);
        rc = EA_EXIT_USAGE;
        goto done;
    }
    ui_picture_set_output(&app, ui_term_out_fd());
    ui_trace("start protocol=%s sessions=%zu", ui_picture_protocol(&app),
             app.n_slots + (app.lister ? ea_session_lister_left(app.lister) : 0));
    rc = loop(&app, app.script ? &script : NULL);
    ui_tmux_watch_stop();
    ui_picture_close(&app);
    ui_term_stop();
    ui_draft_flush(&app); /* after the screen, so that a draft lost is said on stderr */
    if (app.hung_up)
        fprintf(stderr, "easel: hangup: the requests in flight were finished and saved\n");
done:
    ui_picture_close(&app);
    ui_app_close(&app);
    if (trace_file)
        fclose(trace_file);
    trace_file = NULL;
    ui_script_close(&script.s);
    return rc;
}
