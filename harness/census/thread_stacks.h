// What a native census collects per thread, and how threads become groups.
// No libdw here: the grouping and the text forms are tested on plain values.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/result/census.h"

namespace faultline {

/// One thread as the census saw it.
struct ThreadStack {
  pid_t tid = 0;
  std::string state;                // CensusGroup::state
  std::string syscall;              // CensusGroup::syscall
  std::vector<std::string> frames;  // CensusGroup::frames
};

/// Groups threads with identical frames, state and syscall; groups sorted by
/// count (largest first), ties by their frames, so the order is stable.
std::vector<CensusGroup> GroupStacks(const std::vector<ThreadStack>& threads);

/// Merges groups with identical frames, state and syscall (adding their
/// counts) and sorts them as GroupStacks does.
std::vector<CensusGroup> MergeGroups(std::vector<CensusGroup> groups);

/// The state letter of a /proc/PID/task/TID/stat line ("S"), or nullopt when
/// the line is malformed. The command name may hold spaces and ')'.
std::optional<std::string> StatState(std::string_view stat_line);

/// The syscall of a /proc/PID/task/TID/syscall line: its name for the usual
/// blocking calls ("poll", "futex"; numbers from <sys/syscall.h>, so right
/// on any architecture), "syscall N" for others, ""
/// for "running" or a malformed line, "none" for -1 (not in a syscall).
std::string SyscallFromProc(std::string_view syscall_line);

/// A demangled C++ name without its parameter list and trailing qualifiers:
/// "ns::C::f(int) const" -> "ns::C::f"; template arguments are kept. Names
/// without a parameter list are returned unchanged.
std::string WithoutParameters(std::string_view demangled);

/// `symbol` demangled (abi::__cxa_demangle) and WithoutParameters; a name
/// that is not a mangled C++ name comes back as it is.
std::string FunctionName(const char* symbol);

}  // namespace faultline
