#include "harness/sampler/procfs.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>

#include "harness/sampler/fake_procfs.h"

namespace faultline {
namespace {

std::string TestData(const std::string& name) {
  std::ifstream in(std::string(FAULTLINE_SAMPLER_TESTDATA) + "/" + name);
  REQUIRE_MESSAGE(in.good(), "missing testdata file " << name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every field ParseProcStat fills, one CHECK each.
void CheckStat(const ProcStat& got, const ProcStat& want) {
  CHECK(got.pid == want.pid);
  CHECK(got.state == want.state);
  CHECK(got.ppid == want.ppid);
  CHECK(got.utime_ticks == want.utime_ticks);
  CHECK(got.stime_ticks == want.stime_ticks);
  CHECK(got.num_threads == want.num_threads);
  CHECK(got.rss_pages == want.rss_pages);
}

TEST_CASE("ParseProcStat reads a real stat whose comm holds spaces and parentheses") {
  auto stat = ParseProcStat(TestData("stat_weird_comm"));
  REQUIRE(stat);
  CheckStat(*stat, {.pid = 7585, .state = 'S', .ppid = 7584, .utime_ticks = 0, .stime_ticks = 0,
                    .num_threads = 1, .rss_pages = 416});
}

TEST_CASE("ParseProcStat takes fields after the last parenthesis") {
  auto stat = ParseProcStat(
      "42 (x) S 1 (y)) R 7 42 42 0 -1 0 0 0 0 0 250 125 0 0 20 0 9 0 100 1000 33 0\n");
  REQUIRE(stat);
  CheckStat(*stat, {.pid = 42, .state = 'R', .ppid = 7, .utime_ticks = 250, .stime_ticks = 125,
                    .num_threads = 9, .rss_pages = 33});
}

TEST_CASE("ParseProcStat rejects malformed input") {
  CHECK_FALSE(ParseProcStat(""));
  CHECK_FALSE(ParseProcStat("garbage"));
  CHECK_FALSE(ParseProcStat("12 (truncated) S 1 2 3"));
  CHECK_FALSE(ParseProcStat("12 (bad) S x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"));
  CHECK_FALSE(ParseProcStat("(nopid) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22"));
}

TEST_CASE("ParseProcStatus reads Threads and VmRSS in bytes") {
  auto status = ParseProcStatus(TestData("status_weird_comm"));
  REQUIRE(status);
  CHECK(status->threads == 1);
  CHECK(status->rss_bytes == 1836 * 1024);

  // A zombie has no VmRSS line.
  auto zombie = ParseProcStatus("Name:\tx\nState:\tZ (zombie)\nThreads:\t1\n");
  REQUIRE(zombie);
  CHECK(zombie->rss_bytes == 0);

  CHECK_FALSE(ParseProcStatus(""));
  CHECK_FALSE(ParseProcStatus("Name:\tx\nVmRSS:\t12 kB\n"));
  CHECK_FALSE(ParseProcStatus("Threads:\tmany\n"));
}

TEST_CASE("ParseNetTcp reads real tcp and tcp6 tables") {
  auto v4 = ParseNetTcp(TestData("net_tcp"));
  REQUIRE(v4.size() == 5);
  CHECK(v4[0].inode == 28502);
  CHECK(v4[0].state == 10);  // LISTEN
  CHECK(v4[1].state == 1);   // ESTABLISHED
  CHECK(v4[3].inode == 0);   // FIN_WAIT2, closed by its owner
  CHECK(v4[3].state == 4);
  CHECK(v4[4].inode == 28506);
  CHECK(v4[4].state == 8);  // CLOSE_WAIT

  auto v6 = ParseNetTcp(TestData("net_tcp6"));
  REQUIRE(v6.size() == 5);
  CHECK(v6[0].state == 10);
  CHECK(v6[4].inode == 28511);
  CHECK(v6[4].state == 8);
}

TEST_CASE("ParseNetTcp skips the header and malformed rows") {
  CHECK(ParseNetTcp("").empty());
  CHECK(ParseNetTcp("  sl  local_address rem_address   st tx_queue\n").empty());
  auto rows = ParseNetTcp(
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "garbage line\n"
      "   1: 0100007F:9FF9 00000000:0000 ZZ 00000000:00000000 00:00000000 00000000 0 0 77 1\n"
      "   2: 0100007F:9FF9 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 notanumber 1\n"
      "   3: 0100007F:9FF9 00000000:0000 08 00000000:00000000\n"
      "   4: 0100007F:9FF9 00000000:0000 08 00000000:00000000 00:00000000 00000000 0 0 99 1");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].inode == 99);
  CHECK(rows[0].state == 8);
}

TEST_CASE("ParseSocketInode accepts only socket links") {
  CHECK(ParseSocketInode("socket:[12345]") == 12345u);
  CHECK_FALSE(ParseSocketInode("pipe:[12345]"));
  CHECK_FALSE(ParseSocketInode("/dev/null"));
  CHECK_FALSE(ParseSocketInode("socket:[]"));
  CHECK_FALSE(ParseSocketInode("socket:[12x]"));
  CHECK_FALSE(ParseSocketInode("socket:[12"));
}

TEST_CASE("SampleProcessTree sums the root and its descendants only") {
  FakeProcFs fs;
  // 100 -> 101 -> 102; 200 is unrelated (its sockets and resources must not count).
  fs.AddSampleTree();
  fs.files["100/net/tcp"] = TestData("net_tcp");
  fs.files["100/net/tcp6"] = TestData("net_tcp6");

  auto sample = SampleProcessTree(fs, 100, 100);
  REQUIRE(sample);
  CHECK(*sample == FakeProcFs::SampleTreeTotals());

  // A subtree root counts only below itself.
  auto sub = SampleProcessTree(fs, 102, 100);
  REQUIRE(sub);
  CHECK(sub->processes == 1);
  CHECK(sub->fds == 2);
  CHECK(sub->tcp_close_wait == 0);  // 102/net/tcp unreadable: sockets not classified
}

TEST_CASE("SampleProcessTree skips processes that vanish mid-walk") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {{0, "/dev/null"}});
  fs.AddProcess(101, 100, 5, 1000, 0, 0, {{0, "/dev/null"}});
  fs.AddProcess(102, 100, 7, 1000, 0, 0, {{0, "/dev/null"}});
  fs.files.erase("102/status");  // exited after its stat was read
  fs.listed_only.insert("103");  // exited between the listing and its stat
  fs.files["104/stat"] = "104 (broken";  // malformed: ignored

