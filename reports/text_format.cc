#include "reports/text_format.h"

#include <cmath>
#include <cstdio>

#include "harness/common/units.h"

namespace faultline {

std::string CleanText(std::string_view in) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == 0x1B) {  // ESC: drop a CSI sequence whole, else just the ESC
      size_t j = i + 1;
      if (j < in.size() && in[j] == '[') {
        ++j;
        while (j < in.size() && (static_cast<unsigned char>(in[j]) < 0x40 ||
                                 static_cast<unsigned char>(in[j]) > 0x7E))
          ++j;
        if (j < in.size()) ++j;
      }
      i = j;
      continue;
    }
    if (c == '\r' && i + 1 < in.size() && in[i + 1] == '\n') {
      ++i;
      continue;
    }
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n') out += kReplacement;
      else if (c == 0x7F) out += kReplacement;
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Multi-byte UTF-8: validate length, continuation bytes, overlongs,
    // surrogates and the upper bound.
    size_t len = 0;
    uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07;
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(in[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok && len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ok = false;
    if (!ok) {
      out += kReplacement;
      ++i;
      continue;
    }
    // Well-formed but unfit: C1 controls (0x9B is a terminal's CSI) and
    // U+FFFE, U+FFFF (not characters in XML): one replacement each.
    if (cp <= 0x9F || cp == 0xFFFE || cp == 0xFFFF) {
      out += kReplacement;
      i += len;
      continue;
    }
    out.append(in.substr(i, len));
    i += len;
  }
  return out;
}

std::string EscapeXml(std::string_view text) {
  const std::string clean = CleanText(text);
  std::string out;
  out.reserve(clean.size() + clean.size() / 8);
  for (char c : clean) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeMarkdown(std::string_view text) {
  const std::string clean = CleanText(text);
  std::string out;
  out.reserve(clean.size() + 8);
  for (char c : clean) {
    switch (c) {
      case '\n':
      case '\t': out += ' '; break;
      // GitHub passes inline HTML through; entities keep it literal.
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '|': case '`': case '*': case '_': case '[': case ']': case '\\':
      case '#': case '~': case '!': case '(': case ')': case '{': case '}':
        out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatMeasure(double x, Unit unit, int extra) {
  if (!std::isfinite(x)) return "n/a";
  char buf[64];
  switch (unit) {
    case Unit::kBytes: return FormatBytes(x, 1 + extra);
    case Unit::kBytesPerSecond: return FormatBytes(x, 1 + extra) + "/s";
    case Unit::kSeconds:
      if (std::fabs(x) < 1) std::snprintf(buf, sizeof buf, "%.*fms", 1 + extra, x * 1e3);
      else std::snprintf(buf, sizeof buf, "%.*fs", 2 + extra, x);
      return buf;
    case Unit::kMilliseconds:
      if (std::fabs(x) >= 1000) std::snprintf(buf, sizeof buf, "%.*fs", 2 + extra, x / 1e3);
      else std::snprintf(buf, sizeof buf, "%.*fms", 1 + extra, x);
      return buf;
    case Unit::kRatio:
      std::snprintf(buf, sizeof buf, "%.*f%%", 1 + extra, x * 100);
      return buf;
    case Unit::kNone:
    case Unit::kPerSecond:
    case Unit::kPercent:
    case Unit::kPercentPerSecond:
    case Unit::kMillisecondsPerSecond:
      break;
  }
  if (x == std::round(x) && std::fabs(x) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f%s", x, ToString(unit));
  else if (std::fabs(x) >= 1000 && std::fabs(x) < 1e15)  // 10004.6, not 1e+04
    std::snprintf(buf, sizeof buf, "%.*f%s", 1 + extra, x, ToString(unit));
  else
    std::snprintf(buf, sizeof buf, "%.*g%s", 4 + extra, x, ToString(unit));
  return buf;
}

std::string FormatMeasure(double x, Unit unit) { return FormatMeasure(x, unit, 0); }

std::pair<std::string, std::string> FormatObservedAndLimit(double observed, double limit,
                                                           Unit unit) {
  std::pair<std::string, std::string> out;
  for (int extra = 0; extra <= 6; ++extra) {
    out = {FormatMeasure(observed, unit, extra), FormatMeasure(limit, unit, extra)};
    if (out.first != out.second || observed == limit) break;
  }
  return out;
}

}  // namespace faultline
