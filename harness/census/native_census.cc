#include "harness/census/native_census.h"

#include <dirent.h>
#include <elfutils/libdwfl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "harness/census/frame_names.h"
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

// The threads of `pid`; empty when it cannot be listed, with the reason in
// *error when given (ENOENT: the process is gone; EMFILE: faultline is out
// of file descriptors, the process may well be there).
std::vector<pid_t> ListTasks(pid_t pid, int* error = nullptr) {
  std::vector<pid_t> tids;
  std::string dir_path = "/proc/" + std::to_string(pid) + "/task";
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(dir_path.c_str()), &closedir);
  if (error) *error = dir ? 0 : errno;
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

// Why the kernel refused to let faultline read or trace `pid` (EACCES or
// EPERM): another user's process, a process of this user that is not
// dumpable (the files in its /proc folder then belong to root), or yama's
// ptrace_scope.
std::string RefusalNote(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  std::istringstream status(ReadSmallFile(dir + "/status"));
  long real_uid = -1, effective_uid = -1;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("Uid:")) {
      std::istringstream(line.substr(4)) >> real_uid >> effective_uid;
      break;
    }
  }
  const long own = static_cast<long>(::geteuid());
  if (own != 0 && effective_uid >= 0 && effective_uid != own) {
    return " (another user's process: faultline may read and trace only its own user's "
           "processes, unless root)";
  }
  struct stat st {};
  if (effective_uid >= 0 && ::stat((dir + "/status").c_str(), &st) == 0 &&
      static_cast<long>(st.st_uid) != effective_uid) {
    return " (the process is not dumpable: it called prctl(PR_SET_DUMPABLE, 0) or changed its "
           "user or group, so only root may read or trace it)";
  }
  const std::string yama = YamaNote();
  return yama.empty() ? " (faultline may read and trace only its own user's processes, unless "
                        "root)"
                      : yama;
}

struct RawThread {
  ThreadStack stack;              // state and syscall read before the stop
  std::vector<Dwarf_Addr> pcs;    // lookup addresses: return addresses - 1
  bool seized = false;
  bool stopped = false;
  bool exited = false;
  int pending_signal = 0;         // a signal caught by the stop, passed on at detach
  size_t max_frames = 0;
  bool cut = false;               // the stack had max_frames frames: deeper ones are missing
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
  size_t cut = 0;
  size_t vanished = 0;         // processes that exited between the listing and their turn
  size_t over_processes = 0;   // not reached within the budget
  size_t over_threads = 0;
  std::set<std::string> no_symbols;
  std::vector<std::string> other;

