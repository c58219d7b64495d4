#include "policies/jwt/jwks.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "policies/jwt/base64url.h"

namespace gatehouse::policies::jwt {
namespace {

struct Free {
  void operator()(OSSL_PARAM_BLD* p) const noexcept { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const noexcept { OSSL_PARAM_free(p); }
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
  void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};

const boost::json::string* string_member(const boost::json::object& o, std::string_view name) {
  const boost::json::value* v = o.if_contains(name);
  return v ? v->if_string() : nullptr;
}

std::optional<std::string> decoded_member(const boost::json::object& o, std::string_view name) {
  const boost::json::string* s = string_member(o, name);
  if (s == nullptr) return std::nullopt;
  return base64url_decode(*s);
}

EVP_PKEY* from_params(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, Free> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, Free> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return pkey;
}

EVP_PKEY* rsa_key(const boost::json::object& jwk, std::string& why) {
  std::optional<std::string> n = decoded_member(jwk, "n");
  std::optional<std::string> e = decoded_member(jwk, "e");
  if (!n || !e || n->empty() || e->empty()) {
    why = "`n` and `e` must be base64url";
    return nullptr;
  }
  std::unique_ptr<BIGNUM, Free> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                                               static_cast<int>(n->size()), nullptr));
  std::unique_ptr<BIGNUM, Free> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                                               static_cast<int>(e->size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, Free> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    why = "out of memory";
    return nullptr;
  }
  EVP_PKEY* pkey = from_params("RSA", bld.get());
  if (pkey == nullptr) why = "not a valid RSA public key";
  return pkey;
}

EVP_PKEY* ec_key(const boost::json::object& jwk, std::string& why) {
  const boost::json::string* crv = string_member(jwk, "crv");
  std::size_t size = 0;
  const char* group = nullptr;
  if (crv != nullptr && *crv == "P-256") size = 32, group = "prime256v1";
  else if (crv != nullptr && *crv == "P-384") size = 48, group = "secp384r1";
  else if (crv != nullptr && *crv == "P-521") size = 66, group = "secp521r1";
  else {
    why = "`crv` must be P-256, P-384 or P-521";
    return nullptr;
  }
  std::optional<std::string> x = decoded_member(jwk, "x");
  std::optional<std::string> y = decoded_member(jwk, "y");
  if (!x || !y || x->size() != size || y->size() != size) {
    why = "`x` and `y` must be base64url of the curve's size";
    return nullptr;
  }
  std::string point = "\x04" + *x + *y;
  std::unique_ptr<OSSL_PARAM_BLD, Free> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    why = "out of memory";
    return nullptr;
  }
  EVP_PKEY* pkey = from_params("EC", bld.get());
  if (pkey == nullptr) why = "not a point on the curve";
  return pkey;
}

EVP_PKEY* okp_key(const boost::json::object& jwk, std::string& why) {
  const boost::json::string* crv = string_member(jwk, "crv");
  if (crv == nullptr || *crv != "Ed25519") {
    why = "`crv` must be Ed25519";
    return nullptr;
  }
  std::optional<std::string> x = decoded_member(jwk, "x");
  if (!x || x->size() != 32) {
    why = "`x` must be 32 bytes of base64url";
    return nullptr;
  }
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                               reinterpret_cast<const unsigned char*>(x->data()), x->size());
  if (pkey == nullptr) why = "not a valid Ed25519 key";
  return pkey;
}

// The key, or nullopt with `why`.
std::optional<VerificationKey> parse_jwk(const boost::json::object& jwk, std::string& why) {
  if (const boost::json::value* use = jwk.if_contains("use")) {
    if (!use->is_string() || use->get_string() != "sig") {
      why = "`use` is not `sig`";
      return std::nullopt;
    }
  }
  if (const boost::json::value* ops = jwk.if_contains("key_ops")) {
    bool verify = false;
    if (const boost::json::array* list = ops->if_array()) {
      for (const boost::json::value& op : *list) verify |= op.is_string() && op.get_string() == "verify";
    }
    if (!verify) {
      why = "`key_ops` does not allow `verify`";
      return std::nullopt;
    }
  }
  std::optional<Algorithm> alg;
  if (const boost::json::value* a = jwk.if_contains("alg")) {
    alg = a->is_string() ? algorithm_from_name(a->get_string()) : std::nullopt;
    if (!alg) {
      why = "`alg` is not a supported signature algorithm";
      return std::nullopt;
    }
  }
  std::string kid;
  if (const boost::json::value* k = jwk.if_contains("kid")) {
    if (!k->is_string()) {
      why = "`kid` is not a string";
      return std::nullopt;
    }
    kid = std::string(k->get_string());
  }
  const boost::json::string* kty = string_member(jwk, "kty");
  EVP_PKEY* pkey = nullptr;
  if (kty != nullptr && *kty == "RSA") pkey = rsa_key(jwk, why);
  else if (kty != nullptr && *kty == "EC") pkey = ec_key(jwk, why);
  else if (kty != nullptr && *kty == "OKP") pkey = okp_key(jwk, why);
  else if (kty != nullptr && *kty == "oct") why = "symmetric (`oct`) keys are not taken from a key set";
  else why = "`kty` must be RSA, EC or OKP";
  ERR_clear_error();
  if (pkey == nullptr) return std::nullopt;
  std::optional<VerificationKey> key = key_from_public_pkey(pkey, why);
  if (!key) return std::nullopt;
  if (alg && key_type_for(*alg) != key->type) {
    why = "`alg` " + std::string(algorithm_name(*alg)) + " does not suit a " + std::string(key_type_name(key->type)) +
          " key";
    return std::nullopt;
  }
  key->alg = alg;
  key->kid = std::move(kid);
  return key;
}

}  // namespace

JwksParseResult parse_jwks(std::string_view json) {
  JwksParseResult result;
  boost::system::error_code ec;
  boost::json::parse_options options;
  options.max_depth = 8;
  boost::json::value doc = boost::json::parse(json, ec, {}, options);
  const boost::json::object* root = ec ? nullptr : doc.if_object();
  const boost::json::value* keys = root ? root->if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    result.error = ec ? "not JSON" : "not a JSON object with a `keys` array";
    return result;
  }
  result.ok = true;
  std::size_t index = 0;
  for (const boost::json::value& item : keys->get_array()) {
    std::string why;
    std::optional<VerificationKey> key;
    std::string kid;
    if (const boost::json::object* jwk = item.if_object()) {
      if (const boost::json::string* k = string_member(*jwk, "kid")) kid = std::string(*k);
      key = parse_jwk(*jwk, why);
    } else {
      why = "not an object";
    }
    if (key) result.keys.push_back(std::move(*key));
    else result.skipped.push_back("key " + std::to_string(index) + (kid.empty() ? "" : " (kid `" + kid + "`)") + ": " + why);
    ++index;
  }
  return result;
}

}  // namespace gatehouse::policies::jwt
