#define OSBOX_DL_IMPL
#include <pthread.h>

#include "dl_curl.h"

struct osbox_curl_api osbox_curl;

#define SYM(f) OSBOX_DL_SYM(osbox_curl, f)
static const struct osbox_dl_sym syms[] = { OSBOX_CURL_SYMS(SYM) };

static struct osbox_dl_lib lib = {
    .soname = "libcurl.so.4",
    .package = "libcurl4",
    .syms = syms,
    .nsyms = sizeof syms / sizeof syms[0],
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc;

static void global_init(void)
{
    global_rc = osbox_curl.curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int lazy_curl_load(struct osbox_err *err)
{
    if (osbox_dl_load(&lib, err) < 0)
        return -1;
    pthread_once(&global_once, global_init);
    if (global_rc < 0)
        return osbox_error(err, 0, "libcurl: curl_global_init failed");
    return 0;
}
