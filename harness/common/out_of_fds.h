// Out of file descriptors: faultline's own EMFILE or ENFILE, noted wherever
// one of its sockets could not be opened (the load generator's and readiness
// probes' connections, the fault proxy's accepts and upstream connects). A
// variant during which this happened measured the instrument's starvation,
// not the target: its requests went unsent and its proxied calls unmade.
#pragma once

#include <cstdint>
#include <string>

#include <boost/system/error_code.hpp>

namespace faultline {

/// True for EMFILE and ENFILE (asio's no_descriptors, too many files in
/// the system).
bool IsOutOfFds(const boost::system::error_code& ec);

/// Counts `ec` when IsOutOfFds(ec); returns IsOutOfFds(ec).
bool NoteIfOutOfFds(const boost::system::error_code& ec);

/// How many were noted since the process started (any thread).
uint64_t OutOfFdsNoted();

/// Raises the soft open-file limit to the hard one (as root, the hard one
/// to at least 65536 first), as a tool that holds thousands of sockets
/// should; children inherit it. Returns the soft limit now, 0 if unknown.
uint64_t RaiseOpenFileLimit();

/// How to get more fds than the limit allows now: "raise the limit (ulimit
/// -n)" while the soft limit is below the hard one; at the hard limit, how
/// to raise that, which only root can do.
std::string FdLimitAdvice();

/// "faultline ran out of file descriptors 871 times (open-file limit 400):
/// ...": why a variant during which OutOfFdsNoted() grew by `times` is an
/// error, and what to do.
std::string OutOfFdsError(uint64_t times);

}  // namespace faultline
