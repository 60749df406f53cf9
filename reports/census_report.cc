#include "reports/census_report.h"

#include <cstdio>

#include "reports/text_format.h"

namespace faultline {

namespace {

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

const char* Units(const Census& c) { return c.source == "go" ? "goroutines" : "threads"; }

}  // namespace

const Census* LeadCensus(const VariantResult& v) {
  const Census* lead = nullptr;
  for (const Census& c : v.census) {
    if (lead == nullptr || c.at == "end" || lead->at != "end") lead = &c;
  }
  return lead;
}

std::string CensusTopLine(const Census& c) {
  if (c.groups.empty()) {
    return c.partial ? "census \"" + c.at + "\": no threads seen (partial: " + c.reason + ")" : "";
  }
  const CensusGroup& top = c.groups.front();
  std::string line = std::to_string(top.count) + " " + Units(c) + " waiting in " +
                     StackLine(top, 4) + " (census \"" +
                     c.at + "\" of " + std::to_string(c.total) + " " + Units(c) + ", paused " +
                     Seconds(c.pause_s) + ")";
  if (c.partial) line += " (partial: " + c.reason + ")";
  return line;
}

std::string RenderCensusHtml(const RunResult& results, size_t max_groups) {
  bool any = false;
  for (const VariantResult& v : results.variants) any = any || !v.census.empty();
  if (!any) return "";
  auto E = [](const std::string& s) { return EscapeXml(s); };
  std::string out = "<h2 id=\"census\">Where threads wait</h2>\n";
  for (const VariantResult& v : results.variants) {
    for (const Census& c : v.census) {
      out += "<h3>" + E(v.name) + ": census \"" + E(c.at) + "\"</h3>\n<p class=\"meta\">" +
             Seconds(c.t_s) + " into the run; " + std::to_string(c.total) + " " + Units(c) +
             " in " + std::to_string(c.groups.size()) + " groups; target paused " +
             Seconds(c.pause_s) + "</p>\n";
      if (c.partial) out += "<p><strong>Partial:</strong> " + E(c.reason) + "</p>\n";
      for (size_t i = 0; i < c.groups.size() && i < max_groups; ++i) {
        const CensusGroup& g = c.groups[i];
        std::string frames;
        for (const std::string& f : g.frames) frames += E(f) + "\n";
        out += "<details><summary><strong>" + std::to_string(g.count) + "</strong> " +
               E(g.state.empty() ? std::string() : "state " + g.state + " ") +
               E(g.syscall.empty() ? std::string() : "in " + g.syscall + ": ") +
               E(StackLine(g, 4)) +
               "</summary><pre>" + (frames.empty() ? "(no stack)" : frames) +
               "</pre></details>\n";
      }
      if (c.groups.size() > max_groups) {
        out += "<p class=\"meta\">" + std::to_string(c.groups.size() - max_groups) +
               " more groups in results.json</p>\n";
      }
    }
  }
  return out;
}

}  // namespace faultline
