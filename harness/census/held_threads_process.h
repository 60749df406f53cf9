// For the census tests and benchmark: runs tools/held-threads (threads
// blocked in held::WaitInPoll, held::WaitOnCondition, held::WaitInRead) and
// owns it: the destructor closes its standard input, kills and reaps it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

namespace faultline::testing {

class HeldThreads {
 public:
  /// Starts `binary` with the three counts (and `extra` arguments) and waits (at most `deadline`)
  /// for its "ready" line; ok() tells whether it came.
  HeldThreads(const std::string& binary, long poll_n, long condition_n, long read_n,
              std::vector<std::string> extra = {},
              std::chrono::milliseconds deadline = std::chrono::milliseconds(30000)) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0) return;
    if (pipe2(out, O_CLOEXEC) != 0) {
      close(in[0]);
      close(in[1]);
      return;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::vector<std::string> args = {binary, std::to_string(poll_n), std::to_string(condition_n),
                                     std::to_string(read_n)};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    int from = out[0];
    std::string line;
    auto end = std::chrono::steady_clock::now() + deadline;
    while (pid_ > 0 && line.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      pollfd p{from, POLLIN, 0};
      if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[64];
      ssize_t n = read(from, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    close(from);
    ready_ = line.starts_with("ready ");
  }
  ~HeldThreads() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  HeldThreads(const HeldThreads&) = delete;
  HeldThreads& operator=(const HeldThreads&) = delete;

  bool ok() const { return ready_; }
  pid_t pid() const { return pid_; }
  /// The caller reaped it: the destructor must not signal a pid that may
  /// since name another process.
  void Reaped() { pid_ = 0; }

 private:
  pid_t pid_ = 0;
  int stdin_ = -1;
  bool ready_ = false;
};

}  // namespace faultline::testing
