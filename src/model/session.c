/* SPDX-License-Identifier: MIT */
#include "easel/session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "easel/buf.h"
#include "easel/draft.h"
#include "easel/paths.h"
#include "easel/sanitize.h"

#define SESSION_FILE "session.json"
/* What a reader takes: a summary of a few hundred bytes, and a workbench draft of up to 32,000
 * characters (six bytes each when escaped) and its attachments' paths. */
#define SESSION_JSON_MAX (1024 * 1024)
#define LOCK_FILE "lock"
#define IMAGES_DIR "images"
#define INPUTS_DIR "inputs"
#define PRIVATE_DIR_MODE 0700
#define PRIVATE_FILE_MODE 0600

struct ea_session {
    char id[EA_SESSION_ID_LEN + 1];
    char name[EA_SESSION_NAME_MAX + 1];
    char created[EA_TIMESTAMP_SIZE];
    char dir[PATH_MAX];
    ea_session_defaults defaults;
    int lock_fd;      /* WRITE mode: holds the flock; -1 in READ mode */
    ea_audit *audit;
    ea_audit_recovery recovery;
    int interrupted_turns;
    bool rebuilt;     /* session.json was missing or unreadable: rebuilt from the log */
    long anchor_seq;  /* session.json's last_record when opened; -1 and "" when none */
    char anchor_hash[EA_SHA256_HEX_SIZE];
    json_t *draft;    /* session.json's `draft` (the workbench's), carried through rewrites */
    bool defer_sync;  /* ea_session_defer_sync: images and records without their own fsyncs */
};

/* What session.json holds beyond the identity: the summary checked against the log. */
typedef struct session_summary {
    int turns, images;
    double spend_usd, offline_usd, batch_usd;
    char last_response_id[256];
    char last_activity[EA_TIMESTAMP_SIZE];
    char last_hash[EA_SHA256_HEX_SIZE];
    json_t *draft;    /* owned by the reader (NULL: none) */
} session_summary;

void ea_session_defaults_init(ea_session_defaults *d)
{
    memset(d, 0, sizeof *d);
    d->partials = -1;
}

/* ---- Names, IDs and paths -------------------------------------------------------------- */

bool ea_session_is_id(const char *s)
{
    /* "20261125-153012-ab12" */
    if (!s || strlen(s) != EA_SESSION_ID_LEN)
        return false;
    for (int i = 0; i < EA_SESSION_ID_LEN; i++) {
        char c = s[i];
        bool ok = i == 8 || i == 15 ? c == '-'
                  : i < 15          ? c >= '0' && c <= '9'
                                    : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        if (!ok)
            return false;
    }
    return true;
}

int ea_sessions_root(char *out, size_t size, ea_err *err)
{
    char data[PATH_MAX];
    if (ea_path_dir(EA_DIR_DATA, data, sizeof data, err) != 0)
        return -1;
    return ea_path_join(out, size, data, "sessions", err);
}

static int check_name(const char *name, ea_err *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > EA_SESSION_NAME_MAX)
        return ea_err_set(err, EA_EXIT_USAGE, "a session name has 1 to %d bytes",
                          EA_SESSION_NAME_MAX);
    json_t *as_json = json_string(name); /* NULL unless valid UTF-8 */
    json_decref(as_json);
    if (!as_json)
        return ea_err_set(err, EA_EXIT_USAGE, "a session name must be valid UTF-8");
    /* C1 controls (U+009B is CSI) and bidi overrides too: names are printed where nothing
     * sanitizes them (a shell's completion list). */
    if (!ea_sanitize_is_clean(name))
        return ea_err_set(err, EA_EXIT_USAGE, "a session name cannot hold control characters");
    /* A name shaped like an ID would make `-S NAME` ambiguous. */
    if (ea_session_is_id(name))
        return ea_err_set(err, EA_EXIT_USAGE, "'%s' looks like a session ID; choose another name",
                          name);
    return 0;
}

/* 16 bits from the kernel's random source; the time and pid when that fails. */
static unsigned random16(void)
{
    unsigned short r = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &r, sizeof r) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        r = (unsigned short)((unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 4));
    }
    if (fd >= 0)
        close(fd);
    return r;
}

/* "2026-11-25T15:30:12.345Z" -> "20261125-153012-" + 4 random hex digits: the ID and the
 * created field come from one reading of the clock. */
static void id_from_timestamp(const char *ts, char id[EA_SESSION_ID_LEN + 1])
{
    size_t n = 0;
    for (const char *p = ts; *p && *p != '.' && n < 15; p++) {
        if (*p >= '0' && *p <= '9')
            id[n++] = *p;
        else if (*p == 'T')
            id[n++] = '-';
    }
    snprintf(id + n, EA_SESSION_ID_LEN + 1 - n, "-%04x", random16());
}

/* ---- session.json ---------------------------------------------------------------------- */

static json_t *text_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static int write_session_json(const ea_session *s, ea_err *err)
{
    ea_audit_totals totals;
    ea_audit_get_totals(s->audit, &totals);
    const ea_session_defaults *d = &s->defaults;
    const char *last_ts = ea_audit_last_timestamp(s->audit);
    long last_seq = ea_audit_next_seq(s->audit) - 1;
    json_t *doc = json_pack(
        "{s:i, s:s, s:o, s:s, s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:o, s:{s:i, s:i, s:f, s:f, s:f},"
        " s:{s:o, s:o}}",
        "v", 1, "id", s->id, "name", text_or_null(s->name), "created", s->created,
        "last_activity", *last_ts ? last_ts : s->created,
        "defaults",
        "model", text_or_null(d->model), "text_model", text_or_null(d->text_model),
        "api", text_or_null(d->api), "size", text_or_null(d->size),
        "quality", text_or_null(d->quality), "format", text_or_null(d->format),
        "partials", d->partials < 0 ? json_null() : json_integer(d->partials),
        "last_response_id", text_or_null(ea_audit_last_response_id(s->audit)),
        "totals", "turns", totals.turns, "images", totals.images, "spend_usd",
        totals.spend_usd, "offline_usd", totals.offline_usd, "batch_usd", totals.batch_usd,
        /* A copy of the last record's hash: the one record the chain cannot vouch for. */
        "last_record", "seq", last_seq < 0 ? json_null() : json_integer(last_seq),
        "sha256", text_or_null(ea_audit_last_hash(s->audit)));
    if (doc && s->draft)
        json_object_set(doc, "draft", s->draft);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII |
                                           JSON_REAL_PRECISION(12))
                     : NULL;
    json_decref(doc);
    if (!text)
        return ea_err_set(err, EA_EXIT_INTERNAL, "cannot build %s (is the name valid UTF-8?)",
                          SESSION_FILE);
    size_t len = strlen(text);
    text[len] = '\n'; /* the file ends in a newline; the NUL is not written */
    int rc = ea_write_file_atomic(s->dir, SESSION_FILE, text, len + 1, PRIVATE_FILE_MODE, err);
    free(text);
    return rc;
}

static void copy_string(char *dst, size_t size, const json_t *value)
{
    snprintf(dst, size, "%s", json_is_string(value) ? json_string_value(value) : "");
}

/* The last activity of a session whose session.json predates the field: when its log was
 * last written (it is append-only), as the log writes times; else the fallback. */
static void log_mtime(const char *dir, char out[EA_TIMESTAMP_SIZE], const char *fallback)
{
    char path[PATH_MAX];
    struct stat st;
    struct tm tm;
    snprintf(out, EA_TIMESTAMP_SIZE, "%s", fallback);
    if (ea_path_join(path, sizeof path, dir, EA_AUDIT_FILE, NULL) != 0 || stat(path, &st) != 0 ||
        !gmtime_r(&st.st_mtim.tv_sec, &tm))
        return;
    size_t n = strftime(out, EA_TIMESTAMP_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, EA_TIMESTAMP_SIZE - n, ".%03ldZ", st.st_mtim.tv_nsec / 1000000L);
}

