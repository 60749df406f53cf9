// The open-file limit: raised as far as this user may, and advice that
// names only what this user can do.
#include "harness/common/out_of_fds.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <string>

namespace faultline {
namespace {

// Restores the limit a test changed.
struct SavedLimit {
  SavedLimit() { REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0); }
  ~SavedLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  rlimit saved{};
};

// FdLimitAdvice() as the unprivileged user `nobody` sees it, from a child.
std::string AdviceAsNobody(rlim_t limit) {
  int out[2];
  REQUIRE(pipe(out) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    rlimit both{limit, limit};
    if (::setrlimit(RLIMIT_NOFILE, &both) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(2);
    }
    const std::string advice = FdLimitAdvice();
    _exit(write(out[1], advice.data(), advice.size()) == static_cast<ssize_t>(advice.size()) ? 0
                                                                                             : 3);
  }
  close(out[1]);
  std::string advice;
  char buf[512];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) > 0;) advice.append(buf, size_t(n));
  close(out[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return advice;
}

TEST_CASE("RaiseOpenFileLimit lifts the soft limit to the hard one") {
  SavedLimit saved;
  rlimit low = saved.saved;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  CHECK(FdLimitAdvice() == "raise the limit (ulimit -n)");  // below the hard limit
  const uint64_t now = RaiseOpenFileLimit();
  rlimit after{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &after) == 0);
  CHECK(after.rlim_cur == after.rlim_max);
  CHECK(now == after.rlim_cur);
  CHECK(now > 256);
}

TEST_CASE("At the hard limit the advice says who can raise it") {
  if (geteuid() != 0) {
    MESSAGE("skipped: needs root to try both users");
    return;
  }
  SavedLimit saved;
  rlimit at_hard = saved.saved;
  at_hard.rlim_cur = at_hard.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &at_hard) == 0);
  CHECK(FdLimitAdvice() == "raise the hard limit (ulimit -Hn)");
  // Not root: ulimit -Hn would fail (Operation not permitted).
  const std::string advice = AdviceAsNobody(1024);
  CHECK(advice.find("only root can") != std::string::npos);
  CHECK(advice.find("/etc/security/limits.conf") != std::string::npos);
}

}  // namespace
}  // namespace faultline
