#include "proxy/common/deadline.h"

namespace gatehouse {

void Deadline::arm(Clock::duration timeout, const std::shared_ptr<DeadlineListener>& owner) {
  expiry_ = Clock::now() + timeout;
  // A pending wait that wakes no later than the new expiry re-checks then.
  if (waiting_ && timer_.expiry() <= expiry_) return;
  wait(owner);
}

void Deadline::cancel() noexcept {
  expiry_ = Clock::time_point::max();
  if (!waiting_) return;
  ++generation_;
  waiting_ = false;
  timer_.cancel();
}

void Deadline::wait(const std::shared_ptr<DeadlineListener>& owner) {
  ++generation_;
  waiting_ = true;
  timer_.expires_at(expiry_);
  timer_.async_wait([this, owner, generation = generation_](const boost::system::error_code&) {
    if (generation != generation_) return;  // superseded or cancelled
    waiting_ = false;
    if (expiry_ == Clock::time_point::max()) return;
    if (Clock::now() < expiry_) {
      wait(owner);
      return;
    }
    expiry_ = Clock::time_point::max();
    owner->on_deadline(tag_);
  });
}

}  // namespace gatehouse
