#include "harness/common/out_of_fds.h"

#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <string>

namespace faultline {
namespace {

std::atomic<uint64_t> noted{0};

}  // namespace

bool IsOutOfFds(const boost::system::error_code& ec) {
  return ec.category() == boost::system::system_category() &&
         (ec.value() == EMFILE || ec.value() == ENFILE);
}

bool NoteIfOutOfFds(const boost::system::error_code& ec) {
  if (!IsOutOfFds(ec)) return false;
  noted.fetch_add(1, std::memory_order_relaxed);
  return true;
}

uint64_t OutOfFdsNoted() { return noted.load(std::memory_order_relaxed); }

uint64_t RaiseOpenFileLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  const rlim_t wanted = 65536;
  if (::geteuid() == 0 && lim.rlim_max < wanted) {
    rlimit raised{wanted, wanted};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;  // what it really is now
  return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(lim.rlim_cur);
}

std::string FdLimitAdvice() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    return "raise the limit (ulimit -n)";
  }
  if (::geteuid() == 0) return "raise the hard limit (ulimit -Hn)";
  return "have the hard limit raised, which only root can do (/etc/security/limits.conf, "
         "LimitNOFILE= in a systemd unit, or ulimit -Hn as root)";
}

std::string OutOfFdsError(uint64_t times) {
  rlimit limit{};
  std::string cap = "its open-file limit";
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    cap += " is " + std::to_string(limit.rlim_cur);
  return "faultline ran out of file descriptors " + std::to_string(times) +
         (times == 1 ? " time" : " times") + " (" + cap +
         "): requests went unsent (counted as dropped) and proxied connections unmade, so "
         "these figures are faultline's starvation, not the target's; lower load.rate or "
         "load.timeout, set load.max_in_flight, or " +
         FdLimitAdvice();
}

}  // namespace faultline
