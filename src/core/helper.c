/* SPDX-License-Identifier: MIT */
/* helper: see include/easel/helper.h. Between fork and exec only async-signal-safe calls: the
 * workbench has threads by then, and one of them may hold malloc's lock. */
#include "easel/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef EASEL_LIBEXECDIR
#define EASEL_LIBEXECDIR "/usr/local/libexec/easel"
#endif

/* How long a helper has to stop on SIGTERM before SIGKILL: the mock finishes the reply it is
 * writing and its state files, which takes milliseconds, or seconds under a sanitizer. */
#define STOP_GRACE_MS 3000

static bool executable(const char *path)
{
    return access(path, X_OK) == 0;
}

int ea_helper_find(const char *name, char *path, size_t size, ea_err *err)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            if ((size_t)snprintf(path, size, "%s/%s", exe, name) < size && executable(path))
                return 0;
        }
    } else {
        exe[0] = '\0';
    }
    if ((size_t)snprintf(path, size, "%s/%s", EASEL_LIBEXECDIR, name) < size && executable(path))
        return 0;
    return ea_err_set(err, EA_EXIT_INTERNAL, "%s is missing: looked in %s and %s", name,
                      *exe ? exe : "easel's folder", EASEL_LIBEXECDIR);
}

static void close_from(int lowest)
{
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)lowest, ~0u, 0u) == 0)
        return;
#endif
    for (int fd = lowest; fd < 4096; fd++)
        close(fd);
}

/* The child's half: never returns. */
static void run_child(const char *path, char *const argv[], pid_t parent, int reply, int null)
{
    if (reply >= 0)
        setpgid(0, 0);
    /* Ends with easel however easel ends (SIGKILL included); easel may already have died
     * between fork and prctl, which getppid tells. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(127);
    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    static const int reset[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD};
    for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
        sigaction(reset[i], &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (reply >= 0) {
        /* Above the stdio fds first, so that a closed stdin's pipe end is not overwritten. */
        int high = fcntl(reply, F_DUPFD, 10);
        if (high < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
            dup2(high, EA_HELPER_REPLY_FD) < 0)
            _exit(127);
        for (int fd = 0; fd <= 2; fd++) /* dup2 onto itself keeps /dev/null's close-on-exec */
            fcntl(fd, F_SETFD, 0);
        close_from(EA_HELPER_REPLY_FD + 1);
    } else {
        close_from(3);
    }
    execv(path, argv);
    _exit(127);
}

int ea_helper_start(ea_helper *h, const char *path, char *const argv[], bool detached,
                    ea_err *err)
{
    h->pid = 0;
    h->reply_fd = -1;
    int fds[2] = {-1, -1}, null = -1;
    if (detached && (pipe(fds) != 0 || fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 ||
                     fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0 ||
                     (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)) {
        int saved = errno;
        if (fds[0] >= 0) {
            close(fds[0]);
            close(fds[1]);
        }
        return ea_err_set(err, EA_EXIT_INTERNAL, "cannot start %s: %s", path, strerror(saved));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        run_child(path, argv, parent, fds[1], null);
    int saved = errno;
    if (detached) {
        close(fds[1]);
        close(null);
    }
    if (pid < 0) {
        if (detached)
            close(fds[0]);
        return ea_err_set(err, EA_EXIT_INTERNAL, "cannot start %s: %s", path, strerror(saved));
    }
    h->pid = pid;
    h->reply_fd = fds[0];
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ea_helper_reply(ea_helper *h, char *line, size_t size, int timeout_ms)
{
    if (h->reply_fd < 0 || size == 0)
        return -1;
    size_t len = 0;
    long deadline = now_ms() + timeout_ms;
    for (;;) {
        long left = deadline - now_ms();
        struct pollfd pfd = {.fd = h->reply_fd, .events = POLLIN};
        int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0)
            break;
        char c;
        ssize_t got = read(h->reply_fd, &c, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (c == '\n') {
            line[len] = '\0';
            return 0;
        }
        if (len + 1 < size)
            line[len++] = c;
    }
    line[len] = '\0';
    return -1;
}

static int exit_code_of(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EA_EXIT_INTERNAL;
}

static void forget(ea_helper *h)
{
    if (h->reply_fd >= 0)
        close(h->reply_fd);
    h->reply_fd = -1;
    h->pid = 0;
}

int ea_helper_wait(ea_helper *h)
{
    int status = 0;
    pid_t got;
    while ((got = waitpid(h->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    forget(h);
    return got < 0 ? EA_EXIT_INTERNAL : exit_code_of(status);
}

void ea_helper_stop(ea_helper *h)
{
    if (h->pid <= 0)
        return; /* never started (a zeroed struct's fd 0 is not ours to close) */
    kill(h->pid, SIGTERM);
    long deadline = now_ms() + STOP_GRACE_MS;
    int status;
    for (;;) {
        pid_t got = waitpid(h->pid, &status, WNOHANG);
        if (got == h->pid || (got < 0 && errno != EINTR))
            break; /* ended, or reaped already by someone else */
        if (now_ms() >= deadline) {
            kill(h->pid, SIGKILL);
            while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    forget(h);
}
