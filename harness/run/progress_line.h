// ProgressLine: what a run prints while it runs, on one stream (stderr).
//
// On a terminal (live) one line is rewritten in place ("\r\x1b[K" then the
// line, no newline) every 500 ms; otherwise a plain line is printed every
// 5 s. Either way a whole line when each phase starts, so every phase shows.
// Notes ("variant ...", "received SIGINT ...", errors) are whole lines; a
// note first clears an open live line. The line's text is RenderProgress()
// from reports/terminal.h.
//
// Single-threaded. With a null stream nothing is printed.
#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "harness/common/units.h"
#include "reports/terminal.h"

namespace faultline {

class ProgressLine {
 public:
  ProgressLine(std::ostream* out, bool live) : out_(out), live_(live) {}

  bool enabled() const { return out_ != nullptr; }
  /// How often Show() is meant to be called.
  Duration every() const {
    return live_ ? Duration(std::chrono::milliseconds(500)) : Duration(std::chrono::seconds(5));
  }

  /// A whole line; clears the live line first.
  void Note(const std::string& line);
  /// The progress line: rewritten in place when live, a plain line otherwise.
  void Show(const Progress& progress);
  /// A phase begins (a whole line, live or not):
  /// "[v] phase hang for 10s, rate 100/s faults: hang inventory".
  void PhaseStarted(const std::string& variant, const std::string& phase, Duration duration,
                    double rate, const std::vector<std::string>& faults);
  /// The phases are over: ends an open live line.
  void PhasesEnded();

 private:
  std::ostream* out_;
  bool live_;
  bool open_ = false;  // a live line is on screen without its newline
};

/// A running mean of threads and RSS over the baseline phase, for the live
/// line only (the verdict computes the real baseline from the samples).
class LiveBaseline {
 public:
  void Add(double threads, double rss_bytes);
  /// Fills the baseline fields of `p`.
  void Fill(Progress* p) const;

 private:
  int n_ = 0;
  double threads_ = 0, rss_ = 0;
};

}  // namespace faultline
