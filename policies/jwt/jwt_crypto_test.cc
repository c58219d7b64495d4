// Signature verification for every algorithm, the RFC 7515 Appendix A
// examples, strict compact parsing, and the attacks on both.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "policies/jwt/base64url.h"
#include "policies/jwt/compact_token.h"
#include "policies/jwt/jwks.h"
#include "policies/jwt/jwt_test_support.h"
#include "policies/jwt/verification_key.h"

namespace gatehouse::policies::jwt {
namespace {

using testing::make_key;
using testing::make_token;
using testing::verification_key;

constexpr std::string_view kRfcPayload =
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";

bool verifies(std::string_view token, const VerificationKey& key) {
  CompactToken parsed;
  if (parse_compact(token, parsed) != Failure::kNone) return false;
  return verify_signature(parsed.alg, key, parsed.signing_input, parsed.signature);
}

VerificationKey jwk_key(const std::string& jwks) {
  JwksParseResult parsed = parse_jwks(jwks);
  EXPECT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.keys.size(), 1u);
  for (const std::string& s : parsed.skipped) ADD_FAILURE() << s;
  return parsed.keys.empty() ? VerificationKey{} : parsed.keys[0];
}

TEST(JwtBase64UrlTest, OnlyTheCanonicalUnpaddedEncodingDecodes) {
  EXPECT_EQ(base64url_decode("").value(), "");
  EXPECT_EQ(base64url_decode("Zg").value(), "f");
  EXPECT_EQ(base64url_decode("Zm8").value(), "fo");
  EXPECT_EQ(base64url_decode("Zm9v").value(), "foo");
  EXPECT_EQ(base64url_decode("-_8").value(), "\xfb\xff");
  EXPECT_FALSE(base64url_decode("Zg=="));      // padding
  EXPECT_FALSE(base64url_decode("Zh"));        // non-zero trailing bits: a second spelling of "f"
  EXPECT_FALSE(base64url_decode("Zm9"));       // idem for "fo" (Zm8)
  EXPECT_FALSE(base64url_decode("Z"));         // impossible length
  EXPECT_FALSE(base64url_decode("Zm 9v"));     // whitespace
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode("+/8"));       // base64, not base64url
  for (std::string s : {"", "a", "\x00\xff", "hello world", "\xfb\xff\xfe"}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)).value(), s);
  }
}

class JwtAlgorithmTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(JwtAlgorithmTest, SignedTokensVerifyAndTamperedOnesDoNot) {
  const testing::TestKey key = make_key(GetParam());
  const VerificationKey vk = verification_key(key);
  const std::string token = make_token(key, {{"sub", "alice"}});
  EXPECT_TRUE(verifies(token, vk)) << algorithm_name(GetParam());

  // A changed payload, a flipped signature byte, a truncated signature.
  const std::size_t dot = token.find('.');
  std::string other_payload = token.substr(0, dot + 1) + base64url_encode("{\"sub\":\"mallory\"}") +
                              token.substr(token.rfind('.'));
  EXPECT_FALSE(verifies(other_payload, vk));
  CompactToken parsed;
  ASSERT_EQ(parse_compact(token, parsed), Failure::kNone);
  std::string flipped = parsed.signature;
  flipped[flipped.size() / 2] ^= 0x01;
  EXPECT_FALSE(verify_signature(parsed.alg, vk, parsed.signing_input, flipped));
  EXPECT_FALSE(verify_signature(parsed.alg, vk, parsed.signing_input, parsed.signature.substr(1)));
  EXPECT_FALSE(verify_signature(parsed.alg, vk, parsed.signing_input, parsed.signature + '\0'));
  EXPECT_FALSE(verify_signature(parsed.alg, vk, parsed.signing_input, ""));
}

