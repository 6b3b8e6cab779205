// libFuzzer target: the change-event reader (parse_event and its value
// readers) and the way back (append_event, message_json). The input is a
// topic: records one per line, as a sink reads them.
//
// Every record, and everything the writer writes, that the reader's fast
// path (read_canonical.hpp) reads must read the same through the general
// reader. Besides "nothing crashes, every refusal is an EventError", each record
// that parse_event accepts must survive the round trip: append_event writes
// it back, parse_event reads that to an equal message and envelope, and
// writing that again gives the same bytes. A change (insert, update,
// delete) is written back with a relation made from its own value kinds (a
// column of Int4 values is an int4 column, ...), so that the writer has no
// reason to refuse it unless a String or a name is not UTF-8 (the reader
// takes those, and leaves them to the target database to refuse) or its
// tuples disagree on widths or kinds. It is written again with the relation
// the topic described last for its rel_id, which the writer may refuse
// (values of other types), but what it writes must then read back stable.
#include "fuzz_check.hpp"

#include <change_events/change_events.hpp>
#include <change_events/read_canonical.hpp>
#include <change_events/type_oids.hpp>
#include <change_events/value_text.hpp>

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace cn::events;

namespace {

// --- equality of messages (the model has == for some types only) ---------------

bool same(const Begin &a, const Begin &b) {
  return a.final_lsn == b.final_lsn && a.timestamp == b.timestamp && a.xid == b.xid;
}
bool same(const Commit &a, const Commit &b) {
  return a.flags == b.flags && a.commit_lsn == b.commit_lsn && a.end_lsn == b.end_lsn && a.timestamp == b.timestamp;
}
bool same(const Origin &a, const Origin &b) { return a.commit_lsn == b.commit_lsn && a.name == b.name; }
bool same(const Relation &a, const Relation &b) { return a == b; }
bool same(const Type &a, const Type &b) { return a.id == b.id && a.namespace_ == b.namespace_ && a.name == b.name; }
bool same(const Insert &a, const Insert &b) { return a.rel_id == b.rel_id && a.tuple == b.tuple; }
bool same(const Update &a, const Update &b) {
  return a.rel_id == b.rel_id && a.old_tuple == b.old_tuple && a.key_tuple == b.key_tuple && a.new_tuple == b.new_tuple;
}
bool same(const Delete &a, const Delete &b) {
  return a.rel_id == b.rel_id && a.old_tuple == b.old_tuple && a.key_tuple == b.key_tuple;
}
bool same(const Truncate &a, const Truncate &b) { return a.options == b.options && a.rel_ids == b.rel_ids; }

bool same(const Message &a, const Message &b) {
  if (a.index() != b.index()) return false;
  return std::visit([&b](const auto &x) { return same(x, std::get<std::decay_t<decltype(x)>>(b)); }, a);
}

bool same(const Envelope &a, const Envelope &b) {
  return a.wal_start == b.wal_start && a.wal_end == b.wal_end && a.timestamp == b.timestamp;
}

// --- UTF-8, checked here independently of the writer's own check ------------

bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t more = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      more = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      more = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      more = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (more > s.size() - i - 1) return false;  // cut short
    for (std::size_t k = 1; k <= more; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    const uint32_t smallest[] = {0, 0x80, 0x800, 0x10000};
    if (cp < smallest[more] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += more + 1;
  }
  return true;
}

bool names_are_utf8(const Message &m) {
  if (const auto *r = std::get_if<Relation>(&m)) {
    bool ok = is_utf8(r->namespace_) && is_utf8(r->name);
    for (const Column &c : r->columns) ok = ok && is_utf8(c.name);
    return ok;
  }
  if (const auto *t = std::get_if<Type>(&m)) return is_utf8(t->namespace_) && is_utf8(t->name);
  if (const auto *o = std::get_if<Origin>(&m)) return is_utf8(o->name);
  return true;
}

// --- a relation that fits a change's own values -------------------------------

uint32_t type_of_kind(std::string_view kind) {
  static const std::pair<std::string_view, uint32_t> kTypes[] = {
      {"Bool", oid::kBool},     {"Char", oid::kChar},     {"Int2", oid::kInt2},   {"Int4", oid::kInt4},
      {"Int8", oid::kInt8},     {"Oid", oid::kOid},       {"Float4", oid::kFloat4}, {"Float8", oid::kFloat8},
      {"String", oid::kText},   {"RawText", oid::kBytea}};
  for (const auto &[name, type] : kTypes)
    if (name == kind) return type;
  return 0;
}

// The relation whose columns have the types of a change's value kinds, and
// whether its tuples agree (as wide, one kind per column), which the writer
// needs.
struct Fitted {
  Relation relation;
  bool consistent = true;
};

Fitted fit_relation(std::string_view line, uint32_t rel_id) {
  Fitted f;
  f.relation = Relation{rel_id, "public", "fuzz", ReplicaIdentity::default_, {}};
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());  // parse_event took it: it is an event
  const rapidjson::Value &message = doc["message"];
  std::vector<uint32_t> types;
  bool first = true;
  for (const char *field : {"tuple", "old_tuple", "key_tuple", "new_tuple"}) {
    const auto it = message.FindMember(field);
    if (it == message.MemberEnd() || !it->value.IsArray()) continue;
    const auto &tuple = it->value;
    if (first) types.assign(tuple.Size(), 0), first = false;
    if (tuple.Size() != types.size()) {
      f.consistent = false;
      continue;
    }
    for (rapidjson::SizeType i = 0; i < tuple.Size(); ++i) {
      if (!tuple[i].IsObject()) continue;  // "Null", "UnchangedToast"
      const uint32_t type = type_of_kind(tuple[i].MemberBegin()->name.GetString());
      if (types[i] == 0) types[i] = type;
      else if (types[i] != type) f.consistent = false;
    }
  }
  for (std::size_t i = 0; i < types.size(); ++i)
    f.relation.columns.push_back(Column{1, "c" + std::to_string(i), types[i] ? types[i] : oid::kText, -1});
  return f;
}

