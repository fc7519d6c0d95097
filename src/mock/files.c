/* SPDX-License-Identifier: MIT */
/* mock/files.c: the Files API of the offline backend (protocol.md section 14) and the folder
 * it keeps files and batches in.
 *
 *   POST   /v1/files                multipart: purpose (batch, vision, user_data) and file
 *   GET    /v1/files[?purpose=&limit=&after=]   newest first
 *   GET    /v1/files/{id}
 *   DELETE /v1/files/{id}
 *   GET    /v1/files/{id}/content   the bytes, read from disk as they go out (output files can
 *                                   be GB); Range: bytes=N- (or N-M) answers 206
 *
 * A file is two entries of <store>/files: ID (the bytes) and ID.json (the object as served),
 * the bytes renamed into place first, so a file whose object exists is whole. Uploads are
 * written to disk as they arrive (mock_spool), never held whole in memory. The fault
 * cut=BYTES[,cut-count=N] closes the first N downloads after BYTES bytes, as a broken link
 * would, so a client's resume (Range) or re-fetch can be tested. In a state folder given to
 * the mock, files and batches untouched for KEEP_DAYS are removed when the mock first uses it. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "easel/hash.h"
#include "easel/paths.h"

#define INVALID "invalid_request_error"
#define CONTENT_BLOCK_SIZE (256 * 1024)
#define KEEP_DAYS 7

struct mock_store {
    pthread_mutex_t lock;       /* guards the lazy folder creation and the cut counter */
    char root[1024];
    bool temp;                  /* root is ours: removed by mock_store_free */
    bool made;
    char files[1100], batches[1100];
    long cuts;                  /* downloads the cut fault has cut so far */
};

struct mock_spool {
    int fd;
    char path[1200];
    ea_sha256 *hash;
    size_t bytes;
};

long long mock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool mock_safe_id(const char *id)
{
    size_t n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
    return n > 0 && n < 64 && id[n] == '\0';
}

/* ---- the store ---- */

mock_store *mock_store_new(const char *state_dir)
{
    mock_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    if (state_dir)
        snprintf(s->root, sizeof s->root, "%s", state_dir);
    else
        s->temp = true;
    return s;
}

/* A shared folder (the offline backend's, in the cache) would keep every output file of
 * every batch: entries untouched for a week go. */
static void sweep(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    time_t old = time(NULL) - (time_t)KEEP_DAYS * 86400;
    struct dirent *ent;
    struct stat st;
    char path[1400];
    while ((ent = readdir(d))) {
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < old)
            unlink(path);
    }
    closedir(d);
}

/* Makes the folders on first use: a mock that never sees a file leaves nothing behind. */
static bool store_make(mock_store *s)
{
    pthread_mutex_lock(&s->lock);
    if (!s->made) {
        if (s->temp) {
            const char *tmp = getenv("TMPDIR");
            snprintf(s->root, sizeof s->root, "%s/easel-mock-XXXXXX", tmp && *tmp ? tmp : "/tmp");
            if (!mkdtemp(s->root))
                s->root[0] = '\0';
        }
        snprintf(s->files, sizeof s->files, "%s/files", s->root);
        snprintf(s->batches, sizeof s->batches, "%s/batches", s->root);
        s->made = s->root[0] && ea_mkdir_p(s->files, 0700, NULL) == 0 &&
                  ea_mkdir_p(s->batches, 0700, NULL) == 0;
        if (!s->made && s->temp && s->root[0]) {
            rmdir(s->files);
            rmdir(s->root);
        }
        if (s->made && !s->temp) {
            sweep(s->files);
            sweep(s->batches);
        }
    }
    bool made = s->made;
    pthread_mutex_unlock(&s->lock);
    return made;
}

const char *mock_store_files(mock_store *s) { return store_make(s) ? s->files : NULL; }
const char *mock_store_batches(mock_store *s) { return store_make(s) ? s->batches : NULL; }

long mock_store_cut_due(mock_store *s, const ea_mock_config *cfg)
{
    if (cfg->content_cut < 0)
        return -1;
    pthread_mutex_lock(&s->lock);
    bool due = s->cuts < cfg->content_cut_count;
    if (due)
        s->cuts++;
    pthread_mutex_unlock(&s->lock);
    return due ? cfg->content_cut : -1;
}

