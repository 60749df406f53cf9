#include "reports/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "harness/common/units.h"
#include "reports/text_format.h"

namespace faultline {
namespace {

// Geometry of every chart, in SVG user units (the element scales to its box).
constexpr double kWidth = 960, kHeight = 215;
constexpr double kLeft = 72, kRight = 16, kTop = 30, kBottom = 30;
constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

std::string Fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

// Most grid lines or time labels drawn on one axis. Far more than a sane
// range needs (about 6 and 9); it bounds the loops when the values are so
// large that adding a step no longer changes them.
constexpr int kMaxTicks = 50;

// 1, 2 or 5 times a power of ten, at least `raw`.
double NiceStep(double raw) {
  if (!(raw > 0)) return 1;
  const double p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

// Step for byte axes: nice in the largest binary unit the range reaches, so
// labels read "8.0 MiB", not "7.6 MiB".
double NiceByteStep(double raw) {
  double scale = 1;
  while (raw / scale >= 1024 && scale < 1099511627776.0) scale *= 1024;
  return NiceStep(raw / scale) * scale;
}

std::string AxisLabel(double v, Unit unit) {
  if (unit == Unit::kBytes) return FormatBytes(v);
  if (unit == Unit::kMilliseconds) return v >= 1000 ? Fmt("%gs", v / 1000) : Fmt("%gms", v);
  if (unit == Unit::kPercent) return Fmt("%g%%", v);
  if (std::fabs(v) >= 1e6) return Fmt("%gM", v / 1e6);
  if (std::fabs(v) >= 1e4) return Fmt("%gk", v / 1e3);
  return Fmt("%g", v);
}

std::string TimeLabel(double t, double t_end) {
  if (t_end >= 600) return Fmt("%gm", t / 60);
  return Fmt("%gs", t);
}

// Hover values: as exact as the sample allows.
std::string HoverValue(double v, Unit unit) {
  if (unit == Unit::kBytes) return FormatBytes(v);
  if (unit == Unit::kMilliseconds) return Fmt("%.1fms", v);
  if (unit == Unit::kPercent) return Fmt("%.1f%%", v);
  if (v == std::round(v) && std::fabs(v) < 1e15) return Fmt("%.0f", v);
  return Fmt("%.6g", v);
}

// Cuts `text` to at most `max_chars` code points, with an ellipsis.
std::string Truncate(const std::string& text, size_t max_chars) {
  size_t chars = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) break;
    ++chars;
  }
  if (i >= text.size()) return text;
  if (max_chars == 0) return "";
  // Step back one code point to make room for the ellipsis.
  size_t j = i;
  do {
    --j;
  } while (j > 0 && (static_cast<unsigned char>(text[j]) & 0xC0) == 0x80);
  return text.substr(0, j) + "\xE2\x80\xA6";
}

}  // namespace

double ChartAxisStep(double raw, Unit unit) {
  return unit == Unit::kBytes ? NiceByteStep(raw) : NiceStep(raw);
}

std::string ChartAxisLabel(double v, Unit unit) { return AxisLabel(v, unit); }

std::string ChartColour(size_t i) {
  // Okabe-Ito: distinguishable with the common colour-vision deficiencies.
  // Blue then vermillion gives the strongest contrast for the usual A/B pair.
  // Then Paul Tol's muted scheme, so that a run of up to 14 variants (or a
  // before/after of two 7-variant runs) gives each its own colour.
  static constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                             "#E69F00", "#56B4E9", "#000000", "#332288",
                                             "#882255", "#117733", "#999933", "#44AA99",
                                             "#AA4499", "#DDCC77"};
  return kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
}

