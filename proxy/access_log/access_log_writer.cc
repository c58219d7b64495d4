#include "proxy/access_log/access_log_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <prometheus/family.h>

#include "proxy/common/log.h"

namespace gatehouse::access_log {
namespace {

// Opens `path` for appending; -1 with `error` set on failure.
int open_output(const std::string& path, std::string& error) {
  if (path == AccessLogWriter::kStdout) return STDOUT_FILENO;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) error = "cannot open access log `" + path + "`: " + std::strerror(errno);
  return fd;
}

void close_output(int fd) {
  if (fd >= 0 && fd != STDOUT_FILENO) ::close(fd);
}

}  // namespace

AccessLogWriter::AccessLogWriter(policy::PolicyServices& services)
    : dropped_(&prometheus::BuildCounter()
                    .Name("gatehouse_access_log_dropped_total")
                    .Help("Access log lines lost: the writer's buffer was full, or writing them failed")
                    .Register(services.metrics_registry())
                    .Add({})) {
  services.on_stop([this] { stop(); });
}

AccessLogWriter::~AccessLogWriter() {
  stop();
  close_output(next_fd_);
}

bool AccessLogWriter::configure(const std::string& path, std::size_t buffer_bytes, std::string& error) {
  {
    std::lock_guard lock(mutex_);
    capacity_ = buffer_bytes;
  }
  if (path == path_) return true;
  const int fd = open_output(path, error);
  if (fd < 0) return false;
  path_ = path;
  if (!thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) {
        close_output(fd);
        return true;
      }
    }
    fd_ = fd;
    fd_path_ = path;
    thread_ = std::thread([this] { run(); });
    return true;
  }
  hand_over(fd, path);
  return true;
}

void AccessLogWriter::hand_over(int fd, const std::string& path) {
  std::lock_guard lock(mutex_);
  close_output(next_fd_);  // a switch the writer has not made yet is overtaken
  next_fd_ = fd;
  next_path_ = path;
  next_at_ = pending_.size();  // lines queued until now still go to the old output
  next_ready_ = true;
  wake_.notify_one();
}

bool AccessLogWriter::reopen(std::string& error) {
  if (path_.empty() || path_ == kStdout || !thread_.joinable()) return true;
  const int fd = open_output(path_, error);
  if (fd < 0) return false;
  hand_over(fd, path_);
  return true;
}

void AccessLogWriter::submit(std::string_view line) noexcept {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || pending_.size() + line.size() > capacity_) {
      dropped_->Increment();
      return;
    }
    const std::size_t before = pending_.size();
    try {
      pending_.append(line);
    } catch (...) {  // std::bad_alloc: dropped like a line that does not fit
      dropped_->Increment();
      return;
    }
    // Wake the writer for the first line of a batch (it then gathers more
    // for kBatchDelay) and when a quarter of the buffer is used, so a busy
    // log is written well before lines would be dropped.
    const std::size_t early = capacity_ / 4;
    wake = before == 0 || (before < early && pending_.size() >= early);
  }
  if (wake) wake_.notify_one();
}

void AccessLogWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) {
    thread_.join();
  } else {
    count_dropped(pending_);  // never configured: nowhere to write them
    pending_.clear();
  }
  close_output(fd_);
  fd_ = -1;
}

std::uint64_t AccessLogWriter::dropped() const { return static_cast<std::uint64_t>(dropped_->Value()); }

void AccessLogWriter::run() {
  std::string batch;
  for (;;) {
    int next_fd = -1;
    std::string next_path;
    std::size_t switch_at = 0;
    bool switching = false;
    bool last = false;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !pending_.empty() || stopped_ || next_ready_; });
      const auto urgent = [&] { return stopped_ || next_ready_ || pending_.size() >= capacity_ / 4; };
      if (!urgent()) wake_.wait_for(lock, kBatchDelay, urgent);
      batch.swap(pending_);  // pending_ takes batch's emptied storage
      if (next_ready_) {
        next_ready_ = false;
        switching = true;
        next_fd = std::exchange(next_fd_, -1);
        next_path = std::move(next_path_);
        switch_at = next_at_;
      }
      // After stop(), submit() adds nothing more: this batch is the last.
      last = stopped_;
    }
    std::string_view rest = batch;
    if (switching) {
      const std::string_view old_lines = rest.substr(0, switch_at);
      if (!old_lines.empty()) write_batch(old_lines);
      rest.remove_prefix(old_lines.size());
      close_output(fd_);
      fd_ = next_fd;
      fd_path_ = std::move(next_path);
      failing_ = false;
    }
    if (!rest.empty()) write_batch(rest);
    batch.clear();
    if (last) return;
  }
}

void AccessLogWriter::write_batch(std::string_view batch) {
  while (!batch.empty()) {
    const ssize_t n = ::write(fd_, batch.data(), batch.size());
    if (n >= 0) {
      batch.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      // A non-blocking stdout (inherited) that is full: wait here, not in a
      // worker, but not for ever (a reader that never reads must not hold
      // up a shutdown).
      pollfd p{.fd = fd_, .events = POLLOUT, .revents = 0};
      if (::poll(&p, 1, 1000) > 0) continue;
      errno = EAGAIN;
    }
    if (!failing_) {
      log_error("access log: writing to `" + fd_path_ + "` failed: " + std::strerror(errno) +
                "; lines are being dropped (gatehouse_access_log_dropped_total)");
      failing_ = true;
    }
    count_dropped(batch);  // what was left, a partly written line included
    return;
  }
  if (failing_) {
    log_info("access log: writing to `" + fd_path_ + "` works again");
    failing_ = false;
  }
}

void AccessLogWriter::count_dropped(std::string_view lines) noexcept {
  const auto n = std::count(lines.begin(), lines.end(), '\n');
  if (n > 0) dropped_->Increment(static_cast<double>(n));
}

}  // namespace gatehouse::access_log
