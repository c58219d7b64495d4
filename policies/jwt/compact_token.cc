#include "policies/jwt/compact_token.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "policies/jwt/base64url.h"

namespace gatehouse::policies::jwt {
namespace {

bool parse_object(std::string_view segment, boost::json::object& out) {
  std::optional<std::string> json = base64url_decode(segment);
  if (!json) return false;
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = kMaxJsonDepth;
  boost::json::value v = boost::json::parse(*json, ec, {}, options);
  if (ec || !v.is_object()) return false;
  out = std::move(v.get_object());
  return true;
}

}  // namespace

Failure parse_compact(std::string_view token, CompactToken& out) {
  const std::size_t first = token.find('.');
  if (first == std::string_view::npos) return Failure::kMalformed;
  const std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Failure::kMalformed;
  }
  const std::string_view header = token.substr(0, first);
  const std::string_view payload = token.substr(first + 1, second - first - 1);
  const std::string_view signature = token.substr(second + 1);
  if (header.empty()) return Failure::kMalformed;

  if (!parse_object(header, out.header)) return Failure::kMalformed;
  const boost::json::value* alg = out.header.if_contains("alg");
  if (alg == nullptr || !alg->is_string()) return Failure::kMalformed;
  std::optional<Algorithm> known = algorithm_from_name(alg->get_string());
  if (!known) return Failure::kAlgNotAllowed;  // `none` included
  out.alg = *known;
  if (out.header.contains("crit")) return Failure::kUnsupportedCrit;
  out.has_kid = false;
  out.kid.clear();
  if (const boost::json::value* kid = out.header.if_contains("kid")) {
    if (!kid->is_string()) return Failure::kMalformed;
    out.kid = std::string(kid->get_string());
    out.has_kid = true;
  }
  // An empty signature is checked after `alg`, so an unsecured token
  // (`none`, RFC 7515 A.5) is reported as such.
  if (payload.empty() || signature.empty()) return Failure::kMalformed;
  if (!parse_object(payload, out.claims)) return Failure::kMalformed;
  std::optional<std::string> sig = base64url_decode(signature);
  if (!sig) return Failure::kMalformed;
  out.signature = std::move(*sig);
  out.signing_input = token.substr(0, second);
  return Failure::kNone;
}

}  // namespace gatehouse::policies::jwt
