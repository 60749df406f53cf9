#include "harness/proxy/http_fault_match.h"

#include <algorithm>
#include <boost/beast/http/status.hpp>
#include <cctype>

namespace faultline {

namespace http = boost::beast::http;

std::string HttpLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::string* HttpField(const HttpFields& fields, const std::string& name) {
  for (const auto& [n, v] : fields) {
    if (n == name) return &v;
  }
  return nullptr;
}

bool HttpMatches(const ProxyFault::Match& m, const std::string& method, const std::string& target,
                 const HttpFields& fields) {
  if (!m.method.empty() && m.method != method) return false;
  if (!m.path_prefix.empty() && target.compare(0, m.path_prefix.size(), m.path_prefix) != 0) {
    return false;
  }
  for (const auto& [name, value] : m.headers) {
    const std::string lower = HttpLower(name);
    // Not `value` itself: clang 14 (tools/fuzz.sh) cannot capture a structured binding.
    const std::string& want = value;
    const bool found = std::any_of(fields.begin(), fields.end(), [&](const auto& field) {
      return field.first == lower && (want.empty() || field.second == want);
    });
    if (!found) return false;
  }
  return true;
}

bool HttpDraw(const ProxyFault& f, std::mt19937_64& rng) {
  if (f.fraction >= 1.0) return true;
  if (f.fraction <= 0.0) return false;
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < f.fraction;
}

std::string HttpAbortAnswer(const ProxyFault& f, bool head, bool close) {
  const int status = f.status;
  const bool no_body = status < 200 || status == 204 || status == 304;
  // A status Beast has no phrase for gets an empty one (RFC 9112 allows it),
  // not Beast's "<unknown-status>".
  const http::status known = http::int_to_status(static_cast<unsigned>(status));
  std::string reason(known == http::status::unknown ? "" : http::obsolete_reason(known));
  std::string s = "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\n";
  if (!no_body) {
    s += "content-length: " + std::to_string(f.body.size()) + "\r\n";
    s += "content-type: text/plain\r\n";
  }
  if (close) s += "connection: close\r\n";
  s += "\r\n";
  if (!no_body && !head) s += f.body;
  return s;
}

}  // namespace faultline
