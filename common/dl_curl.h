/* libcurl (HTTP(S) to image registries), opened on first use: see dl_lazy.h.
 * libcurl pulls in TLS, HTTP/2, SSH, LDAP and Kerberos libraries; only pull,
 * push and login need it. */
#ifndef OSBOX_DL_CURL_H
#define OSBOX_DL_CURL_H

/* curl.h's gcc type-checking wrappers are macros named like the functions,
 * which would hide the table below (and typeof() needs the plain functions). */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#undef curl_easy_getinfo
#undef curl_easy_setopt

#include "dl_lazy.h"

/* Every libcurl.so.4 entry point osbox calls. */
#define OSBOX_CURL_SYMS(X) \
    X(curl_easy_cleanup) \
    X(curl_easy_getinfo) \
    X(curl_easy_init) \
    X(curl_easy_perform) \
    X(curl_easy_reset) \
    X(curl_easy_setopt) \
    X(curl_easy_strerror) \
    X(curl_easy_escape) \
    X(curl_free) \
    X(curl_global_init) \
    X(curl_multi_add_handle) \
    X(curl_multi_cleanup) \
    X(curl_multi_info_read) \
    X(curl_multi_init) \
    X(curl_multi_perform) \
    X(curl_multi_poll) \
    X(curl_multi_remove_handle) \
    X(curl_slist_append) \
    X(curl_slist_free_all)

struct osbox_curl_api {
    OSBOX_CURL_SYMS(OSBOX_DL_MEMBER)
};
extern struct osbox_curl_api osbox_curl;

/* Load libcurl.so.4 and run curl_global_init (once); call before anything below.
 * 0, or -1 with "libcurl.so.4 not found: install libcurl4". */
int lazy_curl_load(struct osbox_err *err);

/* Call sites keep the library's own names. */
#ifndef OSBOX_DL_IMPL
#define curl_easy_cleanup (*osbox_curl.curl_easy_cleanup)
#define curl_easy_getinfo (*osbox_curl.curl_easy_getinfo)
#define curl_easy_init (*osbox_curl.curl_easy_init)
#define curl_easy_perform (*osbox_curl.curl_easy_perform)
#define curl_easy_reset (*osbox_curl.curl_easy_reset)
#define curl_easy_setopt (*osbox_curl.curl_easy_setopt)
#define curl_easy_strerror (*osbox_curl.curl_easy_strerror)
#define curl_easy_escape (*osbox_curl.curl_easy_escape)
#define curl_free (*osbox_curl.curl_free)
#define curl_global_init (*osbox_curl.curl_global_init)
#define curl_multi_add_handle (*osbox_curl.curl_multi_add_handle)
#define curl_multi_cleanup (*osbox_curl.curl_multi_cleanup)
#define curl_multi_info_read (*osbox_curl.curl_multi_info_read)
#define curl_multi_init (*osbox_curl.curl_multi_init)
#define curl_multi_perform (*osbox_curl.curl_multi_perform)
#define curl_multi_poll (*osbox_curl.curl_multi_poll)
#define curl_multi_remove_handle (*osbox_curl.curl_multi_remove_handle)
#define curl_slist_append (*osbox_curl.curl_slist_append)
#define curl_slist_free_all (*osbox_curl.curl_slist_free_all)
#endif

#endif
