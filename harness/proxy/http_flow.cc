// HttpFlow (http_flow.h): Beast's parsers find where messages begin and
// end; the bytes read are forwarded as they are. The only translation unit
// of the proxy with Beast's parser (http_fault_match.cc has its status
// phrases).

#include "harness/proxy/http_flow.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <optional>
#include <set>
#include <utility>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include "harness/common/traceparent.h"
#include "harness/proxy/http_fault_match.h"

namespace faultline {

namespace http = boost::beast::http;
using boost::beast::string_view;
using boost::system::error_code;

namespace {

// Records the parts of a message head HttpFlow looks at; bodies are only
// counted through (their bytes are forwarded from the input).
template <bool isRequest>
class HeadParser final : public http::basic_parser<isRequest> {
 public:
  // No limit on bodies (they are not kept). Not boost::none: Boost 1.74
  // compares the length with the optional, and every length exceeds none.
  HeadParser() {
    this->body_limit(std::numeric_limits<std::uint64_t>::max());
    this->header_limit(static_cast<std::uint32_t>(kHttpMaxHeadBytes));
  }
  std::string method, target;
  int status = 0;
  HttpFields fields;

 private:
  void on_request_impl(http::verb, string_view method_text, string_view target_text, int,
                       error_code&) override {
    method.assign(method_text.data(), method_text.size());
    target.assign(target_text.data(), target_text.size());
  }
  void on_response_impl(int code, string_view, int, error_code&) override { status = code; }
  void on_field_impl(http::field, string_view name, string_view value, error_code&) override {
    fields.emplace_back(HttpLower(std::string_view(name.data(), name.size())),
                        std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  size_t on_body_impl(string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}
};

}  // namespace

// One request waiting for its answer.
struct HttpExchange {
  enum class Mode { kForward, kLocal, kHung };
  size_t record = 0;
  Mode mode = Mode::kForward;
  std::string local;        // kLocal: the answer
  bool close_after = false;  // kLocal: close the connection after the answer
  bool head = false;         // a HEAD request: its response has no body
  Duration response_delay{0};
  uint64_t body_rate = 0;    // slow_body: bytes per second; 0 = as they come
  TimePoint local_due{};     // kLocal: a delay holds the answer too (Envoy delays, then aborts)
};

struct HttpFlow::State {
  std::optional<HeadParser<true>> request;
  std::optional<HeadParser<false>> response;
  std::string request_in;   // read from the client, not yet parsed
  std::string response_in;  // read from the dependency, not yet parsed
  std::deque<HttpExchange> exchanges;  // awaiting their answers, in order
  // The request being read.
  bool forwarding = true;   // its bytes go upstream (else they are dropped)
  TimePoint request_due{};  // delay: when its bytes may go
  size_t request_record = 0;
  bool stuck = false;       // a hung request (or a closing abort) ends forwarding
  bool swallowing = false;  // Swallowed: record heads, forward and count nothing
  bool head_swallowed = false;  // part of the head being read was swallowed
  // The response being read.
  TimePoint response_due{};
  TimePoint body_start{};
  uint64_t body_sent = 0;
  uint64_t emitted = 0;    // bytes handed to Send towards the client, in all
  uint64_t delivered = 0;  // bytes written to the client, in all
  struct End {
    size_t record;
    uint64_t offset;  // `emitted` at the end of its answer
    UpstreamEnd how;
  };
  std::deque<End> ends;             // answers not yet wholly delivered, in order
  std::set<size_t> open_records;    // this connection's open records
};

HttpFlow::HttpFlow(HttpHost& host) : host_(host), s_(std::make_unique<State>()) {}
HttpFlow::~HttpFlow() = default;

void HttpFlow::FromClient(const char* data, size_t n) {
  if (s_->stuck) {
    host_.CountDropped(n);
    return;
  }
  s_->request_in.append(data, n);
  ParseRequests();
}

void HttpFlow::Swallowed(const char* data, size_t n) {
  State& s = *s_;
  if (piping_ || s.stuck) return;
  s.swallowing = true;
  s.request_in.append(data, n);
  ParseRequests();
  s.swallowing = false;
  // A head cut short here is swallowed too, however its rest comes.
  if (!s.request_in.empty() && !(s.request && s.request->is_header_done())) {
    s.head_swallowed = true;
  }
}

void HttpFlow::ParseRequests() {
  State& s = *s_;
  while (!s.request_in.empty() && !piping_ && !s.stuck) {
    if (!s.request) s.request.emplace();
    HeadParser<true>& p = *s.request;
    const bool had_head = p.is_header_done();
    error_code ec;
    const size_t n = p.put(boost::asio::buffer(s.request_in.data(), s.request_in.size()), ec);
    if (ec == http::error::need_more && n == 0) return;
    if (ec && ec != http::error::need_more) {
      if (s.swallowing) s.request_in.clear();  // the hang took it
      ToPiping();  // a request it cannot read reaches the dependency as sent
      return;
    }
    // Beast may take a head's first line before the rest has come; the
    // whole head decides where its bytes go, so it is parsed again later.
    if (!p.is_header_done()) {
      s.request.reset();
      return;
    }
    std::string bytes = s.request_in.substr(0, n);
    s.request_in.erase(0, n);
    if (!had_head && p.is_header_done()) {
      OnRequestHead();
      // Its Pump may have closed the connection (an earlier abort's answer
      // could not be written): parse no further, or a pipelined request
      // would open a record after Closed ended them all.
      if (host_.Gone()) return;
    }
    host_.Ledger().at(s.request_record).request_bytes += n;
    const bool done = p.is_done();
    if (s.forwarding && !s.swallowing) {
      Pieces pieces;
      pieces.push_back(Piece{Piece::Kind::kData, std::vector<char>(bytes.begin(), bytes.end()),
                             std::max(s.request_due, host_.Now())});
      host_.Send(/*to_upstream=*/true, std::move(pieces));
      if (host_.Gone()) return;
    } else if (!s.swallowing) {  // the connection counts what a hang swallows
      host_.CountDropped(n);
    }
    if (done) {
      s.request.reset();
      if (!s.forwarding && !s.stuck) s.forwarding = true;
    }
    if (n == 0) return;
  }
  if (s.stuck && !s.request_in.empty()) {
    if (!s.swallowing) host_.CountDropped(s.request_in.size());  // else counted as discarded
    s.request_in.clear();
  }
}

void HttpFlow::OnRequestHead() {
  State& s = *s_;
  const HeadParser<true>& p = *s.request;
  const TimePoint now = host_.Now();
  UpstreamRecord record;
  const std::string* traceparent = HttpField(p.fields, std::string(kTraceparentHeader));
  record.trace_id = traceparent ? TraceIdOf(*traceparent) : "";
  record.method = p.method;
  record.target = p.target;
  record.start = now;
  HttpExchange ex;
  ex.record = host_.Ledger().Open(std::move(record));
  ex.head = p.method == "HEAD";
  s.request_record = ex.record;
  s.open_records.insert(ex.record);
  if (s.swallowing || s.head_swallowed) {
    // The dependency never sees it, so no answer is awaited: it stays open
    // until its caller leaves. Past the limit the rest is dropped unparsed.
    s.head_swallowed = false;
    s.forwarding = false;
    if (s.open_records.size() >= kHttpMaxOpenRequests) s.stuck = true;
    return;
  }
  Duration request_delay{0};
  // Every matching fault is drawn, in list order; the first abort or
  // hang_request that applies decides the request's fate.
  for (const ProxyFault& f : host_.ActiveFaults()) {
    if (!IsHttpKind(f.kind) || !HttpMatches(f.match, p.method, p.target, p.fields) ||
        !HttpDraw(f, host_.rng()))
      continue;
    host_.CountAffected(FaultName(f));
    switch (f.kind) {
      case ProxyFault::Kind::kAbort:
        if (ex.mode != HttpExchange::Mode::kForward) break;
        ex.mode = HttpExchange::Mode::kLocal;
        {
          const std::string* expect = HttpField(p.fields, "expect");
          // The client may still send the body it announced: close after
          // the answer rather than read the body as the next request.
          ex.close_after = !p.keep_alive() || (expect && HttpLower(*expect) == "100-continue");
          ex.local = HttpAbortAnswer(f, ex.head, ex.close_after);
        }
        break;
      case ProxyFault::Kind::kHangRequest:
        if (ex.mode == HttpExchange::Mode::kForward) ex.mode = HttpExchange::Mode::kHung;
        break;
      case ProxyFault::Kind::kDelay:
        (f.on_response ? ex.response_delay : request_delay) += f.delay;
        break;
      case ProxyFault::Kind::kSlowBody:
        ex.body_rate = ex.body_rate ? std::min(ex.body_rate, f.bytes_per_second)
                                    : f.bytes_per_second;
        break;
      default:
        break;
    }
  }
  s.forwarding = ex.mode == HttpExchange::Mode::kForward;
  s.request_due = now + request_delay;
  ex.local_due = s.request_due;
  if (ex.mode == HttpExchange::Mode::kHung || ex.close_after) s.stuck = true;
  s.exchanges.push_back(std::move(ex));
  Pump();
}

void HttpFlow::Pump() {
  State& s = *s_;
  while (!s.exchanges.empty() && s.exchanges.front().mode == HttpExchange::Mode::kLocal &&
         !s.response) {
    HttpExchange ex = std::move(s.exchanges.front());
    s.exchanges.pop_front();
    UpstreamRecord& r = host_.Ledger().at(ex.record);
    r.status = std::stoi(ex.local.substr(9, 3));
    r.response_bytes += ex.local.size();
    s.response_due = std::max(host_.Now(), ex.local_due);
    SendToClient(std::move(ex.local), /*body=*/false);
    s.ends.push_back(State::End{ex.record, s.emitted, UpstreamEnd::kFault});
    if (host_.Gone()) return;
    if (ex.close_after) {
      Pieces close;
      close.push_back(Piece{Piece::Kind::kClose, {}, host_.Now()});
      host_.Send(/*to_upstream=*/false, std::move(close));
      return;
    }
  }
}

void HttpFlow::FromUpstream(const char* data, size_t n) {
  s_->response_in.append(data, n);
  ParseResponses();
}

void HttpFlow::ParseResponses() {
  State& s = *s_;
  while (!s.response_in.empty() && !piping_) {
    if (s.exchanges.empty() || s.exchanges.front().mode != HttpExchange::Mode::kForward) {
      // Nothing asked for it (e.g. a 408 before closing): passed on as it is.
      s.response_due = host_.Now();
      std::string bytes = std::move(s.response_in);
      s.response_in.clear();
      SendToClient(std::move(bytes), /*body=*/false);
      return;
    }
    const HttpExchange& ex = s.exchanges.front();
    if (!s.response) {
      s.response.emplace();
      if (ex.head) s.response->skip(true);
    }
    HeadParser<false>& p = *s.response;
    const bool had_head = p.is_header_done();
    error_code ec;
    const size_t n = p.put(boost::asio::buffer(s.response_in.data(), s.response_in.size()), ec);
    if (ec == http::error::need_more && n == 0) return;
    if (ec && ec != http::error::need_more) {
      ToPiping();
      return;
    }
    if (!p.is_header_done()) {  // as for requests: whole heads only
      s.response.reset();
      return;
    }
    std::string bytes = s.response_in.substr(0, n);
    s.response_in.erase(0, n);
    const bool head_now = !had_head && p.is_header_done();
    if (head_now) OnResponseHead();
    host_.Ledger().at(ex.record).response_bytes += n;
    SendToClient(std::move(bytes), /*body=*/!head_now);
    if (host_.Gone()) return;
    if (p.is_done()) {
      FinishResponse();
      if (host_.Gone()) return;
    }
    if (n == 0) return;
  }
}

void HttpFlow::OnResponseHead() {
  State& s = *s_;
  const HttpExchange& ex = s.exchanges.front();
  const int status = s.response->status;
  const TimePoint now = host_.Now();
  if (status >= 100 && status < 200) {
    s.response_due = now;  // 100 Continue and friends are not held
    return;
  }
  host_.Ledger().at(ex.record).status = status;
  s.response_due = now + ex.response_delay;
  s.body_sent = 0;
}

void HttpFlow::FinishResponse() {
  State& s = *s_;
  const int status = s.response->status;
  s.response.reset();
  if (status >= 100 && status < 200 && status != 101) return;  // the final answer follows
  const HttpExchange ex = std::move(s.exchanges.front());
  s.exchanges.pop_front();
  s.ends.push_back(State::End{ex.record, s.emitted, UpstreamEnd::kAnswered});
  Delivered(s.delivered);  // its last bytes may have gone before the end was known
  if (status == 101) {
    ToPiping();  // another protocol from here on
    return;
  }
  Pump();
}

void HttpFlow::SendToClient(std::string bytes, bool body) {
  State& s = *s_;
  if (bytes.empty()) return;
  const TimePoint now = host_.Now();
  const uint64_t rate = !s.exchanges.empty() && body ? s.exchanges.front().body_rate : 0;
  Pieces pieces;
  if (rate == 0) {
    pieces.push_back(Piece{Piece::Kind::kData, std::vector<char>(bytes.begin(), bytes.end()),
                           std::max(s.response_due, now)});
  } else {
    // slow_body: the body leaves at `rate` from its first byte, in slices
    // of 50 ms worth.
    if (s.body_sent == 0) s.body_start = std::max(s.response_due, now);
    const size_t step = std::max<uint64_t>(1, rate / 20);
    for (size_t at = 0; at < bytes.size(); at += step) {
      const size_t len = std::min(step, bytes.size() - at);
      s.body_sent += len;
      const TimePoint due = s.body_start + FromSeconds(double(s.body_sent) / double(rate));
      pieces.push_back(Piece{Piece::Kind::kData,
                             std::vector<char>(bytes.begin() + at, bytes.begin() + at + len),
                             std::max(due, now)});
    }
  }
  s.emitted += bytes.size();
  host_.Send(/*to_upstream=*/false, std::move(pieces));
}

void HttpFlow::UpstreamEof() {
  State& s = *s_;
  if (!piping_ && s.response && !s.exchanges.empty()) {
    // A response without a length ends with the connection.
    error_code ec;
    s.response->put_eof(ec);
    if (!ec && s.response->is_done()) FinishResponse();
  }
  // The dependency ended its connection: a request it has not answered in
  // full (a body cut short, garbage that made the flow a byte pipe, no
  // answer at all) never will be. Its
  // record ends now as the dependency's doing, not later as abandoned by
  // the target. Answers still on their way to the target end as delivered.
  std::set<size_t> answered;
  for (const State::End& e : s.ends) answered.insert(e.record);
  const TimePoint now = host_.Now();
  for (auto it = s.open_records.begin(); it != s.open_records.end();) {
    if (answered.contains(*it)) {
      ++it;
      continue;
    }
    host_.Ledger().End(*it, UpstreamEnd::kFault, now);
    it = s.open_records.erase(it);
  }
}

void HttpFlow::Delivered(uint64_t total) {
  State& s = *s_;
  s.delivered = total;
  while (!s.ends.empty() && s.ends.front().offset <= total) {
    host_.Ledger().End(s.ends.front().record, s.ends.front().how, host_.Now());
    s.open_records.erase(s.ends.front().record);
    s.ends.pop_front();
  }
}

bool HttpFlow::Backlogged() const {  // a pipe or a stuck flow parses nothing: it reads on
  return !piping_ && !s_->stuck && s_->open_records.size() >= kHttpMaxOpenRequests;
}

void HttpFlow::ClientGone() { EndAll(UpstreamEnd::kAbandoned); }

void HttpFlow::ClientEof() {
  State& s = *s_;
  if (piping_ || s.stuck || s.request_in.empty()) return;
  if (!s.forwarding || s.head_swallowed) {
    if (!s.head_swallowed) host_.CountDropped(s.request_in.size());
    s.request_in.clear();
    return;
  }
  Pieces pieces;
  pieces.push_back(Piece{Piece::Kind::kData,
                         std::vector<char>(s.request_in.begin(), s.request_in.end()),
                         std::max(s.request_due, host_.Now())});
  s.request_in.clear();
  host_.Send(/*to_upstream=*/true, std::move(pieces));
}

void HttpFlow::Closed(bool keep_open) {
  if (!keep_open) EndAll(UpstreamEnd::kFault);
}

void HttpFlow::EndAll(UpstreamEnd how) {
  const TimePoint now = host_.Now();
  for (size_t i : s_->open_records) host_.Ledger().End(i, how, now);
  s_->open_records.clear();
}

void HttpFlow::ToPiping() {
  State& s = *s_;
  piping_ = true;
  s.response_due = host_.Now();
  for (bool up : {true, false}) {
    std::string& in = up ? s.request_in : s.response_in;
    if (in.empty()) continue;
    Pieces pieces;
    pieces.push_back(Piece{Piece::Kind::kData, std::vector<char>(in.begin(), in.end()),
                           up ? std::max(s.request_due, host_.Now()) : s.response_due});
    in.clear();
    host_.Send(up, std::move(pieces));
    if (host_.Gone()) return;
  }
}

}  // namespace faultline
