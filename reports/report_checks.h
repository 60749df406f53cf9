// For the renderers' tests: what a rendered report (HTML, JUnit, Markdown)
// contains. Test-only: header-only, uses doctest.
#pragma once

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

namespace faultline::testing {

/// True when `what` occurs in `s`.
inline bool Has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

/// CHECKs that none of `absent` occurs in `text`; a failure names the one found.
inline void CheckNone(const std::string& text, std::initializer_list<const char*> absent) {
  for (const char* what : absent) CHECK_FALSE_MESSAGE(Has(text, what), what);
}

}  // namespace faultline::testing
