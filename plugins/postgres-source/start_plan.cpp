#include "start_plan.hpp"

namespace cn::pgsource {

namespace {

StartPlan refuse(std::string why) {
  StartPlan plan;
  plan.refusal = std::move(why);
  return plan;
}

StartPlan act(StartPlan::Action action, bool drop_slot) {
  StartPlan plan;
  plan.action = action;
  plan.drop_slot = drop_slot;
  return plan;
}

}  // namespace

StartPlan plan_start(const StartFacts &f) {
  using Action = StartPlan::Action;
  const bool drop_own_slot = f.slot_exists && f.own_slot_unused;
  const bool slot_there = f.slot_exists && !f.own_slot_unused;

  // A load's snapshot goes with its slot, so a cut load cannot go on.
  if ((f.position.open && f.position.open_xid == 0) || f.position.load_due)
    return act(Action::restart_load, f.slot_exists);

  if (f.topic_empty && f.initial_load) {
    if (f.skip_setup)
      return refuse("initial_load needs a slot that the source makes itself (for its snapshot), and skip_setup is true"
                    " (fix: set initial_load: false to stream from the existing slot, or skip_setup: false)");
    // The slot may feed another connector: it is never dropped on a guess.
    if (slot_there)
      return refuse("initial_load needs a slot that the source makes itself (for its snapshot), but slot '" + f.slot +
                    "' exists and the topic is empty (fix: give this connector its own parameters.slot; or, if no"
                    " other connector uses it, drop it with SELECT pg_drop_replication_slot('" + f.slot +
                    "'); or set initial_load: false to stream from it without a load. A source stopped during its"
                    " first start, before its load began, leaves its own slot so: drop it then)");
    return act(Action::load, drop_own_slot);
  }

  if (slot_there) return act(Action::stream, false);
  if (!f.topic_empty)
    return refuse("the topic holds changes but the replication slot '" + f.slot +
                  "' is gone, so changes made since may be lost (fix: start over with a new topic, or point"
                  " parameters.slot at the slot that fed this topic)");
  if (f.skip_setup)
    return refuse("the replication slot '" + f.slot + "' does not exist and skip_setup is true (fix: run SELECT"
                  " pg_create_logical_replication_slot('" + f.slot + "', 'pgoutput'); on the source, or set"
                  " skip_setup: false)");
  return act(Action::create_slot_and_stream, drop_own_slot);
}

}  // namespace cn::pgsource
