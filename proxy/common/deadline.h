#pragma once
// A resettable deadline on one steady_timer.
//
// Why not a timer per operation: a keep-alive connection re-arms its timeout
// on every read; cancelling and re-waiting an Asio timer each time costs a
// completion per request. Here arming later than the pending wait only moves
// a time point; the pending wait wakes, sees the new expiry, and sleeps again.
//
// Contract: the owner (a DeadlineListener held by shared_ptr) is kept alive by
// a pending wait; cancel() releases it at once (call it when closing). All
// calls happen on the owner's executor.

#include <chrono>
#include <cstdint>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gatehouse {

class DeadlineListener {
 public:
  virtual ~DeadlineListener() = default;
  // `tag` is the one given to Deadline's constructor (an owner may have several).
  virtual void on_deadline(int tag) = 0;
};

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  Deadline(const boost::asio::any_io_executor& executor, int tag) : timer_(executor), tag_(tag) {}

  // on_deadline(tag) runs once `timeout` has elapsed, unless re-armed or
  // disarmed first.
  void arm(Clock::duration timeout, const std::shared_ptr<DeadlineListener>& owner);
  // Forget the expiry; a pending wait wakes up later and finds nothing to do.
  void disarm() noexcept { expiry_ = Clock::time_point::max(); }
  // Forget the expiry and abort the pending wait, releasing the owner.
  void cancel() noexcept;
  bool armed() const noexcept { return expiry_ != Clock::time_point::max(); }

 private:
  void wait(const std::shared_ptr<DeadlineListener>& owner);

  boost::asio::steady_timer timer_;
  Clock::time_point expiry_ = Clock::time_point::max();
  std::uint64_t generation_ = 0;  // identifies the wait that is current
  bool waiting_ = false;
  int tag_;
};

}  // namespace gatehouse
