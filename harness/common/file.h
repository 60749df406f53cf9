// Files the harness writes for its users (results.json, reports).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "harness/common/status.h"

namespace faultline {

/// Writes `content` to `path` atomically: a temporary file in the same
/// directory, fsync, rename. Readers never see a partial file, and a failed
/// write leaves the previous file as it was. Unavailable naming `path` and
/// the cause on failure ("write out/x.md: No such file or directory"); the
/// temporary file is removed.
Status WriteFileAtomic(const std::string& path, const std::string& content);

/// WriteFileAtomic after creating the folders `path` needs (a report asked
/// for at "ci/junit.xml" in a fresh checkout). Unavailable, naming `path`:
/// "write ci/junit.xml: create directory ci: Not a directory".
Status WriteFileCreatingFolders(const std::string& path, const std::string& content);

/// Reads a file a user named (a scenario, a proxy config, a results.json)
/// into memory, at most `max_bytes` of it. Invalid, with a message naming
/// the cause but not the path (the caller adds the path where it reports):
///   "no file name given", "cannot read the file: <strerror>",
///   "is a directory, not a file", "is larger than the limit of N MiB".
/// FIFOs and character devices are read (`<(cat x.toml)` works), with the
/// same limit.
StatusOr<std::string> ReadInputFile(const std::string& path, size_t max_bytes);

/// `text` (a scenario's name, a sweep's "KEY=VALUE") as the name of one
/// folder: every byte other than a letter, digit, '.', '_', '-', '=', ',',
/// '[' and ']' becomes '_', so "../x / y" stays one folder (".._x___y"); an
/// empty or all-dot name (".", "..") becomes `fallback`.
std::string FolderName(std::string_view text, std::string_view fallback);

}  // namespace faultline
