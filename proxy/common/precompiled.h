#pragma once
// The headers nearly every translation unit parses, compiled once per target
// (CMake target_precompile_headers) instead of once per file: Asio, Boost.JSON
// and yaml-cpp dominate a clean build's time otherwise, and CI builds twice
// (plain and sanitized) on two cores.
//
// Only stable third-party and standard headers belong here, never the
// project's own (a change to one would rebuild everything). Each file still
// includes what it uses; this header is not a substitute for that.

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>
