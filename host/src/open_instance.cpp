#include "open_instance.hpp"

#include "backoff.hpp"
#include "start_deadline.hpp"
#include "stop.hpp"

#include <stdexcept>
#include <string>

namespace cn::host {

namespace {

template <class Instance>
std::unique_ptr<Instance> open_retrying(const std::shared_ptr<const Plugin> &plugin, Logger &log,
                                        std::string_view config_json, const RunOptions &options, Metrics &metrics,
                                        RunObserver &observer) {
  Backoff backoff(options.retry_initial, options.retry_max);
  StartDeadline deadline(options);
  for (;;) {
    try {
      return std::make_unique<Instance>(plugin, log, config_json, &metrics);
    } catch (const OpenError &e) {
      if (e.status() != CN_RETRY) throw;
      const std::string asked = "open asked to retry: " + e.reason();
      if (deadline.passed()) throw std::runtime_error(deadline.gave_up(who(*plugin), asked));
      observer.retrying("open");
      auto delay = deadline.wait(backoff.next());
      log.warn(who(*plugin) + ": " + asked + "; opening again in " + std::to_string(delay.count()) + " ms (attempt " +
               std::to_string(backoff.attempts()) + ")");
      sleep_unless_stopped(delay);
    }
    if (stop_requested()) {
      log.info("stop requested before " + who(*plugin) + " opened: exiting");
      return nullptr;
    }
  }
}

}  // namespace

std::unique_ptr<SinkInstance> open_sink(const std::shared_ptr<const Plugin> &plugin, Logger &log,
                                        std::string_view config_json, const RunOptions &options, Metrics &metrics,
                                        RunObserver &observer) {
  return open_retrying<SinkInstance>(plugin, log, config_json, options, metrics, observer);
}

std::unique_ptr<SourceInstance> open_source(const std::shared_ptr<const Plugin> &plugin, Logger &log,
                                            std::string_view config_json, const RunOptions &options,
                                            Metrics &metrics, RunObserver &observer) {
  return open_retrying<SourceInstance>(plugin, log, config_json, options, metrics, observer);
}

}  // namespace cn::host
