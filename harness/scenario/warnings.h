// Warnings: parts of a valid scenario that cannot do what they seem to,
// mostly checks that cannot tell a good run from a bad one (a `recovers`
// with nothing after its phase, a latency limit of 1500 seconds meant as
// milliseconds). They never stop a load; `validate` and `run` print them,
// and `--strict` makes them errors. Internal to the loader, except
// SelectionWarnings, which `run` calls for its --variant choice. Knows
// nothing of TOML: the reader passes where each key is written.
#pragma once

#include <string>
#include <vector>

#include "harness/scenario/diagnostics.h"
#include "harness/scenario/scenario.h"

namespace faultline {

/// Where a key is written and its path ("checks[1].after"); the enclosing
/// table's position when the key is absent.
struct KeySite {
  SourcePos where;
  std::string key;
};

/// Where one [[checks]] entry's keys are, as read.
struct CheckSites {
  KeySite limit, phases, after, within, variants;
  bool limit_is_number = false;   // `limit` written as a bare number
  bool variants_written = false;  // `variants` present (possibly empty)
};

/// Where one [[phases]] entry's duration is.
struct PhaseSites {
  KeySite duration;
};

/// Reports a warning for each check or phase of `s` (read without errors)
/// that cannot discriminate. `checks` and `phases` are parallel to
/// s.checks and s.phases.
void WarnCannotTell(const Scenario& s, const std::vector<CheckSites>& checks,
                    const std::vector<PhaseSites>& phases, Reporter& reporter);

/// For `run --variant`: a warning (file s.path, no position) for each check
/// whose `variants` list names none of `selected`; empty `selected` = all.
std::vector<Diagnostic> SelectionWarnings(const Scenario& s,
                                          const std::vector<std::string>& selected);

}  // namespace faultline
