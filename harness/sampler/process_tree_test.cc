#include "harness/sampler/process_tree.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/sampler/fake_procfs.h"

using namespace faultline;

TEST_CASE("ParseChildren reads the pids of a children file") {
  CHECK(ParseChildren("") == std::vector<pid_t>{});
  CHECK(ParseChildren("12 345 \n") == std::vector<pid_t>{12, 345});
  CHECK(ParseChildren("7 x 9") == std::vector<pid_t>{7});
}

TEST_CASE("ReadProcessTree sums the root and its descendants only") {
  FakeProcFs fs;
  fs.AddSampleTree();
  fs.tcp = {{28502, 10}, {28504, 1}, {28506, 8},  {28509, 1},
            {28511, 8},  {28503, 1}, {28507, 10}, {28600, 4}};

  auto sample = ReadProcessTree(fs, 100, 4096);
  REQUIRE(sample);
  CHECK(*sample == FakeProcFs::SampleTreeTotals());

  auto sub = ReadProcessTree(fs, 102, 4096);
  REQUIRE(sub);
  CHECK(sub->processes == 1);
  CHECK(sub->fds == 2);
  CHECK(sub->tcp_established == 1);
  CHECK(sub->tcp_close_wait == 1);
}

TEST_CASE("ReadProcessTree follows children of every thread") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  fs.AddProcess(300, 100, 1, 1000, 0, 0, {});
  fs.files["100/task/100/children"] = "";
  fs.files["100/task/101/children"] = "300\n";  // forked by thread 101, not the leader
  auto sample = ReadProcessTree(fs, 100, 4096);
  REQUIRE(sample);
  CHECK(sample->processes == 2);
  CHECK(sample->threads == 4);
}

TEST_CASE("ReadProcessTree skips children that vanish and reads no fd links without sockets") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {{0, "/dev/null"}});
  fs.AddProcess(101, 100, 5, 1000, 0, 0, {{0, "/dev/null"}});
  fs.AddProcess(102, 100, 7, 1000, 0, 0, {{0, "socket:[9]"}});
  fs.files.erase("102/stat");  // exited after its parent listed it
  auto sample = ReadProcessTree(fs, 100, 4096);
  REQUIRE(sample);
  CHECK(sample->processes == 2);
  CHECK(sample->threads == 8);
  CHECK(sample->fds == 2);
  CHECK(sample->tcp_established == 0);
}

TEST_CASE("ReadProcessTree counts a zombie as a process with no threads") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  fs.AddProcess(101, 100, 1, 0, 0, 0, {});
  std::string& stat = fs.files["101/stat"];
  stat.replace(stat.find(") S "), 4, ") Z ");
  auto sample = ReadProcessTree(fs, 100, 4096);
  REQUIRE(sample);
  CHECK(sample->processes == 2);
  CHECK(sample->threads == 3);
}

TEST_CASE("ReadProcessTree counts the live threads of a process whose main thread exited") {
  // pthread_exit in main: the process's stat reads Z, with 6 threads of
  // which the main thread is the dead one.
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  fs.AddProcess(101, 100, 6, 0, 0, 0, {});
  std::string& stat = fs.files["101/stat"];
  stat.replace(stat.find(") S "), 4, ") Z ");
  auto sample = ReadProcessTree(fs, 100, 4096);
  REQUIRE(sample);
  CHECK(sample->processes == 2);
  CHECK(sample->threads == 3 + 5);
}

TEST_CASE("ReadProcessTree returns nullopt when the root is gone") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  CHECK_FALSE(ReadProcessTree(fs, 555, 4096));
  fs.files.erase("100/stat");
  CHECK_FALSE(ReadProcessTree(fs, 100, 4096));
}

