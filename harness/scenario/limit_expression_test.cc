// Limit expressions (limit_expression.h): a check's limit that follows the
// scenario's settings, resolved after --set; every error word for word.
#include "harness/scenario/limit_expression.h"

#include <doctest/doctest.h>

#include "harness/scenario/loader_test_util.h"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;

namespace {

// A scenario whose checks[0].limit, on line 16, is `limit` (a TOML value)
// and whose check is of `kind` (with the keys it needs).
std::string WithLimit(const std::string& limit, const std::string& kind = "growth") {
  const bool metric = kind == "max" || kind == "growth" || kind == "rate";
  // One line before the limit either way, so that it is always on line 16.
  const std::string line = metric ? "metric = \"threads\"\n"
                           : kind == "held" ? "frames = \"x\"\n"
                                            : "# no metric\n";
  return R"(target = { argv = ["t"] }
[load]
rate = 100
timeout = "5s"
[[phases]]
name = "base"
duration = "4s"
[[phases]]
name = "hang"
duration = "10s"
rate = 50
[[checks]]
name = "bounded"
kind = ")" + kind + "\"\n" + line +
         "limit = " + limit + "\n";
}

}  // namespace

TEST_CASE("a limit expression is a product of numbers - units and scenario settings") {
  Scenario s = Load(WithLimit("\"1.5 * ${load.rate} * 2s\""));
  CHECK(s.checks[0].limit == 300);
  CHECK(s.checks[0].limit_expression == "1.5 * ${load.rate} * 2s");
  // Left to right, with quotients; spaces are optional.
  CHECK(Load(WithLimit("\"${load.rate}*2/4\"")).checks[0].limit == 50);
  CHECK(Load(WithLimit("\"${load.rate} / 4 * 2\"")).checks[0].limit == 50);
  // Sizes are bytes, durations seconds.
  CHECK(Load(WithLimit("\"64KiB * 1.5 * ${load.rate} * 2s\"")).checks[0].limit ==
        64 * 1024 * 300);
  CHECK(Load(WithLimit("\"${load.timeout} * 1000ms * ${load.max_in_flight}\"")).checks[0].limit ==
        5 * 10000);
  // Phases by name, as --set names them; a phase without a rate has load.rate.
  CHECK(Load(WithLimit("\"${phases.hang.rate} * ${phases.hang.duration}\"")).checks[0].limit ==
        500);
  CHECK(Load(WithLimit("\"${phases.base.rate} * ${sampling.interval}\"")).checks[0].limit ==
        doctest::Approx(10));
  // One variable alone is an expression too.
  CHECK(Load(WithLimit("\"${load.rate}\"")).checks[0].limit == 100);
}

TEST_CASE("a limit expression is resolved after --set") {
  Scenario s = Load(WithLimit("\"1.5 * ${load.rate} * 2s\""), {"load.rate=400"});
  CHECK(s.checks[0].limit == 1200);
  s = Load(WithLimit("\"1.5 * ${phases.hang.rate} * 2\""), {"phases.hang.rate=10"});
  CHECK(s.checks[0].limit == 30);
  // The limit itself can be set to an expression.
  s = Load(WithLimit("300"), {"checks[0].limit=3 * ${load.rate}", "load.rate=7"});
  CHECK(s.checks[0].limit == 21);
  CHECK(s.checks[0].limit_expression == "3 * ${load.rate}");
}

TEST_CASE("plain limits are unchanged and carry no expression") {
  std::string text = WithLimit("\"20MiB\"");
  Scenario s = Load(text.replace(text.find("\"threads\""), 9, "\"rss_bytes\""));
  CHECK(s.checks[0].limit == 20 * 1024 * 1024);
  CHECK(s.checks[0].limit_expression.empty());
  CHECK(Load(WithLimit("300")).checks[0].limit_expression.empty());
  CHECK(Load(WithLimit("\"2.5s\"", "latency")).checks[0].limit == 2.5);
}

