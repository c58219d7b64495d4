#pragma once
// Reusing HeaderMaps from one message to the next on a worker thread. A
// cleared map keeps its slots and their strings' capacity, so one reused for
// the next reply fills without allocating, where a new map allocates a
// string for every name or value past the small-string buffer (a cache hit's
// reply has several).
//
// Contract: thread-local, no locking. take_header_map() returns an empty map:
// one recycled on this thread when there is one, else a new one.
// recycle_header_map() clears `map` and keeps it for a later take on this
// thread, up to a few maps; past that, or for a map holding many fields, it
// is simply freed. A map may be taken on one thread and recycled on another.

#include "proxy/http/header_map.h"

namespace gatehouse::http {

HeaderMap take_header_map();
void recycle_header_map(HeaderMap&& map);

}  // namespace gatehouse::http
