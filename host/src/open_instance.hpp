// Opening the plugin instance that the run loops drive. An open() that
// returns CN_RETRY (the plugin cannot start yet: its database is not up) is
// called again after a backoff, as any other CN_RETRY is, instead of ending
// the connector (cn/plugin.h, cn_sink_plugin.open).
#ifndef CN_HOST_OPEN_INSTANCE_HPP
#define CN_HOST_OPEN_INSTANCE_HPP

#include "log.hpp"
#include "run.hpp"

#include <cn/loader.hpp>

#include <memory>
#include <string_view>

namespace cn::host {

// Constructs the instance, calling open() again with options' backoff while
// it returns CN_RETRY, and logging a warning with the plugin's reason each
// time. Returns null if a stop was requested before open() succeeded (the
// connector then exits 0, as on any stop). Throws cn::OpenError if open()
// returns CN_ERROR or CN_INVALID_CONFIG, and std::runtime_error saying so
// if it still asks to retry at options.give_up_at (--connect-timeout).
// The plugin's metrics go to metrics; its retries to observer.
std::unique_ptr<SinkInstance> open_sink(const std::shared_ptr<const Plugin> &plugin, Logger &log,
                                        std::string_view config_json, const RunOptions &options, Metrics &metrics,
                                        RunObserver &observer);
std::unique_ptr<SourceInstance> open_source(const std::shared_ptr<const Plugin> &plugin, Logger &log,
                                            std::string_view config_json, const RunOptions &options,
                                            Metrics &metrics, RunObserver &observer);

}  // namespace cn::host

#endif