/* Reads dir/session.json into the identity fields of s (those not NULL) and the summary.
 * 0; 1 with err when it is missing or not readable JSON (a cache the log can rebuild); -1 with
 * err when it cannot be used at all (a link or FIFO in its place is refused, not followed). */
static int read_session_json(const char *dir, ea_session_info *info,
                             ea_session_defaults *defaults, session_summary *summary,
                             ea_err *err)
{
    char path[PATH_MAX];
    if (ea_path_join(path, sizeof path, dir, SESSION_FILE, err) != 0)
        return -1;
    /* One read() and json_loadb: json_load_file reads a character at a time through stdio,
     * which is most of the cost of listing ten thousand sessions. */
    if (summary)
        summary->draft = NULL;
    char text[16 * 1024];
    int fd = ea_open_file(path, O_RDONLY | O_NOFOLLOW, 0, err);
    if (fd < 0)
        return errno == ENOENT ? 1 : -1;
    ssize_t got = read(fd, text, sizeof text);
    /* A workbench draft (a prompt of up to 32,000 characters, escaped) can make the file
     * larger than the one read: the rest through a buffer with a cap of its own. */
    ea_buf rest;
    ea_buf_init(&rest, SESSION_JSON_MAX);
    bool too_big = false;
    if (got == (ssize_t)sizeof text && ea_buf_append(&rest, text, sizeof text) == 0) {
        char chunk[16 * 1024];
        ssize_t n;
        while ((n = read(fd, chunk, sizeof chunk)) > 0 && !too_big)
            too_big = ea_buf_append(&rest, chunk, (size_t)n) != 0;
        if (n < 0)
            got = -1;
    }
    int read_errno = errno;
    close(fd);
    json_error_t jerr;
    json_t *doc = got < 0 || too_big ? NULL
                  : rest.len         ? json_loadb(rest.data, rest.len, 0, &jerr)
                                     : json_loadb(text, (size_t)got, 0, &jerr);
    ea_buf_free(&rest);
    if (!json_is_object(doc)) {
        json_decref(doc);
        ea_err_set(err, EA_EXIT_INTERNAL, "%s: %s", path,
                   got < 0   ? strerror(read_errno)
                   : too_big ? "larger than a session.json easel writes"
                   : doc     ? "not a JSON object"
                             : jerr.text);
        return 1;
    }
    const json_t *totals = json_object_get(doc, "totals");
    const json_t *last_record = json_object_get(doc, "last_record");
    if (info) {
        copy_string(info->id, sizeof info->id, json_object_get(doc, "id"));
        copy_string(info->name, sizeof info->name, json_object_get(doc, "name"));
        copy_string(info->created, sizeof info->created, json_object_get(doc, "created"));
        copy_string(info->last_activity, sizeof info->last_activity,
                    json_object_get(doc, "last_activity"));
        if (!*info->last_activity)
            log_mtime(dir, info->last_activity, info->created);
        info->turns = (int)json_integer_value(json_object_get(totals, "turns"));
        info->images = (int)json_integer_value(json_object_get(totals, "images"));
        info->spend_usd = json_number_value(json_object_get(totals, "spend_usd"));
        info->offline_usd = json_number_value(json_object_get(totals, "offline_usd"));
        info->batch_usd = json_number_value(json_object_get(totals, "batch_usd"));
        const json_t *seq = json_object_get(last_record, "seq");
        info->last_seq = json_is_integer(seq) ? (long)json_integer_value(seq) : -1;
        copy_string(info->last_hash, sizeof info->last_hash,
                    json_object_get(last_record, "sha256"));
    }
    if (defaults) {
        const json_t *d = json_object_get(doc, "defaults");
        ea_session_defaults_init(defaults);
        copy_string(defaults->model, sizeof defaults->model, json_object_get(d, "model"));
        copy_string(defaults->text_model, sizeof defaults->text_model,
                    json_object_get(d, "text_model"));
        copy_string(defaults->api, sizeof defaults->api, json_object_get(d, "api"));
        copy_string(defaults->size, sizeof defaults->size, json_object_get(d, "size"));
        copy_string(defaults->quality, sizeof defaults->quality, json_object_get(d, "quality"));
        copy_string(defaults->format, sizeof defaults->format, json_object_get(d, "format"));
        const json_t *partials = json_object_get(d, "partials");
        if (json_is_integer(partials))
            defaults->partials = (int)json_integer_value(partials);
    }
    if (summary) {
        summary->turns = (int)json_integer_value(json_object_get(totals, "turns"));
        summary->images = (int)json_integer_value(json_object_get(totals, "images"));
        summary->spend_usd = json_number_value(json_object_get(totals, "spend_usd"));
        summary->offline_usd = json_number_value(json_object_get(totals, "offline_usd"));
        summary->batch_usd = json_number_value(json_object_get(totals, "batch_usd"));
        copy_string(summary->last_response_id, sizeof summary->last_response_id,
                    json_object_get(doc, "last_response_id"));
        copy_string(summary->last_activity, sizeof summary->last_activity,
                    json_object_get(doc, "last_activity"));
        copy_string(summary->last_hash, sizeof summary->last_hash,
                    json_object_get(last_record, "sha256"));
        json_t *draft = json_object_get(doc, "draft");
        summary->draft = json_is_object(draft) ? json_incref(draft) : NULL;
    }
    json_decref(doc);
    return 0;
}

/* True when session.json's summary no longer matches the log. */
static bool summary_is_stale(const ea_session *s, const session_summary *stored)
{
    ea_audit_totals totals;
    ea_audit_get_totals(s->audit, &totals);
    const char *last = ea_audit_last_response_id(s->audit);
    return stored->turns != totals.turns || stored->images != totals.images ||
           fabs(stored->spend_usd - totals.spend_usd) > 1e-9 ||
           fabs(stored->offline_usd - totals.offline_usd) > 1e-9 ||
           fabs(stored->batch_usd - totals.batch_usd) > 1e-9 ||
           strcmp(stored->last_response_id, last ? last : "") != 0 ||
           strcmp(stored->last_hash, ea_audit_last_hash(s->audit)) != 0 ||
           (*ea_audit_last_timestamp(s->audit) &&
            strcmp(stored->last_activity, ea_audit_last_timestamp(s->audit)) != 0);
}

/* A folder of the session must be one, not a link to somewhere else that writes would go
 * through to. */
static int check_real_dir(const char *path, ea_err *err)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    char shown[512];
    ea_sanitize_copy(shown, sizeof shown, path);
    if (errno == ENOENT)
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s is missing", shown);
    return ea_err_set(err, EA_EXIT_INTERNAL, "%s is not a folder (a link?): refused, easel does "
                      "not follow links in a session", shown);
}

/* "20261125-153012-ab12" -> "2026-11-25T15:30:12.000Z": the creation time an ID was made
 * from, to the second. */
static void created_from_id(const char *id, char out[EA_TIMESTAMP_SIZE])
{
    snprintf(out, EA_TIMESTAMP_SIZE, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s.000Z", id, id + 4, id + 6,
             id + 9, id + 11, id + 13);
}

/* A session's summary from its log alone, for a session.json that is missing or unreadable:
 * the ID from the folder, the name from the newest name record, the creation time from the
 * ID, the totals from the records; no anchor (nothing kept elsewhere vouches for the log). */