TEST_CASE("TreeReader adds a process forked since the last read without walking the tree") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  fs.last_pid = 120;
  TreeReader reader(fs, 100, 4096);
  REQUIRE(reader.Read());
  CHECK(reader.work().full_walk);

  fs.AddProcess(121, 100, 2, 1000, 0, 0, {});  // a child
  fs.AddProcess(122, 121, 1, 1000, 0, 0, {});  // its child, born after it
  fs.AddProcess(123, 1, 1, 1000, 0, 0, {});    // someone else's
  fs.files["124/status"] = "Name:\tt\nTgid:\t100\nPPid:\t1\n";  // a new thread of 100
  fs.last_pid = 125;                                           // 125 already exited
  auto sample = reader.Read();
  REQUIRE(sample);
  CHECK_FALSE(reader.work().full_walk);
  CHECK(reader.work().pid_probes == 5);
  CHECK(sample->processes == 3);
  CHECK(sample->threads == 6);
}

TEST_CASE("TreeReader counts a child its walk found after LastPid once") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  fs.AddProcess(130, 100, 2, 1000, 0, 0, {});  // forked between LastPid and the walk
  fs.last_pid = 120;
  TreeReader reader(fs, 100, 4096);
  REQUIRE(reader.Read()->processes == 2);
  fs.last_pid = 140;
  auto sample = reader.Read();
  REQUIRE(sample);
  CHECK_FALSE(reader.work().full_walk);
  CHECK(sample->processes == 2);
  CHECK(sample->threads == 5);
}

TEST_CASE("TreeReader keeps the CPU of children that exit and never counts back") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 1, 1000, 10, 0, {});   // 0.1 s
  fs.AddProcess(101, 100, 1, 1000, 50, 0, {});  // 0.5 s so far
  fs.last_pid = 101;
  TreeReader reader(fs, 100, 4096);
  CHECK(reader.Read()->cpu_seconds == doctest::Approx(0.6));

  SUBCASE("reaped by its parent: all of its life counts, once") {
    fs.files.erase("101/stat");
    fs.AddProcess(100, 1, 1, 1000, 10, 0, {}, /*reaped=*/80);  // it ran 0.8 s in all
    CHECK(reader.Read()->cpu_seconds == doctest::Approx(0.9));
    CHECK(reader.Read()->cpu_seconds == doctest::Approx(0.9));
  }
  SUBCASE("a child and its parent both gone: counted once through the grandparent") {
    fs.AddProcess(102, 101, 1, 1000, 100, 0, {});  // 1 s so far
    fs.last_pid = 102;
    CHECK(reader.Read()->cpu_seconds == doctest::Approx(1.6));
    fs.files.erase("102/stat");
    fs.files.erase("101/stat");
    // 101 waited for 102 (1.2 s in all), then 100 for 101 (0.5 s + 1.2 s).
    fs.AddProcess(100, 1, 1, 1000, 10, 0, {}, /*reaped=*/170);
    CHECK(reader.Read()->cpu_seconds == doctest::Approx(1.8));
  }
  SUBCASE("a short-lived child never seen alive counts through its parent") {
    fs.AddProcess(100, 1, 1, 1000, 10, 0, {}, /*reaped=*/30);
    CHECK(reader.Read()->cpu_seconds == doctest::Approx(0.9));
  }
  SUBCASE("reparented out of the tree: no drop") {
    fs.AddProcess(101, 1, 1, 1000, 60, 0, {});
    CHECK(reader.Read()->cpu_seconds == doctest::Approx(0.6));
  }
  SUBCASE("a new process brings all of its CPU") {
    fs.AddProcess(102, 100, 1, 1000, 20, 0, {});
    fs.last_pid = 102;
    CHECK(reader.Read()->cpu_seconds == doctest::Approx(0.8));
  }
}

TEST_CASE("TreeReader finds sockets that took the numbers of closed files") {
  FakeProcFs fs;
  std::map<int, std::string> fds{{3, "socket:[500]"}};
  for (int fd = 4; fd < 14; ++fd) fds[fd] = "/tmp/f" + std::to_string(fd);
  fs.AddProcess(100, 1, 1, 1000, 0, 0, fds);
  fs.tcp = {{500, 8}};
  fs.last_pid = 100;
  TreeReader reader(fs, 100, 4096);
  CHECK(reader.Read()->tcp_close_wait == 1);

  // The ten files are closed; six sockets take numbers 4 to 9.
  for (int fd = 4; fd < 14; ++fd) fs.links.erase("100/fd/" + std::to_string(fd));
  for (int fd = 4; fd < 10; ++fd) {
    fs.links["100/fd/" + std::to_string(fd)] = "socket:[" + std::to_string(500 + fd) + "]";
    fs.tcp.push_back({static_cast<uint64_t>(500 + fd), 8});
  }
  auto sample = reader.Read();
  REQUIRE(sample);
  CHECK(sample->fds == 7);
  CHECK(sample->tcp_close_wait == 7);
}

