#include "harness/proxyd/toxic_json.h"

#include <doctest/doctest.h>

namespace faultline {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

ProxyFault Parse(const char* text) {
  ApiResult<ProxyFault> r = ToxicFromJson(json::parse(text));
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  return *r;
}

TEST_CASE("a toxic takes Toxiproxy's defaults: downstream - toxicity 1 - name type_stream") {
  ProxyFault f = Parse(R"({"type": "latency", "attributes": {"latency": 100, "jitter": 5}})");
  CHECK(f.kind == ProxyFault::Kind::kLatency);
  CHECK(f.direction == ProxyFault::Direction::kDownstream);
  CHECK(f.fraction == 1.0);
  CHECK(f.name == "latency_downstream");
  CHECK(f.latency == 100ms);
  CHECK(f.jitter == 5ms);
  CHECK(Parse(R"({"type": "timeout", "stream": "upstream"})").name == "timeout_upstream");
  CHECK(Parse(R"({"type": "hang", "name": "stuck", "toxicity": 0.25})").fraction == 0.25);
}

TEST_CASE("each Toxiproxy attribute maps onto its ProxyFault field in Toxiproxy's unit") {
  CHECK(Parse(R"({"type": "bandwidth", "attributes": {"rate": 100}})").bytes_per_second ==
        100000);
  CHECK(Parse(R"({"type": "slow_close", "attributes": {"delay": 250}})").delay == 250ms);
  CHECK(Parse(R"({"type": "timeout", "attributes": {"timeout": 1500}})").timeout == 1500ms);
  CHECK(Parse(R"({"type": "reset_peer", "attributes": {"timeout": 10}})").timeout == 10ms);
  ProxyFault slicer = Parse(
      R"({"type": "slicer", "attributes": {"average_size": 64, "size_variation": 8, "delay": 20}})");
  CHECK(slicer.slice_bytes == 64);
  CHECK(slicer.slice_variation == 8);
  CHECK(slicer.delay == 20us);
  CHECK(Parse(R"({"type": "limit_data", "attributes": {"bytes": 4096}})").bytes == 4096);
  CHECK(Parse(R"({"type": "connect_hang"})").kind == ProxyFault::Kind::kConnectHang);
}

TEST_CASE("the largest attribute values are taken as they are") {
  constexpr int64_t kNs = 1'000'000'000'000'000'000;  // 1e18 ns: about 31.7 years
  CHECK(Parse(R"({"type": "latency", "attributes": {"latency": 1e12}})").latency.count() == kNs);
  CHECK(Parse(R"({"type": "slicer", "attributes": {"delay": 1e15}})").delay.count() == kNs);
  CHECK(Parse(R"({"type": "limit_data", "attributes": {"bytes": 1e18}})").bytes ==
        1'000'000'000'000'000'000u);
}

TEST_CASE("a toxic renders back to the JSON it came from") {
  const char* texts[] = {
      R"({"attributes":{"jitter":5,"latency":100},"name":"lat","stream":"upstream","toxicity":0.5,"type":"latency"})",
      R"({"attributes":{"rate":100},"name":"bandwidth_downstream","stream":"downstream","toxicity":1.0,"type":"bandwidth"})",
      R"({"attributes":{"average_size":64,"delay":20,"size_variation":8},"name":"s","stream":"downstream","toxicity":1.0,"type":"slicer"})",
      R"({"attributes":{},"name":"reset","stream":"both","toxicity":1.0,"type":"reset"})",
  };
  for (const char* text : texts) {
    CAPTURE(text);
    CHECK(ToxicToJson(Parse(text)).dump() == json::parse(text).dump());
  }
}

TEST_CASE("an update merges attributes and toxicity and ignores the rest") {
  ProxyFault f = Parse(R"({"type": "latency", "attributes": {"latency": 100, "jitter": 5}})");
  ApiResult<ProxyFault> u = UpdatedToxic(
      f, json::parse(R"({"attributes": {"latency": 300}, "toxicity": 0.5, "type": "hang"})"));
  REQUIRE(u.ok());
  CHECK(u->latency == 300ms);
  CHECK(u->jitter == 5ms);
  CHECK(u->fraction == 0.5);
  CHECK(u->kind == ProxyFault::Kind::kLatency);
  CHECK(UpdatedToxic(f, json::parse("{}"))->fraction == 1.0);
}

TEST_CASE("an HTTP fault from the proxy file takes a new toxicity but not new attributes") {
  ProxyFault abort;
  abort.kind = ProxyFault::Kind::kAbort;
  abort.status = 503;
  ApiResult<ProxyFault> u = UpdatedToxic(abort, json::parse(R"({"toxicity": 0.25})"));
  REQUIRE(u.ok());
  CHECK(u->fraction == 0.25);
  CHECK(u->status == 503);
  ApiResult<ProxyFault> refused =
      UpdatedToxic(abort, json::parse(R"({"attributes": {"status": 500}})"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().status == 400);
  CHECK(refused.error().message ==
        "bad request body: attributes.status: the attributes of an HTTP fault (abort) are set in "
        "the proxy's --config file; over the API only its toxicity changes");
}

TEST_CASE("toxic errors are 400s that say what is wrong") {
  struct Case {
    const char* body;
    const char* message;
  };
  const Case cases[] = {
      {R"({"type": "lag"})", "invalid toxic type"},
      {R"({})", "invalid toxic type"},
      {R"({"type": "latency", "stream": "sideways"})",
       "stream was invalid, can be either upstream or downstream"},
      {R"([1])", "bad request body: expected a JSON object"},
      {R"({"type": 5})", "bad request body: type: expected a string"},
      {R"({"type": "latency", "toxicity": 1.5})",
       "bad request body: toxicity: expected a number from 0 to 1, got 1.5"},
      {R"({"type": "latency", "attributes": {"latncy": 1}})",
       "bad request body: attributes.latncy: not an attribute of a latency toxic (it has "
       "\"latency\" or \"jitter\") (did you mean \"latency\"?)"},
      {R"({"type": "hang", "attributes": {"timeout": 1}})",
       "bad request body: attributes.timeout: not an attribute of a hang toxic (it has none)"},
      {R"({"type": "latency", "attributes": {"latency": -1}})",
       "bad request body: attributes.latency: expected a number >= 0, got -1"},
      {R"({"type": "latency", "attributes": {"latency": "1s"}})",
       "bad request body: attributes.latency: expected a number >= 0, got \"1s\""},
      {R"({"type": "latency", "attributes": {"latency": 1e13}})",
       "bad request body: attributes.latency: expected a number from 0 to 1000000000000, got "
       "10000000000000.0"},
      {R"({"type": "slow_close", "attributes": {"delay": 1e13}})",
       "bad request body: attributes.delay: expected a number from 0 to 1000000000000, got "
       "10000000000000.0"},
      {R"({"type": "slicer", "attributes": {"average_size": 1e300}})",
       "bad request body: attributes.average_size: expected a number from 0 to "
       "1000000000000000000, got 1e+300"},
      {R"({"type": "bandwidth", "attributes": {"rate": 1e16}})",
       "bad request body: attributes.rate: expected a number from 0 to 1000000000000000, got "
       "1e+16"},
      {R"({"type": "latency", "attributes": 3})",
       "bad request body: attributes: expected a JSON object"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.body);
    ApiResult<ProxyFault> r = ToxicFromJson(json::parse(c.body));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().status == 400);
    CHECK(r.error().message == c.message);
  }
}

}  // namespace
}  // namespace faultline
