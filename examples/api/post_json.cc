#include "examples/api/post_json.h"

#include "examples/api/clock.h"

namespace gatehouse::api {
namespace {

// Characters are Unicode code points; the JSON parser has already rejected
// invalid UTF-8, so counting non-continuation bytes counts code points.
std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::optional<std::string> read_text(const boost::json::object& json, const char* field, std::size_t max_chars,
                                     bool required, std::vector<FieldError>& errors) {
  const boost::json::value* v = json.if_contains(field);
  if (!v) {
    if (required) errors.push_back({field, "is required"});
    return std::nullopt;
  }
  if (!v->is_string()) {
    errors.push_back({field, "must be a string"});
    return std::nullopt;
  }
  std::string_view text = v->as_string();
  std::size_t n = code_points(text);
  if (n == 0 || blank(text)) {
    errors.push_back({field, "must not be blank"});
    return std::nullopt;
  }
  if (n > max_chars) {
    errors.push_back({field, "must be at most " + std::to_string(max_chars) + " characters"});
    return std::nullopt;
  }
  return std::string(text);
}

}  // namespace

boost::json::object post_json(const Post& post) {
  return {{"id", post.id},
          {"authorId", post.author_id},
          {"title", post.title},
          {"body", post.body},
          {"createdAt", rfc3339_millis(post.created_at)},
          {"updatedAt", rfc3339_millis(post.updated_at)},
          {"version", post.version}};
}

std::string post_etag(const Post& post) {
  std::string etag = "\"";
  etag.append(std::to_string(post.id)).append("-").append(std::to_string(post.version)).append("-");
  return etag.append(std::to_string(post.updated_at)).append("\"");
}

PostFields read_post_fields(const boost::json::object& json, bool partial, std::vector<FieldError>& errors) {
  PostFields fields;
  fields.title = read_text(json, "title", kMaxTitleChars, !partial, errors);
  fields.body = read_text(json, "body", kMaxBodyChars, !partial, errors);
  if (partial && errors.empty() && !fields.title && !fields.body) {
    errors.push_back({"title", "at least one of title and body is required"});
  }
  return fields;
}

}  // namespace gatehouse::api
