#include "harness/common/out_of_fds.h"

#include <sys/resource.h>

#include <atomic>
#include <cerrno>
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

std::string OutOfFdsError(uint64_t times) {
  rlimit limit{};
  std::string cap = "its open-file limit";
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    cap += " is " + std::to_string(limit.rlim_cur);
  return "faultline ran out of file descriptors " + std::to_string(times) +
         (times == 1 ? " time" : " times") + " (" + cap +
         "): requests went unsent (counted as dropped) and proxied connections unmade, so "
         "these figures are faultline's starvation, not the target's; raise the limit "
         "(ulimit -n) or lower load.rate or load.timeout";
}

}  // namespace faultline