TEST_CASE("a limit on a metric in ms counts time in ms") {
  auto on = [](const std::string& metric, const std::string& limit) {
    std::string text = WithLimit(limit, "max");
    return text.replace(text.find("\"threads\""), 9, "\"" + metric + "\"");
  };
  CHECK(Load(on("loop_lag_ms", "\"50ms\"")).checks[0].limit == 50);
  CHECK(Load(on("sample_ms", "\"2s\"")).checks[0].limit == 2000);
  CHECK(Load(on("sample_ms", "\"${sampling.interval} / 2\"")).checks[0].limit == doctest::Approx(50));
  CHECK(Load(on("sample_ms", "\"${load.timeout} * 2\"")).checks[0].limit == doctest::Approx(10000));
  // A count stays a count: requests/ms x ms.
  CHECK(Load(on("loop_lag_ms", "\"1.5 * ${load.rate} * 2s\"")).checks[0].limit ==
        doctest::Approx(300));
  CHECK(Load(on("loop_lag_ms", "12")).checks[0].limit == 12);
  // A scraped series of no known unit takes seconds and bytes; a built-in
  // count takes neither.
  std::string scraped = on("queue_seconds", "\"2s\"");
  scraped.replace(0, scraped.find('\n'),
                  "target = { argv = [\"t\"], scrape = { metrics = { queue_seconds = "
                  "\"queue_wait_seconds\" } } }");
  CHECK(Load(scraped).checks[0].limit == 2);
  CHECK(Errors(on("threads", "\"2s\"")) ==
        std::vector<std::string>{"s.toml:16:9: checks[0].limit: \"threads\" is a count: a limit "
                                 "on it is a number, not a duration like \"2s\""});
  CHECK(Errors(on("rss_bytes", "\"2s\"")) ==
        std::vector<std::string>{"s.toml:16:9: checks[0].limit: \"rss_bytes\" is in bytes: a "
                                 "limit on it is a number or a size like \"20MiB\", not a "
                                 "duration like \"2s\""});
  CHECK(Errors(on("loop_lag_ms", "\"1MiB\"")) ==
        std::vector<std::string>{"s.toml:16:9: checks[0].limit: \"loop_lag_ms\" is in ms: a limit "
                                 "on it is a number or a duration like \"20ms\", not a size like "
                                 "\"1MiB\""});
}

// A recovers check's tolerance is read as a limit on its metric is: a size
// on "threads" once made "1KB" mean 1000 threads, and the check passed on a
// service that never recovered.
TEST_CASE("a tolerance takes the units of its metric as a limit does") {
  auto recovers = [](const std::string& metric, const std::string& tolerance) {
    std::string text = WithLimit("1", "max");
    text.replace(text.find("kind = \"max\""), 12, "kind = \"recovers\"");
    text.replace(text.find("\"threads\""), 9, "\"" + metric + "\"");
    text.replace(text.find("limit = 1"), 9,
                 "after = \"hang\"\nwithin = \"1s\"\ntolerance = " + tolerance);
    return text;
  };
  CHECK(Load(recovers("threads", "5")).checks[0].tolerance == 5);
  CHECK(Load(recovers("rss_bytes", "\"1KiB\"")).checks[0].tolerance == 1024);
  CHECK(Load(recovers("loop_lag_ms", "\"20ms\"")).checks[0].tolerance == 20);
  CHECK(Errors(recovers("threads", "\"1KB\"")) ==
        std::vector<std::string>{"s.toml:18:13: checks[0].tolerance: \"threads\" is a count: a "
                                 "tolerance on it is a number, not a size like \"1KB\""});
  CHECK(Errors(recovers("cpu_percent", "\"1MiB\"")) ==
        std::vector<std::string>{"s.toml:18:13: checks[0].tolerance: \"cpu_percent\" is a "
                                 "percentage: a tolerance on it is a number, not a size like "
                                 "\"1MiB\""});
}

TEST_CASE("latency and held expressions take only their units") {
  CHECK(Load(WithLimit("\"${load.timeout} / 2\"", "latency")).checks[0].limit == 2.5);
  CHECK(Load(WithLimit("\"500ms * 3\"", "latency")).checks[0].limit == 1.5);
  CHECK(Load(WithLimit("\"0 * ${load.rate}\"", "held")).checks[0].limit == 0);
}