// Whether a change's text values in String (text) columns are UTF-8.
bool strings_are_utf8(const Message &m, const Relation &relation) {
  bool ok = true;
  const auto check = [&](const Tuple &tuple) {
    for (std::size_t i = 0; i < tuple.size() && i < relation.columns.size(); ++i)
      if (relation.columns[i].type_id == oid::kText && tuple[i].kind == ValueKind::text) ok = ok && is_utf8(tuple[i].text);
  };
  if (const auto *e = std::get_if<Insert>(&m)) check(e->tuple);
  if (const auto *e = std::get_if<Update>(&m)) {
    if (e->old_tuple) check(*e->old_tuple);
    if (e->key_tuple) check(*e->key_tuple);
    check(e->new_tuple);
  }
  if (const auto *e = std::get_if<Delete>(&m)) {
    if (e->old_tuple) check(*e->old_tuple);
    if (e->key_tuple) check(*e->key_tuple);
  }
  return ok;
}

uint32_t rel_id_of(const Message &m) {
  if (const auto *e = std::get_if<Insert>(&m)) return e->rel_id;
  if (const auto *e = std::get_if<Update>(&m)) return e->rel_id;
  if (const auto *e = std::get_if<Delete>(&m)) return e->rel_id;
  return 0;
}

bool is_change(const Message &m) {
  return std::holds_alternative<Insert>(m) || std::holds_alternative<Update>(m) || std::holds_alternative<Delete>(m);
}

// --- the properties -------------------------------------------------------------

// The reader's fast path (read_canonical.hpp) reads a record exactly as
// the general reader does, or leaves it to it. Returns whether it took it.
bool check_paths_agree(std::string_view text) {
  Envelope fast_envelope, general_envelope;
  const std::optional<Message> fast = detail::read_canonical(text, fast_envelope);
  if (!fast) return false;
  Message general;
  try {
    general = detail::read_general(text, general_envelope);
  } catch (const EventError &e) {
    cn::fuzz::broken(__FILE__, __LINE__, "the general reader reads what the fast path read",
                     std::string(e.what()) + "\nrecord: " + std::string(text));
  }
  FUZZ_CHECK(same(*fast, general) && same(fast_envelope, general_envelope),
             "the fast path reads a record as the general reader does: " + std::string(text));
  return true;
}

// parse_event(text), which must not refuse it: the writer wrote it.
Message reread(const std::string &text, Envelope &envelope) {
  try {
    return parse_event(text, envelope);
  } catch (const EventError &e) {
    cn::fuzz::broken(__FILE__, __LINE__, "parse_event reads what append_event wrote",
                     std::string(e.what()) + "\nwritten: " + text);
  }
}

