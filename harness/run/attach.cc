#include "harness/run/attach.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "harness/common/ip_address.h"
#include "harness/common/text.h"
#include "harness/scenario/diagnostics.h"

namespace faultline {
namespace {

constexpr int kTcpListenState = 10;

using IpAddress = boost::asio::ip::address;

// An address as /proc/net/tcp{,6} writes it: 8 or 32 hex digits, each
// 32-bit word in the host's (little-endian) order; nullopt when malformed.
std::optional<IpAddress> ProcNetAddress(std::string_view hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  std::array<unsigned char, 16> bytes{};
  for (size_t w = 0; w < hex.size() / 8; ++w) {
    const std::optional<uint64_t> word = ParseHex(hex.substr(w * 8, 8));
    if (!word) return std::nullopt;
    const auto host_order = static_cast<uint32_t>(*word);
    std::memcpy(bytes.data() + w * 4, &host_order, 4);  // back to network order
  }
  if (hex.size() == 8) {
    return boost::asio::ip::address_v4(
        boost::asio::ip::address_v4::bytes_type{bytes[0], bytes[1], bytes[2], bytes[3]});
  }
  return boost::asio::ip::address_v6(bytes);
}

// The inodes of the listening sockets on local `port` in one /proc/net/tcp
// or tcp6 text ("sl local_address rem_address st ... inode ..."): into
// `reached` those a connection to `dest` arrives at (all of them without
// `dest`), into `elsewhere` the others, each with its address.
void ListeningInodes(const std::string& text, uint16_t port, const std::optional<IpAddress>& dest,
                     std::set<uint64_t>* reached, std::map<uint64_t, IpAddress>* elsewhere) {
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state, skip, inode;
    f >> sl >> local >> remote >> state;
    for (int i = 0; i < 5; ++i) f >> skip;  // tx:rx tr:when retrnsmt uid timeout
    f >> inode;
    const size_t colon = local.rfind(':');
    if (inode.empty() || colon == std::string::npos) continue;
    if (std::strtol(state.c_str(), nullptr, 16) != kTcpListenState) continue;
    if (std::strtoul(local.c_str() + colon + 1, nullptr, 16) != port) continue;
    const uint64_t n = std::strtoull(inode.c_str(), nullptr, 10);
    if (n == 0) continue;
    const auto at = dest ? ProcNetAddress(std::string_view(local).substr(0, colon)) : std::nullopt;
    if (!dest || (at && Reaches(*dest, *at))) {
      reached->insert(n);
    } else if (at) {
      elsewhere->emplace(n, Unmapped(*at));
    }
  }
}

// pid 0: faultline's own (/proc/self).
std::optional<ProcStat> StatOf(ProcFs& fs, pid_t pid) {
  auto text = fs.ReadFile((pid == 0 ? std::string("self") : std::to_string(pid)) + "/stat");
  return text ? ParseProcStat(*text) : std::nullopt;
}

bool IsPid(const std::string& s) { return !s.empty() && IsDigits(s) && s.size() < 10; }

std::string PidList(ProcFs& fs, const std::vector<pid_t>& pids) {
  std::string out;
  for (pid_t p : pids) out += (out.empty() ? "" : ", ") + DescribePid(fs, p);
  return out;
}

// The live process `pid`, or why not; `what` names what was looked for.
StatusOr<pid_t> LivePid(ProcFs& fs, pid_t pid, const std::string& what) {
  auto stat = StatOf(fs, pid);
  if (!stat) {
    return Status::Unavailable("attach to " + what + ": no process " + std::to_string(pid) +
                               " is visible in /proc (it has exited, or it runs in a container "
                               "with its own pid namespace)");
  }
  // A zombie with more than its own thread is a process whose main thread
  // exited (pthread_exit) while the others run on: it can be measured.
  if (stat->state == 'X' || (stat->state == 'Z' && stat->num_threads <= 1)) {
    return Status::Unavailable("attach to " + what + ": " + DescribePid(fs, pid) +
                               " has exited (it is a zombie)");
  }
  // /proc/TID of a thread reads like its process, though no directory lists it.
  auto status = fs.ReadFile(std::to_string(pid) + "/status");
  auto ids = status ? ParseProcIds(*status) : std::nullopt;
  if (ids && ids->tgid != pid) {
    return Status::Unavailable("attach to " + what + ": " + std::to_string(pid) +
                               " is a thread of " + DescribePid(fs, ids->tgid) +
                               "; attach to that process");
  }
  // faultline in the tree would measure itself (and a census would stop it).
  auto up = StatOf(fs, 0 /* self */);
  for (int hops = 0; up && up->pid > 0 && hops < 4096; ++hops) {
    if (up->pid == pid) {
      return Status::Unavailable("attach to " + what + ": " + DescribePid(fs, pid) +
                                 " is faultline itself or one of its ancestors, so its tree "
                                 "holds faultline; attach to the service's own process");
    }
    if (up->ppid <= 0 || up->ppid == up->pid) break;  // above pid 1, or a loop
    up = StatOf(fs, up->ppid);
  }
  return pid;
}

StatusOr<pid_t> ByPort(ProcFs& fs, uint16_t port, const std::string& what) {
  size_t sockets = 0;
  const std::vector<pid_t> holders = PortHolders(fs, port, &sockets);
  const std::string head = "attach to " + what + ": ";
  const std::string where = "port " + std::to_string(port);
  if (holders.size() == 1) return LivePid(fs, holders.front(), what);
  if (!holders.empty()) {
    return Status::Unavailable(head + std::to_string(holders.size()) + " processes listen on " +
                               where + ": " + PidList(fs, holders) +
                               "; attach to one of them by pid");
  }
  if (sockets > 0) {
    return Status::Unavailable(head + "a socket listens on " + where +
                               ", but no process visible in this machine's /proc holds it (a "
                               "process of another user, or one in a container with its own pid "
                               "namespace)");
  }
  return Status::Unavailable(head + "no process listens on " + where +
                             " (looked in /proc/net/tcp and /proc/net/tcp6)");
}

StatusOr<pid_t> ByPidFile(ProcFs& fs, const std::string& path, const std::string& what) {
  // A pid file is a few bytes of a regular file: a folder, a FIFO (which
  // would block the run in open), a device (/dev/zero) or a file of
  // megabytes is refused without reading it all, and never quoted whole.
  const std::string head = "attach to " + what + ": ";
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return Status::Unavailable(head + "cannot read " + Quote(path) + ": " + std::strerror(errno));
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  constexpr size_t kMaxBytes = 64;
  char buf[kMaxBytes + 1];
  ssize_t n = regular ? ::read(fd, buf, sizeof buf) : 0;
  const int read_errno = errno;
  ::close(fd);
  if (!regular) return Status::Unavailable(head + Quote(path) + " is not a regular file");
  if (n < 0)
    return Status::Unavailable(head + "cannot read " + Quote(path) + ": " +
                               std::strerror(read_errno));
  if (static_cast<size_t>(n) > kMaxBytes)
    return Status::Unavailable(head + Quote(path) + " holds more than " +
                               std::to_string(kMaxBytes) + " bytes, not a pid");
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(0, 1);
  if (!IsPid(text) || std::atol(text.c_str()) <= 0) {
    return Status::Unavailable(head + Quote(path) + " holds " + Quote(text) +
                               ", not a pid");
  }
  return LivePid(fs, static_cast<pid_t>(std::atol(text.c_str())), what);
}

// The visible processes holding a listening socket on `port`, children of
// a holder included, from one scan of /proc: `reached`, where a connection
// to `host` arrives (every listener on the port when `host` is "" or no
// address), and `elsewhere`, on the port at another address (which ones).
struct PortListeners {
  std::set<pid_t> reached;
  std::map<pid_t, std::set<IpAddress>> elsewhere;
  size_t sockets = 0;  // listening sockets `reached` found, visible or not
};

PortListeners ListenersOn(ProcFs& fs, uint16_t port, const std::string& host = "") {
  const std::optional<IpAddress> dest = IpAddressOf(host);
  std::set<uint64_t> reached;
  std::map<uint64_t, IpAddress> elsewhere;
  for (const char* file : {"net/tcp", "net/tcp6"}) {
    if (auto text = fs.ReadFile(file)) ListeningInodes(*text, port, dest, &reached, &elsewhere);
  }
  PortListeners out;
  out.sockets = reached.size();
  if (reached.empty() && elsewhere.empty()) return out;
  for (const std::string& entry : fs.ListDir("")) {
    if (!IsPid(entry)) continue;
    const pid_t pid = static_cast<pid_t>(std::atol(entry.c_str()));
    for (uint64_t inode : fs.SocketInodes(pid)) {
      if (reached.contains(inode)) out.reached.insert(pid);
      if (auto it = elsewhere.find(inode); it != elsewhere.end()) {
        out.elsewhere[pid].insert(it->second);
      }
    }
  }
  return out;
}

// Whether `pid` is `root` or below it (within 64 generations).
bool InTree(ProcFs& fs, pid_t root, pid_t pid) {
  for (int depth = 0; depth < 64; ++depth) {
    if (pid == root) return true;
    if (pid <= 1) break;
    auto stat = StatOf(fs, pid);
    if (!stat) break;
    pid = stat->ppid;
  }
  return false;
}

// Whether the tree of `root` holds a socket `listeners` found where they
// were asked about.
bool TreeReached(ProcFs& fs, pid_t root, const PortListeners& listeners) {
  for (pid_t pid : listeners.reached) {
    if (InTree(fs, root, pid)) return true;
  }
  return false;
}

// The addresses the tree of `root` listens at on the port elsewhere.
std::set<IpAddress> TreeElsewhere(ProcFs& fs, pid_t root, const PortListeners& listeners) {
  std::set<IpAddress> at;
  for (const auto& [pid, addresses] : listeners.elsewhere) {
    if (InTree(fs, root, pid)) at.insert(addresses.begin(), addresses.end());
  }
  return at;
}

// "::1", "::1, 127.0.0.2".
std::string AddressList(const std::set<IpAddress>& addresses) {
  std::string out;
  for (const IpAddress& a : addresses) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

// A URL for a server at `address`: the loopback address of its family for
// an unspecified one.
std::string UrlFor(const IpAddress& address, uint16_t port) {
  IpAddress host = address;
  if (address.is_unspecified()) {
    host = address.is_v4() ? IpAddress(boost::asio::ip::address_v4::loopback())
                           : IpAddress(boost::asio::ip::address_v6::loopback());
  }
  return "http://" + JoinHostPort(host.to_string(), port);
}

// `holders` less each one whose parent (or an ancestor within 64) is also
// one: a pre-forking server counts once, as its parent.
std::vector<pid_t> TopHolders(ProcFs& fs, const std::set<pid_t>& holders) {
  std::vector<pid_t> out;
  for (pid_t pid : holders) {
    bool child_of_holder = false;
    pid_t up = pid;
    for (int depth = 0; depth < 64 && up > 1 && !child_of_holder; ++depth) {
      auto stat = StatOf(fs, up);
      if (!stat) break;
      up = stat->ppid;
      child_of_holder = holders.contains(up);
    }
    if (!child_of_holder) out.push_back(pid);
  }
  return out;
}

}  // namespace

std::vector<pid_t> PortHolders(ProcFs& fs, uint16_t port, size_t* sockets) {
  PortListeners listeners = ListenersOn(fs, port);
  if (sockets) *sockets = listeners.sockets;
  return TopHolders(fs, listeners.reached);
}

std::string DescribePid(ProcFs& fs, pid_t pid) {
  std::string out = "pid " + std::to_string(pid);
  auto comm = fs.ReadFile(std::to_string(pid) + "/comm");
  if (!comm) return out;
  while (!comm->empty() && comm->back() == '\n') comm->pop_back();
  return out + " (" + *comm + ")";
}

std::string PortHolderText(ProcFs& fs, uint16_t port) {
  const std::vector<pid_t> holders = PortHolders(fs, port);
  return holders.empty() ? "" : ", held by " + PidList(fs, holders);
}

std::string LoadPortWarning(ProcFs& fs, pid_t root, const std::string& host, uint16_t port) {
  const std::string where = JoinHostPort(host, port) + " of target.base_url, where the load goes";
  if (!fs.ReadFds(root, [](int) { return false; })) {
    return "faultline cannot tell whether the attached " + DescribePid(fs, root) +
           " listens on " + where + ": it may not read that process's open files (another "
           "user's: run faultline as that user, or as root)";
  }
  const PortListeners listeners = ListenersOn(fs, port, host);
  const std::set<pid_t>& holders = listeners.reached;
  const size_t sockets = listeners.sockets;
  if (TreeReached(fs, root, listeners)) return "";
  const std::string head = "the attached " + DescribePid(fs, root) +
                           " and its children hold no socket listening on " + where;
  if (const std::set<IpAddress> at = TreeElsewhere(fs, root, listeners);
      holders.empty() && sockets == 0 && !at.empty()) {
    return head + ": they listen on port " + std::to_string(port) + " at " + AddressList(at) +
           " only, which target.base_url should name (" + UrlFor(*at.begin(), port) + ")";
  }
  if (holders.empty()) {
    return head + (sockets > 0 ? ", and no process visible in this machine's /proc holds the "
                                 "socket listening there"
                               : ", and nothing listens there");
  }
  const std::vector<pid_t> top = TopHolders(fs, holders);
  return head + ", held by " + PidList(fs, top) + ": what is measured gets the load only if " +
         (top.size() == 1 ? "that process forwards" : "they forward") + " to it";
}

std::string ReadyAddressHint(ProcFs& fs, pid_t root, uint16_t port) {
  const PortListeners listeners = ListenersOn(fs, port, "127.0.0.1");
  if (TreeReached(fs, root, listeners)) return "";
  const std::set<IpAddress> at = TreeElsewhere(fs, root, listeners);
  if (at.empty()) return "";
  return DescribePid(fs, root) + " listens on port " + std::to_string(port) + " at " +
         AddressList(at) +
         " only, and faultline connects to 127.0.0.1: bind it to 127.0.0.1, or to :: (IPv6 "
         "and IPv4)";
}

StatusOr<pid_t> FindAttached(ProcFs& fs, const AttachPlan& attach) {
  const std::string what = attach.Describe();
  if (attach.port != 0) return ByPort(fs, attach.port, what);
  if (attach.pid != 0) return LivePid(fs, attach.pid, what);
  return ByPidFile(fs, attach.pid_file, what);
}

}  // namespace faultline
