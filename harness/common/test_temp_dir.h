// For tests only: a fresh directory under /tmp. The test removes it.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <doctest/doctest.h>

namespace faultline::testing {

/// Creates /tmp/faultline-<name>-XXXXXX (mkdtemp) and returns its path.
inline std::filesystem::path MakeTempDir(const std::string& name) {
  std::string tmpl = "/tmp/faultline-" + name + "-XXXXXX";
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}

}  // namespace faultline::testing
