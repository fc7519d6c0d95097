/* SPDX-License-Identifier: MIT */
/* mock: `easel mock ARGS`, the offline backend in the foreground: easel-mock (a program of its
 * own, design.md 7) run as a child with ARGS and easel's stdio, so that its first line and its
 * messages are the user's. Its options are described here, in the table that gives the help,
 * the completions and the man page test (tests/cli/help_man.sh checks easel-mock takes each).
 * SIGINT, SIGTERM and SIGHUP are passed on to it, and its exit code is this command's. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/err.h"
#include "easel/helper.h"
#include "easel/options.h"

enum {
    OPT_PORT = 1, OPT_DELAY, OPT_PNG_LEVEL, OPT_FAULT, OPT_QUIET, OPT_REQUEST_LOG,
    OPT_BATCH_SECONDS, OPT_BATCH_IMAGE_BYTES, OPT_STATE_DIR, OPT_AZURE,
};

static const ea_opt mock_opts[] = {
    {"port", 'p', "N", "port to listen on; 0 (the default) lets the kernel choose", OPT_PORT,
     EA_VAL_NONE, NULL, NULL},
    {"delay", 'd', "MS", "pause between streamed events (and before a plain reply)", OPT_DELAY,
     EA_VAL_NONE, NULL, NULL},
    {"png-level", 0, "N",
     "zlib level 0-9 of the PNG files sent; 0 stores them uncompressed (the largest streams, "
     "for benchmarks); default: the fastest", OPT_PNG_LEVEL, EA_VAL_NONE, NULL, NULL},
    {"fault", 'f', "F", "inject a fault, for tests; repeatable, or comma-separated", OPT_FAULT,
     EA_VAL_WORDS,
     "status= count= retry-after= retry-after-ms= drop-after= stall=queued expire= error-event= "
     "drip= block= malformed= delay= tool-usage=omit batch-fail= batch-expire= batch-invalid= "
     "cut= cut-count= model=", NULL},
    {"quiet", 'q', NULL, "no request log on stderr", OPT_QUIET, EA_VAL_NONE, NULL, NULL},
    {"request-log", 0, "FILE",
     "append each request received to FILE as a JSON line: its path, body (files and data: "
     "URLs as their sha256 and size), query, and which auth headers came (never their values)",
     OPT_REQUEST_LOG, EA_VAL_FILE, NULL, NULL},
    {"batch-seconds", 0, "S",
     "a batch runs from validating to completed in S seconds (default 5; 0: at once; "
     "fractions allowed)", OPT_BATCH_SECONDS, EA_VAL_NONE, NULL, NULL},
    {"batch-image-bytes", 0, "N",
     "each batch line's image is a cheap flat PNG of about N bytes instead of the drawing (for "
     "benchmarks of big batches)", OPT_BATCH_IMAGE_BYTES, EA_VAL_NONE, NULL, NULL},
    {"state-dir", 0, "DIR",
     "keep files and batches in DIR, for a later mock to read on (default: a private folder "
     "removed on exit)", OPT_STATE_DIR, EA_VAL_FILE, NULL, NULL},
    {"azure", 0, NULL,
     "dressed as Azure OpenAI: the first line names the endpoint (AZURE_OPENAI_ENDPOINT); paths "
     "/openai/deployments/NAME/images/... and /openai/responses need ?api-version=, "
     "/openai/v1/... does not; every request needs an api-key header (/openai/v1/ also takes "
     "Authorization: Bearer); block= answers Azure's content filter error", OPT_AZURE,
     EA_VAL_NONE, NULL, NULL},
};
EA_OPTIONS_FN(mock_options, mock_opts)

static const char mock_notes[] =
    "faults (F is NAME=VALUE[,NAME=VALUE...]):\n"
    "  status=CODE        answer CODE with the API's error body to the first request...\n"
    "    count=N          ...or to the first N requests\n"
    "    retry-after=S    ...with a retry-after header (seconds or an HTTP date)\n"
    "    retry-after-ms=MS  ...with a retry-after-ms header\n"
    "  drop-after=K       close the connection abruptly after partial image K (0-based);\n"
    "                     drop-after=created right after response.created, drop-after=start\n"
    "                     before any event. On a background response (background: true)\n"
    "                     only its first stream (the POST's, or the first GET) is cut\n"
    "  stall=queued       a background response stays queued until it is cancelled\n"
    "  expire=MS          a background response is gone (404) MS after it ended\n"
    "  error-event=K      send an error event after partial image K and end the stream;\n"
    "                     error-event=start sends it before any other event\n"
    "  drip=BPS           trickle every reply at BPS bytes a second\n"
    "  block=WORD         refuse prompts containing WORD (any case) with the moderation\n"
    "                     block (400, code moderation_blocked); up to 8 words\n"
    "  malformed=K        streamed event K (0-based) carries broken JSON; malformed=0 also\n"
    "                     breaks the body of a request that is not streamed\n"
    "  delay=MS           the same as --delay\n"
    "  tool-usage=omit    a Responses reply leaves tool_usage out, as the API may\n"
    "  batch-fail=N       N lines of each batch fail (half with an error body, half with\n"
    "                     response null and error {code, message})\n"
    "  batch-expire=K     each batch expires after K lines: the rest batch_expired\n"
    "  batch-invalid=L    each batch fails validation with an error on line L\n"
    "  cut=BYTES          the first file download closes after BYTES bytes...\n"
    "    cut-count=N      ...or the first N downloads (then Range: bytes=N- resumes)\n"
    "  model=ID           GET /v1/models lists ID too; up to 8\n"
    "\n"
    "examples:\n"
    "  easel mock --port 8099\n"
    "  easel mock --fault status=429,count=2,retry-after=1 --fault block=forbidden\n"
    "  easel mock --delay 500 --fault drop-after=1\n"
    "  easel mock --png-level 0\n";

const ea_command ea_command_mock = {
    "mock", NULL, "the offline backend",
    "Serves the Images and Responses APIs on 127.0.0.1 with pictures drawn from the prompt, "
    "streamed or not, and the Files and Batch APIs (batches of Images requests), until "
    "interrupted. The first line printed is\n"
    "  easel mock listening on http://127.0.0.1:PORT/v1\n"
    "Point a client at it with OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 (any API key).",
    mock_notes, ea_cmd_mock, mock_options, EA_VAL_NONE, false,
};

static volatile sig_atomic_t child_pid;

static void pass_on(int sig)
{
    if (child_pid > 0)
        kill((pid_t)child_pid, sig);
}

/* The options as the table knows them: --help is answered here, and a misspelt option is
 * refused before a server starts; the values are easel-mock's to check. */
