/* SPDX-License-Identifier: MIT */
/* pool: the small thread pool that downscaling, sixel encoding and composing share (see
 * gfx_internal.h). One worker fewer than the machine has cores (at most MAX_WORKERS), started
 * on first use and kept until exit, with every signal blocked so that SIGWINCH, SIGINT and
 * SIGCHLD still reach the thread that handles them.
 *
 * The caller always works on its own job too: it claims indices like any worker, so a job
 * finishes even when every worker is busy with another caller's (the picture worker and the
 * loop may both be encoding), and a nested call cannot deadlock. The caller waits only for
 * indices of its own job that a worker claimed and is still running. */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "gfx_internal.h"

#define MAX_WORKERS 3

typedef ea_gfx_job job;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER; /* a job was queued */
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER; /* a job's index finished */
static job *queue;
static int workers = -1; /* -1: not started yet */
static pthread_t threads[MAX_WORKERS];
static bool stopping; /* at exit: the workers leave once idle */
static int forced = -1;  /* ea_gfx_pool_set_threads; 1: every job on its caller */

/* Runs indices of j until none is left; returns how many it ran. */
static int run_indices(job *j)
{
    int ran = 0;
    for (;;) {
        int i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n)
            return ran;
        j->fn(j->ctx, i);
        ran++;
    }
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!queue && !stopping)
            pthread_cond_wait(&work, &lock);
        if (stopping)
            break; /* a caller still running a job finishes its indices itself */
        job *j = queue;
        j->users++;
        pthread_mutex_unlock(&lock);
        int ran = run_indices(j);
        pthread_mutex_lock(&lock);
        if (queue == j) /* nothing left to claim: no one else need look at it */
            queue = j->link;
        j->done += ran;
        j->users--;
        pthread_cond_broadcast(&idle);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* At exit the workers are stopped and joined, so that their stacks and thread-local blocks
 * are freed like everything else (valgrind reported each as possibly lost). */
static void stop_workers(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    int n = workers;
    workers = 0; /* any later job runs on its caller */
    pthread_cond_broadcast(&work);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
}

/* Starts the workers once, under the lock. */
static void start_workers(void)
{
    if (workers >= 0)
        return;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = forced >= 0 ? forced - 1 : (int)(cores > 1 ? cores - 1 : 0);
    if (want > MAX_WORKERS)
        want = MAX_WORKERS;
    workers = 0;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* inherited by the workers */
    for (int i = 0; i < want; i++) {
        if (pthread_create(&threads[workers], NULL, worker_main, NULL) != 0)
            break; /* fewer workers: the callers do the rest themselves */
        workers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (workers > 0)
        atexit(stop_workers);
}

int ea_gfx_pool_threads(void)
{
    pthread_mutex_lock(&lock);
    start_workers();
    int n = forced == 1 ? 1 : workers + 1;
    pthread_mutex_unlock(&lock);
    return n;
}

void ea_gfx_pool_set_threads(int n)
{
    pthread_mutex_lock(&lock);
    forced = n < 1 ? 1 : n; /* 1 takes effect at once; more only before the workers start */
    pthread_mutex_unlock(&lock);
}

void ea_gfx_start(ea_gfx_job *j, int n, void (*fn)(void *ctx, int i), void *ctx)
{
    *j = (ea_gfx_job){.fn = fn, .ctx = ctx, .n = n < 0 ? 0 : n};
    atomic_init(&j->next, 0);
    pthread_mutex_lock(&lock);
    start_workers();
    if (j->n == 0 || workers == 0 || forced == 1) {
        pthread_mutex_unlock(&lock);
        return; /* ea_gfx_finish runs it */
    }
    /* At the tail: the older jobs' callers are already working on theirs. */
    job **at = &queue;
    while (*at)
        at = &(*at)->link;
    *at = j;
    j->queued = true;
    pthread_cond_broadcast(&work);
    pthread_mutex_unlock(&lock);
}

void ea_gfx_finish(ea_gfx_job *j)
{
    int ran = run_indices(j);
    if (!j->queued)
        return;
    pthread_mutex_lock(&lock);
    for (job **at = &queue; *at; at = &(*at)->link)
        if (*at == j) {
            *at = j->link;
            break;
        }
    j->done += ran;
    while (j->done < j->n || j->users > 0)
        pthread_cond_wait(&idle, &lock);
    pthread_mutex_unlock(&lock);
}

void ea_gfx_parallel(int n, void (*fn)(void *ctx, int i), void *ctx)
{
    if (n == 1) { /* nothing to share */
        fn(ctx, 0);
        return;
    }
    ea_gfx_job j;
    ea_gfx_start(&j, n, fn, ctx);
    ea_gfx_finish(&j);
}
