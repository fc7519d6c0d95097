/* SPDX-License-Identifier: MIT */
/* session: one sitting's folder, $XDG_DATA_HOME/easel/sessions/ID/ (mode 0700, files 0600):
 * session.json, audit.jsonl, images/ and inputs/ (and thumbs/, the pictures' thumbnails: a cache
 * that thumb.h keeps); created, opened, listed, and locked to one writer. */
#ifndef EASEL_SESSION_H
#define EASEL_SESSION_H

/*
 * session.json is a summary for listings; audit.jsonl is the truth. Opening a session to
 * write recomputes the totals from the log and rewrites session.json when they differ, so a
 * crash between the two writes heals itself. session.json missing or unreadable is rebuilt
 * from the log (the name from its name records; ea_session_cache_rebuilt says so) by every
 * reader, and written back by a WRITE open. Every file of a session is opened without
 * following links and must be a regular file; the session's folders must be real folders.
 * One thing in session.json is not from the log: the workbench's draft
 * (ea_session_save_draft), which every rewrite carries over.
 *
 * A session whose log is damaged (ea_audit_damage, including a last record that no longer
 * matches session.json's copy of its hash) opens, but refuses new turns and names until
 * ea_session_accept_damage records the damage; nothing rewrites session.json meanwhile.
 *
 * An ID is the UTC creation time and 16 random bits, "20261125-153012-ab12": IDs sort by
 * time to the second (listings break ties with the millisecond "created"), and a name is
 * optional. Names are unique among sessions.
 */

#include <stdbool.h>
#include <stddef.h>

#include "easel/audit.h"
#include "easel/buf.h"
#include "easel/err.h"

struct ea_draft;

#define EA_SESSION_ID_LEN 20
#define EA_SESSION_NAME_MAX 128 /* bytes */

/* The parameters a session was started with; "" (or -1) when not given. */
typedef struct ea_session_defaults {
    char model[64];
    char text_model[64];
    char api[16];
    char size[32];
    char quality[16];
    char format[16];
    int partials;
} ea_session_defaults;

void ea_session_defaults_init(ea_session_defaults *d);

typedef struct ea_session ea_session;

enum ea_session_mode {
    EA_SESSION_READ,  /* no lock, nothing changed on disk: for sessions, log, export */
    EA_SESSION_WRITE, /* takes the lock, repairs the log's tail, can add turns */
    /* WRITE with the log opened EA_AUDIT_APPEND_LEAN (see audit.h): what easel batch uses,
     * whose memory must not grow with a session's 100,000 records. ea_session_newest_image
     * finds none and the turns' prompts and models are not at hand (ea_audit_find_turn). */
    EA_SESSION_WRITE_LEAN,
};

/* A new session (opened to write). name may be NULL; a name in use is refused (EA_EXIT_USAGE).
 * defaults may be NULL. */
int ea_session_create(const char *name, const ea_session_defaults *defaults, ea_session **out,
                      ea_err *err);
/* By ID, else by name. In WRITE mode a session another process writes to is refused with
 * EA_EXIT_USAGE and that process's pid; a turn left without a result (the process stopped
 * midway) gets an "interrupted" result record. */
int ea_session_open(const char *name_or_id, enum ea_session_mode mode, ea_session **out,
                    ea_err *err);
/* `-S NAME`: opens the session to write, or creates it when there is none by that name.
 * created (may be NULL) tells which happened. */
int ea_session_open_or_create(const char *name, const ea_session_defaults *defaults,
                              ea_session **out, bool *created, ea_err *err);
/* Releases the lock; *s becomes NULL. */
void ea_session_close(ea_session **s);

/* Borrowed getters, valid until ea_session_close. */
const char *ea_session_id(const ea_session *s);
const char *ea_session_name(const ea_session *s);   /* "" when unnamed */
const char *ea_session_dir(const ea_session *s);
const char *ea_session_created(const ea_session *s); /* "2026-11-25T15:30:12.345Z" */
const ea_session_defaults *ea_session_get_defaults(const ea_session *s);
const char *ea_session_last_response_id(const ea_session *s); /* NULL when none */
/* The newest turn that saved an image, with its first image's full path in path; 0 when no
 * turn did. What to edit when a conversation cannot be continued. */
int ea_session_newest_image(const ea_session *s, char *path, size_t size);
/* What opening found: a torn last line (moved aside in WRITE mode) and how many turns were
 * closed as interrupted. */
