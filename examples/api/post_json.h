#pragma once
// A post's JSON form and its validation.

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "examples/api/json_response.h"
#include "examples/api/post_store.h"

namespace gatehouse::api {

inline constexpr std::size_t kMaxTitleChars = 200;
inline constexpr std::size_t kMaxBodyChars = 20000;

// {"id","authorId","title","body","createdAt","updatedAt","version"}; times
// in RFC 3339.
boost::json::object post_json(const Post& post);

// The strong ETag of this version of the post: it changes on every update
// (version) and differs across databases (updated_at).
std::string post_etag(const Post& post);

struct PostFields {
  std::optional<std::string> title;
  std::optional<std::string> body;
};

// Reads title/body from a request object. `partial` (PATCH) allows either
// to be absent but not both. Appends a FieldError per invalid field;
// unknown fields are ignored.
PostFields read_post_fields(const boost::json::object& json, bool partial, std::vector<FieldError>& errors);

}  // namespace gatehouse::api
