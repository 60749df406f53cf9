// render_sample_reports DIR: writes results.json and every report of the
// sample runs (reports/sample_results.h) into DIR/ab and DIR/hostile, for
// the JUnit schema test and by hand to look at the HTML. The reports render
// from the results as read back from the JSON, as `faultline run` does.
#include <filesystem>
#include <iostream>

#include "harness/common/file.h"
#include "harness/result/results_json.h"
#include "reports/sample_results.h"
#include "reports/write_reports.h"

int main(int argc, char** argv) {
  using namespace faultline;
  if (argc != 2) {
    std::cerr << "usage: render_sample_reports DIR\n";
    return 2;
  }
  const std::filesystem::path dir(argv[1]);
  const std::pair<const char*, RunResult> runs[] = {{"ab", testing::AbRun()},
                                                    {"hostile", testing::HostileRun()}};
  for (const auto& [name, run] : runs) {
    const std::string out = (dir / name).string();
    const nlohmann::json results = ResultsToJson(run);
    StatusOr<RunResult> read = ResultsFromJson(results);
    Status s = read.ok() ? WriteReports(*read, out) : read.status();
    if (s.ok()) s = WriteFileAtomic(out + "/results.json", results.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!s.ok()) {
      std::cerr << "render_sample_reports: " << s.message() << "\n";
      return 3;
    }
  }
  return 0;
}
