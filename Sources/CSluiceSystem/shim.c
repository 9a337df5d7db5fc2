#define _GNU_SOURCE
#include "CSluiceSystem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

int sluice_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int sluice_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t tag) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = tag;
    return epoll_ctl(epfd, op, fd, &ev);
}

int sluice_epoll_wait(int epfd, uint64_t *tags, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event evs[256];
    if (capacity > 256) capacity = 256;
    int n = epoll_wait(epfd, evs, capacity, timeout_ms);
    for (int i = 0; i < n; i++) {
        tags[i] = evs[i].data.u64;
        events[i] = evs[i].events;
    }
    return n;
}

int sluice_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int sluice_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n = write(fd, &one, sizeof one);
    if (n < 0 && errno == EAGAIN) return 0; // counter saturated: already signalled
    return n < 0 ? -1 : 0;
}

int sluice_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t n = read(fd, &value, sizeof value);
    if (n < 0 && errno == EAGAIN) return 0;
    return n < 0 ? -1 : 0;
}

int sluice_timerfd(void) { return timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC); }

/* Fires every interval_ns from now on; 0 disarms. */
int sluice_timerfd_arm(int fd, uint64_t interval_ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_interval.tv_sec = (time_t)(interval_ns / 1000000000u);
    spec.it_interval.tv_nsec = (long)(interval_ns % 1000000000u);
    spec.it_value = spec.it_interval;
    return timerfd_settime(fd, 0, &spec, NULL);
}

int sluice_timerfd_drain(int fd) {
    uint64_t expirations;
    ssize_t n = read(fd, &expirations, sizeof expirations);
    if (n < 0 && errno == EAGAIN) return 0;
    return n < 0 ? -1 : 0;
}

int sluice_signalfd(int signo) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, signo);
    if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
    return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int sluice_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n != sizeof info) return 0;
    return (int)info.ssi_signo;
}

int sluice_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int sluice_accept(int fd, void *addr, uint32_t *addrlen) {
    return accept4(fd, (struct sockaddr *)addr, (socklen_t *)addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

ssize_t sluice_send2(int fd, const void *a, size_t alen, const void *b, size_t blen) {
    struct iovec iov[2];
    iov[0].iov_base = (void *)a;
    iov[0].iov_len = alen;
    iov[1].iov_base = (void *)b;
    iov[1].iov_len = blen;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = blen > 0 ? 2 : 1;
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

ssize_t sluice_send(int fd, const void *buf, size_t len) { return send(fd, buf, len, MSG_NOSIGNAL); }

ssize_t sluice_getrandom(void *buf, size_t len) {
    return getrandom(buf, len, 0);
}

int sluice_thread_setname(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

int sluice_thread_getname(char *buf, size_t len) {
    return pthread_getname_np(pthread_self(), buf, len);
}
