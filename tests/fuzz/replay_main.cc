// The corpus replay driver: with gcc (no libFuzzer) each fuzz target is
// linked with this main, which feeds every file named on the command line,
// or every regular file in a directory named there, to
// LLVMFuzzerTestOneInput once, in name order. ctest runs it over the
// target's seed corpus (tests/fuzz/corpus/NAME/), so every input that once
// crashed a parser stays fixed; `build/bin/fuzz_NAME crash-file` replays one
// reproducer without clang.
//
// Exit status: 0 when every input ran (a crash aborts the process, as under
// libFuzzer), 1 when an argument cannot be read or names no input at all.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

bool Collect(const fs::path& arg, std::vector<fs::path>* files) {
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    for (const auto& entry : fs::directory_iterator(arg, ec)) {
      if (entry.is_regular_file()) files->push_back(entry.path());
    }
    if (ec) {
      std::fprintf(stderr, "replay: cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
      return false;
    }
    return true;
  }
  if (!fs::is_regular_file(arg, ec)) {
    std::fprintf(stderr, "replay: %s: not a file or directory\n", arg.c_str());
    return false;
  }
  files->push_back(arg);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (!Collect(argv[i], &files)) return 1;
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...  (no input found)\n", argv[0]);
    return 1;
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
      return 1;
    }
    // A copy of exactly `size` bytes, so a read past the end is caught by a
    // sanitizer build as it is under libFuzzer.
    std::vector<uint8_t> data(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(data.empty() ? nullptr : data.data(), data.size());
  }
  std::printf("replay: %zu inputs ran\n", files.size());
  return 0;
}
