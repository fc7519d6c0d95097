/* SPDX-License-Identifier: MIT */
/* paths: where easel keeps its files (the XDG base directories plus "/easel") and the careful
 * ways to create them: mkdir -p with an exact mode, fsync of a folder, write-temp-then-rename. */
#ifndef EASEL_PATHS_H
#define EASEL_PATHS_H

#include <stddef.h>
#include <sys/types.h>

#include "easel/err.h"

enum ea_dir_kind {
    EA_DIR_CONFIG, /* $XDG_CONFIG_HOME/easel, else ~/.config/easel */
    EA_DIR_DATA,   /* $XDG_DATA_HOME/easel, else ~/.local/share/easel */
    EA_DIR_CACHE,  /* $XDG_CACHE_HOME/easel, else ~/.cache/easel */
};

/* Writes the directory into out (nothing is created). A relative or empty $XDG_* is ignored,
 * as the XDG spec asks; $HOME falls back on the password database. 0, or -1 with err set. */
int ea_path_dir(enum ea_dir_kind kind, char *out, size_t size, ea_err *err);

/* out = dir + "/" + name; -1 with err set when it does not fit. */
int ea_path_join(char *out, size_t size, const char *dir, const char *name, ea_err *err);

/* The path with a leading $HOME written as "~", for messages ("~/.config/easel/config"). */
void ea_path_for_display(const char *path, char *out, size_t size);

/* mkdir -p. Each folder this call creates gets exactly `mode` whatever the umask; folders
 * that already exist are left as they are. */
int ea_mkdir_p(const char *path, mode_t mode, ea_err *err);

/* Makes the folder's entries (a create, a rename) durable. */
int ea_fsync_dir(const char *dir, ea_err *err);

/* write() until all n bytes are written or an error other than EINTR; 0 or -1 (errno set). */
int ea_write_all(int fd, const void *bytes, size_t n);

/* open(2) for a file easel keeps: O_NONBLOCK while opening (a FIFO put in its place cannot
 * hang the call) and O_CLOEXEC are added, and the file must then be a regular file (fstat of
 * what was opened, so no race with a rename). Pass O_NOFOLLOW in flags for every file under a
 * session: a symbolic link there is refused, never followed or written through. The fd comes
 * back blocking. -1 with err naming the file (sanitized, "~" for $HOME) and errno kept: a
 * caller that treats a missing file as empty tests errno == ENOENT. */
int ea_open_file(const char *path, int flags, mode_t mode, ea_err *err);

/* Writes dir/name so that a reader sees either the old file or the whole new one: the bytes go
 * to dir/.name.tmp-XXXXXX, which is fsynced, given `mode`, renamed over dir/name, and then the
 * folder is fsynced. On failure the temp file is removed and dir/name is untouched. */
int ea_write_file_atomic(const char *dir, const char *name, const void *bytes, size_t n,
                         mode_t mode, ea_err *err);
/* The same without the two fsyncs, for many files made durable together (syncfs) by a caller
 * that names none of them anywhere before that. */
int ea_write_file_atomic_unsynced(const char *dir, const char *name, const void *bytes,
                                  size_t n, mode_t mode, ea_err *err);

#endif
