#include "json_document.hpp"
#include "value_text.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace cn::events::json {
namespace {

// --- numbers ---------------------------------------------------------------

// RapidJSON 1.1.0 turns the text of some numbers into wrong doubles, with
// kParseFullPrecisionFlag too: 0e-45 came out 1.8e-12 (a zero significand
// normalized with __builtin_clzll(0), undefined behaviour),
// 184467440737095516156 -2e264 (its significand wrapped around), 1.8e308
// NaN, 2e-324 5e-324; later versions fixed some. So its reader hands the
// numbers over as text (kParseNumbersAsStringsFlag: it still checks their
// syntax, and refuses an exponent or an integer far too large) and
// NumberHandler converts them with std::from_chars, which rounds correctly,
// into what RapidJSON means to store: an integer that fits in 64 bits as
// that integer, any other number as the double nearest to it; too large
// for a double is an error, as RapidJSON says it, and too small is zero.

// Whether a number (JSON syntax, not zero) is 1 or more in magnitude: its
// first nonzero digit's power of ten, exponent included, is not negative.
bool at_least_one(const char *s, const char *end) {
  if (*s == '-') ++s;
  int64_t power = 0;
  const char *p = s;
  while (p < end && *p >= '0' && *p <= '9') ++p;
  if (!(p - s == 1 && *s == '0')) {
    power = p - s - 1;
  } else if (p < end && *p == '.') {
    for (++p, power = -1; p < end && *p == '0'; ++p) --power;
  }
  while (p < end && *p != 'e' && *p != 'E') ++p;
  if (p < end) {
    const bool negative = *++p == '-';
    if (*p == '-' || *p == '+') ++p;
    int64_t exponent = 0;
    for (; p < end && exponent < 1000000000; ++p) exponent = exponent * 10 + (*p - '0');
    power += negative ? -exponent : exponent;
  }
  return power >= 0;
}

// --- RawText's bytes --------------------------------------------------------

// The format writes every value of a type without a JSON kind (numeric,
// jsonb, uuid, timestamptz, arrays, ...) as "RawText": [byte, byte, ...],
// one JSON number per byte. As DOM elements they cost 16 bytes and a
// handler call each: on wide rows, most of the sink's CPU. So the array of
// a "RawText" key that holds only bytes (integers 0..255, as written) goes
// into the DOM as the marker [NaN, "the bytes"], which no JSON text can
// make (NaN is not JSON); take_raw_text() reads it. An array with anything
// else in it is built as it is, and the reader refuses it as before.
constexpr std::string_view kRawTextKey = "RawText";

// Most of those arrays never reach RapidJSON's number parser at all: as the
// record is copied for parsing in place, each "RawText":[b,b,...] written
// as the format writes it (bytes without sign, leading zero or spaces) is
// decoded into RawTextBytes and its array left as [0], a single number
// whose place in the text says which decoded array it stands for. Anything
// else stays as it is. If the parse then fails, or a placeholder is not
// met where a RawText array's bytes are read, the record is parsed again
// as it came, so that errors and their byte offsets are the record's own.
constexpr std::string_view kRawTextOpening = "\"RawText\":[";

struct RawTextBytes {
  struct Array {
    std::size_t at;           // where its placeholder '0' is in the text parsed
    std::size_t begin, size;  // its bytes in `bytes`
  };
  std::string bytes;
  std::vector<Array> arrays;  // in the order of the text
  void clear() { bytes.clear(), arrays.clear(); }
};

// Where the next "RawText":[ is in json from `from` on, if anywhere.
std::size_t find_raw_text(std::string_view json, std::size_t from) {
  // By its 'R', which JSON's syntax and this format's keys otherwise lack:
  // memchr's setup is a few cycles, memmem's (two-way) costs more than a
  // usual record's whole scan.
  for (std::size_t at = from + 1; at < json.size(); ++at) {
    const void *r = std::memchr(json.data() + at, 'R', json.size() - at);
    if (!r) break;
    at = static_cast<std::size_t>(static_cast<const char *>(r) - json.data());
    if (json.compare(at - 1, kRawTextOpening.size(), kRawTextOpening) == 0) return at - 1;
  }
  return std::string_view::npos;
}

// Copies json into text, RawText's byte arrays decoded into raw (above).
void copy_decoding_raw_text(std::string_view json, std::string &text, RawTextBytes &raw) {
  text.clear();
  raw.clear();
  std::size_t copied = 0;
  for (std::size_t at = find_raw_text(json, 0); at != std::string_view::npos; at = find_raw_text(json, at + 1)) {
    std::size_t backslashes = 0;  // an odd number before the quote: inside a string
    while (backslashes < at && json[at - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2) continue;
    const std::size_t elements = at + kRawTextOpening.size(), begin = raw.bytes.size();
    const char *close = detail::decode_byte_array(json.data() + elements, json.data() + json.size(), raw.bytes);
    if (!close) continue;
    if (raw.arrays.empty()) text.reserve(json.size());
    text.append(json.data() + copied, elements - copied);
    raw.arrays.push_back({text.size(), begin, raw.bytes.size() - begin});
    text += '0';
    copied = at = static_cast<std::size_t>(close - json.data());
  }
  if (copied == 0) text.assign(json.data(), json.size());
  else text.append(json.data() + copied, json.size() - copied);
}

// The byte a number's text (valid JSON, as RapidJSON checked) stands for:
// 0..255 without sign, fraction or exponent; -1 otherwise.
int byte_of(const char *s, rapidjson::SizeType n) {
  if (n == 0 || n > 3) return -1;
  int b = 0;
  for (rapidjson::SizeType i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    b = b * 10 + (s[i] - '0');
  }
  return b <= 255 ? b : -1;
}

// RapidJSON's handler of what its reader finds: the document's own, but
// for numbers, which come as text, and RawText's bytes (above).
class NumberHandler {
 public:
  using SizeType = rapidjson::SizeType;
  NumberHandler(rapidjson::Document &doc, const char *text, std::string &bytes, const RawTextBytes &raw)
      : doc_(doc), text_(text), bytes_(bytes), raw_(raw) {}

  bool Null() { return as_is() && doc_.Null(); }
  bool Bool(bool b) { return as_is() && doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool String(const char *s, SizeType n, bool copy) { return as_is() && doc_.String(s, n, copy); }
  bool Key(const char *s, SizeType n, bool copy) {
    raw_text_next_ = std::string_view(s, n) == kRawTextKey;
    return doc_.Key(s, n, copy);
  }
  bool StartObject() { return as_is() && doc_.StartObject(); }
  bool EndObject(SizeType members) { return doc_.EndObject(members); }
  bool StartArray() {
    if (raw_text_next_) {  // RawText's value: bytes, most likely
      raw_text_next_ = false;
      in_bytes_ = true;
      bytes_.clear();
      return true;
    }
    return as_is() && doc_.StartArray();
  }
  bool EndArray(SizeType elements) {
    if (!in_bytes_) return doc_.EndArray(elements);
    in_bytes_ = false;
    return doc_.StartArray() && doc_.Double(std::numeric_limits<double>::quiet_NaN()) &&
           doc_.String(bytes_.data(), static_cast<SizeType>(bytes_.size()), true) && doc_.EndArray(2);
  }

  bool RawNumber(const char *s, SizeType n, bool) {
    if (is_placeholder(s)) {
      if (!in_bytes_) {
        placeholder_misread = true;
        return false;
      }
      const RawTextBytes::Array &a = raw_.arrays[next_array_++];
      bytes_.append(raw_.bytes, a.begin, a.size);
      return true;
    }
    if (in_bytes_) {
      if (const int b = byte_of(s, n); b >= 0) {
        bytes_ += static_cast<char>(b);
        return true;
      }
    }
    as_is();
    const char *end = s + n;
    if (std::find_if(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E'; }) == end) {
      // An integer, stored as RapidJSON stores it when it fits in 64 bits.
      if (*s == '-') {
        int64_t i = 0;
        const auto r = std::from_chars(s, end, i);
        if (r.ec == std::errc() && r.ptr == end) return i >= INT32_MIN ? Int(static_cast<int>(i)) : Int64(i);
      } else {
        uint64_t u = 0;
        const auto r = std::from_chars(s, end, u);
        if (r.ec == std::errc() && r.ptr == end) return u <= UINT32_MAX ? Uint(static_cast<unsigned>(u)) : Uint64(u);
      }
    }
    double d = 0;
    const auto r = std::from_chars(s, end, d);
    if (r.ec == std::errc::result_out_of_range) {
      if (at_least_one(s, end)) {
        too_big = static_cast<std::size_t>(s - text_);
        return false;
      }
      d = *s == '-' ? -0.0 : 0.0;
    }
    return Double(d);
  }

  std::optional<std::size_t> too_big;  // where a number too large for a double starts
  bool placeholder_misread = false;    // a decoded array's placeholder read as a number
  bool all_placeholders_read() const { return next_array_ == raw_.arrays.size(); }

 private:
  // Before a value that is not a byte: a RawText array being read as bytes
  // is not only bytes after all, so it is built as it is, from its start.
  // Returns false if the document refuses (it never does).
  bool as_is() {
    raw_text_next_ = false;
    if (!in_bytes_) return true;
    in_bytes_ = false;
    bool ok = doc_.StartArray();
    for (char c : bytes_) ok = ok && doc_.Uint(static_cast<unsigned char>(c));
    return ok;
  }

  bool is_placeholder(const char *s) const {
    return next_array_ < raw_.arrays.size() && static_cast<std::size_t>(s - text_) == raw_.arrays[next_array_].at;
  }

  rapidjson::Document &doc_;
  const char *text_;
  std::string &bytes_;          // the bytes of the RawText array being read
  const RawTextBytes &raw_;     // the arrays decoded before parsing
  std::size_t next_array_ = 0;  // the next of raw_.arrays the text holds
  bool raw_text_next_ = false;  // the value coming is RawText's
  bool in_bytes_ = false;       // inside RawText's array, bytes only so far
};

// Parses text in place into doc, as doc.ParseInsitu() would, with numbers
// read by NumberHandler and raw's arrays in place of their placeholders.
// Returns what went wrong, if anything; misread_placeholder is set when the
// text cannot be parsed with raw's arrays (the caller parses the original).
rapidjson::ParseResult parse_in_place(rapidjson::Reader &reader, rapidjson::Document &doc, char *text, std::string &bytes,
                                      const RawTextBytes &raw, bool &misread_placeholder) {
  constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseNumbersAsStringsFlag;
  NumberHandler handler(doc, text, bytes, raw);
  rapidjson::InsituStringStream in(text);
  rapidjson::ParseResult result;
  auto read = [&](rapidjson::Document &) {
    result = reader.Parse<kFlags>(in, handler);
    return !result.IsError();
  };
  doc.Populate(read);
  if (handler.too_big) result.Set(rapidjson::kParseErrorNumberTooBig, *handler.too_big);
  misread_placeholder = handler.placeholder_misread || (!result.IsError() && !handler.all_placeholders_read());
  return result;
}

// A record text kept from call to call, at most; and the least a value must
// be to take the record's text rather than a copy.
constexpr std::size_t kKeptTextBytes = std::size_t{1} << 20;

}  // namespace

// Each thread parses into one document whose memory pool starts with a
// buffer kept from call to call, so a usual event allocates nothing for its
// DOM. The text is parsed in place, in a copy kept from call to call too:
// its strings stay where they are, which is much faster than RapidJSON's
// parsing from a bounded buffer.
class Parser {
 public:
  Parser() : buffer_(new char[kBufferSize]), pool_(buffer_.get(), kBufferSize), doc_(&pool_) {}

  // The document of `json` (which holds no NUL byte), valid until the next call.
  const rapidjson::Document &parse(std::string_view json) {
    // A float must come out as the double nearest to its text: parse_in_place().
    copy_decoding_raw_text(json, text_, raw_);
    if (parse_once() || raw_.arrays.empty()) return doc_;
    // What went wrong is told about the record as it came.
    raw_.clear();
    text_.assign(json.data(), json.size());
    parse_once();
    return doc_;
  }
  // Parses text_ with raw_'s arrays; true if that worked out.
  bool parse_once() {
    doc_.SetNull();
    pool_.Clear();  // frees any chunks beyond the buffer
    bool misread_placeholder = false;
    error_ = parse_in_place(reader_, doc_, text_.data(), bytes_, raw_, misread_placeholder);
    return !error_.IsError() && !misread_placeholder;
  }

  // Why the last parse() failed, if it did.
  const rapidjson::ParseResult &error() const { return error_; }

  // Gives back the memory of a large text once its event has been read (or
  // refused): kept, one huge record would hold its size for the whole run.
  // Forgets a loan that no message kept.
  void release_if_large() noexcept {
    loan_ = {};
    if (bytes_.capacity() > kKeptTextBytes) std::string().swap(bytes_);
    if (raw_.bytes.capacity() > kKeptTextBytes) std::string().swap(raw_.bytes);
    if (text_.capacity() <= kKeptTextBytes) return;
    doc_.SetNull();
    pool_.Clear();
    std::string().swap(text_);
  }

  // A String value that is most of a huge record takes the parser's copy of
  // the record instead of a copy of its own, which would be the third whole
  // copy of the record (after the host's line and the parser's) and decide
  // the sink's memory. True when it did: to holds the whole text, which the
  // DOM still points into, until trim_loan() cuts it to the value's bytes.
  bool lend_text(const char *value, std::size_t size, std::string &to) {
    const bool inside = value >= text_.data() && value < text_.data() + text_.size();
    if (loan_.buffer || !inside || size < kKeptTextBytes || size < text_.size() / 2) return false;
    loan_ = Loan{text_.data(), static_cast<std::size_t>(value - text_.data()), size};
    to = std::move(text_);  // moves the buffer: the DOM's pointers stay valid
    return true;
  }

  // Once the message is read (the DOM is done with): the value that took
  // the text keeps only its own bytes.
  void trim_loan(Message &message) {
    if (!loan_.buffer) return;
    auto trim = [&](Tuple &tuple) {
      for (Value &v : tuple)
        if (v.text.data() == loan_.buffer) {
          std::memmove(v.text.data(), v.text.data() + loan_.offset, loan_.size);
          v.text.resize(loan_.size);
        }
    };
    auto trim_optional = [&](std::optional<Tuple> &tuple) {
      if (tuple) trim(*tuple);
    };
    if (auto *insert = std::get_if<Insert>(&message)) trim(insert->tuple);
    if (auto *update = std::get_if<Update>(&message))
      trim(update->new_tuple), trim_optional(update->old_tuple), trim_optional(update->key_tuple);
    if (auto *del = std::get_if<Delete>(&message)) trim_optional(del->old_tuple), trim_optional(del->key_tuple);
    loan_ = {};
  }

 private:
  static constexpr std::size_t kBufferSize = 16 * 1024;
  rapidjson::Reader reader_;  // made once: it allocates when made
  std::unique_ptr<char[]> buffer_;
  rapidjson::MemoryPoolAllocator<> pool_;
  rapidjson::Document doc_;
  rapidjson::ParseResult error_;
  std::string text_;
  std::string bytes_;  // RawText's bytes while the parser reads them (NumberHandler)
  RawTextBytes raw_;   // RawText's arrays decoded as the text was copied
  struct Loan {
    const char *buffer = nullptr;  // text_'s buffer, now a value's
    std::size_t offset = 0, size = 0;  // where the value's bytes are in it
  } loan_;
};

// This thread's parser. A thread_local in a plugin costs a __tls_get_addr
// call at each use (perf: 4-6% of the sink's CPU when used per value), so
// it is looked up once per record (ParsedRecord keeps it).
static Parser &this_thread_parser() {
  thread_local Parser parser;
  return parser;
}

namespace {

// How deep a record may nest arrays and objects. An event nests five deep
// (event, message, tuple, value, RawText's bytes); RapidJSON's parser
// recurses once per level, so a record of a few hundred thousand '[' would
// overflow the stack. Well under the bound, the DOM is shallow too, and the
// pool allocator frees it without walking it.
constexpr std::size_t kMaxDepth = 128;

// How many '[' and '{' s holds, eight bytes at a time.
std::size_t count_openings(std::string_view s) {
  // '[' (0x5b) and '{' (0x7b) differ only in bit 0x20, and no other byte
  // becomes 0x7b with that bit set.
  constexpr uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080, kLow = 0x7f7f7f7f7f7f7f7f;
  std::size_t n = 0, i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    const uint64_t y = (x | (0x20 * kOnes)) ^ (0x7b * kOnes);  // a zero byte where x has '[' or '{'
    const uint64_t nonzero = (((y & kLow) + kLow) | y) & kHigh;  // the high bit of each nonzero byte
    n += static_cast<std::size_t>((((~nonzero & kHigh) >> 7) * kOnes) >> 56);  // the sum of the byte flags
  }
  for (; i < s.size(); ++i) n += s[i] == '[' || s[i] == '{';
  return n;
}

// Throws EventError if json nests arrays and objects deeper than kMaxDepth.
// Cheap for a usual record: counting its brackets is one quick pass, and
// only a record with more than kMaxDepth of them is scanned (outside
// strings) for its depth.
void check_depth(std::string_view json) {
  if (json.size() <= kMaxDepth || count_openings(json) <= kMaxDepth) return;
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth)
        throw EventError("not valid JSON: nested deeper than " + std::to_string(kMaxDepth) + " levels at byte " +
                         std::to_string(i));
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

// Parses json on this thread's parser; throws EventError if it is not JSON.
const rapidjson::Document &start(Parser &parser, std::string_view json) {
  // RapidJSON reads a NUL byte as the end of the text: reject one rather
  // than ignore what follows it.
  if (const void *nul = json.empty() ? nullptr : std::memchr(json.data(), '\0', json.size()))
    throw EventError("not valid JSON: a NUL byte at byte " +
                     std::to_string(static_cast<const char *>(nul) - json.data()));
  check_depth(json);
  const rapidjson::Document &doc = parser.parse(json);
  if (parser.error().IsError()) {
    const rapidjson::ParseResult error = parser.error();
    parser.release_if_large();  // no ParsedRecord will
    throw EventError(std::string("not valid JSON: ") + rapidjson::GetParseError_En(error.Code()) + " at byte " +
                     std::to_string(error.Offset()));
  }
  return doc;
}

}  // namespace

ParsedRecord::ParsedRecord(std::string_view json) : parser_(this_thread_parser()), document_(start(parser_, json)) {}

ParsedRecord::~ParsedRecord() { parser_.release_if_large(); }

void ParsedRecord::finish(Message &message) { parser_.trim_loan(message); }

void take_string(const Json &x, std::string &text) {
  // The size first: the parser is a thread_local (this_thread_parser).
  const bool may_lend = x.GetStringLength() >= kKeptTextBytes;
  if (!may_lend || !this_thread_parser().lend_text(x.GetString(), x.GetStringLength(), text))
    text.assign(x.GetString(), x.GetStringLength());
}

bool take_raw_text(const Json &x, std::string &bytes) {
  if (!x.IsArray() || x.Size() != 2 || !x[0].IsDouble() || !std::isnan(x[0].GetDouble()) || !x[1].IsString())
    return false;
  bytes.assign(x[1].GetString(), x[1].GetStringLength());
  return true;
}

}  // namespace cn::events::json