  std::string Text(const NativeCensusOptions& options) const {
    std::vector<std::string> parts = other;
    if (refused > 0) {
      parts.push_back("ptrace refused for " + std::to_string(refused) + " threads: " +
                      refused_error + YamaNote());
    }
    if (exited > 0) parts.push_back(std::to_string(exited) + " threads exited during the census");
    if (vanished > 0) {
      parts.push_back(std::to_string(vanished) + " processes exited during the census");
    }
    if (over_processes > 0) {
      parts.push_back("it stopped after its " + std::to_string(options.budget.count()) +
                      " ms: " + std::to_string(over_threads) + " threads of " +
                      std::to_string(over_processes) + " processes were not read");
    }
    if (not_stopped > 0) {
      parts.push_back(std::to_string(not_stopped) + " threads did not stop within " +
                      std::to_string(options.stop_timeout.count()) + " ms");
    }
    if (not_unwound > 0) {
      parts.push_back(std::to_string(not_unwound) + " stacks could not be unwound: " +
                      unwind_error);
    }
    if (cut > 0) {
      parts.push_back(std::to_string(cut) + " stacks were cut at " +
                      std::to_string(options.max_frames) + " frames (their outer frames are "
                      "missing)");
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
  if (t->pcs.size() < t->max_frames) return DWARF_CB_OK;
  t->cut = true;
  return DWARF_CB_ABORT;
}

struct UnwindPass {
  std::map<pid_t, RawThread*> stopped;  // not yet unwound
  bool broken = false;  // the Dwfl cannot unwind another thread: the rest need a new one
};

int OnThread(Dwfl_Thread* thread, void* arg) {
  auto* pass = static_cast<UnwindPass*>(arg);
  auto it = pass->stopped.find(dwfl_thread_tid(thread));
  if (it == pass->stopped.end()) return DWARF_CB_OK;  // started after the listing
  RawThread* t = it->second;
  pass->stopped.erase(it);
  if (dwfl_thread_getframes(thread, OnFrame, t) < 0) {
    if (t->unwind_error.empty()) t->unwind_error = dwfl_errmsg(-1);
    // No frame at all: its registers could not be read (it died under the
    // stop, SIGKILL). libdw (0.188, linux-pid-attach.c) then keeps it marked
    // as the attached thread and asserts on the next one, aborting
    // faultline; so this Dwfl unwinds no more.
    if (t->pcs.empty()) {
      pass->broken = true;
      return DWARF_CB_ABORT;
    }
  }
  return DWARF_CB_OK;
}

// Whether thread `tid` of process `pid`, seized and interrupted, has
// stopped (true), exited (false, *exited set) or neither yet (false). Its
// stop is consumed. The exit of a thread other than the main one is reaped
// (a traced thread's exit is its tracer's to collect); the main thread's is
// only seen: its status is the process's, for its parent (the supervisor,
// when faultline started it), and reaping it here would take it from there.
bool Stopped(pid_t pid, pid_t tid, int* pending_signal, bool* exited) {
  const int reap = tid == pid ? 0 : WEXITED;
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(tid), &info, WSTOPPED | reap | WNOHANG | __WALL) != 0) {
    *exited = errno == ECHILD;
    return false;
  }
  if (info.si_pid == tid && info.si_code == CLD_TRAPPED) {
    // si_status: the signal, and a ptrace event above it (PTRACE_INTERRUPT's
    // stop is PTRACE_EVENT_STOP); a plain signal caught in the stop is
    // passed on at the detach.
    const int signal = info.si_status & 0xff;
    if ((info.si_status >> 8) == 0 && signal != SIGTRAP) *pending_signal = signal;
    return true;
  }
  if (info.si_pid == tid) {
    *exited = true;  // exited (or was killed) before stopping
    return false;
  }
  if (tid == pid) {
    info = siginfo_t{};
    if (waitid(P_PID, static_cast<id_t>(tid), &info, WEXITED | WNOHANG | WNOWAIT | __WALL) != 0) {
      *exited = errno == ECHILD;
    } else {
      *exited = info.si_pid == tid && info.si_code != CLD_TRAPPED;
    }
  }
  return false;
}