// Writes m back with relation into out, and reads that back into read;
// false when the writer refused m. What it writes must be stable from then
// on: the message read back writes and reads back to itself. (Not always
// to m: a number in a column of another type may be rounded, once.)
bool write_back(const Message &m, const Envelope &envelope, const Relation *relation, std::string &out,
                Message &read) {
  const RelationLookup lookup = [relation](uint32_t) { return relation; };
  try {
    append_event(out, envelope, m, lookup);
  } catch (const EventError &) {
    FUZZ_CHECK(out.empty(), "a refused event leaves out as it was: " + out);
    return false;
  }
  FUZZ_CHECK(out.find('\n') == std::string::npos, "an event is one line: " + out);
  // The writer's form is the fast path's own: it takes every begin, commit
  // and change, but those with an escaped string or a float (which it may
  // leave to the general reader) or of 1 MiB and more.
  const bool took = check_paths_agree(out);
  const bool its_own = (is_change(m) || std::holds_alternative<Begin>(m) || std::holds_alternative<Commit>(m)) &&
                       out.find('\\') == std::string::npos && out.find("\"Float") == std::string::npos &&
                       out.size() < (std::size_t{1} << 20);
  FUZZ_CHECK(took || !its_own, "the fast path takes what the writer writes: " + out);
  Envelope read_envelope;
  read = reread(out, read_envelope);
  FUZZ_CHECK(same(envelope, read_envelope), "the envelope comes back: " + out);
  std::string again;
  append_event(again, read_envelope, read, lookup);
  Envelope again_envelope;
  FUZZ_CHECK(same(read, reread(again, again_envelope)), "what was read back reads back equal:\n" + out + "\n" + again);
  return true;
}

// Every way of reading RawText arrays that this CPU has (the reader takes
// the fastest only) reads each array opening in the record alike: the same
// bytes and the same end, or a refusal.
void check_byte_array_ways_agree(std::string_view line) {
  static const std::vector<detail::ByteArrayReading> ways = detail::byte_array_readings();
  constexpr std::string_view opening = "\"RawText\":[";
  const char *const end = line.data() + line.size();
  for (std::size_t at = line.find(opening); at != std::string_view::npos; at = line.find(opening, at + 1)) {
    const char *const from = line.data() + at + opening.size();
    std::string first_bytes;
    const char *const first_close = detail::decode_byte_array(from, end, first_bytes, ways.front());
    for (std::size_t w = 1; w < ways.size(); ++w) {
      std::string bytes;
      const char *close = detail::decode_byte_array(from, end, bytes, ways[w]);
      FUZZ_CHECK(close == first_close && bytes == first_bytes,
                 "way " + std::to_string(static_cast<int>(ways[w])) + " differs at byte " + std::to_string(at) +
                     " of: " + std::string(line));
    }
  }
}

void check_record(std::string_view line, std::map<uint32_t, Relation> &topic_relations) {
  check_paths_agree(line);
  check_byte_array_ways_agree(line);
  Envelope envelope;
  Message m;
  try {
    m = parse_event(line, envelope);
  } catch (const EventError &) {
    return;  // refused, as it may be
  }
  parse_event(line);  // the overload without the envelope takes it too
  const std::string shown(line);
  std::string out;
  Message read;

  if (is_change(m)) {
    const Fitted fitted = fit_relation(line, rel_id_of(m));
    if (write_back(m, envelope, &fitted.relation, out, read)) {
      FUZZ_CHECK(same(m, read), "a change comes back equal: " + shown + "\n" + out);
    } else {
      FUZZ_CHECK(!fitted.consistent || !strings_are_utf8(m, fitted.relation),
                 "the writer refuses a change that fits its relation: " + shown);
    }
    // As the topic described the table: the writer may refuse, or round a
    // value (a number in a column of another type).
    const auto known = topic_relations.find(rel_id_of(m));
    std::string as_described;
    if (known != topic_relations.end()) write_back(m, envelope, &known->second, as_described, read);
    // No relation at all: refused, whatever the change.
    std::string unknown;
    FUZZ_CHECK(!write_back(m, envelope, nullptr, unknown, read), "a change without a relation is refused");
    return;
  }

  if (!write_back(m, envelope, nullptr, out, read)) {
    FUZZ_CHECK(!names_are_utf8(m), "the writer refuses a message whose names are UTF-8: " + shown);
    return;
  }
  FUZZ_CHECK(same(m, read), "a message comes back equal: " + shown + "\n" + out);
  if (const auto *r = std::get_if<Relation>(&m)) {
    FUZZ_CHECK(same(m, parse_message(message_json(*r))), "message_json of a relation reads back: " + out);
    topic_relations.insert_or_assign(r->rel_id, *r);  // the newest description wins
  }
  if (const auto *t = std::get_if<Type>(&m))
    FUZZ_CHECK(same(m, parse_message(message_json(*t))), "message_json of a type reads back: " + out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
  const std::string_view topic(reinterpret_cast<const char *>(data), size);
  std::map<uint32_t, Relation> relations;
  for (std::size_t start = 0; start <= topic.size();) {
    std::size_t end = topic.find('\n', start);
    if (end == std::string_view::npos) end = topic.size();
    check_record(topic.substr(start, end - start), relations);
    start = end + 1;
  }
  return 0;
}
