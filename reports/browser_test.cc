// Opens rendered reports in headless Chromium and inspects them over the
// DevTools protocol (--remote-debugging-pipe): the charts have geometry, the
// page made no request beyond its own file and logged no error, and its
// Content-Security-Policy blocks a fetch (nothing reaches a loopback server,
// Chromium reports the violation). A missing Chromium fails the test:
// install it (tools/install-deps.sh).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/browser_test_server.h"
#include "reports/html_report.h"
#include "reports/sample_results.h"

using nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr auto kBrowserDeadline = std::chrono::seconds(60);

std::string Base64Decode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0, acc = 0;
  for (char c : in) {
    const int v = val(c);
    if (v < 0) continue;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// What a page did while it loaded.
struct PageReport {
  std::vector<std::string> requests;  // URLs other than the page itself
  std::vector<std::string> errors;    // console errors, exceptions, error log entries
  json probe;                         // the value of the probe expression
  std::string screenshot;             // PNG bytes
};

// One headless Chromium driven over the DevTools pipe (fd 3: commands in,
// fd 4: replies and events out). The destructor kills its process group and
// any process still using its profile directory, and reaps the browser.
class Browser {
 public:
  explicit Browser(const fs::path& profile) : profile_(profile) {
    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    const std::string log = (profile_.parent_path() / "chromium.log").string();
    const std::vector<std::string> args = {
        kChromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run",
        "--disable-sync", "--disable-quic", "--hide-scrollbars", "--remote-debugging-pipe",
        "--user-data-dir=" + profile_.string(), "about:blank"};
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::setpgid(0, 0);
      // Move both ends above 4 first: a pipe end may itself be fd 3 or 4,
      // and dup2 onto itself would keep its close-on-exec flag.
      const int cmd = ::fcntl(in[0], F_DUPFD_CLOEXEC, 10);
      const int reply = ::fcntl(out[1], F_DUPFD_CLOEXEC, 10);
      if (cmd < 0 || reply < 0 || ::dup2(cmd, 3) < 0 || ::dup2(reply, 4) < 0) ::_exit(126);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(kChromium, argv.data());
      ::_exit(127);
    }
    ::setpgid(pid_, pid_);
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
    deadline_ = Clock::now() + kBrowserDeadline;
  }

  ~Browser() {
    if (to_ >= 0) ::close(to_);
    if (from_ >= 0) ::close(from_);
    ::kill(-pid_, SIGKILL);
    KillStragglers();
    int status;
    ::waitpid(pid_, &status, 0);
  }

  // Sends a command and returns its result, keeping events seen meanwhile.
  json Call(const std::string& method, json params = json::object(),
            const std::string& session = "") {
    const int id = ++next_id_;
    json msg = {{"id", id}, {"method", method}, {"params", std::move(params)}};
    if (!session.empty()) msg["sessionId"] = session;
    std::string wire = msg.dump();
    wire.push_back('\0');
    for (size_t done = 0; done < wire.size();) {
      const ssize_t n = ::write(to_, wire.data() + done, wire.size() - done);
      if (n < 0 && errno == EINTR) continue;
      REQUIRE_MESSAGE(n > 0, "writing to chromium: " << std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    for (;;) {
      json m = Next();
      if (m.contains("id") && m["id"] == id) {
        REQUIRE_MESSAGE(!m.contains("error"), method << ": " << m["error"].dump());
        return m.value("result", json::object());
      }
      events.push_back(std::move(m));
    }
  }

  // Waits for an event named `method` (it may already have arrived).
  json WaitEvent(const std::string& method) {
    return *WaitEventWhere([&](const json& e) { return e.value("method", "") == method; },
                           kBrowserDeadline);
  }

  // Waits up to `limit` for an event that `match` accepts (it may already
  // have arrived); nullopt when none came in time.
  std::optional<json> WaitEventWhere(const std::function<bool(const json&)>& match,
                                     Clock::duration limit) {
    const auto until = Clock::now() + limit;
    for (size_t i = 0;; ++i) {
      while (i < events.size()) {
        if (match(events[i])) return events[i];
        ++i;
      }
      std::optional<json> next = Next(until);
      if (!next) return std::nullopt;
      events.push_back(std::move(*next));
      --i;
    }
  }

  std::vector<json> events;

 private:
  json Next() { return *Next(deadline_); }

  // The next message, or nullopt once `until` has passed; past the
  // browser's deadline the test fails.
  std::optional<json> Next(Clock::time_point until) {
    for (;;) {
      const size_t end = buffer_.find('\0');
      if (end != std::string::npos) {
        json m = json::parse(buffer_.substr(0, end));
        buffer_.erase(0, end + 1);
        return m;
      }
      const auto now = Clock::now();
      REQUIRE_MESSAGE(now < deadline_,
                      "chromium did not answer within " << kBrowserDeadline.count() << "s");
      if (now >= until) return std::nullopt;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::min(until, deadline_) - now);
      pollfd p{from_, POLLIN, 0};
      const int r = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
      if (r < 0 && errno == EINTR) continue;
      char buf[65536];
      const ssize_t n = r > 0 ? ::read(from_, buf, sizeof buf) : 0;
      if (n < 0 && errno == EINTR) continue;
      const bool alive = n > 0 || r == 0;
      REQUIRE_MESSAGE(alive, "chromium closed the DevTools pipe; its log:\n" << LogTail());
      if (n > 0) buffer_.append(buf, static_cast<size_t>(n));
    }
  }

  std::string LogTail() {
    std::ifstream in(profile_.parent_path() / "chromium.log");
    std::string log((std::istreambuf_iterator<char>(in)), {});
    return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
  }

  // Chromium's helpers (zygote, renderer, GPU) may leave our process group:
  // find every process whose command line names our private profile.
  void KillStragglers() {
    const std::string marker = "--user-data-dir=" + profile_.string();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream in(entry.path() / "cmdline");
      std::string cmdline((std::istreambuf_iterator<char>(in)), {});
      if (cmdline.find(marker) != std::string::npos) ::kill(std::stoi(name), SIGKILL);
    }
  }

  fs::path profile_;
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  int next_id_ = 0;
  std::string buffer_;
  Clock::time_point deadline_;
};

