// LoadGenerator implementation. See load_generator.h for the contract; the
// choices the header leaves open are documented here:
//
// - Host: an IP literal or "localhost" (127.0.0.1). No DNS lookups: the
//   harness only talks to loopback. An unusable host makes every request end
//   kConnectError.
// - Client timeout: measured from when the request actually starts (connect or
//   reuse), and covers connect, write and the whole response. Latency is still
//   measured from the intended start.
// - Response bodies are read and discarded. A response that fails to parse
//   or whose header exceeds 8 KiB ends kReset: no full response could be
//   read. Its connection is closed.
// - Connections, keep-alive reuse and the retry of a request that met a
//   stale keep-alive connection are HttpClient's (harness/common/http_client.h);
//   the retry keeps the request's intended start and client deadline.
// - A connection that finishes a request while the rate is 0 (after
//   SetRate(0) or Stop) is closed rather than pooled.
// - SetRate() and Stop() first start the requests already due at the old
//   rate (a late loop catches up), so they may call the sink.
// - Start lag: the request's actual send is when it was handed to the
//   HttpClient (HttpResult::sent_at); a late schedule timer shows up there.
// - Per request, memory is one connection (see HttpClient), a callback
//   holding the intended start, and the request's wire text (it differs per
//   request by its traceparent line): no per-request record outlives its
//   request. The text is built from two halves serialized once.

#include "harness/load/load_generator.h"

#include <memory>
#include <utility>

#include "harness/common/http_client.h"
#include "harness/common/out_of_fds.h"
#include "harness/common/text.h"
#include "harness/common/traceparent.h"

namespace faultline {

namespace {

HttpClientOptions ClientOptions(const LoadOptions& o) {
  HttpClientOptions c;
  c.host = o.host;
  c.port = o.port;
  c.timeout = o.timeout;
  return c;
}

std::string RequestText(const LoadOptions& o) {
  HttpRequest r;
  r.method = o.method;
  r.target = o.target;
  r.headers = o.headers;
  r.body = o.body;
  return FormatHttpRequest(r, o.host, o.port);
}

bool HasTraceparent(const LoadOptions& o) {
  for (const auto& [name, value] : o.headers) {
    if (EqualsIgnoringCase(name, kTraceparentHeader)) return true;
  }
  return false;
}

// Where the traceparent line goes: right after the request line.
size_t TraceLineAt(const std::string& text) { return text.find("\r\n") + 2; }

// How an exchange's end is counted.
Outcome OutcomeOf(const HttpResult& r) {
  switch (r.error) {
    case HttpResult::Error::kNone:
      return r.status >= 200 && r.status < 300 ? Outcome::kOk : Outcome::kHttpStatus;
    case HttpResult::Error::kConnect:
      return Outcome::kConnectError;
    case HttpResult::Error::kTimeout:
      return Outcome::kTimeout;
    default:
      return Outcome::kReset;  // no full response could be read
  }
}

}  // namespace

// The schedule and the counters. Owned by the LoadGenerator; the client's
// callbacks and the schedule timer die with it, so nothing outlives it.
class LoadGenerator::Core {
 public:
  Core(asio::io_context& io, Clock& clock, LoadOptions options, LoadGenerator::Sink sink)
      : clock_(clock),
        options_(std::move(options)),
        sink_(std::move(sink)),
        request_text_(RequestText(options_)),
        trace_line_at_(HasTraceparent(options_) ? std::string::npos : TraceLineAt(request_text_)),
        client_(io, clock, ClientOptions(options_)),
        schedule_timer_(clock.NewTimer()) {}

  // Requests already due under the old rate start first (the loop may be
  // late), so a change never removes requests; this may call the sink.
  void SetRate(double rps, TimePoint until, std::optional<TimePoint> from) {
    if (aborted_) return;
    if (rate_ > 0) {
      CatchUp(clock_.Now());
      if (aborted_) return;
    }
    if (!(rps > 0)) {
      rate_ = 0;
      ++schedule_gen_;
      schedule_timer_->Cancel();
      client_.CloseIdle();
      return;
    }
    segment_start_ = NextSegmentStart(rps, from.value_or(clock_.Now()));
    rate_ = rps;
    until_ = until;
    segment_index_ = 0;
    ArmSchedule();
  }

  void Abort() {
    if (aborted_) return;
    aborted_ = true;
    rate_ = 0;
    ++schedule_gen_;
    schedule_timer_->Cancel();
    client_.CloseAll();
    in_flight_ = 0;
    // Release whatever the sink captured, unless it is running (Abort from
    // inside the sink); Report releases it then.
    if (reporting_ == 0) sink_ = nullptr;
  }

  uint64_t in_flight() const { return in_flight_; }
  uint64_t open_connections() const { return client_.open_connections(); }
  uint64_t scheduled() const { return scheduled_; }

 private:
  // Due time of request `index` of the current segment (index may be -1: the
  // last request of the previous segment, which is how segments join up).
  // Computed from the segment start, not accumulated, so rounding never
  // drifts the rate.
  TimePoint DueAt(int64_t index) const {
    return segment_start_ + FromSeconds(static_cast<double>(index) / rate_);
  }

  // When the first request at a new rate `rps` is due. From 0 it is due at
  // `from` (the phase's start). Otherwise the spacing from the last request
  // follows the new rate, but no earlier than `from`, so a lower old rate
  // never turns into a burst and no request is due before its phase.
  TimePoint NextSegmentStart(double rps, TimePoint from) const {
    if (rate_ == 0) return from;
    TimePoint next = DueAt(segment_index_ - 1) + FromSeconds(1.0 / rps);
    return next < from ? from : next;
  }

