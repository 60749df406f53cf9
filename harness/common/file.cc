#include "harness/common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace faultline {

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  // Messages name `path`, the file the user asked for, not the temporary one.
  if (fd < 0) return Status::Unavailable("write " + path + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::Unavailable("write " + path + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::Unavailable("write " + path + ": " + std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::Unavailable("write " + path + ": rename " + tmp + " to it: " +
                               std::strerror(e));
  }
  // The rename itself lives in the folder: without this a power loss may
  // leave the old file (or none) under `path`. Best effort: the file is
  // complete either way, and some filesystems cannot sync a folder.
  const size_t slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

Status WriteFileCreatingFolders(const std::string& path, const std::string& content) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec)
    return Status::Unavailable("write " + path + ": create directory " + parent.string() + ": " +
                               ec.message());
  return WriteFileAtomic(path, content);
}

StatusOr<std::string> ReadInputFile(const std::string& path, size_t max_bytes) {
  if (path.empty()) return Status::Invalid("no file name given");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Invalid(std::string("cannot read the file: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::Invalid("is a directory, not a file");
  }
  const std::string too_big =
      "is larger than the limit of " + std::to_string(max_bytes >> 20) + " MiB";
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status::Invalid(too_big);
  }
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      return Status::Invalid(std::string("cannot read the file: ") + std::strerror(e));
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::Invalid(too_big);
    }
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

std::string FolderName(std::string_view text, std::string_view fallback) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || std::strchr("._-=[],", c);
    out += keep && c != '\0' ? c : '_';
  }
  if (out.find_first_not_of('.') == std::string::npos) return std::string(fallback);
  return out;
}

}  // namespace faultline