TEST_CASE("limit expression errors name the check and the bad token") {
  struct Bad {
    std::string limit;
    std::string kind;
    std::string error;
    std::vector<std::string> overrides = {};
  };
  const std::string at = "s.toml:16:9: checks[0].limit: limit ";
  const Bad cases[] = {
      {"\"1.5 * ${load.rat} * 2s\"", "growth",
       at + "\"1.5 * ${load.rat} * 2s\" of check \"bounded\": unknown variable \"${load.rat}\" "
            "(did you mean \"load.rate\"?)"},
      {"\"${target.port} * 2\"", "growth",
       at + "\"${target.port} * 2\" of check \"bounded\": unknown variable \"${target.port}\" "
            "(expected one of: load.max_in_flight, load.rate, load.timeout, phases.base.duration, "
            "phases.base.rate, phases.hang.duration, phases.hang.rate, sampling.interval)"},
      {"\"1.5 * lots\"", "growth",
       at + "\"1.5 * lots\" of check \"bounded\": \"lots\" is not a number, a duration or a size"},
      {"\"2 * 20MiB\"", "latency",
       at + "\"2 * 20MiB\" of check \"bounded\": \"20MiB\" is not a number or a duration"},
      {"\"2s * ${load.rate}\"", "held",
       at + "\"2s * ${load.rate}\" of check \"bounded\": \"2s\" is not a number"},
      {"\"${load.rate} * \"", "growth",
       at + "\"${load.rate} * \" of check \"bounded\": expected a number, a duration, a size or "
            "${KEY} after \"*\""},
      {"\"/ 2\"", "growth",
       at + "\"/ 2\" of check \"bounded\": expected a number, a duration, a size or ${KEY} "
            "before \"/\""},
      {"\"2 ** 3\"", "growth",
       at + "\"2 ** 3\" of check \"bounded\": expected a number, a duration, a size or ${KEY} "
            "after \"*\""},
      {"\"2 * ${load.rate\"", "growth",
       at + "\"2 * ${load.rate\" of check \"bounded\": unclosed \"${\" in \"${load.rate\""},
      {"\"2 * ${}\"", "growth",
       at + "\"2 * ${}\" of check \"bounded\": empty variable name \"${}\""},
      {"\"300 / ${phases.hang.rate}\"", "growth",
       "s.toml:16:9: checks[0].limit: limit \"300 / ${phases.hang.rate}\" of check \"bounded\": "
       "division by zero: \"${phases.hang.rate}\" is 0",
       {"phases.hang.rate=0"}},
      {"\"-1 * ${load.rate}\"", "growth",
       at + "\"-1 * ${load.rate}\" of check \"bounded\": comes to -100: a limit must be a finite "
            "number >= 0"},
      {"\"1e300 * 1e300 * ${load.rate}\"", "growth",
       at + "\"1e300 * 1e300 * ${load.rate}\" of check \"bounded\": comes to inf: a limit must "
            "be a finite number >= 0"},
  };
  for (const Bad& c : cases) {
    CAPTURE(c.limit);
    CHECK(Errors(WithLimit(c.limit, c.kind), c.overrides) == std::vector<std::string>{c.error});
  }
}

TEST_CASE("an unnamed check's expression error names it by its path") {
  std::string text = WithLimit("\"${load.rat}\"");
  text.replace(text.find("name = \"bounded\"\n"), 17, "");
  CHECK(Errors(text) == std::vector<std::string>{
                            "s.toml:15:9: checks[0].limit: limit \"${load.rat}\": unknown "
                            "variable \"${load.rat}\" (did you mean \"load.rate\"?)"});
}

TEST_CASE("EvaluateLimitExpression on its own") {
  const std::map<std::string, double> vars = {{"load.rate", 200}};
  CHECK(*EvaluateLimitExpression("1.5*${load.rate}*2s", vars, LimitUnits::kAll) == 600);
  CHECK(*EvaluateLimitExpression("1KiB", vars, LimitUnits::kAll) == 1024);
  CHECK_FALSE(EvaluateLimitExpression("1KiB", vars, LimitUnits::kDurations).ok());
  CHECK(IsLimitExpression("${load.rate}"));
  CHECK(IsLimitExpression("2 * 3"));
  CHECK(IsLimitExpression("6/2"));
  CHECK_FALSE(IsLimitExpression("20MiB"));
  CHECK_FALSE(IsLimitExpression("2.5s"));
}