static void info_from_log(const char *id, const ea_audit *a, ea_session_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->id, sizeof info->id, "%s", id);
    const char *name = ea_audit_session_name(a);
    snprintf(info->name, sizeof info->name, "%s", name ? name : "");
    created_from_id(id, info->created);
    const char *last = ea_audit_last_timestamp(a);
    snprintf(info->last_activity, sizeof info->last_activity, "%s", *last ? last : info->created);
    ea_audit_totals totals;
    ea_audit_get_totals(a, &totals);
    info->turns = totals.turns;
    info->images = totals.images;
    info->spend_usd = totals.spend_usd;
    info->batch_usd = totals.batch_usd;
    info->last_seq = -1;
    info->rebuilt = true;
}

/* The summary of the session in dir from its log, when session.json cannot give it: 0; 1
 * when the log is empty too (a folder being created, or not easel's); -1 with err. */
static int rebuild_info(const char *dir, const char *id, ea_session_info *info, ea_err *err)
{
    ea_audit *a = NULL;
    if (ea_audit_open(dir, EA_AUDIT_READ, &a, NULL, err) != 0)
        return -1;
    int rc = ea_audit_record_count(a) ? 0 : 1;
    if (rc == 0)
        info_from_log(id, a, info);
    ea_audit_close(&a);
    return rc;
}

/* ---- The lock -------------------------------------------------------------------------- */

/* flock() on dir/lock: released by the kernel when the process ends, so a crash never leaves
 * a session locked. The holder writes its pid there for the message others get. */
static int take_lock(ea_session *s, ea_err *err)
{
    char path[PATH_MAX];
    if (ea_path_join(path, sizeof path, s->dir, LOCK_FILE, err) != 0)
        return -1;
    int fd = ea_open_file(path, O_RDWR | O_CREAT | O_NOFOLLOW, PRIVATE_FILE_MODE, err);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;
        char holder[32] = "";
        ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
        holder[got > 0 ? got : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(fd);
        if (saved == EWOULDBLOCK)
            return ea_err_set(err, EA_EXIT_USAGE,
                              "session %s is in use by another easel%s%s%s; wait for it to "
                              "finish or use another session",
                              s->id, holder[0] ? " (pid " : "", holder, holder[0] ? ")" : "");
        return ea_err_set(err, EA_EXIT_INTERNAL, "lock %s: %s", path, strerror(saved));
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (fchmod(fd, PRIVATE_FILE_MODE) != 0 || ftruncate(fd, 0) != 0 ||
        pwrite(fd, pid, (size_t)n, 0) != n) {
        int saved = errno;
        close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "write %s: %s", path, strerror(saved));
    }
    s->lock_fd = fd;
    return 0;
}

/* ---- Opening and creating -------------------------------------------------------------- */

static ea_session *session_new(void)
{
    ea_session *s = calloc(1, sizeof *s);
    if (s) {
        s->lock_fd = -1;
        s->anchor_seq = -1;
        ea_session_defaults_init(&s->defaults);
    }
    return s;
}

void ea_session_close(ea_session **sp)
{
    ea_session *s = *sp;
    if (!s)
        return;
    ea_audit_close(&s->audit);
    json_decref(s->draft);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    free(s);
    *sp = NULL;
}

static bool valid_extension(const char *ext);

/* A stopped turn's images: n final images and a kept partial frame at the most. */
#define MAX_FOUND_IMAGES 16

typedef struct found_image {
    int order;   /* K of TURN-K.EXT; a kept partial frame (TURN-partial.EXT) comes last */
    ea_audit_image image;
} found_image;

static int compare_found(const void *a, const void *b)
{
    int x = ((const found_image *)a)->order, y = ((const found_image *)b)->order;
    return (x > y) - (x < y);
}

/* The images a stopped process saved for `turn` under their final names (TURN-K.EXT, or
 * TURN-partial.EXT): a save renames its file only once the bytes are on disk, so each is
 * whole, and the repair records them, so that an image paid for is in the log even when the
 * process died between saving it and writing the result. Temp files are left to be
 * reported. Their sizes in pixels are not read here (null). Returns how many are in out. */
static size_t find_saved_images(const ea_session *s, int turn, ea_audit_image *out, ea_err *err)
{
    char images[4096];
    if (ea_path_join(images, sizeof images, s->dir, IMAGES_DIR, err) != 0)
        return 0;
    DIR *d = check_real_dir(images, NULL) == 0 ? opendir(images) : NULL;
    if (!d)
        return 0; /* no images folder (or a link in its place): none saved */
    found_image found[MAX_FOUND_IMAGES];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_FOUND_IMAGES) {
        int t, k, used = 0;
        char ext[8];
        if (sscanf(e->d_name, "%d-partial.%7[a-z0-9]%n", &t, ext, &used) == 2 && !e->d_name[used])
            k = INT_MAX;
        else if (!(sscanf(e->d_name, "%d-%d.%7[a-z0-9]%n", &t, &k, ext, &used) == 3 &&
                   !e->d_name[used] && k >= 1))
            continue;
        char path[4400];
        ea_audit_image *im = &found[n].image;
        memset(im, 0, sizeof *im);
        if (t != turn || !valid_extension(ext) ||
            snprintf(im->path, sizeof im->path, IMAGES_DIR "/%s", e->d_name) >= (int)sizeof im->path ||
            snprintf(path, sizeof path, "%s/%s", images, e->d_name) >= (int)sizeof path)
            continue;
        ea_err ignored = {0};
        if (ea_sha256_file_hex(path, im->sha256, &im->bytes, &ignored) != 0)
            continue;
        snprintf(im->format, sizeof im->format, "%s", strcmp(ext, "jpg") == 0 ? "jpeg" : ext);
        found[n++].order = k;
    }
    closedir(d);
    qsort(found, n, sizeof *found, compare_found);
    for (size_t i = 0; i < n; i++)
        out[i] = found[i].image;
    return n;
}

/* Gives the session a turn's result for each turn a stopped process left open, naming the
 * images it had saved. */
static int close_interrupted_turns(ea_session *s, ea_err *err)
{
    int turn;
    while ((turn = ea_audit_open_turn(s->audit)) != 0) {
        ea_audit_image found[MAX_FOUND_IMAGES];
        ea_audit_result result;
        ea_audit_result_init(&result);
        result.status = EA_AUDIT_INTERRUPTED;
        result.images = found;
        result.n_images = find_saved_images(s, turn, found, err);
        if (ea_audit_append_result(s->audit, turn, &result, err) != 0)
            return -1;
        s->interrupted_turns++;
    }
    return 0;
}

/* After a WRITE open (or an acceptance of damage): the repairs that append to the log and
 * the rewrite of session.json, neither of which may happen while the log is damaged, since a
 * record chained onto the damage, or a new anchor, would hide it. The name lives in the log
 * too: the log's newest name record wins; a session from before easel recorded names has its
 * name recorded now. A session.json rebuilt from a damaged log is written all the same (it
 * had no anchor to lose), so that the rebuild is said once. */
static int bring_up_to_date(ea_session *s, bool rewrite, ea_err *err)
{
    const char *logged = ea_audit_session_name(s->audit);
    if (ea_audit_damage(s->audit, NULL))
        return s->rebuilt ? write_session_json(s, err) : 0;
    if (close_interrupted_turns(s, err) != 0)
        return -1;
    rewrite |= s->interrupted_turns > 0;
    if (logged && strcmp(logged, s->name) != 0) {
        snprintf(s->name, sizeof s->name, "%s", logged);
        rewrite = true;
    } else if (!logged && *s->name) {
        if (ea_audit_append_name(s->audit, s->name, err) != 0)
            return -1;
        rewrite = true; /* the anchor moved */
    }
    return rewrite ? write_session_json(s, err) : 0;
}

