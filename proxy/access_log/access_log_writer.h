#pragma once
// The process's one access-log writer: workers hand it finished lines, and
// its own thread writes them out in batches.
//
// Why a thread: a worker must never wait on file I/O (a slow disk, a full
// pipe on stdout). submit() only copies the line into a bounded in-memory
// buffer under a mutex; the writer thread swaps the whole buffer out and
// writes it with one write() call, at most every kBatchDelay or sooner when
// the buffer fills up. When the buffer is full the line is dropped and
// counted in gatehouse_access_log_dropped_total (so are lines a failed write
// lost), never waited for.
//
// Ownership: one instance per PolicyServices (services.shared<AccessLogWriter>()),
// so it outlives every Config whose exchanges log through it, and
// PolicyServices::stop() (after the workers have stopped) writes out what is
// queued and ends the thread. Nothing starts until configure(): loading a
// config (`gatehouse check`, tests) neither opens a file nor starts a thread.
//
// Threading: configure(), reopen() and stop() are for the control thread
// (stop() also from the destructor); submit() is for any thread. Files are
// opened on the calling (control) thread, so an unopenable path is reported
// to the operator right away and the writer keeps its previous output; the
// writer thread switches to the new file at the point in the queue where it
// was handed over (lines queued before go to the old one), then closes the
// old one.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <prometheus/counter.h>

#include "proxy/policy/services.h"

namespace gatehouse::access_log {

class AccessLogWriter {
 public:
  static constexpr std::string_view kStdout = "stdout";
  static constexpr std::size_t kDefaultBufferBytes = 1024 * 1024;
  // How long the writer waits to gather more lines into one write.
  static constexpr std::chrono::milliseconds kBatchDelay{50};

  explicit AccessLogWriter(policy::PolicyServices& services);
  ~AccessLogWriter();
  AccessLogWriter(const AccessLogWriter&) = delete;
  AccessLogWriter& operator=(const AccessLogWriter&) = delete;

  // Lines go to `path` from now on: "stdout", or a file opened for appending
  // (created with mode 0644). The path in use is kept open as it is (a
  // reload that keeps the path does not reopen). `buffer_bytes` bounds the
  // lines waiting to be written. The first successful call starts the
  // thread. False, with `error` set, when the file cannot be opened; the
  // previous output then stays.
  bool configure(const std::string& path, std::size_t buffer_bytes, std::string& error);

  // Log rotation (SIGUSR1): opens the current file again by its path, so
  // that after `mv access.log access.log.1` lines go to a new access.log.
  // Does nothing for stdout or before configure(). False, with `error` set,
  // when the file cannot be opened; the old one then stays in use.
  bool reopen(std::string& error);

  // Queues one line (which ends with '\n'), or drops it when the buffer is
  // full or the writer has stopped. Never blocks on I/O.
  void submit(std::string_view line) noexcept;

  // Writes out every queued line, then ends the thread and closes the file.
  // Later calls do nothing; later lines are dropped.
  void stop();

  // Lines dropped so far (the counter's value).
  std::uint64_t dropped() const;
  // The path in use ("" before configure()).
  const std::string& path() const noexcept { return path_; }

 private:
  void run();
  // Makes the writer switch to `fd` for the lines queued from now on.
  void hand_over(int fd, const std::string& path);
  // Writes `batch` to the current output; what cannot be written is
  // counted as dropped (and the failure logged once per streak).
  void write_batch(std::string_view batch);
  void count_dropped(std::string_view lines) noexcept;

  prometheus::Counter* dropped_;
  std::string path_;  // control thread

  std::mutex mutex_;
  std::condition_variable wake_;
  std::string pending_;              // lines waiting for the writer
  std::size_t capacity_ = kDefaultBufferBytes;
  bool stopped_ = false;  // no more lines are accepted; the writer ends after its batch
  // An output the writer switches to after its next batch.
  bool next_ready_ = false;
  int next_fd_ = -1;
  std::string next_path_;
  std::size_t next_at_ = 0;  // bytes of pending_ that still go to the old output

  // Writer thread only (and the control thread before it starts).
  int fd_ = -1;
  std::string fd_path_;
  bool failing_ = false;  // the last write failed (logged once per streak)

  std::thread thread_;
};

}  // namespace gatehouse::access_log
