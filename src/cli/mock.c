/* SPDX-License-Identifier: MIT */
/* mock: `easel mock`, the offline backend in the foreground. The first line on stdout names
 * the base URL (scripts read the port from it when --port 0 let the kernel choose); the
 * server then runs until SIGINT or SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/options.h"
#include "easel/err.h"
#include "easel/mock.h"

enum {
    OPT_PORT = 1, OPT_DELAY, OPT_PNG_LEVEL, OPT_FAULT, OPT_QUIET, OPT_REQUEST_LOG,
    OPT_BATCH_SECONDS, OPT_BATCH_IMAGE_BYTES, OPT_STATE_DIR,
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
     "cut= cut-count=", NULL},
    {"quiet", 'q', NULL, "no request log on stderr", OPT_QUIET, EA_VAL_NONE, NULL, NULL},
    {"request-log", 0, "FILE",
     "append each request received to FILE as a JSON line: its path and body, files and data: "
     "URLs as their sha256 and size", OPT_REQUEST_LOG, EA_VAL_FILE, NULL, NULL},
    {"batch-seconds", 0, "S",
     "a batch runs from validating to completed in S seconds (default 5; 0: at once; "
     "fractions allowed)", OPT_BATCH_SECONDS, EA_VAL_NONE, NULL, NULL},
    {"batch-image-bytes", 0, "N",
     "each batch line's image is a cheap flat PNG of about N bytes instead of the drawing (for "
     "benchmarks of big batches)", OPT_BATCH_IMAGE_BYTES, EA_VAL_NONE, NULL, NULL},
    {"state-dir", 0, "DIR",
     "keep files and batches in DIR, for a later mock to read on (default: a private folder "
     "removed on exit)", OPT_STATE_DIR, EA_VAL_FILE, NULL, NULL},
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

static int parse_port(const char *text, int *port)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (!*text || *end || v < 0 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

static int parse_png_level(const char *text, int *level)
{
    if (text[0] < '0' || text[0] > '9' || text[1] != '\0')
        return -1;
    *level = text[0] - '0';
    return 0;
}

static int parse_args(int argc, char **argv, ea_mock_config *cfg)
{
    ea_err err = { 0 };
    char delay_spec[64];
    ea_opt_parser p;
    ea_opt_begin(&p, &ea_command_mock);
    const char *value;
    int c;
    while ((c = ea_opt_next(&p, argc, argv, &value)) != EA_OPT_DONE) {
        switch (c) {
        case OPT_PORT:
            if (parse_port(value, &cfg->port) != 0) {
                fprintf(stderr, "easel mock: --port '%s': expected 0 to 65535\n", value);
                return EA_EXIT_USAGE;
            }
            break;
        case OPT_DELAY:
            snprintf(delay_spec, sizeof delay_spec, "delay=%s", value);
            if (ea_mock_fault_parse(cfg, delay_spec, &err) != 0) {
                fprintf(stderr, "easel mock: --delay '%s': expected milliseconds\n", value);
                return EA_EXIT_USAGE;
            }
            break;
        case OPT_PNG_LEVEL:
            if (parse_png_level(value, &cfg->png_level) != 0) {
                fprintf(stderr, "easel mock: --png-level '%s': expected 0 to 9\n", value);
                return EA_EXIT_USAGE;
            }
            break;
        case OPT_FAULT:
            if (ea_mock_fault_parse(cfg, value, &err) != 0) {
                fprintf(stderr, "easel mock: %s\n", err.msg);
                return EA_EXIT_USAGE;
            }
            break;
        case OPT_QUIET:
            cfg->quiet = true;
            break;
        case OPT_REQUEST_LOG:
            if (!*value || strlen(value) >= sizeof cfg->request_log) {
                fprintf(stderr, "easel mock: --request-log: a file name, please\n");
                return EA_EXIT_USAGE;
            }
            snprintf(cfg->request_log, sizeof cfg->request_log, "%s", value);
            break;
        case OPT_BATCH_SECONDS: {
            char *end;
            double seconds = strtod(value, &end);
            if (!*value || *end || !(seconds >= 0 && seconds <= 86400)) {
                fprintf(stderr, "easel mock: --batch-seconds '%s': expected 0 to 86400\n",
                        value);
                return EA_EXIT_USAGE;
            }
            cfg->batch_ms = (int)(seconds * 1000 + 0.5);
            break;
        }
        case OPT_BATCH_IMAGE_BYTES: {
            char *end;
            long bytes = strtol(value, &end, 10);
            if (!*value || *end || bytes < 1 || bytes > (64L << 20)) {
                fprintf(stderr, "easel mock: --batch-image-bytes '%s': expected 1 to %ld\n",
                        value, 64L << 20);
                return EA_EXIT_USAGE;
            }
            cfg->batch_image_bytes = (int)bytes;
            break;
        }
        case OPT_STATE_DIR:
            if (!*value || strlen(value) >= sizeof cfg->state_dir) {
                fprintf(stderr, "easel mock: --state-dir: a folder name, please\n");
                return EA_EXIT_USAGE;
            }
            snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", value);
            break;
        case EA_OPT_HELP:
            return -1;
        default: /* EA_OPT_BAD, said */
            return EA_EXIT_USAGE;
        }
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
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    int rc = parse_args(argc, argv, &cfg);
    if (rc != EA_EXIT_OK)
        return rc < 0 ? EA_EXIT_OK : rc;

    /* The signals are blocked before the server's threads exist, so they inherit the mask
     * and this thread alone receives them, in sigwait. A shell starts background jobs with
     * SIGINT ignored, and an ignored signal never reaches sigwait: restore the default first
     * so that `kill -INT` stops a mock started with `&`. */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    ea_err err = { 0 };
    ea_mock *mock = ea_mock_start(&cfg, &err);
    if (!mock) {
        fprintf(stderr, "easel %s\n", err.msg);
        return err.code ? err.code : EA_EXIT_INTERNAL;
    }
    printf("easel mock listening on %s\n", ea_mock_base_url(mock));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop, &sig);
    if (!cfg.quiet)
        fprintf(stderr, "easel mock: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    ea_mock_free(&mock);
    return sig == SIGINT ? EA_EXIT_SIGINT : EA_EXIT_OK;
}
