// The run loops: move records between a topic and a plugin instance until
// the end of the topic (--once), a stop signal, or an error.
#ifndef CN_HOST_RUN_HPP
#define CN_HOST_RUN_HPP

#include "log.hpp"
#include "run_observer.hpp"
#include "topic.hpp"

#include <cn/loader.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace cn::host {

// The process exit codes, documented in --help and the README.
enum ExitCode : int {
  kExitOk = 0,             // finished, or stopped cleanly by a signal
  kExitFailed = 1,         // a plugin reported an error, or the topic failed
  kExitUsage = 2,          // bad command line or connect.yml
  kExitPluginRefused = 3,  // no such plugin, or the plugin file was refused
  kExitCrashed = 4,        // a fatal signal (a plugin crashed): restart, it resumes (crash_report.hpp)
};

struct RunOptions {
  bool once = false;                     // stop at the end of the topic / when the source is idle
  std::size_t batch_records = 50000;     // records per consume() at most
  std::size_t batch_bytes = 32u << 20;   // bytes per consume(), roughly, at most
  std::chrono::milliseconds commit_interval{1000};  // commit at least this often while busy
  std::chrono::milliseconds poll_wait{200};         // how long one wait for records lasts
  std::chrono::milliseconds retry_initial{100};     // first backoff after CN_RETRY
  std::chrono::milliseconds retry_max{30000};       // longest backoff
  // --connect-timeout: with once, a connector that has not started by
  // give_up_at stops retrying and fails (start_deadline.hpp). give_up_at is
  // the host's start plus connect_timeout with once, never without it.
  std::chrono::seconds connect_timeout{30};
  std::chrono::steady_clock::time_point give_up_at = std::chrono::steady_clock::time_point::max();
};

// How messages name a plugin: "NAME (PATH)".
inline std::string who(const Plugin &plugin) { return plugin.name() + " (" + plugin.path().string() + ")"; }

// Sink: resume_offset, then consume batches read from the topic, commit at
// batch boundaries, when caught up, on the timer and before stopping. On
// CN_RETRY: back off, ask resume_offset again and re-deliver from there
// (until options.give_up_at if resume_offset has never returned CN_OK).
// Reports its progress and state to observer.
int run_sink(SinkInstance &sink, TopicReader &topic, const RunOptions &options, Logger &log, RunObserver &observer);

// Source: poll, append what it emits to the topic, make it durable, ack it.
// On CN_RETRY: back off and poll again (until options.give_up_at if poll
// has never returned CN_OK).
int run_source(SourceInstance &source, TopicWriter &topic, const RunOptions &options, Logger &log,
               RunObserver &observer);

}  // namespace cn::host

#endif
