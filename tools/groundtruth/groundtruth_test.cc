#include "tools/groundtruth/groundtruth.h"

#include <unistd.h>

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

namespace faultline::groundtruth {
namespace {

// Independent readings of this process, straight from /proc.
uint64_t Threads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoull(line.substr(8));
  return 0;
}

uint64_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// TCP states (hex code from /proc/net/tcp) of this process's sockets.
std::map<std::string, int> SocketStates() {
  std::set<std::string> inodes;
  for (int fd = 0; fd < 65536; ++fd) {
    char link[256];
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    if (n <= 0) continue;
    std::string target(link, static_cast<size_t>(n));
    if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::map<std::string, int> states;
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st, queues, tr, retr, uid, timeout, inode;
    f >> sl >> local >> remote >> st >> queues >> tr >> retr >> uid >> timeout >> inode;
    if (inodes.count(inode)) ++states[st];
  }
  return states;
}

TEST_CASE("ParseStep reads a time and keys and names what is wrong") {
  auto s = ParseStep("2s:threads=500,memory=64MiB,fds=2000,close_wait=100,established=20");
  REQUIRE(s.ok());
  CHECK(s->at == std::chrono::seconds(2));
  CHECK(*s->state.threads == 500);
  CHECK(*s->state.memory_mib == 64);
  CHECK(*s->state.fds == 2000);
  CHECK(*s->state.close_wait == 100);
  CHECK(*s->state.established == 20);
  CHECK_FALSE(ParseStep("0s:threads=1").value().state.fds.has_value());
  CHECK(ParseStep("2s").status().message() == "step \"2s\": expected TIME:key=value,...");
  CHECK(ParseStep("0s:thread=5").status().message() ==
        "step \"0s:thread=5\": unknown key \"thread\" (did you mean \"threads\"?)");
  CHECK(ParseStep("0s:established=3").status().message() ==
        "step \"0s:established=3\": established must be even (both ends of each connection are "
        "here)");
  CHECK(ParseStep("0s:memory=1000KiB").status().message() ==
        "step \"0s:memory=1000KiB\": memory must be whole MiB");
  CHECK(ParseStep("0s:threads=x").status().message() ==
        "step \"0s:threads=x\": threads: expected a whole number, got \"x\"");
  CHECK_FALSE(ParseStep("0s:threads=0").ok());
}

TEST_CASE("Holder reaches each state exactly and goes back down") {
  // ThreadSanitizer starts a thread of its own at the first thread a
  // process creates: have it before counting.
  std::thread([] {}).join();
  const uint64_t threads_before = Threads();
  // Holder's state counts the main thread as the one thread it did not
  // start, as in the groundtruth process; here any other (TSan's) adds.
  const uint64_t others = threads_before - 1;
  const uint64_t rss_before = RssBytes();
  {
    Holder h;
    State up;
    up.threads = threads_before + 40;
    up.memory_mib = 32;
    up.close_wait = 7;
    up.established = 6;
    up.fds = h.open_fds() + 100;
    REQUIRE(h.Apply(up).ok());
    CHECK(Threads() == *up.threads + others);
    CHECK(h.open_fds() == *up.fds);
    const double grown = static_cast<double>(RssBytes() - rss_before);
    if (kRssIsTouchedMemory) {
      CHECK(grown >= 32.0 * 1048576);
      CHECK(grown <= 34.0 * 1048576);  // the chunks plus a thread stack's touched pages or so
    } else {
      MESSAGE("sanitizer build: RSS includes the runtime's shadow, memory not compared");
    }
    auto states = SocketStates();
    CHECK(states["08"] == 7);   // CLOSE_WAIT
    CHECK(states["01"] == 6);   // ESTABLISHED
    CHECK(states["0A"] == 1);   // the listener

    State down;
    down.threads = threads_before + 2;
    down.memory_mib = 0;
    down.close_wait = 1;
    down.established = 2;
    REQUIRE(h.Apply(down).ok());
    CHECK(Threads() == *down.threads + others);
    states = SocketStates();
    CHECK(states["08"] == 1);
    CHECK(states["01"] == 2);
    CHECK(h.open_fds() == *up.fds - 10);  // padding kept; 6 + 4 sockets closed
  }
  CHECK(Threads() == threads_before);
}

TEST_CASE("Holder refuses fds fewer than the sockets need") {
  Holder h;
  State s;
  s.close_wait = 3;
  s.fds = 2;
  Status st = h.Apply(s);
  CHECK(st.code() == Status::Code::kInvalid);
  CHECK(st.message().find("fds=2 is fewer than the") == 0);
}

}  // namespace
}  // namespace faultline::groundtruth
