// How postgres-source starts (plugins/postgres-source/start_plan.hpp): every
// branch of the decision, and refusals that say what to run or change.
#include "start_plan.hpp"

#include <doctest/doctest.h>

using cn::pgsource::plan_start;
using cn::pgsource::StartFacts;
using cn::pgsource::StartPlan;
using Action = StartPlan::Action;

namespace {

StartFacts first_start() {
  StartFacts f;
  f.slot = "shop";
  return f;
}

StartFacts topic_with_changes() {
  StartFacts f = first_start();
  f.topic_empty = false;
  f.position.last_end_lsn = 1000;
  return f;
}

void check_plan(const StartPlan &plan, Action action, bool drop_slot) {
  CHECK(plan.action == action);
  CHECK(plan.drop_slot == drop_slot);
  CHECK(plan.refusal.empty());
}

}  // namespace

TEST_CASE("start plan: a first start makes the slot, dropping one this instance made for a load that emitted nothing") {
  StartFacts f = first_start();
  Action action = Action::load;
  SUBCASE("with initial_load") {}
  SUBCASE("without") {
    f.initial_load = false;
    action = Action::create_slot_and_stream;
  }
  check_plan(plan_start(f), action, false);
  f.slot_exists = f.own_slot_unused = true;
  check_plan(plan_start(f), action, true);
}

TEST_CASE("start plan: an existing slot is streamed from") {
  StartFacts f = topic_with_changes();
  f.slot_exists = true;
  check_plan(plan_start(f), Action::stream, false);
  SUBCASE("also with skip_setup and initial_load false on an empty topic") {
    f = first_start();
    f.slot_exists = true;
    f.initial_load = false;
    f.skip_setup = true;
    check_plan(plan_start(f), Action::stream, false);
  }
  SUBCASE("also when the topic ends inside a streamed transaction") {
    f.position.open = true;
    f.position.open_xid = 42;
    check_plan(plan_start(f), Action::stream, false);
  }
}

TEST_CASE("start plan: a cut initial load is loaded again in a new slot") {
  StartFacts f = topic_with_changes();
  SUBCASE("the topic ends inside the load (xid 0)") {
    f.position.open = true;
    f.position.open_xid = 0;
  }
  SUBCASE("the load was closed with end_lsn 0") { f.position.load_due = true; }
  check_plan(plan_start(f), Action::restart_load, false);
  f.slot_exists = true;
  check_plan(plan_start(f), Action::restart_load, true);
  f.own_slot_unused = true;
  check_plan(plan_start(f), Action::restart_load, true);
}

TEST_CASE("start plan: refusals drop nothing and name the fix") {
  StartFacts f = first_start();
  std::string refusal;
  SUBCASE("initial_load with skip_setup") {
    f.skip_setup = true;
    refusal =
        "initial_load needs a slot that the source makes itself (for its snapshot), and skip_setup is true (fix: set"
        " initial_load: false to stream from the existing slot, or skip_setup: false)";
  }
  SUBCASE("initial_load on an empty topic with a slot this instance did not make") {
    f.slot_exists = true;
    refusal =
        "initial_load needs a slot that the source makes itself (for its snapshot), but slot 'shop' exists and the"
        " topic is empty (fix: give this connector its own parameters.slot; or, if no other connector uses it, drop"
        " it with SELECT pg_drop_replication_slot('shop'); or set initial_load: false to stream from it without a"
        " load. A source stopped during its first start, before its load began, leaves its own slot so: drop it"
        " then)";
  }
  SUBCASE("the slot is gone while the topic holds changes") {
    f = topic_with_changes();
    refusal =
        "the topic holds changes but the replication slot 'shop' is gone, so changes made since may be lost (fix:"
        " start over with a new topic, or point parameters.slot at the slot that fed this topic)";
  }
  SUBCASE("the slot is gone while the topic holds changes, with skip_setup") {
    f = topic_with_changes();
    f.skip_setup = true;
    refusal =
        "the topic holds changes but the replication slot 'shop' is gone, so changes made since may be lost (fix:"
        " start over with a new topic, or point parameters.slot at the slot that fed this topic)";
  }
  SUBCASE("no slot, and skip_setup") {
    f.initial_load = false;
    f.skip_setup = true;
    refusal =
        "the replication slot 'shop' does not exist and skip_setup is true (fix: run SELECT"
        " pg_create_logical_replication_slot('shop', 'pgoutput'); on the source, or set skip_setup: false)";
  }
  const StartPlan plan = plan_start(f);
  CHECK(plan.action == Action::refuse);
  CHECK_FALSE(plan.drop_slot);
  CHECK(plan.refusal == refusal);
  CHECK(plan.refusal.find("(fix: ") != std::string::npos);
}
