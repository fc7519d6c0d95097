/* SPDX-License-Identifier: MIT */
/* Sessions: folders and modes whatever the umask, a whole turn saved in the contract's order,
 * the one-writer lock, lookups by name or ID, listing newest first, and self-healing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "easel/history.h"
#include "easel/paths.h"
#include "easel/session.h"
#include "store_fixture.h"

static const unsigned char png_bytes[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 1, 2};

static void path_in(const ea_session *s, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", ea_session_dir(s), name);
}

/* One complete turn with one image; returns the turn number. */
static int run_turn(ea_session *s, const char *prompt, const char *response_id, int parent)
{
    ea_err err = {0};
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.api = "responses";
    req.endpoint = "/v1/responses";
    req.model = "gpt-image-2";
    req.prompt = prompt;
    req.previous_response_id = ea_session_last_response_id(s);
    req.parent_turn = parent;
    int turn = 0;
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);

    ea_audit_image img;
    assert_int_equal(ea_session_save_image(s, turn, 1, "png", png_bytes, sizeof png_bytes, &img,
                                           &err), 0);
    img.width = img.height = 1024;
    ea_audit_result res;
    ea_audit_result_init(&res);
    res.status = EA_AUDIT_COMPLETED;
    res.http_status = 200;
    res.response_id = response_id;
    res.images = &img;
    res.n_images = 1;
    res.cost_usd = 0.25;
    assert_int_equal(ea_session_end_turn(s, turn, &res, &err), 0);
    return turn;
}

static void check_private_modes(const ea_session *s)
{
    char path[PATH_MAX];
    assert_int_equal(mode_of(ea_session_dir(s)), 0700);
    path_in(s, "images", path, sizeof path);
    assert_int_equal(mode_of(path), 0700);
    path_in(s, "session.json", path, sizeof path);
    assert_int_equal(mode_of(path), 0600);
    path_in(s, "audit.jsonl", path, sizeof path);
    assert_int_equal(mode_of(path), 0600);
    path_in(s, "lock", path, sizeof path);
    assert_int_equal(mode_of(path), 0600);
}

static void test_modes_whatever_the_umask(void **state)
{
    (void)state;
    const mode_t masks[] = {0, 077};
    for (size_t i = 0; i < 2; i++) {
        umask(masks[i]);
        char name[16];
        snprintf(name, sizeof name, "umask-%zu", i);
        ea_session *s = NULL;
        ea_err err = {0};
        assert_int_equal(ea_session_create(name, NULL, &s, &err), 0);
        assert_true(ea_session_is_id(ea_session_id(s)));
        run_turn(s, "a cat", "resp_1", 0);
        check_private_modes(s);
        char path[PATH_MAX];
        path_in(s, "images/1-1.png", path, sizeof path);
        assert_int_equal(mode_of(path), 0600);
        char root[PATH_MAX];
        assert_int_equal(ea_sessions_root(root, sizeof root, &err), 0);
        assert_int_equal(mode_of(root), 0700);
        ea_session_close(&s);
        assert_null(s);
    }
    umask(022);
}

