/* mock: `easel mock`, the offline backend in the foreground. The first line on stdout names
 * the base URL (scripts read the port from it when --port 0 let the kernel choose); the
 * server then runs until SIGINT or SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "easel/cli.h"
#include "easel/err.h"
#include "easel/mock.h"

static const char mock_help[] =
    "usage: easel mock [--port N] [--delay MS] [--png-level N] [--fault F]... [--quiet]\n"
    "                  [--request-log FILE] [--batch-seconds S] [--batch-image-bytes N]\n"
    "                  [--state-dir DIR] [--azure]\n"
    "\n"
    "Serves the Images and Responses APIs on 127.0.0.1 with pictures drawn from the prompt,\n"
    "streamed or not, and the Files and Batch APIs (batches of Images requests), until\n"
    "interrupted. The first line printed is\n"
    "  easel mock listening on http://127.0.0.1:PORT/v1\n"
    "Point a client at it with OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 (any API key).\n"
    "\n"
    "options:\n"
    "  -p, --port N       port to listen on; 0 (the default) lets the kernel choose\n"
    "  -d, --delay MS     pause between streamed events (and before a plain reply)\n"
    "      --png-level N  zlib level 0-9 of the PNG files sent; 0 stores them uncompressed\n"
    "                     (the largest streams, for benchmarks); default: the fastest\n"
    "  -f, --fault F      inject a fault, for tests; repeatable, or comma-separated\n"
    "  -q, --quiet        no request log on stderr\n"
    "      --request-log FILE  append each request received to FILE as a JSON line: its\n"
    "                     path, body (files and data: URLs as their sha256 and size), query,\n"
    "                     and which auth headers came (never their values)\n"
    "      --batch-seconds S  a batch runs from validating to completed in S seconds\n"
    "                     (default 5; 0: at once; fractions allowed)\n"
    "      --batch-image-bytes N  each batch line's image is a cheap flat PNG of about N\n"
    "                     bytes instead of the drawing (for benchmarks of big batches)\n"
    "      --state-dir DIR  keep files and batches in DIR, for a later mock to read on\n"
    "                     (default: a private folder removed on exit)\n"
    "      --azure        dressed as Azure OpenAI: the first line names the endpoint\n"
    "                     (AZURE_OPENAI_ENDPOINT); paths /openai/deployments/NAME/images/...\n"
    "                     and /openai/responses need ?api-version=, /openai/v1/... does not;\n"
    "                     every request needs an api-key header (/openai/v1/ also takes\n"
    "                     Authorization: Bearer); block= answers Azure's content filter error\n"
    "  -h, --help         this help\n"
    "\n"
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
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},  {"delay", required_argument, NULL, 'd'},
        {"fault", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},        {"png-level", required_argument, NULL, 'L'},
        {"request-log", required_argument, NULL, 'R'},
        {"batch-seconds", required_argument, NULL, 'B'},
        {"batch-image-bytes", required_argument, NULL, 'I'},
        {"state-dir", required_argument, NULL, 'S'},
        {"azure", no_argument, NULL, 'A'},
        {NULL, 0, NULL, 0},
    };
    ea_err err = { 0 };
    char delay_spec[64];
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:d:f:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_port(optarg, &cfg->port) != 0) {
                fprintf(stderr, "easel mock: --port '%s': expected 0 to 65535\n", optarg);
                return EA_EXIT_USAGE;
            }
            break;
        case 'd':
            snprintf(delay_spec, sizeof delay_spec, "delay=%s", optarg);
            if (ea_mock_fault_parse(cfg, delay_spec, &err) != 0) {
                fprintf(stderr, "easel mock: --delay '%s': expected milliseconds\n", optarg);
                return EA_EXIT_USAGE;
            }
            break;
        case 'L':
            if (parse_png_level(optarg, &cfg->png_level) != 0) {
                fprintf(stderr, "easel mock: --png-level '%s': expected 0 to 9\n", optarg);
                return EA_EXIT_USAGE;
            }
            break;
        case 'f':
            if (ea_mock_fault_parse(cfg, optarg, &err) != 0) {
                fprintf(stderr, "easel mock: %s\n", err.msg);
                return EA_EXIT_USAGE;
            }
            break;
        case 'q':
            cfg->quiet = true;
            break;
        case 'A':
            cfg->azure = true;
            break;
        case 'R':
            if (!*optarg || strlen(optarg) >= sizeof cfg->request_log) {
                fprintf(stderr, "easel mock: --request-log: a file name, please\n");
                return EA_EXIT_USAGE;
            }
            snprintf(cfg->request_log, sizeof cfg->request_log, "%s", optarg);
            break;
        case 'B': {
            char *end;
            double seconds = strtod(optarg, &end);
            if (!*optarg || *end || !(seconds >= 0 && seconds <= 86400)) {
                fprintf(stderr, "easel mock: --batch-seconds '%s': expected 0 to 86400\n",
                        optarg);
                return EA_EXIT_USAGE;
            }
            cfg->batch_ms = (int)(seconds * 1000 + 0.5);
            break;
        }
        case 'I': {
            char *end;
            long bytes = strtol(optarg, &end, 10);
            if (!*optarg || *end || bytes < 1 || bytes > (64L << 20)) {
                fprintf(stderr, "easel mock: --batch-image-bytes '%s': expected 1 to %ld\n",
                        optarg, 64L << 20);
                return EA_EXIT_USAGE;
            }
            cfg->batch_image_bytes = (int)bytes;
            break;
        }
        case 'S':
            if (!*optarg || strlen(optarg) >= sizeof cfg->state_dir) {
                fprintf(stderr, "easel mock: --state-dir: a folder name, please\n");
                return EA_EXIT_USAGE;
            }
            snprintf(cfg->state_dir, sizeof cfg->state_dir, "%s", optarg);
            break;
        case 'h':
            fputs(mock_help, stdout);
            return -1;
        case ':':
            fprintf(stderr, "easel mock: %s needs a value\n", argv[optind - 1]);
            return EA_EXIT_USAGE;
        default:
            fprintf(stderr, "easel mock: unknown option '%s'; see easel mock --help\n",
                    argv[optind - 1]);
            return EA_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "easel mock: unexpected argument '%s'; see easel mock --help\n",
                argv[optind]);
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
