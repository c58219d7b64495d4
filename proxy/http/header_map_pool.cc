#include "proxy/http/header_map_pool.h"

#include <utility>
#include <vector>

namespace gatehouse::http {
namespace {

// A worker has one reply in the making and one being sent per connection
// turn; a few spares cover both with room to spare.
constexpr std::size_t kPooledMaps = 4;
// A map grown for an unusual message is not worth keeping warm.
constexpr std::size_t kMaxPooledSlots = 64;

std::vector<HeaderMap>& pool() {
  thread_local std::vector<HeaderMap> maps;
  return maps;
}

}  // namespace

HeaderMap take_header_map() {
  std::vector<HeaderMap>& maps = pool();
  if (maps.empty()) return HeaderMap{};
  HeaderMap map = std::move(maps.back());
  maps.pop_back();
  return map;
}

void recycle_header_map(HeaderMap&& map) {
  std::vector<HeaderMap>& maps = pool();
  if (maps.size() >= kPooledMaps || map.slot_count() > kMaxPooledSlots || map.slot_count() == 0) return;
  map.clear();
  maps.reserve(kPooledMaps);  // once per thread
  maps.push_back(std::move(map));
}

}  // namespace gatehouse::http