static void test_turn_saved_in_order_and_reopened(void **state)
{
    (void)state;
    ea_session_defaults defaults;
    ea_session_defaults_init(&defaults);
    snprintf(defaults.model, sizeof defaults.model, "gpt-image-2");
    snprintf(defaults.api, sizeof defaults.api, "responses");
    defaults.partials = 2;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("cats", &defaults, &s, &err), 0);
    int t1 = run_turn(s, "a cat", "resp_1", 0);
    int t2 = run_turn(s, "now blue", "resp_2", 0);
    assert_int_equal(t1, 1);
    assert_int_equal(t2, 2);

    /* The image holds the exact bytes; no temp file is left behind. */
    char path[PATH_MAX], images[PATH_MAX];
    path_in(s, "images/2-1.png", path, sizeof path);
    size_t len;
    char *bytes = slurp(path, &len);
    assert_int_equal(len, sizeof png_bytes);
    assert_memory_equal(bytes, png_bytes, len);
    free(bytes);
    path_in(s, "images", images, sizeof images);
    assert_int_equal(count_entries(images, ""), 2);  /* 1-1.png and 2-1.png */
    assert_int_equal(count_entries(images, "."), 0); /* no .2-1.png.tmp-XXXXXX */
    assert_int_equal(count_entries(ea_session_dir(s), ".session.json.tmp"), 0);

    /* session.json sums the turns. */
    path_in(s, "session.json", path, sizeof path);
    char *json = slurp(path, NULL);
    assert_non_null(strstr(json, "\"name\": \"cats\""));
    assert_non_null(strstr(json, "\"last_response_id\": \"resp_2\""));
    assert_non_null(strstr(json, "\"turns\": 2"));
    assert_non_null(strstr(json, "\"images\": 2"));
    assert_non_null(strstr(json, "\"spend_usd\": 0.5"));
    assert_non_null(strstr(json, "\"partials\": 2"));
    assert_non_null(strstr(json, "\"quality\": null"));
    free(json);
    char id[EA_SESSION_ID_LEN + 1];
    snprintf(id, sizeof id, "%s", ea_session_id(s));
    ea_session_close(&s);

    /* By name, then by ID: the same session, and the chain continues from resp_2. */
    assert_int_equal(ea_session_open("cats", EA_SESSION_READ, &s, &err), 0);
    assert_string_equal(ea_session_id(s), id);
    assert_string_equal(ea_session_last_response_id(s), "resp_2");
    assert_string_equal(ea_session_get_defaults(s)->model, "gpt-image-2");
    assert_int_equal(ea_session_get_defaults(s)->partials, 2);
    assert_string_equal(ea_session_get_defaults(s)->quality, "");
    ea_session_close(&s);
    assert_int_equal(ea_session_open(id, EA_SESSION_WRITE, &s, &err), 0);
    assert_string_equal(ea_session_name(s), "cats");

    /* --from 1: branch from turn 1's response. */
    ea_audit_turn from;
    assert_int_equal(ea_audit_find_turn(ea_session_audit(s), 1, &from, &err), 0);
    assert_string_equal(from.response_id, "resp_1");
    ea_audit_image first;
    assert_int_equal(ea_audit_turn_image(ea_session_audit(s), 1, 0, &first, &err), 0);
    assert_string_equal(first.path, "images/1-1.png");
    assert_int_equal(first.bytes, sizeof png_bytes);
    int t3 = run_turn(s, "a branch", "resp_3", 1);
    assert_int_equal(t3, 3);
    ea_audit_turn branch;
    assert_int_equal(ea_audit_find_turn(ea_session_audit(s), 3, &branch, &err), 0);
    assert_int_equal(branch.parent_turn, 1);
    assert_string_equal(branch.previous_response_id, "resp_2");

    ea_audit_report report;
    assert_int_equal(ea_audit_verify(ea_session_dir(s), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(report.images, 3);
    ea_session_close(&s);
}

static void test_verify_names_a_changed_or_missing_image(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create(NULL, NULL, &s, &err), 0);
    assert_string_equal(ea_session_name(s), "");
    run_turn(s, "one", "resp_1", 0);
    run_turn(s, "two", "resp_2", 0);

    char path[PATH_MAX];
    path_in(s, "images/2-1.png", path, sizeof path);
    unsigned char changed[sizeof png_bytes];
    memcpy(changed, png_bytes, sizeof changed);
    changed[9] ^= 1; /* same size, one bit different */
    assert_int_equal(spit(path, changed, sizeof changed, "wb"), 0);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(ea_session_dir(s), &report, &err), 0);
    assert_int_equal(report.n_problems, 1);
    assert_int_equal(report.problems[0].seq, 3);
    assert_string_equal(report.problems[0].file, "images/2-1.png");
    assert_non_null(strstr(report.problems[0].text, "does not match its sha256"));

    assert_int_equal(spit(path, png_bytes, 4, "wb"), 0); /* truncated */
    assert_int_equal(ea_audit_verify(ea_session_dir(s), &report, &err), 0);
    assert_int_equal(report.n_problems, 1);
    assert_non_null(strstr(report.problems[0].text, "images/2-1.png has 4 bytes, the log says 11"));

    path_in(s, "images/1-1.png", path, sizeof path);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(ea_audit_verify(ea_session_dir(s), &report, &err), 0);
    assert_int_equal(report.n_problems, 2);
    assert_int_equal(report.problems[0].seq, 1);
    assert_string_equal(report.problems[0].file, "images/1-1.png");
    assert_non_null(strstr(report.problems[0].text, "missing"));
    ea_session_close(&s);
}

static void test_lock_refuses_a_second_writer(void **state)
{
    (void)state;
    ea_session *writer = NULL, *second = NULL, *reader = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("busy", NULL, &writer, &err), 0);

    /* flock belongs to the open file description: a second open in this process conflicts. */
    assert_int_equal(ea_session_open("busy", EA_SESSION_WRITE, &second, &err), -1);
    assert_null(second);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "is in use by another easel"));
    char pid[32];
    snprintf(pid, sizeof pid, "(pid %ld)", (long)getpid());
    assert_non_null(strstr(err.msg, pid));

    /* Another process is refused the same way. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        ea_session *s = NULL;
        ea_err child_err = {0};
        int rc = ea_session_open("busy", EA_SESSION_WRITE, &s, &child_err);
        _exit(rc == -1 && child_err.code == EA_EXIT_USAGE ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* Readers need no lock. */
    assert_int_equal(ea_session_open("busy", EA_SESSION_READ, &reader, &err), 0);
    ea_audit_request req;
    ea_audit_request_init(&req);
    assert_int_equal(ea_session_begin_turn(reader, &req, NULL, &err), -1);
    ea_session_close(&reader);

    ea_session_close(&writer);
    assert_int_equal(ea_session_open("busy", EA_SESSION_WRITE, &second, &err), 0);
    ea_session_close(&second);
}