// The probe runs in the page once it has loaded.
constexpr const char* kProbe = R"js(JSON.stringify((() => {
  const charts = [...document.querySelectorAll('svg.chart')];
  const lines = [...document.querySelectorAll('svg.chart polyline')];
  return {
    charts: charts.length,
    chartsWithSize: charts.filter(s => s.getBoundingClientRect().width > 300 &&
                                       s.getBoundingClientRect().height > 50).length,
    polylines: lines.length,
    drawnPolylines: lines.filter(p => p.points.numberOfItems > 1 &&
                                      p.getBBox().width > 0).length,
    faultBands: document.querySelectorAll('svg.chart g.band.fault rect').length,
    scripts: document.scripts.length,
    h1: (document.querySelector('h1') || {}).textContent || '',
    verdict: (document.querySelector('.verdict') || {}).textContent || ''
  };
})()))js";

// A fresh temporary directory, removed on destruction.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/faultline-browser-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  fs::path path;
};

// Loads `html` (written to a temporary file) in a fresh Chromium and reports
// every request, error and the probe's findings; with `screenshot` set, also
// saves a 1200x1600 PNG there. `after_load` runs once the page has loaded,
// with the browser still up (to wait for more events).
using AfterLoad = std::function<void(Browser&)>;
PageReport Open(const std::string& html, const fs::path& screenshot = {},
                const AfterLoad& after_load = {}) {
  REQUIRE_MESSAGE(::access(kChromium, X_OK) == 0,
                  kChromium << " not found: install chromium (tools/install-deps.sh)");
  TempDir tmp;
  const fs::path page = tmp.path / "report.html";
  std::ofstream(page) << html;
  const std::string url = "file://" + page.string();
  PageReport report;
  {
    Browser browser(tmp.path / "profile");
    const std::string target =
        browser.Call("Target.createTarget", {{"url", "about:blank"}})["targetId"];
    const std::string session = browser.Call("Target.attachToTarget",
                                             {{"targetId", target}, {"flatten", true}})["sessionId"];
    for (const char* domain : {"Network.enable", "Runtime.enable", "Log.enable", "Page.enable"})
      browser.Call(domain, json::object(), session);
    browser.Call("Emulation.setDeviceMetricsOverride",
                 {{"width", 1200}, {"height", 1600}, {"deviceScaleFactor", 1}, {"mobile", false}},
                 session);
    browser.Call("Page.navigate", {{"url", url}}, session);
    browser.WaitEvent("Page.loadEventFired");
    if (after_load) after_load(browser);
    const json probe = browser.Call(
        "Runtime.evaluate", {{"expression", kProbe}, {"returnByValue", true}}, session);
    REQUIRE_MESSAGE(probe["result"]["type"] == "string", probe.dump());
    report.probe = json::parse(probe["result"]["value"].get<std::string>());
    if (!screenshot.empty())
      report.screenshot = Base64Decode(
          browser.Call("Page.captureScreenshot", {{"format", "png"}}, session)["data"]);
    for (const auto& e : browser.events) {
      const std::string method = e.value("method", "");
      const json& p = e.contains("params") ? e["params"] : json::object();
      if (method == "Network.requestWillBeSent") {
        const std::string u = p["request"].value("url", "");
        if (u != url) report.requests.push_back(u);
      } else if (method == "Runtime.exceptionThrown") {
        report.errors.push_back("exception: " + p["exceptionDetails"].dump());
      } else if (method == "Runtime.consoleAPICalled" &&
                 (p.value("type", "") == "error" || p.value("type", "") == "assert")) {
        report.errors.push_back("console: " + p["args"].dump());
      } else if (method == "Log.entryAdded" && p["entry"].value("level", "") == "error") {
        report.errors.push_back("log: " + p["entry"].value("text", ""));
      }
    }
  }
  if (!screenshot.empty()) {
    fs::create_directories(screenshot.parent_path());
    std::ofstream(screenshot, std::ios::binary) << report.screenshot;
    std::ofstream(fs::path(screenshot).replace_extension(".html")) << html;
    MESSAGE("screenshot: " << screenshot.string());
  }
  return report;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + "\n";
  return s;
}

}  // namespace

