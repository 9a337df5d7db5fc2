// Thin, non-variadic wrappers over the Linux system calls that Swift cannot
// call comfortably: epoll (its event struct is packed on x86_64), eventfd,
// timerfd, signalfd and getrandom. Every function returns -1 and leaves errno set on failure.
#ifndef CSLUICE_SYSTEM_H
#define CSLUICE_SYSTEM_H

#include <stdint.h>
#include <sys/types.h>

#define SLUICE_EV_READ 0x1u
#define SLUICE_EV_WRITE 0x4u
#define SLUICE_EV_ERROR 0x8u
#define SLUICE_EV_HUP 0x10u
#define SLUICE_EV_RDHUP 0x2000u

#define SLUICE_CTL_ADD 1
#define SLUICE_CTL_DEL 2
#define SLUICE_CTL_MOD 3

/// Creates an epoll instance with close-on-exec.
int sluice_epoll_create(void);
/// Adds, modifies (op 1, 3) or removes (op 2) `fd` with `events` and a 64-bit tag.
int sluice_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t tag);
/// Waits for events; fills `tags` and `events` (both `capacity` long).
int sluice_epoll_wait(int epfd, uint64_t *tags, uint32_t *events, int capacity, int timeout_ms);

/// Creates a non-blocking, close-on-exec eventfd.
int sluice_eventfd(void);
/// Adds one to an eventfd counter.
int sluice_eventfd_signal(int fd);
/// Resets an eventfd counter.
int sluice_eventfd_drain(int fd);

/// A non-blocking timerfd on the monotonic clock, disarmed.
int sluice_timerfd(void);
/// Makes a timerfd fire every `interval_ns` from now on; 0 disarms it.
int sluice_timerfd_arm(int fd, uint64_t interval_ns);
/// Resets a timerfd's expiration count.
int sluice_timerfd_drain(int fd);

/// Blocks `signo` in the calling thread and returns a non-blocking signalfd for it.
int sluice_signalfd(int signo);
/// Reads one signal from a signalfd; returns the signal number, 0 if none is pending.
int sluice_signalfd_read(int fd);

/// Sets O_NONBLOCK on `fd`.
int sluice_set_nonblocking(int fd);
/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC.
int sluice_accept(int fd, void *addr, uint32_t *addrlen);
/// Writes two buffers with one writev; MSG_NOSIGNAL semantics via sendmsg.
ssize_t sluice_send2(int fd, const void *a, size_t alen, const void *b, size_t blen);
/// send() with MSG_NOSIGNAL.
ssize_t sluice_send(int fd, const void *buf, size_t len);
/// Fills `buf` from the kernel's random number generator (getrandom, flags 0);
/// returns the bytes written.
ssize_t sluice_getrandom(void *buf, size_t len);
/// Names the calling thread (pthread_setname_np; at most 15 bytes and the NUL).
int sluice_thread_setname(const char *name);
/// Copies the calling thread's name into `buf` (pthread_getname_np).
int sluice_thread_getname(char *buf, size_t len);

#endif