static int check_options(int argc, char **argv)
{
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_mock);
    const char *value;
    int c;
    while ((c = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        if (c == EA_OPT_HELP)
            return -1;
        if (c == EA_OPT_BAD)
            return EA_EXIT_USAGE;
    }
    if (p.next < argc) {
        fprintf(stderr, "easel mock: unexpected argument '%s'; see easel mock --help\n",
                argv[p.next]);
        return EA_EXIT_USAGE;
    }
    return EA_EXIT_OK;
}

int ea_cmd_mock(int argc, char **argv)
{
    int checked = check_options(argc, argv);
    if (checked != EA_EXIT_OK)
        return checked < 0 ? EA_EXIT_OK : checked;
    char path[4096];
    ea_err err = {0};
    if (ea_helper_find("easel-mock", path, sizeof path, &err) != 0) {
        fprintf(stderr, "easel mock: %s\n", err.msg);
        return err.code;
    }
    char **child_argv = calloc((size_t)argc + 1, sizeof *child_argv);
    if (!child_argv) {
        fprintf(stderr, "easel mock: out of memory\n");
        return EA_EXIT_INTERNAL;
    }
    child_argv[0] = "easel-mock";
    for (int i = 1; i < argc; i++)
        child_argv[i] = argv[i];

    /* A shell's `&` starts easel with SIGINT ignored, which this handler replaces, as the
     * mock did itself. The signals wait (blocked) until the child's pid is known, so that
     * none is lost in between; the child unblocks them for itself. */
    struct sigaction sa = {0};
    sa.sa_handler = pass_on;
    sigemptyset(&sa.sa_mask);
    sigset_t passed, old;
    sigemptyset(&passed);
    sigaddset(&passed, SIGINT);
    sigaddset(&passed, SIGTERM);
    sigaddset(&passed, SIGHUP);
    sigprocmask(SIG_BLOCK, &passed, &old);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    ea_helper mock;
    int rc = ea_helper_start(&mock, path, child_argv, false, &err);
    free(child_argv);
    child_pid = mock.pid;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fprintf(stderr, "easel mock: %s\n", err.msg);
        return err.code;
    }
    rc = ea_helper_wait(&mock);
    child_pid = 0;
    return rc;
}
