#include "examples/api/auth/key_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstdio>

#include "examples/api/auth/ec_jwk.h"

namespace gatehouse::api::auth {
namespace {

constexpr std::size_t kMaxKeyFileSize = 64 * 1024;

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::optional<std::string> new_key_pem() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0) return std::nullopt;
  return std::string(data, static_cast<std::size_t>(len));
}

// Refuses to prompt on a terminal for an encrypted key's passphrase.
int no_passphrase(char*, int, int, void*) { return 0; }

}  // namespace

bool generate_ec_key_pem(const std::string& path) {
  auto pem = new_key_pem();
  if (!pem) return false;
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkstemp(tmp.data());  // creates the file with mode 0600
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0 && write_all(fd, *pem) && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  // link() fails with EEXIST instead of replacing an existing key.
  ok = ok && ::link(tmp.c_str(), path.c_str()) == 0;
  ::unlink(tmp.c_str());
  return ok;
}

std::optional<std::string> read_key_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return std::nullopt;
  std::string out;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    if (out.size() > kMaxKeyFileSize) break;
  }
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed || out.size() > kMaxKeyFileSize) return std::nullopt;
  return out;
}

PkeyPtr parse_ec_private_key_pem(std::string_view pem) {
  if (pem.size() > kMaxKeyFileSize) return nullptr;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!key || !ec_public_jwk(key.get())) return nullptr;  // not EC P-256
  return key;
}

PkeyPtr load_ec_private_key_file(const std::string& path) {
  auto pem = read_key_file(path);
  if (!pem) return nullptr;
  return parse_ec_private_key_pem(*pem);
}

}  // namespace gatehouse::api::auth
