// scenario_reference: prints the generated parts of the scenario reference,
// or with a path (docs/scenarios.md) rewrites that file's generated blocks
// from the schema in place.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/common/file.h"
#include "harness/scenario/reference.h"

int main(int argc, char** argv) {
  using namespace faultline;
  if (argc == 1) {
    std::fputs(RenderScenarioReference().c_str(), stdout);
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    std::fprintf(stderr, "usage: scenario_reference [docs/scenarios.md]\n");
    return 2;
  }
  const std::string path = argv[1];
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "scenario_reference: cannot read %s\n", path.c_str());
    return 2;
  }
  std::ostringstream doc;
  doc << in.rdbuf();
  StatusOr<std::string> updated = RegenerateScenarioReference(doc.str());
  if (!updated.ok()) {
    std::fprintf(stderr, "scenario_reference: %s: %s\n", path.c_str(),
                 updated.status().message().c_str());
    return 2;
  }
  if (*updated == doc.str()) return 0;
  Status written = WriteFileAtomic(path, *updated);
  if (!written.ok()) {
    std::fprintf(stderr, "scenario_reference: %s\n", written.message().c_str());
    return 1;
  }
  std::printf("scenario_reference: updated %s\n", path.c_str());
  return 0;
}