TEST_P(JwtAlgorithmTest, AnotherKeyOfTheSameTypeDoesNotVerify) {
  if (key_type_for(GetParam()) == KeyType::kRsa) GTEST_SKIP() << "one RSA key is shared by the RSA tests";
  const testing::TestKey key = make_key(GetParam());
  testing::TestKey other = make_key(GetParam());
  if (key_type_for(GetParam()) == KeyType::kSecret) other.secret += "x";
  EXPECT_FALSE(verifies(make_token(key, {{"sub", "a"}}), verification_key(other)));
}

TEST_P(JwtAlgorithmTest, JwkFormOfTheKeyVerifies) {
  if (key_type_for(GetParam()) == KeyType::kSecret) GTEST_SKIP() << "secrets never come from a JWKS";
  const testing::TestKey key = make_key(GetParam());
  boost::json::object jwk = testing::public_jwk(key);
  jwk["kid"] = "k1";
  jwk["alg"] = algorithm_name(GetParam());
  jwk["use"] = "sig";
  const VerificationKey vk = jwk_key(boost::json::serialize(boost::json::object{{"keys", boost::json::array{jwk}}}));
  EXPECT_EQ(vk.kid, "k1");
  EXPECT_TRUE(verifies(make_token(key, {{"sub", "a"}}), vk));
}

INSTANTIATE_TEST_SUITE_P(Every, JwtAlgorithmTest,
                         ::testing::Values(Algorithm::kHS256, Algorithm::kHS384, Algorithm::kHS512, Algorithm::kRS256,
                                           Algorithm::kRS384, Algorithm::kRS512, Algorithm::kPS256, Algorithm::kPS384,
                                           Algorithm::kPS512, Algorithm::kES256, Algorithm::kES384, Algorithm::kES512,
                                           Algorithm::kEdDSA),
                         [](const auto& info) { return std::string(algorithm_name(info.param)); });

TEST(JwtAlgorithmMixTest, AKeyVerifiesOnlyTheAlgorithmsOfItsType) {
  const testing::TestKey rs = make_key(Algorithm::kRS256);
  const VerificationKey vk = verification_key(rs);
  CompactToken parsed;
  const std::string token = make_token(rs, {{"a", 1}});  // parsed.signing_input views it
  ASSERT_EQ(parse_compact(token, parsed), Failure::kNone);
  EXPECT_TRUE(verify_signature(Algorithm::kRS256, vk, parsed.signing_input, parsed.signature));
  // Same key, other padding or digest: refused.
  EXPECT_FALSE(verify_signature(Algorithm::kPS256, vk, parsed.signing_input, parsed.signature));
  EXPECT_FALSE(verify_signature(Algorithm::kRS384, vk, parsed.signing_input, parsed.signature));
  // An ES256 key is never used for ES384 and the reverse.
  const testing::TestKey es = make_key(Algorithm::kES256);
  EXPECT_FALSE(verification_key(es).usable_for(Algorithm::kES384));
  // A JWK `alg` pins the key to that algorithm.
  VerificationKey pinned = vk;
  pinned.alg = Algorithm::kPS256;
  EXPECT_FALSE(verify_signature(Algorithm::kRS256, pinned, parsed.signing_input, parsed.signature));
}

TEST(JwtAlgorithmMixTest, PssWithAnotherSaltLengthIsRefused) {
  // Signed with salt length 0 instead of the digest's length.
  const testing::TestKey key = make_key(Algorithm::kPS256);
  const std::string input = base64url_encode("{\"alg\":\"PS256\"}") + "." + base64url_encode("{}");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), nullptr, key.private_key.get());
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 0);
  size_t len = 0;
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(ctx);
  sig.resize(len);
  EXPECT_FALSE(verify_signature(Algorithm::kPS256, verification_key(key), input, sig));
}

