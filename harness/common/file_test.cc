#include "harness/common/file.h"

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "harness/common/test_temp_dir.h"

namespace faultline {
namespace {

TEST_CASE("WriteFileCreatingFolders makes the folders and errors name the path asked for") {
  const std::string dir = testing::MakeTempDir("write-file");
  CHECK(WriteFileCreatingFolders(dir + "/new/sub/compare.md", "x").ok());
  CHECK(std::filesystem::exists(dir + "/new/sub/compare.md"));
  Status missing = WriteFileAtomic(dir + "/none/compare.md", "x");
  CHECK(missing.message() == "write " + dir + "/none/compare.md: No such file or directory");
  std::ofstream(dir + "/file") << "";
  Status blocked = WriteFileCreatingFolders(dir + "/file/compare.md", "x");
  CHECK(blocked.message().rfind("write " + dir + "/file/compare.md: create directory " + dir +
                                    "/file: ",
                                0) == 0);
  CHECK(blocked.message().find(".tmp") == std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("ReadInputFile reads a file and refuses what is no file a user meant") {
  const std::string dir = testing::MakeTempDir("read-input");
  const std::string small = dir + "/s.toml";
  std::ofstream(small) << "name = \"x\"\n";
  StatusOr<std::string> text = ReadInputFile(small, 1 << 20);
  REQUIRE(text.ok());
  CHECK(*text == "name = \"x\"\n");

  CHECK(ReadInputFile("", 1 << 20).status().message() == "no file name given");
  CHECK(ReadInputFile(dir + "/missing", 1 << 20).status().message() ==
        "cannot read the file: No such file or directory");
  CHECK(ReadInputFile(dir, 1 << 20).status().message() == "is a directory, not a file");

  // A sparse 100 MiB file: refused from its size, without reading it.
  const std::string big = dir + "/big.toml";
  std::ofstream{big};
  std::filesystem::resize_file(big, 100 << 20);
  CHECK(ReadInputFile(big, 1 << 20).status().message() == "is larger than the limit of 1 MiB");
  CHECK(ReadInputFile(small, 4).status().message() == "is larger than the limit of 0 MiB");
  std::filesystem::remove_all(dir);
}

TEST_CASE("ReadInputFile applies the limit to a pipe it cannot stat for size") {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const std::string data(3 << 20, 'x');
  // The writer is a child, so a full pipe never blocks this test.
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = write(fds[1], data.data() + done, data.size() - done);
      if (n <= 0) _exit(0);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  StatusOr<std::string> text =
      ReadInputFile("/proc/self/fd/" + std::to_string(fds[0]), size_t{1} << 20);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(text.status().message() == "is larger than the limit of 1 MiB");
}

TEST_CASE("FolderName keeps a free-text name to one folder") {
  CHECK(FolderName("orders-hang_v1.2", "x") == "orders-hang_v1.2");
  CHECK(FolderName("../escape / run", "x") == ".._escape___run");
  CHECK(FolderName("a\\b\tc\xff", "x") == "a_b_c_");
  CHECK(FolderName(std::string("a\0b", 3), "x") == "a_b");
  CHECK(FolderName("load.rate=5,target.argv[1]=z", "x") == "load.rate=5,target.argv[1]=z");
  for (const char* dots : {"", ".", "..", "..."}) CHECK(FolderName(dots, "scenario") == "scenario");
}

}  // namespace
}  // namespace faultline
