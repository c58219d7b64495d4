#include "proxy/http/message.h"

namespace gatehouse::http {

Method method_from_string(std::string_view name) noexcept {
  switch (name.size()) {
    case 3:
      if (name == "GET") return Method::kGet;
      if (name == "PUT") return Method::kPut;
      break;
    case 4:
      if (name == "HEAD") return Method::kHead;
      if (name == "POST") return Method::kPost;
      break;
    case 5:
      if (name == "PATCH") return Method::kPatch;
      if (name == "TRACE") return Method::kTrace;
      break;
    case 6:
      if (name == "DELETE") return Method::kDelete;
      break;
    case 7:
      if (name == "OPTIONS") return Method::kOptions;
      if (name == "CONNECT") return Method::kConnect;
      break;
  }
  return Method::kOther;
}

std::string_view method_label(Method m) noexcept {
  switch (m) {
    case Method::kGet: return "GET";
    case Method::kHead: return "HEAD";
    case Method::kPost: return "POST";
    case Method::kPut: return "PUT";
    case Method::kDelete: return "DELETE";
    case Method::kPatch: return "PATCH";
    case Method::kOptions: return "OPTIONS";
    case Method::kConnect: return "CONNECT";
    case Method::kTrace: return "TRACE";
    case Method::kOther: break;
  }
  return "OTHER";
}

namespace {

// Offset of the path in an absolute-form target ("http://host/p?q"), or 0.
std::size_t path_offset(std::string_view target) noexcept {
  if (target.empty() || target.front() == '/') return 0;
  std::size_t scheme = target.find("://");
  if (scheme == std::string_view::npos) return 0;
  std::size_t slash = target.find('/', scheme + 3);
  return slash == std::string_view::npos ? target.size() : slash;
}

}  // namespace

std::string_view RequestHead::origin_form() const noexcept {
  std::string_view t(target);
  std::string_view rest = t.substr(path_offset(t));
  return rest.empty() ? std::string_view("/") : rest;
}

std::string_view RequestHead::path() const noexcept {
  std::string_view of = origin_form();
  return of.substr(0, of.find('?'));
}

std::string_view RequestHead::query() const noexcept {
  std::string_view of = origin_form();
  std::size_t q = of.find('?');
  return q == std::string_view::npos ? std::string_view() : of.substr(q + 1);
}

void RequestHead::clear() noexcept {
  method.clear();
  method_id = Method::kOther;
  target.clear();
  version_minor = 1;
  headers.clear();
  keep_alive = true;
  framing = BodyFraming::kNone;
  content_length = 0;
  expect_continue = false;
}

void ResponseHead::clear() noexcept {
  status = 200;
  reason.clear();
  version_minor = 1;
  headers.clear();
  keep_alive = true;
  framing = BodyFraming::kNone;
  content_length = 0;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
  }
  return "Unknown";
}

}  // namespace gatehouse::http
