#include "harness/run/progress_line.h"

#include "harness/scenario/diagnostics.h"
#include "reports/text_format.h"

namespace faultline {

namespace {
constexpr const char* kClearLine = "\r\x1b[K";  // to column 0, erase to the end
}  // namespace

void ProgressLine::Note(const std::string& line) {
  if (!out_) return;
  if (open_) *out_ << kClearLine;
  open_ = false;
  // A note may quote what a process wrote (its log's last lines, a hook's
  // command): no escape sequence of it reaches the terminal.
  *out_ << CleanText(line) << "\n" << std::flush;
}

void ProgressLine::Show(const Progress& progress) {
  if (!out_) return;
  const std::string line = RenderProgress(progress);
  if (live_) {
    *out_ << kClearLine << line << std::flush;
    open_ = true;
  } else {
    *out_ << line << "\n" << std::flush;
  }
}

void ProgressLine::PhaseStarted(const std::string& variant, const std::string& phase,
                                Duration duration, double rate,
                                const std::vector<std::string>& faults) {
  if (!out_) return;  // also live: every phase, however short, leaves a line
  std::string list;
  for (const auto& f : faults) list += (list.empty() ? " faults: " : ", ") + f;
  Note("[" + variant + "] phase " + phase + " for " + FormatDuration(duration) + ", rate " +
       FormatNumber(rate) + "/s" + list);
}

void ProgressLine::PhasesEnded() {
  if (live_ && open_) Note("");
}

void LiveBaseline::Add(double threads, double rss_bytes) {
  ++n_;
  threads_ += (threads - threads_) / n_;
  rss_ += (rss_bytes - rss_) / n_;
}

void LiveBaseline::Fill(Progress* p) const {
  p->threads_baseline = threads_;
  p->rss_baseline = rss_;
  p->has_baseline = n_ > 0;
}

}  // namespace faultline
