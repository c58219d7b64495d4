#include "policies/jwt/token_source.h"

namespace gatehouse::policies::jwt {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "Bearer <token>" -> token; nullopt for another scheme.
std::optional<std::string_view> bearer(std::string_view value) {
  value = trim(value);
  constexpr std::string_view kScheme = "bearer";
  if (value.size() <= kScheme.size() || !http::iequals(value.substr(0, kScheme.size()), kScheme) ||
      (value[kScheme.size()] != ' ' && value[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  return trim(value.substr(kScheme.size()));
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex(s[i + 1]);
      int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

FoundToken from_header(const http::RequestHead& request, const TokenSource& source) {
  FoundToken found;
  const std::string_view name =
      source.kind == TokenSource::Kind::kAuthorization ? std::string_view("Authorization") : std::string_view(source.name);
  std::size_t count = request.headers.count(name);
  if (count == 0) return found;
  if (count > 1) {
    found.kind = FoundToken::Kind::kMalformed;
    return found;
  }
  std::string_view value = *request.headers.find(name);
  std::optional<std::string_view> token = bearer(value);
  if (source.kind == TokenSource::Kind::kAuthorization) {
    if (!token) return found;  // another scheme: not ours
  } else if (!token) {
    token = trim(value);
  }
  found.kind = FoundToken::Kind::kFound;
  found.value = std::string(*token);
  return found;
}

FoundToken from_cookie(const http::RequestHead& request, const TokenSource& source) {
  FoundToken found;
  for (const http::Header& field : request.headers) {
    if (!http::iequals(field.name, "Cookie")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      std::size_t semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != source.name) continue;
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      found.kind = FoundToken::Kind::kFound;
      found.value = std::string(value);
      return found;
    }
  }
  return found;
}

FoundToken from_query(const http::RequestHead& request, const TokenSource& source) {
  FoundToken found;
  std::string_view rest = request.query();
  while (!rest.empty()) {
    std::size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != source.name) continue;
    std::optional<std::string> value =
        percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    found.kind = value ? FoundToken::Kind::kFound : FoundToken::Kind::kMalformed;
    if (value) found.value = std::move(*value);
    return found;
  }
  return found;
}

}  // namespace

FoundToken find_token(const http::RequestHead& request, const std::vector<TokenSource>& sources) {
  for (const TokenSource& source : sources) {
    FoundToken found;
    switch (source.kind) {
      case TokenSource::Kind::kAuthorization:
      case TokenSource::Kind::kHeader:
        found = from_header(request, source);
        break;
      case TokenSource::Kind::kCookie:
        found = from_cookie(request, source);
        break;
      case TokenSource::Kind::kQuery:
        found = from_query(request, source);
        break;
    }
    if (found.kind != FoundToken::Kind::kNone) {
      found.source = &source;
      return found;
    }
  }
  return {};
}

}  // namespace gatehouse::policies::jwt
