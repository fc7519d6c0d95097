/* SPDX-License-Identifier: MIT */
#include "easel/paths.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/sanitize.h"

static const char *home_dir(void)
{
    const char *home = getenv("HOME");
    if (home && home[0] == '/')
        return home;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

int ea_path_dir(enum ea_dir_kind kind, char *out, size_t size, ea_err *err)
{
    static const struct {
        const char *env;
        const char *under_home;
    } xdg[] = {
        [EA_DIR_CONFIG] = {"XDG_CONFIG_HOME", ".config"},
        [EA_DIR_DATA] = {"XDG_DATA_HOME", ".local/share"},
        [EA_DIR_CACHE] = {"XDG_CACHE_HOME", ".cache"},
    };
    if ((unsigned)kind >= sizeof xdg / sizeof xdg[0])
        return ea_err_set(err, EA_EXIT_INTERNAL, "unknown directory kind %d", (int)kind);

    const char *base = getenv(xdg[kind].env);
    int n;
    /* The XDG spec: a relative path in these variables is invalid and must be ignored. */
    if (base && base[0] == '/') {
        n = snprintf(out, size, "%s/easel", base);
    } else {
        const char *home = home_dir();
        if (!home)
            return ea_err_set(err, EA_EXIT_INTERNAL,
                              "cannot find a home directory: set HOME or %s", xdg[kind].env);
        n = snprintf(out, size, "%s/%s/easel", home, xdg[kind].under_home);
    }
    if (n < 0 || (size_t)n >= size)
        return ea_err_set(err, EA_EXIT_INTERNAL, "the path from %s is too long", xdg[kind].env);
    return 0;
}

int ea_path_join(char *out, size_t size, const char *dir, const char *name, ea_err *err)
{
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return ea_err_set(err, EA_EXIT_INTERNAL, "path too long: %s/%s", dir, name);
    return 0;
}

void ea_path_for_display(const char *path, char *out, size_t size)
{
    const char *home = home_dir();
    size_t home_len = home ? strlen(home) : 0;
    while (home_len > 1 && home[home_len - 1] == '/')
        home_len--;
    if (home_len > 1 && strncmp(path, home, home_len) == 0 &&
        (path[home_len] == '/' || path[home_len] == '\0'))
        snprintf(out, size, "~%s", path + home_len);
    else
        snprintf(out, size, "%s", path);
}

int ea_open_file(const char *path, int flags, mode_t mode, ea_err *err)
{
    char shown[512], display[PATH_MAX];
    int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC, mode);
    int saved = errno;
    if (fd >= 0) {
        struct stat st;
        if (fstat(fd, &st) != 0)
            saved = errno;
        else if (!S_ISREG(st.st_mode))
            saved = EINVAL;
        else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0)
            return fd;
        else
            saved = errno;
        close(fd);
    }
    ea_path_for_display(path, display, sizeof display);
    ea_sanitize_copy(shown, sizeof shown, display); /* a name in a tampered folder is anything */
    /* ELOOP: O_NOFOLLOW met a link. ENXIO: a FIFO opened to write with no reader. */
    if (saved == ELOOP)
        ea_err_set(err, EA_EXIT_INTERNAL, "%s is a symbolic link: refused, not followed (easel "
                   "never follows a link in place of its own files)", shown);
    else if (saved == ENXIO || saved == EINVAL)
        ea_err_set(err, EA_EXIT_INTERNAL, "%s is a FIFO, device or folder, not a regular file: "
                   "refused, not waited on", shown);
    else
        ea_err_set(err, EA_EXIT_INTERNAL, "open %s: %s", shown, strerror(saved));
    errno = saved;
    return -1;
}

/* Creates one folder with exactly `mode`: mkdir() applies the umask, so chmod() follows. */
static int make_one_dir(const char *path, mode_t mode, ea_err *err)
{
    if (mkdir(path, mode) == 0) {
        if (chmod(path, mode) != 0)
            return ea_err_set(err, EA_EXIT_INTERNAL, "chmod %s: %s", path, strerror(errno));
        return 0;
    }
    int saved = errno;
    struct stat st;
    if (saved == EEXIST && stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s exists and is not a folder", path);
    }
    return ea_err_set(err, EA_EXIT_INTERNAL, "mkdir %s: %s", path, strerror(saved));
}

int ea_mkdir_p(const char *path, mode_t mode, ea_err *err)
{
    char copy[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof copy)
        return ea_err_set(err, EA_EXIT_INTERNAL, "bad folder path '%s'", path);
    memcpy(copy, path, len + 1);
    while (len > 1 && copy[len - 1] == '/')
        copy[--len] = '\0';

    /* Each prefix in turn, so that the missing ones are made from the top down. */
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = make_one_dir(copy, mode, err);
        *p = '/';
        if (rc != 0)
            return -1;
    }
    return make_one_dir(copy, mode, err);
}

int ea_fsync_dir(const char *dir, ea_err *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "open %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "fsync %s: %s", dir, strerror(saved));
    return 0;
}

int ea_write_all(int fd, const void *bytes, size_t n)
{
    const char *p = bytes;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int write_atomic(const char *dir, const char *name, const void *bytes, size_t n,
                        mode_t mode, bool sync, ea_err *err);

int ea_write_file_atomic(const char *dir, const char *name, const void *bytes, size_t n,
                         mode_t mode, ea_err *err)
{
    return write_atomic(dir, name, bytes, n, mode, true, err);
}

int ea_write_file_atomic_unsynced(const char *dir, const char *name, const void *bytes,
                                  size_t n, mode_t mode, ea_err *err)
{
    return write_atomic(dir, name, bytes, n, mode, false, err);
}

static int write_atomic(const char *dir, const char *name, const void *bytes, size_t n,
                        mode_t mode, bool sync, ea_err *err)
{
    char final_path[PATH_MAX], temp_path[PATH_MAX];
    if (ea_path_join(final_path, sizeof final_path, dir, name, err) != 0)
        return -1;
    int len = snprintf(temp_path, sizeof temp_path, "%s/.%s.tmp-XXXXXX", dir, name);
    if (len < 0 || (size_t)len >= sizeof temp_path)
        return ea_err_set(err, EA_EXIT_INTERNAL, "path too long: %s", final_path);

    int fd = mkstemp(temp_path);
    if (fd < 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "create a temp file in %s: %s", dir,
                          strerror(errno));
    const char *step = "write";
    if (ea_write_all(fd, bytes, n) != 0)
        goto fail;
    step = "fsync";
    if (sync && fsync(fd) != 0)
        goto fail;
    step = "chmod";
    if (fchmod(fd, mode) != 0)
        goto fail;
    step = "close";
    int rc = close(fd);
    fd = -1;
    if (rc != 0)
        goto fail;
    step = "rename";
    if (rename(temp_path, final_path) != 0)
        goto fail;
    return sync ? ea_fsync_dir(dir, err) : 0;

fail:;
    int saved = errno;
    if (fd >= 0)
        close(fd);
    unlink(temp_path);
    return ea_err_set(err, EA_EXIT_INTERNAL, "%s %s: %s", step, final_path, strerror(saved));
}