std::vector<ChartPoint> DownsampleMinMax(const std::vector<double>& t,
                                         const std::vector<double>& v, double t0, double t1,
                                         size_t buckets) {
  std::vector<ChartPoint> out;
  const size_t n = std::min(t.size(), v.size());
  if (buckets == 0 || n <= 2 * buckets || !(t1 > t0)) {
    for (size_t i = 0; i < n; ++i) out.push_back({t[i], v[i]});
    return out;
  }
  const double width = (t1 - t0) / static_cast<double>(buckets);
  size_t i = 0;
  for (size_t b = 0; b < buckets && i < n; ++b) {
    const double end = b + 1 == buckets ? std::numeric_limits<double>::infinity()
                                        : t0 + width * static_cast<double>(b + 1);
    size_t lo = n, hi = n;  // indices of min and max in this bucket
    bool any = false;
    const size_t first = i;
    for (; i < n && t[i] < end; ++i) {
      if (!std::isfinite(v[i])) continue;
      if (!any || v[i] < v[lo]) lo = i;
      if (!any || v[i] > v[hi]) hi = i;
      any = true;
    }
    if (i == first) continue;  // no samples in this bucket at all
    if (!any) {
      out.push_back({t[first], std::numeric_limits<double>::quiet_NaN()});
      continue;
    }
    const size_t a = std::min(lo, hi), z = std::max(lo, hi);
    out.push_back({t[a], v[a]});
    if (z != a) out.push_back({t[z], v[z]});
  }
  return out;
}

