#include "harness/census/native_census.h"

#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "harness/census/thread_stacks.h"

namespace faultline {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::vector<pid_t> ListTasks(pid_t pid) {
  std::vector<pid_t> tids;
  std::string dir_path = "/proc/" + std::to_string(pid) + "/task";
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(dir_path.c_str()), &closedir);
  if (!dir) return tids;
  while (dirent* e = readdir(dir.get())) {
    char* end = nullptr;
    long tid = std::strtol(e->d_name, &end, 10);
    if (end != e->d_name && *end == '\0' && tid > 0) tids.push_back(static_cast<pid_t>(tid));
  }
  return tids;
}

// `root` first, then its descendants, parents before children.
std::vector<pid_t> ProcessTree(pid_t root) {
  std::vector<pid_t> tree{root};
  std::set<pid_t> seen{root};
  for (size_t i = 0; i < tree.size(); ++i) {
    for (pid_t tid : ListTasks(tree[i])) {
      std::istringstream children(ReadSmallFile("/proc/" + std::to_string(tree[i]) + "/task/" +
                                                std::to_string(tid) + "/children"));
      pid_t child = 0;
      while (children >> child) {
        if (seen.insert(child).second) tree.push_back(child);
      }
    }
  }
  return tree;
}

std::string YamaNote() {
  std::string scope = ReadSmallFile("/proc/sys/kernel/yama/ptrace_scope");
  while (!scope.empty() && (scope.back() == '\n' || scope.back() == ' ')) scope.pop_back();
  return scope.empty() ? "" : " (kernel.yama.ptrace_scope = " + scope + ")";
}

struct RawThread {
  ThreadStack stack;              // state and syscall read before the stop
  std::vector<Dwarf_Addr> pcs;    // lookup addresses: return addresses - 1
  bool seized = false;
  bool stopped = false;
  bool exited = false;
  int pending_signal = 0;         // a signal caught by the stop, passed on at detach
  size_t max_frames = 0;
  std::string unwind_error;
};

// Detaches every seized thread when it goes out of scope. A seized thread
// that never stopped cannot be detached here (ESRCH); the kernel does it when
// the tracer thread exits (TakeNativeCensus runs on its own thread).
class Seized {
 public:
  explicit Seized(std::vector<RawThread>& threads) : threads_(threads) {}
  ~Seized() {
    for (RawThread& t : threads_) {
      if (t.seized && t.stopped && !t.exited) {
        ptrace(PTRACE_DETACH, t.stack.tid, nullptr,
               reinterpret_cast<void*>(static_cast<long>(t.pending_signal)));
      }
    }
  }
  Seized(const Seized&) = delete;
  Seized& operator=(const Seized&) = delete;

 private:
  std::vector<RawThread>& threads_;
};

struct Reasons {
  size_t refused = 0;
  std::string refused_error;
  size_t exited = 0;
  size_t not_stopped = 0;
  size_t not_unwound = 0;
  std::string unwind_error;
  std::set<std::string> no_symbols;
  std::vector<std::string> other;

  std::string Text(const NativeCensusOptions& options) const {
    std::vector<std::string> parts = other;
    if (refused > 0) {
      parts.push_back("ptrace refused for " + std::to_string(refused) + " threads: " +
                      refused_error + YamaNote());
    }
    if (exited > 0) parts.push_back(std::to_string(exited) + " threads exited during the census");
    if (not_stopped > 0) {
      parts.push_back(std::to_string(not_stopped) + " threads did not stop within " +
                      std::to_string(options.stop_timeout.count()) + " ms");
    }
    if (not_unwound > 0) {
      parts.push_back(std::to_string(not_unwound) + " stacks could not be unwound: " +
                      unwind_error);
    }
    if (!no_symbols.empty()) {
      std::string modules;
      for (const std::string& m : no_symbols) modules += (modules.empty() ? "" : ", ") + m;
      parts.push_back("no symbols in " + modules);
    }
    std::string text;
    for (const std::string& p : parts) text += (text.empty() ? "" : "; ") + p;
    return text;
  }
};

