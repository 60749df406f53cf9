// The readers of the processes: the target, the dependencies, readiness
// and the target's scrape table.
#include <string>

#include "harness/common/ip_address.h"
#include "harness/common/text.h"
#include "harness/scenario/metrics.h"
#include "harness/scenario/scenario_reader.h"
#include "harness/scrape/prometheus.h"

namespace faultline {

namespace {

// Whether a connection to `host` (an address ParseHostPort accepted) comes
// to a scenario proxy's listener on 127.0.0.1: that address, also written
// as IPv4-mapped IPv6 ("::ffff:127.0.0.1"), or 0.0.0.0, which Linux
// connects to the machine itself.
bool ReachesProxyListener(const std::string& host) {
  boost::system::error_code ec;
  const boost::asio::ip::address to = boost::asio::ip::make_address(host, ec);
  return !ec && Reaches(to, boost::asio::ip::address_v4::loopback());
}

}  // namespace

void ScenarioReader::ReadTarget(const toml::table& table) {
  using namespace keys;
  TableView t(r_, table, "target", schema::kTargetSchema);
  TargetSpec& target = s_.target;
  ReadProcess(t, kTargetProcess, &target, /*is_target=*/true);

  target.base_url = DefaultBaseUrl(target.name);
  if (const toml::node* n = t.Get(kTargetAttach)) {
    if (const toml::table* at = Table(*n, t.Path(kTargetAttach))) ReadAttach(*at, t);
  } else if (!t.Get(kTargetProcess.argv)) {
    r_.Error(t.Where(), t.Path(kTargetProcess.argv), "missing required key");
  }
  if (const toml::node* n = t.Get(kTargetScrape)) {
    if (const toml::table* st = Table(*n, t.Path(kTargetScrape))) {
      target.scrape.emplace();
      ReadScrape(*st, t.Path(kTargetScrape), target.name, &*target.scrape);
    }
  }
  if (const toml::node* n = t.Get(kTargetCensus)) {
    if (const toml::table* ct = Table(*n, t.Path(kTargetCensus))) {
      ReadTargetCensus(*ct, t.Path(kTargetCensus));
    }
  }
  if (auto v = t.Read(kTargetBaseUrl)) {
    if (v->rfind("http://", 0) != 0) {
      r_.Error(t.At(kTargetBaseUrl), t.Path(kTargetBaseUrl),
               "must start with \"http://\", got " + Quote(*v));
    } else {
      target.base_url = *v;
      // The load goes there: through the proxy when it names one.
      refs_.Variables(*v, t.At(kTargetBaseUrl), t.Path(kTargetBaseUrl), /*reaches_target=*/true);
    }
  } else if (target.attach && (target.attach->pid != 0 || !target.attach->pid_file.empty()) &&
             !t.Get(kTargetBaseUrl)) {
    r_.Error(t.Where(), t.Path(kTargetBaseUrl),
             "missing required key: a target attached by pid or pid_file has no known port, "
             "so the load needs its address (\"http://127.0.0.1:8080\")");
  }
}

// [target.attach]: exactly one of port, pid and pid_file; the keys that start
// or stop a process do not apply.
void ScenarioReader::ReadAttach(const toml::table& table, TableView& target) {
  using namespace keys;
  TableView t(r_, table, target.Path(kTargetAttach), schema::kAttachSchema);
  AttachSpec& attach = s_.target.attach.emplace();
  if (target.Get(kTargetProcess.argv)) {
    r_.Error(target.At(kTargetProcess.argv), target.Path(kTargetProcess.argv),
             "the target has both argv and attach: give argv to start it, or attach to sample "
             "one already running");
  }
  for (const auto& [node, name] :
       {std::pair{target.Get(kTargetProcess.env), "env"},
        std::pair{target.Get(kTargetProcess.ready), "ready"},
        std::pair{target.Get(kTargetProcess.stop_grace), "stop_grace"}}) {
    if (!node) continue;
    r_.Error(Pos(node->source()), JoinKey(target.path(), name),
             Quote(name) + " only applies to a target started from argv, not to an attached one");
  }
  int given = 0;
  if (auto v = t.Read(kAttachPort)) {
    ++given;
    if (*v > 65535) {
      r_.Error(t.At(kAttachPort), t.Path(kAttachPort),
               "expected a port number 1..65535, got " + std::to_string(*v));
    } else {
      attach.port = static_cast<uint16_t>(*v);
    }
  }
  if (auto v = t.Read(kAttachPid)) {
    ++given;
    // Linux's largest pid (PID_MAX_LIMIT, 2^22): a larger number is no pid,
    // and cut to pid_t it would name another process.
    constexpr int64_t kMaxPid = 4194304;
    if (*v > kMaxPid) {
      r_.Error(t.At(kAttachPid), t.Path(kAttachPid),
               "expected a pid 1.." + std::to_string(kMaxPid) + ", got " + std::to_string(*v));
    } else {
      attach.pid = *v;
    }
  }
  if (auto v = t.Read(kAttachPidFile)) {
    ++given;
    attach.pid_file = *v;
    refs_.Variables(*v, t.At(kAttachPidFile), t.Path(kAttachPidFile));
  }
  const bool present = t.Get(kAttachPort) || t.Get(kAttachPid) || t.Get(kAttachPidFile);
  if (!present) {
    r_.Error(t.Where(), t.path(), "needs one of port, pid or pid_file: the process to attach to");
  } else if (given > 1) {
    r_.Error(t.Where(), t.path(), "give only one of port, pid and pid_file");
  }
}

void ScenarioReader::ReadDependency(const toml::table& table, const std::string& key) {
  using namespace keys;
  TableView t(r_, table, key, schema::kDependencySchema);
  ProcessSpec dep;
  ReadProcess(t, kDependencyProcess, &dep, /*is_target=*/false);
  if (auto v = t.Read(kDependencyProxy)) {
    dep.proxy = *v;
    if (*v) refs_.Proxy(dep.name, t.KeyWhere(kDependencyProxy), t.Path(kDependencyProxy));
  } else if (t.Get(kDependencyProxy)) {
    dep.proxy = true;  // reported already, as protocol below
  }
  if (auto v = t.Read(kDependencyProtocol)) {
    dep.protocol = *v;
  } else if (t.Get(kDependencyProtocol)) {
    // Reported already: its HTTP faults and audit checks are not blamed on
    // it a second time (the scenario does not load either way).
    dep.protocol = ProcessSpec::Protocol::kHttp;
  }
  const std::string who = "dependency " + Quote(dep.name.empty() ? key : dep.name);
  if (auto v = t.Read(kDependencyListen)) {
    if (!dep.proxy) {
      r_.Error(t.At(kDependencyListen), t.Path(kDependencyListen),
               "\"listen\" is the port of " + who + "'s fault proxy: set proxy = true too");
    } else if (*v > 65535) {
      r_.Error(t.At(kDependencyListen), t.Path(kDependencyListen),
               "expected a port number 1..65535, got " + std::to_string(*v));
    } else if (auto [at, fresh] = listen_ports_.emplace(*v, who); !fresh) {
      r_.Error(t.At(kDependencyListen), t.Path(kDependencyListen),
               "listen = " + std::to_string(*v) + " is the port of " + at->second +
                   "'s fault proxy too: each proxy needs a port of its own");
    } else {
      dep.listen = static_cast<uint16_t>(*v);
    }
  }
  if (t.Get(kDependencyProtocol) && !dep.proxy) {
    r_.Warning(t.At(kDependencyProtocol), t.Path(kDependencyProtocol),
               "\"protocol\" is what " + who + "'s fault proxy reads: without proxy = true it "
               "has no effect");
  }
  if (auto v = t.Read(kDependencyAddress)) {
    std::string error;
    if (t.Get(kDependencyProcess.argv)) {
      r_.Error(t.At(kDependencyAddress), t.Path(kDependencyAddress),
               who + " has both argv and address: give argv to start it, or address to use one "
                     "already running");
    } else if (auto at = ParseHostPort(*v, /*allow_any_port=*/false, &error); !at) {
      r_.Error(t.At(kDependencyAddress), t.Path(kDependencyAddress), error);
    } else if (dep.listen != 0 && dep.listen == at->port && ReachesProxyListener(at->host)) {
      // The proxy listens on 127.0.0.1:listen: it would forward to itself.
      r_.Error(t.At(kDependencyListen), t.Path(kDependencyListen),
               "listen = " + std::to_string(dep.listen) + " is " + who + "'s own address " +
                   Quote(*v) + ": its fault proxy would connect to itself; the proxy needs a "
                   "port of its own, which the target calls instead");
    } else {
      dep.address = *v;
      dep.check_ready = t.Get(kDependencyProcess.ready) != nullptr;
      if (dep.ready.kind == Readiness::Kind::kLogLine) {
        r_.Error(t.At(kDependencyProcess.ready), t.Path(kDependencyProcess.ready),
                 who + " is external: it has no output to read, so its ready kind must be " +
                     "\"tcp\" or \"http\"");
      }
      for (const auto& [node, name] : {std::pair{t.Get(kDependencyProcess.env), "env"},
                                       std::pair{t.Get(kDependencyProcess.stop_grace),
                                                 "stop_grace"}}) {
        if (!node) continue;
        r_.Error(Pos(node->source()), JoinKey(t.path(), name),
                 Quote(name) + " only applies to a dependency started from argv, not to " + who +
                     " at an address");
      }
    }
  } else if (!t.Get(kDependencyAddress) && !t.Get(kDependencyProcess.argv)) {
    r_.Error(t.Where(), t.path(),
             who + " needs argv (a program to start) or address (\"host:port\" of one already "
                   "running)");
  }
  s_.dependencies.push_back(std::move(dep));
}

namespace {


// "setup" or "teardown" when `name` is setup-N or teardown-N: the names of
// the variants' hooks, their logs and their rows in results.json.
std::string HookKind(const std::string& name) {
  for (const std::string hook : {"setup", "teardown"}) {
    const std::string prefix = hook + "-";
    if (name.size() > prefix.size() && name.starts_with(prefix) &&
        name.find_first_not_of("0123456789", prefix.size()) == std::string::npos)
      return hook;
  }
  return "";
}

}  // namespace

void ScenarioReader::ReadProcess(TableView& t, const keys::ProcessKeys& k, ProcessSpec* p,
                                 bool is_target) {
  const std::string owner = is_target ? "the target" : t.path();
  constexpr auto kProcess = CrossReferences::Names::kProcess;
  if (auto v = t.Read(k.name)) {
    p->name = *v;
    if (const std::string hook = HookKind(*v); !hook.empty()) {
      r_.Error(t.At(k.name), t.Path(k.name),
               "process name " + Quote(*v) + " is reserved for the variants' " + hook +
                   " commands; choose another");
    } else {
      refs_.Unique(kProcess, *v, owner, t.At(k.name), t.Path(k.name));
    }
  } else if (const toml::node* n = t.Get(k.name); n && n->is_string()) {
    // An invalid name is reported already: what refers to it by that name is
    // not blamed a second time (the scenario does not load either way).
    p->name = n->as_string()->get();
  } else if (is_target && !n) {
    refs_.Unique(kProcess, p->name, owner, t.Where(), t.Path(k.name));
  }

  std::vector<Element> argv;
  if (auto v = t.Read(k.argv, &argv)) {
    if (v->empty()) {
      r_.Error(t.At(k.argv), t.Path(k.argv),
               "expected a non-empty array of strings (the program and its arguments), got an "
               "empty array");
    } else if (argv.front().text.empty()) {
      r_.Error(argv.front().where, argv.front().key,
               "the program is empty: name it (\"orders-service\", \"python3\", a path)");
    }
    Variables(argv, is_target);
    p->argv = std::move(*v);
  }

  std::vector<Element> env;
  if (auto v = t.Read(k.env, &env)) p->env = std::move(*v);
  Variables(env, is_target);

  p->ready.port = PortVariable(p->name);
  if (const toml::node* n = t.Get(k.ready)) {
    if (const toml::table* rt = Table(*n, t.Path(k.ready))) {
      ReadReady(*rt, t.Path(k.ready), p->name, &p->ready);
    }
  }

  if (auto v = t.Read(k.stop_grace)) p->stop_grace = *v;
}

void ScenarioReader::ReadReady(const toml::table& table, const std::string& key,
                               const std::string& process, Readiness* ready) {
  using namespace keys;
  TableView t(r_, table, key, schema::kReadySchema);
  bool known = true;  // the default kind, unless the file names a kind that does not exist
  if (t.Get(kReadyKind)) {
    auto k = t.Read(kReadyKind);
    if (k) ready->kind = *k;
    known = k.has_value();
  }
  if (known) t.SetKind(static_cast<int>(ready->kind));

  if (const toml::node* n = t.Get(kReadyPort)) ReadPort(*n, t.Path(kReadyPort), process, &ready->port);
  if (auto v = t.Read(kReadyPath)) ready->path = *v;
  if (auto v = t.Read(kReadyStatus)) {
    if (*v < 100 || *v > 599) {
      r_.Error(t.At(kReadyStatus), t.Path(kReadyStatus),
               "expected an HTTP status 100..599, got " + std::to_string(*v));
    } else {
      ready->status = static_cast<int>(*v);
    }
  }
  if (auto v = t.Read(kReadyLogLine)) ready->log_line = *v;
  if (auto v = t.Read(kReadyTimeout)) ready->timeout = *v;
}

// A port: a number 1..65535, as an integer or a string, or a string with
// variables (checked with the others once every name is known).
void ScenarioReader::ReadPort(const toml::node& n, const std::string& path,
                              const std::string& process, std::string* port) {
  if (const auto* i = n.as_integer()) {
    if (i->get() < 1 || i->get() > 65535) {
      r_.Error(Pos(n.source()), path,
               "expected a port number 1..65535, got " + std::to_string(i->get()));
    } else {
      *port = std::to_string(i->get());
    }
  } else if (const auto* s = n.as_string()) {
    const std::string& text = s->get();
    const bool has_variable = text.find("${") != std::string::npos;
    const bool is_number =
        IsDigits(text) && text.size() <= 5 && std::stoi(text) >= 1 && std::stoi(text) <= 65535;
    if (!has_variable && !is_number) {
      r_.Error(Pos(n.source()), path,
               "expected a port number 1..65535 or a variable like " +
                   Quote(PortVariable(process)) + ", got " + Quote(text));
    } else {
      *port = text;
      refs_.Variables(text, Pos(n.source()), path);
    }
  } else {
    r_.Error(Pos(n.source()), path,
             "expected a port number or a string like " + Quote(PortVariable(process)) +
                 ", got " + Describe(n));
  }
}

void ScenarioReader::ReadScrape(const toml::table& table, const std::string& key,
                                const std::string& process, ScrapeSpec* scrape) {
  using namespace keys;
  TableView t(r_, table, key, schema::kScrapeSchema);
  scrape->port = PortVariable(process);
  if (const toml::node* n = t.Get(kScrapePort)) {
    ReadPort(*n, t.Path(kScrapePort), process, &scrape->port);
  }
  if (auto v = t.Read(kScrapePath)) scrape->path = *v;
  if (auto v = t.Read(kScrapeTimeout)) {
    scrape->timeout = *v;
    scrape_timeout_site_ = {t.At(kScrapeTimeout), t.Path(kScrapeTimeout)};
  }
  std::vector<Element> entries;
  if (auto v = t.Read(kScrapeMetrics, &entries)) scrape->metrics = std::move(*v);
  Variables(entries);
  if (!t.Get(kScrapeMetrics)) return;  // reported missing by Read
  for (const Element& e : entries) {
    if (IsReservedMetricName(e.name)) {
      r_.Error(e.where, e.key,
               Quote(e.name) + " is a built-in metric or a results.json key; choose another name");
    } else if (HasControlCharacter(e.name)) {
      r_.Error(e.where, e.key,
               "a series name is one line of text, without control characters: " + Quote(e.name));
    }
    auto parsed = ParseSelector(e.text);
    if (!parsed.ok()) r_.Error(e.where, e.key, parsed.status().message());
  }
  if (scrape->metrics.empty()) {
    r_.Error(t.At(kScrapeMetrics), t.Path(kScrapeMetrics),
             "names no metric: add entries like goroutines = \"go_goroutines\"");
  }
}

}  // namespace faultline
