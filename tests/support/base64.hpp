// Base64, as users pass key files in secrets: OpenSSL's encoder.
#ifndef CN_TEST_BASE64_HPP
#define CN_TEST_BASE64_HPP

#include <openssl/evp.h>

#include <string>
#include <string_view>

namespace cn::test {

// bytes in base64, padded, on one line.
inline std::string base64(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock adds a NUL
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(encoded.data()),
                                reinterpret_cast<const unsigned char *>(bytes.data()), static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(n));
  return encoded;
}

}  // namespace cn::test

#endif
