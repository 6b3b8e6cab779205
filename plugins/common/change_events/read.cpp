// Reading change events (docs/change-events.md) from the RapidJSON document
// of a record (json_document.hpp): fields, values and messages.
#include "change_events.hpp"
#include "json_document.hpp"
#include "read_canonical.hpp"
#include "value_text.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

namespace cn::events {
namespace {

using json::Json;

// The JSON path of a field, for error messages: a chain of stack objects,
// made into text only when an error is thrown.
class Path {
 public:
  explicit Path(const char *key) : key_(key) {}
  Path(const Path &parent, const char *key) : parent_(&parent), key_(key) {}
  Path(const Path &parent, std::size_t index) : parent_(&parent), index_(index) {}

  const char *key() const { return key_; }

  std::string str() const {
    std::string s = parent_ ? parent_->str() : std::string();
    if (key_) {
      if (parent_) s += '.';
      s += key_;
    } else {
      s += '[';
      s += std::to_string(index_);
      s += ']';
    }
    return s;
  }

 private:
  const Path *parent_ = nullptr;
  const char *key_ = nullptr;  // a member name, or null for an array element
  std::size_t index_ = 0;
};

[[noreturn]] void fail(const Path &at, const std::string &what) { throw EventError(at.str() + ": " + what); }

std::string_view view(const Json &string) { return {string.GetString(), string.GetStringLength()}; }

// --- fields ---------------------------------------------------------------

const Json *find(const Json &object, const Path &field) {
  auto it = object.FindMember(field.key());
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const Json &require(const Json &object, const Path &field) {
  const Json *v = find(object, field);
  if (!v) fail(field, "missing");
  return *v;
}

uint64_t get_u64(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsUint64()) fail(field, "expected an unsigned 64-bit integer");
  return v.GetUint64();
}

int64_t get_i64(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsInt64()) fail(field, "expected a signed 64-bit integer");
  return v.GetInt64();
}

uint32_t u32_of(const Json &v, const Path &at) {
  if (!v.IsUint()) fail(at, "expected an unsigned 32-bit integer");
  return v.GetUint();
}

uint32_t get_u32(const Json &object, const Path &field) { return u32_of(require(object, field), field); }

int32_t get_i32(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsInt()) fail(field, "expected a signed 32-bit integer");
  return v.GetInt();
}

int8_t get_i8(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsInt() || v.GetInt() < INT8_MIN || v.GetInt() > INT8_MAX) fail(field, "expected a signed 8-bit integer");
  return static_cast<int8_t>(v.GetInt());
}

std::string get_string(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsString()) fail(field, "expected a string");
  return std::string(view(v));
}

const Json &get_array(const Json &object, const Path &field) {
  const Json &v = require(object, field);
  if (!v.IsArray()) fail(field, "expected an array");
  return v;
}

// --- values ---------------------------------------------------------------

using detail::kNonFinite;
using detail::set_number;
using detail::to_float;

using json::take_string;

// One value of a tuple, in PostgreSQL's text form.
void read_value(const Json &v, const Path &at, Value &out) {
  if (v.IsString()) {
    std::string_view s = view(v);
    if (s == "Null") {
      out = Value::null();
      return;
    }
    if (s == "UnchangedToast") {
      out = Value::unchanged();
      return;
    }
    fail(at, "unknown value kind '" + std::string(s) + "'");
  }
  if (!v.IsObject()) fail(at, "expected \"Null\", \"UnchangedToast\" or an object {\"Kind\": value}");
  if (v.MemberCount() != 1)
    fail(at, "a value object has exactly one member (its kind), this one has " + std::to_string(v.MemberCount()));

  const auto &member = *v.MemberBegin();
  const std::string_view kind = view(member.name);
  const Json &x = member.value;
  const Path in(at, member.name.GetString());

  if (kind == "Int4") {
    if (!x.IsInt()) fail(in, "expected a signed 32-bit integer");
    set_number(out, x.GetInt());
  } else if (kind == "String") {
    if (!x.IsString()) fail(in, "expected a string");
    out.kind = Value::Kind::text;
    take_string(x, out.text);
  } else if (kind == "RawText") {
    out.kind = Value::Kind::text;
    if (json::take_raw_text(x, out.text)) return;
    if (!x.IsArray()) fail(in, "expected an array of bytes");
    out.text.resize(x.Size());
    for (rapidjson::SizeType i = 0; i < x.Size(); ++i) {
      const Json &b = x[i];
      if (!b.IsUint() || b.GetUint() > 255) fail(Path(in, i), "expected a byte, an integer 0..255");
      out.text[i] = static_cast<char>(b.GetUint());
    }
  } else if (kind == "Int8") {
    if (!x.IsInt64()) fail(in, "expected a signed 64-bit integer");
    set_number(out, x.GetInt64());
  } else if (kind == "Int2") {
    if (!x.IsInt() || x.GetInt() < INT16_MIN || x.GetInt() > INT16_MAX)
      fail(in, "expected a signed 16-bit integer");
    set_number(out, x.GetInt());
  } else if (kind == "Bool") {
    if (!x.IsBool()) fail(in, "expected true or false");
    out.kind = Value::Kind::text;
    out.text.assign(x.GetBool() ? "t" : "f");
  } else if (kind == "Float8") {
    if (x.IsNull()) {
      out = Value::of(kNonFinite);
    } else {
      if (!x.IsNumber()) fail(in, "expected a number or null");
      set_number(out, x.GetDouble());
    }
  } else if (kind == "Float4") {
    if (x.IsNull()) {
      out = Value::of(kNonFinite);
    } else {
      float f = 0;
      if (!x.IsNumber()) fail(in, "expected a number or null");
      if (!to_float(x.GetDouble(), f)) fail(in, "out of range for a 4-byte float");
      set_number(out, f);
    }
  } else if (kind == "Oid") {
    if (!x.IsUint()) fail(in, "expected an unsigned 32-bit integer");
    set_number(out, x.GetUint());
  } else if (kind == "Char") {
    if (!x.IsInt() || x.GetInt() < INT8_MIN || x.GetInt() > INT8_MAX) fail(in, "expected a signed 8-bit integer");
    detail::set_char(out, static_cast<int8_t>(x.GetInt()));
  } else {
    fail(at, "unknown value kind '" + std::string(kind) + "'");
  }
}

