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
int ea_cmd_models(int argc, char **argv);

/* Shared by the commands that open a session (src/cli/resume.c): background turns a stopped
 * easel left accepted without a result are read to their end, with progress on stderr. */
#include <stdbool.h>

#include "easel/backend.h"
#include "easel/http.h"
#include "easel/prices.h"
#include "easel/session.h"

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
