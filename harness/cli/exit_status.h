// faultline's exit statuses (docs/exit-codes.md).
#pragma once

namespace faultline {

enum ExitStatus : int {
  kExitPassed = 0,        // every variant met its expectation
  kExitCheckFailed = 1,   // a variant's checks did not come out as expected
  kExitUsage = 2,         // bad command line or scenario
  kExitCouldNotRun = 3,   // a process did not start or become ready, port trouble, I/O
  kExitInterrupted = 130, // SIGINT or SIGTERM
};

}  // namespace faultline