Tuple read_tuple(const Json &tuple, const Path &at) {
  if (!tuple.IsArray()) fail(at, "expected an array of values");
  Tuple values(tuple.Size());
  for (rapidjson::SizeType i = 0; i < tuple.Size(); ++i) read_value(tuple[i], Path(at, i), values[i]);
  return values;
}

Tuple get_tuple(const Json &object, const Path &field) { return read_tuple(require(object, field), field); }

// A tuple that may be null or absent.
std::optional<Tuple> get_optional_tuple(const Json &object, const Path &field) {
  const Json *v = find(object, field);
  if (!v || v->IsNull()) return std::nullopt;
  return read_tuple(*v, field);
}

// --- messages -------------------------------------------------------------

const Path kMessage("message");

ReplicaIdentity read_identity(const Json &message) {
  const Path field(kMessage, "replica_identity");
  const Json &v = require(message, field);
  if (v.IsString()) {
    std::string_view s = view(v);
    if (s == "Default") return ReplicaIdentity::default_;
    if (s == "Full") return ReplicaIdentity::full;
    if (s == "Index") return ReplicaIdentity::index;
    if (s == "Nothing") return ReplicaIdentity::nothing;
  }
  fail(field, "expected one of \"Default\", \"Nothing\", \"Full\", \"Index\"");
}

Relation read_relation(const Json &m) {
  Relation r;
  r.rel_id = get_u32(m, Path(kMessage, "rel_id"));
  r.namespace_ = schema_of_namespace(get_string(m, Path(kMessage, "namespace")));
  r.name = get_string(m, Path(kMessage, "name"));
  r.replica_identity = read_identity(m);
  const Path columns_at(kMessage, "columns");
  const Json &columns = get_array(m, columns_at);
  r.columns.resize(columns.Size());
  for (rapidjson::SizeType i = 0; i < columns.Size(); ++i) {
    const Path at(columns_at, i);
    const Json &c = columns[i];
    if (!c.IsObject()) fail(at, "expected an object");
    Column &column = r.columns[i];
    column.flags = get_i8(c, Path(at, "flags"));
    column.name = get_string(c, Path(at, "name"));
    // A type OID; a writer may give one above 2^31 as a negative i32.
    const Path type_at(at, "type_id");
    const Json &type_id = require(c, type_at);
    if (type_id.IsUint()) column.type_id = type_id.GetUint();
    else if (type_id.IsInt()) column.type_id = static_cast<uint32_t>(type_id.GetInt());
    else fail(type_at, "expected a 32-bit type OID");
    column.type_modifier = get_i32(c, Path(at, "type_modifier"));
  }
  return r;
}

