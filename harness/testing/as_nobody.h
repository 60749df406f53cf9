// For tests run as root that need to see what an ordinary user sees.
#pragma once

#include <doctest/doctest.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <string>

namespace faultline::testing {

/// What `body` returns when run as the user nobody, in a child of this
/// (root) process; a failed drop or write fails the test. `body` may end
/// the child with _exit(N) (N > 3) to fail it too.
inline std::string AsNobody(const std::function<std::string()>& body) {
  int result[2];
  REQUIRE(pipe(result) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(30);  // bounds it if the test fails to end it
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      _exit(2);
    }
    const std::string line = body();
    ssize_t n = write(result[1], line.data(), line.size());
    _exit(n == static_cast<ssize_t>(line.size()) ? 0 : 3);
  }
  close(result[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = read(result[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(result[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return text;
}

}  // namespace faultline::testing