/* Removes the entries of a folder of ours (no subfolders), then the folder. */
static void remove_flat(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *ent;
    char path[1400];
    while ((ent = readdir(d)))
        if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0) {
            snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(dir);
}

void mock_store_free(mock_store **sp)
{
    mock_store *s = *sp;
    if (!s)
        return;
    if (s->temp && s->root[0] && s->made) {
        remove_flat(s->files);
        remove_flat(s->batches);
        rmdir(s->root);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
    *sp = NULL;
}

/* ---- uploads on their way to disk ---- */

mock_spool *mock_spool_new(mock_store *s)
{
    const char *dir = mock_store_files(s);
    mock_spool *sp = dir ? calloc(1, sizeof *sp) : NULL;
    if (!sp)
        return NULL;
    snprintf(sp->path, sizeof sp->path, "%s/.upload-XXXXXX", dir);
    sp->fd = mkstemp(sp->path);
    sp->hash = ea_sha256_new();
    if (sp->fd < 0 || !sp->hash) {
        if (sp->fd >= 0) {
            close(sp->fd);
            unlink(sp->path);
        }
        ea_sha256_free(&sp->hash);
        free(sp);
        return NULL;
    }
    return sp;
}

int mock_spool_write(mock_spool *sp, const void *bytes, size_t n)
{
    if (n == 0)
        return 0;
    if (ea_write_all(sp->fd, bytes, n) != 0 || ea_sha256_update(sp->hash, bytes, n) != 0)
        return -1;
    sp->bytes += n;
    return 0;
}

int mock_spool_digest(const mock_spool *sp, char hex[65], size_t *bytes)
{
    *bytes = sp->bytes;
    return ea_sha256_peek_hex(sp->hash, hex);
}

void mock_spool_free(mock_spool **spp)
{
    mock_spool *sp = *spp;
    if (!sp)
        return;
    if (sp->fd >= 0)
        close(sp->fd);
    if (sp->path[0])
        unlink(sp->path); /* still there: the upload never became a file */
    ea_sha256_free(&sp->hash);
    free(sp);
    *spp = NULL;
}

/* ---- file objects ---- */

static int file_paths(mock_store *s, const char *id, char *data, char *meta, size_t len)
{
    const char *dir = mock_store_files(s);
    if (!dir || !mock_safe_id(id))
        return -1;
    snprintf(data, len, "%s/%s", dir, id);
    snprintf(meta, len, "%s/%s.json", dir, id);
    return 0;
}

static json_t *load_object(mock_store *s, const char *id)
{
    char data[1200], meta[1200];
    if (file_paths(s, id, data, meta, sizeof data) != 0)
        return NULL;
    json_t *obj = json_load_file(meta, 0, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int append_json(ea_buf *out, const json_t *obj)
{
    char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = text ? ea_buf_puts(out, text) : -1;
    free(text);
    return rc;
}

int mock_files_object(mock_store *s, const char *id, ea_buf *out)
{
    json_t *obj = load_object(s, id);
    if (!obj)
        return -1;
    int rc = append_json(out, obj);
    json_decref(obj);
    return rc;
}

/* Moves path (a finished file) to the bytes of a new id and writes its object. */
static json_t *adopt(mock_store *s, const char *path, const char *filename, const char *purpose)
{
    char id[40], data[1200], meta[1200];
    mock_random_id(id, sizeof id, "file-");
    id[29] = '\0'; /* "file-" and 24 hex digits, as the API's ids look */
    struct stat st;
    if (file_paths(s, id, data, meta, sizeof data) != 0 || stat(path, &st) != 0 ||
        rename(path, data) != 0)
        return NULL;
    json_t *obj = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:n, s:n}", "id", id, "object",
                            "file", "bytes", (json_int_t)st.st_size, "created_at",
                            (json_int_t)(mock_now_ms() / 1000), "filename", filename, "purpose",
                            purpose, "status", "processed", "expires_at", "status_details");
    char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    const char *dir = mock_store_files(s);
    char name[64];
    snprintf(name, sizeof name, "%s.json", id);
    if (!text || ea_write_file_atomic(dir, name, text, strlen(text), 0600, NULL) != 0) {
        unlink(data);
        json_decref(obj);
        obj = NULL;
    }
    free(text);
    return obj;
}

int mock_files_adopt(mock_store *s, const char *path, const char *filename, const char *purpose,
                     char *id, size_t id_len)
{
    json_t *obj = adopt(s, path, filename, purpose);
    if (!obj)
        return -1;
    snprintf(id, id_len, "%s", json_string_value(json_object_get(obj, "id")));
    json_decref(obj);
    return 0;
}

static int not_found(mock_error *e, const char *id)
{
    return mock_fail(e, 404, INVALID, NULL, "id", "No such File object: %s " MOCK_OFFLINE_NOTE,
                     id);
}

int mock_files_read(mock_server *srv, const char *id, const char *param, ea_buf *out,
                    mock_error *e)
{
    char data[1200], meta[1200];
    mock_store *s = mock_server_store(srv);
    FILE *f = file_paths(s, id, data, meta, sizeof data) == 0 && access(meta, F_OK) == 0
                  ? fopen(data, "rb") : NULL;
    if (!f)
        return mock_fail(e, 400, INVALID, "invalid_value", param,
                         "Invalid file id for '%s': no such file '%s'. " MOCK_OFFLINE_NOTE,
                         param, id);
    int rc = ea_buf_append_stream(out, f);
    fclose(f);
    if (rc != 0)
        return mock_fail(e, 400, INVALID, "invalid_value", param,
                         "The file '%s' is too large for '%s'.", id, param);
    return 0;
}

/* ---- the routes ---- */

static const char *const purposes[] = { "batch", "vision", "user_data", NULL };

static int upload(mock_server *srv, const mock_part *parts, mock_reply *r, mock_error *e)
{
    const mock_part *file = NULL;
    const char *purpose = NULL;
    for (const mock_part *p = parts; p; p = p->next) {
        if (strcmp(p->name, "file") == 0 && p->spool)
            file = p;
        else if (strcmp(p->name, "purpose") == 0 && !p->filename)
            purpose = p->data.data ? p->data.data : "";
    }
    if (!file)
        return mock_fail(e, 400, INVALID, "missing_required_parameter", "file",
                         "Missing required parameter: 'file'.");
    if (!purpose)
        return mock_fail(e, 400, INVALID, "missing_required_parameter", "purpose",
                         "Missing required parameter: 'purpose'.");
    bool known = false;
    for (const char *const *k = purposes; *k; k++)
        known |= strcmp(*k, purpose) == 0;
    if (!known)
        return mock_fail(e, 400, INVALID, "invalid_value", "purpose",
                         "Invalid value for 'purpose': the offline stand-in takes batch, vision "
                         "and user_data, not '%.40s'.", purpose);
    if (file->spool->bytes == 0)
        return mock_fail(e, 400, INVALID, "invalid_value", "file", "The file is empty.");
    json_t *obj = adopt(mock_server_store(srv), file->spool->path,
                        file->filename ? file->filename : "upload", purpose);
    if (!obj)
        return mock_fail(e, 500, "server_error", NULL, NULL,
                         "The offline stand-in could not store the file.");
    file->spool->path[0] = '\0'; /* renamed: nothing left to remove */
    int rc = append_json(&r->body, obj);
    json_decref(obj);
    return rc == 0 ? 0 : mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
}

static int by_newest(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t tx = json_integer_value(json_object_get(x, "created_at"));
    json_int_t ty = json_integer_value(json_object_get(y, "created_at"));
    if (tx != ty)
        return tx < ty ? 1 : -1;
    return strcmp(json_string_value(json_object_get(y, "id")),
                  json_string_value(json_object_get(x, "id")));
}

/* The "limit" query argument: 1..max, default def; -1 when it is not a number in range. */
static int query_limit(struct MHD_Connection *c, int def, int max)
{
    const char *text = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    if (!text)
        return def;
    char *end;
    long v = strtol(text, &end, 10);
    return *text && !*end && v >= 1 && v <= max ? (int)v : -1;
}

/* A page of a list sorted newest first (items are taken): limit, after, has_more, and the
 * first and last ids, as the API's cursor pages are. */
static int list_page(json_t **items, size_t n, struct MHD_Connection *c, int def_limit,
                     int max_limit, ea_buf *out, mock_error *e)
{
    int limit = query_limit(c, def_limit, max_limit);
    const char *after = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after");
    qsort(items, n, sizeof *items, by_newest);
    size_t start = 0;
    if (after) {
        while (start < n && strcmp(json_string_value(json_object_get(items[start], "id")), after))
            start++;
        start = start < n ? start + 1 : n;
    }
    json_t *data = json_array();
    size_t i = start;
    for (; limit > 0 && i < n && json_array_size(data) < (size_t)limit; i++)
        json_array_append(data, items[i]);
    size_t got = json_array_size(data);
    json_t *page = json_pack("{s:s, s:o, s:o, s:o, s:b}", "object", "list", "data", data,
                             "first_id", got ? json_incref(json_object_get(json_array_get(data, 0), "id")) : json_null(),
                             "last_id", got ? json_incref(json_object_get(json_array_get(data, got - 1), "id")) : json_null(),
                             "has_more", i < n);
    for (size_t k = 0; k < n; k++)
        json_decref(items[k]);
    free(items);
    if (limit < 0) {
        json_decref(page);
        return mock_fail(e, 400, INVALID, "invalid_value", "limit",
                         "Invalid 'limit': expected an integer from 1 to %d.", max_limit);
    }
    int rc = page ? append_json(out, page) : -1;
    json_decref(page);
    return rc == 0 ? 0 : mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
}

int mock_list_objects(mock_server *srv, const char *dir, mock_load_fn load, void *arg,
                      struct MHD_Connection *c, int def_limit, int max_limit, ea_buf *out,
                      mock_error *e)
{
    DIR *d = dir ? opendir(dir) : NULL;
    size_t n = 0, cap = 0;
    json_t **items = NULL;
    struct dirent *ent;
    while (d && (ent = readdir(d))) {
        char id[80];
        size_t len = strlen(ent->d_name);
        if (len < 6 || len - 5 >= sizeof id || strcmp(ent->d_name + len - 5, ".json") != 0)
            continue;
        memcpy(id, ent->d_name, len - 5);
        id[len - 5] = '\0';
        json_t *obj = mock_safe_id(id) ? load(srv, id, arg) : NULL;
        if (!obj)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            json_t **grown = realloc(items, cap * sizeof *items);
            if (!grown) {
                json_decref(obj);
                break;
            }
            items = grown;
        }
        items[n++] = obj;
    }
    if (d)
        closedir(d);
    return list_page(items, n, c, def_limit, max_limit, out, e);
}

