// Text shared by the report renderers: escaping for HTML/XML and Markdown,
// and the display of measured values with their units. Every string that
// comes from a scenario, a process log or a response goes through one of the
// escapers before it reaches a report.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "harness/result/result.h"

namespace faultline {

/// `text` as valid UTF-8 fit to show: invalid bytes become U+FFFD, terminal
/// colour sequences (ESC [ ... letter) are removed, other control characters
/// (C0 except tab and newline, DEL, C1) and U+FFFE, U+FFFF (which XML
/// forbids) become U+FFFD, "\r\n" becomes "\n".
std::string CleanText(std::string_view text);

/// CleanText, then & < > " ' as character references: safe in HTML and XML
/// text and in double- or single-quoted attribute values.
std::string EscapeXml(std::string_view text);

/// CleanText on one line (newlines become spaces), then every character
/// Markdown or a GitHub table could interpret (| ` * _ [ ] < > \ and more)
/// escaped, so a name shows literally inside a table cell.
std::string EscapeMarkdown(std::string_view text);

/// A measured value in `unit`: "207", "12.3 MiB", "2.00s", "4.5%"; "n/a"
/// when it is NaN or infinite (not measured).
std::string FormatMeasure(double value, Unit unit);
/// The same with `extra` more digits after the point (or significant ones).
std::string FormatMeasure(double value, Unit unit, int extra);

/// A check's observed value and limit, with as many more digits as it
/// takes (up to 6) for two different values not to read the same: an
/// error ratio of 0.0004 against a limit of 0 is "0.04%" and "0.00%", not
/// "0.0%" twice.
std::pair<std::string, std::string> FormatObservedAndLimit(double observed, double limit,
                                                           Unit unit);

}  // namespace faultline
