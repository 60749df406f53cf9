// The sweep report (`faultline sweep`): for each metric, its peak against
// the varied value (an SVG chart per metric, one line per variant), and for
// each variant its breaking point: the first value, in the order swept, at
// which one of its checks failed. Rendered for the terminal, as Markdown
// (sweep.md) and as one self-contained HTML file (sweep.html, no script, no
// fetch). Deterministic; every string from the results is escaped.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "harness/result/result.h"

namespace faultline {

/// One run of the sweep.
struct SweepRun {
  std::string x;          // the value of the first --vary key
  std::string rest;       // the other keys' settings ("cache.size=2"), "" with one key
  std::string out_dir;    // where its results.json is
  int exit_status = 0;    // as `faultline run` would have exited
  RunResult result;       // as read back; empty variants (and `error`, why) when it left none
};

struct SweepData {
  std::string scenario;
  std::string key;                   // the first --vary key: the x axis
  std::vector<std::string> x_values; // in the order swept
  std::vector<SweepRun> runs;        // first key fastest
  size_t planned = 0;                // the points asked for (0: as many as `runs`)
  bool interrupted = false;          // an interrupt stopped the sweep: the rest did not run
};

/// What a reader must know before the breaking points: each point that left
/// no result and why ("no result at load.rate=20: create output directory
/// ..."), and "interrupted: 1 of 3 points ran".
std::vector<std::string> SweepNotices(const SweepData& d);

/// A line of the sweep: a variant under one setting of the other keys.
struct BreakingPoint {
  std::string line;       // "naive", or "naive (cache.size=2)"
  std::string value;      // the first x at which a check failed; "" when none did
  std::string check;      // the first failed check there
  bool measured = false;  // at least one run of the line was judged
  /// Values before the break (or at all, when none) whose run could not be
  /// judged: an error or an interruption. A process that died is a break.
  std::vector<std::string> unjudged;
  double observed = NAN;  // the failed check's observed value and limit there, in `unit`
  double limit = NAN;
  Unit unit = Unit::kNone;
};

/// A check whose limit is an expression (CheckResult::limit_expression): the
/// limit it resolved to at each swept value, so the report shows that it
/// followed the setting.
struct SweepLimit {
  std::string check;                 // its name
  std::string expression;            // "1.5 * ${load.rate} * 2s"
  Unit unit = Unit::kNone;
  std::vector<double> per_x;         // by x index; NaN where no run had it
};

/// Per check with a limit expression, in first-seen order (a check under
/// several settings of the other keys takes the first limit seen per x).
std::vector<SweepLimit> SweepLimits(const SweepData& data);

/// Non-ok requests / all requests; NaN when there were none.
double ErrorRatio(const RequestSummary& requests);

/// Per line, in first-seen order.
std::vector<BreakingPoint> BreakingPoints(const SweepData& data);

std::string RenderSweepText(const SweepData& data);
std::string RenderSweepMarkdown(const SweepData& data);
std::string RenderSweepHtml(const SweepData& data);

}  // namespace faultline
