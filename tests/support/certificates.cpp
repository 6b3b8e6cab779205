#include "certificates.hpp"

#include "process.hpp"

#include <filesystem>
#include <stdexcept>
#include <vector>

namespace cn::test {

void make_test_certificates(const std::string &ca_name, const std::string &ca_cert, const std::string &server_cert,
                            const std::string &server_key) {
  const std::vector<std::string> new_key = {"/usr/bin/openssl", "req",  "-x509",  "-newkey", "ec", "-pkeyopt",
                                            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "7"};
  auto openssl = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = new_key;
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessResult result = run_process(argv);
    if (!result.exited_with(0)) throw std::runtime_error("openssl failed:\n" + result.out + result.err);
  };
  const std::string ca_key = ca_cert + ".key";
  openssl({"-subj", "/CN=" + ca_name, "-keyout", ca_key, "-out", ca_cert});
  openssl({"-subj", "/CN=localhost", "-addext", "basicConstraints=critical,CA:FALSE", "-addext",
           "subjectAltName=DNS:localhost,IP:127.0.0.1", "-CA", ca_cert, "-CAkey", ca_key, "-keyout", server_key,
           "-out", server_cert});
  // Servers refuse a key that others may read.
  std::filesystem::permissions(server_key, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace cn::test