TEST(JwtAlgorithmMixTest, RsaSignatureShorterThanTheModulusIsRefused) {
  // A PSS signature is randomised, so one in 256 starts with a zero octet;
  // without it the octets encode the same integer. RFC 8017 §8.1.2 step 1
  // still refuses it: a signature is exactly as long as the modulus.
  for (Algorithm alg : {Algorithm::kPS256, Algorithm::kRS256}) {
    const testing::TestKey key = make_key(alg);
    const VerificationKey vk = verification_key(key);
    CompactToken parsed;
    std::string token;
    for (int i = 0; i < 20000; ++i) {
      token = make_token(key, {{"sub", "alice"}, {"n", std::to_string(i)}});
      ASSERT_EQ(parse_compact(token, parsed), Failure::kNone);
      if (parsed.signature[0] == '\0') break;
    }
    ASSERT_EQ(parsed.signature[0], '\0') << algorithm_name(alg);
    EXPECT_TRUE(verify_signature(alg, vk, parsed.signing_input, parsed.signature));
    EXPECT_FALSE(verify_signature(alg, vk, parsed.signing_input, parsed.signature.substr(1)))
        << algorithm_name(alg);
  }
}

TEST(JwtAttackTest, HmacSignedWithThePublicKeyAsSecretIsRefused) {
  // The classic confusion: the attacker signs HS256 with the RSA public key
  // (PEM text) as the HMAC secret. The public key is never an HMAC key.
  const testing::TestKey rs = make_key(Algorithm::kRS256);
  const VerificationKey vk = verification_key(rs);
  testing::TestKey forged{Algorithm::kHS256, testing::public_pem(rs), {}};
  const std::string token = make_token(forged, {{"sub", "admin"}});
  CompactToken parsed;
  ASSERT_EQ(parse_compact(token, parsed), Failure::kNone);
  EXPECT_EQ(parsed.alg, Algorithm::kHS256);
  EXPECT_FALSE(vk.usable_for(Algorithm::kHS256));
  EXPECT_FALSE(verify_signature(Algorithm::kHS256, vk, parsed.signing_input, parsed.signature));
  // ...and a secret is never a public key.
  const VerificationKey secret = verification_key(make_key(Algorithm::kHS256));
  EXPECT_FALSE(secret.usable_for(Algorithm::kRS256));
  EXPECT_FALSE(verify_signature(Algorithm::kRS256, secret, parsed.signing_input, parsed.signature));
}

std::string es_token_with_signature(Algorithm alg, const std::string& raw) {
  const std::string input = base64url_encode(std::string("{\"alg\":\"") + algorithm_name(alg).data() + "\"}") + "." +
                            base64url_encode("{\"sub\":\"x\"}");
  return input + "." + base64url_encode(raw);
}

