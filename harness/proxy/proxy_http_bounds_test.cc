// The HTTP-aware proxy against a target that pipelines without limit: one
// connection's open requests stay at most kHttpMaxOpenRequests, so its
// records and its queued answers stay bounded however much it sends.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

#include "harness/proxy/http_flow.h"
#include "harness/proxy/proxy.h"
#include "harness/proxy/proxy_impl.h"  // kProxyReadBufferSize
#include "harness/proxy/proxy_test_rig.h"
#include "harness/proxy/proxy_test_upstream.h"

namespace faultline {
namespace {

using namespace faultline::testing;

const std::string kGet = "GET /x HTTP/1.1\r\n\r\n";

std::string Pipelined(size_t n) {
  std::string out;
  out.reserve(n * kGet.size());
  for (size_t i = 0; i < n; ++i) out += kGet;
  return out;
}

struct Pipelining {
  Pipelining() { REQUIRE(dep != nullptr); }
  ListeningUpstream upstream;
  Rig rig{upstream.port(), ProxyProtocol::kHttp};
  UpstreamCounts Counts() {
    return rig.OnIo([&] { return rig.proxy().Counts(); });
  }
  // Polls the counts until `done` holds or 5 s pass.
  bool WaitCounts(const std::function<bool(const UpstreamCounts&)>& done) {
    return Eventually([&] { return done(Counts()); }, 5s);
  }
  std::unique_ptr<Client> client;           // the target, set by Connect()
  std::unique_ptr<Client> dep = Connect();  // the dependency's end

 private:
  std::unique_ptr<Client> Connect() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(rig.port());
    // Small fixed buffers (no autotuning): a target that never reads backs
    // the proxy's answers up soon.
    const int small = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    client = std::make_unique<Client>(Client::Adopt{fd});
    return upstream.Accept();
  }
};

TEST_CASE_FIXTURE(Pipelining, "http under hang a connection records at most kHttpMaxOpenRequests - the rest is dropped unparsed") {
  rig.SetFault(Fault(ProxyFault::Kind::kHang));
  const std::string requests = Pipelined(3 * kHttpMaxOpenRequests);
  REQUIRE(client->Send(requests));
  // Every byte is read and discarded, as the hang wants; only the first
  // kHttpMaxOpenRequests heads opened a record.
  REQUIRE(rig.WaitFor([&](const ProxyCounters& c) { return c.bytes_discarded == requests.size(); },
                      5s));
  CHECK(Counts().in_flight == kHttpMaxOpenRequests);
  CHECK(dep->Silent(50ms));
  client->Close();
  REQUIRE(WaitCounts([](const UpstreamCounts& c) { return c.in_flight == 0; }));
  CHECK(Counts().abandoned == kHttpMaxOpenRequests);
}

TEST_CASE_FIXTURE(Pipelining, "http a target that pipelines and never reads is read no further at kHttpMaxOpenRequests") {
  ProxyFault abort = Fault(ProxyFault::Kind::kAbort);
  abort.status = 503;
  abort.body = "unavailable";
  rig.SetFault(abort);
  // 4 MB of requests whose answers (about 20 MB) the sockets cannot hold.
  const int64_t sent = 200 * kHttpMaxOpenRequests;
  client->Send(Pipelined(static_cast<size_t>(sent)), 1s);  // stops when the proxy does
  REQUIRE(WaitCounts([](const UpstreamCounts& c) {
    return c.in_flight >= static_cast<int64_t>(kHttpMaxOpenRequests);
  }));
  // It stops reading at the limit; one read (16 KiB) may bring more heads.
  const UpstreamCounts held = Counts();
  CHECK(held.in_flight <=
        static_cast<int64_t>(kHttpMaxOpenRequests + kProxyReadBufferSize / kGet.size() + 1));
  CHECK(held.fault + held.in_flight < sent);  // the rest waits in the target's socket
  CHECK(dep->Silent(50ms));  // every request was aborted: none reached the dependency
  client->Close();
  REQUIRE(WaitCounts([](const UpstreamCounts& c) { return c.in_flight == 0; }));
}

}  // namespace
}  // namespace faultline
