/* SPDX-License-Identifier: MIT */
/* easel-mock: the offline backend's program, run by `easel mock` (in the foreground) and by
 * every easel that works offline (design.md 7). The first line on stdout names the base URL
 * (scripts read the port from it when --port 0 let the kernel choose); the server then runs
 * until SIGINT or SIGTERM. Started by easel for its own use, it is given --port-fd FD
 * instead: the port (or "!" and why it could not start) goes to FD as one line, nothing to
 * stdout. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "easel/err.h"
#include "easel/mock.h"

/* The options are described (help, completions, man page) by `easel mock`, which runs this
 * program: its table in src/cli/mock.c names each one this parser takes. */
static const char mock_help[] =
    "usage: easel-mock [OPTION]... (run by easel; see easel mock --help)\n";

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

static int parse_args(int argc, char **argv, ea_mock_config *cfg, int *port_fd)
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
        /* easel's own, not for users: see the top of this file. */
        {"port-fd", required_argument, NULL, 'F'},
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
        case 'A':
            cfg->azure = true;
            break;
        case 'F':
            *port_fd = atoi(optarg);
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

int main(int argc, char **argv)
{
    ea_mock_config cfg;
    ea_mock_config_init(&cfg);
    int port_fd = -1;
    int rc = parse_args(argc, argv, &cfg, &port_fd);
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
        if (port_fd >= 0)
            dprintf(port_fd, "!%s\n", err.msg);
        fprintf(stderr, "easel %s\n", err.msg);
        return err.code ? err.code : EA_EXIT_INTERNAL;
    }
    if (port_fd >= 0) {
        /* Closed after the one line, so that easel's read ends there. */
        dprintf(port_fd, "%d\n", ea_mock_port(mock));
        close(port_fd);
    } else {
        printf("easel mock listening on %s\n", ea_mock_base_url(mock));
        fflush(stdout);
    }

    int sig = 0;
    sigwait(&stop, &sig);
    if (!cfg.quiet)
        fprintf(stderr, "easel mock: stopping (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    ea_mock_free(&mock);
    return sig == SIGINT ? EA_EXIT_SIGINT : EA_EXIT_OK;
}
