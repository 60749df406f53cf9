#include "harness/supervisor/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <list>

extern char** environ;

namespace faultline {
namespace {

using boost::system::error_code;

constexpr auto kPollInterval = std::chrono::milliseconds(50);
// Each probe attempt has its own deadline so that a server that accepts and
// never answers cannot wedge readiness polling.
constexpr auto kAttemptTimeout = std::chrono::seconds(1);
// Bound on the blocking reap in ~Supervisor; SIGKILLed processes go at once
// unless stuck in the kernel, and the watchdog is the backstop for those.
constexpr auto kReapDeadline = std::chrono::seconds(5);

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

void SleepMillis(long ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// What the child reports over the CLOEXEC pipe when it cannot exec.
struct ChildFailure {
  enum Stage : int { kSetup, kExec } stage;
  int error;
  const char* call;  // a string literal, same address in parent and child
};

[[noreturn]] void ReportAndExit(int fd, ChildFailure::Stage stage, const char* call) {
  ChildFailure failure{stage, errno, call};
  while (write(fd, &failure, sizeof failure) < 0 && errno == EINTR) {
  }
  _exit(127);
}

// Runs between fork and exec: async-signal-safe calls only, everything else
// was prepared by the parent.
[[noreturn]] void ChildMain(pid_t parent, int log_fd, int null_fd, int err_fd, char* const* argv,
                            char* const* envp) {
  // Signals are blocked (by the parent, around fork) until the dispositions
  // are back to default, so no harness handler runs in the child.
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  if (setpgid(0, 0) != 0) ReportAndExit(err_fd, ChildFailure::kSetup, "setpgid");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ReportAndExit(err_fd, ChildFailure::kSetup, "prctl");
  // The harness may have died before PDEATHSIG was armed.
  if (getppid() != parent) _exit(127);
  if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
    ReportAndExit(err_fd, ChildFailure::kSetup, "dup2");
  }
  // Sockets opened by Asio and libraries are not necessarily CLOEXEC: without
  // this the child would hold the harness's listeners and connections open.
  if (err_fd > 3) close_range(3, static_cast<unsigned>(err_fd) - 1, 0);
  close_range(static_cast<unsigned>(err_fd) + 1, ~0U, 0);
  // execvpe searches the harness's PATH (this process's environ), not envp.
  execvpe(argv[0], argv, envp);
  ReportAndExit(err_fd, ChildFailure::kExec, "exec");
}

// Moves `fd` above the standard streams (the harness may have been started
// with one of them closed), so the child's dup2 onto 0-2 cannot clobber it.
int AboveStdio(int fd) {
  if (fd < 0 || fd > 2) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

std::string ReadTail(const std::string& path, size_t max_bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st {};
  std::string out;
  if (fstat(fd, &st) == 0 && st.st_size > 0) {
    off_t size = st.st_size;
    off_t start = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
    out.resize(static_cast<size_t>(size - start));
    ssize_t n;
    while ((n = pread(fd, out.data(), out.size(), start)) < 0 && errno == EINTR) {
    }
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (start > 0) {
      size_t nl = out.find('\n');  // drop the partial first line
      out.erase(0, nl == std::string::npos ? out.size() : nl + 1);
    }
  }
  close(fd);
  return out;
}

struct TcpProbeFn {
  asio::io_context* io;
  uint16_t port;

  std::string Describe() const { return "tcp 127.0.0.1:" + std::to_string(port); }

  void operator()(std::function<void(bool)> cb) const {
    struct Attempt {
      explicit Attempt(asio::io_context& io) : socket(io), timer(io) {}
      tcp::socket socket;
      asio::steady_timer timer;
    };
    auto a = std::make_shared<Attempt>(*io);
    a->timer.expires_after(kAttemptTimeout);
    a->timer.async_wait([a](error_code ec) {
      error_code ignored;
      if (!ec) a->socket.close(ignored);
    });
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    a->socket.async_connect(endpoint, [a, cb = std::move(cb)](error_code ec) {
      a->timer.cancel();
      error_code ignored;
      a->socket.close(ignored);
      cb(!ec);
    });
  }
};

struct HttpProbeFn {
  asio::io_context* io;
  uint16_t port;
  std::string path;
  int status;

  std::string Describe() const {
    return "http GET 127.0.0.1:" + std::to_string(port) + path + " for status " +
           std::to_string(status);
  }

  void operator()(std::function<void(bool)> cb) const {
    struct Attempt {
      explicit Attempt(asio::io_context& io) : socket(io), timer(io), response(8192) {}
      tcp::socket socket;
      asio::steady_timer timer;
      std::string request;
      asio::streambuf response;
      std::function<void(bool)> cb;
      void Finish(bool ready) {
        timer.cancel();
        error_code ignored;
        socket.close(ignored);
        auto done = std::move(cb);
        cb = nullptr;
        if (done) done(ready);
      }
    };
    auto a = std::make_shared<Attempt>(*io);
    a->cb = std::move(cb);
    a->request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    a->timer.expires_after(kAttemptTimeout);
    a->timer.async_wait([a](error_code ec) {
      error_code ignored;
      if (!ec) a->socket.close(ignored);  // the pending operation fails; it calls Finish
    });
    const int want = status;
    tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
    a->socket.async_connect(endpoint, [a, want](error_code ec) {
      if (ec) return a->Finish(false);
      asio::async_write(a->socket, asio::buffer(a->request), [a, want](error_code ec, size_t) {
        if (ec) return a->Finish(false);
        asio::async_read_until(a->socket, a->response, "\r\n", [a, want](error_code ec, size_t n) {
          if (ec) return a->Finish(false);
          std::string line(asio::buffers_begin(a->response.data()),
                           asio::buffers_begin(a->response.data()) + static_cast<long>(n));
          // "HTTP/1.1 200 OK\r\n"
          int code = 0;
          size_t space = line.find(' ');
          if (line.starts_with("HTTP/") && space != std::string::npos && line.size() >= space + 4) {
            std::from_chars(line.data() + space + 1, line.data() + space + 4, code);
          }
          a->Finish(code == want);
        });
      });
    });
  }
};

}  // namespace

std::string ExitInfo::Describe() const {
  if (signaled) {
    const char* abbrev = sigabbrev_np(code);
    return "killed by signal " + std::to_string(code) +
           (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  return "exited with code " + std::to_string(code);
}

struct Child {
  Child(asio::io_context& io, ChildSpec s) : spec(std::move(s)), kill_timer(io) {}
  ChildSpec spec;
  pid_t pid = 0;  // also the process group id
  std::unique_ptr<asio::posix::stream_descriptor> pidfd;
  asio::steady_timer kill_timer;
  bool exited = false;
  bool stopping = false;
  ExitInfo exit;
  std::vector<std::function<void()>> stop_done;
  std::vector<std::function<void()>> exit_listeners;
};

struct ReadyWait {
  ReadyWait(asio::io_context& io) : poll(io), deadline(io) {}
  std::string name;
  Supervisor::Probe probe;
  std::string probe_description;
  Duration timeout{};
  std::function<void(Status)> done;
  asio::steady_timer poll;
  asio::steady_timer deadline;
  bool finished = false;
};

class Supervisor::Impl {
 public:
  Impl(asio::io_context& io, Watchdog* watchdog) : io_(io), watchdog_(watchdog) {}
  ~Impl();

  asio::io_context& io_;
  Watchdog* watchdog_;
  std::function<void(const ExitInfo&)> on_unexpected_;
  std::vector<std::shared_ptr<Child>> children_;  // start order
  std::list<std::shared_ptr<ReadyWait>> waits_;
  // Probes outlive nothing they point to: they check this before using `this`.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::shared_ptr<Child> Find(const std::string& name) const {
    for (auto it = children_.rbegin(); it != children_.rend(); ++it) {
      if ((*it)->spec.name == name) return *it;
    }
    return nullptr;
  }

  void ArmExitWait(const std::shared_ptr<Child>& child) {
    std::weak_ptr<Child> weak = child;
    child->pidfd->async_wait(asio::posix::stream_descriptor::wait_read,
                             [this, weak](error_code ec) {
                               auto c = weak.lock();  // children die only with *this
                               if (!c || ec == asio::error::operation_aborted || c->exited) return;
                               OnPidfdReadable(c);
                             });
  }

  void OnPidfdReadable(const std::shared_ptr<Child>& child) {
    int wstatus = 0;
    pid_t r;
    while ((r = waitpid(child->pid, &wstatus, WNOHANG)) < 0 && errno == EINTR) {
    }
    if (r == 0) return ArmExitWait(child);  // not reapable yet
    ExitInfo info{child->spec.name, child->pid, false, -1};
    if (r == child->pid) {
      info.signaled = WIFSIGNALED(wstatus);
      info.code = info.signaled ? WTERMSIG(wstatus) : WEXITSTATUS(wstatus);
    }
    HandleExit(child, info);
  }

  void HandleExit(const std::shared_ptr<Child>& child, const ExitInfo& info) {
    child->exited = true;
    child->exit = info;
    // The group may hold grandchildren that outlive the leader.
    kill(-child->pid, SIGKILL);
    if (watchdog_ != nullptr) watchdog_->Unregister(child->pid);
    child->kill_timer.cancel();
    child->pidfd.reset();
    auto listeners = std::move(child->exit_listeners);
    auto stop_done = std::move(child->stop_done);
    child->exit_listeners.clear();
    child->stop_done.clear();
    for (auto& listener : listeners) listener();
    if (child->stopping) {
      for (auto& done : stop_done) done();
    } else if (on_unexpected_) {
      on_unexpected_(info);
    }
  }

  void StopChild(const std::shared_ptr<Child>& child, std::function<void()> done) {
    if (child->exited) {
      asio::post(io_, std::move(done));
      return;
    }
    child->stop_done.push_back(std::move(done));
    if (child->stopping) return;
    child->stopping = true;
    kill(-child->pid, SIGTERM);
    std::weak_ptr<Child> weak = child;
    child->kill_timer.expires_after(child->spec.stop_grace);
    child->kill_timer.async_wait([weak](error_code ec) {
      auto c = weak.lock();
      if (!c || ec || c->exited) return;
      kill(-c->pid, SIGKILL);
    });
  }

  std::string LogTail(const std::string& path, size_t lines) const {
    std::string text = ReadTail(path, 64 * 1024);
    if (!text.empty() && text.back() == '\n') text.pop_back();
    if (lines == 0) return "";
    size_t start = 0;
    size_t seen = 0;
    for (size_t i = text.size(); i > 0; --i) {
      if (text[i - 1] == '\n' && ++seen == lines) {
        start = i;
        break;
      }
    }
    return text.substr(start);
  }

  std::string LogContext(const Child& child) const {
    std::string tail = LogTail(child.spec.log_path, 20);
    if (tail.empty()) return "its log (" + child.spec.log_path + ") is empty";
    return "last lines of its log (" + child.spec.log_path + "):\n" + tail;
  }

  void FinishWait(const std::shared_ptr<ReadyWait>& w, Status status) {
    if (w->finished) return;
    w->finished = true;
    w->poll.cancel();
    w->deadline.cancel();
    auto done = std::move(w->done);
    waits_.remove(w);
    done(std::move(status));
  }

  void Attempt(const std::shared_ptr<ReadyWait>& w) {
    std::weak_ptr<ReadyWait> weak = w;
    w->probe([this, weak](bool ready) {
      auto w = weak.lock();  // waits die only with *this
      if (!w || w->finished) return;
      if (ready) return FinishWait(w, Status::Ok());
      w->poll.expires_after(kPollInterval);
      w->poll.async_wait([this, weak](error_code ec) {
        auto w = weak.lock();
        if (!w || ec || w->finished) return;
        Attempt(w);
      });
    });
  }
};

// It resolves the child's log path on each attempt, so
// it may be made before the child starts, and follows a restart (new file).
struct LogProbeFn {
  const std::vector<std::shared_ptr<Child>>* children;  // Impl's; valid while `alive`
  std::weak_ptr<bool> alive;
  std::string name;
  std::string needle;
  struct State {
    std::string path;
    off_t offset = 0;
    std::string carry;  // the unfinished last line
  };
  std::shared_ptr<State> state = std::make_shared<State>();

  std::string Describe() const { return "log line containing " + Quote(needle); }

  void operator()(std::function<void(bool)> cb) const { cb(Scan()); }

  bool Scan() const {
    if (alive.expired()) return false;
    std::shared_ptr<Child> child;
    for (const auto& c : *children) {
      if (c->spec.name == name) child = c;  // the latest start
    }
    if (!child) return false;
    State& s = *state;
    if (s.path != child->spec.log_path) {  // first use, or a new start with another log
      s = State();
      s.path = child->spec.log_path;
    }
    int fd = open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (fstat(fd, &st) == 0 && st.st_size < s.offset) {  // truncated: a new start
      s.offset = 0;
      s.carry.clear();
    }
    bool found = false;
    char buf[65536];
    for (int chunk = 0; chunk < 64 && !found; ++chunk) {
      ssize_t n = pread(fd, buf, sizeof buf, s.offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      s.offset += n;
      s.carry.append(buf, static_cast<size_t>(n));
      size_t line_start = 0;
      for (size_t nl; (nl = s.carry.find('\n', line_start)) != std::string::npos;
           line_start = nl + 1) {
        if (std::string_view(s.carry).substr(line_start, nl - line_start).find(needle) !=
            std::string_view::npos) {
          found = true;
          break;
        }
      }
      s.carry.erase(0, line_start);
    }
    // A line still being written counts too (a program may print its banner
    // without a newline). Bound the carry so a log without newlines cannot grow it.
    if (!found && s.carry.find(needle) != std::string::npos) found = true;
    if (s.carry.size() > 65536) s.carry.erase(0, s.carry.size() - needle.size());
    close(fd);
    return found;
  }
};

Supervisor::Impl::~Impl() {
  waits_.clear();
  for (auto& child : children_) {
    if (!child->exited) kill(-child->pid, SIGKILL);
  }
  auto deadline = std::chrono::steady_clock::now() + kReapDeadline;
  for (auto& child : children_) {
    if (child->exited) continue;
    for (;;) {
      pid_t r = waitpid(child->pid, nullptr, WNOHANG);
      if (r == child->pid || (r < 0 && errno != EINTR)) {
        if (watchdog_ != nullptr) watchdog_->Unregister(child->pid);
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;  // the watchdog still knows it
      SleepMillis(5);
    }
  }
}

Supervisor::Supervisor(asio::io_context& io, Watchdog* watchdog)
    : impl_(std::make_unique<Impl>(io, watchdog)) {}

Supervisor::~Supervisor() = default;

void Supervisor::OnUnexpectedExit(std::function<void(const ExitInfo&)> handler) {
  impl_->on_unexpected_ = std::move(handler);
}

StatusOr<pid_t> Supervisor::Start(const ChildSpec& spec) {
  const std::string what = "start " + Quote(spec.name);
  auto errno_status = [&](const std::string& doing, int err) {
    return Status::Unavailable(what + ": " + doing + ": " + strerror(err));
  };
  if (spec.argv.empty()) return Status::Invalid(what + ": empty command");
  if (auto existing = impl_->Find(spec.name); existing && !existing->exited) {
    return Status::Invalid(what + ": already running (pid " + std::to_string(existing->pid) + ")");
  }

  int log_fd = AboveStdio(
      open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd < 0) return errno_status("cannot open log file " + Quote(spec.log_path), errno);
  int null_fd = AboveStdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_fd < 0) {
    int err = errno;
    close(log_fd);
    return errno_status("cannot open /dev/null", err);
  }
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    int err = errno;
    close(log_fd);
    close(null_fd);
    return errno_status("pipe", err);
  }
  err_pipe[1] = AboveStdio(err_pipe[1]);
  if (err_pipe[1] < 0) {
    int err = errno;
    close(err_pipe[0]);
    close(log_fd);
    close(null_fd);
    return errno_status("pipe", err);
  }

  // Everything the child needs, built before fork.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry = *e;
    std::string key(entry.substr(0, entry.find('=')));
    if (!spec.env.contains(key)) env_strings.emplace_back(entry);
  }
  for (const auto& [key, value] : spec.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = spec.argv;
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) ChildMain(parent, log_fd, null_fd, err_pipe[1], argv.data(), envp.data());
  int fork_errno = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  close(err_pipe[1]);
  close(log_fd);
  close(null_fd);
  if (pid < 0) {
    close(err_pipe[0]);
    return errno_status("fork", fork_errno);
  }
  // Also done by the child; whichever runs first wins, so kill(-pid) is
  // correct from here on. EACCES after the child's exec is expected.
  setpgid(pid, pid);
  if (impl_->watchdog_ != nullptr) impl_->watchdog_->Register(pid);

  auto reap = [&] {
    kill(-pid, SIGKILL);
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (impl_->watchdog_ != nullptr) impl_->watchdog_->Unregister(pid);
  };

  ChildFailure failure{};
  ssize_t n;
  while ((n = read(err_pipe[0], &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  close(err_pipe[0]);
  if (n > 0) {
    reap();
    if (failure.stage == ChildFailure::kExec) {
      return errno_status("cannot execute " + Quote(spec.argv[0]), failure.error);
    }
    return errno_status(std::string("cannot set up the child process (") + failure.call + ")",
                        failure.error);
  }
  if (n < 0) {
    int err = errno;
    reap();
    return errno_status("reading the exec status", err);
  }

  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int err = errno;
    reap();
    return errno_status("pidfd_open", err);
  }
  auto child = std::make_shared<Child>(impl_->io_, spec);
  child->pid = pid;
  child->pidfd = std::make_unique<asio::posix::stream_descriptor>(impl_->io_, pidfd);
  std::erase_if(impl_->children_, [&](const auto& c) { return c->spec.name == spec.name; });
  impl_->children_.push_back(child);
  impl_->ArmExitWait(child);
  return pid;
}

void Supervisor::WaitReady(const std::string& name, Probe probe, Duration timeout,
                           std::function<void(Status)> done) {
  auto child = impl_->Find(name);
  if (!child) {
    asio::post(impl_->io_, [done = std::move(done), name] {
      done(Status::Unavailable("wait for " + Quote(name) + ": no such child"));
    });
    return;
  }
  auto w = std::make_shared<ReadyWait>(impl_->io_);
  w->name = name;
  w->probe = std::move(probe);
  w->timeout = timeout;
  w->done = std::move(done);
  if (auto* f = w->probe.target<TcpProbeFn>()) w->probe_description = " (" + f->Describe() + ")";
  if (auto* f = w->probe.target<HttpProbeFn>()) w->probe_description = " (" + f->Describe() + ")";
  if (auto* f = w->probe.target<LogProbeFn>()) w->probe_description = " (" + f->Describe() + ")";
  impl_->waits_.push_back(w);

  Impl* impl = impl_.get();
  std::weak_ptr<ReadyWait> weak = w;
  std::weak_ptr<Child> weak_child = child;
  auto exited = [impl, weak, weak_child] {
    auto w = weak.lock();
    auto c = weak_child.lock();
    if (!w || !c || w->finished) return;
    impl->FinishWait(w, Status::Unavailable(Quote(w->name) + " " + c->exit.Describe() +
                                            " before it was ready; " + impl->LogContext(*c)));
  };
  if (child->exited) {
    asio::post(impl_->io_, exited);
    return;
  }
  child->exit_listeners.push_back(exited);
  w->deadline.expires_after(timeout);
  w->deadline.async_wait([impl, weak, weak_child](error_code ec) {
    auto w = weak.lock();
    auto c = weak_child.lock();
    if (!w || !c || ec || w->finished) return;
    impl->FinishWait(w, Status::Unavailable(Quote(w->name) + " was not ready after " +
                                            FormatDuration(w->timeout) + w->probe_description +
                                            "; " + impl->LogContext(*c)));
  });
  impl_->Attempt(w);
}

Supervisor::Probe Supervisor::TcpProbe(uint16_t port) { return TcpProbeFn{&impl_->io_, port}; }

Supervisor::Probe Supervisor::HttpProbe(uint16_t port, std::string path, int status) {
  return HttpProbeFn{&impl_->io_, port, std::move(path), status};
}

Supervisor::Probe Supervisor::LogProbe(const std::string& name, std::string needle) {
  return LogProbeFn{&impl_->children_, impl_->alive_, name, std::move(needle)};
}

void Supervisor::Stop(const std::string& name, std::function<void()> done) {
  auto child = impl_->Find(name);
  if (!child) {
    asio::post(impl_->io_, std::move(done));
    return;
  }
  impl_->StopChild(child, std::move(done));
}

void Supervisor::StopAll(std::function<void()> done) {
  // One at a time, last started first: a target goes before the
  // dependencies it would otherwise log errors about.
  struct Sequence : std::enable_shared_from_this<Sequence> {
    Impl* impl;
    std::vector<std::shared_ptr<Child>> order;
    size_t next = 0;
    std::function<void()> done;
    void Step() {
      if (next == order.size()) return asio::post(impl->io_, std::move(done));
      auto child = order[next++];
      impl->StopChild(child, [self = shared_from_this()] { self->Step(); });
    }
  };
  auto seq = std::make_shared<Sequence>();
  seq->impl = impl_.get();
  seq->order.assign(impl_->children_.rbegin(), impl_->children_.rend());
  seq->done = std::move(done);
  seq->Step();
}

std::optional<pid_t> Supervisor::pid(const std::string& name) const {
  auto child = impl_->Find(name);
  if (!child || child->exited) return std::nullopt;
  return child->pid;
}

bool Supervisor::running(const std::string& name) const {
  auto child = impl_->Find(name);
  return child && !child->exited;
}

std::string Supervisor::LogTail(const std::string& name, size_t lines) const {
  auto child = impl_->Find(name);
  return child ? impl_->LogTail(child->spec.log_path, lines) : "";
}

std::string Supervisor::log_path(const std::string& name) const {
  auto child = impl_->Find(name);
  return child ? child->spec.log_path : "";
}

}  // namespace faultline