static void test_names_lookup_and_open_or_create(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    bool created = false;
    assert_int_equal(ea_session_open_or_create("dogs", NULL, &s, &created, &err), 0);
    assert_true(created);
    char id[EA_SESSION_ID_LEN + 1];
    snprintf(id, sizeof id, "%s", ea_session_id(s));
    ea_session_close(&s);
    assert_int_equal(ea_session_open_or_create("dogs", NULL, &s, &created, &err), 0);
    assert_false(created);
    assert_string_equal(ea_session_id(s), id);
    ea_session_close(&s);

    assert_int_equal(ea_session_create("dogs", NULL, &s, &err), -1);
    assert_non_null(strstr(err.msg, "exists already"));
    assert_non_null(strstr(err.msg, id));
    assert_int_equal(ea_session_create("20261125-153012-ab12", NULL, &s, &err), -1);
    assert_int_equal(ea_session_create("bad\nname", NULL, &s, &err), -1);
    assert_int_equal(ea_session_create("", NULL, &s, &err), -1);
    assert_int_equal(ea_session_create("caf\xe9", NULL, &s, &err), -1); /* Latin-1 */
    assert_non_null(strstr(err.msg, "UTF-8"));
    /* C1 CSI and RLO: printed raw where names are (a shell's completion list). */
    assert_int_equal(ea_session_create("x\xc2\x9b" "2J", NULL, &s, &err), -1);
    assert_non_null(strstr(err.msg, "control characters"));
    assert_int_equal(ea_session_create("x\xe2\x80\xae" "y", NULL, &s, &err), -1);
    assert_non_null(strstr(err.msg, "control characters"));
    assert_int_equal(ea_session_open("nobody", EA_SESSION_READ, &s, &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_non_null(strstr(err.msg, "no session is named or numbered 'nobody'"));
    assert_null(s);
}

static void test_list_newest_first(void **state)
{
    (void)state;
    ea_session_list list;
    ea_err err = {0};
    assert_int_equal(ea_session_list_load(&list, &err), 0); /* no sessions folder yet */
    assert_int_equal(list.count, 0);
    ea_session_list_free(&list);

    const char *names[] = {"oldest", "middle", "newest"};
    for (int i = 0; i < 3; i++) {
        ea_session *s = NULL;
        assert_int_equal(ea_session_create(names[i], NULL, &s, &err), 0);
        if (i == 1)
            run_turn(s, "x", "resp_x", 0);
        ea_session_close(&s);
        nanosleep(&(struct timespec){.tv_nsec = 3 * 1000 * 1000}, NULL); /* distinct ms */
    }
    assert_int_equal(ea_session_list_load(&list, &err), 0);
    assert_int_equal(list.count, 3);
    assert_string_equal(list.items[0].name, "newest");
    assert_string_equal(list.items[1].name, "middle");
    assert_string_equal(list.items[2].name, "oldest");
    assert_int_equal(list.items[1].turns, 1);
    assert_int_equal(list.items[1].images, 1);
    assert_true(list.items[1].spend_usd > 0.24 && list.items[1].spend_usd < 0.26);
    /* IDs sort by time to the second; created breaks ties within it. */
    assert_true(strcmp(list.items[0].created, list.items[2].created) > 0);
    assert_true(strncmp(list.items[0].id, list.items[2].id, 15) >= 0);
    ea_session_list_free(&list);
    assert_null(list.items);
}

/* Writes a session folder by hand: sessions created in the same second, whose IDs order
 * differently from their `created` milliseconds, test the lister's tie-break. */
static void fake_session(const store_fixture *fx, const char *id, const char *created)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/easel/sessions/%s", fx->data, id);
    assert_int_equal(ea_mkdir_p(dir, 0700, NULL), 0);
    snprintf(path, sizeof path, "%s/session.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"v\": 1, \"id\": \"%s\", \"name\": \"n-%s\", \"created\": \"%s\"}\n", id,
            id, created);
    fclose(f);
}

static void test_lister_matches_the_full_listing(void **state)
{
    store_fixture *fx = *state;
    ea_session_lister *l = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_lister_open(&l, &err), 0); /* no folder: empty */
    assert_int_equal(ea_session_lister_left(l), 0);
    ea_session_info info;
    assert_int_equal(ea_session_lister_next(l, &info), 0);
    ea_session_lister_close(&l);
    assert_null(l);

    fake_session(fx, "20260101-000000-0000", "2026-01-01T00:00:00.000Z");
    /* One second, three sessions: the random part sorts them b, a, 9; created says a, 9, b. */
    fake_session(fx, "20260102-000000-000b", "2026-01-02T00:00:00.100Z");
    fake_session(fx, "20260102-000000-000a", "2026-01-02T00:00:00.900Z");
    fake_session(fx, "20260102-000000-0009", "2026-01-02T00:00:00.500Z");
    fake_session(fx, "20260103-000000-0000", "2026-01-03T00:00:00.000Z");
    char broken[PATH_MAX];
    snprintf(broken, sizeof broken, "%s/easel/sessions/20260104-000000-0000", fx->data);
    assert_int_equal(ea_mkdir_p(broken, 0700, NULL), 0); /* no session.json: skipped */

    ea_session_list list;
    assert_int_equal(ea_session_list_load(&list, &err), 0);
    assert_int_equal(list.count, 5);
    assert_string_equal(list.items[1].id, "20260102-000000-000a");
    assert_string_equal(list.items[2].id, "20260102-000000-0009");
    assert_int_equal(ea_session_lister_open(&l, &err), 0);
    assert_int_equal(ea_session_lister_left(l), 6);
    for (size_t i = 0; i < list.count; i++) {
        assert_int_equal(ea_session_lister_next(l, &info), 1);
        assert_string_equal(info.id, list.items[i].id);
        assert_string_equal(info.name, list.items[i].name);
    }
    assert_int_equal(ea_session_lister_next(l, &info), 0);
    assert_int_equal(ea_session_lister_left(l), 0);
    ea_session_lister_close(&l);
    ea_session_list_free(&list);
}