/* Opens the session in dir (an existing folder named by its ID). */
static int open_dir(const char *root, const char *id, enum ea_session_mode mode,
                    ea_session **out, ea_err *err)
{
    ea_session *s = session_new();
    if (!s)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    snprintf(s->id, sizeof s->id, "%s", id);
    ea_session_info info;
    session_summary stored;
    int cache = -1;
    if (ea_path_join(s->dir, sizeof s->dir, root, id, err) != 0 ||
        check_real_dir(s->dir, err) != 0 ||
        (mode != EA_SESSION_READ && take_lock(s, err) != 0) ||
        (cache = read_session_json(s->dir, &info, &s->defaults, &stored, err)) < 0)
        goto fail;
    s->rebuilt = cache == 1; /* a cache of the log: rebuilt below */
    s->draft = stored.draft;

    enum ea_audit_mode audit_mode = mode == EA_SESSION_WRITE_LEAN ? EA_AUDIT_APPEND_LEAN
                                    : mode == EA_SESSION_WRITE   ? EA_AUDIT_APPEND
                                                                 : EA_AUDIT_READ;
    if (ea_audit_open(s->dir, audit_mode, &s->audit, &s->recovery, err) != 0)
        goto fail;
    if (s->rebuilt) {
        info_from_log(s->id, s->audit, &info);
        ea_session_defaults_init(&s->defaults);
    } else {
        s->anchor_seq = info.last_seq;
        snprintf(s->anchor_hash, sizeof s->anchor_hash, "%s", info.last_hash);
        ea_audit_check_anchor(s->audit, info.last_seq, info.last_hash);
    }
    snprintf(s->name, sizeof s->name, "%s", info.name);
    snprintf(s->created, sizeof s->created, "%s", info.created);
    if (mode != EA_SESSION_READ && bring_up_to_date(s, s->rebuilt || summary_is_stale(s, &stored),
                                                     err) != 0)
        goto fail;
    *out = s;
    return 0;

fail:
    ea_session_close(&s);
    return -1;
}

/* Finds the ID of the one session called name: 0 found, 1 none, -1 error (ambiguous). */
static int find_by_name(const char *name, char id[EA_SESSION_ID_LEN + 1], ea_err *err)
{
    ea_session_list list;
    if (ea_session_list_load(&list, err) != 0)
        return -1;
    size_t matches = 0;
    for (size_t i = 0; i < list.count; i++) {
        if (strcmp(list.items[i].name, name) != 0)
            continue;
        if (matches++ == 0)
            memcpy(id, list.items[i].id, EA_SESSION_ID_LEN + 1);
    }
    int rc = matches == 0 ? 1 : 0;
    if (matches > 1)
        rc = ea_err_set(err, EA_EXIT_USAGE, "%zu sessions are named '%s'; name one by its ID "
                        "(easel sessions lists them)", matches, name);
    ea_session_list_free(&list);
    return rc;
}

/* The ID of the session named or numbered name_or_id, which must exist. */
static int resolve(const char *root, const char *name_or_id, char id[EA_SESSION_ID_LEN + 1],
                   ea_err *err)
{
    char dir[PATH_MAX];
    struct stat st;
    if (ea_session_is_id(name_or_id) &&
        ea_path_join(dir, sizeof dir, root, name_or_id, NULL) == 0 && stat(dir, &st) == 0) {
        memcpy(id, name_or_id, EA_SESSION_ID_LEN + 1);
        return 0;
    }
    int found = find_by_name(name_or_id, id, err);
    if (found > 0) {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, name_or_id); /* argv can hold anything */
        return ea_err_set(err, EA_EXIT_USAGE, "no session is named or numbered '%s'", shown);
    }
    return found;
}

int ea_session_open(const char *name_or_id, enum ea_session_mode mode, ea_session **out,
                    ea_err *err)
{
    *out = NULL;
    char root[PATH_MAX], id[EA_SESSION_ID_LEN + 1];
    if (ea_sessions_root(root, sizeof root, err) != 0 || resolve(root, name_or_id, id, err) != 0)
        return -1;
    return open_dir(root, id, mode, out, err);
}

int ea_session_locate(const char *name_or_id, ea_session_info *info, char *dir, size_t dir_size,
                      ea_err *err)
{
    char root[PATH_MAX], id[EA_SESSION_ID_LEN + 1];
    memset(info, 0, sizeof *info);
    if (!name_or_id) {
        ea_session_list list;
        if (ea_session_list_load(&list, err) != 0)
            return -1;
        const ea_session_info *latest = NULL;
        for (size_t i = 0; i < list.count; i++)
            if (!latest || strcmp(list.items[i].last_activity, latest->last_activity) > 0)
                latest = &list.items[i];
        if (latest)
            memcpy(id, latest->id, sizeof id);
        ea_session_list_free(&list);
        if (!latest)
            return ea_err_set(err, EA_EXIT_USAGE, "no sessions yet: easel generate \"a prompt\" "
                              "makes one");
        name_or_id = id;
    }
    if (ea_sessions_root(root, sizeof root, err) != 0 ||
        resolve(root, name_or_id, id, err) != 0 ||
        ea_path_join(dir, dir_size, root, id, err) != 0 || check_real_dir(dir, err) != 0)
        return -1;
    /* Readers go on from the log when session.json cannot be used (info->rebuilt says so);
     * when the log cannot help either, err says why session.json could not be read. */
    ea_err why = {0};
    if (read_session_json(dir, info, NULL, NULL, &why) != 0 &&
        rebuild_info(dir, id, info, NULL) != 0) {
        if (err)
            *err = why;
        return -1;
    }
    memcpy(info->id, id, sizeof info->id); /* the folder is the truth */
    return 0;
}

/* Names are unique: looking one up and then taking it (creating or renaming a session) is
 * done holding an exclusive flock on sessions/.names.lock, so two processes that ask for the
 * same new name at the same instant make one session, not two. Returns the lock's fd. */
