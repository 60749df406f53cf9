#include "harness/result/census.h"

#include <algorithm>
#include <string_view>

namespace faultline {

namespace {

// "name (file.cc:84)" -> "name"; other frames unchanged.
std::string FunctionOnly(const std::string& frame) {
  if (frame.empty() || frame.back() != ')') return frame;
  size_t open = frame.rfind(" (");
  return open == std::string::npos ? frame : frame.substr(0, open);
}

// `pattern` over all of `text`, where only '*' is special (any run of
// characters, newlines included). Not fnmatch: frames hold '[' and '?'
// literally (Go prints generics as Box[...], C++ has operator[]), which a
// glob would read as a class and never match.
bool GlobMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, resume = 0;  // the last '*' and where it resumes
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

std::string StackLine(const CensusGroup& group, size_t max_frames) {
  if (group.frames.empty()) return "(no stack)";
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
    return GlobMatch(pattern, joined);
  }
  return joined.find(pattern) != std::string::npos;
}

uint64_t CountUnjudged(const Census& census, const std::string& pattern) {
  uint64_t n = 0;
  for (const CensusGroup& g : census.groups) {
    // Go hides runtime.goexit, the outermost frame of every goroutine: a
    // goroutine with no other frame (starting or ending) has an empty stack
    // in its profile, and is seen, not unjudged.
    bool unnamed = g.frames.empty() && census.source != "go";
    for (const std::string& f : g.frames) {
      for (const std::string& m : census.unnamed_modules)
        unnamed = unnamed || f.starts_with("?? (" + m + "+");
    }
    if (unnamed && !CensusFramesMatch(g, pattern)) n += g.count;
  }
  return n;
}

uint64_t CountMatching(const Census& census, const std::string& pattern) {
  uint64_t n = 0;
  for (const CensusGroup& g : census.groups) {
    if (CensusFramesMatch(g, pattern)) n += g.count;
  }
  return n;
}

}  // namespace faultline