TEST_CASE("report.html draws its charts in Chromium with no request and no error") {
  const std::string html = faultline::RenderHtml(faultline::testing::AbRun());
  const PageReport r = Open(html, fs::path(REPORT_ARTIFACT_DIR) / "report-ab.png");
  CHECK_MESSAGE(r.requests.empty(), Join(r.requests));
  CHECK_MESSAGE(r.errors.empty(), Join(r.errors));
  CHECK(r.probe["charts"] == 11);
  CHECK(r.probe["chartsWithSize"] == 11);
  CHECK(r.probe["drawnPolylines"].get<int>() >= 22);  // both variants on every chart
  CHECK(r.probe["drawnPolylines"] == r.probe["polylines"]);
  CHECK(r.probe["faultBands"] == 11);
  CHECK(r.probe["scripts"] == 0);
  CHECK(r.probe["verdict"] == "PASSED");
  // A PNG of the page, large enough to hold more than a blank page.
  CHECK(r.screenshot.substr(0, 8) == "\x89PNG\r\n\x1a\n");
  CHECK(r.screenshot.size() > 20000);
}

TEST_CASE("hostile strings in report.html stay text in Chromium") {
  const std::string html =
      faultline::RenderHtml(faultline::testing::HostileRun());
  const PageReport r = Open(html, fs::path(REPORT_ARTIFACT_DIR) / "report-hostile.png");
  CHECK_MESSAGE(r.requests.empty(), Join(r.requests));
  CHECK_MESSAGE(r.errors.empty(), Join(r.errors));
  CHECK(r.probe["scripts"] == 0);
  CHECK(r.probe["charts"] == r.probe["chartsWithSize"]);
  CHECK(r.probe["h1"].get<std::string>().find("name <script>alert(\"x&y\")</script></svg>") == 0);
  CHECK(r.probe["verdict"] == "ERROR");
}

// The two tests above are only as good as their detectors: show that a page
// that fetches something or logs an error is caught.
TEST_CASE("the browser check catches a request and a console error") {
  const PageReport r = Open(
      "<!DOCTYPE html><html><body><p>x</p><img src=\"http://127.0.0.1:9/x.png\">"
      "<script>console.error('boom')</script></body></html>");
  REQUIRE(r.requests.size() == 1);
  CHECK(r.requests[0] == "http://127.0.0.1:9/x.png");
  CHECK(Join(r.errors).find("boom") != std::string::npos);
}

// The report's Content-Security-Policy (default-src 'none'; img-src data:)
// must stop a fetch before it leaves the page: a loopback server that the
// fetch targets receives no connection, and Chromium reports the blocked
// fetch as a CSP violation, both as a "security" log entry naming the policy
// and as the request failing with blockedReason "csp". (Chromium still
// announces the request with Network.requestWillBeSent, so that alone
// proves nothing either way.)
TEST_CASE("the browser check catches a fetch the report's security policy blocks") {
  faultline::testing::LoopbackServer server;
  const std::string target = server.Url("/y.png");
  std::string html = faultline::RenderHtml(faultline::testing::AbRun());
  html.insert(html.find("</main>"), "<img src=\"" + target + "\">");
  std::vector<std::string> connections;
  std::optional<json> violation, blocked;
  const PageReport r = Open(html, {}, [&](Browser& browser) {
    // No connection may arrive, not even late: polled for 2 s after the load.
    connections = server.WaitForConnections(std::chrono::seconds(2));
    violation = browser.WaitEventWhere(
        [&](const json& e) {
          if (e.value("method", "") != "Log.entryAdded") return false;
          const json& entry = e["params"]["entry"];
          const std::string text = entry.value("text", "");
          return entry.value("source", "") == "security" &&
                 text.find("Content Security Policy") != std::string::npos &&
                 text.find(target) != std::string::npos;
        },
        std::chrono::seconds(5));
    std::string request_id;
    for (const auto& e : browser.events)
      if (e.value("method", "") == "Network.requestWillBeSent" &&
          e["params"]["request"].value("url", "") == target)
        request_id = e["params"].value("requestId", "");
    blocked = browser.WaitEventWhere(
        [&](const json& e) {
          return !request_id.empty() && e.value("method", "") == "Network.loadingFailed" &&
                 e["params"].value("requestId", "") == request_id;
        },
        std::chrono::seconds(5));
  });
  CHECK_MESSAGE(connections.empty(),
                "the blocked fetch reached " << target << ": " << Join(connections));
  REQUIRE_MESSAGE(violation.has_value(), "no CSP violation logged for " << target << "; errors:\n"
                                                                        << Join(r.errors));
  CHECK(violation->at("params").at("entry").value("level", "") == "error");
  CHECK(violation->at("params").at("entry").value("text", "").find("The action has been blocked") !=
        std::string::npos);
  REQUIRE_MESSAGE(blocked.has_value(), "no Network.loadingFailed for " << target);
  CHECK(blocked->at("params").value("blockedReason", "") == "csp");
}
