#include "topic_tail.hpp"

#include <rapidjson/document.h>

#include <stdexcept>
#include <string>

namespace pgsource {

bool TopicTail::add(int64_t offset, std::string_view record) {
  seen_any_ = true;
  rapidjson::Document doc;
  doc.Parse(record.data(), record.size());
  auto bad = [&]() -> bool {
    throw std::runtime_error("the topic's record at offset " + std::to_string(offset) +
                             " is not a change event; the source cannot tell where the topic ends");
  };
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("message") || !doc["message"].IsObject()) return bad();
  const rapidjson::Value &m = doc["message"];
  if (!m.HasMember("type") || !m["type"].IsString()) return bad();
  const std::string type = m["type"].GetString();
  auto u64 = [&](const char *name) -> uint64_t {
    if (!m.HasMember(name) || !m[name].IsUint64()) bad();
    return m[name].GetUint64();
  };
  if (type == "commit") {
    u64("commit_lsn");  // checked: a commit without it is not a change event
    last_end_lsn_ = u64("end_lsn");
    load_due_ = last_end_lsn_ == 0;
    return false;  // the newest complete transaction: nothing older matters
  }
  if (type == "begin") {
    if (open_begin_offset_ >= 0) bad();  // two begins without a commit between them
    open_begin_offset_ = offset;
    open_final_lsn_ = u64("final_lsn");
    open_xid_ = static_cast<uint32_t>(u64("xid"));
    open_changes_ = changes_after_boundary_;
    return true;  // on to the commit before it
  }
  if (type == "insert" || type == "update" || type == "delete" || type == "truncate") ++changes_after_boundary_;
  return true;
}

}  // namespace pgsource