static void test_rename_and_trash(void **state)
{
    store_fixture *fx = *state;
    ea_session *a = NULL, *b = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("first", NULL, &a, &err), 0);
    assert_int_equal(ea_session_create("second", NULL, &b, &err), 0);
    /* A name in use, an empty one and an ID-shaped one are refused; the name stays. */
    assert_int_equal(ea_session_set_name(b, "first", &err), -1);
    assert_int_equal(err.code, EA_EXIT_USAGE);
    assert_int_equal(ea_session_set_name(b, "", &err), -1);
    assert_int_equal(ea_session_set_name(b, "20260101-000000-0000", &err), -1);
    assert_string_equal(ea_session_name(b), "second");
    /* Its own name again is fine; a new one is written to session.json. */
    assert_int_equal(ea_session_set_name(b, "second", &err), 0);
    assert_int_equal(ea_session_set_name(b, "zweite", &err), 0);
    char id[EA_SESSION_ID_LEN + 1];
    snprintf(id, sizeof id, "%s", ea_session_id(b));
    ea_session_close(&b);
    ea_session_info info;
    char dir[PATH_MAX];
    assert_int_equal(ea_session_locate("zweite", &info, dir, sizeof dir, &err), 0);
    assert_string_equal(info.id, id);

    /* Another writer holds the lock: trash needs the session opened to write, which fails. */
    assert_int_equal(ea_session_open(id, EA_SESSION_WRITE, &b, &err), 0);
    ea_session *again = NULL;
    assert_int_equal(ea_session_open(id, EA_SESSION_WRITE, &again, &err), -1);
    char moved[PATH_MAX], expect[PATH_MAX];
    assert_int_equal(ea_session_trash(&b, moved, sizeof moved, &err), 0);
    assert_null(b);
    snprintf(expect, sizeof expect, "%s/easel/trash/%s", fx->data, id);
    assert_string_equal(moved, expect);
    struct stat st;
    assert_int_equal(stat(expect, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    snprintf(expect, sizeof expect, "%s/easel/trash/%s/session.json", fx->data, id);
    assert_int_equal(stat(expect, &st), 0); /* moved whole, nothing deleted */
    assert_int_equal(ea_session_open(id, EA_SESSION_READ, &b, &err), -1);

    /* The same ID in the trash again (restored by hand, trashed again) gets a number. */
    char from[PATH_MAX], to[PATH_MAX];
    snprintf(from, sizeof from, "%s/easel/trash/%s", fx->data, id);
    snprintf(to, sizeof to, "%s/easel/sessions/%s", fx->data, id);
    char copy[PATH_MAX + 8];
    snprintf(copy, sizeof copy, "%s.keep", from);
    assert_int_equal(rename(from, copy), 0);
    assert_int_equal(mkdir(from, 0700), 0);      /* an occupant of the plain name */
    assert_int_equal(rename(copy, to), 0);       /* the session restored */
    assert_int_equal(ea_session_open(id, EA_SESSION_WRITE, &b, &err), 0);
    assert_int_equal(ea_session_trash(&b, moved, sizeof moved, &err), 0);
    snprintf(expect, sizeof expect, "%s/easel/trash/%s.1", fx->data, id);
    assert_string_equal(moved, expect);
    ea_session_close(&a);
}

static void test_interrupted_turn_and_stale_summary_heal(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("crash", NULL, &s, &err), 0);
    run_turn(s, "fine", "resp_1", 0);
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.prompt = "cut off";
    int turn = 0;
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    /* The process "dies" here: no image, no result. Also damage the summary. */
    char path[PATH_MAX];
    path_in(s, "session.json", path, sizeof path);
    char *json = slurp(path, NULL);
    char *turns = strstr(json, "\"turns\": 1");
    assert_non_null(turns);
    turns[9] = '7';
    assert_int_equal(spit(path, json, strlen(json), "wb"), 0);
    free(json);
    ea_session_close(&s);

    /* READ mode reports, changes nothing. */
    assert_int_equal(ea_session_open("crash", EA_SESSION_READ, &s, &err), 0);
    assert_int_equal(ea_audit_open_turn(ea_session_audit(s)), 2);
    assert_int_equal(ea_session_interrupted_turns(s), 0);
    ea_session_close(&s);

    assert_int_equal(ea_session_open("crash", EA_SESSION_WRITE, &s, &err), 0);
    assert_int_equal(ea_session_interrupted_turns(s), 1);
    ea_audit_turn t;
    assert_int_equal(ea_audit_find_turn(ea_session_audit(s), turn, &t, &err), 0);
    assert_true(t.has_result);
    assert_int_equal(t.status, EA_AUDIT_INTERRUPTED);
    assert_string_equal(ea_session_last_response_id(s), "resp_1");
    json = slurp(path, NULL);
    assert_non_null(strstr(json, "\"turns\": 2")); /* recomputed from the log */
    free(json);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(ea_session_dir(s), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    ea_session_close(&s);
}

/* Killed after saving a turn's images and before writing its result: the repair records the
 * images it finds under their final names (with their digests, in order), never a temp file
 * nor another turn's, and the log then verifies. */
static void test_interrupted_turn_keeps_its_saved_images(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("killed", NULL, &s, &err), 0);
    run_turn(s, "fine", "resp_1", 0);
    ea_audit_request req;
    ea_audit_request_init(&req);
    req.prompt = "two images, then killed";
    int turn = 0;
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    ea_audit_image first, second;
    assert_int_equal(ea_session_save_image(s, turn, 2, "webp", "second image", 12, &second, &err), 0);
    assert_int_equal(ea_session_save_image(s, turn, 1, "webp", "first image!", 12, &first, &err), 0);
    char path[PATH_MAX];
    path_in(s, "images/.2-3.webp.tmp", path, sizeof path);
    assert_int_equal(spit(path, "half", 4, "wb"), 0); /* a save cut short: not an image */
    path_in(s, "images/12-1.webp", path, sizeof path);
    assert_int_equal(spit(path, "not this turn", 13, "wb"), 0);
    ea_session_close(&s);

    assert_int_equal(ea_session_open("killed", EA_SESSION_WRITE, &s, &err), 0);
    assert_int_equal(ea_session_interrupted_turns(s), 1);
    ea_audit_turn t;
    assert_int_equal(ea_audit_find_turn(ea_session_audit(s), turn, &t, &err), 0);
    assert_int_equal(t.status, EA_AUDIT_INTERRUPTED);
    ea_audit_image got;
    assert_int_equal(ea_audit_turn_image(ea_session_audit(s), turn, 0, &got, &err), 0);
    assert_string_equal(got.path, first.path);
    assert_string_equal(got.sha256, first.sha256);
    assert_int_equal(got.bytes, 12);
    assert_int_equal(ea_audit_turn_image(ea_session_audit(s), turn, 1, &got, &err), 0);
    assert_string_equal(got.path, second.path);
    assert_string_equal(got.sha256, second.sha256);
    assert_int_not_equal(ea_audit_turn_image(ea_session_audit(s), turn, 2, &got, &err), 0);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(ea_session_dir(s), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    ea_session_close(&s);
}

/* Eight processes ask for the same new session name at once: one session is created (before
 * the names lock, each could find the name free and make its own). Each process then has it,
 * or is told that another writer holds it (the session's own lock), never anything else. */
static void test_same_new_name_at_once_makes_one_session(void **state)
{
    (void)state;
    enum { PROCESSES = 8 };
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t kids[PROCESSES];
    for (int i = 0; i < PROCESSES; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            close(go[1]);
            char c;
            /* All start together: each waits for the pipe to close. */
            while (read(go[0], &c, 1) > 0) {
            }
            ea_session *s = NULL;
            ea_err err = {0};
            int rc = ea_session_open_or_create("race", NULL, &s, NULL, &err);
            bool held_by_another = rc != 0 && strstr(err.msg, "in use");
            ea_session_close(&s);
            _exit(rc == 0 ? 0 : held_by_another ? 2 : 1);
        }
    }
    close(go[0]);
    close(go[1]);
    int got = 0, failures = 0;
    for (int i = 0; i < PROCESSES; i++) {
        int status;
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        got += WIFEXITED(status) && WEXITSTATUS(status) == 0;
        failures += !(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2));
    }
    assert_int_equal(failures, 0);
    assert_true(got >= 1);
    ea_session_list list;
    ea_err err = {0};
    assert_int_equal(ea_session_list_load(&list, &err), 0);
    int named = 0;
    for (size_t i = 0; i < list.count; i++)
        named += strcmp(list.items[i].name, "race") == 0;
    ea_session_list_free(&list);
    assert_int_equal(named, 1);
}

