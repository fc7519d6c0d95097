/* SPDX-License-Identifier: MIT */
/* export: a session's images (or one turn's) copied byte for byte into a folder, each with a
 * sidecar .json of how it was made, and whether it carries a C2PA manifest. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "easel/cli.h"
#include "easel/options.h"
#include "easel/hash.h"
#include "easel/history.h"
#include "easel/paths.h"
#include "easel/provenance.h"
#include "easel/sanitize.h"
#include "easel/session.h"

/* Larger than any image the API returns; a bigger file is not one easel saved. */
#define IMAGE_MAX_BYTES ((size_t)256 << 20)
#define EXPORT_DIR_MODE 0700
#define EXPORT_FILE_MODE 0600

enum { OPT_INPUTS = 1 };

static const ea_opt export_opts[] = {
    {"inputs", 0, NULL,
     "also copy the files those turns sent (images edited, references, masks) as "
     "DEST/inputs/SHA256.EXT, the path their sidecars name, each checked against the sha256 the "
     "log records", OPT_INPUTS, EA_VAL_NONE, NULL, NULL},
};
EA_OPTIONS_FN(export_options, export_opts)

const ea_command ea_command_export = {
    "export", "SESSION[:TURN[:K]] DEST", "copy images byte for byte, with a sidecar .json",
    "Copies the images of a session (or of one turn, or its K-th image) into the folder DEST, "
    "created if needed, byte for byte (any C2PA manifest stays intact), each with a sidecar "
    "TURN-K.json: prompt, revised prompt (the image's own), parameters, inputs, ids, usage and cost. Says whether each image carries a "
    "C2PA manifest. Files already in DEST are never replaced. Folders it creates are 0700 and "
    "files 0600, as in the session, whatever the umask.",
    NULL, ea_cmd_export, export_options, EA_VAL_SESSION, false,
};