const ea_audit_recovery *ea_session_recovery(const ea_session *s);
int ea_session_interrupted_turns(const ea_session *s);
/* The session's log, for lookups (ea_audit_find_turn). Borrowed. */
const ea_audit *ea_session_audit(const ea_session *s);
/* True when session.json was missing or unreadable and was rebuilt from the log on this open
 * (and, in WRITE mode, written back): the caller says so once. */
bool ea_session_cache_rebuilt(const ea_session *s);

/* `easel log SESSION --accept-damage` (WRITE mode): verifies the log against session.json's
 * anchor into *report and, when its lines are damaged, appends an accept_damage record naming
 * what was found, then repairs and rewrites session.json as an open does. *accepted: false
 * when there was nothing to accept (the log's lines verify). */
int ea_session_accept_damage(ea_session *s, ea_audit_report *report, bool *accepted,
                             ea_err *err);

/* A turn, in the order of design.md section 3 (WRITE mode):
 *   ea_session_begin_turn   the request record; *turn gets the new turn's number
 *   ea_session_save_image   each image: temp file, fsync, rename, fsync the folder
 *   ea_session_end_turn     the result record (naming the saved images), then session.json */
int ea_session_begin_turn(ea_session *s, const ea_audit_request *req, int *turn, ea_err *err);
/* Saves the API's bytes, untouched, as images/TURN-K.EXT (k from 1; ext such as "png"), or,
 * for k = 0, the last partial frame of a turn whose final image never came, as
 * images/TURN-partial.EXT; and
 * fills *out with the path relative to the session dir, sha256, size and format; width and
 * height are left 0 for the caller, who has decoded the header. */
int ea_session_save_image(ea_session *s, int turn, int k, const char *ext, const void *bytes,
                          size_t n, ea_audit_image *out, ea_err *err);
/* ea_session_save_image, and when images/ cannot take the bytes (a full disk, a read-only
 * folder: they were paid for), a copy in $XDG_CACHE_HOME/easel/rescued/ (folder 0700, file
 * 0600) named ID-TURN-K.EXT (K "partial" for k = 0; ID-TURN-K.2.EXT and on when taken).
 * 0: saved in images/ (*saved filled). 1: rescued (*unsaved filled, its path absolute, its
 * reason why images/ refused). -1: neither took them: *unsaved says what was lost (path "",
 * sha256, bytes) and err both reasons. The caller probes width and height, as above. */
int ea_session_keep_image(ea_session *s, int turn, int k, const char *ext, const void *bytes,
                          size_t n, ea_audit_image *saved, ea_audit_unsaved *unsaved,
                          ea_err *err);
int ea_session_end_turn(ea_session *s, int turn, const ea_audit_result *res, ea_err *err);
/* A batch's records (WRITE mode): the batch record, and a line's result like
 * ea_session_end_turn but without rewriting session.json, which a fetch of 50,000 lines
 * brings up to date once at its end with ea_session_sync (a crash in between heals on the
 * next open, which recomputes the totals from the log). */
int ea_session_record_batch(ea_session *s, const ea_audit_batch *b, ea_err *err);
int ea_session_end_batch_line(ea_session *s, int turn, const ea_audit_result *res, ea_err *err);
int ea_session_sync(ea_session *s, ea_err *err);
/* Saving many lines at a time: while deferred, ea_session_save_image writes and renames each
 * image without its fsyncs, and records are written without theirs. ea_session_sync_images
 * makes every image durable at once (syncfs), and must come before the records that name them;
 * ea_session_sync_log makes the records durable (one fsync). */
void ea_session_defer_sync(ea_session *s, bool on);
int ea_session_sync_images(ea_session *s, ea_err *err);
int ea_session_sync_log(ea_session *s, ea_err *err);
/* Keeps a copy of a file a turn sends as inputs/NAME (NAME from ea_request_input_name:
 * SHA256.EXT), written like an image (temp file, fsync, rename; mode 0600), before the
 * request record that names it. Stored once per content: a copy already there with that
 * hash is kept; one that no longer matches its name is refused (EA_EXIT_INTERNAL), never
 * written over, since it is evidence for an earlier turn. */
int ea_session_save_input(ea_session *s, const char *name, const char *sha256,
                          const void *bytes, size_t n, ea_err *err);
/* A background turn's accepted record (between begin and end): from here on the turn is
 * resumable by the next process that opens the session, and opening does not close it as
 * interrupted. session.json is left alone: the log is the record. */
int ea_session_accept_turn(ea_session *s, int turn, const char *response_id,
                           long sequence_number, ea_err *err);

