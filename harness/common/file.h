// Files the harness writes for its users (results.json, reports).
#pragma once

#include <string>

#include "harness/common/status.h"

namespace faultline {

/// Writes `content` to `path` atomically: a temporary file in the same
/// directory, fsync, rename. Readers never see a partial file, and a failed
/// write leaves the previous file as it was. Unavailable naming the file and
/// the cause on failure; the temporary file is removed.
Status WriteFileAtomic(const std::string& path, const std::string& content);

}  // namespace faultline
