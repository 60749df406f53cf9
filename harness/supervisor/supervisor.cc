// Supervisor: noticing exits, stopping children, and their logs. Starting a
// child is in spawn.cc, readiness in readiness.cc.

#include "harness/supervisor/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/common/text.h"
#include "harness/supervisor/supervisor_impl.h"

namespace faultline {
namespace {

using boost::system::error_code;

// Bound on the blocking reap in ~Supervisor; SIGKILLed processes go at once
// unless stuck in the kernel, and the watchdog is the backstop for those.
constexpr auto kReapDeadline = std::chrono::seconds(5);

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
      // Drop the partial first line; a window without a line end is one
      // long line's end, kept (a log of 1 MB on one line is not "empty").
      size_t nl = out.find('\n');
      if (nl != std::string::npos && nl + 1 < out.size()) out.erase(0, nl + 1);
    }
  }
  close(fd);
  return out;
}

}  // namespace

std::string ExitInfo::Describe() const {
  if (attached) return "exited (an attached process: its exit status goes to its own parent)";
  if (signaled) {
    const char* abbrev = sigabbrev_np(code);
    return "killed by signal " + std::to_string(code) +
           (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  return "exited with code " + std::to_string(code);
}

void Supervisor::Impl::ArmExitWait(const std::shared_ptr<Child>& child) {
  std::weak_ptr<Child> weak = child;
  child->pidfd->async_wait(asio::posix::stream_descriptor::wait_read,
                           [this, weak](error_code ec) {
                             auto c = weak.lock();  // children die only with *this
                             if (!c || ec == asio::error::operation_aborted || c->exited) return;
                             OnPidfdReadable(c);
                           });
}

void Supervisor::Impl::OnPidfdReadable(const std::shared_ptr<Child>& child) {
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

void Supervisor::Impl::HandleExit(const std::shared_ptr<Child>& child, const ExitInfo& info) {
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

void Supervisor::Impl::StopChild(const std::shared_ptr<Child>& child, std::function<void()> done) {
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

std::string Supervisor::Impl::LogTail(const std::string& path, size_t lines) const {
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
  // Each line as it can be shown on a terminal and in results.json: its
  // control characters written out (a log's escape sequences would
  // retitle, clear or hide the terminal) and at most kMaxTailLine bytes.
  constexpr size_t kMaxTailLine = 200;
  std::string out;
  for (size_t at = start; at <= text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (!out.empty() || at > start) out += '\n';
    out += Elide(EscapeControl(std::string_view(text).substr(at, end - at)), kMaxTailLine);
    at = end + 1;
  }
  return out;
}

std::string Supervisor::Impl::LogContext(const Child& child) const {
  std::string tail = LogTail(child.spec.log_path, 20);
  if (tail.empty()) return "its log (" + child.spec.log_path + ") is empty";
  return "last lines of its log (" + child.spec.log_path + "):\n" + tail;
}

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
      if (next == order.size()) {
        // Every child is gone; what still carries the run's mark, or is
        // still in its cgroup, left its group (setsid, a double fork) and
        // would outlive the run.
        if (impl->watchdog_ != nullptr) {
          std::vector<char> buf(1 << 16);
          KillMarked(impl->watchdog_->pid(), buf.data(), buf.size());
          KillCgroup(impl->watchdog_->cgroup().path());
        }
        return asio::post(impl->io_, std::move(done));
      }
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
