// epoll_forwarder: the least a TCP forwarder can do, as a floor for
// tools/bench/proxy.sh. One thread, one edge-triggered epoll set, one
// 16 KiB buffer; per chunk one recv and one send (a short read means the
// socket is drained, as in haproxy), no timers, no queues: a send that does
// not take everything closes the pair (loopback takes it all at these sizes).
//
//   epoll_forwarder LISTEN_PORT UPSTREAM_PORT   (both on 127.0.0.1)
//
// Prints "listening" once it accepts; runs until killed.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct end {
  int fd;
  struct end* peer;
};

static char buffer[16384];

// A closed pair keeps its two ends (fd -1): an event of the same batch may
// still name the other one. (A benchmark opens a few dozen connections.)
static void close_pair(struct end* e) {
  close(e->fd);
  close(e->peer->fd);
  e->fd = e->peer->fd = -1;
}

static void pump(struct end* e) {
  while (e->fd >= 0) {
    ssize_t n = recv(e->fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0 || send(e->peer->fd, buffer, (size_t)n, MSG_NOSIGNAL) != n) {
      close_pair(e);
      return;
    }
    if (n < (ssize_t)sizeof buffer) return;
  }
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: epoll_forwarder LISTEN_PORT UPSTREAM_PORT\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const int one = 1;
  struct sockaddr_in listen_address = loopback(atoi(argv[1]));
  struct sockaddr_in upstream_address = loopback(atoi(argv[2]));
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener, (struct sockaddr*)&listen_address, sizeof listen_address) != 0 ||
      listen(listener, 128) != 0) {
    perror("epoll_forwarder: listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &event);
  printf("listening\n");
  fflush(stdout);
  struct epoll_event events[64];
  for (;;) {
    int n = epoll_wait(ep, events, 64, -1);
    for (int i = 0; i < n; i++) {
      struct end* e = events[i].data.ptr;
      if (e != NULL) {
        pump(e);
        continue;
      }
      int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
      if (client < 0) continue;
      int upstream = socket(AF_INET, SOCK_STREAM, 0);  // blocking connect, then non-blocking
      if (connect(upstream, (struct sockaddr*)&upstream_address, sizeof upstream_address) != 0 ||
          fcntl(upstream, F_SETFL, O_NONBLOCK) != 0) {
        close(client);
        close(upstream);
        continue;
      }
      setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      struct end* c = malloc(sizeof *c);
      struct end* u = malloc(sizeof *u);
      *c = (struct end){client, u};
      *u = (struct end){upstream, c};
      struct epoll_event ce = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
      struct epoll_event ue = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = u};
      epoll_ctl(ep, EPOLL_CTL_ADD, client, &ce);
      epoll_ctl(ep, EPOLL_CTL_ADD, upstream, &ue);
    }
  }
}
