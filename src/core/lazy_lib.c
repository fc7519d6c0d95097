/* SPDX-License-Identifier: MIT */
/* lazy_lib: see include/easel/lazy_lib.h. */
#include "easel/lazy_lib.h"

#include <dlfcn.h>
#include <pthread.h>

/* One lock for every library: each is opened once, so it is never contended for long. */
static pthread_mutex_t opening = PTHREAD_MUTEX_INITIALIZER;

static bool open_all(ea_lazy_lib *lib)
{
    void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle)
        return false;
    for (size_t i = 0; i < lib->n; i++) {
        if (!(lib->fns[i] = dlsym(handle, lib->names[i]))) {
            dlclose(handle); /* older than the headers we were built with: as if absent */
            return false;
        }
    }
    return true; /* kept open until exit, as a linked library is */
}

bool ea_lazy_lib_ready(ea_lazy_lib *lib)
{
    int state = atomic_load_explicit(&lib->state, memory_order_acquire);
    if (state == 0) {
        pthread_mutex_lock(&opening);
        state = atomic_load_explicit(&lib->state, memory_order_relaxed);
        if (state == 0) {
            state = open_all(lib) ? 1 : -1;
            atomic_store_explicit(&lib->state, state, memory_order_release);
        }
        pthread_mutex_unlock(&opening);
    }
    return state > 0;
}
