// Naming a native census's frames: each return address as "function
// (file.cc:84)" through libdw, or "?? (module+0x1f0)" when its module has no
// symbol for it, and which stripped executable left frames unnamed. Internal
// to native_census.cc; one FrameNames per process (its Dwfl).
#pragma once

#include <elfutils/libdwfl.h>
#include <sys/types.h>

#include <map>
#include <set>
#include <string>

namespace faultline {

class FrameNames {
 public:
  /// `dwfl` stays owned by the caller and must outlive this.
  explicit FrameNames(Dwfl* dwfl) : dwfl_(dwfl) {}

  /// The frame at lookup address `pc`, named once per address.
  const std::string& Name(Dwarf_Addr pc);

  /// The process's own executable (read through its live thread `tid`),
  /// when some frame in it could not be named and it has no full symbol
  /// table: a `held` pattern naming the service's functions would match
  /// nothing there. Libraries are not judged: one without its debug package
  /// (libc, libstdc++) names its exported functions (poll,
  /// pthread_cond_wait) but not internal ones (start_thread), in every
  /// census. Empty, or the executable's basename.
  std::set<std::string> StrippedExecutable(pid_t tid) const;

 private:
  struct Module {
    std::string name;  // its file's basename
    size_t unnamed = 0;
  };
  std::string Symbolize(Dwarf_Addr pc);

  Dwfl* dwfl_;
  std::map<Dwarf_Addr, std::string> names_;
  std::map<Dwfl_Module*, Module> modules_;
};

}  // namespace faultline
