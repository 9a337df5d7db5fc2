// Typed, non-variadic wrappers over libcurl. Swift cannot call C variadic
// functions, and curl_easy_setopt / curl_easy_getinfo / curl_multi_setopt are
// variadic, so each argument type gets its own function here.
//
// System package: .apt(["libcurl4-openssl-dev"]) (Debian), linked as -lcurl.
#ifndef CCURL_H
#define CCURL_H

#include <curl/curl.h>
#include <stddef.h>

/// The signature of CURLOPT_WRITEFUNCTION, CURLOPT_HEADERFUNCTION and
/// CURLOPT_READFUNCTION: (buffer, size, count, userdata) -> bytes handled.
typedef size_t (*sluice_curl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);

/// The signature of CURLOPT_XFERINFOFUNCTION; a non-zero return aborts the transfer.
typedef int (*sluice_curl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                             curl_off_t ultotal, curl_off_t ulnow);

/// Calls curl_global_init(CURL_GLOBAL_ALL) exactly once per process
/// (thread-safe); returns its result on every call.
CURLcode sluice_curl_global_init(void);

CURLcode sluice_curl_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode sluice_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value);
CURLcode sluice_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode sluice_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode sluice_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);

/// Sets CURLOPT_WRITEFUNCTION.
CURLcode sluice_curl_easy_setopt_write_callback(CURL *handle, sluice_curl_data_callback callback);
/// Sets CURLOPT_HEADERFUNCTION.
CURLcode sluice_curl_easy_setopt_header_callback(CURL *handle, sluice_curl_data_callback callback);
/// Sets CURLOPT_READFUNCTION.
CURLcode sluice_curl_easy_setopt_read_callback(CURL *handle, sluice_curl_data_callback callback);
/// Sets CURLOPT_XFERINFOFUNCTION (and turns CURLOPT_NOPROGRESS off).
CURLcode sluice_curl_easy_setopt_xferinfo_callback(CURL *handle, sluice_curl_xferinfo_callback callback);

CURLcode sluice_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode sluice_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode sluice_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value);
/// The HTTP status of the last response, or 0 when none arrived.
long sluice_curl_response_code(CURL *handle);

CURLMcode sluice_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

/// Reads the multi handle's messages until one says a transfer is done:
/// returns 1 and sets `easy` and `result` (the transfer's CURLcode), or 0
/// when no such message is left. (CURLMsg's `data` is a union; this keeps
/// Swift away from it.)
int sluice_curl_multi_next_done(CURLM *multi, CURL **easy, CURLcode *result);

/// The value returned by a read callback to abort the transfer.
size_t sluice_curl_readfunc_abort(void);
/// The value returned by a write callback to pause the transfer.
size_t sluice_curl_writefunc_pause(void);

/// Names the calling thread (a multi loop's), at most 15 bytes.
int sluice_curl_name_thread(const char *name);

#endif
