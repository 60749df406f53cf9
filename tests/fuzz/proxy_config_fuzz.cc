// Fuzz target: the stand-alone proxy's file (LoadProxyConfigText), the path
// `faultline proxy --config FILE.toml` takes before it binds anything.
// Contracts checked: it never throws; it returns either at least one proxy
// or an Invalid status, never an empty success; every error line names the
// file; and what it accepts is what the proxy server relies on without
// checking again: unique non-empty names, a listen address that parses
// with port 0 allowed, an upstream that parses without it, no HTTP fault on
// a TCP proxy, fault names unique and non-empty per proxy, fractions in
// 0..1, and no scenario-only `dependency`.

#include <cstddef>
#include <cstdint>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "harness/scenario/proxy_config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = faultline::LoadProxyConfigText(text, "fuzz.toml");
  if (!loaded.ok()) {
    FUZZ_CHECK(loaded.status().code() == faultline::Status::Code::kInvalid);
    FUZZ_CHECK(!loaded.status().message().empty());
    std::istringstream lines(loaded.status().message());
    for (std::string line; std::getline(lines, line);) {
      FUZZ_CHECK(line.rfind("fuzz.toml", 0) == 0);
    }
    return 0;
  }
  FUZZ_CHECK(!loaded->empty());
  std::set<std::string> names;
  for (const faultline::ProxyConfigEntry& entry : *loaded) {
    FUZZ_CHECK(!entry.name.empty());
    FUZZ_CHECK(names.insert(entry.name).second);
    std::string error;
    FUZZ_CHECK(faultline::ParseHostPort(entry.listen, /*allow_any_port=*/true, &error));
    FUZZ_CHECK(faultline::ParseHostPort(entry.upstream, /*allow_any_port=*/false, &error));
    std::set<std::string> fault_names;
    for (const faultline::FaultSpec& fault : entry.faults) {
      FUZZ_CHECK(entry.http || !faultline::IsHttpFault(fault.kind));
      FUZZ_CHECK(!fault.name.empty());
      FUZZ_CHECK(fault_names.insert(fault.name).second);
      FUZZ_CHECK(fault.fraction >= 0 && fault.fraction <= 1);
      FUZZ_CHECK(fault.dependency.empty());
    }
  }
  return 0;
}
