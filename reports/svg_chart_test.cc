#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "reports/sample_results.h"
#include "reports/svg_chart.h"

using namespace faultline;
using faultline::testing::Count;

TEST_CASE("downsampling an hour of samples keeps a one-sample spike and dip") {
  std::vector<double> t, v;
  for (int i = 0; i < 36000; ++i) {
    t.push_back(i * 0.1);
    v.push_back(100);
  }
  v[17777] = 5000;  // a spike in the middle of some bucket
  v[20003] = 3;     // and a dip
  auto out = DownsampleMinMax(t, v, 0, 3600, kChartBuckets);
  CHECK(out.size() <= 2 * kChartBuckets);
  CHECK(out.size() >= kChartBuckets);
  auto has = [&](double tt, double vv) {
    return std::any_of(out.begin(), out.end(),
                       [&](const ChartPoint& p) { return p.t == tt && p.v == vv; });
  };
  CHECK(has(t[17777], 5000));
  CHECK(has(t[20003], 3));
  CHECK(std::is_sorted(out.begin(), out.end(),
                       [](const ChartPoint& a, const ChartPoint& b) { return a.t < b.t; }));
}

TEST_CASE("downsampling leaves short series alone and marks empty buckets as gaps") {
  std::vector<double> t = {0, 1, 2}, v = {1, NAN, 3};
  auto same = DownsampleMinMax(t, v, 0, 3, kChartBuckets);
  REQUIRE(same.size() == 3);
  CHECK(std::isnan(same[1].v));

  std::vector<double> lt, lv;
  for (int i = 0; i < 1000; ++i) {
    lt.push_back(i);
    lv.push_back(i >= 400 && i < 600 ? NAN : 1.0);
  }
  auto out = DownsampleMinMax(lt, lv, 0, 1000, 10);
  CHECK(std::count_if(out.begin(), out.end(), [](const ChartPoint& p) { return std::isnan(p.v); }) == 2);
}

TEST_CASE("a chart draws a polyline per line - bands and exact values on hover") {
  Chart chart;
  chart.title = "Threads";
  chart.t_end = 3;
  chart.bands = {{0, 1, "baseline", false}, {1, 3, "hang: hang inventory", true}};
  chart.lines = {{"propagating", "#0072B2", {0, 1, 2}, {6, 200, 206}},
                 {"naive", "#D55E00", {0, 1, 2}, {6, 400, 959}}};
  const std::string svg = RenderSvgChart(chart);
  CHECK(Count(svg, "<polyline") == 2);
  CHECK(svg.find("stroke=\"#0072B2\"") != std::string::npos);
  CHECK(svg.find("class=\"band fault\"") != std::string::npos);
  CHECK(svg.find(">hang: hang inventory</text>") != std::string::npos);
  CHECK(svg.find("t 2.0-3.0 s\npropagating: 206\nnaive: 959</title>") != std::string::npos);
  CHECK(Count(svg, "<svg") == 1);
  CHECK(Count(svg, "</svg>") == 1);
}

// Seven per-second rows of a 9 s run: a slice per second, each with its
// own row's value, not seven 1.3 s slices that mix two seconds.
TEST_CASE("hover slices of a few rows hold one row each") {
  Chart chart;
  chart.title = "requests/s";
  chart.t_end = 9;
  chart.lines = {{"ok", "#0072B2", {0, 1, 2, 3, 4, 5, 6}, {100, 0, 100, 0, 100, 0, 100}}};
  const std::string svg = RenderSvgChart(chart);
  CHECK(svg.find(" to ") == std::string::npos);
  CHECK(svg.find("t 1.0-2.0 s\nok: 0</title>") != std::string::npos);
  CHECK(svg.find("t 2.0-3.0 s\nok: 100</title>") != std::string::npos);
}

TEST_CASE("a chart of 10 minutes or more steps its time axis in whole minutes") {
  Chart chart;
  chart.title = "Threads";
  chart.t_end = 700;
  chart.lines = {{"a", "#0072B2", {0, 350, 700}, {1, 2, 3}}};
  const std::string svg = RenderSvgChart(chart);
  for (const char* label : {">0m<", ">2m<", ">10m<"}) CHECK(svg.find(label) != std::string::npos);
  CHECK(svg.find(".6667m") == std::string::npos);
  CHECK(svg.find(".3333m") == std::string::npos);
}

TEST_CASE("values near the largest double still draw a chart with no NaN in it") {
  Chart chart;
  chart.title = "Threads";
  chart.t_end = 3;
  chart.lines = {{"a", "#0072B2", {0, 1, 2}, {-1.7e308, 0, 1.7e308}}};
  const std::string svg = RenderSvgChart(chart);
  CHECK(Count(svg, "<polyline") == 1);
  CHECK(svg.find("nan") == std::string::npos);
  CHECK(svg.find("inf") == std::string::npos);
}

TEST_CASE("a band label too long for its band wraps after the phase name before it is cut") {
  Chart chart;
  chart.title = "Threads";
  chart.t_end = 20;  // a 3 s band is 131 px wide: room for 20 characters
  chart.bands = {{0, 17, "baseline", false}, {17, 20, "latency: latency 300ms", true}};
  chart.lines = {{"a", "#000", {0, 10, 20}, {1, 2, 3}}};
  const std::string svg = RenderSvgChart(chart);
  CHECK(svg.find("y=\"11\" class=\"bandlabel faultlabel\">latency:</text>") != std::string::npos);
  CHECK(svg.find("y=\"24\" class=\"bandlabel faultlabel\">latency 300ms</text>") !=
        std::string::npos);
  CHECK(svg.find("y=\"24\" class=\"bandlabel\">baseline</text>") != std::string::npos);
  CHECK(svg.find("<title>latency: latency 300ms</title>") != std::string::npos);
}

TEST_CASE("a chart with no data says so instead of drawing") {
  Chart chart;
  chart.title = "fds";
  chart.t_end = 2;
  chart.lines = {{"a", "#000", {0, 1}, {NAN, NAN}}};
  const std::string svg = RenderSvgChart(chart);
  CHECK(svg.find(">no data</text>") != std::string::npos);
  CHECK(svg.find("<polyline") == std::string::npos);
}

// Variants 0 and 7 of a 10-variant run were drawn alike.
TEST_CASE("the first 14 variants each get a colour of their own") {
  std::set<std::string> colours;
  for (size_t i = 0; i < 14; ++i) colours.insert(ChartColour(i));
  CHECK(colours.size() == 14);
  CHECK(ChartColour(14) == ChartColour(0));
}
