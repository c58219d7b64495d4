#pragma once
// Runs bcrypt off the I/O threads: the work goes to a thread pool the caller
// owns (the API keeps one boost::asio::thread_pool of a few threads for it),
// and the handler is posted back to the executor the caller names, usually
// the connection's strand or io_context, so it runs where the request lives.
//
// Contract:
// - The handler runs exactly once, on `complete_on`, unless the pool is
//   stopped before the job starts or `complete_on`'s context is stopped or
//   destroyed first; then it is destroyed without running. Keep what the
//   handler needs alive by capturing it (e.g. a session's shared_ptr).
// - Until the handler has run, the job counts as outstanding work on
//   `complete_on` (so its io_context's run() does not return early). Join
//   or stop the pool before destroying `complete_on`'s execution context.
// - The password is copied into the job and wiped after hashing.
// - Handler signatures: void(std::optional<std::string> hash) for hashing,
//   void(bool matches) for verification.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <openssl/crypto.h>

#include "examples/api/auth/password.h"

namespace gatehouse::api::auth {

template <typename CompletionExecutor, typename Handler>
void hash_password_async(boost::asio::thread_pool& pool, CompletionExecutor complete_on,
                         std::string password, Handler handler, int cost = kBcryptCost) {
  auto tracked = boost::asio::prefer(std::move(complete_on),
                                     boost::asio::execution::outstanding_work.tracked);
  boost::asio::post(pool, [complete_on = std::move(tracked), cost,
                           password = std::move(password), handler = std::move(handler)]() mutable {
    std::optional<std::string> hash = hash_password(password, cost);
    OPENSSL_cleanse(password.data(), password.size());
    boost::asio::post(complete_on, [handler = std::move(handler), hash = std::move(hash)]() mutable {
      handler(std::move(hash));
    });
  });
}

template <typename CompletionExecutor, typename Handler>
void verify_password_async(boost::asio::thread_pool& pool, CompletionExecutor complete_on,
                           std::string password, std::string hash, Handler handler) {
  auto tracked = boost::asio::prefer(std::move(complete_on),
                                     boost::asio::execution::outstanding_work.tracked);
  boost::asio::post(pool, [complete_on = std::move(tracked), password = std::move(password),
                           hash = std::move(hash), handler = std::move(handler)]() mutable {
    bool matches = verify_password(password, hash);
    OPENSSL_cleanse(password.data(), password.size());
    boost::asio::post(complete_on, [handler = std::move(handler), matches]() mutable {
      handler(matches);
    });
  });
}

}  // namespace gatehouse::api::auth
