// The access-log writer against real files: lines arrive whole and in
// order, stop() writes out everything queued, reopen() follows a rotation,
// a full buffer drops (and counts) instead of waiting.
#include "proxy/access_log/access_log_writer.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

namespace gatehouse::access_log {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/gatehouse-access-log-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    for (const std::string& f : created_) std::remove(f.c_str());
    ::rmdir(path_.c_str());
  }
  std::string file(const std::string& name) {
    created_.push_back(path_ + "/" + name);
    return created_.back();
  }

 private:
  std::string path_;
  std::vector<std::string> created_;
};

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string l; std::getline(s, l);) out.push_back(l);
  return out;
}

// Polls (the writer batches for up to kBatchDelay) until `path` holds `n` lines.
bool wait_for_lines(const std::string& path, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (lines(read(path)).size() >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(AccessLogWriterTest, LoadingStartsNothingAndUnconfiguredLinesAreDroppedAtStop) {
  policy::PolicyServices services;
  AccessLogWriter& writer = services.shared<AccessLogWriter>();
  writer.submit("a\n");
  writer.submit("b\n");
  EXPECT_EQ(writer.dropped(), 0u);
  services.stop();
  EXPECT_EQ(writer.dropped(), 2u);
  writer.submit("c\n");
  EXPECT_EQ(writer.dropped(), 3u);
}

TEST(AccessLogWriterTest, StopWritesOutEveryQueuedLineFromManyThreads) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  std::vector<std::string> expected;
  {
    policy::PolicyServices services;
    AccessLogWriter& writer = services.shared<AccessLogWriter>();
    std::string error;
    ASSERT_TRUE(writer.configure(path, 64 * 1024 * 1024, error)) << error;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&writer, t] {
        for (int i = 0; i < 5000; ++i) writer.submit("thread " + std::to_string(t) + " line " + std::to_string(i) + "\n");
      });
    }
    for (std::thread& t : threads) t.join();
    services.stop();  // as the server does after its workers: nothing queued may be lost
    EXPECT_EQ(writer.dropped(), 0u);
  }
  const std::vector<std::string> got = lines(read(path));
  ASSERT_EQ(got.size(), 20000u);
  // Whole lines, each thread's in its own order.
  std::vector<int> next(4, 0);
  for (const std::string& l : got) {
    int t = -1, i = -1;
    ASSERT_EQ(std::sscanf(l.c_str(), "thread %d line %d", &t, &i), 2) << l;
    ASSERT_TRUE(t >= 0 && t < 4);
    EXPECT_EQ(i, next[t]++);
  }
}

TEST(AccessLogWriterTest, ReopenFollowsARotation) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  const std::string rotated = dir.file("access.log.1");
  policy::PolicyServices services;
  AccessLogWriter& writer = services.shared<AccessLogWriter>();
  std::string error;
  ASSERT_TRUE(writer.configure(path, AccessLogWriter::kDefaultBufferBytes, error)) << error;
  writer.submit("before\n");
  ASSERT_TRUE(wait_for_lines(path, 1));
  ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);
  writer.submit("still old\n");  // queued before the reopen: goes to the file open then
  ASSERT_TRUE(writer.reopen(error)) << error;
  ASSERT_TRUE(wait_for_lines(rotated, 2));
  writer.submit("after\n");
  services.stop();
  EXPECT_EQ(read(rotated), "before\nstill old\n");
  EXPECT_EQ(read(path), "after\n");
}

TEST(AccessLogWriterTest, ConfigureSwitchesFilesAndKeepsAnUnchangedPath) {
  TempDir dir;
  const std::string first = dir.file("first.log");
  const std::string second = dir.file("second.log");
  policy::PolicyServices services;
  AccessLogWriter& writer = services.shared<AccessLogWriter>();
  std::string error;
  ASSERT_TRUE(writer.configure(first, AccessLogWriter::kDefaultBufferBytes, error));
  writer.submit("1\n");
  ASSERT_TRUE(wait_for_lines(first, 1));
  ASSERT_TRUE(writer.configure(first, AccessLogWriter::kDefaultBufferBytes, error));  // a reload, same path
  writer.submit("2\n");
  ASSERT_TRUE(writer.configure(second, AccessLogWriter::kDefaultBufferBytes, error));
  writer.submit("3\n");
  services.stop();
  EXPECT_EQ(read(first), "1\n2\n");
  EXPECT_EQ(read(second), "3\n");
  EXPECT_EQ(writer.path(), second);
}

TEST(AccessLogWriterTest, AnUnopenablePathIsReportedAndTheOldOutputStays) {
  TempDir dir;
  const std::string path = dir.file("access.log");
  policy::PolicyServices services;
  AccessLogWriter& writer = services.shared<AccessLogWriter>();
  std::string error;
  EXPECT_FALSE(writer.configure("/nonexistent-dir/access.log", AccessLogWriter::kDefaultBufferBytes, error));
  EXPECT_EQ(error, "cannot open access log `/nonexistent-dir/access.log`: No such file or directory");
  ASSERT_TRUE(writer.configure(path, AccessLogWriter::kDefaultBufferBytes, error));
  EXPECT_FALSE(writer.configure("/nonexistent-dir/access.log", AccessLogWriter::kDefaultBufferBytes, error));
  writer.submit("kept\n");
  services.stop();
  EXPECT_EQ(read(path), "kept\n");
}

TEST(AccessLogWriterTest, AFullBufferDropsAndCountsInsteadOfWaiting) {
  // A pipe nobody reads stands for a stuck disk: the writer thread blocks
  // in write() once the pipe is full, and the buffer fills behind it.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const std::string pipe_path = "/proc/self/fd/" + std::to_string(fds[1]);
  policy::PolicyServices services;
  AccessLogWriter& writer = services.shared<AccessLogWriter>();
  std::string error;
  ASSERT_TRUE(writer.configure(pipe_path, 64 * 1024, error)) << error;
  const std::string line(1023, 'x');
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) writer.submit(line + "\n");  // ~2 MB: far more than pipe + buffer
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GT(writer.dropped(), 0u);
  EXPECT_LT(took, std::chrono::seconds(5)) << "submit() waited for the writer";
  // Unblock the writer so stop() can finish: drain the pipe in the background.
  std::thread reader([&] {
    char buf[65536];
    while (::read(fds[0], buf, sizeof buf) > 0) {
    }
  });
  services.stop();
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
}

}  // namespace
}  // namespace gatehouse::access_log
