// The bad-input tour: hostile inputs across the CLI (validate, run, report,
// proxy). Each must end with the documented exit code (docs/exit-codes.md)
// and an error naming what was wrong and where, never a crash, a hang or a
// process left behind. A few inputs that look hostile but are valid (a BOM,
// CRLF line ends, a pipe) must be accepted.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "tests/child_process.h"

using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

const std::string kBin = FAULTLINE_BIN_DIR "/faultline";
const std::string kQuick = FAULTLINE_SOURCE_DIR "/tests/scenarios/quick.toml";

// One hostile input: the files it needs are written into the row's own
// folder (`{dir}` in args), then faultline runs with `args`.
struct Row {
  std::string what;
  std::vector<std::pair<std::string, std::string>> files;  // name, content
  std::vector<std::string> args;
  int exit_code;
  std::string needle;  // must appear in stderr (empty: the input is valid)
};

std::string Quick() { return ReadFile(kQuick); }

// quick.toml with its first `from` replaced by `to`.
std::string QuickWith(const std::string& from, const std::string& to) {
  std::string s = Quick();
  const size_t at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "quick.toml no longer contains " << from);
  return s.replace(at, from.size(), to);
}

void Write(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  REQUIRE(out.good());
}

std::string Expand(std::string arg, const std::string& dir) {
  for (size_t at; (at = arg.find("{dir}")) != std::string::npos;) arg.replace(at, 5, dir);
  return arg;
}

// A port that is bound and listening (held by this test) for the row's run.
class TakenPort {
 public:
  TakenPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
  }
  ~TakenPort() { ::close(fd_); }
  std::string port() const { return std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

// Runs one row; `prepare` (if any) adds to the row's folder first.
void RunRow(const Row& row, const std::function<void(const std::string& dir)>& prepare = {}) {
  CAPTURE(row.what);
  TempDir dir;
  for (const auto& [name, content] : row.files)
    Write(dir.path() + "/" + name, Expand(content, dir.path()));
  if (prepare) prepare(dir.path());
  std::vector<std::string> argv{kBin};
  for (const auto& a : row.args) argv.push_back(Expand(a, dir.path()));
  const ProcessRun r = RunProcess(argv, 60s);
  CAPTURE(r.err);
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == row.exit_code);
  if (row.needle.empty()) {
    CHECK(r.err.empty());
  } else {
    CHECK(r.err.find(row.needle) != std::string::npos);
    CHECK(r.err.find('\n') < 600);  // the first line, the error, is readable
  }
  for (const char* crash : {"terminate called", "what():", "Assertion", "Aborted"}) {
    CHECK(r.err.find(crash) == std::string::npos);
  }
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
}

void RunRows(const std::vector<Row>& rows) {
  BecomeSubreaper();
  for (const Row& row : rows) RunRow(row);
}

std::string Nested(const std::string& open, int depth) {
  std::string s = "a = ";
  for (int i = 0; i < depth; ++i) s += open;
  return s + "\n";
}

}  // namespace

