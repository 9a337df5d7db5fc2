#define _GNU_SOURCE
#include "CCurl.h"
#include <pthread.h>

static pthread_once_t sluice_curl_once = PTHREAD_ONCE_INIT;
static CURLcode sluice_curl_init_result = CURLE_OK;

static void sluice_curl_do_init(void) {
    sluice_curl_init_result = curl_global_init(CURL_GLOBAL_ALL);
}

CURLcode sluice_curl_global_init(void) {
    pthread_once(&sluice_curl_once, sluice_curl_do_init);
    return sluice_curl_init_result;
}

CURLcode sluice_curl_easy_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sluice_curl_easy_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sluice_curl_easy_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sluice_curl_easy_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sluice_curl_easy_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

CURLcode sluice_curl_easy_setopt_write_callback(CURL *handle, sluice_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

CURLcode sluice_curl_easy_setopt_header_callback(CURL *handle, sluice_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, callback);
}

CURLcode sluice_curl_easy_setopt_read_callback(CURL *handle, sluice_curl_data_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_READFUNCTION, callback);
}

CURLcode sluice_curl_easy_setopt_xferinfo_callback(CURL *handle, sluice_curl_xferinfo_callback callback) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, callback);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_NOPROGRESS, 0L);
}

CURLcode sluice_curl_easy_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode sluice_curl_easy_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}

CURLcode sluice_curl_easy_getinfo_off_t(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(handle, info, value);
}

long sluice_curl_response_code(CURL *handle) {
    long code = 0;
    if (curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) return 0;
    return code;
}

CURLMcode sluice_curl_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}

int sluice_curl_multi_next_done(CURLM *multi, CURL **easy, CURLcode *result) {
    int queued = 0;
    CURLMsg *message;
    while ((message = curl_multi_info_read(multi, &queued)) != NULL) {
        if (message->msg == CURLMSG_DONE) {
            *easy = message->easy_handle;
            *result = message->data.result;
            return 1;
        }
    }
    return 0;
}

size_t sluice_curl_readfunc_abort(void) { return CURL_READFUNC_ABORT; }
size_t sluice_curl_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }

int sluice_curl_name_thread(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}