static void test_torn_log_recovered_on_open(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("torn", NULL, &s, &err), 0);
    run_turn(s, "one", "resp_1", 0);
    char path[PATH_MAX];
    path_in(s, "audit.jsonl", path, sizeof path);
    ea_session_close(&s);
    assert_int_equal(spit(path, "{\"v\":1,\"se", 10, "ab"), 0);

    assert_int_equal(ea_session_open("torn", EA_SESSION_WRITE, &s, &err), 0);
    const ea_audit_recovery *rec = ea_session_recovery(s);
    assert_true(rec->torn);
    assert_int_equal(rec->torn_bytes, 10);
    size_t len;
    char *aside = slurp(rec->aside_path, &len);
    assert_int_equal(len, 10);
    assert_memory_equal(aside, "{\"v\":1,\"se", 10);
    free(aside);
    assert_int_equal(run_turn(s, "two", "resp_2", 0), 2);
    ea_audit_report report;
    assert_int_equal(ea_audit_verify(ea_session_dir(s), &report, &err), 0);
    assert_int_equal(report.n_problems, 0);
    ea_session_close(&s);
}

static void test_save_image_rules(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("rules", NULL, &s, &err), 0);
    ea_audit_image img;
    /* No such turn yet. */
    assert_int_equal(ea_session_save_image(s, 1, 1, "png", "x", 1, &img, &err), -1);
    int turn = run_turn(s, "one", "resp_1", 0);
    /* A finished turn takes no more images. */
    assert_int_equal(ea_session_save_image(s, turn, 2, "png", "x", 1, &img, &err), -1);
    assert_non_null(strstr(err.msg, "finished"));
    ea_audit_request req;
    ea_audit_request_init(&req);
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    assert_int_equal(ea_session_save_image(s, turn, 1, "../x", "x", 1, &img, &err), -1);
    assert_int_equal(ea_session_save_image(s, turn, -1, "png", "x", 1, &img, &err), -1);
    assert_int_equal(ea_session_save_image(s, turn, 1, "jpg", "x", 1, &img, &err), 0);
    assert_string_equal(img.path, "images/2-1.jpg");
    assert_string_equal(img.format, "jpeg");
    assert_int_equal(img.bytes, 1);
    ea_session_close(&s);
}

