#pragma once
// Where a request carries its token (`token_from`), tried in order; the
// first source present wins.
//
// - authorization: `Authorization: Bearer <token>` (scheme case-
//   insensitive, RFC 6750 §2.1). An Authorization header with another
//   scheme counts as no token; two Authorization headers are malformed.
// - header:NAME: the whole value of header NAME (a `Bearer ` prefix is
//   dropped); two such headers are malformed.
// - cookie:NAME: the cookie NAME from the Cookie header(s).
// - query:NAME: the query parameter NAME, percent-decoded.
// Nothing here parses the token itself.

#include <string>
#include <string_view>
#include <vector>

#include "policies/jwt/jwt_config.h"
#include "proxy/http/message.h"

namespace gatehouse::policies::jwt {

struct FoundToken {
  enum class Kind : std::uint8_t { kNone, kFound, kMalformed };
  Kind kind = Kind::kNone;
  std::string value;
  const TokenSource* source = nullptr;
};

FoundToken find_token(const http::RequestHead& request, const std::vector<TokenSource>& sources);

}  // namespace gatehouse::policies::jwt
