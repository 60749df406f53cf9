#include "tests/child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace faultline::testing {

using Clock = std::chrono::steady_clock;

ProcessRun RunProcess(const std::vector<std::string>& argv, std::chrono::seconds deadline,
                      const std::function<void(pid_t, const std::string&)>& on_output) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ProcessRun run;
  const auto end = Clock::now() + deadline;
  bool out_open = true, err_open = true;
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      run.timed_out = true;
      break;
    }
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::min<long>(left, 1000)));
    if (n < 0 && errno == EINTR) continue;
    char buf[4096];
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP))) {
      ssize_t r = ::read(out_pipe[0], buf, sizeof buf);
      if (r <= 0) out_open = false;
      else run.out.append(buf, static_cast<size_t>(r));
    }
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP))) {
      ssize_t r = ::read(err_pipe[0], buf, sizeof buf);
      if (r <= 0) {
        err_open = false;
      } else {
        run.err.append(buf, static_cast<size_t>(r));
        if (on_output) on_output(pid, run.err);
      }
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  // The pipes closed (or the deadline passed and it was killed): reap it,
  // still bounded by the deadline plus a margin.
  const auto reap_end = std::max(end, Clock::now()) + std::chrono::seconds(5);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > reap_end) {
      ::kill(pid, SIGKILL);
      run.timed_out = true;
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling a bounded wait
  }
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  return run;
}

void BecomeSubreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

namespace {

// pid -> (ppid, state) for every process in /proc.
std::map<pid_t, std::pair<pid_t, char>> ProcessTable() {
  std::map<pid_t, std::pair<pid_t, char>> table;
  DIR* d = ::opendir("/proc");
  if (!d) return table;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string stat = ReadFile("/proc/" + std::string(e->d_name) + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 4 > stat.size()) continue;
    char state = stat[close + 2];
    pid_t ppid = static_cast<pid_t>(std::atol(stat.c_str() + close + 4));
    table[static_cast<pid_t>(pid)] = {ppid, state};
  }
  ::closedir(d);
  return table;
}

}  // namespace

std::set<pid_t> Descendants(pid_t root) {
  auto table = ProcessTable();
  std::set<pid_t> out;
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [pid, info] : table) {
      if (out.count(pid) || info.second == 'Z') continue;
      if (info.first == root || out.count(info.first)) {
        out.insert(pid);
        grew = true;
      }
    }
  }
  return out;
}

std::set<pid_t> WaitGone(const std::set<pid_t>& pids, std::chrono::seconds deadline) {
  const auto end = Clock::now() + deadline;
  std::set<pid_t> alive = pids;
  while (true) {
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    auto table = ProcessTable();
    for (auto it = alive.begin(); it != alive.end();) {
      auto row = table.find(*it);
      if (row == table.end() || row->second.second == 'Z') it = alive.erase(it);
      else ++it;
    }
    if (alive.empty() || Clock::now() > end) return alive;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a bounded wait
  }
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/faultline-test-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

UserProcess::UserProcess(std::vector<std::string> argv) {
  int out[2];
  if (::pipe(out) != 0) return;
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (pid_ < 0) {
    ::close(out[0]);
    return;
  }
  FILE* f = ::fdopen(out[0], "r");
  char line[256] = {};
  if (f && std::fgets(line, sizeof line, f)) {
    const std::string text(line);
    const size_t at = text.find("127.0.0.1:");
    if (at != std::string::npos) port_ = std::atoi(text.c_str() + at + 10);
  }
  if (f) std::fclose(f);
}

bool UserProcess::alive() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

void UserProcess::End() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace faultline::testing
