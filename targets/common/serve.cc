#include "targets/common/serve.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "targets/common/thread_per_connection.h"

namespace faultline::targets {

void ServeUntilSignal(httplib::Server& server, int port,
                      const std::function<void(int port)>& announce) {
  // Blocked here, before any thread exists, so every later thread inherits
  // the mask and only the sigwait() below ever sees these signals.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client that hangs up mid-response must cost an error, not the process.
  signal(SIGPIPE, SIG_IGN);

  // Without it, the second write of each response (cpp-httplib writes the
  // header and the body separately) waits for the client's delayed ACK: about
  // 40 ms added to every answer, a service that does not exist.
  server.set_tcp_nodelay(true);
  // One request per connection (the answer says Connection: close). In
  // cpp-httplib 0.11 a thread waiting for a connection's next request polls
  // every 10 ms and sleeps 1 ms in between: at 400 requests/s that wait was
  // 64 % of the orders service's CPU (perf), an artefact no real server has.
  server.set_keep_alive_max_count(1);
  auto threads = std::make_shared<ConnectionThreads>();
  server.new_task_queue = ThreadPerConnection::Factory(threads);
  // cpp-httplib 0.11 listens with a backlog of 5: at a few hundred new
  // connections a second the accept queue overflows (the kernel's
  // ListenOverflows counter) and clients wait seconds for SYN retries,
  // delays of the harness's making. The listening socket is the first one
  // the server makes; once bound, it listens again with the system's limit.
  static std::atomic<int> listener = -1;
  server.set_socket_options([](socket_t sock) {
    httplib::default_socket_options(sock);
    int unset = -1;
    listener.compare_exchange_strong(unset, sock);
  });

  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1")
                              : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) {
    std::fprintf(stderr, "cannot listen on 127.0.0.1:%d (port in use?)\n", port);
    std::_Exit(1);
  }
  if (listener >= 0 && ::listen(listener, SOMAXCONN) != 0) {
    std::perror("listen(SOMAXCONN)");  // the server still runs, with the small queue
  }
  announce(bound);
  std::fflush(stdout);

  std::atomic<bool> stopping = false;
  std::thread on_signal([&server, &stop_signals, &stopping, threads] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    stopping = true;
    // A no-op if listen_after_bind() has not started yet; the exit below
    // does not depend on it having returned.
    server.stop();
    threads->WaitUntilNone(std::chrono::milliseconds(500));
    std::fflush(nullptr);
    std::_Exit(0);
  });

  server.listen_after_bind();
  if (stopping) {
    on_signal.join();  // never returns: that thread ends the process
  }
  std::fprintf(stderr, "stopped accepting connections on 127.0.0.1:%d\n", bound);
  std::fflush(nullptr);
  std::_Exit(1);
}

}  // namespace faultline::targets
