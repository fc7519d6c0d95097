/* SPDX-License-Identifier: MIT */
/* tmux_watch: inside tmux, a picture (sixel, kitty, iTerm through passthrough) lives in the
 * outer terminal only: tmux redraws a pane's text from its own copy when its window is shown
 * again or a client re-attaches, but not the picture. Focus reports (CSI I) come for a
 * re-attach and, with tmux's focus-events on, for a switch of windows; in tmux's default
 * configuration a switch says nothing. So, inside tmux, the workbench asks tmux twice a second
 * whether its window is the active one of an attached session (`tmux display-message`, run
 * without waiting for it: its answer is read on a later turn of the loop) and draws everything
 * again when it becomes so. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "easel/term.h"
#include "internal.h"

#define WATCH_MS 500
#define COLLECT_MS 20
/* A tmux that has not answered by then never will (a wedged server, something else named
 * tmux on PATH): killed, so that the watch asks again and nothing is left running. */
#define ANSWER_MS 2000

static struct {
    pid_t pid;
    int fd;
    char answer[32];
    size_t len;
    double next_ms, spawned_ms;
    int shown; /* -1: not known yet */
} w = {.fd = -1, .shown = -1};

/* The child gone, its pipe closed: SIGKILL, as one that ignores SIGTERM must not hold up the
 * loop or the exit in waitpid. */
static void end_child(void)
{
    kill(w.pid, SIGKILL);
    while (waitpid(w.pid, NULL, 0) < 0 && errno == EINTR)
        ;
    close(w.fd);
    w.pid = 0;
    w.fd = -1;
}

static void collect(ui_app *app)
{
    ssize_t n;
    char skip[256];
    /* Past the answer's room, what it prints is read and dropped: a child blocked on a full
     * pipe would never end. */
    while ((n = w.len + 1 < sizeof w.answer
                    ? read(w.fd, w.answer + w.len, sizeof w.answer - 1 - w.len)
                    : read(w.fd, skip, sizeof skip)) > 0)
        if (w.len + 1 < sizeof w.answer)
            w.len += (size_t)n;
    int status;
    if (waitpid(w.pid, &status, WNOHANG) != w.pid) {
        if (ui_now_ms() - w.spawned_ms > ANSWER_MS) {
            ui_trace("tmux-wedged");
            end_child();
        }
        return;
    }
    close(w.fd);
    w.fd = -1;
    w.pid = 0;
    w.answer[w.len] = '\0';
    /* "1:1": the pane's window is its session's current one, and the session is attached. */
    int shown = w.answer[0] == '1' && w.answer[1] == ':' && w.answer[2] && w.answer[2] != '0';
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (shown && w.shown == 0) {
            ui_trace("tmux-shown");
            ui_repaint(app);
        }
        w.shown = shown;
    }
}

static void spawn(void)
{
    const char *pane = getenv("TMUX_PANE");
    char *argv[] = {"tmux", "display-message", "-p", "-t", (char *)pane,
                    "#{window_active}:#{session_attached}", NULL};
    int fd;
    pid_t pid = pane ? ea_term_spawn_tmux(argv, &fd) : -1;
    if (pid < 0)
        return;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    w.pid = pid;
    w.fd = fd;
    w.len = 0;
    w.spawned_ms = ui_now_ms();
}

int ui_tmux_watch(ui_app *app)
{
    if (app->headless || app->script || !getenv("TMUX"))
        return -1;
    double now = ui_now_ms();
    if (w.pid > 0) {
        collect(app);
        if (w.pid > 0)
            return COLLECT_MS;
    }
    if (now < w.next_ms)
        return (int)(w.next_ms - now) + 1;
    w.next_ms = now + WATCH_MS;
    spawn();
    return w.pid > 0 ? COLLECT_MS : WATCH_MS;
}

void ui_tmux_watch_stop(void)
{
    if (w.pid > 0)
        end_child();
}
