#include "events.hpp"

#include <charconv>
#include <stdexcept>

namespace cn::test::events {

namespace ce = cn::events;

namespace {

using Tuple = std::vector<V>;

const ce::Envelope kEnvelope{};  // tests need no positions

V text_value(uint32_t type_id, std::string text) { return V{type_id, ce::Value::of(std::move(text))}; }

std::string shortest(double v) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, v).ptr;
  return std::string(buffer, end);
}

// A relation whose columns have the types of the values the tuples hold
// there (the first value with a type), so that the writer writes every
// value as the kind it was built as. Its width is the first tuple's.
ce::Relation typed_like(uint32_t rel_id, const std::vector<const Tuple *> &tuples) {
  ce::Relation relation;
  relation.rel_id = rel_id;
  relation.namespace_ = "test";
  relation.name = "rel_" + std::to_string(rel_id);
  std::vector<std::optional<uint32_t>> types;
  for (const Tuple *tuple : tuples) {
    if (!tuple) continue;
    if (types.empty()) types.resize(tuple->size());
    for (std::size_t i = 0; i < tuple->size() && i < types.size(); ++i) {
      const std::optional<uint32_t> &type_id = (*tuple)[i].type_id;
      if (!types[i]) types[i] = type_id;
      if (type_id && type_id != types[i])
        throw std::logic_error("test event: column " + std::to_string(i) + " has values of two types");
    }
  }
  for (const std::optional<uint32_t> &type_id : types) relation.columns.push_back(ce::Column{0, "c", type_id.value_or(0), -1});
  return relation;
}

ce::TupleView view_of(const Tuple &tuple) {
  ce::TupleView view;
  view.reserve(tuple.size());
  for (const V &v : tuple) view.push_back(ce::ValueView{v.value.kind, v.value.text});
  return view;
}

ce::ReplicaIdentity identity_named(const std::string &name) {
  for (ce::ReplicaIdentity identity : {ce::ReplicaIdentity::default_, ce::ReplicaIdentity::nothing,
                                       ce::ReplicaIdentity::full, ce::ReplicaIdentity::index})
    if (name == ce::to_string(identity)) return identity;
  throw std::logic_error("test event: no replica identity '" + name + "'");
}

}  // namespace

V null() { return {}; }
V toast() { return V{std::nullopt, ce::Value::unchanged()}; }
V str(const std::string &s) { return text_value(kText, s); }
V raw(const std::string &text) { return text_value(0, text); }
V i2(int v) { return text_value(kInt2, std::to_string(v)); }
V i4(int32_t v) { return text_value(kInt4, std::to_string(v)); }
V i8(int64_t v) { return text_value(kInt8, std::to_string(v)); }
V oid(uint32_t v) { return text_value(kOid, std::to_string(v)); }
V boolean(bool v) { return text_value(kBool, v ? "t" : "f"); }
V chr(int8_t v) {
  // charout's text: nothing for 0, the byte below 128, \ooo above.
  const auto byte = static_cast<uint8_t>(v);
  if (byte == 0) return text_value(kChar, "");
  if (byte < 128) return text_value(kChar, std::string(1, static_cast<char>(byte)));
  const char escape[] = {'\\', static_cast<char>('0' + (byte >> 6)), static_cast<char>('0' + ((byte >> 3) & 7)),
                         static_cast<char>('0' + (byte & 7))};
  return text_value(kChar, std::string(escape, sizeof escape));
}
V f4(double v) { return text_value(kFloat4, shortest(v)); }
V f8(double v) { return text_value(kFloat8, shortest(v)); }
V f8_nonfinite() { return text_value(kFloat8, "NaN"); }

std::string begin(uint32_t xid) {
  std::string out;
  ce::append_begin(out, kEnvelope, ce::Begin{0, 0, xid});
  return out;
}
std::string commit() {
  std::string out;
  ce::append_commit(out, kEnvelope, ce::Commit{});
  return out;
}
std::string origin(const std::string &name) {
  std::string out;
  ce::append_origin(out, kEnvelope, ce::Origin{0, name});
  return out;
}
std::string type(uint32_t id, const std::string &ns, const std::string &name) {
  std::string out;
  ce::append_type(out, kEnvelope, ce::Type{id, ns, name});
  return out;
}
std::string relation(uint32_t rel_id, const std::string &ns, const std::string &name, const std::vector<Col> &columns,
                     const std::string &identity) {
  ce::Relation r{rel_id, ns, name, identity_named(identity), {}};
  for (const Col &c : columns)
    r.columns.push_back(ce::Column{static_cast<int8_t>(c.key ? 1 : 0), c.name, c.type_id, c.type_modifier});
  std::string out;
  ce::append_relation(out, kEnvelope, r);
  return out;
}
std::string insert(uint32_t rel_id, const std::vector<V> &tuple) {
  std::string out;
  ce::append_insert(out, kEnvelope, typed_like(rel_id, {&tuple}), view_of(tuple));
  return out;
}
std::string update(uint32_t rel_id, const std::vector<V> &new_tuple, const std::optional<std::vector<V>> &key_tuple,
                   const std::optional<std::vector<V>> &old_tuple) {
  const Tuple *key = key_tuple ? &*key_tuple : nullptr, *old = old_tuple ? &*old_tuple : nullptr;
  const ce::TupleView key_view = key ? view_of(*key) : ce::TupleView(), old_view = old ? view_of(*old) : ce::TupleView();
  std::string out;
  ce::append_update(out, kEnvelope, typed_like(rel_id, {&new_tuple, key, old}), old ? &old_view : nullptr,
                    key ? &key_view : nullptr, view_of(new_tuple));
  return out;
}
std::string remove(uint32_t rel_id, const std::optional<std::vector<V>> &key_tuple,
                   const std::optional<std::vector<V>> &old_tuple) {
  const Tuple *key = key_tuple ? &*key_tuple : nullptr, *old = old_tuple ? &*old_tuple : nullptr;
  const ce::TupleView key_view = key ? view_of(*key) : ce::TupleView(), old_view = old ? view_of(*old) : ce::TupleView();
  std::string out;
  ce::append_delete(out, kEnvelope, typed_like(rel_id, {old, key}), old ? &old_view : nullptr,
                    key ? &key_view : nullptr);
  return out;
}
std::string truncate(int options, const std::vector<uint32_t> &rel_ids) {
  std::string out;
  ce::append_truncate(out, kEnvelope, ce::Truncate{static_cast<int8_t>(options), rel_ids});
  return out;
}
std::vector<std::string> transaction(const std::vector<std::string> &changes, uint32_t xid) {
  std::vector<std::string> lines = {begin(xid)};
  lines.insert(lines.end(), changes.begin(), changes.end());
  lines.push_back(commit());
  return lines;
}

}  // namespace cn::test::events
