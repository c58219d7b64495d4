// Unit tests for examples/api/auth: passwords, JWT signing and verification,
// JWKS, access and refresh tokens, key files. No sockets; `now` is injected.

#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "examples/api/auth/access_token.h"
#include "examples/api/auth/base64url.h"
#include "examples/api/auth/ec_jwk.h"
#include "examples/api/auth/ecdsa_jose.h"
#include "examples/api/auth/jwks.h"
#include "examples/api/auth/jwt_signer.h"
#include "examples/api/auth/key_files.h"
#include "examples/api/auth/password.h"
#include "examples/api/auth/password_async.h"
#include "examples/api/auth/refresh_token.h"

namespace gatehouse::api::auth {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr int kTestCost = 4;  // bcrypt's minimum: keeps the tests fast

// RFC 7517 appendix A.2's EC P-256 private key (d = 870MB6gf...), as PKCS#8.
constexpr std::string_view kRfc7517Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg870MB6gfuTJ4HtUn\n"
    "UvYMyJpr5eUZNP4Bk43bVdj3eAGhRANCAAQwoEJM0hwpRIOKLXXJKzfnbqINnwCJ\n"
    "OjtO7oo8Cq/sPuBLZekkVtmIi1Kzeb371R7oae8fD8ZbZllpW2zOCBcj\n"
    "-----END PRIVATE KEY-----\n";

const system_clock::time_point kNow = system_clock::time_point(seconds(1'800'000'000));

std::string fresh_pem() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

std::string temp_path(const std::string& name) {
  static std::atomic<int> counter{0};
  return testing::TempDir() + "api_auth_test_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter++) + "_" + name;
}

std::string sha256_hex(std::string_view s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  std::string out;
  char buf[3];
  for (unsigned char b : d) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

struct TokenParts {
  std::string header, payload, signature;  // still base64url
};

TokenParts split(const std::string& token) {
  std::size_t a = token.find('.');
  std::size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

std::string join(const TokenParts& p) { return p.header + "." + p.payload + "." + p.signature; }

boost::json::object decode_json(const std::string& b64) {
  auto text = base64url_decode(b64);
  EXPECT_TRUE(text);
  return boost::json::parse(text.value_or("{}")).as_object();
}

// ES256-signs an arbitrary header and payload with `key`, independently of
// JwtSigner, so tests can forge well-signed tokens with unusual headers.
std::string sign_es256_raw(EVP_PKEY* key, const std::string& header, const std::string& payload) {
  std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t len = 0;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), 1);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()), 1);
  std::string der(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()), 1);
  der.resize(len);
  return input + "." + base64url_encode(ecdsa_der_to_jose(der).value());
}

JwtExpectations expectations() { return {"https://api.example", "gatehouse", seconds(60)}; }

boost::json::object claims_expiring_at(std::int64_t exp) {
  return {{"sub", "42"}, {"iss", "https://api.example"}, {"aud", "gatehouse"}, {"exp", exp}};
}

std::int64_t now_s() { return 1'800'000'000; }

// ---------------------------------------------------------------- base64url

TEST(Base64UrlTest, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");  // URL-safe alphabet
}

TEST(Base64UrlTest, RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    std::string part = all.substr(0, n);
    EXPECT_EQ(base64url_decode(base64url_encode(part)), part);
  }
}

TEST(Base64UrlTest, DecodingIsStrict) {
  EXPECT_EQ(base64url_decode("Zm9v"), "foo");
  EXPECT_EQ(base64url_decode(""), "");
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("Zm8="));
  EXPECT_FALSE(base64url_decode("Zm+v"));   // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm/v"));
  EXPECT_FALSE(base64url_decode("Zm 9v"));  // whitespace
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)));
  EXPECT_FALSE(base64url_decode("Z"));      // length 1 mod 4
  EXPECT_FALSE(base64url_decode("Zm9vY"));
  EXPECT_FALSE(base64url_decode("Zh"));     // non-zero trailing bits ("Zg" is canonical)
  EXPECT_FALSE(base64url_decode("Zm9"));    // ("Zm8" is canonical)
  EXPECT_TRUE(base64url_decode("Zg"));
}

// ---------------------------------------------------------------- passwords

