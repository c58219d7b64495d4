#pragma once
// A RequestContext for testing policies without a proxy: a plain request
// head, settable client address and route name, its own io_context, and the
// per-request data store. Pausing targets `target`/`exchange_id`, which a
// test wires to its own stand-in exchange when it needs resumption.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "proxy/policy/policy.h"

namespace gatehouse::testing_support {

class FakeRequestContext final : public policy::RequestContext {
 public:
  http::RequestHead& request() override { return request_; }
  std::string_view client_address() const override { return client_address_; }
  std::string_view route_name() const override { return route_name_; }
  std::string_view request_id() const override { return "req-1"; }
  bool is_tls() const override { return tls_; }
  void limit_request_body(std::uint64_t max_bytes) override {
    if (!body_limit || max_bytes < *body_limit) body_limit = max_bytes;
  }
  boost::asio::any_io_executor executor() override { return io.get_executor(); }
  policy::PausedRequest pause_handle() override { return policy::PausedRequest(target, exchange_id); }
  void set_data(const void* key, std::unique_ptr<policy::RequestData> data) override {
    for (auto& [k, d] : data_) {
      if (k == key) {
        d = std::move(data);
        return;
      }
    }
    data_.emplace_back(key, std::move(data));
  }
  policy::RequestData* data(const void* key) override {
    for (auto& [k, d] : data_) {
      if (k == key) return d.get();
    }
    return nullptr;
  }

  // Kept as given, for a test to inspect or feed (the fake has no phases).
  void observe_response_body(std::unique_ptr<policy::ResponseBodyObserver> o) override { observer = std::move(o); }
  void replace_response_body(policy::SharedBody body, policy::BodySlice slice) override {
    replacement_body = std::move(body);
    replacement_slice = slice;
  }
  void hold_response(std::size_t max_body, std::unique_ptr<policy::HeldResponseHandler> handler) override {
    hold_max_body = max_body;
    held = std::move(handler);
  }
  // Kept for the test to answer (call fetch_done) or inspect.
  void fetch_in_background(http::FetchRequest request, std::function<void(http::FetchResult)> done) override {
    fetches.push_back(std::move(request));
    fetch_done.push_back(std::move(done));
  }

  void set_client_address(std::string address) { client_address_ = std::move(address); }
  void set_route_name(std::string name) { route_name_ = std::move(name); }
  void set_tls(bool tls) { tls_ = tls; }
  // Forget per-request data, as the proxy does between exchanges.
  void clear_data() { data_.clear(); }

  boost::asio::io_context io;
  std::weak_ptr<policy::ResumeTarget> target;  // the exchange, which the context does not own
  std::uint64_t exchange_id = 7;
  std::unique_ptr<policy::ResponseBodyObserver> observer;
  policy::SharedBody replacement_body;
  policy::BodySlice replacement_slice;
  std::unique_ptr<policy::HeldResponseHandler> held;
  std::size_t hold_max_body = 0;
  std::vector<http::FetchRequest> fetches;
  std::vector<std::function<void(http::FetchResult)>> fetch_done;
  std::optional<std::uint64_t> body_limit;  // the lowest limit_request_body(), if any

 private:
  http::RequestHead request_;
  std::string client_address_ = "192.0.2.1";
  std::string route_name_ = "test-route";
  bool tls_ = false;
  std::vector<std::pair<const void*, std::unique_ptr<policy::RequestData>>> data_;
};

}  // namespace gatehouse::testing_support
