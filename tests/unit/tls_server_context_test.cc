// ServerTlsContext's certificate handling (proxy/tls/server_context.h):
// grouping by names, SNI lookup (exact, one-label wildcard, default), and the
// errors for bad files. Certificates come from the openssl command line.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/tls/server_context.h"

namespace gatehouse::tls {
namespace {

namespace fs = std::filesystem;

class ServerTlsContextTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("gatehouse-tls-unit-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    make("a-ec", "a.test", "DNS:a.test,DNS:www.a.test", "ec -pkeyopt ec_paramgen_curve:P-256");
    make("a-rsa", "a.test", "DNS:a.test,DNS:www.a.test", "rsa:2048");
    make("wild", "wild", "DNS:*.wild.test", "ec -pkeyopt ec_paramgen_curve:P-256");
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  static void make(const std::string& name, const std::string& cn, const std::string& san,
                   const std::string& newkey) {
    const std::string cmd = "openssl req -x509 -nodes -days 1 -newkey " + newkey + " -subj /CN=" + cn +
                            " -addext subjectAltName=" + san + " -keyout " + path(name + ".key") + " -out " +
                            path(name + ".crt") + " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static std::string path(const std::string& name) { return (dir_ / name).string(); }
  static ServerTlsSettings::CertificateFiles files(const std::string& name) {
    return {path(name + ".crt"), path(name + ".key")};
  }

  std::shared_ptr<const ServerTlsContext> build(std::vector<ServerTlsSettings::CertificateFiles> certs,
                                                std::vector<TlsBuildError>& errors) {
    ServerTlsSettings s;
    s.listener_name = "test";
    s.certificates = std::move(certs);
    return ServerTlsContext::create(s, rings_, errors);
  }

  static fs::path dir_;
  TicketKeyRings rings_;
};

fs::path ServerTlsContextTest::dir_;

TEST_F(ServerTlsContextTest, SameNamesShareAContextAndSniPicksByName) {
  std::vector<TlsBuildError> errors;
  auto ctx = build({files("a-ec"), files("a-rsa"), files("wild")}, errors);
  ASSERT_TRUE(ctx) << (errors.empty() ? "" : errors.front().message);
  ASSERT_EQ(ctx->certificates().size(), 3u);
  EXPECT_EQ(ctx->certificates()[0].key_type, KeyType::kEcdsa);
  EXPECT_EQ(ctx->certificates()[1].key_type, KeyType::kRsa);
  EXPECT_EQ(ctx->certificates()[2].names, std::vector<std::string>{"*.wild.test"});

  SSL_CTX* a = ctx->context_for("a.test");
  SSL_CTX* wild = ctx->context_for("x.wild.test");
  EXPECT_NE(a, wild);
  EXPECT_EQ(ctx->context_for("WWW.A.TEST"), a);
  EXPECT_EQ(ctx->context_for("a.wild.test"), wild);
  // Defaults: no name, unknown names, two labels under a wildcard, the bare domain.
  EXPECT_EQ(ctx->context_for(""), a);
  EXPECT_EQ(ctx->context_for("other.test"), a);
  EXPECT_EQ(ctx->context_for("x.y.wild.test"), a);
  EXPECT_EQ(ctx->context_for("wild.test"), a);
}

TEST_F(ServerTlsContextTest, TwoCertificatesOfOneKeyTypeForTheSameNamesAreAnError) {
  std::vector<TlsBuildError> errors;
  EXPECT_FALSE(build({files("a-ec"), files("a-ec")}, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].certificate, 1);
  EXPECT_NE(errors[0].message.find("a second ECDSA certificate"), std::string::npos) << errors[0].message;
}

TEST_F(ServerTlsContextTest, MismatchedKeyAndMissingFileNameTheFile) {
  std::vector<TlsBuildError> errors;
  EXPECT_FALSE(build({{path("a-ec.crt"), path("wild.key")}, {path("nope.crt"), path("a-ec.key")}}, errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].certificate, 0);
  EXPECT_EQ(errors[0].message, path("wild.key") + ": the private key does not match the certificate in " +
                                   path("a-ec.crt"));
  EXPECT_EQ(errors[1].certificate, 1);
  EXPECT_EQ(errors[1].message.rfind(path("nope.crt") + ": cannot read the file", 0), 0u) << errors[1].message;
}

}  // namespace
}  // namespace gatehouse::tls
