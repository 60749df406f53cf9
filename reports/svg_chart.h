// Inline SVG time-series charts for the HTML report: several lines on one
// pair of axes, phases as shaded bands, long series reduced for drawing
// without losing their peaks. Output is static SVG (no script) and depends
// only on the input, so the same chart always renders to the same bytes.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

/// One point of a drawn line; v is NaN for a gap.
struct ChartPoint {
  double t = 0;
  double v = 0;
};

/// Reduces (t, v) to at most 2 * `buckets` points over [t0, t1]: each bucket
/// of equal width keeps its minimum and maximum, in time order, so a spike
/// one sample wide survives. A bucket with no finite value yields one NaN
/// point (a gap). Series with no more than 2 * `buckets` points come back
/// unchanged. `t` must be ascending and as long as `v`.
std::vector<ChartPoint> DownsampleMinMax(const std::vector<double>& t,
                                         const std::vector<double>& v, double t0, double t1,
                                         size_t buckets);

struct ChartLine {
  std::string label;   // legend and hover text (escaped by the renderer)
  std::string colour;  // CSS colour, trusted
  std::vector<double> t, v;  // ascending t; NaN v is a gap
};

struct ChartBand {
  double start = 0, end = 0;
  std::string label;   // "hang: hang inventory" (escaped by the renderer)
  bool fault = false;  // drawn in the fault colour
};

/// A moment marked on the chart: a vertical line from the top of the plot to
/// the axis with a small flag, its label shown on hover (an event, a failed check).
struct ChartMarker {
  double t = 0;
  std::string label;    // hover text (escaped by the renderer)
  std::string colour;   // CSS colour, trusted
  bool failure = false; // a failed check: drawn dashed
};

struct Chart {
  std::string title;   // escaped by the renderer
  Unit unit = Unit::kNone;  // of the values: axis labels and hover
  double t_end = 0;    // the x axis spans [0, t_end] seconds
  std::vector<ChartBand> bands;
  std::vector<ChartLine> lines;
  std::vector<ChartMarker> markers;  // drawn over the lines, in order
};

/// Limits that keep an hour-long run's report small.
constexpr size_t kChartBuckets = 600;    // per line: at most 1200 drawn points
constexpr size_t kChartHoverSlices = 150;  // hover regions with exact values

/// One `<svg>` element (no XML prolog) with axes, bands, a polyline per line
/// and per x-slice a transparent rect whose `<title>` gives every line's
/// values in that slice (exact when a slice holds one sample).
std::string RenderSvgChart(const Chart& chart);

/// The y-axis step RenderSvgChart uses for a raw step in `unit`: 1, 2 or 5
/// times a power of ten (of 1024 for bytes), at least `raw`; and its label
/// for a tick ("8.0 MiB", "250ms", "12k"). For other charts of the reports.
double ChartAxisStep(double raw, Unit unit);
std::string ChartAxisLabel(double v, Unit unit);

/// The colour of line `i` of any report chart (Okabe-Ito, then Tol's muted:
/// 14, cycling).
std::string ChartColour(size_t i);

}  // namespace faultline
