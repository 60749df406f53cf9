// Fuzz target: the HTTP-aware proxy's parser, HttpFlow
// (harness/proxy/http_flow.h), fed arbitrary bytes in both directions
// through a fake HttpHost: no sockets, no io_context, a clock that moves
// by itself. The fake does what the proxy's connection does (proxy_flow.cc,
// proxy_connection.cc): bytes go through the flow until it pipes, then
// straight across; bytes written to the client are reported with
// Delivered; a close ends the connection (Gone) and the flow hears Closed
// at once, from within the Send that closed it.
//
// Input: 4 bytes of settings, then the client's bytes, a NUL, the
// dependency's bytes (no NUL: no dependency bytes).
//   byte 0  the faults: bit 0 abort, bit 1 delay (request), bit 2 delay
//           (response), bit 3 hang_request, bit 4 slow_body, bit 5 every
//           fault on half the requests (fraction 0.5, else 1); bits 6-7 the
//           end: 0 the client leaves (ClientGone), 1 Closed, 2 Closed with
//           keep_open (the proxy stops), 3 the dependency's FIN
//           (UpstreamEof) and then the client leaves
//   byte 1  every fault's match: bits 0-1 the method (any, GET, POST,
//           HEAD), bit 2 path prefix "/a", bit 3 header x-fault present;
//           bits 4-6 abort's status (200 204 304 404 500 503 599 302);
//           bit 7 hang_request listed before abort
//   byte 2  the seed of the interleaving: chunk sizes (1..8 or 1..512
//           bytes), which side goes next, partial deliveries, time steps
//   byte 3  the connection closes (Gone) after this many Sends; 0 never
// At most kMaxSteps steps; what is left of either side is then not sent.
//
// Contracts checked: no crash and no leak (ASan); nothing is sent once the
// connection has gone, and no piece is due before it was sent; only an
// abort sends a close, and only towards the client; when no abort or
// hang_request applied to a request, nothing is dropped and what reaches
// the dependency is the client's bytes, byte-exact, but for a tail the
// parser still holds (an incomplete head or chunk line, never once it
// pipes, nor once the client sent FIN: ClientEof flushes it); likewise what reaches the client is the dependency's bytes when
// no abort applied; the ledger's counts match its records (in flight =
// open, abandoned = abandoned), a record never ends before it started, and
// once the client left or the connection closed (not keep_open) no record
// of it is open.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/clock.h"
#include "harness/proxy/fault.h"
#include "harness/proxy/http_flow.h"
#include "harness/proxy/stage.h"
#include "harness/proxy/upstream_record.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace fl = faultline;
using fl::ProxyFault;
using Kind = ProxyFault::Kind;
using std::chrono::milliseconds;

constexpr size_t kMaxSteps = 4096;

class FakeHost final : public fl::HttpHost {
 public:
  fl::TimePoint now = fl::TimePoint(std::chrono::hours(1000));
  std::mt19937_64 draws{7};
  std::vector<ProxyFault> faults;
  fl::UpstreamLedger ledger;
  std::set<std::string> dropping_faults;  // aborts and hangs that applied
  size_t dropped = 0;
  std::string to_upstream, to_client;  // every data byte sent each way
  fl::HttpFlow* flow = nullptr;
  bool gone = false;
  size_t sends = 0, gone_after = 0;  // gone_after 0: never

  fl::TimePoint Now() const override { return now; }
  std::mt19937_64& rng() override { return draws; }
  const std::vector<ProxyFault>& ActiveFaults() const override { return faults; }
  fl::UpstreamLedger& Ledger() override { return ledger; }
  void CountAffected(const std::string& name) override {
    if (name == "abort" || name == "hang") dropping_faults.insert(name);
  }
  void CountDropped(size_t bytes) override { dropped += bytes; }
  bool Gone() const override { return gone; }

  void Send(bool up, fl::Pieces pieces) override {
    FUZZ_CHECK(!gone);
    for (const fl::Piece& p : pieces) {
      FUZZ_CHECK(p.due >= now);
      switch (p.kind) {
        case fl::Piece::Kind::kData:
          (up ? to_upstream : to_client).append(p.data.begin(), p.data.end());
          break;
        case fl::Piece::Kind::kClose:
          FUZZ_CHECK(!up && dropping_faults.count("abort") == 1);
          gone = true;
          break;
        case fl::Piece::Kind::kFin:
        case fl::Piece::Kind::kPeerReset:
        case fl::Piece::Kind::kReset:
          FUZZ_CHECK(false);  // a FIN or a reset is the connection's (or a stage's) to pass on
      }
    }
    if (gone_after != 0 && ++sends >= gone_after) gone = true;
    // As the connection's Close does: the flow hears it at once, from
    // within this Send.
    if (gone) flow->Closed(/*keep_open=*/false);
  }
};

ProxyFault Fault(Kind kind, const char* name, double fraction, const ProxyFault::Match& match) {
  ProxyFault f;
  f.kind = kind;
  f.name = name;
  f.fraction = fraction;
  f.match = match;
  return f;
}

