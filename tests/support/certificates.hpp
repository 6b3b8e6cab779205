// Certificates for the test servers that serve TLS (PostgreSQL, NATS).
#ifndef CN_TEST_CERTIFICATES_HPP
#define CN_TEST_CERTIFICATES_HPP

#include <string>

namespace cn::test {

// Writes a new CA certificate to ca_cert (its key beside it, ca_cert +
// ".key") and a server certificate it signs to server_cert and server_key:
// CN=localhost, subjectAltName localhost and 127.0.0.1, EC keys (quick to
// make), valid 7 days, the server key readable by its owner only. ca_name
// is the CA's common name. Throws std::runtime_error with openssl's output.
void make_test_certificates(const std::string &ca_name, const std::string &ca_cert, const std::string &server_cert,
                            const std::string &server_key);

// Writes a client certificate for common_name, signed by the CA that
// make_test_certificates() wrote to ca_cert, and its key (readable by its
// owner only). Throws std::runtime_error with openssl's output.
void make_client_certificate(const std::string &ca_cert, const std::string &common_name, const std::string &cert,
                             const std::string &key);

}  // namespace cn::test

#endif
