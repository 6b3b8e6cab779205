// What a fatal signal leaves behind. A plugin runs inside the host's
// process, so a plugin that corrupts memory takes the host down with it;
// what the host can still do is say so, in the log, in one line that names
// the plugin, the callback and the offsets it was given, and exit with a
// code of its own (kExitCrashed) that tells a supervisor to start the
// connector again. The next start resumes after the last commit, as after
// any stop.
#ifndef CN_HOST_CRASH_REPORT_HPP
#define CN_HOST_CRASH_REPORT_HPP

#include <string>

namespace cn::host {

// Handles SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT on an alternate stack
// (so that a stack overflow is reported too): writes one ERROR line to
// stderr and exits kExitCrashed. plugin_name and topic are what the line
// calls them. Call once, on the thread that will call the plugin, before
// the plugin is opened; a later call only updates the names.
void install_crash_report(const std::string &plugin_name, const std::string &topic);

}  // namespace cn::host

#endif