TEST(PasswordTest, HashVerifiesAndHasBcryptFormat) {
  auto hash = hash_password("correct horse battery", kTestCost);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(hash->starts_with("$2b$04$")) << *hash;
  EXPECT_EQ(hash->size(), 60u);
  EXPECT_TRUE(verify_password("correct horse battery", *hash));
  EXPECT_FALSE(verify_password("correct horse batterY", *hash));
  EXPECT_FALSE(verify_password("", *hash));
}

TEST(PasswordTest, SaltsDiffer) {
  auto a = hash_password("same password", kTestCost);
  auto b = hash_password("same password", kTestCost);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password("same password", *b));
}

TEST(PasswordTest, RefusesNulBytesBadCostAndBadHashes) {
  EXPECT_FALSE(hash_password(std::string_view("ab\0cd", 5), kTestCost));
  EXPECT_FALSE(hash_password("password", 3));
  EXPECT_FALSE(hash_password("password", 32));
  auto hash = hash_password("ab", kTestCost);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(verify_password(std::string_view("ab\0cd", 5), *hash));
  EXPECT_FALSE(verify_password("password", ""));
  EXPECT_FALSE(verify_password("password", "$2b$04$garbage"));
  EXPECT_FALSE(verify_password("password", "$1$abcdefgh$"));  // not bcrypt
  EXPECT_FALSE(verify_password("ab", hash->substr(0, 59)));
}

TEST(PasswordTest, DummyHashIsCost12Bcrypt) {
  EXPECT_TRUE(dummy_password_hash().starts_with("$2b$12$"));
  EXPECT_EQ(dummy_password_hash().size(), 60u);
}

TEST(PasswordTest, AsyncHelpersRunOnPoolAndCompleteOnGivenExecutor) {
  boost::asio::thread_pool pool(1);
  boost::asio::io_context io;  // no work guard: pending jobs keep run() going
  const std::thread::id io_thread = std::this_thread::get_id();
  std::optional<std::string> hash;
  std::optional<bool> good, bad;
  int completions = 0;

  hash_password_async(pool, io.get_executor(), "secret pw", [&](std::optional<std::string> h) {
    EXPECT_EQ(std::this_thread::get_id(), io_thread);
    hash = std::move(h);
    ASSERT_TRUE(hash);
    verify_password_async(pool, io.get_executor(), "secret pw", *hash, [&](bool ok) {
      EXPECT_EQ(std::this_thread::get_id(), io_thread);
      good = ok;
      ++completions;
    });
    verify_password_async(pool, io.get_executor(), "wrong pw", *hash, [&](bool ok) {
      bad = ok;
      ++completions;
    });
  }, kTestCost);
  io.run();
  pool.join();
  EXPECT_EQ(completions, 2);
  ASSERT_TRUE(hash && good && bad);
  EXPECT_TRUE(hash->starts_with("$2b$04$"));
  EXPECT_TRUE(*good);
  EXPECT_FALSE(*bad);
}

// ---------------------------------------------------------------- ES256 / DER

TEST(EcdsaJoseTest, RawToDerRangeChecks) {
  std::string one(31, '\0');
  one.push_back('\x01');
  EXPECT_TRUE(ecdsa_jose_to_der(one + one));
  std::string zero(32, '\0');
  EXPECT_FALSE(ecdsa_jose_to_der(zero + one));
  EXPECT_FALSE(ecdsa_jose_to_der(one + zero));
  const std::string order =
      base64url_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE").value();  // n
  ASSERT_EQ(order.size(), 32u);
  EXPECT_FALSE(ecdsa_jose_to_der(order + one));
  EXPECT_FALSE(ecdsa_jose_to_der(one + order));
  std::string order_minus_one = order;
  order_minus_one.back() = '\x50';
  EXPECT_TRUE(ecdsa_jose_to_der(order_minus_one + order_minus_one));
  EXPECT_FALSE(ecdsa_jose_to_der(one + one + "x"));  // 65 bytes
  EXPECT_FALSE(ecdsa_jose_to_der(one));              // 32 bytes
}

TEST(EcdsaJoseTest, DerRoundTripAndTrailingBytesRejected) {
  std::string r(32, '\x11'), s(32, '\x22');
  auto der = ecdsa_jose_to_der(r + s);
  ASSERT_TRUE(der);
  EXPECT_EQ(ecdsa_der_to_jose(*der), r + s);
  EXPECT_FALSE(ecdsa_der_to_jose(*der + "x"));
  EXPECT_FALSE(ecdsa_der_to_jose("not der"));
}