/* Bytes images/ cannot take (here images is a file, so no folder can be made there) go to
 * $XDG_CACHE_HOME/easel/rescued/ under a name of their own; when that fails too, what was lost
 * is still told: its sha256 and size. */
static void test_keep_image_rescues_what_images_refuses(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("rescue", NULL, &s, &err), 0);
    ea_audit_request req;
    ea_audit_request_init(&req);
    int turn;
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), 0);
    char images[PATH_MAX];
    snprintf(images, sizeof images, "%s/images", ea_session_dir(s));
    rmdir(images); /* made with the session, empty */
    FILE *f = fopen(images, "w");
    assert_non_null(f);
    fclose(f);

    ea_audit_image saved;
    ea_audit_unsaved unsaved;
    assert_int_equal(ea_session_keep_image(s, turn, 1, "png", "paid bytes", 10, &saved, &unsaved,
                                           &err), 1);
    char expected[PATH_MAX];
    snprintf(expected, sizeof expected, "%s/easel/rescued/%s-1-1.png", getenv("XDG_CACHE_HOME"),
             ea_session_id(s));
    assert_string_equal(unsaved.path, expected);
    assert_int_equal(unsaved.bytes, 10);
    assert_string_equal(unsaved.format, "png");
    assert_non_null(strstr(unsaved.reason, "images"));
    char hex[EA_SHA256_HEX_SIZE];
    assert_int_equal(ea_sha256_hex("paid bytes", 10, hex, NULL), 0);
    assert_string_equal(unsaved.sha256, hex);
    size_t len;
    char *copy = slurp(unsaved.path, &len);
    assert_int_equal(len, 10);
    assert_memory_equal(copy, "paid bytes", 10);
    free(copy);
    struct stat st;
    assert_int_equal(stat(unsaved.path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *slash = strrchr(expected, '/');
    *slash = '\0';
    assert_int_equal(stat(expected, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    /* The same turn and image again (a resumed turn, say): a name of its own. */
    assert_int_equal(ea_session_keep_image(s, turn, 1, "png", "other", 5, &saved, &unsaved, &err),
                     1);
    assert_non_null(strstr(unsaved.path, "-1-1.2.png"));
    assert_int_equal(ea_session_keep_image(s, turn, 0, "webp", "frame", 5, &saved, &unsaved, &err),
                     1);
    assert_non_null(strstr(unsaved.path, "-1-partial.webp"));

    /* No rescue folder either: lost, and said exactly. */
    char cache[PATH_MAX];
    snprintf(cache, sizeof cache, "%s/cache-is-a-file", getenv("XDG_CACHE_HOME"));
    f = fopen(cache, "w");
    assert_non_null(f);
    fclose(f);
    setenv("XDG_CACHE_HOME", cache, 1);
    assert_int_equal(ea_session_keep_image(s, turn, 2, "png", "paid bytes", 10, &saved, &unsaved,
                                           &err), -1);
    assert_string_equal(unsaved.path, "");
    assert_string_equal(unsaved.sha256, hex);
    assert_int_equal(unsaved.bytes, 10);
    assert_non_null(strstr(err.msg, "rescue"));
    ea_session_close(&s);
}

/* The last record changed, newline kept: only session.json's anchor tells. The session
 * refuses turns and names until the damage is accepted; the refusal changes nothing on disk
 * (no interrupted-turn repair, no new anchor); acceptance is a record, and then turns go on. */
static void test_damage_refuses_turns_until_accepted(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("hurt", NULL, &s, &err), 0);
    run_turn(s, "one", "resp_1", 0);
    run_turn(s, "two", "resp_2", 0);
    char log[PATH_MAX], json[PATH_MAX];
    path_in(s, "audit.jsonl", log, sizeof log);
    path_in(s, "session.json", json, sizeof json);
    ea_session_close(&s);
    size_t len, json_len;
    char *text = slurp(log, &len);
    char *hit = strstr(text, "resp_2");
    hit[5] = '7';
    assert_int_equal(spit(log, text, len, "wb"), 0);
    char *json_before = slurp(json, &json_len);

    assert_int_equal(ea_session_open("hurt", EA_SESSION_WRITE, &s, &err), 0);
    ea_audit_request req;
    ea_audit_request_init(&req);
    int turn = 0;
    assert_int_equal(ea_session_begin_turn(s, &req, &turn, &err), -1);
    assert_non_null(strstr(err.msg, "session hurt fails verification"));
    assert_non_null(strstr(err.msg, "--verify"));
    assert_non_null(strstr(err.msg, "--accept-damage"));
    assert_int_equal(ea_session_set_name(s, "healed", &err), -1);
    ea_session_close(&s);
    size_t now_len;
    char *now = slurp(log, &now_len);
    assert_int_equal(now_len, len);
    assert_memory_equal(now, text, len);
    free(now);
    now = slurp(json, &now_len);
    assert_int_equal(now_len, json_len);
    assert_memory_equal(now, json_before, json_len); /* the anchor is kept */
    free(now);

    assert_int_equal(ea_session_open("hurt", EA_SESSION_WRITE, &s, &err), 0);
    ea_audit_report report;
    bool accepted = false;
    assert_int_equal(ea_session_accept_damage(s, &report, &accepted, &err), 0);
    assert_true(accepted);
    assert_int_equal(report.n_problems, 1);
    assert_non_null(strstr(report.problems[0].text, "session.json"));
    assert_int_equal(run_turn(s, "three", "resp_3", 0), 3);
    ea_session_close(&s);

    ea_session_info info;
    char dir[PATH_MAX];
    assert_int_equal(ea_session_locate("hurt", &info, dir, sizeof dir, &err), 0);
    assert_int_equal(ea_audit_verify_anchored(dir, info.last_seq, info.last_hash, &report, &err),
                     0);
    assert_int_equal(report.n_problems, 0);
    assert_int_equal(report.accepted_seq, 5); /* name, two turns, then the acceptance */
    ea_history h;
    assert_int_equal(ea_history_load(dir, &h, &err), 0);
    assert_int_equal(h.notes.accepted_damage, 1); /* a record, not a damaged line */
    assert_int_equal(h.notes.damaged, 0);
    assert_int_equal(h.count, 3);
    ea_history_free(&h);
    assert_int_equal(ea_session_open("hurt", EA_SESSION_WRITE, &s, &err), 0);
    assert_int_equal(ea_session_accept_damage(s, &report, &accepted, &err), 0);
    assert_false(accepted); /* nothing more to accept */
    ea_session_close(&s);
    free(json_before);
    free(text);
}

/* session.json is a cache: missing or unreadable, it is rebuilt from the log (name included),
 * listed meanwhile, and -S NAME finds the session instead of making a second one. */
static void test_session_json_rebuilt_from_the_log(void **state)
{
    (void)state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("cached", NULL, &s, &err), 0);
    run_turn(s, "one", "resp_1", 0);
    assert_int_equal(ea_session_set_name(s, "renamed", &err), 0);
    char json[PATH_MAX], id[EA_SESSION_ID_LEN + 1];
    path_in(s, "session.json", json, sizeof json);
    snprintf(id, sizeof id, "%s", ea_session_id(s));
    assert_false(ea_session_cache_rebuilt(s));
    ea_session_close(&s);

    const char *damage[] = {NULL, "{not json"};
    for (int i = 0; i < 2; i++) {
        if (damage[i])
            assert_int_equal(spit(json, damage[i], strlen(damage[i]), "wb"), 0);
        else
            assert_int_equal(unlink(json), 0);
        ea_session_list list;
        assert_int_equal(ea_session_list_load(&list, &err), 0);
        assert_int_equal(list.count, 1);
        assert_string_equal(list.items[0].name, "renamed");
        assert_int_equal(list.items[0].turns, 1 + i);
        assert_true(list.items[0].rebuilt);
        ea_session_list_free(&list);

        bool created = true;
        assert_int_equal(ea_session_open_or_create("renamed", NULL, &s, &created, &err), 0);
        assert_false(created);
        assert_string_equal(ea_session_id(s), id);
        assert_true(ea_session_cache_rebuilt(s));
        assert_string_equal(ea_session_name(s), "renamed");
        run_turn(s, "more", "resp_more", 0);
        ea_session_close(&s);
        assert_int_equal(ea_session_open("renamed", EA_SESSION_READ, &s, &err), 0);
        assert_false(ea_session_cache_rebuilt(s)); /* written back: said once */
        ea_session_close(&s);
    }
}

/* A link in place of a session's file is refused and named; nothing is written through it. */
static void test_links_in_a_session_refused(void **state)
{
    store_fixture *f = *state;
    ea_session *s = NULL;
    ea_err err = {0};
    assert_int_equal(ea_session_create("linked", NULL, &s, &err), 0);
    run_turn(s, "one", "resp_1", 0);
    char dir[PATH_MAX], outside[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s", ea_session_dir(s));
    ea_session_close(&s);
    snprintf(outside, sizeof outside, "%s/outside", f->root);
    assert_int_equal(spit(outside, "keep", 4, "wb"), 0);
    const char *files[] = {"lock", "session.json", "audit.jsonl"};
    for (int i = 0; i < 3; i++) {
        char path[PATH_MAX + 32], saved[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        snprintf(saved, sizeof saved, "%s.saved", path);
        assert_int_equal(rename(path, saved), 0);
        assert_int_equal(symlink(outside, path), 0);
        assert_int_equal(ea_session_open("linked", EA_SESSION_WRITE, &s, &err), -1);
        assert_non_null(strstr(err.msg, files[i]));
        assert_non_null(strstr(err.msg, "symbolic link"));
        size_t len;
        char *kept = slurp(outside, &len);
        assert_int_equal(len, 4);
        free(kept);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rename(saved, path), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_modes_whatever_the_umask, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_turn_saved_in_order_and_reopened, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_verify_names_a_changed_or_missing_image,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_lock_refuses_a_second_writer, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_names_lookup_and_open_or_create, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_list_newest_first, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_lister_matches_the_full_listing, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_rename_and_trash, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_same_new_name_at_once_makes_one_session, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_turn_keeps_its_saved_images, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_interrupted_turn_and_stale_summary_heal,
                                        store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_torn_log_recovered_on_open, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_keep_image_rescues_what_images_refuses, store_setup,
                                        store_teardown),
        cmocka_unit_test_setup_teardown(test_save_image_rules, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_damage_refuses_turns_until_accepted, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_session_json_rebuilt_from_the_log, store_setup, store_teardown),
        cmocka_unit_test_setup_teardown(test_links_in_a_session_refused, store_setup, store_teardown),
    };
    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
