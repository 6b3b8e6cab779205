// How the source starts, decided from what the topic, the server and the
// configuration say, apart from talking to the server so that every case is
// tested without one. PostgresSource::start() gathers the facts and carries
// the plan out.
#ifndef CN_PGSOURCE_START_PLAN_HPP
#define CN_PGSOURCE_START_PLAN_HPP

#include "topic_tail.hpp"

#include <string>

namespace cn::pgsource {

struct StartFacts {
  TopicPosition position;  // where the topic ends, as far as this instance knows
  bool topic_empty = true;
  bool slot_exists = false;
  // This instance made the slot for a load that has emitted nothing yet:
  // the slot is its own to drop.
  bool own_slot_unused = false;
  std::string slot;  // parameters.slot, for the messages
  bool initial_load = true;
  bool skip_setup = false;
};

struct StartPlan {
  enum class Action {
    // The topic ends inside an initial load, or after one cut short: load
    // again in a new slot, in a transaction that first empties the tables.
    restart_load,
    load,                    // a first start: make the slot, load from its snapshot, then stream
    create_slot_and_stream,  // a first start without a load
    stream,                  // from the existing slot's confirmed position
    refuse,                  // starting could lose or repeat changes: refusal says why and the fix
  };
  Action action = Action::refuse;
  bool drop_slot = false;  // before anything else
  std::string refusal;
};

StartPlan plan_start(const StartFacts &facts);

}  // namespace cn::pgsource

#endif
