#include "harness/scenario/scenario.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstdlib>
#include <set>

#include "harness/common/text.h"
#include "harness/scenario/schema.h"

namespace faultline {
namespace {

// The spelling of `value` among the schema's allowed values.
const char* Spell(const schema::ChoiceList& list, int value) {
  const schema::Choice* c = schema::FindChoice(list, value);
  return c ? c->name.data() : "?";  // the names are string literals
}

}  // namespace

std::string PortVariable(std::string_view process) {
  return "${port." + std::string(process) + "}";
}

std::string DefaultBaseUrl(std::string_view target) {
  return "http://127.0.0.1:" + PortVariable(target);
}

std::string AttachSpec::Describe() const {
  if (port != 0) return "the process listening on port " + std::to_string(port);
  if (pid != 0) return "pid " + std::to_string(pid);
  return "the pid in " + Quote(pid_file);
}

FaultSpec::Main FaultSpec::MainValue(Kind kind) {
  switch (kind) {
    case Kind::kLatency: return Main::kLatency;
    case Kind::kBandwidth: return Main::kRate;
    case Kind::kSlowClose: return Main::kDelay;
    case Kind::kSlicer: return Main::kDelay;
    case Kind::kTimeout: return Main::kTimeout;
    case Kind::kResetPeer: return Main::kTimeout;
    case Kind::kLimitData: return Main::kBytes;
    case Kind::kHang:
    case Kind::kReset:
    case Kind::kRefuse:
    case Kind::kConnectHang:
    case Kind::kAbort:
    case Kind::kDelay:
    case Kind::kSlowBody:
    case Kind::kHangRequest: break;
  }
  return Main::kNone;
}

std::string FaultSpec::EffectiveName() const { return name.empty() ? ToString(kind) : name; }

void FaultSpec::SetMain(int64_t v) {
  const uint64_t u = v < 0 ? 0 : static_cast<uint64_t>(v);
  switch (MainValue(kind)) {
    case Main::kLatency: latency = Duration(v); break;
    case Main::kRate: rate = u; break;
    case Main::kDelay: delay = Duration(v); break;
    case Main::kTimeout: timeout = Duration(v); break;
    case Main::kBytes: bytes = u; break;
    case Main::kNone: break;
  }
}

std::optional<HostPort> ParseHostPort(std::string_view text, bool allow_any_port,
                                      std::string* error) {
  const std::string t(text);
  // "[::1]" has no port; "::1:5432" is an IPv6 address without its brackets.
  if (!t.empty() && t.front() == '[' && t.back() == ']') {
    *error = "expected \"host:port\", got " + Quote(t) + ": no port after the ]";
    return std::nullopt;
  }
  if (t.find(':') != t.rfind(':') && t.find('[') == std::string::npos) {
    *error = "write an IPv6 address in brackets with its port (\"[::1]:5432\"), got " + Quote(t);
    return std::nullopt;
  }
  const size_t colon = t.rfind(':');
  std::string host = colon == std::string::npos ? "" : t.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : t.substr(colon + 1);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  if (host.empty() || port.empty()) {
    *error = "expected \"host:port\", got " + Quote(t);
    return std::nullopt;
  }
  if (host == "localhost") host = "127.0.0.1";
  unsigned char buf[16];
  const bool v4 = !bracketed && ::inet_pton(AF_INET, host.c_str(), buf) == 1;
  const bool v6 = bracketed && ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
  if (!v4 && !v6) {
    *error = "host " + Quote(host) + " in " + Quote(t) +
             " is not an IP address (write IPv6 as \"[::1]:port\"; names other than localhost "
             "are not looked up)";
    return std::nullopt;
  }
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  const long least = allow_any_port ? 0 : 1;
  if (*end != '\0' || port.size() > 5 || p < least || p > 65535) {
    *error = "bad port " + Quote(port) + " in " + Quote(t) + ": expected " +
             std::to_string(least) + "..65535";
    return std::nullopt;
  }
  return HostPort{host, static_cast<uint16_t>(p)};
}

uint64_t ProxySeed(uint64_t scenario_seed, std::string_view dependency) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : dependency) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  uint64_t z = h ^ scenario_seed;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double ScheduledChanges(const std::vector<FaultSpec>& faults, Duration duration) {
  double changes = 0;
  for (const FaultSpec& f : faults) {
    if (f.ramp) changes += f.ramp->steps - 1;
    if (f.flap && (f.flap->on + f.flap->off).count() > 0) {
      changes += 2 * std::ceil(static_cast<double>(duration.count()) /
                               static_cast<double>((f.flap->on + f.flap->off).count()));
    }
  }
  return changes;
}

void NameFaults(std::vector<FaultSpec>* faults) {
  std::set<std::string> taken;
  for (const FaultSpec& f : *faults) {
    if (!f.name.empty()) taken.insert(f.name);
  }
  for (FaultSpec& f : *faults) {
    if (!f.name.empty()) continue;
    const std::string base = ToString(f.kind);
    std::string name = base;
    for (int i = 2; taken.count(name); ++i) name = base + "_" + std::to_string(i);
    f.name = name;
    taken.insert(name);
  }
}

const char* ToString(FaultSpec::Kind kind) {
  return Spell(schema::kFaultKinds, static_cast<int>(kind));
}

const char* ToString(Variant::Expect expect) {
  return Spell(schema::kExpectations, static_cast<int>(expect));
}

const char* ToString(Readiness::Kind kind) {
  return Spell(schema::kReadyKinds, static_cast<int>(kind));
}

const char* ToString(FaultSpec::Direction direction) {
  return Spell(schema::kDirections, static_cast<int>(direction));
}

const char* ToString(ProcessSpec::Protocol protocol) {
  return Spell(schema::kProtocols, static_cast<int>(protocol));
}

const char* ToString(FaultSpec::On on) { return Spell(schema::kDelayOn, static_cast<int>(on)); }

bool IsHttpFault(FaultSpec::Kind kind) {
  using K = FaultSpec::Kind;
  return kind == K::kAbort || kind == K::kDelay || kind == K::kSlowBody || kind == K::kHangRequest;
}

}  // namespace faultline
