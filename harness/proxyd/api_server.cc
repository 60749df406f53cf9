#include "harness/proxyd/api_server.h"

#include <httplib.h>

#include <condition_variable>
#include <mutex>

namespace faultline {

// What a server thread and the io_context's thread share: the API (null
// once stopped) and one condition variable for every request's answer.
struct ApiServer::Handoff {
  std::mutex mutex;
  std::condition_variable answered;
  ToxiproxyApi* api = nullptr;  // guarded by mutex; null once stopping
};

namespace {

struct Job {
  ApiRequest request;
  ApiResponse response;
  bool done = false;  // guarded by Handoff::mutex
};

}  // namespace

ApiServer::ApiServer(asio::io_context& io, ToxiproxyApi& api)
    : io_(io), handoff_(std::make_shared<Handoff>()), server_(std::make_unique<httplib::Server>()) {
  handoff_->api = &api;
  server_->new_task_queue = [] { return new httplib::ThreadPool(kThreads); };
  server_->set_keep_alive_timeout(kKeepAlive.count());
  server_->set_read_timeout(std::chrono::seconds(5));
  server_->set_payload_max_length(1 << 20);
  server_->set_tcp_nodelay(true);

  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    auto job = std::make_shared<Job>();
    job->request = {req.method, req.path, req.body, req.get_header_value("User-Agent")};
    auto handoff = handoff_;
    asio::post(io_, [handoff, job] {
      std::lock_guard lock(handoff->mutex);
      if (handoff->api) job->response = handoff->api->Handle(job->request);
      job->done = true;
      handoff->answered.notify_all();
    });
    std::unique_lock lock(handoff->mutex);
    handoff->answered.wait(lock, [&] { return job->done || !handoff->api; });
    if (!job->done || !handoff->api) {
      job->response = {503, R"({"error":"shutting down","status":503})"};
    }
    res.status = job->response.status;
    if (res.status != 204) res.set_content(job->response.body, "application/json");
  };
  // cpp-httplib answers 400 to a POST without Content-Length (Ruby's
  // Net::HTTP sends `POST /reset` so, as does `curl -X POST`): a request
  // that announces no body is answered here, before the server reads one.
  server_->set_pre_routing_handler([handler](const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("Content-Length") || req.has_header("Transfer-Encoding"))
      return httplib::Server::HandlerResponse::Unhandled;
    handler(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  server_->Put(".*", handler);
}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Listen(const std::string& host, uint16_t port) {
  const int bound =
      port == 0 ? server_->bind_to_any_port(host) : (server_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return Status::Unavailable("control API: cannot listen on " + host + ":" +
                               std::to_string(port) + " (address in use or not local?)");
  }
  port_ = static_cast<uint16_t>(bound);
  listener_ = std::thread([this] {
    server_->listen_after_bind();
    listener_done_ = true;
  });
  return Status::Ok();
}

void ApiServer::Stop() {
  {
    std::lock_guard lock(handoff_->mutex);
    handoff_->api = nullptr;
  }
  handoff_->answered.notify_all();
  if (!listener_.joinable()) return;
  // stop() does nothing until listen_after_bind() has marked the server
  // running, which the listener thread does first thing (unless it failed).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!server_->is_running() && !listener_done_ && std::chrono::steady_clock::now() < give_up)
    std::this_thread::yield();
  server_->stop();
  listener_.join();
}

}  // namespace faultline