std::string RenderSvgChart(const Chart& chart) {
  const double t_end = chart.t_end > 0 ? chart.t_end : 1;
  std::vector<std::vector<ChartPoint>> drawn;
  double lo = 0, hi = -std::numeric_limits<double>::infinity();
  size_t max_samples = 0;
  // Beyond this the axis's range would overflow to infinity: such values
  // (only a hand-made results file has them) are drawn at the edge.
  constexpr double kHuge = 1e300;
  for (const auto& line : chart.lines) {
    drawn.push_back(DownsampleMinMax(line.t, line.v, 0, t_end, kChartBuckets));
    max_samples = std::max(max_samples, line.t.size());
    for (const auto& p : drawn.back()) {
      if (!std::isfinite(p.v)) continue;
      lo = std::min(lo, std::clamp(p.v, -kHuge, kHuge));
      hi = std::max(hi, std::clamp(p.v, -kHuge, kHuge));
    }
  }
  const bool has_data = std::isfinite(hi);
  if (!has_data) hi = 1;
  if (hi <= lo) hi = lo + 1;
  const double raw_step = (hi - lo) / 4;
  const double step = chart.unit == Unit::kBytes ? NiceByteStep(raw_step) : NiceStep(raw_step);
  const double y0 = std::floor(lo / step) * step;
  const double y1 = std::max(std::ceil(hi / step) * step, y0 + step);

  auto X = [&](double t) { return kLeft + std::clamp(t / t_end, 0.0, 1.0) * kPlotW; };
  auto Y = [&](double v) {
    return kTop + (1 - (std::clamp(v, -kHuge, kHuge) - y0) / (y1 - y0)) * kPlotH;
  };

  std::string s;
  s.reserve(64 * 1024);
  s += "<svg class=\"chart\" viewBox=\"0 0 " +
       Fmt("%g", kWidth) + " " + Fmt("%g", kHeight) + "\" role=\"img\" aria-label=\"" +
       EscapeXml(chart.title) + "\">\n";
  s += "<title>" + EscapeXml(chart.title) + "</title>\n";

  // Phase bands under everything else.
  bool alternate = false;
  for (const auto& band : chart.bands) {
    const double x0 = X(band.start), x1 = X(band.end);
    const double w = std::max(0.0, x1 - x0);
    const char* fill = band.fault ? "#f9d6d2" : (alternate ? "#eef0f3" : "#f7f8fa");
    alternate = !alternate;
    s += "<g class=\"" + std::string(band.fault ? "band fault" : "band") + "\">";
    s += "<rect x=\"" + Fmt("%.1f", x0) + "\" y=\"" + Fmt("%g", kTop - 18) + "\" width=\"" +
         Fmt("%.1f", w) + "\" height=\"" + Fmt("%g", kPlotH + 18) + "\" fill=\"" + fill +
         "\"><title>" + EscapeXml(band.label) + "</title></rect>";
    if (band.fault) {
      for (double x : {x0, x1})
        s += "<line x1=\"" + Fmt("%.1f", x) + "\" x2=\"" + Fmt("%.1f", x) + "\" y1=\"" +
             Fmt("%g", kTop - 18) + "\" y2=\"" + Fmt("%g", kTop + kPlotH) +
             "\" stroke=\"#b2182b\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>";
    }
    // A label too long for its band wraps after "phase:", the phase's name
    // on a line above the band; each line is cut to fit only after that.
    const size_t room = static_cast<size_t>(std::max(0.0, (w - 6) / 6.2));
    std::vector<std::string> lines = {band.label};
    const size_t colon = band.label.find(": ");
    if (Truncate(band.label, room) != band.label && colon != std::string::npos)
      lines = {band.label.substr(0, colon + 1), band.label.substr(colon + 2)};
    for (size_t i = 0; i < lines.size(); ++i) {
      const std::string label = Truncate(lines[i], room);
      const double y = kTop - 6 - 13.0 * static_cast<double>(lines.size() - 1 - i);
      if (!label.empty())
        s += "<text x=\"" + Fmt("%.1f", x0 + 3) + "\" y=\"" + Fmt("%g", y) + "\" class=\"" +
             (band.fault ? "bandlabel faultlabel" : "bandlabel") + "\">" + EscapeXml(label) +
             "</text>";
    }
    s += "</g>\n";
  }

  // Grid and axes.
  s += "<g class=\"axis\">";
  int ticks = 0;
  for (double v = y0; v <= y1 + step / 2 && ticks < kMaxTicks; v += step, ++ticks) {
    const double y = Y(v);
    s += "<line x1=\"" + Fmt("%g", kLeft) + "\" x2=\"" + Fmt("%g", kLeft + kPlotW) + "\" y1=\"" +
         Fmt("%.1f", y) + "\" y2=\"" + Fmt("%.1f", y) + "\" class=\"grid\"/>";
    s += "<text x=\"" + Fmt("%g", kLeft - 6) + "\" y=\"" + Fmt("%.1f", y + 4) +
         "\" text-anchor=\"end\">" + EscapeXml(AxisLabel(v, chart.unit)) + "</text>";
  }
  // Labelled in minutes from 10 minutes on: steps of whole minutes then.
  const double t_step = t_end >= 600 ? NiceStep(t_end / 60 / 8) * 60 : NiceStep(t_end / 8);
  ticks = 0;
  for (double t = 0; t <= t_end + t_step / 1000 && ticks < kMaxTicks; t += t_step, ++ticks) {
    s += "<text x=\"" + Fmt("%.1f", X(t)) + "\" y=\"" + Fmt("%g", kHeight - 10) +
         "\" text-anchor=\"middle\">" + TimeLabel(t, t_end) + "</text>";
  }
  s += "<line x1=\"" + Fmt("%g", kLeft) + "\" x2=\"" + Fmt("%g", kLeft + kPlotW) + "\" y1=\"" +
       Fmt("%g", kTop + kPlotH) + "\" y2=\"" + Fmt("%g", kTop + kPlotH) +
       "\" class=\"baseline\"/>";
  s += "</g>\n";
  if (!has_data)
    s += "<text x=\"" + Fmt("%g", kLeft + kPlotW / 2) + "\" y=\"" +
         Fmt("%g", kTop + kPlotH / 2) + "\" text-anchor=\"middle\" class=\"nodata\">no data</text>\n";

  // One polyline per unbroken run of finite points.
  for (size_t li = 0; li < chart.lines.size(); ++li) {
    const auto& line = chart.lines[li];
    s += "<g class=\"line\" stroke=\"" + line.colour + "\" fill=\"" + line.colour +
         "\" data-label=\"" + EscapeXml(line.label) + "\">";
    std::string points;
    size_t count = 0;
    double lone_x = 0, lone_y = 0;
    auto flush = [&] {
      if (count == 1)
        s += "<circle cx=\"" + Fmt("%.1f", lone_x) + "\" cy=\"" + Fmt("%.1f", lone_y) +
             "\" r=\"2\"/>";
      else if (count > 1)
        s += "<polyline fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\" points=\"" +
             points + "\"/>";
      points.clear();
      count = 0;
    };
    for (const auto& p : drawn[li]) {
      if (!std::isfinite(p.v)) {
        flush();
        continue;
      }
      lone_x = X(p.t);
      lone_y = Y(p.v);
      if (count) points += ' ';
      points += Fmt("%.1f", lone_x) + "," + Fmt("%.1f", lone_y);
      ++count;
    }
    flush();
    s += "</g>\n";
  }

  // Hover regions: every line's values per slice of time, from the raw
  // samples (not the reduced ones). A slice is no wider than the closest
  // two samples of a line, so that a few rows (one per second of a short
  // run) get one slice each, not slices that straddle two of them.
  double closest = std::numeric_limits<double>::infinity();
  for (const auto& line : chart.lines)
    for (size_t i = 1; i < line.t.size(); ++i)
      if (line.t[i] > line.t[i - 1]) closest = std::min(closest, line.t[i] - line.t[i - 1]);
  size_t slices = std::min(kChartHoverSlices, max_samples);
  if (std::isfinite(closest)) {
    const auto fit = static_cast<size_t>(std::ceil(t_end / closest - 1e-9));
    slices = std::min(kChartHoverSlices, std::max<size_t>(1, fit));
  }
  if (has_data && slices > 0) {
    s += "<g class=\"hover\">";
    const double width = t_end / static_cast<double>(slices);
    for (size_t k = 0; k < slices; ++k) {
      const double a = width * static_cast<double>(k);
      const double b = k + 1 == slices ? std::numeric_limits<double>::infinity() : a + width;
      std::string text;
      for (const auto& line : chart.lines) {
        auto first = std::lower_bound(line.t.begin(), line.t.end(), a);
        auto last = std::lower_bound(first, line.t.end(), b);
        double mn = NAN, mx = NAN;
        size_t n = 0;
        for (auto it = first; it != last; ++it) {
          const double v = line.v[static_cast<size_t>(it - line.t.begin())];
          if (!std::isfinite(v)) continue;
          mn = n ? std::min(mn, v) : v;
          mx = n ? std::max(mx, v) : v;
          ++n;
        }
        if (n == 0) continue;
        text += "\n" + line.label + ": " + HoverValue(mn, chart.unit);
        if (mx != mn) text += " to " + HoverValue(mx, chart.unit);
      }
      if (text.empty()) continue;
      const double shown_end = std::min(a + width, t_end);
      const std::string head = "t " + Fmt("%.1f", a) + "-" + Fmt("%.1f", shown_end) + " s";
      s += "<rect x=\"" + Fmt("%.1f", X(a)) + "\" y=\"" + Fmt("%g", kTop) + "\" width=\"" +
           Fmt("%.2f", kPlotW / static_cast<double>(slices)) + "\" height=\"" +
           Fmt("%g", kPlotH) + "\" fill=\"transparent\"><title>" + EscapeXml(head + text) +
           "</title></rect>";
    }
    s += "</g>\n";
  }
  // Markers last, so that their titles win over the hover slices.
  if (!chart.markers.empty()) {
    s += "<g class=\"markers\">";
    for (const auto& m : chart.markers) {
      if (!std::isfinite(m.t)) continue;
      const std::string x = Fmt("%.1f", X(m.t));
      s += "<g class=\"marker" + std::string(m.failure ? " failure" : "") + "\" stroke=\"" +
           m.colour + "\" fill=\"" + m.colour + "\"><title>" + EscapeXml(m.label) +
           "</title><line x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" + Fmt("%g", kTop) +
           "\" y2=\"" + Fmt("%g", kTop + kPlotH) + "\" stroke-width=\"1.5\"" +
           (m.failure ? " stroke-dasharray=\"2 2\"" : "") + "/><path d=\"M" + x + " " +
           Fmt("%g", kTop) + "l-4 -7h8z\"/><line x1=\"" + x + "\" x2=\"" + x + "\" y1=\"" +
           Fmt("%g", kTop) + "\" y2=\"" + Fmt("%g", kTop + kPlotH) +
           "\" stroke=\"transparent\" stroke-width=\"8\"/></g>";
    }
    s += "</g>\n";
  }
  s += "</svg>\n";
  return s;
}

}  // namespace faultline
