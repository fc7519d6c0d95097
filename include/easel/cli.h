/* SPDX-License-Identifier: MIT */
/* cli: one entry point per command (src/cli/, one file each). argv[0] is the command's name;
 * each returns an exit code of enum ea_exit and handles its own --help. */
#ifndef EASEL_CLI_H
#define EASEL_CLI_H

int ea_cmd_generate(int argc, char **argv);
int ea_cmd_sessions(int argc, char **argv);
int ea_cmd_log(int argc, char **argv);
int ea_cmd_show(int argc, char **argv);
int ea_cmd_export(int argc, char **argv);
int ea_cmd_doctor(int argc, char **argv);
int ea_cmd_mock(int argc, char **argv);
int ea_cmd_resume(int argc, char **argv);
int ea_cmd_batch(int argc, char **argv);
int ea_cmd_models(int argc, char **argv);

/* Each command's descriptor, with its option table (options.h), defined in its file. */
#include "easel/options.h"
extern const ea_command ea_command_generate, ea_command_sessions, ea_command_log,
    ea_command_export, ea_command_show, ea_command_doctor, ea_command_mock, ea_command_resume,
    ea_command_batch, ea_command_models, ea_command_help, ea_command_completions, ea_command_complete;

/* Shared by the commands that open a session (src/cli/resume.c): background turns a stopped
 * easel left accepted without a result are read to their end, with progress on stderr. */
#include <stdbool.h>

#include "easel/backend.h"
#include "easel/http.h"
#include "easel/prices.h"
#include "easel/session.h"

/* easel export's work, for the workbench's export too (src/cli/export.c): the images of a
 * session (`which`, a name or id), or of one turn (turn > 0), or its image-th image (image >
 * 0), into dest with their sidecars,
 * and with `inputs` the files they sent. Each file that fails goes to report (the export goes
 * on); counts get how many did. 0, or -1 with err (nothing found to export from). */
typedef struct ea_export_counts {
    size_t exported, inputs_exported, failed;
} ea_export_counts;
typedef void (*ea_export_report)(void *ctx, const char *msg);
int ea_export(const char *which, long turn, long image, const char *dest, bool inputs,
              ea_export_report report, void *ctx, ea_export_counts *counts, ea_err *err);

/* Every resumable turn of a session opened to write, on http: how many were, or -1 with err.
 * *worst (may be NULL) gets the worst exit code of them. SIGINT, SIGTERM and SIGHUP stop the
 * wait and leave the turn resumable. */
int ea_resume_session(ea_session *session, ea_http *http, const ea_backend *backend,
                      const ea_prices *prices, int *worst, ea_err *err);
/* True when the session (read, not locked) has a resumable turn. */
bool ea_resume_pending(const char *name_or_id);
/* Opens the session to write, with the config's backend, and resumes its turns. */
int ea_resume_named(const char *name_or_id, int *worst, ea_err *err);

#endif
