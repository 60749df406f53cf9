#include "harness/supervisor/attached.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace faultline {

StatusOr<std::unique_ptr<AttachedProcess>> AttachedProcess::Watch(
    asio::io_context& io, const std::string& name, pid_t pid,
    std::function<void(const ExitInfo&)> exited) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    return Status::Unavailable("watch attached process \"" + name + "\" (pid " +
                               std::to_string(pid) + "): pidfd_open: " + std::strerror(errno));
  }
  std::unique_ptr<AttachedProcess> p(
      new AttachedProcess(io, name, pid, fd, std::move(exited)));
  p->Arm();
  return p;
}

AttachedProcess::AttachedProcess(asio::io_context& io, std::string name, pid_t pid, int pidfd,
                                 std::function<void(const ExitInfo&)> exited)
    : name_(std::move(name)), pid_(pid), pidfd_(io, pidfd), on_exit_(std::move(exited)) {}

AttachedProcess::~AttachedProcess() {
  *alive_ = false;
  boost::system::error_code ignored;
  pidfd_.close(ignored);  // closing a pidfd does nothing to its process
}

// A pidfd polls readable once its process has exited (whoever reaps it).
void AttachedProcess::Arm() {
  std::weak_ptr<bool> alive = alive_;
  pidfd_.async_wait(asio::posix::stream_descriptor::wait_read,
                    [this, alive](const boost::system::error_code& ec) {
                      if (alive.expired() || !*alive.lock() || ec || exited_) return;
                      exited_ = true;
                      ExitInfo info;
                      info.name = name_;
                      info.pid = pid_;
                      info.attached = true;
                      if (on_exit_) on_exit_(info);
                    });
}

}  // namespace faultline