TEST_CASE("bad input tour: scenario files that are no scenario") {
  std::vector<Row> rows = {
      {"a missing file", {}, {"validate", "{dir}/missing.toml"}, 2,
       "missing.toml: cannot read the file: No such file or directory"},
      {"a folder with no scenario", {}, {"validate", "{dir}"}, 2, ": no *.toml scenario in it"},
      {"an empty file name", {}, {"validate", ""}, 2, "\"\": no file name given"},
      {"an empty file", {{"e.toml", ""}}, {"validate", "{dir}/e.toml"}, 2,
       "e.toml:1:1: target: missing required table [target]"},
      {"arrays nested 10000 deep", {{"n.toml", Nested("[", 10000)}},
       {"validate", "{dir}/n.toml"}, 2, "exceeded maximum nested value depth"},
      {"inline tables nested 5000 deep", {{"n.toml", Nested("{b = ", 5000)}},
       {"validate", "{dir}/n.toml"}, 2, "exceeded maximum nested value depth"},
      {"a NUL byte in a string", {{"z.toml", std::string("name = \"a\0b\"\n", 12)}},
       {"validate", "{dir}/z.toml"}, 2, "z.toml:1:10: "},
      {"bytes that are no UTF-8", {{"u.toml", "name = \"\xff\xfe\"\n"}},
       {"validate", "{dir}/u.toml"}, 2, "u.toml:1:8: encountered invalid utf-8 sequence"},
      {"an ELF binary", {{"b.toml", std::string("\x7f" "ELF\x02\x01\x01\0\0", 9)}},
       {"validate", "{dir}/b.toml"}, 2, "b.toml:1:1: "},
      {"[phases] written as a table", {{"p.toml", QuickWith("[[phases]]", "[phases]")}},
       {"validate", "{dir}/p.toml"}, 2, "p.toml:"},
      {"a key given twice", {{"d.toml", QuickWith("name = \"quick\"", "name = \"a\"\nname = \"b\"")}},
       {"validate", "{dir}/d.toml"}, 2, "d.toml:3:"},
      {"a misspelt key", {{"k.toml", QuickWith("[load]\n", "[load]\nrat = 5\n")}},
       {"validate", "{dir}/k.toml"}, 2, "unknown key \"rat\""},
      {"a 10000-character key", {{"k.toml", QuickWith("[load]\n", "[load]\n" + std::string(10000, 'k') + " = 1\n")}},
       {"validate", "{dir}/k.toml"}, 2, "k.toml:16:1: load.kkkkkkkkkk"},
      {"a rate of 1e12 (a typo)", {{"r.toml", QuickWith("rate = 50", "rate = 1e12")}},
       {"validate", "{dir}/r.toml"}, 2, "load.rate: must be <= 1000000"},
      {"a negative rate", {{"r.toml", QuickWith("rate = 50", "rate = -5")}},
       {"validate", "{dir}/r.toml"}, 2, "load.rate: must be >= 0, got -5"},
      {"a duration with no unit", {{"t.toml", QuickWith("duration = \"1s\"", "duration = \"forever\"")}},
       {"validate", "{dir}/t.toml"}, 2, "phases[0].duration: invalid duration \"forever\""},
      {"an empty argv", {{"a.toml", QuickWith("[target]\nargv = ", "[target]\nargv = []\nunused = ")}},
       {"validate", "{dir}/a.toml"}, 2, "target.argv: expected a non-empty array"},
      // Valid, though they look odd: must be accepted.
      {"a UTF-8 byte-order mark", {{"bom.toml", "\xef\xbb\xbf" + Quick()}},
       {"validate", "{dir}/bom.toml"}, 0, ""},
      {"CRLF line ends", {{"crlf.toml", [] {
                              std::string s;
                              for (char c : Quick()) s += c == '\n' ? std::string("\r\n") : std::string(1, c);
                              return s;
                            }()}},
       {"validate", "{dir}/crlf.toml"}, 0, ""},
  };
  RunRows(rows);
  // A sparse file: 100 MB without writing them.
  RunRow({"a 100 MB file", {}, {"validate", "{dir}/huge.toml"}, 2,
          "huge.toml: is larger than the limit of 1 MiB"},
         [](const std::string& dir) {
           Write(dir + "/huge.toml", "");
           std::filesystem::resize_file(dir + "/huge.toml", 100u << 20);
         });
  if (::geteuid() != 0) {
    RunRow({"an unreadable file", {{"x.toml", Quick()}}, {"validate", "{dir}/x.toml"}, 2,
            "x.toml: cannot read the file: Permission denied"},
           [](const std::string& dir) {
             std::filesystem::permissions(dir + "/x.toml", std::filesystem::perms::none);
           });
  } else {
    MESSAGE("running as root, which reads any file: the unreadable-file row is skipped");
  }
}

TEST_CASE("bad input tour: runs that cannot start") {
  TakenPort taken;
  RunRows({
      {"--out is a file", {{"f", "x"}}, {"run", kQuick, "--out", "{dir}/f"}, 3,
       "create output directory"},
      {"--out under a file", {{"f", "x"}}, {"run", kQuick, "--out", "{dir}/f/sub"}, 3,
       "create output directory"},
      {"--out in /proc", {}, {"run", kQuick, "--out", "/proc/faultline-out"}, 3,
       "create output directory /proc/faultline-out"},
      {"the target is a directory", {{"s.toml", QuickWith("\"orders-service\"", "\"/tmp\"")}},
       {"run", "{dir}/s.toml", "--out", "{dir}/out"}, 3, "cannot execute \"/tmp\""},
      {"the target is not executable", {{"s.toml", QuickWith("\"orders-service\"", "\"{dir}/plain.sh\"")}, {"plain.sh", "echo hi\n"}},
       {"run", "{dir}/s.toml", "--out", "{dir}/out"}, 3,
       "plain.sh\": Permission denied"},
      {"the target's port is taken",
       {{"s.toml", QuickWith("\"--port\", \"${port.target}\"", "\"--port\", \"" + taken.port() + "\"")}},
       {"run", "{dir}/s.toml", "--out", "{dir}/out"}, 3, "\"target\" exited with code"},
      {"the port of the target's ready probe is taken (another service would answer it)",
       {{"s.toml", QuickWith("ready = { kind = \"http\", path = \"/healthz\" }",
                             "ready = { kind = \"http\", path = \"/healthz\", port = " +
                                 taken.port() + " }")}},
       {"run", "{dir}/s.toml", "--out", "{dir}/out"}, 3,
       "\"target\" was not started: port " + taken.port() +
           ", where its ready probe connects, is already in use, held by pid"},
      {"--set of an unknown key", {}, {"run", kQuick, "--set", "nosuch=1"}, 2,
       "--set: nosuch: unknown key \"nosuch\""},
      {"--set of a wrong type", {}, {"run", kQuick, "--set", "load.rate=abc"}, 2,
       "load.rate: expected a number, got string \"abc\""},
      {"--set without =", {}, {"run", kQuick, "--set", "load.rate"}, 2,
       "--set: load.rate: expected key.path=value"},
      {"--variant naming no variant", {}, {"run", kQuick, "--variant", "nope"}, 2,
       "--variant nope"},
      {"an unknown flag", {}, {"run", kQuick, "--frobnicate"}, 2, "--frobnicate"},
  });
}

