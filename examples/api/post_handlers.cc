#include "examples/api/post_handlers.h"

#include <charconv>

#include <boost/json/array.hpp>

#include "examples/api/clock.h"
#include "examples/api/conditional.h"
#include "examples/api/identity.h"
#include "examples/api/json_body.h"
#include "examples/api/json_response.h"
#include "examples/api/post_json.h"

namespace gatehouse::api {
namespace {

using http::Method;
using http::ServerResponse;

constexpr std::string_view kPostCacheControl = "public, max-age=60, stale-while-revalidate=300";

void add_validators(ServerResponse& r, const Post& post) {
  r.headers.set("ETag", post_etag(post));
  r.headers.set("Last-Modified", http_date(post.updated_at));
}

ServerResponse post_response(int status, const Post& post) {
  ServerResponse r = json_response(status, post_json(post));
  add_validators(r, post);
  return r;
}

// If-Match (RFC 9110 §13.1.1) makes a write conditional on the version the
// client last read, so two editors cannot silently overwrite each other.
bool precondition_failed(const ApiRequest& request, const Post& post) {
  const std::string* if_match = request.headers().find("If-Match");
  return if_match && !if_match_matches(*if_match, post_etag(post));
}

ServerResponse precondition_failed_response() {
  return error_response(412, "PRECONDITION_FAILED", "the post has changed since the given ETag");
}

ServerResponse no_such_post() { return error_response(404, "no such post"); }

}  // namespace

void PostHandlers::register_routes(Router& router) {
  router.add(Method::kPost, "/api/posts", [this](const ApiRequest& r) { return create(r); });
  router.add(Method::kGet, "/api/posts", [this](const ApiRequest& r) { return list(r); });
  router.add(Method::kGet, "/api/posts/:id", [this](const ApiRequest& r) { return get(r); });
  router.add(Method::kPut, "/api/posts/:id", [this](const ApiRequest& r) { return replace(r, false); });
  router.add(Method::kPatch, "/api/posts/:id", [this](const ApiRequest& r) { return replace(r, true); });
  router.add(Method::kDelete, "/api/posts/:id", [this](const ApiRequest& r) { return remove(r); });
  router.add(Method::kGet, "/api/users/:id/posts", [this](const ApiRequest& r) { return list_by_user(r); });
}

ServerResponse PostHandlers::create(const ApiRequest& request) {
  std::optional<Caller> caller = identity_.current_user(request.raw);
  if (!caller) return authentication_required();
  std::string error;
  std::optional<boost::json::object> json = parse_json_object(request.raw, error);
  if (!json) return error_response(400, error);
  std::vector<FieldError> errors;
  PostFields fields = read_post_fields(*json, false, errors);
  if (!errors.empty()) return validation_error(errors);
  // An identity naming no user (deleted since the token was issued) is not
  // an author.
  if (!store_.user_exists(caller->user_id)) return error_response(401, "unknown user");
  Post post = store_.create(caller->user_id, *fields.title, *fields.body);
  ServerResponse r = post_response(201, post);
  r.headers.set("Location", "/api/posts/" + std::to_string(post.id));
  return r;
}

ServerResponse PostHandlers::get(const ApiRequest& request) {
  std::optional<std::int64_t> id = request.id_param("id");
  if (!id) return no_such_post();
  std::optional<Post> post = store_.find(*id);
  if (!post) return no_such_post();
  // A 304 carries the same validators and caching headers as the 200 would.
  ServerResponse r = is_not_modified(request.headers(), post_etag(*post), post->updated_at)
                         ? empty_response(304)
                         : json_response(200, post_json(*post));
  add_validators(r, *post);
  r.headers.set("Cache-Control", kPostCacheControl);
  return r;
}

ServerResponse PostHandlers::replace(const ApiRequest& request, bool partial) {
  std::optional<Caller> caller = identity_.current_user(request.raw);
  if (!caller) return authentication_required();
  std::optional<std::int64_t> id = request.id_param("id");
  if (!id) return no_such_post();
  std::optional<Post> post = store_.find(*id);
  if (!post) return no_such_post();
  if (post->author_id != caller->user_id && !caller->is_admin()) {
    return error_response(403, "only the author or an admin may change this post");
  }
  if (precondition_failed(request, *post)) return precondition_failed_response();
  std::string error;
  std::optional<boost::json::object> json = parse_json_object(request.raw, error);
  if (!json) return error_response(400, error);
  std::vector<FieldError> errors;
  PostFields fields = read_post_fields(*json, partial, errors);
  if (!errors.empty()) return validation_error(errors);
  std::optional<Post> updated =
      store_.update(*id, fields.title.value_or(post->title), fields.body.value_or(post->body));
  if (!updated) return no_such_post();  // deleted by another writer meanwhile
  return post_response(200, *updated);
}

ServerResponse PostHandlers::remove(const ApiRequest& request) {
  std::optional<Caller> caller = identity_.current_user(request.raw);
  if (!caller) return authentication_required();
  std::optional<std::int64_t> id = request.id_param("id");
  if (!id) return no_such_post();
  std::optional<Post> post = store_.find(*id);
  if (!post) return no_such_post();
  if (post->author_id != caller->user_id && !caller->is_admin()) {
    return error_response(403, "only the author or an admin may delete this post");
  }
  if (precondition_failed(request, *post)) return precondition_failed_response();
  store_.remove(*id);
  return empty_response(204);
}

ServerResponse PostHandlers::list(const ApiRequest& request) { return list_page(request, std::nullopt); }

ServerResponse PostHandlers::list_by_user(const ApiRequest& request) {
  std::optional<std::int64_t> id = request.id_param("id");
  if (!id || !store_.user_exists(*id)) return error_response(404, "no such user");
  return list_page(request, id);
}

ServerResponse PostHandlers::list_page(const ApiRequest& request, std::optional<std::int64_t> author_id) {
  std::vector<FieldError> errors;
  std::optional<PageRequest> page_request = parse_page_request(request.query, errors);
  if (!page_request) return validation_error(errors, "invalid pagination parameters");
  PostPage page = store_.list(*page_request, author_id);
  boost::json::array data;
  for (const Post& post : page.posts) data.push_back(post_json(post));
  boost::json::object meta;
  if (page_request->mode == PageRequest::Mode::kOffset) {
    meta = offset_meta(*page_request, page.total);
  } else {
    std::optional<std::int64_t> last;
    if (!page.posts.empty()) last = page.posts.back().id;
    meta = cursor_meta(page.has_more, last);
  }
  return json_response(200, boost::json::object{{"data", std::move(data)}, {"meta", std::move(meta)}});
}

}  // namespace gatehouse::api
