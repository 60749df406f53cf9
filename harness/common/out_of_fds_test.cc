// The open-file limit: raised as far as this user may, and advice that
// names only what this user can do.
#include "harness/common/out_of_fds.h"

#include <sys/resource.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <string>

#include "harness/testing/as_nobody.h"

namespace faultline {
namespace {

// Restores the limit a test changed.
struct SavedLimit {
  SavedLimit() { REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0); }
  ~SavedLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
  rlimit saved{};
};

// FdLimitAdvice() as the unprivileged user `nobody` sees it, at `limit`.
std::string AdviceAsNobody(rlim_t limit) {
  return testing::AsNobody([limit] {
    rlimit both{limit, limit};  // lowering both needs no privilege
    if (::setrlimit(RLIMIT_NOFILE, &both) != 0) _exit(4);
    return FdLimitAdvice();
  });
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