TEST(JwtAttackTest, EcdsaSignaturesOutOfRangeOrOfTheWrongLengthAreRefused) {
  const testing::TestKey key = make_key(Algorithm::kES256);
  const VerificationKey vk = verification_key(key);
  // r = s = 0 ("psychic signatures", CVE-2022-21449).
  EXPECT_FALSE(verifies(es_token_with_signature(Algorithm::kES256, std::string(64, '\0')), vk));
  // r or s >= n: the order n of P-256, and all ones.
  const std::string n("\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF"
                      "\xBC\xE6\xFA\xAD\xA7\x17\x9E\x84\xF3\xB9\xCA\xC2\xFC\x63\x25\x51",
                      32);
  ASSERT_EQ(n.size(), 32u);
  const std::string one = std::string(31, '\0') + "\x01";
  EXPECT_FALSE(verifies(es_token_with_signature(Algorithm::kES256, n + one), vk));
  EXPECT_FALSE(verifies(es_token_with_signature(Algorithm::kES256, one + n), vk));
  EXPECT_FALSE(verifies(es_token_with_signature(Algorithm::kES256, std::string(64, '\xFF')), vk));
  // A valid signature with s replaced by n + s would be the same value mod n:
  // covered by the range check above. Now lengths: a DER signature (what
  // OpenSSL produces) and r||s padded or truncated by one byte.
  const std::string good = make_token(key, {{"sub", "x"}});
  CompactToken parsed;
  ASSERT_EQ(parse_compact(good, parsed), Failure::kNone);
  ASSERT_EQ(parsed.signature.size(), 64u);
  EXPECT_TRUE(verify_signature(Algorithm::kES256, vk, parsed.signing_input, parsed.signature));
  EXPECT_FALSE(verify_signature(Algorithm::kES256, vk, parsed.signing_input, '\0' + parsed.signature));
  EXPECT_FALSE(verify_signature(Algorithm::kES256, vk, parsed.signing_input, parsed.signature.substr(0, 63)));
  std::string der;
  {
    BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(parsed.signature.data()), 32, nullptr);
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(parsed.signature.data()) + 32, 32, nullptr);
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, r, s);
    int len = i2d_ECDSA_SIG(sig, nullptr);
    der.resize(static_cast<std::size_t>(len));
    auto* out = reinterpret_cast<unsigned char*>(der.data());
    i2d_ECDSA_SIG(sig, &out);
    ECDSA_SIG_free(sig);
  }
  EXPECT_FALSE(verify_signature(Algorithm::kES256, vk, parsed.signing_input, der));
  // An ES512 signature is 132 bytes, not 128 or 130.
  const testing::TestKey p521 = make_key(Algorithm::kES512);
  CompactToken big;
  const std::string big_token = make_token(p521, {{"a", 1}});
  ASSERT_EQ(parse_compact(big_token, big), Failure::kNone);
  EXPECT_EQ(big.signature.size(), 132u);
  EXPECT_TRUE(verify_signature(Algorithm::kES512, verification_key(p521), big.signing_input, big.signature));
}

TEST(JwtRfc7515Test, AppendixA1Hs256Verifies) {
  const std::string token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9." + std::string(kRfcPayload) +
                            ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  VerificationKey key;
  key.type = KeyType::kSecret;
  key.secret = base64url_decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow").value();
  EXPECT_TRUE(verifies(token, key));
  CompactToken parsed;
  ASSERT_EQ(parse_compact(token, parsed), Failure::kNone);
  EXPECT_EQ(parsed.claims.at("iss").as_string(), "joe");
  EXPECT_TRUE(parsed.claims.at("http://example.com/is_root").as_bool());
}

TEST(JwtRfc7515Test, AppendixA2Rs256Verifies) {
  const std::string token =
      std::string("eyJhbGciOiJSUzI1NiJ9.").append(kRfcPayload) +
      ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7"
      "t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12"
      "jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUP"
      "QGe77Rw";
  const VerificationKey key = jwk_key(
      R"({"keys":[{"kty":"RSA","e":"AQAB","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}]})");
  EXPECT_TRUE(verifies(token, key));
}

TEST(JwtRfc7515Test, AppendixA3Es256Verifies) {
  const std::string token = std::string("eyJhbGciOiJFUzI1NiJ9.").append(kRfcPayload) +
                            ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  const VerificationKey key = jwk_key(
      R"({"keys":[{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]})");
  EXPECT_TRUE(verifies(token, key));
}

TEST(JwtRfc7515Test, AppendixA5UnsecuredTokenIsRefused) {
  const std::string token = "eyJhbGciOiJub25lIn0." + std::string(kRfcPayload) + ".";
  CompactToken parsed;
  EXPECT_EQ(parse_compact(token, parsed), Failure::kAlgNotAllowed);
  // Also with a signature attached, and spelled differently.
  EXPECT_EQ(parse_compact("eyJhbGciOiJub25lIn0." + std::string(kRfcPayload) + ".AAAA", parsed), Failure::kAlgNotAllowed);
  EXPECT_EQ(parse_compact(base64url_encode(R"({"alg":"None"})") + "." + std::string(kRfcPayload) + ".AAAA", parsed),
            Failure::kAlgNotAllowed);
}