  auto sample = SampleProcessTree(fs, 100, 100);
  REQUIRE(sample);
  CHECK(sample->processes == 2);
  CHECK(sample->threads == 8);
  CHECK(sample->fds == 2);
}

TEST_CASE("SampleProcessTree returns nullopt when the root is gone") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  CHECK_FALSE(SampleProcessTree(fs, 555, 100));
  fs.files.erase("100/status");
  CHECK_FALSE(SampleProcessTree(fs, 100, 100));
}

TEST_CASE("SampleProcessTree does not read the network tables when the tree has no sockets") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 1, 100, 0, 0, {{0, "/dev/null"}});
  fs.files["100/net/tcp"] = TestData("net_tcp");
  auto sample = SampleProcessTree(fs, 100, 100);
  REQUIRE(sample);
  CHECK(fs.reads == 3);  // 1/stat (listed: the fake's children file of 1), 100/stat, 100/status
}

// The real /proc: this test process (which holds sockets in known states and
// many fds) plus a child it starts.
TEST_CASE("SampleProcessTree on the real /proc counts this process tree") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  struct Reap {
    pid_t pid;
    ~Reap() {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{child};

  // A listener, an established pair, and a server side in CLOSE_WAIT.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listener, 8) == 0);
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  int closing = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(connect(closing, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  int close_wait = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  REQUIRE(server >= 0);
  REQUIRE(close_wait >= 0);
  close(closing);

  // Many fds, as a piled-up target has: every one is counted.
  std::vector<int> extra;
  for (int i = 0; i < 2000; ++i) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    extra.push_back(fd);
  }

  RealProcFs fs;
  const long ticks = sysconf(_SC_CLK_TCK);
  // The kernel must have processed the FIN and the child must have started;
  // both happen quickly.
  std::optional<TreeSample> sample;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    sample = SampleProcessTree(fs, getpid(), ticks);
    auto child_sample = SampleProcessTree(fs, child, ticks);
    REQUIRE(sample);
    REQUIRE(child_sample);
    if (sample->tcp_close_wait >= 1 && child_sample->rss_bytes > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  sample = SampleProcessTree(fs, getpid(), ticks);
  auto child_sample = SampleProcessTree(fs, child, ticks);
  REQUIRE(sample);
  REQUIRE(child_sample);

  CHECK(child_sample->processes == 1);
  CHECK(child_sample->threads >= 1);
  CHECK(child_sample->rss_bytes > 0);
  CHECK(child_sample->fds >= 3);

  CHECK(sample->processes >= 2);
  CHECK(sample->threads >= 2);
  CHECK(sample->fds >= 2000 + 4 + 3);
  CHECK(sample->rss_bytes > child_sample->rss_bytes);
  CHECK(sample->cpu_seconds >= 0);
  CHECK(sample->tcp_listen == 1);
  CHECK(sample->tcp_established == 2);
  CHECK(sample->tcp_close_wait == 1);

  for (int fd : extra) close(fd);
  for (int fd : {listener, client, server, close_wait}) close(fd);
}


TEST_CASE("ParseLoadavgLastPid reads the last allocated pid") {
  CHECK(ParseLoadavgLastPid("0.52 0.58 0.59 2/431 12345\n") == 12345);
  CHECK_FALSE(ParseLoadavgLastPid("0.52 0.58 0.59 2/431\n"));
  CHECK_FALSE(ParseLoadavgLastPid("0.52 0.58 0.59 2/431 x\n"));
}

TEST_CASE("ParseProcIds reads Tgid and PPid of a process or a thread") {
  auto ids = ParseProcIds("Name:\tw\nUmask:\t0022\nState:\tS\nTgid:\t700\nNgid:\t0\nPid:\t701\nPPid:\t1\n");
  REQUIRE(ids);
  CHECK(ids->tgid == 700);
  CHECK(ids->ppid == 1);
  CHECK_FALSE(ParseProcIds("Name:\tw\nTgid:\t700\n"));
  CHECK_FALSE(ParseProcIds("Tgid:\tx\nPPid:\t1\n"));
}

TEST_CASE("RealProcFs reads this process's fds and the last pid") {
  RealProcFs fs;
  auto last = fs.LastPid();
  REQUIRE(last);
  CHECK(*last >= getpid());  // pids only grow until they wrap; a test run does not wrap them
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto links = fs.ReadFds(getpid(), [&](int fd) { return fd == fds[0]; });
  ::close(fds[0]);
  ::close(fds[1]);
  REQUIRE(links);
  bool saw = false;
  for (const FdLink& l : *links) {
    if (l.fd == fds[0]) saw = l.linked && l.socket_inode == 0;
    if (l.fd == fds[1]) CHECK_FALSE(l.linked);
  }
  CHECK(saw);
}

}  // namespace
}  // namespace faultline