TEST_CASE("bad input tour: report and proxy") {
  TakenPort taken;
  RunRows({
      {"report: a directory", {}, {"report", "{dir}", "--html", "{dir}/r.html"}, 2,
       ": is a directory, not a file"},
      {"report: an empty file", {{"r.json", ""}}, {"report", "{dir}/r.json", "--html", "{dir}/r.html"},
       2, "r.json: not valid JSON"},
      {"report: truncated JSON", {{"r.json", "{\"schema_version\": 1, \"vari"}},
       {"report", "{dir}/r.json", "--html", "{dir}/r.html"}, 2, "r.json: not valid JSON"},
      {"report: JSON that is no results file", {{"r.json", "{\"a\": 1}"}},
       {"report", "{dir}/r.json", "--html", "{dir}/r.html"}, 2,
       "r.json: not a faultline results file"},
      {"report: variants of the wrong type", {{"r.json", "{\"schema_version\": 1, \"variants\": 5}"}},
       {"report", "{dir}/r.json", "--html", "{dir}/r.html"}, 2,
       "r.json: variants: expected an array, got number"},
      {"proxy: --listen that is no address", {}, {"proxy", "--listen", "nohost", "--upstream", "127.0.0.1:1"},
       2, "--listen: address \"nohost\": expected host:port"},
      {"proxy: --upstream with port 99999", {},
       {"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:99999"}, 2,
       "--upstream: address \"127.0.0.1:99999\": expected a port number"},
      {"proxy: a --toxic that is no JSON", {},
       {"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--toxic", "{latency"}, 2,
       "--toxic {latency: not JSON"},
      {"proxy: a toxicity of 3", {},
       {"proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:1", "--toxic",
        R"({"type":"latency","toxicity":3})"},
       2, "toxicity: expected a number from 0 to 1, got 3"},
      {"proxy: --listen on a taken port", {},
       {"proxy", "--listen", "127.0.0.1:" + taken.port(), "--upstream", "127.0.0.1:1"}, 3,
       taken.port()},
      {"proxy: --config a directory", {}, {"proxy", "--config", "{dir}"}, 2,
       ": is a directory, not a file"},
  });
}

// A folder that exists but is not this user's to write (a root run's, for a
// developer who ran `sudo faultline` once): refused before anything starts,
// so an earlier run's results there are never taken for this run's.
TEST_CASE("bad input tour: an --out folder that exists but is not writable") {
  BecomeSubreaper();
  TempDir dir;
  const std::string out = dir.path() + "/out";
  std::filesystem::create_directories(out);
  Write(out + "/results.json", "{\"passed\": true}");
  std::vector<std::string> argv;
  if (::geteuid() == 0) {
    // Root writes anywhere: the run is made as nobody, with a copy of the
    // binary and the scenario it can read, into root's folder.
    std::filesystem::copy_file(kBin, dir.path() + "/faultline");
    Write(dir.path() + "/s.toml", Quick());
    std::filesystem::permissions(dir.path(), std::filesystem::perms::others_read |
                                                 std::filesystem::perms::others_exec,
                                 std::filesystem::perm_options::add);
    argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
            dir.path() + "/faultline", "run", dir.path() + "/s.toml", "--out", out};
  } else {
    std::filesystem::permissions(out, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::remove);
    argv = {kBin, "run", kQuick, "--out", out};
  }
  const ProcessRun r = RunProcess(argv, 60s);
  CAPTURE(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("output directory " + out + " is not writable: Permission denied") !=
        std::string::npos);
  CHECK(r.out.find("results: " + out) == std::string::npos);  // not pointed to
  CHECK(ReadFile(out + "/results.json") == "{\"passed\": true}");
  CHECK(WaitGone(Descendants(::getpid()), 5s).empty());
  std::filesystem::permissions(out, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
}