int OnFrame(Dwfl_Frame* frame, void* arg) {
  auto* t = static_cast<RawThread*>(arg);
  Dwarf_Addr pc = 0;
  bool activation = false;
  if (!dwfl_frame_pc(frame, &pc, &activation)) {
    t->unwind_error = dwfl_errmsg(-1);
    return DWARF_CB_ABORT;
  }
  t->pcs.push_back(activation ? pc : pc - 1);
  return t->pcs.size() >= t->max_frames ? DWARF_CB_ABORT : DWARF_CB_OK;
}

struct UnwindPass {
  std::map<pid_t, RawThread*> stopped;
};

int OnThread(Dwfl_Thread* thread, void* arg) {
  auto* pass = static_cast<UnwindPass*>(arg);
  auto it = pass->stopped.find(dwfl_thread_tid(thread));
  if (it == pass->stopped.end()) return DWARF_CB_OK;  // started after the listing
  RawThread* t = it->second;
  if (dwfl_thread_getframes(thread, OnFrame, t) < 0 && t->unwind_error.empty()) {
    t->unwind_error = dwfl_errmsg(-1);
  }
  return DWARF_CB_OK;
}

// Seizes and interrupts every thread, then waits (bounded) for each stop.
void StopAll(std::vector<RawThread>& threads, const NativeCensusOptions& options,
             Reasons* reasons) {
  for (RawThread& t : threads) {
    pid_t tid = t.stack.tid;
    if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
      if (errno == ESRCH) {
        t.exited = true;
      } else {
        ++reasons->refused;
        reasons->refused_error = "PTRACE_SEIZE " + std::to_string(tid) + ": " + strerror(errno);
      }
      continue;
    }
    t.seized = true;
    if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) t.exited = errno == ESRCH;
  }
  auto deadline = SteadyClock::now() + options.stop_timeout;
  for (bool waiting = true; waiting;) {
    waiting = false;
    for (RawThread& t : threads) {
      if (!t.seized || t.stopped || t.exited) continue;
      int status = 0;
      pid_t r = waitpid(t.stack.tid, &status, __WALL | WNOHANG);
      if (r == t.stack.tid && WIFSTOPPED(status)) {
        t.stopped = true;
        if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP) t.pending_signal = WSTOPSIG(status);
      } else if (r == t.stack.tid || (r < 0 && errno == ECHILD)) {
        t.exited = true;  // exited (or was killed) before stopping
      } else {
        waiting = true;
      }
    }
    if (waiting) {
      if (SteadyClock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::microseconds(100));  // polling a bounded wait
    }
  }
  for (const RawThread& t : threads) {
    if (t.seized && !t.stopped && !t.exited) ++reasons->not_stopped;
  }
}

std::string Symbolize(Dwfl* dwfl, Dwarf_Addr pc, Reasons* reasons) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, pc);
  if (mod == nullptr) return "?? (" + Hex(pc) + ")";
  Dwarf_Addr start = 0;
  const char* mod_name =
      dwfl_module_info(mod, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr);
  std::string module = Basename(mod_name ? mod_name : "?");
  const char* symbol = dwfl_module_addrname(mod, pc);
  if (symbol == nullptr) {
    if (dwfl_module_getsymtab(mod) <= 0) reasons->no_symbols.insert(module);
    return "?? (" + module + "+" + Hex(pc - start) + ")";
  }
  std::string text = FunctionName(symbol);
  if (Dwfl_Line* line = dwfl_module_getsrc(mod, pc)) {
    int lineno = 0;
    const char* file = dwfl_lineinfo(line, nullptr, &lineno, nullptr, nullptr, nullptr);
    if (file != nullptr && lineno > 0) text += " (" + Basename(file) + ":" + std::to_string(lineno) + ")";
  }
  return text;
}

struct DwflDeleter {
  void operator()(Dwfl* d) const { dwfl_end(d); }
};

