/* SPDX-License-Identifier: MIT */
/* Synthetic data for bench_history.sh: under DATA/easel/sessions, SESSIONS small sessions
 * (two turns each) and one large session of RECORDS records, every log a valid version-1
 * chain (prev_hash computed as the writer does) with realistic prompts, so that `easel log
 * --verify` passes on it. `bench_history_gen DATA SESSIONS RECORDS`; with no arguments (as
 * `make bench` runs every bench_* binary) it says what it is for and exits 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "easel/hash.h"

static const char *const words[] = {
    "a", "red", "fox", "in", "the", "snow", "lantern", "harbour", "at", "dusk", "oil",
    "painting", "of", "quiet", "street", "with", "neon", "signs", "reflected", "on", "wet",
    "cobblestones", "soft", "light", "cinematic", "portrait", "tabla", "player", "warm", "rim",
    "watercolour", "mountain", "lake", "morning", "mist", "paper", "boat", "drifting", "river",
};
#define N_WORDS (sizeof words / sizeof words[0])

static unsigned long rng = 88172645463325252UL;

static unsigned next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)rng;
}

/* A prompt of n words; every 1000th draw slips in "zeppelin" for the search to find. */
static void prompt(char *out, size_t size, int n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n && len + 16 < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? " " : "",
                                next() % 1000 == 0 ? "zeppelin" : words[next() % N_WORDS]);
}

static void timestamp(long second, int ms, char out[32])
{
    /* 2026-01-01 plus `second` seconds, never past a day per 86,400: enough for the bench. */
    long day = second / 86400, s = second % 86400;
    snprintf(out, 32, "2026-%02ld-%02ldT%02ld:%02ld:%02ld.%03dZ", 1 + day / 28 % 12,
             1 + day % 28, s / 3600, s / 60 % 60, s % 60, ms);
}

/* The writer's state: the previous line's hash. */
typedef struct chain {
    FILE *f;
    long seq;
    char prev[EA_SHA256_HEX_SIZE];
} chain;

static int emit(chain *c, const char *line)
{
    size_t len = strlen(line);
    if (fwrite(line, 1, len, c->f) != len || fputc('\n', c->f) == EOF)
        return -1;
    c->seq++;
    return ea_sha256_hex(line, len, c->prev, NULL);
}

static int turn(chain *c, int t, long second)
{
    static char line[8192];
    char p[1024], ts[32], ts2[32];
    prompt(p, sizeof p, 12 + (int)(next() % 30));
    timestamp(second, 0, ts);
    timestamp(second, 900, ts2);
    snprintf(line, sizeof line,
             "{\"v\":1,\"seq\":%ld,\"ts\":\"%s\",\"kind\":\"request\",\"turn\":%d,\"prev_hash\":"
             "\"%s\",\"api\":\"responses\",\"endpoint\":\"https://api.openai.com/v1/responses\","
             "\"model\":\"gpt-image-2\",\"text_model\":\"gpt-5.4\",\"prompt\":\"%s\",\"params\":"
             "{\"model\":\"gpt-5.4\",\"input\":\"%s\",\"tools\":[{\"type\":\"image_generation\","
             "\"model\":\"gpt-image-2\",\"size\":\"1024x1024\",\"quality\":\"medium\"}],"
             "\"stream\":true},\"previous_response_id\":null,\"parent_turn\":null,"
             "\"estimate_usd\":0.053}",
             c->seq, ts, t, c->prev, p, p);
    if (emit(c, line) != 0)
        return -1;
    char revised[2048];
    prompt(revised, sizeof revised, 40 + (int)(next() % 40));
    snprintf(line, sizeof line,
             "{\"v\":1,\"seq\":%ld,\"ts\":\"%s\",\"kind\":\"result\",\"turn\":%d,\"prev_hash\":"
             "\"%s\",\"status\":\"completed\",\"http_status\":200,\"request_id\":\"req_%08x%08x\","
             "\"response_id\":\"resp_%08x%08x\",\"image_call_id\":\"ig_%08x\",\"revised_prompt\":"
             "\"%s. %s\",\"images\":[{\"path\":\"images/%d-1.png\",\"sha256\":\"%064d\","
             "\"bytes\":1843200,\"width\":1024,\"height\":1024,\"format\":\"png\"}],"
             "\"partials\":2,\"usage\":{\"input_tokens\":52,\"output_tokens\":1216,"
             "\"total_tokens\":1268},\"cost_usd\":0.0532,\"ms_first_byte\":812,"
             "\"ms_first_partial\":4120,\"ms_total\":17300,\"retries\":[],\"error\":null}",
             c->seq, ts2, t, c->prev, next(), next(), next(), next(), next(), p, revised, t, 0);
    return emit(c, line);
}

static int session(const char *root, long index, long records)
{
    char id[32], dir[4096], path[4200], created[32];
    long second = index * 7;
    snprintf(id, sizeof id, "2026%02ld%02ld-%02ld%02ld%02ld-%04lx", 1 + second / 86400 / 28 % 12,
             1 + second / 86400 % 28, second % 86400 / 3600, second / 60 % 60, second % 60,
             (unsigned long)index & 0xffff);
    timestamp(second, 0, created);
    snprintf(dir, sizeof dir, "%s/%s", root, id);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    snprintf(path, sizeof path, "%s/audit.jsonl", dir);
    chain c = {.f = fopen(path, "w")};
    if (!c.f)
        return -1;
    static char big[1 << 20];
    setvbuf(c.f, big, _IOFBF, sizeof big);
    int t = 0;
    while (c.seq < records) {
        t++;
        if (turn(&c, t, second + t) != 0)
            return -1;
    }
    char last_ts[32];
    timestamp(second + t, 900, last_ts);
    if (fclose(c.f) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/session.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "{\n  \"v\": 1,\n  \"id\": \"%s\",\n  \"name\": \"bench-%ld\",\n  \"created\": \"%s\",\n"
            "  \"last_activity\": \"%s\",\n  \"defaults\": {},\n  \"last_response_id\": null,\n"
            "  \"totals\": {\n    \"turns\": %d,\n    \"images\": %d,\n    \"spend_usd\": %.4f\n"
            "  },\n  \"last_record\": {\n    \"seq\": %ld,\n    \"sha256\": \"%s\"\n  }\n}\n",
            id, index, created, last_ts, t, t, 0.0532 * t, c.seq - 1, c.prev);
    return fclose(f);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        printf("bench_history_gen: writes the synthetic sessions bench_history.sh measures "
               "(usage: bench_history_gen DATA SESSIONS RECORDS)\n");
        return 0;
    }
    char root[4096];
    mkdir(argv[1], 0700);
    snprintf(root, sizeof root, "%s/easel", argv[1]);
    mkdir(root, 0700);
    snprintf(root, sizeof root, "%s/easel/sessions", argv[1]);
    if (mkdir(root, 0700) != 0 && errno != EEXIST) {
        perror(root);
        return 1;
    }
    long sessions = atol(argv[2]), records = atol(argv[3]);
    for (long i = 0; i < sessions; i++)
        if (session(root, i, 4) != 0) {
            perror("bench_history_gen");
            return 1;
        }
    if (records > 0 && session(root, sessions, records) != 0) {
        perror("bench_history_gen");
        return 1;
    }
    return 0;
}
