#include "harness/sampler/process_tree.h"

#include <doctest/doctest.h>

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
  fs.AddProcess(300, 1, 1, 1000, 0, 0, {});
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

TEST_CASE("ReadProcessTree returns nullopt when the root is gone") {
  FakeProcFs fs;
  fs.AddProcess(100, 1, 3, 1000, 0, 0, {});
  CHECK_FALSE(ReadProcessTree(fs, 555, 4096));
  fs.files.erase("100/stat");
  CHECK_FALSE(ReadProcessTree(fs, 100, 4096));
}