std::string segment(std::string_view json) { return base64url_encode(json); }

TEST(JwtCompactTest, StructureIsStrict) {
  const std::string h = segment(R"({"alg":"HS256"})");
  const std::string p = segment(R"({"sub":"a"})");
  CompactToken t;
  EXPECT_EQ(parse_compact(h + "." + p + ".AAAA", t), Failure::kNone);
  EXPECT_EQ(parse_compact("", t), Failure::kMalformed);
  EXPECT_EQ(parse_compact(h + "." + p, t), Failure::kMalformed);                  // two segments
  EXPECT_EQ(parse_compact(h + "." + p + ".AAAA.AAAA", t), Failure::kMalformed);   // four (JWE has five)
  EXPECT_EQ(parse_compact(h + ".." + "AAAA", t), Failure::kMalformed);            // empty payload
  EXPECT_EQ(parse_compact(h + "." + p + ".", t), Failure::kMalformed);            // empty signature
  EXPECT_EQ(parse_compact(h + "=." + p + ".AAAA", t), Failure::kMalformed);       // padding
  EXPECT_EQ(parse_compact(h + " ." + p + ".AAAA", t), Failure::kMalformed);       // whitespace
  EXPECT_EQ(parse_compact(h + "." + p + ".AA AA", t), Failure::kMalformed);
  EXPECT_EQ(parse_compact(h + "." + p + ".AB", t), Failure::kMalformed);          // non-canonical trailing bits
  EXPECT_EQ(parse_compact(h + "." + p + ".AA+/", t), Failure::kMalformed);        // base64, not base64url
  EXPECT_EQ(parse_compact(h.substr(0, h.size() - 1) + "." + p + ".AAAA", t), Failure::kMalformed);  // truncated
  EXPECT_EQ(parse_compact(segment("[1]") + "." + p + ".AAAA", t), Failure::kMalformed);  // header not an object
  EXPECT_EQ(parse_compact(h + "." + segment("\"str\"") + ".AAAA", t), Failure::kMalformed);
  EXPECT_EQ(parse_compact(h + "." + segment("{\"a\":1") + ".AAAA", t), Failure::kMalformed);  // bad JSON
  EXPECT_EQ(parse_compact(segment(R"({"alg":1})") + "." + p + ".AAAA", t), Failure::kMalformed);
  EXPECT_EQ(parse_compact(segment(R"({"typ":"JWT"})") + "." + p + ".AAAA", t), Failure::kMalformed);  // no alg
  EXPECT_EQ(parse_compact(segment(R"({"alg":"HS256","kid":5})") + "." + p + ".AAAA", t), Failure::kMalformed);
  EXPECT_EQ(parse_compact(segment(R"({"alg":"XS256"})") + "." + p + ".AAAA", t), Failure::kAlgNotAllowed);
}

