#pragma once
// Password hashing with bcrypt ("$2b$", libcrypt's crypt_r).
//
// Cost: bcrypt cost 12 takes about 250 ms of CPU. Never call these on an I/O
// (worker) thread: the API runs them on a small boost::asio::thread_pool
// through hash_password_async / verify_password_async (password_async.h),
// which post the result back to the connection's executor.
//
// bcrypt reads only the first 72 bytes of a password; the API caps passwords
// at 128 bytes, so two passwords sharing their first 72 bytes verify alike.
// A password containing a NUL byte is refused (crypt_r takes a C string).

#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::api::auth {

inline constexpr int kBcryptCost = 12;

// Returns a "$2b$<cost>$<salt><hash>" string (60 characters), with 16 salt
// bytes from OpenSSL's RAND_bytes. `cost` is 4..31; only tests lower it.
// nullopt when the password holds a NUL byte, the cost is out of range, or
// the random source or libcrypt fails. Thread-safe.
std::optional<std::string> hash_password(std::string_view password, int cost = kBcryptCost);

// True when `password` matches `hash` (as made by hash_password). The result
// is compared in constant time. False for a malformed hash, a non-bcrypt
// hash, or a password holding a NUL byte. Thread-safe.
bool verify_password(std::string_view password, std::string_view hash);

// A valid cost-12 hash of a password nobody knows. When a login names an
// unknown email, verify the given password against this so that the answer
// takes as long as for a known email with a wrong password.
std::string_view dummy_password_hash();

}  // namespace gatehouse::api::auth