/* The workbench's draft (design.md 7, draft.h): the prompt not sent, the images attached and
 * the parameter panel's values. save (WRITE mode) keeps it in session.json as `draft`, and
 * the panel's values for the parameters `defaults` names there as `defaults`; every later
 * rewrite of session.json carries it. read takes it from dir/session.json without opening the
 * session (no lock, the log unread): 1 found, 0 none, -1 with err. */
int ea_session_save_draft(ea_session *s, const struct ea_draft *d, ea_err *err);
int ea_session_read_draft(const char *dir, struct ea_draft *d, ea_err *err);

/* Renames a session opened to write (session.json rewritten); a name another session has is
 * refused with EA_EXIT_USAGE. */
int ea_session_set_name(ea_session *s, const char *name, ea_err *err);
/* Moves a session opened to write, whose lock keeps other writers out, into
 * $XDG_DATA_HOME/easel/trash/ID (ID.1, ID.2... when taken) with rename(2): nothing is
 * deleted, and moving it back restores it. moved_to (may be NULL) gets the new folder. On
 * success *s is closed and NULL; on failure it stays open and unchanged. */
int ea_session_trash(ea_session **s, char *moved_to, size_t size, ea_err *err);
/* The trash: its folder (*dir, PATH_MAX) and the names of the sessions in it ("ID", "ID.1"),
 * most recently trashed first; *names owned (free each, then the array). 0 or -1. */
int ea_session_trash_list(char *dir, size_t dir_size, char ***names, size_t *count, ea_err *err);
/* Moves trash/NAME back to sessions/ID (its name without ".k"); refused with EA_EXIT_USAGE
 * when a session with that ID exists. id gets the ID. */
int ea_session_restore(const char *name, char *id, size_t id_size, ea_err *err);

/* One line of `easel sessions`, from session.json. */
typedef struct ea_session_info {
    char id[EA_SESSION_ID_LEN + 1];
    char name[EA_SESSION_NAME_MAX + 1];
    char created[EA_TIMESTAMP_SIZE];
    /* The newest record's ts; for a session.json written before easel kept it, the time
     * audit.jsonl was last changed; created when there is no log. */
    char last_activity[EA_TIMESTAMP_SIZE];
    int turns;
    int images;
    double spend_usd;   /* paid spend: the turns sent to a paid backend */
    double offline_usd; /* what the offline backend's turns would have cost: never spend */
    double batch_usd;   /* the part of spend_usd that batch lines cost (0 in an older file) */
    /* The anchor ea_audit_verify_anchored checks the log's last record against: the seq and
     * sha256 of the newest record when session.json was written; -1 and "" when unknown. */
    long last_seq;
    char last_hash[EA_SHA256_HEX_SIZE];
    bool rebuilt; /* from the log: session.json is missing or unreadable */
} ea_session_info;

typedef struct ea_session_list {
    ea_session_info *items; /* owned; newest first */
    size_t count;
} ea_session_list;

/* One line of `easel sessions --json`: {"id", "name", "created", "last_activity", "turns",
 * "images", "spend_usd", "offline_usd", "batch_usd"}, pure ASCII, appended to out without a newline. */
int ea_session_info_json(const ea_session_info *info, ea_buf *out);

/* Every session with a readable session.json, newest first. No sessions folder: none. */
int ea_session_list_load(ea_session_list *out, ea_err *err);
void ea_session_list_free(ea_session_list *list);

/* The same listing a few sessions at a time, for a workbench that draws before ten thousand
 * session.json files are read: open reads only the folder's names; next reads one
 * session.json (1; 0 at the end); left counts the folders not handed out yet (an upper bound:
 * unreadable ones are skipped). The order is ea_session_list_load's for every session whose
 * ID was made from its `created`, which is every session easel makes. */
typedef struct ea_session_lister ea_session_lister;
int ea_session_lister_open(ea_session_lister **out, ea_err *err);
int ea_session_lister_next(ea_session_lister *l, ea_session_info *info);
size_t ea_session_lister_left(const ea_session_lister *l);
void ea_session_lister_close(ea_session_lister **l);

/* Finds a session by ID or name without opening its log (the log may be huge, or damaged):
 * its summary from session.json, and its folder in dir. name_or_id NULL: the session with
 * the newest activity (what `easel log` shows by default); EA_EXIT_USAGE when there is none. */
int ea_session_locate(const char *name_or_id, ea_session_info *info, char *dir, size_t dir_size,
                      ea_err *err);

/* $XDG_DATA_HOME/easel/sessions */
int ea_sessions_root(char *out, size_t size, ea_err *err);
/* True for a string shaped like a session ID. */
bool ea_session_is_id(const char *s);

#endif
