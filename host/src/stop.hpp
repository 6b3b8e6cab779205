// Stopping on SIGINT / SIGTERM, and waiting in a way that a stop cuts short.
#ifndef CN_HOST_STOP_HPP
#define CN_HOST_STOP_HPP

#include <chrono>

namespace cn::host {

// Installs the SIGINT and SIGTERM handlers (once per process).
void install_stop_handlers();

// True once SIGINT or SIGTERM arrived.
bool stop_requested();

// Sleeps for d, or less if a stop is requested meanwhile.
void sleep_unless_stopped(std::chrono::milliseconds d);

}  // namespace cn::host

#endif
