// Supervisor: starting a child. Everything the child needs is prepared
// before fork; between fork and exec only async-signal-safe calls run, and
// exec errors come back over a close-on-exec pipe.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "harness/common/text.h"
#include "harness/supervisor/supervisor.h"
#include "harness/supervisor/supervisor_impl.h"

extern char** environ;

namespace faultline {
namespace {

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
[[noreturn]] void ChildMain(pid_t parent, int cgroup_fd, int log_fd, int null_fd, int err_fd,
                            char* const* argv, char* const* envp) {
  // Signals are blocked (by the parent, around fork) until the dispositions
  // are back to default, so no harness handler runs in the child.
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  EnterCgroup(cgroup_fd);  // before exec: nothing it starts is outside
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

}  // namespace

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
  std::erase_if(env_strings, [](const std::string& e) {
    return e.starts_with(std::string(kRunMarkVar) + "=");
  });
  if (impl_->watchdog_ != nullptr && spec.marked) {  // it and its descendants are this run's
    // First: a child that copies only the start of a long environment keeps it.
    env_strings.insert(env_strings.begin(),
                       std::string(kRunMarkVar) + "=" + std::to_string(impl_->watchdog_->pid()));
  }
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
  const int cgroup_fd =
      impl_->watchdog_ != nullptr && spec.marked ? impl_->watchdog_->cgroup().procs_fd() : -1;
  pid_t pid = fork();
  if (pid == 0) {
    ChildMain(parent, cgroup_fd, log_fd, null_fd, err_pipe[1], argv.data(), envp.data());
  }
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

}  // namespace faultline