// One process of the tree: its threads, as ThreadStacks, appended to `out`.
// Returns how long its threads were stopped.
double CensusOfProcess(pid_t pid, const NativeCensusOptions& options, Reasons* reasons,
                       std::vector<ThreadStack>* out) {
  static char* debuginfo_path = nullptr;
  static const Dwfl_Callbacks callbacks = {
      .find_elf = dwfl_linux_proc_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = nullptr,
      .debuginfo_path = &debuginfo_path,
  };
  std::unique_ptr<Dwfl, DwflDeleter> dwfl(dwfl_begin(&callbacks));
  std::string where = "process " + std::to_string(pid);
  if (!dwfl) {
    reasons->other.push_back(where + ": dwfl_begin: " + dwfl_errmsg(-1));
    return 0;
  }
  dwfl_report_begin(dwfl.get());
  int report = dwfl_linux_proc_report(dwfl.get(), pid);
  dwfl_report_end(dwfl.get(), nullptr, nullptr);
  int attach = report == 0 ? dwfl_linux_proc_attach(dwfl.get(), pid, true) : report;
  bool can_unwind = report == 0 && attach == 0;
  if (!can_unwind) {
    std::string why = report > 0 || attach > 0 ? strerror(report > 0 ? report : attach)
                                               : dwfl_errmsg(-1);
    reasons->other.push_back(where + ": cannot read its modules: " + why);
  }

  std::vector<RawThread> threads;
  for (pid_t tid : ListTasks(pid)) {
    std::string task = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
    RawThread t;
    t.stack.tid = tid;
    t.stack.state = StatState(ReadSmallFile(task + "/stat")).value_or("?");
    t.stack.syscall = SyscallFromProc(ReadSmallFile(task + "/syscall"));
    t.max_frames = options.max_frames;
    if (t.stack.state != "Z" && t.stack.state != "X") threads.push_back(std::move(t));
  }

  auto t0 = SteadyClock::now();
  if (can_unwind) {
    Seized seized(threads);
    StopAll(threads, options, reasons);
    UnwindPass pass;
    for (RawThread& t : threads) {
      if (t.stopped) pass.stopped[t.stack.tid] = &t;
    }
    if (!pass.stopped.empty() && dwfl_getthreads(dwfl.get(), OnThread, &pass) < 0) {
      reasons->other.push_back(where + ": dwfl_getthreads: " + dwfl_errmsg(-1));
    }
  }  // every stopped thread is detached here
  double paused_s = can_unwind ? std::chrono::duration<double>(SteadyClock::now() - t0).count() : 0;

  std::map<Dwarf_Addr, std::string> names;
  for (RawThread& t : threads) {
    if (t.exited) {
      ++reasons->exited;
      continue;
    }
    if (t.stopped && t.pcs.size() < 2 && !t.unwind_error.empty()) {
      ++reasons->not_unwound;
      reasons->unwind_error = t.unwind_error;
    }
    for (Dwarf_Addr pc : t.pcs) {
      auto it = names.find(pc);
      if (it == names.end()) it = names.emplace(pc, Symbolize(dwfl.get(), pc, reasons)).first;
      t.stack.frames.push_back(it->second);
    }
    out->push_back(std::move(t.stack));
  }
  return paused_s;
}

Census CensusOnThisThread(pid_t root, const NativeCensusOptions& options) {
  Census census;
  census.source = "native";
  Reasons reasons;
  std::vector<ThreadStack> threads;
  if (ListTasks(root).empty()) {
    reasons.other.push_back("process " + std::to_string(root) + " not found");
  } else {
    for (pid_t pid : ProcessTree(root)) {
      census.pause_s += CensusOfProcess(pid, options, &reasons, &threads);
    }
  }
  census.total = threads.size();
  census.groups = GroupStacks(threads);
  census.reason = reasons.Text(options);
  census.partial = !census.reason.empty();
  return census;
}

}  // namespace

Census TakeNativeCensus(pid_t root, const NativeCensusOptions& options) {
  // Every ptrace call of the census is made by this thread; when it exits,
  // the kernel detaches whatever it still traces.
  Census census;
  std::thread tracer([&] { census = CensusOnThisThread(root, options); });
  tracer.join();
  return census;
}

}  // namespace faultline
