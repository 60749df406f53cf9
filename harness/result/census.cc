#include "harness/result/census.h"

#include <fnmatch.h>

#include <algorithm>

namespace faultline {

namespace {

// "name (file.cc:84)" -> "name"; other frames unchanged.
std::string FunctionOnly(const std::string& frame) {
  if (frame.empty() || frame.back() != ')') return frame;
  size_t open = frame.rfind(" (");
  return open == std::string::npos ? frame : frame.substr(0, open);
}

}  // namespace

std::string StackLine(const CensusGroup& group, size_t max_frames) {
  std::string line;
  size_t shown = std::min(max_frames, group.frames.size());
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) line += " \u2190 ";
    line += i + 1 == shown ? group.frames[i] : FunctionOnly(group.frames[i]);
  }
  if (shown < group.frames.size()) line += " \u2190 \u2026";
  return line;
}

bool CensusFramesMatch(const CensusGroup& group, const std::string& pattern) {
  std::string joined;
  for (const std::string& f : group.frames) {
    if (!joined.empty()) joined += '\n';
    joined += f;
  }
  if (!pattern.empty() && (pattern.front() == '*' || pattern.back() == '*')) {
    return fnmatch(pattern.c_str(), joined.c_str(), 0) == 0;
  }
  return joined.find(pattern) != std::string::npos;
}

uint64_t CountMatching(const Census& census, const std::string& pattern) {
  uint64_t n = 0;
  for (const CensusGroup& g : census.groups) {
    if (CensusFramesMatch(g, pattern)) n += g.count;
  }
  return n;
}

}  // namespace faultline
