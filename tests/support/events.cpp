#include "events.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

namespace cn_test::events {

namespace {

std::string json_string(const std::string &s) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
  return b.GetString();
}

std::string json_double(double v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  w.Double(v);
  return b.GetString();
}

std::string tuple_json(const std::vector<V> &tuple) {
  std::string s = "[";
  for (std::size_t i = 0; i < tuple.size(); ++i) s += (i ? "," : "") + tuple[i].json;
  return s + "]";
}

std::string optional_tuple(const std::optional<std::vector<V>> &t) { return t ? tuple_json(*t) : "null"; }

std::string envelope(const std::string &message) {
  return R"({"wal_start":0,"wal_end":0,"timestamp":0,"message":)" + message + "}";
}

}  // namespace

V null() { return {R"("Null")"}; }
V toast() { return {R"("UnchangedToast")"}; }
V str(const std::string &s) { return {R"({"String":)" + json_string(s) + "}"}; }
V raw(const std::string &text) {
  std::string bytes;
  for (unsigned char c : text) bytes += (bytes.empty() ? "" : ",") + std::to_string(c);
  return {R"({"RawText":[)" + bytes + "]}"};
}
V i2(int v) { return {R"({"Int2":)" + std::to_string(v) + "}"}; }
V i4(int32_t v) { return {R"({"Int4":)" + std::to_string(v) + "}"}; }
V i8(int64_t v) { return {R"({"Int8":)" + std::to_string(v) + "}"}; }
V oid(uint32_t v) { return {R"({"Oid":)" + std::to_string(v) + "}"}; }
V boolean(bool v) { return {std::string(R"({"Bool":)") + (v ? "true" : "false") + "}"}; }
V chr(int8_t v) { return {R"({"Char":)" + std::to_string(v) + "}"}; }
V f4(double v) { return {R"({"Float4":)" + json_double(v) + "}"}; }
V f8(double v) { return {R"({"Float8":)" + json_double(v) + "}"}; }
V f8_nonfinite() { return {R"({"Float8":null})"}; }

std::string begin(uint32_t xid) {
  return envelope(R"({"type":"begin","final_lsn":0,"timestamp":0,"xid":)" + std::to_string(xid) + "}");
}
std::string commit() {
  return envelope(R"({"type":"commit","flags":0,"commit_lsn":0,"end_lsn":0,"timestamp":0})");
}
std::string origin(const std::string &name) {
  return envelope(R"({"type":"origin","commit_lsn":0,"name":)" + json_string(name) + "}");
}
std::string type(uint32_t id, const std::string &ns, const std::string &name) {
  return envelope(R"({"type":"type","id":)" + std::to_string(id) + R"(,"namespace":)" + json_string(ns) +
                  R"(,"name":)" + json_string(name) + "}");
}
std::string relation(uint32_t rel_id, const std::string &ns, const std::string &name, const std::vector<Col> &columns,
                     const std::string &identity) {
  std::string cols;
  for (const Col &c : columns)
    cols += (cols.empty() ? "" : ",") + std::string(R"({"flags":)") + (c.key ? "1" : "0") + R"(,"name":)" +
            json_string(c.name) + R"(,"type_id":)" + std::to_string(c.type_id) + R"(,"type_modifier":)" +
            std::to_string(c.type_modifier) + "}";
  return envelope(R"({"type":"relation","rel_id":)" + std::to_string(rel_id) + R"(,"namespace":)" + json_string(ns) +
                  R"(,"name":)" + json_string(name) + R"(,"replica_identity":)" + json_string(identity) +
                  R"(,"columns":[)" + cols + "]}");
}
std::string insert(uint32_t rel_id, const std::vector<V> &tuple) {
  return envelope(R"({"type":"insert","rel_id":)" + std::to_string(rel_id) + R"(,"tuple":)" + tuple_json(tuple) + "}");
}
std::string update(uint32_t rel_id, const std::vector<V> &new_tuple, const std::optional<std::vector<V>> &key_tuple,
                   const std::optional<std::vector<V>> &old_tuple) {
  return envelope(R"({"type":"update","rel_id":)" + std::to_string(rel_id) + R"(,"old_tuple":)" +
                  optional_tuple(old_tuple) + R"(,"key_tuple":)" + optional_tuple(key_tuple) + R"(,"new_tuple":)" +
                  tuple_json(new_tuple) + "}");
}
std::string remove(uint32_t rel_id, const std::optional<std::vector<V>> &key_tuple,
                   const std::optional<std::vector<V>> &old_tuple) {
  return envelope(R"({"type":"delete","rel_id":)" + std::to_string(rel_id) + R"(,"old_tuple":)" +
                  optional_tuple(old_tuple) + R"(,"key_tuple":)" + optional_tuple(key_tuple) + "}");
}
std::string truncate(int options, const std::vector<uint32_t> &rel_ids) {
  std::string ids;
  for (uint32_t id : rel_ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  return envelope(R"({"type":"truncate","options":)" + std::to_string(options) + R"(,"rel_ids":[)" + ids + "]}");
}
std::vector<std::string> transaction(const std::vector<std::string> &changes, uint32_t xid) {
  std::vector<std::string> lines = {begin(xid)};
  lines.insert(lines.end(), changes.begin(), changes.end());
  lines.push_back(commit());
  return lines;
}

}  // namespace cn_test::events