  void ArmSchedule() {
    uint64_t gen = ++schedule_gen_;
    if (DueAt(segment_index_) >= until_) return;  // the segment is over
    schedule_timer_->At(DueAt(segment_index_), [this, gen] {
      if (aborted_ || gen != schedule_gen_) return;
      OnSchedule();
    });
  }

  void OnSchedule() {
    uint64_t gen = schedule_gen_;
    CatchUp(clock_.Now());
    // The sink may have changed the rate or aborted; that re-armed (or
    // stopped) the schedule already.
    if (aborted_ || gen != schedule_gen_) return;
    if (rate_ > 0) ArmSchedule();
  }

  // Starts every request due at or before `now` (and before the segment's
  // end). A late timer therefore catches up: lateness delays requests but
  // never removes them.
  void CatchUp(TimePoint now) {
    uint64_t gen = schedule_gen_;
    while (rate_ > 0 && DueAt(segment_index_) <= now && DueAt(segment_index_) < until_) {
      TimePoint due = DueAt(segment_index_);
      ++segment_index_;
      StartRequest(due);
      if (aborted_ || gen != schedule_gen_) return;  // the sink changed the rate
    }
  }

  void StartRequest(TimePoint due) {
    const uint64_t index = scheduled_++;
    if (in_flight_ >= options_.max_in_flight) {
      Report(Outcome::kDropped, 0, due, due, due, "");
      return;
    }
    ++in_flight_;
    // The request's own text (its traceparent line), alive until its callback
    // has run: the client reads it until then.
    auto text = std::make_shared<const std::string>(TracedText(index));
    const uint64_t out_of_fds = OutOfFdsNoted();
    Status sent = client_.Send(*text, [this, due, index, text](const HttpResult& r) {
      OnResult(due, index, r);
    });
    if (!sent.ok()) {
      --in_flight_;
      const TimePoint now = clock_.Now();
      // No socket for it (faultline's EMFILE): never sent, so no latency and
      // no start lag; the variant is an error for it (VariantRun).
      if (OutOfFdsNoted() != out_of_fds) return Report(Outcome::kDropped, 0, due, due, due, "");
      Report(Outcome::kConnectError, 0, due, now, now, TraceId(index));
    }
  }

  // The wire text of request `index`: the shared text with its traceparent
  // line after the request line.
  std::string TracedText(uint64_t index) const {
    if (trace_line_at_ == std::string::npos) return request_text_;
    const std::string value = TraceparentFor(options_.trace_seed, index);
    std::string text;
    text.reserve(request_text_.size() + kTraceparentHeader.size() + value.size() + 4);
    text.append(request_text_, 0, trace_line_at_);
    text.append(kTraceparentHeader).append(": ").append(value).append("\r\n");
    text.append(request_text_, trace_line_at_, std::string::npos);
    return text;
  }

  std::string TraceId(uint64_t index) const {
    return trace_line_at_ == std::string::npos ? "" : TraceIdFor(options_.trace_seed, index);
  }

  void OnResult(TimePoint intended, uint64_t index, const HttpResult& r) {
    if (rate_ == 0) client_.CloseIdle();  // the clients went away: nothing to keep alive for
    --in_flight_;
    Report(OutcomeOf(r), r.ok() ? r.status : 0, intended, r.sent_at, clock_.Now(), TraceId(index),
           r.retried);
  }

  void Report(Outcome outcome, int status, TimePoint intended, TimePoint sent, TimePoint done,
              std::string trace_id, bool retried = false) {
    if (aborted_ || !sink_) return;
    ++reporting_;
    RequestResult result;
    result.outcome = outcome;
    result.status = status;
    result.intended_s = ToSeconds(intended - options_.epoch);
    result.latency_s = outcome == Outcome::kDropped ? 0 : ToSeconds(done - intended);
    result.start_lag_s = ToSeconds(sent - intended);
    result.trace_id = std::move(trace_id);
    result.retried = retried;
    sink_(result);
    if (--reporting_ == 0 && aborted_) sink_ = nullptr;
  }

  Clock& clock_;
  const LoadOptions options_;
  LoadGenerator::Sink sink_;
  const std::string request_text_;  // every request's text but its traceparent: serialized once
  const size_t trace_line_at_;      // where the traceparent line goes; npos: none (given as a header)
  HttpClient client_;

  std::unique_ptr<Timer> schedule_timer_;
  uint64_t schedule_gen_ = 0;  // bumped on every re-arm; older expiries are ignored
  double rate_ = 0;
  TimePoint segment_start_;    // due time of request 0 at the current rate
  int64_t segment_index_ = 0;  // next request of the current segment
  TimePoint until_ = TimePoint::max();  // the current segment's requests are due before it

  uint64_t in_flight_ = 0;
  uint64_t scheduled_ = 0;
  bool aborted_ = false;
  int reporting_ = 0;  // depth of sink calls in progress
};

LoadGenerator::LoadGenerator(asio::io_context& io, Clock& clock, LoadOptions options, Sink sink)
    : core_(std::make_unique<Core>(io, clock, std::move(options), std::move(sink))) {}

LoadGenerator::~LoadGenerator() { core_->Abort(); }

void LoadGenerator::SetRate(double rps, TimePoint until, std::optional<TimePoint> from) {
  core_->SetRate(rps, until, from);
}
void LoadGenerator::Stop() { core_->SetRate(0, TimePoint::max(), std::nullopt); }
void LoadGenerator::Abort() { core_->Abort(); }
uint64_t LoadGenerator::in_flight() const { return core_->in_flight(); }
uint64_t LoadGenerator::open_connections() const { return core_->open_connections(); }
uint64_t LoadGenerator::scheduled() const { return core_->scheduled(); }

}  // namespace faultline
