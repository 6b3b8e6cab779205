// libFuzzer target: postgres-source's pgoutput decoder. The input is a
// replication session: messages, each after its length (2 bytes,
// big-endian; the last one takes what is left when it claims more), decoded
// in order by one decoder, which keeps the relations from one message to
// the next as it does in a session.
//
// Besides "nothing crashes, every refusal is a DecodeError or an
// EventError": a refused message leaves the output and the decoder's
// relations as they were; an accepted one appends one event, which
// parse_event reads back (what the source writes, the sink must read) as
// what was decoded: the relation the decoder now holds, the positions of a
// begin or a commit, a change to a known relation.
#include "fuzz_check.hpp"

#include <pgoutput.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

using namespace cn::pgsource;
using namespace cn::events;

namespace {

const Envelope kEnvelope{31216048, 31216056, 848579648134415};

// The rel_id a message names first (relation and change messages), if it has one.
std::optional<uint32_t> named_rel_id(const std::string &message) {
  if (message.size() < 5 || std::string("RIUD").find(message[0]) == std::string::npos) return std::nullopt;
  uint32_t id = 0;
  for (int i = 1; i <= 4; ++i) id = id << 8 | static_cast<unsigned char>(message[static_cast<std::size_t>(i)]);
  return id;
}

void check_relations_unchanged(const PgoutputDecoder &decoder, const std::map<uint32_t, Relation> &expected,
                               std::optional<uint32_t> touched) {
  for (const auto &[id, relation] : expected) {
    const Relation *now = decoder.relation(id);
    FUZZ_CHECK(now && *now == relation, "a refused message keeps relation " + std::to_string(id));
  }
  if (touched && !expected.count(*touched))
    FUZZ_CHECK(decoder.relation(*touched) == nullptr, "a refused message adds no relation");
}

// The event the decoder wrote for message, read back and compared with
// what it decoded.
void check_event(const PgoutputDecoder &decoder, const Decoded &decoded, const std::string &message,
                 const std::string &event, std::map<uint32_t, Relation> &relations) {
  Envelope envelope;
  Message m;
  try {
    m = parse_event(event, envelope);
  } catch (const EventError &e) {
    cn::fuzz::broken(__FILE__, __LINE__, "parse_event reads what the decoder wrote",
                     std::string(e.what()) + "\nwritten: " + event);
  }
  FUZZ_CHECK(envelope.wal_start == kEnvelope.wal_start && envelope.wal_end == kEnvelope.wal_end &&
                 envelope.timestamp == kEnvelope.timestamp,
             "the envelope is the one given: " + event);
  switch (decoded.kind) {
    case Decoded::Kind::begin: {
      const auto *b = std::get_if<Begin>(&m);
      FUZZ_CHECK(b && b->final_lsn == decoded.final_lsn && b->xid == decoded.xid, "a begin, as decoded: " + event);
      break;
    }
    case Decoded::Kind::commit: {
      const auto *c = std::get_if<Commit>(&m);
      FUZZ_CHECK(c && c->commit_lsn == decoded.commit_lsn && c->end_lsn == decoded.end_lsn,
                 "a commit, as decoded: " + event);
      break;
    }
    case Decoded::Kind::origin: FUZZ_CHECK(std::holds_alternative<Origin>(m), "an origin: " + event); break;
    case Decoded::Kind::type: FUZZ_CHECK(std::holds_alternative<Type>(m), "a type: " + event); break;
    case Decoded::Kind::relation: {
      const auto *r = std::get_if<Relation>(&m);
      FUZZ_CHECK(r, "a relation: " + event);
      const Relation *kept = decoder.relation(r->rel_id);
      FUZZ_CHECK(kept && *kept == *r, "the relation written is the one kept: " + event);
      relations.insert_or_assign(r->rel_id, *r);
      break;
    }
    case Decoded::Kind::change: {
      const bool truncate = std::holds_alternative<Truncate>(m);
      FUZZ_CHECK(truncate || std::holds_alternative<Insert>(m) || std::holds_alternative<Update>(m) ||
                     std::holds_alternative<Delete>(m),
                 "a change: " + event);
      if (!truncate) {
        const auto id = named_rel_id(message);
        FUZZ_CHECK(id && relations.count(*id), "a change to a relation described before: " + event);
      }
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, std::size_t size) {
  PgoutputDecoder decoder;
  std::map<uint32_t, Relation> relations;  // what the decoder must hold
  std::string out;
  for (std::size_t at = 0; at < size;) {
    std::size_t length = size - at >= 2 ? std::size_t{data[at]} << 8 | data[at + 1] : 0;
    at += std::min<std::size_t>(2, size - at);
    length = std::min(length, size - at);
    // A copy of just this message, so that ASan sees any read past its end.
    const std::string message(reinterpret_cast<const char *>(data + at), length);
    at += length;

    const std::size_t before = out.size();
    out += "kept";  // what a refused message must leave alone
    const std::string expected = out;
    try {
      const Decoded decoded = decoder.decode(kEnvelope, message.data(), message.size(), out);
      FUZZ_CHECK(out.size() > expected.size() && out.compare(0, expected.size(), expected) == 0,
                 "an accepted message appends its event");
      check_event(decoder, decoded, message, out.substr(expected.size()), relations);
    } catch (const DecodeError &) {
      FUZZ_CHECK(out == expected, "a refused message appends nothing");
      check_relations_unchanged(decoder, relations, named_rel_id(message));
    } catch (const EventError &) {
      FUZZ_CHECK(out == expected, "a refused message appends nothing");
      check_relations_unchanged(decoder, relations, named_rel_id(message));
    }
    out.resize(before);  // keeps the buffer's capacity, as a replication loop does
  }
  return 0;
}
