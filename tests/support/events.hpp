// Building change events for tests, through the project's own writer
// (plugins/common/change_events): one JSON line each.
#ifndef CN_TEST_EVENTS_HPP
#define CN_TEST_EVENTS_HPP

#include <change_events/change_events.hpp>
#include <change_events/type_oids.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cn::test::events {

using namespace cn::events::oid;  // kInt4, kText, ...: the column types of relation()

// One value of a tuple: PostgreSQL's text form, and the type whose value
// kind it is written as.
struct V {
  std::optional<uint32_t> type_id;  // none for Null and UnchangedToast; 0 (no kind of its own) for RawText
  cn::events::Value value;
};
V null();
V toast();  // "UnchangedToast"
V str(const std::string &s);
V raw(const std::string &text);  // {"RawText":[bytes]}: any type's text form
V i2(int v);
V i4(int32_t v);
V i8(int64_t v);
V oid(uint32_t v);
V boolean(bool v);
V chr(int8_t v);   // the "char" type
V f4(double v);    // written as the shortest JSON number of the double
V f8(double v);
V f8_nonfinite();  // {"Float8":null}

struct Col {
  std::string name;
  uint32_t type_id;
  int32_t type_modifier = -1;
  bool key = false;
};

// varchar(n) / char(n) type modifier
inline int32_t chars(int n) { return n + 4; }
// numeric(p, s) type modifier
inline int32_t numeric(int p, int s) { return ((p << 16) | s) + 4; }

std::string begin(uint32_t xid = 1);
std::string commit();
std::string origin(const std::string &name);
std::string type(uint32_t id, const std::string &ns, const std::string &name);
// identity: "Default", "Nothing", "Full" or "Index"
std::string relation(uint32_t rel_id, const std::string &ns, const std::string &name, const std::vector<Col> &columns,
                     const std::string &identity = "Default");
std::string insert(uint32_t rel_id, const std::vector<V> &tuple);
std::string update(uint32_t rel_id, const std::vector<V> &new_tuple,
                   const std::optional<std::vector<V>> &key_tuple = std::nullopt,
                   const std::optional<std::vector<V>> &old_tuple = std::nullopt);
std::string remove(uint32_t rel_id, const std::optional<std::vector<V>> &key_tuple,
                   const std::optional<std::vector<V>> &old_tuple = std::nullopt);
std::string truncate(int options, const std::vector<uint32_t> &rel_ids);

// The lines of a source transaction: begin, the changes, commit.
std::vector<std::string> transaction(const std::vector<std::string> &changes, uint32_t xid = 1);

}  // namespace cn::test::events

#endif