// Seizes and interrupts every thread of process `pid`, then waits (bounded)
// for each stop.
void StopAll(pid_t pid, std::vector<RawThread>& threads, const NativeCensusOptions& options,
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
  if (options.hook) options.hook(pid, NativeCensusOptions::Moment::kSeized);
  auto deadline = SteadyClock::now() + options.stop_timeout;
  for (bool waiting = true; waiting;) {
    waiting = false;
    for (RawThread& t : threads) {
      if (!t.seized || t.stopped || t.exited) continue;
      t.stopped = Stopped(pid, t.stack.tid, &t.pending_signal, &t.exited);
      if (!t.stopped && !t.exited) waiting = true;
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

struct DwflDeleter {
  void operator()(Dwfl* d) const { dwfl_end(d); }
};

using DwflPtr = std::unique_ptr<Dwfl, DwflDeleter>;

// A Dwfl for `pid` with its modules reported and its threads attached
// (assumed stopped by the caller), or null with the reason in *error. The
// modules are read through `maps_tid`, a live thread: a process whose main
// thread exited (pthread_exit) has an empty /proc/PID/maps.
DwflPtr OpenDwfl(pid_t pid, pid_t maps_tid, std::string* error) {
  static char* debuginfo_path = nullptr;
  static const Dwfl_Callbacks callbacks = {
      .find_elf = dwfl_linux_proc_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = nullptr,
      .debuginfo_path = &debuginfo_path,
  };
  DwflPtr dwfl(dwfl_begin(&callbacks));
  if (!dwfl) {
    *error = std::string("dwfl_begin: ") + dwfl_errmsg(-1);
    return nullptr;
  }
  dwfl_report_begin(dwfl.get());
  int report = dwfl_linux_proc_report(dwfl.get(), maps_tid);
  dwfl_report_end(dwfl.get(), nullptr, nullptr);
  int attach = report == 0 ? dwfl_linux_proc_attach(dwfl.get(), pid, true) : report;
  if (report == 0 && attach == 0) return dwfl;
  const int code = report > 0 ? report : attach;
  *error = "cannot read its modules: " + std::string(code > 0 ? strerror(code) : dwfl_errmsg(-1));
  if (code == EACCES || code == EPERM) *error += RefusalNote(pid);
  return nullptr;
}

// Unwinds every stopped thread, with `dwfl` and, when a thread breaks it
// (OnThread), with new ones for the rest: at most kMaxDwfls in all, as a
// process that is being killed breaks one per thread.
void UnwindAll(pid_t pid, pid_t maps_tid, Dwfl* dwfl, std::vector<RawThread>& threads,
               const std::string& where, Reasons* reasons) {
  constexpr int kMaxDwfls = 4;
  UnwindPass pass;
  for (RawThread& t : threads) {
    if (t.stopped) pass.stopped[t.stack.tid] = &t;
  }
  DwflPtr spare;
  for (int round = 1; !pass.stopped.empty(); ++round) {
    pass.broken = false;
    if (dwfl_getthreads(dwfl, OnThread, &pass) < 0) {
      reasons->other.push_back(where + ": dwfl_getthreads: " + dwfl_errmsg(-1));
      return;
    }
    if (!pass.broken) return;  // the threads left were not listed: they exited
    std::string error = "a thread's registers could not be read, and the census stopped there";
    if (round < kMaxDwfls) spare = OpenDwfl(pid, maps_tid, &error);
    if (!spare || round >= kMaxDwfls) {
      for (auto& [tid, t] : pass.stopped) t->unwind_error = error;
      return;
    }
    dwfl = spare.get();
  }
}

// The live threads of `pid`, their state and system call read from /proc.
std::vector<RawThread> ListThreads(pid_t pid, const NativeCensusOptions& options) {
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
  return threads;
}

// One process of the tree: its threads, as ThreadStacks, appended to `out`.
// Returns how long its threads were stopped.
double CensusOfProcess(pid_t pid, const NativeCensusOptions& options, Reasons* reasons,
                       std::vector<ThreadStack>* out) {
  std::string where = "process " + std::to_string(pid);
  std::vector<RawThread> threads = ListThreads(pid, options);
  if (threads.empty()) {  // exited since the tree was listed (an interrupt's stop)
    ++reasons->vanished;
    return 0;
  }

  std::string error;
  DwflPtr dwfl = OpenDwfl(pid, threads.front().stack.tid, &error);
  if (!dwfl) reasons->other.push_back(where + ": " + error);
  auto t0 = SteadyClock::now();
  if (dwfl) {
    Seized seized(threads);
    StopAll(pid, threads, options, reasons);
    if (options.hook) options.hook(pid, NativeCensusOptions::Moment::kStopped);
    UnwindAll(pid, threads.front().stack.tid, dwfl.get(), threads, where, reasons);
  }  // every stopped thread is detached here
  double paused_s = dwfl ? std::chrono::duration<double>(SteadyClock::now() - t0).count() : 0;

  const pid_t live = threads.front().stack.tid;
  FrameNames names(dwfl.get());
  for (RawThread& t : threads) {
    if (t.exited) {
      ++reasons->exited;
      continue;
    }
    if (t.stopped && t.pcs.size() < 2 && !t.unwind_error.empty()) {
      ++reasons->not_unwound;
      reasons->unwind_error = t.unwind_error;
    }
    if (t.cut) ++reasons->cut;
    for (Dwarf_Addr pc : t.pcs) t.stack.frames.push_back(names.Name(pc));
    out->push_back(std::move(t.stack));
  }
  reasons->no_symbols.merge(names.StrippedExecutable(live));
  return paused_s;
}

Census CensusOnThisThread(pid_t root, const NativeCensusOptions& options) {
  Census census;
  census.source = "native";
  Reasons reasons;
  std::vector<ThreadStack> threads;
  int error = 0;
  if (ListTasks(root, &error).empty()) {
    reasons.other.push_back(
        "process " + std::to_string(root) +
        (error == ENOENT || error == 0 ? std::string(" not found")
                                       : ": cannot list its threads: " + std::string(strerror(error))));
  } else {
    const auto start = SteadyClock::now();
    for (pid_t pid : ProcessTree(root)) {
      if (SteadyClock::now() - start < options.budget) {
        census.pause_s += CensusOfProcess(pid, options, &reasons, &threads);
        continue;
      }
      std::vector<RawThread> unread = ListThreads(pid, options);
      if (unread.empty()) continue;
      ++reasons.over_processes;
      reasons.over_threads += unread.size();
      for (RawThread& t : unread) threads.push_back(std::move(t.stack));  // no frames
    }
  }
  census.total = threads.size();
  census.groups = GroupStacks(threads);
  census.reason = reasons.Text(options);
  census.partial = !census.reason.empty();
  census.unnamed_modules.assign(reasons.no_symbols.begin(), reasons.no_symbols.end());
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
