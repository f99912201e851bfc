/* See dl_lazy.h. glibc >= 2.34 has dlopen in libc itself: no -ldl. */
#include <dlfcn.h>
#include <pthread.h>

#include "dl_lazy.h"

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

int osbox_dl_load(struct osbox_dl_lib *lib, struct osbox_err *err)
{
    void *h;
    int rc = 0;

    if (__atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&dl_lock);
    if (lib->handle)
        goto out;
    h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        rc = osbox_error(err, 0, "%s not found: install %s (%s)", lib->soname, lib->package,
                         why ? why : "dlopen failed");
        goto out;
    }
    for (size_t i = 0; i < lib->nsyms; i++) {
        void *p = dlsym(h, lib->syms[i].name);
        if (!p) {
            rc = osbox_error(err, 0, "%s has no %s: install a newer %s", lib->soname,
                             lib->syms[i].name, lib->package);
            dlclose(h);
            goto out;
        }
        *lib->syms[i].slot = p;
    }
    __atomic_store_n(&lib->handle, h, __ATOMIC_RELEASE);
out:
    pthread_mutex_unlock(&dl_lock);
    return rc;
}