Message read_message(const Json &m) {
  const Path type_at(kMessage, "type");
  const Json &type = require(m, type_at);
  if (!type.IsString()) fail(type_at, "expected a string");
  const std::string_view t = view(type);

  if (t == "insert") {
    Insert e;
    e.rel_id = get_u32(m, Path(kMessage, "rel_id"));
    e.tuple = get_tuple(m, Path(kMessage, "tuple"));
    return e;
  }
  if (t == "update") {
    Update e;
    e.rel_id = get_u32(m, Path(kMessage, "rel_id"));
    e.old_tuple = get_optional_tuple(m, Path(kMessage, "old_tuple"));
    e.key_tuple = get_optional_tuple(m, Path(kMessage, "key_tuple"));
    e.new_tuple = get_tuple(m, Path(kMessage, "new_tuple"));
    return e;
  }
  if (t == "begin") {
    Begin e;
    e.final_lsn = get_u64(m, Path(kMessage, "final_lsn"));
    e.timestamp = get_i64(m, Path(kMessage, "timestamp"));
    e.xid = get_u32(m, Path(kMessage, "xid"));
    return e;
  }
  if (t == "commit") {
    Commit e;
    const Path flags_at(kMessage, "flags");  // always 0, and optional to a reader
    if (find(m, flags_at)) e.flags = get_i8(m, flags_at);
    e.commit_lsn = get_u64(m, Path(kMessage, "commit_lsn"));
    e.end_lsn = get_u64(m, Path(kMessage, "end_lsn"));
    e.timestamp = get_i64(m, Path(kMessage, "timestamp"));
    return e;
  }
  if (t == "delete") {
    Delete e;
    e.rel_id = get_u32(m, Path(kMessage, "rel_id"));
    e.old_tuple = get_optional_tuple(m, Path(kMessage, "old_tuple"));
    e.key_tuple = get_optional_tuple(m, Path(kMessage, "key_tuple"));
    if (!e.old_tuple && !e.key_tuple) throw EventError("a delete needs key_tuple or old_tuple");
    return e;
  }
  if (t == "relation") return read_relation(m);
  if (t == "truncate") {
    Truncate e;
    e.options = get_i8(m, Path(kMessage, "options"));
    const Path ids_at(kMessage, "rel_ids");
    const Json &ids = get_array(m, ids_at);
    e.rel_ids.resize(ids.Size());
    for (rapidjson::SizeType i = 0; i < ids.Size(); ++i) e.rel_ids[i] = u32_of(ids[i], Path(ids_at, i));
    return e;
  }
  if (t == "type") {
    Type e;
    e.id = get_u32(m, Path(kMessage, "id"));
    e.namespace_ = schema_of_namespace(get_string(m, Path(kMessage, "namespace")));
    e.name = get_string(m, Path(kMessage, "name"));
    return e;
  }
  if (t == "origin") {
    Origin e;
    e.commit_lsn = get_u64(m, Path(kMessage, "commit_lsn"));
    e.name = get_string(m, Path(kMessage, "name"));
    return e;
  }
  throw EventError("message.type '" + std::string(t) + "' is not a change event type");
}

// The envelope's fields that are there (a reader needs none of them).
void read_envelope(const Json &event, Envelope &envelope) {
  const Path wal_start("wal_start"), wal_end("wal_end"), timestamp("timestamp");
  if (find(event, wal_start)) envelope.wal_start = get_u64(event, wal_start);
  if (find(event, wal_end)) envelope.wal_end = get_u64(event, wal_end);
  if (find(event, timestamp)) envelope.timestamp = get_i64(event, timestamp);
}

// The general reader: any valid record, every error.
Message parse_general(std::string_view json, Envelope *envelope) {
  json::ParsedRecord record(json);
  const rapidjson::Document &doc = record.document();
  if (!doc.IsObject()) throw EventError("not a JSON object");
  auto message = doc.FindMember("message");
  if (message == doc.MemberEnd() || !message->value.IsObject()) throw EventError("no \"message\" object");
  if (envelope) read_envelope(doc, *envelope);
  Message result = read_message(message->value);
  record.finish(result);
  return result;
}

Message parse(std::string_view json, Envelope *envelope) {
  Envelope unused;
  if (std::optional<Message> message = detail::read_canonical(json, envelope ? *envelope : unused))
    return std::move(*message);
  return parse_general(json, envelope);
}

}  // namespace

Message detail::read_general(std::string_view json, Envelope &envelope) {
  envelope = Envelope{};
  return parse_general(json, &envelope);
}

std::string schema_of_namespace(std::string_view sent) {
  return sent.empty() ? std::string("pg_catalog") : std::string(sent);
}

Message parse_event(std::string_view json) { return parse(json, nullptr); }

Message parse_event(std::string_view json, Envelope &envelope) {
  envelope = Envelope{};
  return parse(json, &envelope);
}

Message parse_message(std::string_view json) {
  std::string event;
  event.reserve(json.size() + 12);
  event.append("{\"message\":").append(json).append("}");
  return parse_event(event);
}

}  // namespace cn::events