bool mock_path_id(const char *rest, char *id, size_t size, const char **tail)
{
    if (*rest != '/')
        return false;
    size_t n = strcspn(rest + 1, "/");
    if (n == 0 || n >= size)
        return false;
    memcpy(id, rest + 1, n);
    id[n] = '\0';
    *tail = rest + 1 + n;
    return true;
}

/* A file object for the list, when it has the purpose asked for (arg, or NULL for any). */
static json_t *listed_file(mock_server *srv, const char *id, void *arg)
{
    const char *purpose = arg;
    json_t *obj = load_object(mock_server_store(srv), id);
    const char *p = json_string_value(json_object_get(obj, "purpose"));
    if (obj && purpose && (!p || strcmp(p, purpose) != 0)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int list(mock_server *srv, struct MHD_Connection *c, mock_reply *r, mock_error *e)
{
    const char *purpose = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "purpose");
    return mock_list_objects(srv, mock_store_files(mock_server_store(srv)), listed_file,
                             (void *)purpose, c, 10000, 10000, &r->body, e);
}

typedef struct content {
    int fd;
    uint64_t start;     /* the first byte sent, from Range */
    uint64_t end;       /* one past the last */
    long left;          /* bytes before the cut fault closes the connection; -1: no cut */
} content;

static ssize_t content_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    content *ct = cls;
    if (ct->left == 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    uint64_t at = ct->start + pos;
    if (at >= ct->end)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = ct->end - at < max ? (size_t)(ct->end - at) : max;
    if (ct->left > 0 && (size_t)ct->left < n)
        n = (size_t)ct->left;
    ssize_t got = pread(ct->fd, buf, n, (off_t)at);
    if (got <= 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (ct->left > 0)
        ct->left -= got;
    return got;
}

static void content_free(void *cls)
{
    content *ct = cls;
    close(ct->fd);
    free(ct);
}

/* "bytes=N-" or "bytes=N-M" into [*from, *to]; false for anything else (then the whole file
 * is sent, as a server may do with a range it does not take). */
static bool parse_range(const char *h, uint64_t size, uint64_t *from, uint64_t *to)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || h[6] < '0' || h[6] > '9')
        return false;
    char *end;
    unsigned long long a = strtoull(h + 6, &end, 10);
    if (*end != '-')
        return false;
    unsigned long long b = size ? size - 1 : 0;
    if (end[1]) {
        char *end2;
        b = strtoull(end + 1, &end2, 10);
        if (*end2 || b < a)
            return false;
        if (b >= size)
            b = size ? size - 1 : 0;
    }
    *from = a;
    *to = b;
    return true;
}