std::vector<ProxyFault> Faults(uint8_t which, uint8_t how) {
  const double fraction = (which & 0x20) ? 0.5 : 1.0;
  ProxyFault::Match m;
  static const char* const kMethods[] = {"", "GET", "POST", "HEAD"};
  m.method = kMethods[how & 3];
  if (how & 4) m.path_prefix = "/a";
  if (how & 8) m.headers["x-fault"] = "";
  static const int kStatus[] = {200, 204, 304, 404, 500, 503, 599, 302};
  std::vector<ProxyFault> out;
  if (which & 1) {
    out.push_back(Fault(Kind::kAbort, "abort", fraction, m));
    out.back().status = kStatus[(how >> 4) & 7];
    out.back().body = "aborted by the fuzzer";
  }
  if (which & 8) {
    ProxyFault hang = Fault(Kind::kHangRequest, "hang", fraction, m);
    out.insert((how & 0x80) ? out.begin() : out.end(), hang);
  }
  if (which & 2) {
    out.push_back(Fault(Kind::kDelay, "delay_request", fraction, m));
    out.back().delay = milliseconds(100);
  }
  if (which & 4) {
    out.push_back(Fault(Kind::kDelay, "delay_response", fraction, m));
    out.back().delay = milliseconds(250);
    out.back().on_response = true;
  }
  if (which & 16) {
    out.push_back(Fault(Kind::kSlowBody, "slow_body", fraction, m));
    out.back().bytes_per_second = 2000;
  }
  return out;
}

// Pass-through: `sent` is a prefix of `fed`; the rest is held only while
// the flow parses.
void CheckPrefix(const std::string& sent, const std::string& fed, bool held_allowed) {
  FUZZ_CHECK(sent.size() <= fed.size());
  FUZZ_CHECK(std::string_view(fed).substr(0, sent.size()) == sent);
  if (!held_allowed) FUZZ_CHECK(sent.size() == fed.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  const uint8_t which = data[0], how = data[1];
  std::string_view rest(reinterpret_cast<const char*>(data) + 4, size - 4);
  const size_t nul = rest.find('\0');
  const std::string_view client = rest.substr(0, nul);
  const std::string_view upstream =
      nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);

  FakeHost host;
  host.faults = Faults(which, how);
  host.gone_after = data[3];
  std::mt19937 order(data[2]);
  std::string fed_up, fed_down;  // what each side has sent so far
  uint64_t delivered = 0;
  {
    fl::HttpFlow flow(host);
    host.flow = &flow;
    size_t at_client = 0, at_upstream = 0;
    for (size_t step = 0; step < kMaxSteps && !host.gone; ++step) {
      const bool client_left = at_client < client.size(),
                 upstream_left = at_upstream < upstream.size();
      if (!client_left && !upstream_left) break;
      host.now += milliseconds(order() % 50);
      const unsigned action = order() % 8;
      if (action == 7) {  // some of what was sent reaches the client
        const uint64_t total = host.to_client.size();
        delivered += (total - delivered) * (order() % 3) / 2;
        flow.Delivered(delivered);
        continue;
      }
      const bool to_upstream = upstream_left && (!client_left || action >= 4);
      const std::string_view from = to_upstream ? upstream : client;
      size_t& at = to_upstream ? at_upstream : at_client;
      const size_t cap = (order() % 2) ? 8 : 512;
      const size_t n = std::min<size_t>(1 + order() % cap, from.size() - at);
      const char* bytes = from.data() + at;
      at += n;
      (to_upstream ? fed_down : fed_up).append(bytes, n);
      if (flow.piping()) {  // the connection passes them straight across
        (to_upstream ? host.to_client : host.to_upstream).append(bytes, n);
      } else {
        to_upstream ? flow.FromUpstream(bytes, n) : flow.FromClient(bytes, n);
      }
    }
    const unsigned end = which >> 6;
    if (!host.gone && end == 3) flow.UpstreamEof();
    if (!host.gone) flow.Delivered(delivered = host.to_client.size());
    host.now += milliseconds(1);
    if (host.gone) {
      // Closed already (FakeHost::Send).
    } else if (end == 0 || end == 3) {
      flow.ClientGone();  // the target sent FIN, as the connection's OnEof does
      flow.ClientEof();
    } else {
      flow.Closed(/*keep_open=*/end == 2);
    }

    if (host.dropping_faults.empty()) {
      FUZZ_CHECK(host.dropped == 0);
      // After the target's FIN nothing of its bytes is held back.
      const bool client_fin = !host.gone && (end == 0 || end == 3);
      CheckPrefix(host.to_upstream, fed_up, (!flow.piping() || host.gone) && !client_fin);
    }
    if (host.dropping_faults.count("abort") == 0)
      CheckPrefix(host.to_client, fed_down, !flow.piping() || host.gone);
    const bool may_stay_open = !host.gone && (which >> 6) == 2;
    int64_t open = 0, abandoned = 0;
    for (const fl::UpstreamRecord& r : host.ledger.records()) {
      open += r.how == fl::UpstreamEnd::kOpen;
      abandoned += r.how == fl::UpstreamEnd::kAbandoned;
      if (r.how != fl::UpstreamEnd::kOpen) FUZZ_CHECK(r.end >= r.start);
      FUZZ_CHECK(may_stay_open || r.how != fl::UpstreamEnd::kOpen);
    }
    FUZZ_CHECK(host.ledger.counts().in_flight == open);
    FUZZ_CHECK(host.ledger.counts().abandoned == abandoned);
  }
  return 0;
}
