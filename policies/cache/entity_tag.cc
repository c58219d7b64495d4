#include "policies/cache/entity_tag.h"

#include <openssl/evp.h>

#include "policies/cache/field_syntax.h"
#include "proxy/tls/openssl_util.h"

namespace gatehouse::policies::cache {
namespace {

bool is_etagc(unsigned char c) noexcept { return c == 0x21 || (c >= 0x23 && c != 0x7F); }

}  // namespace

std::optional<EntityTag> parse_entity_tag(std::string_view value) {
  value = trim_ows(value);
  EntityTag tag;
  // The weakness flag, also as the misspellings origins send (w/, W\, W).
  if (value.size() >= 2 && (value[0] == 'W' || value[0] == 'w') && (value[1] == '/' || value[1] == '\\')) {
    tag.weak = true;
    value.remove_prefix(2);
  } else if (value.size() >= 2 && value[0] == 'W' && value[1] == '"') {
    tag.weak = true;
    value.remove_prefix(1);
  }
  std::string_view opaque;
  if (!value.empty() && value.front() == '"') {
    if (value.size() < 2 || value.back() != '"') return std::nullopt;
    opaque = value.substr(1, value.size() - 2);
  } else {
    // An unquoted tag (`ETag: abc`): the same tag as `"abc"`, but never
    // after a weakness flag, where it is more likely a broken value.
    // `*` is If-Match's / If-None-Match's wildcard, never a tag.
    if (tag.weak || value.empty() || value == "*") return std::nullopt;
    opaque = value;
  }
  for (char c : opaque) {
    if (!is_etagc(static_cast<unsigned char>(c))) return std::nullopt;
  }
  tag.opaque.assign(opaque);
  return tag;
}

std::string format_entity_tag(const EntityTag& tag) {
  std::string out = tag.weak ? "W/\"" : "\"";
  out.append(tag.opaque).push_back('"');
  return out;
}

std::optional<EntityTag> response_etag(const http::HeaderMap& headers) {
  if (headers.count("etag") != 1) return std::nullopt;
  return parse_entity_tag(*headers.find("etag"));
}

std::optional<EntityTagList> entity_tag_list(const http::HeaderMap& headers, std::string_view name) {
  bool present = false;
  std::string value = combined_field(headers, name, &present);
  if (!present) return std::nullopt;
  EntityTagList list;
  std::vector<std::string_view> members = split_list(value);
  if (members.empty()) return std::nullopt;
  if (members.size() == 1 && members.front() == "*") {
    list.any = true;
    return list;
  }
  for (std::string_view m : members) {
    std::optional<EntityTag> tag = parse_entity_tag(m);
    if (!tag.has_value()) return std::nullopt;
    list.tags.push_back(std::move(*tag));
  }
  return list;
}

bool strong_match(const EntityTag& a, const EntityTag& b) noexcept {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weak_match(const EntityTag& a, const EntityTag& b) noexcept { return a.opaque == b.opaque; }

std::string generate_strong_etag(std::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(content.data(), content.size(), digest, &digest_len, tls::sha256_digest(), nullptr) != 1 ||
      digest_len < 16) {
    return {};
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "\"";
  unsigned bits = 0;
  int nbits = 0;
  for (int i = 0; i < 16; ++i) {
    bits = (bits << 8) | digest[i];
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      out.push_back(kAlphabet[(bits >> nbits) & 0x3F]);
    }
  }
  if (nbits > 0) out.push_back(kAlphabet[(bits << (6 - nbits)) & 0x3F]);
  out.push_back('"');
  return out;
}

}  // namespace gatehouse::policies::cache