TEST_CASE("TreeReader marks the socket counts unknown when it cannot read them") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {{3, "socket:[500]"}});
  fs.tcp = {{500, 8}};
  fs.last_pid = 100;
  SUBCASE("no socket dump") {
    fs.dump_fails = true;
    auto sample = ReadProcessTree(fs, 100, 4096);
    REQUIRE(sample);
    CHECK_FALSE(sample->sockets_known);
    CHECK(sample->fds == 1);
  }
  SUBCASE("fds that cannot be listed") {
    fs.fds_refused = {100};
    auto sample = ReadProcessTree(fs, 100, 4096);
    REQUIRE(sample);
    CHECK_FALSE(sample->sockets_known);
  }
  SUBCASE("both readable") {
    auto sample = ReadProcessTree(fs, 100, 4096);
    REQUIRE(sample);
    CHECK(sample->sockets_known);
    CHECK(sample->tcp_close_wait == 1);
  }
}

TEST_CASE("TreeReader drops a process that exited and the children it left behind") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {});
  fs.AddProcess(101, 100, 1, 1000, 0, 0, {});
  fs.AddProcess(102, 101, 1, 1000, 0, 0, {});
  fs.last_pid = 102;
  TreeReader reader(fs, 100, 4096);
  REQUIRE(reader.Read()->processes == 3);
  fs.files.erase("101/stat");
  fs.AddProcess(102, 1, 1, 1000, 0, 0, {});  // reparented to init
  auto sample = reader.Read();
  REQUIRE(sample);
  CHECK_FALSE(reader.work().full_walk);
  CHECK(sample->processes == 1);
}

TEST_CASE("TreeReader gives no sample for a read short of fds and then starts the CPU again") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 1, 1000, 10, 0, {});
  fs.AddProcess(101, 100, 1, 1000, 500, 0, {});  // 5 s of CPU so far
  fs.last_pid = 101;
  TreeReader reader(fs, 100, 4096);
  REQUIRE(reader.Read()->processes == 2);
  // The harness out of fds: 101's stat cannot be opened, so it looks gone.
  fs.on_dump = [&] {
    fs.starved = true;
    fs.files.erase("101/stat");
  };
  CHECK_FALSE(reader.Read());
  fs.on_dump = nullptr;
  fs.AddProcess(101, 100, 1, 1000, 510, 0, {});
  auto after = reader.Read();
  REQUIRE(after);
  CHECK(reader.work().full_walk);  // no new pid, but what the failed read dropped is back
  CHECK(after->processes == 2);
  CHECK_FALSE(after->cpu_continues);  // 101 came back with all of its 5.1 s
  auto next = reader.Read();
  REQUIRE(next);
  CHECK(next->cpu_continues);
}

TEST_CASE("TreeReader walks the tree again when many pids were allocated or they wrapped") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 1, 1000, 0, 0, {});
  fs.last_pid = 100;
  TreeReader reader(fs, 100, 4096);
  REQUIRE(reader.Read());
  fs.last_pid = 100 + TreeReader::kMaxPidProbes + 1;
  REQUIRE(reader.Read());
  CHECK(reader.work().full_walk);
  CHECK(reader.work().pid_probes == 0);
  fs.last_pid = 50;  // wrapped at pid_max
  REQUIRE(reader.Read());
  CHECK(reader.work().full_walk);
}

