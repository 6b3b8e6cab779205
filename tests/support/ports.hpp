// Loopback ports for the servers a test starts.
#ifndef CN_TEST_PORTS_HPP
#define CN_TEST_PORTS_HPP

namespace cn::test {

// A port nobody listens on now; the kernel picks it. Another process may
// take it before the server does: servers retry on "address in use".
int free_loopback_port();

}  // namespace cn::test

#endif