// ---------------------------------------------------------------- JWT

class JwtTest : public testing::Test {
 protected:
  void SetUp() override {
    pem_ = fresh_pem();
    auto s = JwtSigner::from_ec_private_key_pem(pem_);
    ASSERT_TRUE(s);
    signer_.emplace(std::move(*s));
    key_ = parse_ec_private_key_pem(pem_);
    ASSERT_TRUE(key_);
  }

  std::string token_for(const boost::json::object& claims) { return signer_->sign(claims).value(); }

  std::string pem_;
  std::optional<JwtSigner> signer_;
  PkeyPtr key_;
};

TEST_F(JwtTest, SignVerifyRoundTrip) {
  auto claims = claims_expiring_at(now_s() + 900);
  claims["role"] = "admin";
  std::string token = token_for(claims);
  JwtError error = JwtError::kMalformed;
  auto verified = signer_->verify(token, expectations(), kNow, &error);
  ASSERT_TRUE(verified);
  EXPECT_EQ(error, JwtError::kNone);
  EXPECT_EQ(*verified, claims);

  auto header = decode_json(split(token).header);
  EXPECT_EQ(header, (boost::json::object{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", signer_->kid()}}));
  EXPECT_EQ(signer_->algorithm(), JwtAlgorithm::kES256);
}

TEST_F(JwtTest, SignatureIsRawRsOf64BytesAndVerifiesWithEvpAsDer) {
  std::string token = token_for(claims_expiring_at(now_s() + 900));
  TokenParts p = split(token);
  auto raw = base64url_decode(p.signature);
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->size(), 64u);

  // Build the DER by hand (not through ecdsa_jose_to_der) and check it with
  // OpenSSL directly against the public key.
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw->data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ASSERT_EQ(ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr)), 1);
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  ASSERT_GT(der_len, 0);
  std::string input = p.header + "." + p.payload;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_.get()), 1);
  EXPECT_EQ(EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()), 1);
  OPENSSL_free(der);
}