TEST_CASE("TreeReader reads fd links again only for sockets it cannot place") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 1, 1000, 0, 0,
                {{0, "/dev/null"}, {3, "pipe:[5]"}, {4, "socket:[40]"}, {5, "socket:[50]"}});
  fs.AddProcess(200, 1, 1, 1000, 0, 0, {{3, "socket:[90]"}});
  fs.tcp = {{40, 1}, {50, 8}, {90, 1}};
  fs.last_pid = 200;
  TreeReader reader(fs, 100, 4096);
  auto first = reader.Read();
  REQUIRE(first);
  CHECK(first->tcp_established == 1);
  CHECK(first->tcp_close_wait == 1);

  SUBCASE("nothing new: no listing and no link read") {
    fs.readlinks = 0;
    auto again = reader.Read();
    REQUIRE(again);
    CHECK(*again == *first);
    CHECK(reader.work().fd_listings == 0);
    CHECK(fs.readlinks == 0);
  }
  SUBCASE("a new socket on the lowest free fd: one link read and no listing") {
    fs.links["100/fd/1"] = "socket:[60]";
    fs.tcp.push_back({60, 1});
    fs.readlinks = 0;
    auto again = reader.Read();
    REQUIRE(again);
    CHECK(again->tcp_established == 2);
    CHECK(reader.work().fd_listings == 0);
    CHECK(fs.readlinks == 1);
  }
  SUBCASE("a new socket on a high fd number is found by listing") {
    fs.links["100/fd/900"] = "socket:[60]";
    fs.tcp.push_back({60, 1});
    auto again = reader.Read();
    REQUIRE(again);
    CHECK(again->tcp_established == 2);
    CHECK(reader.work().fd_listings == 1);
  }
  SUBCASE("a closed socket's fd number reused by a new socket") {
    fs.links["100/fd/4"] = "socket:[41]";
    fs.tcp = {{41, 8}, {50, 8}, {90, 1}};
    auto again = reader.Read();
    REQUIRE(again);
    CHECK(again->tcp_established == 0);
    CHECK(again->tcp_close_wait == 2);
  }
  SUBCASE("a pipe's fd number reused by a socket is counted within kListEvery reads") {
    fs.links["100/fd/3"] = "socket:[30]";
    fs.tcp.push_back({30, 1});
    std::optional<TreeSample> last;
    for (int i = 0; i < TreeReader::kListEvery; ++i) last = reader.Read();
    REQUIRE(last);
    CHECK(last->tcp_established == 2);
  }
  SUBCASE("the files are read again every kListEvery reads and listed every kRelistEvery") {
    int listings = 0;
    int file_reads = 0;
    for (int i = 0; i < TreeReader::kRelistEvery; ++i) {
      fs.readlinks = 0;
      REQUIRE(reader.Read());
      listings += reader.work().fd_listings;
      if (reader.work().fd_listings == 0) file_reads += fs.readlinks;
    }
    // /dev/null and the pipe (never the sockets), each once every
    // kListEvery reads, but in the read that listed instead.
    const int rounds = TreeReader::kRelistEvery / TreeReader::kListEvery;
    CHECK(file_reads >= 2 * (rounds - 1));
    CHECK(file_reads <= 2 * rounds);
    CHECK(listings == 1);  // the root, the one process of the tree
  }
  SUBCASE("someone else's new socket costs the tree no link read") {
    fs.links["200/fd/4"] = "socket:[91]";
    fs.tcp.push_back({91, 1});
    fs.readlinks = 0;
    auto again = reader.Read();
    REQUIRE(again);
    CHECK(*again == *first);
    CHECK(reader.work().fd_listings == 0);
    CHECK(fs.readlinks == 0);
  }
}

TEST_CASE("TreeReader sees a real child process come and go") {
  RealProcFs fs;
  TreeReader reader(fs, ::getpid(), 4096);
  auto before = reader.Read();
  REQUIRE(before);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::pause();  // until killed
    ::_exit(0);
  }
  auto with = reader.Read();
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  auto after = reader.Read();
  REQUIRE(with);
  REQUIRE(after);
  CHECK(with->processes == before->processes + 1);
  CHECK(after->processes == before->processes);
}
