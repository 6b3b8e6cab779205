#include "certificates.hpp"

#include "process.hpp"

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace cn::test {

namespace {

// openssl req -x509 with a new EC key (quick to make), valid 7 days, and
// the extra arguments.
void new_certificate(const std::vector<std::string> &extra) {
  std::vector<std::string> argv = {"/usr/bin/openssl", "req",  "-x509",  "-newkey", "ec", "-pkeyopt",
                                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "7"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ProcessResult result = run_process(argv);
  if (!result.exited_with(0)) throw std::runtime_error("openssl failed:\n" + result.out + result.err);
}

// Servers and clients refuse a key that others may read.
void owner_only(const std::string &key) {
  std::filesystem::permissions(key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace

void make_test_certificates(const std::string &ca_name, const std::string &ca_cert, const std::string &server_cert,
                            const std::string &server_key) {
  const std::string ca_key = ca_cert + ".key";
  new_certificate({"-subj", "/CN=" + ca_name, "-keyout", ca_key, "-out", ca_cert});
  new_certificate({"-subj", "/CN=localhost", "-addext", "basicConstraints=critical,CA:FALSE", "-addext",
                   "subjectAltName=DNS:localhost,IP:127.0.0.1", "-CA", ca_cert, "-CAkey", ca_key, "-keyout",
                   server_key, "-out", server_cert});
  owner_only(server_key);
}

void make_client_certificate(const std::string &ca_cert, const std::string &common_name, const std::string &cert,
                             const std::string &key) {
  new_certificate({"-subj", "/CN=" + common_name, "-addext", "basicConstraints=critical,CA:FALSE", "-addext",
                   "extendedKeyUsage=clientAuth", "-CA", ca_cert, "-CAkey", ca_cert + ".key", "-keyout", key, "-out",
                   cert});
  owner_only(key);
}

}  // namespace cn::test