TEST_F(JwtTest, TamperedPayloadRejected) {
  TokenParts p = split(token_for(claims_expiring_at(now_s() + 900)));
  auto claims = decode_json(p.payload);
  claims["role"] = "admin";
  p.payload = base64url_encode(boost::json::serialize(claims));
  JwtError error = JwtError::kNone;
  EXPECT_FALSE(signer_->verify(join(p), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kBadSignature);
}

TEST_F(JwtTest, TamperedSignatureRejected) {
  TokenParts p = split(token_for(claims_expiring_at(now_s() + 900)));
  std::string raw = base64url_decode(p.signature).value();
  for (std::size_t i : {0u, 31u, 32u, 63u}) {
    std::string bad = raw;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    TokenParts q = p;
    q.signature = base64url_encode(bad);
    JwtError error = JwtError::kNone;
    EXPECT_FALSE(signer_->verify(join(q), expectations(), kNow, &error)) << i;
    EXPECT_TRUE(error == JwtError::kBadSignature) << i;
  }
  TokenParts q = p;
  q.signature = base64url_encode(raw.substr(0, 63));
  EXPECT_FALSE(signer_->verify(join(q), expectations(), kNow));
  q.signature = "";
  EXPECT_FALSE(signer_->verify(join(q), expectations(), kNow));
}

TEST_F(JwtTest, AnotherKeysSignatureRejected) {
  auto other = JwtSigner::from_ec_private_key_pem(fresh_pem());
  ASSERT_TRUE(other);
  TokenParts mine = split(token_for(claims_expiring_at(now_s() + 900)));
  TokenParts theirs = split(other->sign(claims_expiring_at(now_s() + 900)).value());
  mine.signature = theirs.signature;
  JwtError error = JwtError::kNone;
  EXPECT_FALSE(signer_->verify(join(mine), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kBadSignature);
  // Their token names their kid, which is not ours.
  EXPECT_FALSE(signer_->verify(join(theirs), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kBadHeader);
}

TEST_F(JwtTest, WrongAlgorithmHeaderRejected) {
  std::string payload = boost::json::serialize(claims_expiring_at(now_s() + 900));
  JwtError error = JwtError::kNone;
  // Correctly ES256-signed, but the header claims something else.
  for (const char* alg : {"ES384", "HS256", "none", "es256"}) {
    std::string header = std::string(R"({"alg":")") + alg + R"(","typ":"JWT"})";
    EXPECT_FALSE(signer_->verify(sign_es256_raw(key_.get(), header, payload), expectations(), kNow, &error)) << alg;
    EXPECT_EQ(error, JwtError::kAlgorithmMismatch) << alg;
  }
  EXPECT_FALSE(signer_->verify(sign_es256_raw(key_.get(), R"({"typ":"JWT"})", payload), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kAlgorithmMismatch);
  // alg "none" with an empty signature.
  std::string unsigned_token = base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(payload) + ".";
  EXPECT_FALSE(signer_->verify(unsigned_token, expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kAlgorithmMismatch);
  // The same header without kid, correctly signed, is fine.
  EXPECT_TRUE(signer_->verify(sign_es256_raw(key_.get(), R"({"alg":"ES256"})", payload), expectations(), kNow));
}

TEST_F(JwtTest, AlgorithmConfusionWithPublicKeyAsHmacSecretRejected) {
  // An attacker HMACs with the published key; an ES256 verifier must not care.
  auto hs = JwtSigner::from_hs256_secret(signer_->public_jwk()->x + signer_->public_jwk()->y);
  ASSERT_TRUE(hs);
  JwtError error = JwtError::kNone;
  EXPECT_FALSE(signer_->verify(hs->sign(claims_expiring_at(now_s() + 900)).value(), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kAlgorithmMismatch);
}

TEST_F(JwtTest, BadHeadersRejected) {
  std::string payload = boost::json::serialize(claims_expiring_at(now_s() + 900));
  JwtError error = JwtError::kNone;
  for (const char* header : {R"({"alg":"ES256","typ":"JWS"})", R"({"alg":"ES256","kid":"other"})",
                             R"({"alg":"ES256","kid":1})", R"({"alg":"ES256","crit":["exp"]})"}) {
    EXPECT_FALSE(signer_->verify(sign_es256_raw(key_.get(), header, payload), expectations(), kNow, &error)) << header;
    EXPECT_EQ(error, JwtError::kBadHeader) << header;
  }
}

TEST_F(JwtTest, MalformedTokensRejected) {
  std::string token = token_for(claims_expiring_at(now_s() + 900));
  TokenParts p = split(token);
  JwtError error = JwtError::kNone;
  for (const std::string& bad :
       {std::string(), std::string("a.b"), p.header + "." + p.payload, token + ".", token + ".x",
        p.header + "=." + p.payload + "." + p.signature, token + "=",
        join({p.header, p.payload, p.signature + "A"}),
        base64url_encode("[1]") + "." + p.payload + "." + p.signature,
        base64url_encode("{bad json") + "." + p.payload + "." + p.signature,
        token + std::string(kMaxTokenSize, 'A')}) {
    EXPECT_FALSE(signer_->verify(bad, expectations(), kNow, &error)) << bad;
  }
  // Payload that is not a JSON object but correctly signed.
  EXPECT_FALSE(signer_->verify(sign_es256_raw(key_.get(), R"({"alg":"ES256"})", "[]"), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kMalformed);
}

TEST_F(JwtTest, ExpiryAndNotBeforeUseInjectedNowWithLeeway) {
  JwtError error = JwtError::kNone;
  EXPECT_TRUE(signer_->verify(token_for(claims_expiring_at(now_s() + 1)), expectations(), kNow));
  EXPECT_TRUE(signer_->verify(token_for(claims_expiring_at(now_s() - 59)), expectations(), kNow));
  EXPECT_FALSE(signer_->verify(token_for(claims_expiring_at(now_s() - 60)), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kExpired);
  EXPECT_FALSE(signer_->verify(token_for(claims_expiring_at(now_s() - 3600)), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kExpired);
  // The same token is valid earlier.
  std::string token = token_for(claims_expiring_at(now_s() - 3600));
  EXPECT_TRUE(signer_->verify(token, expectations(), kNow - std::chrono::hours(2)));

  auto no_exp = claims_expiring_at(0);
  no_exp.erase("exp");
  EXPECT_FALSE(signer_->verify(token_for(no_exp), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kExpired);
  auto string_exp = claims_expiring_at(0);
  string_exp["exp"] = "1900000000";
  EXPECT_FALSE(signer_->verify(token_for(string_exp), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kExpired);

  auto future = claims_expiring_at(now_s() + 900);
  future["nbf"] = now_s() + 61;
  EXPECT_FALSE(signer_->verify(token_for(future), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kNotYetValid);
  future["nbf"] = now_s() + 60;
  EXPECT_TRUE(signer_->verify(token_for(future), expectations(), kNow));
}

TEST_F(JwtTest, IssuerAndAudienceChecked) {
  JwtError error = JwtError::kNone;
  auto claims = claims_expiring_at(now_s() + 900);
  claims["iss"] = "https://evil.example";
  EXPECT_FALSE(signer_->verify(token_for(claims), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kIssuerMismatch);
  claims.erase("iss");
  EXPECT_FALSE(signer_->verify(token_for(claims), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kIssuerMismatch);

  claims = claims_expiring_at(now_s() + 900);
  claims["aud"] = "someone-else";
  EXPECT_FALSE(signer_->verify(token_for(claims), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kAudienceMismatch);
  claims["aud"] = boost::json::array{"someone-else", "gatehouse"};
  EXPECT_TRUE(signer_->verify(token_for(claims), expectations(), kNow));
  claims["aud"] = boost::json::array{"someone-else"};
  EXPECT_FALSE(signer_->verify(token_for(claims), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kAudienceMismatch);
}

TEST(JwtKidTest, KidIsRfc7638ThumbprintOfKnownKey) {
  auto signer = JwtSigner::from_ec_private_key_pem(kRfc7517Pem);
  ASSERT_TRUE(signer);
  ASSERT_TRUE(signer->public_jwk());
  // RFC 7517 appendix A.1's published coordinates for this key.
  EXPECT_EQ(signer->public_jwk()->x, "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4");
  EXPECT_EQ(signer->public_jwk()->y, "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM");
  EXPECT_EQ(signer->kid(), "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s");
  EXPECT_EQ(jwk_thumbprint(signer->public_jwk()->x, signer->public_jwk()->y), signer->kid());
  // Stable across loads.
  EXPECT_EQ(JwtSigner::from_ec_private_key_pem(kRfc7517Pem)->kid(), signer->kid());
}

TEST(JwtSignerTest, RejectsBadKeys) {
  EXPECT_FALSE(JwtSigner::from_ec_private_key_pem(""));
  EXPECT_FALSE(JwtSigner::from_ec_private_key_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
  EXPECT_FALSE(JwtSigner::from_ec_private_key(nullptr));
  // A P-384 key is EC but not P-256.
  PkeyPtr p384(EVP_EC_gen("P-384"));
  ASSERT_TRUE(p384);
  EXPECT_FALSE(JwtSigner::from_ec_private_key(std::move(p384)));
  EXPECT_FALSE(JwtSigner::from_hs256_secret(std::string(31, 'k')));
}

TEST(JwtSignerTest, Hs256RoundTripAndRejections) {
  auto signer = JwtSigner::from_hs256_secret(std::string(32, 'k'));
  ASSERT_TRUE(signer);
  EXPECT_EQ(signer->algorithm(), JwtAlgorithm::kHS256);
  EXPECT_TRUE(signer->kid().empty());
  EXPECT_FALSE(signer->public_jwk());
  auto claims = claims_expiring_at(now_s() + 900);
  std::string token = signer->sign(claims).value();
  EXPECT_EQ(decode_json(split(token).header), (boost::json::object{{"alg", "HS256"}, {"typ", "JWT"}}));
  EXPECT_EQ(base64url_decode(split(token).signature)->size(), 32u);
  EXPECT_EQ(signer->verify(token, expectations(), kNow), claims);

  auto other = JwtSigner::from_hs256_secret(std::string(32, 'j'));
  JwtError error = JwtError::kNone;
  EXPECT_FALSE(other->verify(token, expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kBadSignature);

  TokenParts p = split(token);
  p.payload = base64url_encode(R"({"sub":"1","iss":"https://api.example","aud":"gatehouse","exp":1900000000})");
  EXPECT_FALSE(signer->verify(join(p), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kBadSignature);

  // An ES256 token is refused by an HS256 signer.
  auto es = JwtSigner::from_ec_private_key_pem(kRfc7517Pem);
  EXPECT_FALSE(signer->verify(es->sign(claims).value(), expectations(), kNow, &error));
  EXPECT_EQ(error, JwtError::kAlgorithmMismatch);
}

// ---------------------------------------------------------------- JWKS

TEST(JwksTest, PublishesEs256KeysOnly) {
  auto es = JwtSigner::from_ec_private_key_pem(kRfc7517Pem);
  auto hs = JwtSigner::from_hs256_secret(std::string(40, 's'));
  ASSERT_TRUE(es && hs);
  const JwtSigner* signers[] = {&*es, &*hs};
  boost::json::object jwks = build_jwks(signers);
  ASSERT_EQ(jwks.size(), 1u);
  const boost::json::array& keys = jwks.at("keys").as_array();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].as_object(),
            (boost::json::object{{"kty", "EC"},
                                 {"crv", "P-256"},
                                 {"x", "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4"},
                                 {"y", "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"},
                                 {"use", "sig"},
                                 {"alg", "ES256"},
                                 {"kid", "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"}}));
  EXPECT_EQ(boost::json::parse(jwks_json(*es)).as_object(), jwks);
  EXPECT_EQ(boost::json::parse(jwks_json(*hs)), boost::json::parse(R"({"keys":[]})"));
}

// ---------------------------------------------------------------- key files

TEST(KeyFilesTest, GeneratesOwnerOnlyPemAndNeverOverwrites) {
  std::string path = temp_path("key.pem");
  ASSERT_TRUE(generate_ec_key_pem(path));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pem = read_key_file(path);
  ASSERT_TRUE(pem);
  EXPECT_TRUE(pem->starts_with("-----BEGIN PRIVATE KEY-----"));
  PkeyPtr key = load_ec_private_key_file(path);
  ASSERT_TRUE(key);
  auto signer = JwtSigner::from_ec_private_key(std::move(key));
  ASSERT_TRUE(signer);
  EXPECT_TRUE(signer->verify(signer->sign(claims_expiring_at(now_s() + 900)).value(), expectations(), kNow));

  EXPECT_FALSE(generate_ec_key_pem(path));  // exists: left alone
  EXPECT_EQ(read_key_file(path), pem);
  ::unlink(path.c_str());
  EXPECT_FALSE(read_key_file(path));
  EXPECT_FALSE(load_ec_private_key_file(path));
  EXPECT_FALSE(generate_ec_key_pem(temp_path("no-such-dir/key.pem")));
}

TEST(KeyFilesTest, EncryptedPemFailsWithoutPrompting) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  static const char kPass[] = "passphrase";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), kPass,
                                          sizeof kPass - 1, nullptr, nullptr), 1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  EXPECT_FALSE(parse_ec_private_key_pem(std::string_view(data, static_cast<std::size_t>(len))));
}

// ---------------------------------------------------------------- access tokens

TEST(AccessTokenTest, ClaimsAndRoundTrip) {
  TokenSettings settings{"https://api.example", "gatehouse"};
  EXPECT_EQ(settings.access_ttl, std::chrono::minutes(15));
  EXPECT_EQ(settings.refresh_ttl, std::chrono::hours(24 * 7));
  auto claims = access_token_claims(42, "admin", settings, kNow);
  EXPECT_EQ(claims, (boost::json::object{{"sub", "42"},
                                         {"role", "admin"},
                                         {"iat", now_s()},
                                         {"exp", now_s() + 900},
                                         {"iss", "https://api.example"},
                                         {"aud", "gatehouse"}}));
  auto signer = JwtSigner::from_ec_private_key_pem(kRfc7517Pem);
  auto verified = signer->verify(signer->sign(claims).value(), access_token_expectations(settings), kNow);
  ASSERT_TRUE(verified);
  auto subject = access_token_subject(*verified);
  ASSERT_TRUE(subject);
  EXPECT_EQ(subject->user_id, 42);
  EXPECT_EQ(subject->role, "admin");
  // Expired 15 minutes + leeway later.
  EXPECT_FALSE(signer->verify(signer->sign(claims).value(), access_token_expectations(settings),
                              kNow + std::chrono::minutes(16)));
}

TEST(AccessTokenTest, SubjectRejectsOddSubs) {
  for (const char* sub : {"", "0", "-1", "+1", "01", "1x", "99999999999999999999"}) {
    EXPECT_FALSE(access_token_subject({{"sub", sub}, {"role", "user"}})) << sub;
  }
  EXPECT_FALSE(access_token_subject({{"sub", 7}, {"role", "user"}}));
  EXPECT_FALSE(access_token_subject({{"sub", "7"}}));
  EXPECT_TRUE(access_token_subject({{"sub", "7"}, {"role", "user"}}));
}

// ---------------------------------------------------------------- refresh tokens

TEST(RefreshTokenTest, GeneratesOpaqueTokenAndSha256HexHash) {
  auto a = generate_refresh_token();
  auto b = generate_refresh_token();
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->value, b->value);
  EXPECT_EQ(a->value.size(), 43u);
  EXPECT_EQ(base64url_decode(a->value)->size(), 32u);
  EXPECT_TRUE(is_well_formed_refresh_token(a->value));
  EXPECT_EQ(a->storage_hash, sha256_hex(a->value));
  EXPECT_EQ(a->storage_hash, refresh_token_storage_hash(a->value));
  EXPECT_EQ(refresh_token_storage_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RefreshTokenTest, WellFormedCheck) {
  EXPECT_FALSE(is_well_formed_refresh_token(""));
  EXPECT_FALSE(is_well_formed_refresh_token(std::string(42, 'A')));
  EXPECT_FALSE(is_well_formed_refresh_token(std::string(44, 'A')));
  EXPECT_FALSE(is_well_formed_refresh_token(std::string(42, 'A') + "="));
  EXPECT_FALSE(is_well_formed_refresh_token(std::string(42, 'A') + "B"));  // non-canonical tail
  EXPECT_TRUE(is_well_formed_refresh_token(std::string(42, 'A') + "E"));
}

TEST(RefreshTokenTest, CookieBuilder) {
  EXPECT_EQ(refresh_cookie("abc"),
            "refresh_token=abc; HttpOnly; Secure; SameSite=Strict; Path=/api/auth; Max-Age=604800");
  EXPECT_EQ(refresh_cookie("abc", seconds(60)),
            "refresh_token=abc; HttpOnly; Secure; SameSite=Strict; Path=/api/auth; Max-Age=60");
  EXPECT_EQ(expired_refresh_cookie(),
            "refresh_token=; HttpOnly; Secure; SameSite=Strict; Path=/api/auth; Max-Age=0");
}

TEST(RefreshTokenTest, CookieParser) {
  EXPECT_EQ(find_cookie("refresh_token=xyz", "refresh_token"), "xyz");
  EXPECT_EQ(find_cookie("a=1; refresh_token=xyz; b=2", "refresh_token"), "xyz");
  EXPECT_EQ(find_cookie("a=1;refresh_token=xyz", "refresh_token"), "xyz");
  EXPECT_EQ(find_cookie("  a=1 ;  refresh_token = xyz  ", "refresh_token"), "xyz");
  EXPECT_EQ(find_cookie("refresh_token=\"xyz\"", "refresh_token"), "xyz");
  EXPECT_EQ(find_cookie("refresh_token=first; refresh_token=second", "refresh_token"), "first");
  EXPECT_EQ(find_cookie("refresh_token=", "refresh_token"), "");
  EXPECT_EQ(find_cookie("junk; refresh_token=v=w", "refresh_token"), "v=w");
  EXPECT_FALSE(find_cookie("", "refresh_token"));
  EXPECT_FALSE(find_cookie("xrefresh_token=1; refresh_tokenx=2", "refresh_token"));
  EXPECT_FALSE(find_cookie("Refresh_Token=1", "refresh_token"));  // names are case-sensitive
  EXPECT_FALSE(find_cookie("a=1; b=2", "refresh_token"));

  http::HeaderMap headers;
  headers.add("Host", "x");
  headers.add("cookie", "a=1");
  headers.add("Cookie", "refresh_token=abc");
  EXPECT_EQ(find_cookie(headers, "refresh_token"), "abc");
  EXPECT_EQ(find_cookie(headers, "a"), "1");
  EXPECT_FALSE(find_cookie(headers, "Host"));
}

}  // namespace
}  // namespace gatehouse::api::auth
