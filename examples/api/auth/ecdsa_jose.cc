#include "examples/api/auth/ecdsa_jose.h"

#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "examples/api/auth/openssl_ptr.h"

namespace gatehouse::api::auth {
namespace {

constexpr std::size_t kScalarSize = 32;

// The order n of the P-256 group, big-endian.
constexpr std::array<unsigned char, kScalarSize> kP256Order = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51};

// 0 < v < n, for a 32-byte big-endian v. Inputs are public (a signature), so
// a plain comparison is fine.
bool in_scalar_range(const unsigned char* v) {
  bool zero = std::all_of(v, v + kScalarSize, [](unsigned char b) { return b == 0; });
  return !zero && std::memcmp(v, kP256Order.data(), kScalarSize) < 0;
}

}  // namespace

std::optional<std::string> ecdsa_der_to_jose(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    ERR_clear_error();
    return std::nullopt;
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(kEs256SignatureSize, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kScalarSize) != static_cast<int>(kScalarSize) ||
      BN_bn2binpad(s, o + kScalarSize, kScalarSize) != static_cast<int>(kScalarSize)) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> ecdsa_jose_to_der(std::string_view raw) {
  if (raw.size() != kEs256SignatureSize) return std::nullopt;
  const auto* r_bytes = reinterpret_cast<const unsigned char*>(raw.data());
  const auto* s_bytes = r_bytes + kScalarSize;
  if (!in_scalar_range(r_bytes) || !in_scalar_range(s_bytes)) return std::nullopt;
  BignumPtr r(BN_bin2bn(r_bytes, kScalarSize, nullptr));
  BignumPtr s(BN_bin2bn(s_bytes, kScalarSize, nullptr));
  EcdsaSigPtr sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  r.release();  // owned by sig now
  s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) {
    ERR_clear_error();
    return std::nullopt;
  }
  return der;
}

}  // namespace gatehouse::api::auth