static int download(mock_server *srv, struct MHD_Connection *c, const char *id, mock_reply *r,
                    mock_error *e)
{
    char data[1200], meta[1200];
    mock_store *s = mock_server_store(srv);
    if (file_paths(s, id, data, meta, sizeof data) != 0 || access(meta, F_OK) != 0)
        return not_found(e, id);
    content *ct = calloc(1, sizeof *ct);
    if (!ct)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    struct stat st;
    ct->fd = open(data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (ct->fd < 0 || fstat(ct->fd, &st) != 0) {
        content_free(ct);
        return not_found(e, id);
    }
    uint64_t size = (uint64_t)st.st_size, from = 0, to = size ? size - 1 : 0;
    bool ranged = parse_range(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_RANGE), size, &from, &to);
    if (ranged && from >= size) {
        content_free(ct);
        return mock_fail(e, 416, INVALID, NULL, "range",
                         "Range not satisfiable: the file has %llu bytes.",
                         (unsigned long long)size);
    }
    ct->start = from;
    ct->end = size ? to + 1 : 0;
    ct->left = mock_store_cut_due(s, mock_server_config(srv));
    r->content = MHD_create_response_from_callback(ct->end - ct->start, CONTENT_BLOCK_SIZE,
                                                   content_read, ct, content_free);
    if (!r->content) {
        content_free(ct);
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    }
    MHD_add_response_header(r->content, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
    if (ranged) {
        char range[96];
        snprintf(range, sizeof range, "bytes %llu-%llu/%llu", (unsigned long long)from,
                 (unsigned long long)to, (unsigned long long)size);
        MHD_add_response_header(r->content, MHD_HTTP_HEADER_CONTENT_RANGE, range);
        r->status = 206;
    }
    return 0;
}

static int remove_file(mock_server *srv, const char *id, mock_reply *r, mock_error *e)
{
    char data[1200], meta[1200];
    if (file_paths(mock_server_store(srv), id, data, meta, sizeof data) != 0 ||
        unlink(meta) != 0)
        return not_found(e, id);
    unlink(data);
    if (ea_buf_printf(&r->body, "{\"id\":\"%s\",\"object\":\"file\",\"deleted\":true}", id) != 0)
        return mock_fail(e, 500, "server_error", NULL, NULL, "Out of memory.");
    return 0;
}

int mock_files_answer(mock_server *srv, struct MHD_Connection *c, const char *method,
                      const char *url, const mock_part *parts, mock_reply *r, mock_error *e)
{
    const char *rest = url + strlen("/v1/files");
    bool get = strcmp(method, "GET") == 0;
    if (*rest == '\0' || strcmp(rest, "/") == 0) {
        if (strcmp(method, "POST") == 0)
            return upload(srv, parts, r, e);
        if (get)
            return list(srv, c, r, e);
    } else {
        char id[80];
        const char *tail;
        if (!mock_path_id(rest, id, sizeof id, &tail))
            return not_found(e, rest);
        if (get && strcmp(tail, "/content") == 0)
            return download(srv, c, id, r, e);
        if (get && *tail == '\0') {
            if (mock_files_object(mock_server_store(srv), id, &r->body) != 0)
                return not_found(e, id);
            return 0;
        }
        if (strcmp(method, "DELETE") == 0 && *tail == '\0')
            return remove_file(srv, id, r, e);
    }
    return mock_fail(e, 404, INVALID, NULL, NULL, "Invalid URL (%s %s)", method, url);
}