/* The whole file, a regular file in the session (a link is refused); NULL with err. */
static unsigned char *read_image(const char *path, size_t *len, ea_err *err)
{
    int fd = ea_open_file(path, O_RDONLY | O_NOFOLLOW, 0, err);
    struct stat st;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0) {
        ea_err_set(err, EA_EXIT_INTERNAL, "cannot read %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size, got = 0;
    unsigned char *data = size <= IMAGE_MAX_BYTES ? malloc(size ? size : 1) : NULL;
    while (data && got < size) {
        ssize_t n = read(fd, data + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!data || got != size) {
        free(data);
        ea_err_set(err, EA_EXIT_INTERNAL, "cannot read %s", path);
        return NULL;
    }
    *len = size;
    return data;
}

/* Writes DEST/name unless it exists already: an export never replaces a file. */
static int write_new(const char *dest, const char *name, const void *bytes, size_t n,
                     ea_err *err)
{
    char path[PATH_MAX];
    struct stat st;
    if (ea_path_join(path, sizeof path, dest, name, err) != 0)
        return -1;
    if (lstat(path, &st) == 0)
        return ea_err_set(err, EA_EXIT_USAGE, "%s exists already; export into another folder",
                          path);
    /* The session's modes whatever the umask: what it holds is as private as the session. */
    return ea_write_file_atomic(dest, name, bytes, n, EXPORT_FILE_MODE, err);
}

typedef struct export_job {
    const ea_session_info *info;
    const char *dir;  /* the session's */
    const char *dest;
    bool inputs;      /* --inputs */
    size_t exported, failed, inputs_exported;
} export_job;

/* One input copy into DEST/inputs/, checked against the log's sha256 like an image. A copy
 * already there with the same content is the same input (several turns may send one file):
 * kept, not written twice. */
static int export_input(export_job *job, const ea_history_input *in, ea_err *err)
{
    const char *name = in->path && strncmp(in->path, "inputs/", 7) == 0 ? in->path + 7 : NULL;
    if (!name || !*name || strchr(name, '/') || name[0] == '.' || !in->sha256)
        return ea_err_set(err, EA_EXIT_INTERNAL, "an input of the log is recorded badly "
                          "(easel log --verify); not exported");
    char src[PATH_MAX], dest_dir[PATH_MAX], there[PATH_MAX], hex[EA_SHA256_HEX_SIZE];
    uint64_t size = 0;
    if (ea_path_join(dest_dir, sizeof dest_dir, job->dest, "inputs", err) != 0 ||
        ea_path_join(there, sizeof there, dest_dir, name, err) != 0 ||
        ea_path_join(src, sizeof src, job->dir, in->path, err) != 0)
        return -1;
    struct stat st;
    if (lstat(there, &st) == 0 && S_ISREG(st.st_mode) &&
        ea_sha256_file_hex(there, hex, &size, NULL) == 0 && strcmp(hex, in->sha256) == 0)
        return 0;
    size_t len = 0;
    unsigned char *data = read_image(src, &len, err);
    if (!data)
        return -1;
    int rc = -1;
    if (ea_sha256_hex(data, len, hex, err) != 0)
        goto done;
    if (strcmp(hex, in->sha256) != 0) {
        ea_err_set(err, EA_EXIT_INTERNAL, "%s does not match the sha256 the log records for it "
                   "(easel log --verify); not exported", in->path);
        goto done;
    }
    if (ea_mkdir_p(dest_dir, EXPORT_DIR_MODE, err) != 0 || write_new(dest_dir, name, data, len, err) != 0)
        goto done;
    printf("%s/%s  input (%s) %.1f kB\n", dest_dir, name, in->role ? in->role : "?",
           (double)len / 1000.0);
    job->inputs_exported++;
    rc = 0;
done:
    free(data);
    return rc;
}

/* One image: checked against the log's sha256 (a changed file is not exported as the one the
 * log describes), copied, then its sidecar. */
static int export_image(export_job *job, const ea_history_turn *t, size_t k, ea_err *err)
{
    const ea_audit_image *img = &t->images[k];
    const char *base = strrchr(img->path, '/') ? strrchr(img->path, '/') + 1 : img->path;
    char src[PATH_MAX], hex[EA_SHA256_HEX_SIZE], sidecar_name[96];
    size_t len = 0;
    if (!ea_audit_safe_path(img->path, "images"))
        return ea_err_set(err, EA_EXIT_INTERNAL, "turn %d: the log names image '%s', which is "
                          "not in the session's images folder (easel log --verify); not exported",
                          t->turn, img->path);
    if (ea_path_join(src, sizeof src, job->dir, img->path, err) != 0)
        return -1;
    unsigned char *data = read_image(src, &len, err);
    if (!data)
        return -1;
    int rc = -1;
    ea_buf sidecar;
    ea_buf_init(&sidecar, EA_BUF_UNCAPPED);
    if (ea_sha256_hex(data, len, hex, err) != 0)
        goto done;
    if (strcmp(hex, img->sha256) != 0 || len != img->bytes) {
        ea_err_set(err, EA_EXIT_INTERNAL, "%s does not match the sha256 the log records for it "
                   "(easel log --verify); not exported", img->path);
        goto done;
    }
    ea_c2pa_info c2pa;
    ea_c2pa_detect(data, len, &c2pa);
    /* "3-1.png" -> "3-1.json": the sidecar sits beside its image under the same stem. */
    snprintf(sidecar_name, sizeof sidecar_name, "%.*s.json",
             (int)(strrchr(base, '.') ? strrchr(base, '.') - base : (long)strlen(base)), base);
    if (ea_history_sidecar(t, k, job->info->id, job->info->name,
                           c2pa.state == EA_C2PA_PRESENT, c2pa.where, &sidecar) != 0) {
        ea_err_set(err, EA_EXIT_INTERNAL, "out of memory");
        goto done;
    }
    if (write_new(job->dest, base, data, len, err) != 0 ||
        write_new(job->dest, sidecar_name, sidecar.data, sidecar.len, err) != 0)
        goto done;
    char shown_dest[PATH_MAX], shown_base[96], shown_format[32], shown_where[128];
    ea_sanitize_copy(shown_dest, sizeof shown_dest, job->dest);
    ea_sanitize_copy(shown_base, sizeof shown_base, base);
    ea_sanitize_copy(shown_format, sizeof shown_format, *c2pa.format ? c2pa.format : "?");
    ea_sanitize_copy(shown_where, sizeof shown_where,
                     c2pa.state == EA_C2PA_ABSENT ? "none" : c2pa.where);
    printf("%s/%s  %s %.1f kB  C2PA: %s\n", shown_dest, shown_base, shown_format,
           (double)len / 1000.0, shown_where);
    rc = 0;
done:
    ea_buf_free(&sidecar);
    free(data);
    return rc;
}

/* The values a turn's records keep aside (a revised prompt of megabytes), checked against the
 * log and copied to DEST/text/ under the same names, where the sidecars' side_files point. A
 * file there already with the same bytes is the same copy (every image of a turn names it). */
static int export_side_files(export_job *job, const ea_history_turn *t, ea_err *err)
{
    char src[PATH_MAX], dest[PATH_MAX], there[PATH_MAX], hex[EA_SHA256_HEX_SIZE];
    if (ea_path_join(dest, sizeof dest, job->dest, EA_AUDIT_SIDE_DIR, err) != 0)
        return -1;
    for (size_t i = 0; i < t->n_side_files; i++) {
        const ea_audit_side_file *f = &t->side_files[i];
        const char *name = f->path + sizeof EA_AUDIT_SIDE_DIR;
        size_t len = 0;
        uint64_t size = 0;
        if (!ea_audit_safe_path(f->path, EA_AUDIT_SIDE_DIR))
            return ea_err_set(err, EA_EXIT_INTERNAL, "turn %d: the log names side file '%s', "
                              "which is not in the session's " EA_AUDIT_SIDE_DIR " folder",
                              t->turn, f->path);
        if (ea_path_join(there, sizeof there, dest, name, err) != 0 ||
            ea_path_join(src, sizeof src, job->dir, f->path, err) != 0)
            return -1;
        if (ea_sha256_file_hex(there, hex, &size, NULL) == 0 && strcmp(hex, f->sha256) == 0 &&
            size == f->bytes)
            continue;
        unsigned char *data = read_image(src, &len, err);
        if (!data)
            return -1;
        int rc = ea_sha256_hex(data, len, hex, err);
        if (rc == 0 && (strcmp(hex, f->sha256) != 0 || len != f->bytes))
            rc = ea_err_set(err, EA_EXIT_INTERNAL, "%s does not match the sha256 the log records "
                            "for it (easel log --verify); not exported", f->path);
        if (rc == 0)
            rc = ea_mkdir_p(dest, EXPORT_DIR_MODE, err);
        if (rc == 0)
            rc = write_new(dest, name, data, len, err);
        free(data);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* "name:3" -> "name" and 3; a name may hold ':' itself, so only a number after the last one
 * counts as a turn. */
static void split_target(const char *arg, char *session, size_t size, long *turn)
{
    *turn = 0;
    snprintf(session, size, "%s", arg);
    char *colon = strrchr(session, ':');
    if (!colon || !colon[1])
        return;
    char *end;
    long n = strtol(colon + 1, &end, 10);
    if (*end == '\0' && n > 0) {
        *turn = n;
        *colon = '\0';
    }
}

static void report_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "easel export: %s\n", msg);
}

int ea_export(const char *which, long turn, long image, const char *dest, bool inputs,
              ea_export_report report, void *ctx, ea_export_counts *counts, ea_err *err)
{
    memset(counts, 0, sizeof *counts);
    ea_session_info info;
    char dir[PATH_MAX];
    if (ea_session_locate(which, &info, dir, sizeof dir, err) != 0 ||
        ea_mkdir_p(dest, EXPORT_DIR_MODE, err) != 0)
        return -1;
    export_job job = {.info = &info, .dir = dir, .dest = dest, .inputs = inputs};
    ea_history_reader *r = NULL;
    ea_history_turn t = {0};
    bool turn_seen = false;
    int got = ea_history_open(dir, &r, err);
    while (got == 0 && (got = ea_history_next(r, &t, err)) == 1) {
        got = 0;
        if (turn && t.turn != turn)
            continue;
        turn_seen = true;
        ea_err side = {0};
        if (t.n_images && export_side_files(&job, &t, &side) != 0) {
            job.failed++;
            report(ctx, side.msg);
        }
        for (size_t k = 0; job.inputs && k < t.n_inputs; k++) {
            ea_err one = {0};
            if (export_input(&job, &t.inputs[k], &one) != 0) {
                job.failed++;
                report(ctx, one.msg);
            }
        }
        if (image && (size_t)image > t.n_images) {
            ea_err_set(err, EA_EXIT_USAGE, "turn %d has %zu image%s, no image %ld", t.turn,
                       t.n_images, t.n_images == 1 ? "" : "s", image);
            ea_history_turn_clear(&t);
            ea_history_close(&r);
            return -1;
        }
        for (size_t k = image ? (size_t)image - 1 : 0; k < (image ? (size_t)image : t.n_images);
             k++) {
            ea_err one = {0};
            if (export_image(&job, &t, k, &one) == 0) {
                job.exported++;
            } else {
                job.failed++;
                report(ctx, one.msg);
            }
        }
    }
    ea_history_turn_clear(&t);
    ea_history_close(&r);
    counts->exported = job.exported;
    counts->inputs_exported = job.inputs_exported;
    counts->failed = job.failed;
    if (got < 0)
        return err->code = EA_EXIT_INTERNAL, -1;
    if (turn && !turn_seen) {
        char shown[64];
        ea_sanitize_copy(shown, sizeof shown, info.id);
        return ea_err_set(err, EA_EXIT_USAGE, "session %s has no turn %ld", shown, turn);
    }
    return 0;
}

int ea_cmd_export(int argc, char **argv)
{
    bool inputs = false;
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_export);
    const char *value;
    int id;
    while ((id = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        if (id == EA_OPT_HELP)
            return EA_EXIT_OK;
        if (id == EA_OPT_BAD)
            return EA_EXIT_USAGE;
        inputs = true; /* OPT_INPUTS, the only one */
    }
    if (argc - p.next != 2) {
        fprintf(stderr, "easel export: %s\nusage: ", argc - p.next < 2 ? "SESSION and DEST, please" : "one SESSION and one DEST, please");
        ea_opt_print_synopsis(stderr, &ea_command_export, 7);
        return EA_EXIT_USAGE;
    }
    const char *args[2] = {argv[p.next], argv[p.next + 1]};
    char which[512], shorter[512];
    long turn, image = 0, turn2;
    split_target(args[0], which, sizeof which, &turn);
    /* SESSION:TURN:K names the K-th image of a turn that made several; a session whose name
     * ends in ":N" is still found by SESSION:TURN when no session bears the shorter name. */
    split_target(which, shorter, sizeof shorter, &turn2);
    ea_session_info info;
    char dir[PATH_MAX];
    ea_err err = {0};
    if (turn2 && ea_session_locate(shorter, &info, dir, sizeof dir, &err) == 0) {
        image = turn;
        turn = turn2;
        snprintf(which, sizeof which, "%s", shorter);
    }
    err = (ea_err){0};
    ea_export_counts job;
    int rc = ea_export(which, turn, image, args[1], inputs, report_stderr, NULL, &job, &err);
    if (rc != 0) {
        fprintf(stderr, "easel export: %s\n", err.msg);
        return err.code ? err.code : EA_EXIT_INTERNAL;
    }
    printf("%zu image%s exported", job.exported, job.exported == 1 ? "" : "s");
    if (inputs)
        printf(", %zu input%s", job.inputs_exported, job.inputs_exported == 1 ? "" : "s");
    if (job.failed)
        printf(", %zu not", job.failed);
    printf("\n");
    return job.failed ? EA_EXIT_INTERNAL : EA_EXIT_OK;
}
