#include "harness/common/units.h"

#include <doctest/doctest.h>

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("durations parse with every unit") {
  CHECK(*ParseDuration("250ms") == 250ms);
  CHECK(*ParseDuration("2s") == 2s);
  CHECK(*ParseDuration("1.5s") == 1500ms);
  CHECK(*ParseDuration("3m") == 180s);
  CHECK(*ParseDuration("1h") == 3600s);
  CHECK(*ParseDuration("10us") == 10us);
  CHECK(*ParseDuration("7ns") == 7ns);
  CHECK(*ParseDuration("0s") == 0s);
}

TEST_CASE("bad durations say why") {
  std::string err;
  CHECK_FALSE(ParseDuration("2", &err));
  CHECK(err == "missing unit in \"2\" (use ns, us, ms, s, m or h)");
  CHECK_FALSE(ParseDuration("2sec", &err));
  CHECK(err == "unknown duration unit \"sec\" (use ns, us, ms, s, m or h)");
  CHECK_FALSE(ParseDuration("-1s", &err));
  CHECK(err == "expected a number with a unit, like \"2s\" or \"64KiB\"");
  CHECK_FALSE(ParseDuration("1.2.3s", &err));
  CHECK(err == "\"1.2.3\" is not a number");
  CHECK_FALSE(ParseDuration("", &err));
}

TEST_CASE("sizes parse in decimal and binary units") {
  CHECK(*ParseSize("64KiB") == 65536);
  CHECK(*ParseSize("1MB") == 1000000);
  CHECK(*ParseSize("1.5MiB") == 1572864);
  CHECK(*ParseSize("12B") == 12);
  std::string err;
  CHECK_FALSE(ParseSize("12kb", &err));
  CHECK(err == "unknown size unit \"kb\" (use B, KB, MB, GB, KiB, MiB or GiB)");
  CHECK(*ParseSize("9000000000GB") == 9000000000000000000u);
  CHECK_FALSE(ParseSize("10000000000GB", &err));  // past 2^63: no wrap to a smaller size
  CHECK(err == "size \"10000000000GB\" is too large (at most 9.2e18 bytes)");
}

TEST_CASE("durations format back to what a user writes") {
  CHECK(FormatDuration(250ms) == "250ms");
  CHECK(FormatDuration(2s) == "2s");
  CHECK(FormatDuration(1500ms) == "1.5s");
  CHECK(FormatDuration(120s) == "2m");
  CHECK(FormatBytes(512) == "512 B");
  CHECK(FormatBytes(3 * 1024 * 1024) == "3.0 MiB");
}
