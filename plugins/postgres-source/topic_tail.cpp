#include "topic_tail.hpp"

#include <change_events/change_events.hpp>

#include <stdexcept>
#include <string>

namespace cn::pgsource {

bool TopicTail::add(int64_t offset, std::string_view record) {
  seen_any_ = true;
  const auto bad = [offset](const std::string &why) {
    return std::runtime_error("the topic's record at offset " + std::to_string(offset) +
                              " is not a change event (" + why + "); the source cannot tell where the topic ends");
  };
  events::Message message;
  try {
    message = events::parse_event(record);
  } catch (const events::EventError &e) {
    throw bad(e.what());
  }
  if (const auto *commit = std::get_if<events::Commit>(&message)) {
    position_.last_end_lsn = commit->end_lsn;
    position_.load_due = commit->end_lsn == 0;
    return false;  // the newest complete transaction: nothing older matters
  }
  if (const auto *begin = std::get_if<events::Begin>(&message)) {
    if (position_.open) throw bad("a second begin without a commit between them");
    open_begin_offset_ = offset;
    position_.open = true;
    position_.open_final_lsn = begin->final_lsn;
    position_.open_xid = begin->xid;
    position_.open_changes = changes_after_boundary_;
    return true;  // on to the commit before it
  }
  if (std::holds_alternative<events::Insert>(message) || std::holds_alternative<events::Update>(message) ||
      std::holds_alternative<events::Delete>(message) || std::holds_alternative<events::Truncate>(message))
    ++changes_after_boundary_;
  return true;
}

}  // namespace cn::pgsource
