#include "harness/load/outcome.h"

namespace faultline {

// These spellings appear in results.json and the reports: changing one is a
// schema change.
const char* ToString(Outcome outcome) {
  switch (outcome) {
    case Outcome::kOk: return "ok";
    case Outcome::kHttpStatus: return "http_status";
    case Outcome::kConnectError: return "connect_error";
    case Outcome::kReset: return "reset";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kDropped: return "dropped";
  }
  return "unknown";
}

}  // namespace faultline
