// The JSON layer of the change-event reader (read.cpp): one record parsed
// into a RapidJSON document in place, numbers converted correctly, nesting
// bounded, and the memory of a huge record lent to its largest value rather
// than copied. Internal to cn_change_events.
#ifndef CN_CHANGE_EVENTS_JSON_DOCUMENT_HPP
#define CN_CHANGE_EVENTS_JSON_DOCUMENT_HPP

#include "change_events.hpp"

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace cn::events::json {

using Json = rapidjson::Value;  // allocates from a MemoryPoolAllocator

class Parser;  // json_document.cpp: one per thread

// One record parsed, on the calling thread's document: one at a time per
// thread, valid while the object lives.
class ParsedRecord {
 public:
  // Throws EventError ("not valid JSON: ...") for a NUL byte, nesting
  // deeper than 128 levels, or what RapidJSON refuses, with the byte offset.
  explicit ParsedRecord(std::string_view record);
  ~ParsedRecord();  // gives back the memory of a huge record
  ParsedRecord(const ParsedRecord &) = delete;
  ParsedRecord &operator=(const ParsedRecord &) = delete;

  const rapidjson::Document &document() const { return document_; }

  // Call once message is read from the document (which it may no longer
  // be read from): the value that took the record's text (take_string)
  // keeps only its own bytes.
  void finish(Message &message);

 private:
  Parser &parser_;
  const rapidjson::Document &document_;
};

// Sets text to the JSON string x of the record being read: a copy, or for a
// value that is most of a huge record, the parser's own copy of the record,
// cut down to the value by ParsedRecord::finish().
void take_string(const Json &x, std::string &text);

// Sets bytes to the value of a "RawText" key that held bytes only, as the
// parser keeps them (json_document.cpp); false, touching nothing, for any
// other value, which the caller reads as the array it is.
bool take_raw_text(const Json &x, std::string &bytes);

}  // namespace cn::events::json

#endif