TEST(JwtCompactTest, CritIsRefusedAndKeyPointersIgnored) {
  const std::string p = segment(R"({"sub":"a"})");
  CompactToken t;
  EXPECT_EQ(parse_compact(segment(R"({"alg":"HS256","crit":["exp"],"exp":1})") + "." + p + ".AAAA", t),
            Failure::kUnsupportedCrit);
  EXPECT_EQ(parse_compact(segment(R"({"alg":"HS256","crit":["b64"],"b64":false})") + "." + p + ".AAAA", t),
            Failure::kUnsupportedCrit);
  EXPECT_EQ(parse_compact(segment(R"({"alg":"HS256","crit":[]})") + "." + p + ".AAAA", t), Failure::kUnsupportedCrit);
  ASSERT_EQ(parse_compact(segment(R"({"alg":"ES256","kid":"k","jku":"https://evil/jwks","jwk":{"kty":"EC"}})") + "." + p +
                              ".AAAA",
                          t),
            Failure::kNone);
  EXPECT_EQ(t.kid, "k");
  EXPECT_TRUE(t.has_kid);
}

TEST(JwtCompactTest, DeeplyNestedJsonIsRefused) {
  std::string nested = R"({"a":)";
  for (int i = 0; i < 100; ++i) nested += "[";
  for (int i = 0; i < 100; ++i) nested += "]";
  nested += "}";
  CompactToken t;
  EXPECT_EQ(parse_compact(segment(R"({"alg":"HS256"})") + "." + segment(nested) + ".AAAA", t), Failure::kMalformed);
}

TEST(JwtJwksTest, UseKeyOpsAndAlgAreHonoured) {
  const testing::TestKey es = make_key(Algorithm::kES256);
  auto with = [&](std::initializer_list<std::pair<std::string_view, boost::json::value>> extra) {
    boost::json::object jwk = testing::public_jwk(es);
    for (const auto& [k, v] : extra) jwk[k] = v;
    return jwk;
  };
  boost::json::array keys{
      with({{"kid", "ok"}}),
      with({{"kid", "enc"}, {"use", "enc"}}),
      with({{"kid", "sign-only"}, {"key_ops", boost::json::array{"sign"}}}),
      with({{"kid", "verify"}, {"key_ops", boost::json::array{"verify"}}}),
      with({{"kid", "wrong-alg"}, {"alg", "RS256"}}),
      with({{"kid", "none"}, {"alg", "none"}}),
      with({{"kid", "pinned"}, {"alg", "ES256"}, {"use", "sig"}}),
      boost::json::object{{"kty", "oct"}, {"kid", "secret"}, {"k", "c2VjcmV0"}},
      boost::json::object{{"kty", "EC"}, {"kid", "bad-point"}, {"crv", "P-256"},
                          {"x", base64url_encode(std::string(32, '\x01'))}, {"y", base64url_encode(std::string(32, '\x02'))}},
      boost::json::object{{"kty", "RSA"}, {"kid", "short-rsa"}, {"n", base64url_encode(std::string(128, '\xC1'))}, {"e", "AQAB"}},
      boost::json::value("not an object"),
  };
  JwksParseResult parsed = parse_jwks(boost::json::serialize(boost::json::object{{"keys", keys}}));
  ASSERT_TRUE(parsed.ok);
  std::vector<std::string> kids;
  for (const VerificationKey& k : parsed.keys) kids.push_back(k.kid);
  EXPECT_EQ(kids, (std::vector<std::string>{"ok", "verify", "pinned"}));
  EXPECT_EQ(parsed.skipped.size(), 8u);
  EXPECT_EQ(parsed.keys[2].alg, Algorithm::kES256);
  EXPECT_FALSE(parse_jwks("[]").ok);
  EXPECT_FALSE(parse_jwks("{\"keys\":{}}").ok);
  EXPECT_FALSE(parse_jwks("not json").ok);
}

TEST(JwtPemTest, PublicKeysLoadAndWeakOrUnsupportedOnesDoNot) {
  std::string error;
  const std::string pems = testing::public_pem(make_key(Algorithm::kES384)) + testing::public_pem(make_key(Algorithm::kEdDSA));
  std::vector<VerificationKey> keys = keys_from_pem(pems, error);
  ASSERT_EQ(keys.size(), 2u) << error;
  EXPECT_EQ(keys[0].type, KeyType::kEcP384);
  EXPECT_EQ(keys[1].type, KeyType::kEd25519);
  EXPECT_TRUE(keys_from_pem("garbage", error).empty());
  EXPECT_FALSE(error.empty());
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  testing::TestKey weak{Algorithm::kRS256, {}, std::shared_ptr<EVP_PKEY>(small, EVP_PKEY_free)};
  error.clear();
  EXPECT_TRUE(keys_from_pem(testing::public_pem(weak), error).empty());
  EXPECT_NE(error.find("2048"), std::string::npos) << error;
}

}  // namespace
}  // namespace gatehouse::policies::jwt
