// Reading PostgreSQL's (libpq's) error texts, the same way in every plugin.
#ifndef CN_PLUGINS_POSTGRES_ERRORS_HPP
#define CN_PLUGINS_POSTGRES_ERRORS_HPP

#include <string>

namespace cn_plugins {

// The message without the newline (and spaces) PostgreSQL ends it with.
std::string trimmed_message(std::string message);

// Whether libpq's message on a failed connection attempt says that trying
// again cannot help: a bad URL or sslmode, a server without TLS where TLS
// is required, a certificate that does not verify, failed authentication,
// no such database or role. (Not "SSL" alone: "SSL SYSCALL error: EOF
// detected" is a server going away.)
bool connect_failure_is_permanent(const std::string &message);

}  // namespace cn_plugins

#endif