static int lock_names(ea_err *err)
{
    char root[PATH_MAX], path[PATH_MAX];
    if (ea_sessions_root(root, sizeof root, err) != 0 ||
        ea_mkdir_p(root, PRIVATE_DIR_MODE, err) != 0 ||
        ea_path_join(path, sizeof path, root, ".names.lock", err) != 0)
        return -1;
    int fd = ea_open_file(path, O_RDWR | O_CREAT | O_NOFOLLOW, PRIVATE_FILE_MODE, err);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ea_err_set(err, EA_EXIT_INTERNAL, "lock %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

static void unlock_names(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

static int create_unlocked(const char *name, const ea_session_defaults *defaults,
                           ea_session **out, ea_err *err);

int ea_session_create(const char *name, const ea_session_defaults *defaults, ea_session **out,
                      ea_err *err)
{
    *out = NULL;
    int names = -1;
    if (name && (names = lock_names(err)) < 0)
        return -1;
    int rc = create_unlocked(name, defaults, out, err);
    unlock_names(names);
    return rc;
}

/* ea_session_create, with the names lock held by the caller when there is a name. */
static int create_unlocked(const char *name, const ea_session_defaults *defaults,
                           ea_session **out, ea_err *err)
{
    *out = NULL;
    char root[PATH_MAX], existing[EA_SESSION_ID_LEN + 1];
    if (name) {
        if (check_name(name, err) != 0)
            return -1;
        int found = find_by_name(name, existing, err);
        if (found < 0)
            return -1;
        if (found == 0)
            return ea_err_set(err, EA_EXIT_USAGE, "a session named '%s' exists already (%s)",
                              name, existing);
    }
    if (ea_sessions_root(root, sizeof root, err) != 0 ||
        ea_mkdir_p(root, PRIVATE_DIR_MODE, err) != 0)
        return -1;

    ea_session *s = session_new();
    if (!s)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    snprintf(s->name, sizeof s->name, "%s", name ? name : "");
    if (defaults)
        s->defaults = *defaults;

    /* mkdir() is the claim on an ID: a clash (same second, same 16 bits) draws again. */
    int attempts = 0;
    for (;;) {
        ea_audit_timestamp(s->created);
        id_from_timestamp(s->created, s->id);
        if (ea_path_join(s->dir, sizeof s->dir, root, s->id, err) != 0)
            goto fail;
        if (mkdir(s->dir, PRIVATE_DIR_MODE) == 0)
            break;
        if (errno != EEXIST || ++attempts == 64) {
            ea_err_set(err, EA_EXIT_INTERNAL, "mkdir %s: %s", s->dir, strerror(errno));
            goto fail;
        }
    }
    char images[PATH_MAX];
    if (chmod(s->dir, PRIVATE_DIR_MODE) != 0) { /* mkdir() applied the umask */
        ea_err_set(err, EA_EXIT_INTERNAL, "chmod %s: %s", s->dir, strerror(errno));
        goto fail;
    }
    if (ea_path_join(images, sizeof images, s->dir, IMAGES_DIR, err) != 0 ||
        ea_mkdir_p(images, PRIVATE_DIR_MODE, err) != 0 || take_lock(s, err) != 0 ||
        ea_audit_open(s->dir, EA_AUDIT_APPEND, &s->audit, &s->recovery, err) != 0 ||
        (name && ea_audit_append_name(s->audit, name, err) != 0) ||
        write_session_json(s, err) != 0 || ea_fsync_dir(root, err) != 0)
        goto fail;
    *out = s;
    return 0;

fail:
    ea_session_close(&s);
    return -1;
}

int ea_session_open_or_create(const char *name, const ea_session_defaults *defaults,
                              ea_session **out, bool *created, ea_err *err)
{
    *out = NULL;
    if (created)
        *created = false;
    char root[PATH_MAX], id[EA_SESSION_ID_LEN + 1];
    if (ea_sessions_root(root, sizeof root, err) != 0)
        return -1;
    struct stat st;
    char dir[PATH_MAX];
    if (ea_session_is_id(name) && ea_path_join(dir, sizeof dir, root, name, NULL) == 0 &&
        stat(dir, &st) == 0)
        return open_dir(root, name, EA_SESSION_WRITE, out, err);
    int names = lock_names(err);
    if (names < 0)
        return -1;
    int rc, found = find_by_name(name, id, err);
    if (found < 0)
        rc = -1;
    else if (found == 0)
        rc = open_dir(root, id, EA_SESSION_WRITE, out, err);
    else if ((rc = create_unlocked(name, defaults, out, err)) == 0 && created)
        *created = true;
    unlock_names(names);
    return rc;
}

/* ---- Getters --------------------------------------------------------------------------- */

const char *ea_session_id(const ea_session *s) { return s->id; }
const char *ea_session_name(const ea_session *s) { return s->name; }
const char *ea_session_dir(const ea_session *s) { return s->dir; }
const char *ea_session_created(const ea_session *s) { return s->created; }
const ea_session_defaults *ea_session_get_defaults(const ea_session *s) { return &s->defaults; }
const ea_audit_recovery *ea_session_recovery(const ea_session *s) { return &s->recovery; }
int ea_session_interrupted_turns(const ea_session *s) { return s->interrupted_turns; }
const ea_audit *ea_session_audit(const ea_session *s) { return s->audit; }
bool ea_session_cache_rebuilt(const ea_session *s) { return s->rebuilt; }

int ea_session_newest_image(const ea_session *s, char *path, size_t size)
{
    for (int turn = ea_audit_next_turn(s->audit) - 1; turn >= 1; turn--) {
        ea_audit_image img;
        ea_err ignored = {0};
        if (ea_audit_turn_image(s->audit, turn, 0, &img, &ignored) == 0 &&
            snprintf(path, size, "%s/%s", s->dir, img.path) < (int)size)
            return turn;
    }
    return 0;
}

const char *ea_session_last_response_id(const ea_session *s)
{
    return ea_audit_last_response_id(s->audit);
}

/* ---- Turns ----------------------------------------------------------------------------- */

static int check_writable(const ea_session *s, ea_err *err)
{
    if (s->lock_fd < 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "session %s was opened read-only", s->id);
    return 0;
}

/* Refuses what would append to a damaged log, naming the session and the way on. */
static int check_sound(const ea_session *s, ea_err *err)
{
    const char *damage = ea_audit_damage(s->audit, NULL);
    if (!damage)
        return 0;
    char name[EA_SESSION_NAME_MAX + 1];
    ea_sanitize_copy(name, sizeof name, s->name);
    const char *which = *s->name ? name : s->id;
    /* The way on first: a status line shows the start of the message. */
    return ea_err_set(err, EA_EXIT_INTERNAL,
                      "session %s fails verification, so new turns are refused (nothing was "
                      "sent): `easel log %s --verify` shows the damage, `easel log %s "
                      "--accept-damage` records it in the log and lets the session go on. Found: "
                      "%s", which, s->id, s->id, damage);
}

int ea_session_begin_turn(ea_session *s, const ea_audit_request *req, int *turn, ea_err *err)
{
    if (check_writable(s, err) != 0 || check_sound(s, err) != 0)
        return -1;
    return ea_audit_append_request(s->audit, req, turn, err);
}

int ea_session_record_batch(ea_session *s, const ea_audit_batch *b, ea_err *err)
{
    if (check_writable(s, err) != 0 || check_sound(s, err) != 0)
        return -1;
    return ea_audit_append_batch(s->audit, b, err);
}

int ea_session_end_batch_line(ea_session *s, int turn, const ea_audit_result *res, ea_err *err)
{
    if (check_writable(s, err) != 0)
        return -1;
    return ea_audit_append_result(s->audit, turn, res, err);
}

void ea_session_defer_sync(ea_session *s, bool on)
{
    s->defer_sync = on;
    ea_audit_defer_sync(s->audit, on);
}

/* Linux's syncfs(2), declared by <unistd.h> only under _GNU_SOURCE, which would change other
 * declarations (strerror_r) for the whole file. */
extern int syncfs(int fd);

int ea_session_sync_images(ea_session *s, ea_err *err)
{
    int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
        int saved = errno;
        if (fd >= 0)
            close(fd);
        return ea_err_set(err, EA_EXIT_INTERNAL, "syncfs %s: %s", s->dir, strerror(saved));
    }
    close(fd);
    return 0;
}

int ea_session_sync_log(ea_session *s, ea_err *err)
{
    return ea_audit_sync(s->audit, err);
}

int ea_session_sync(ea_session *s, ea_err *err)
{
    if (check_writable(s, err) != 0)
        return -1;
    return write_session_json(s, err);
}

int ea_session_accept_damage(ea_session *s, ea_audit_report *report, bool *accepted,
                             ea_err *err)
{
    *accepted = false;
    if (check_writable(s, err) != 0 ||
        ea_audit_verify_anchored(s->dir, s->anchor_seq, *s->anchor_hash ? s->anchor_hash : NULL,
                                 report, err) != 0)
        return -1;
    if (!ea_audit_damage(s->audit, NULL) && report->n_problems == report->file_problems)
        return 0; /* the log's lines verify: nothing to accept (an image's problems stay) */
    if (ea_audit_append_accept(s->audit, report, err) != 0)
        return -1;
    *accepted = true;
    return bring_up_to_date(s, true, err);
}

static bool valid_extension(const char *ext)
{
    size_t len = strlen(ext);
    if (len == 0 || len > 5)
        return false;
    for (const char *p = ext; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* The format the log records for a file extension. */
static const char *format_of(const char *ext)
{
    return strcmp(ext, "jpg") == 0 ? "jpeg" : ext;
}

int ea_session_save_image(ea_session *s, int turn, int k, const char *ext, const void *bytes,
                          size_t n, ea_audit_image *out, ea_err *err)
{
    memset(out, 0, sizeof *out);
    if (check_writable(s, err) != 0)
        return -1;
    ea_audit_turn t;
    if (ea_audit_find_turn(s->audit, turn, &t, err) != 0)
        return -1;
    if (t.has_result)
        return ea_err_set(err, EA_EXIT_INTERNAL, "turn %d is finished already", turn);
    if (k < 0 || !valid_extension(ext))
        return ea_err_set(err, EA_EXIT_INTERNAL, "bad image name %d-%d.%s", turn, k, ext);

    char images[PATH_MAX], name[32];
    if (k == 0)
        snprintf(name, sizeof name, "%d-partial.%s", turn, ext);
    else
        snprintf(name, sizeof name, "%d-%d.%s", turn, k, ext);
    if (ea_path_join(images, sizeof images, s->dir, IMAGES_DIR, err) != 0 ||
        ea_mkdir_p(images, PRIVATE_DIR_MODE, err) != 0 || check_real_dir(images, err) != 0 ||
        ea_sha256_hex(bytes, n, out->sha256, err) != 0 ||
        (s->defer_sync ? ea_write_file_atomic_unsynced(images, name, bytes, n, PRIVATE_FILE_MODE,
                                                       err)
                       : ea_write_file_atomic(images, name, bytes, n, PRIVATE_FILE_MODE, err)) != 0)
        return -1;
    snprintf(out->path, sizeof out->path, IMAGES_DIR "/%s", name);
    snprintf(out->format, sizeof out->format, "%s", format_of(ext));
    out->bytes = n;
    return 0;
}

/* The rescue copy: a folder of the user's own cache, outside the session that could not take
 * the bytes, so it is most likely on another file system or at least another folder. */
static int rescue_image(const ea_session *s, int turn, int k, const char *ext, const void *bytes,
                        size_t n, ea_audit_unsaved *out, ea_err *err)
{
    char cache[PATH_MAX], dir[PATH_MAX], name[128], kname[16];
    struct stat st;
    if (ea_path_dir(EA_DIR_CACHE, cache, sizeof cache, err) != 0 ||
        ea_path_join(dir, sizeof dir, cache, "rescued", err) != 0 ||
        ea_mkdir_p(dir, PRIVATE_DIR_MODE, err) != 0)
        return -1;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return ea_err_set(err, EA_EXIT_INTERNAL, "%s is not a folder", dir);
    if (k == 0)
        snprintf(kname, sizeof kname, "partial");
    else
        snprintf(kname, sizeof kname, "%d", k);
    const char *safe_ext = valid_extension(ext) ? ext : "bin";
    for (int copy = 1;; copy++) {
        if (copy == 1)
            snprintf(name, sizeof name, "%s-%d-%s.%s", s->id, turn, kname, safe_ext);
        else
            snprintf(name, sizeof name, "%s-%d-%s.%d.%s", s->id, turn, kname, copy, safe_ext);
        if (ea_path_join(out->path, sizeof out->path, dir, name, err) != 0)
            return -1;
        if (lstat(out->path, &st) != 0 && errno == ENOENT)
            break;
        if (copy == 1000)
            return ea_err_set(err, EA_EXIT_INTERNAL, "%s: a thousand copies there already", dir);
    }
    if (ea_write_file_atomic(dir, name, bytes, n, PRIVATE_FILE_MODE, err) != 0)
        return -1;
    return 0;
}

int ea_session_keep_image(ea_session *s, int turn, int k, const char *ext, const void *bytes,
                          size_t n, ea_audit_image *saved, ea_audit_unsaved *unsaved,
                          ea_err *err)
{
    memset(unsaved, 0, sizeof *unsaved);
    ea_err first = {0}, second = {0};
    if (ea_session_save_image(s, turn, k, ext, bytes, n, saved, &first) == 0)
        return 0;
    unsaved->bytes = n;
    snprintf(unsaved->format, sizeof unsaved->format, "%s", format_of(ext));
    if (ea_sha256_hex(bytes, n, unsaved->sha256, &second) == 0 &&
        rescue_image(s, turn, k, ext, bytes, n, unsaved, &second) == 0) {
        snprintf(unsaved->reason, sizeof unsaved->reason, "%.500s", first.msg);
        return 1;
    }
    unsaved->path[0] = '\0';
    snprintf(unsaved->reason, sizeof unsaved->reason, "%.250s; rescue: %.250s", first.msg,
             second.msg);
    ea_err_set(err, EA_EXIT_INTERNAL, "%s", unsaved->reason);
    return -1;
}

int ea_session_save_input(ea_session *s, const char *name, const char *sha256,
                          const void *bytes, size_t n, ea_err *err)
{
    if (check_writable(s, err) != 0)
        return -1;
    char inputs[PATH_MAX], path[PATH_MAX], hex[EA_SHA256_HEX_SIZE];
    if (strchr(name, '/') || name[0] == '.')
        return ea_err_set(err, EA_EXIT_INTERNAL, "bad input name %s", name);
    if (ea_path_join(inputs, sizeof inputs, s->dir, INPUTS_DIR, err) != 0 ||
        ea_path_join(path, sizeof path, inputs, name, err) != 0 ||
        ea_mkdir_p(inputs, PRIVATE_DIR_MODE, err) != 0)
        return -1;
    struct stat st;
    if (lstat(path, &st) == 0) {
        uint64_t size = 0;
        if (S_ISREG(st.st_mode) && ea_sha256_file_hex(path, hex, &size, NULL) == 0 &&
            size == n && strcmp(hex, sha256) == 0)
            return 0;
        return ea_err_set(err, EA_EXIT_INTERNAL, INPUTS_DIR "/%s is there already and does not "
                          "hold what its name says; `easel log --verify` tells which turn it "
                          "belongs to (it is kept as evidence, not replaced)", name);
    }
    return ea_write_file_atomic(inputs, name, bytes, n, PRIVATE_FILE_MODE, err);
}

int ea_session_accept_turn(ea_session *s, int turn, const char *response_id,
                           long sequence_number, ea_err *err)
{
    if (check_writable(s, err) != 0)
        return -1;
    return ea_audit_append_accepted(s->audit, turn, response_id, sequence_number, err);
}

int ea_session_end_turn(ea_session *s, int turn, const ea_audit_result *res, ea_err *err)
{
    if (check_writable(s, err) != 0 || ea_audit_append_result(s->audit, turn, res, err) != 0)
        return -1;
    if (write_session_json(s, err) != 0) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        return ea_err_set(err, EA_EXIT_INTERNAL,
                          "turn %d is recorded in the log, but session.json was not updated: %s",
                          turn, why);
    }
    return 0;
}

/* ---- The workbench's draft ------------------------------------------------------------- */

/* The panel's values for the parameters session.json's `defaults` names. */
static void defaults_from_draft(const ea_draft *d, ea_session_defaults *out)
{
    static const struct { const char *opt; size_t off, size; } map[] = {
#define FIELD(opt, f) {opt, offsetof(ea_session_defaults, f), sizeof ((ea_session_defaults *)0)->f}
        FIELD("model", model), FIELD("text-model", text_model), FIELD("api", api),
        FIELD("size", size), FIELD("quality", quality), FIELD("format", format),
#undef FIELD
    };
    ea_session_defaults_init(out);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        const char *v = ea_draft_param(d, map[i].opt);
        snprintf((char *)out + map[i].off, map[i].size, "%s", v ? v : "");
    }
    const char *partials = ea_draft_param(d, "partials");
    char *end;
    long n = partials ? strtol(partials, &end, 10) : -1;
    out->partials = partials && *end == '\0' && n >= 0 && n <= 3 ? (int)n : -1;
}

int ea_session_save_draft(ea_session *s, const ea_draft *d, ea_err *err)
{
    if (check_writable(s, err) != 0)
        return -1;
    ea_buf text;
    ea_buf_init(&text, EA_BUF_UNCAPPED);
    json_t *draft = ea_draft_to_json(d, &text) == 0 ? json_loadb(text.data, text.len, 0, NULL)
                                                     : NULL;
    ea_buf_free(&text);
    if (!draft)
        return ea_err_set(err, EA_EXIT_INTERNAL, "cannot write the draft as JSON");
    json_t *old_draft = s->draft;
    ea_session_defaults old_defaults = s->defaults;
    s->draft = draft;
    defaults_from_draft(d, &s->defaults);
    if (write_session_json(s, err) != 0) {
        json_decref(draft);
        s->draft = old_draft;
        s->defaults = old_defaults;
        return -1;
    }
    json_decref(old_draft);
    return 0;
}

int ea_session_read_draft(const char *dir, ea_draft *d, ea_err *err)
{
    session_summary summary = {0};
    if (read_session_json(dir, NULL, NULL, &summary, err) != 0)
        return -1;
    if (!summary.draft)
        return 0;
    char *text = json_dumps(summary.draft, JSON_COMPACT);
    json_decref(summary.draft);
    int rc = text ? ea_draft_from_json(text, strlen(text), d, err)
                  : ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    free(text);
    return rc == 0 ? 1 : -1;
}

/* ---- Renaming and the trash ------------------------------------------------------------ */

int ea_session_set_name(ea_session *s, const char *name, ea_err *err)
{
    char holder[EA_SESSION_ID_LEN + 1];
    if (check_writable(s, err) != 0 || check_sound(s, err) != 0 || check_name(name, err) != 0)
        return -1;
    int names = lock_names(err);
    if (names < 0)
        return -1;
    int rc = 0, found = find_by_name(name, holder, err);
    if (found < 0) {
        rc = -1;
    } else if (found == 0 && strcmp(holder, s->id) != 0) {
        rc = ea_err_set(err, EA_EXIT_USAGE, "a session named '%s' exists already (%s)", name,
                        holder);
    } else {
        char before[sizeof s->name];
        memcpy(before, s->name, sizeof before);
        snprintf(s->name, sizeof s->name, "%s", name);
        /* The log first: it wins over session.json when the two disagree. */
        if (ea_audit_append_name(s->audit, name, err) != 0 || write_session_json(s, err) != 0) {
            memcpy(s->name, before, sizeof before);
            rc = -1;
        }
    }
    unlock_names(names);
    return rc;
}

int ea_session_trash(ea_session **sp, char *moved_to, size_t size, ea_err *err)
{
    ea_session *s = *sp;
    char data[PATH_MAX], trash[PATH_MAX], target[PATH_MAX], root[PATH_MAX];
    if (check_writable(s, err) != 0 || ea_path_dir(EA_DIR_DATA, data, sizeof data, err) != 0 ||
        ea_path_join(trash, sizeof trash, data, "trash", err) != 0 ||
        ea_mkdir_p(trash, PRIVATE_DIR_MODE, err) != 0 ||
        ea_path_join(root, sizeof root, data, "sessions", err) != 0)
        return -1;
    /* The lock is held, so no other easel writes to the folder while it moves. A name taken
     * in the trash (the same session trashed, restored by hand and trashed again) gets a
     * number: nothing in the trash is ever replaced. */
    for (int k = 0;; k++) {
        int n = k ? snprintf(target, sizeof target, "%s/%s.%d", trash, s->id, k)
                  : snprintf(target, sizeof target, "%s/%s", trash, s->id);
        if (n < 0 || (size_t)n >= sizeof target)
            return ea_err_set(err, EA_EXIT_INTERNAL, "the trash's path is too long");
        struct stat st;
        if (lstat(target, &st) != 0 && errno == ENOENT)
            break;
        if (k == 1000)
            return ea_err_set(err, EA_EXIT_INTERNAL, "%s: no free name in the trash", target);
    }
    if (rename(s->dir, target) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "move %s to %s: %s", s->dir, target,
                          strerror(errno));
    if (ea_fsync_dir(root, err) != 0 || ea_fsync_dir(trash, err) != 0)
        return -1; /* moved, but not known to be on disk yet */
    if (moved_to)
        snprintf(moved_to, size, "%s", target);
    ea_session_close(sp);
    return 0;
}

static int trash_dir(char *trash, size_t size, char *root, size_t root_size, ea_err *err)
{
    char data[PATH_MAX];
    if (ea_path_dir(EA_DIR_DATA, data, sizeof data, err) != 0 ||
        ea_path_join(trash, size, data, "trash", err) != 0)
        return -1;
    return root ? ea_path_join(root, root_size, data, "sessions", err) : 0;
}

/* A trash entry: an ID, or an ID and ".k" (ea_session_trash). */
static bool trash_entry_id(const char *name, char id[EA_SESSION_ID_LEN + 1])
{
    size_t n = strcspn(name, ".");
    if (n > EA_SESSION_ID_LEN)
        return false;
    memcpy(id, name, n);
    id[n] = '\0';
    return ea_session_is_id(id) && (!name[n] || strspn(name + n + 1, "0123456789") == strlen(name + n + 1));
}

typedef struct trashed {
    char *name;
    time_t when;
} trashed;

static int newest_trashed_first(const void *pa, const void *pb)
{
    const trashed *a = pa, *b = pb;
    return a->when != b->when ? (a->when < b->when ? 1 : -1) : strcmp(b->name, a->name);
}

int ea_session_trash_list(char *dir, size_t dir_size, char ***names, size_t *count, ea_err *err)
{
    *names = NULL;
    *count = 0;
    if (trash_dir(dir, dir_size, NULL, 0, err) != 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : ea_err_set(err, EA_EXIT_INTERNAL, "open %s: %s", dir, strerror(errno));
    trashed *items = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        char id[EA_SESSION_ID_LEN + 1];
        struct stat st;
        /* When it was trashed: the folder's change time (rename(2) sets it). */
        if (!trash_entry_id(e->d_name, id) || fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            trashed *grown = realloc(items, cap * sizeof *grown);
            if (!grown) {
                rc = -1;
                break;
            }
            items = grown;
        }
        if (!(items[n].name = strdup(e->d_name))) {
            rc = -1;
            break;
        }
        items[n++].when = st.st_ctime;
    }
    closedir(d);
    if (n > 1)
        qsort(items, n, sizeof *items, newest_trashed_first);
    if (rc == 0 && n && !(*names = malloc(n * sizeof **names)))
        rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            (*names)[i] = items[i].name;
        else
            free(items[i].name);
    }
    free(items);
    if (rc != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    *count = n;
    return 0;
}

int ea_session_restore(const char *name, char *id, size_t id_size, ea_err *err)
{
    char trash[PATH_MAX], root[PATH_MAX], from[PATH_MAX], to[PATH_MAX], bare[EA_SESSION_ID_LEN + 1];
    if (!trash_entry_id(name, bare))
        return ea_err_set(err, EA_EXIT_USAGE, "%s is not a session in the trash", name);
    if (trash_dir(trash, sizeof trash, root, sizeof root, err) != 0 ||
        ea_path_join(from, sizeof from, trash, name, err) != 0 ||
        ea_path_join(to, sizeof to, root, bare, err) != 0 || ea_mkdir_p(root, PRIVATE_DIR_MODE, err) != 0)
        return -1;
    struct stat st;
    if (lstat(to, &st) == 0)
        return ea_err_set(err, EA_EXIT_USAGE, "a session %s exists already: rename or trash it first", bare);
    if (lstat(from, &st) != 0 || !S_ISDIR(st.st_mode))
        return ea_err_set(err, EA_EXIT_USAGE, "%s: not in the trash", from);
    if (rename(from, to) != 0)
        return ea_err_set(err, EA_EXIT_INTERNAL, "move %s to %s: %s", from, to, strerror(errno));
    if (ea_fsync_dir(root, err) != 0 || ea_fsync_dir(trash, err) != 0)
        return -1;
    snprintf(id, id_size, "%s", bare);
    return 0;
}

/* ---- Listing --------------------------------------------------------------------------- */

static int newest_first(const void *pa, const void *pb)
{
    const ea_session_info *a = pa, *b = pb;
    int by_time = strcmp(b->created, a->created);
    return by_time ? by_time : strcmp(b->id, a->id);
}

/* The lister: every folder's name at once (readdir, no file opened), sorted newest first,
 * then one session.json per call. IDs sort by creation time to the second; sessions created
 * in the same second are read together and ordered by `created`, so the order is
 * newest_first's for every session whose ID was made from its `created` (all that easel
 * makes). */
#define ID_SECOND_LEN 15 /* "20261125-153012" */

typedef char session_id[EA_SESSION_ID_LEN + 1];

struct ea_session_lister {
    char root[PATH_MAX];
    session_id *ids;
    size_t n_ids, next_id;
    ea_session_info *group; /* the sessions of one second, sorted, handed out in turn */
    size_t n_group, next_group, group_cap;
};

static int newest_id_first(const void *pa, const void *pb)
{
    return strcmp(*(const session_id *)pb, *(const session_id *)pa);
}

int ea_session_lister_open(ea_session_lister **out, ea_err *err)
{
    *out = NULL;
    ea_session_lister *l = calloc(1, sizeof *l);
    if (!l)
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    if (ea_sessions_root(l->root, sizeof l->root, err) != 0) {
        free(l);
        return -1;
    }
    DIR *d = opendir(l->root);
    if (!d && errno != ENOENT) {
        int rc = ea_err_set(err, EA_EXIT_INTERNAL, "open %s: %s", l->root, strerror(errno));
        free(l);
        return rc;
    }
    size_t cap = 0;
    struct dirent *entry;
    while (d && (entry = readdir(d)) != NULL) {
        if (!ea_session_is_id(entry->d_name))
            continue;
        if (l->n_ids == cap) {
            cap = cap ? cap * 2 : 64;
            session_id *grown = realloc(l->ids, cap * sizeof *grown);
            if (!grown) {
                closedir(d);
                ea_session_lister_close(&l);
                return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
            }
            l->ids = grown;
        }
        memcpy(l->ids[l->n_ids++], entry->d_name, sizeof(session_id));
    }
    if (d)
        closedir(d);
    if (l->n_ids > 1)
        qsort(l->ids, l->n_ids, sizeof l->ids[0], newest_id_first);
    *out = l;
    return 0;
}

/* Reads the sessions of the next second that has any into l->group. False at the end. */
static bool read_group(ea_session_lister *l)
{
    l->n_group = l->next_group = 0;
    while (l->n_group == 0 && l->next_id < l->n_ids) {
        const char *first = l->ids[l->next_id];
        size_t end = l->next_id + 1;
        while (end < l->n_ids && strncmp(l->ids[end], first, ID_SECOND_LEN) == 0)
            end++;
        if (end - l->next_id > l->group_cap) {
            ea_session_info *grown = realloc(l->group, (end - l->next_id) * sizeof *grown);
            if (!grown)
                return false;
            l->group = grown;
            l->group_cap = end - l->next_id;
        }
        for (; l->next_id < end; l->next_id++) {
            char dir[PATH_MAX];
            ea_session_info *info = &l->group[l->n_group];
            memset(info, 0, sizeof *info);
            /* Without a usable session.json (missing, damaged, a link), the log tells, so that
             * a name is never taken twice; without a log either, the folder is being created
             * or is not easel's. */
            if (ea_path_join(dir, sizeof dir, l->root, l->ids[l->next_id], NULL) != 0 ||
                check_real_dir(dir, NULL) != 0 ||
                (read_session_json(dir, info, NULL, NULL, NULL) != 0 &&
                 rebuild_info(dir, l->ids[l->next_id], info, NULL) != 0))
                continue;
            memcpy(info->id, l->ids[l->next_id], sizeof info->id); /* the folder is the truth */
            l->n_group++;
        }
    }
    if (l->n_group > 1)
        qsort(l->group, l->n_group, sizeof l->group[0], newest_first);
    return l->n_group > 0;
}

int ea_session_lister_next(ea_session_lister *l, ea_session_info *info)
{
    if (l->next_group == l->n_group && !read_group(l))
        return 0;
    *info = l->group[l->next_group++];
    return 1;
}

size_t ea_session_lister_left(const ea_session_lister *l)
{
    return l->n_ids - l->next_id + (l->n_group - l->next_group);
}

void ea_session_lister_close(ea_session_lister **lp)
{
    ea_session_lister *l = *lp;
    if (!l)
        return;
    free(l->ids);
    free(l->group);
    free(l);
    *lp = NULL;
}

int ea_session_list_load(ea_session_list *out, ea_err *err)
{
    out->items = NULL;
    out->count = 0;
    ea_session_lister *l;
    if (ea_session_lister_open(&l, err) != 0)
        return -1;
    size_t cap = ea_session_lister_left(l);
    if (cap && !(out->items = malloc(cap * sizeof *out->items))) {
        ea_session_lister_close(&l);
        return ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
    }
    while (out->count < cap && ea_session_lister_next(l, &out->items[out->count]) == 1)
        out->count++;
    ea_session_lister_close(&l);
    /* The lister's order already, unless a folder's ID and its `created` disagree (a folder
     * renamed by hand): the listing's contract is `created`, so sort by it. */
    if (out->count > 1)
        qsort(out->items, out->count, sizeof out->items[0], newest_first);
    return 0;
}

int ea_session_info_json(const ea_session_info *info, ea_buf *out)
{
    json_t *line = json_pack("{s:s, s:o, s:s, s:s, s:i, s:i, s:f, s:f, s:f}", "id", info->id, "name",
                             text_or_null(info->name), "created", info->created,
                             "last_activity", info->last_activity, "turns", info->turns,
                             "images", info->images, "spend_usd", info->spend_usd,
                             "offline_usd", info->offline_usd, "batch_usd", info->batch_usd);
    char *text = line ? json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII |
                                             JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12))
                      : NULL;
    json_decref(line);
    int rc = text ? ea_buf_puts(out, text) : -1;
    free(text);
    return rc;
}

void ea_session_list_free(ea_session_list *list)
{
    free(list->items);
    list->items = NULL;
    list->count = 0;
}
