// The replication stream's framing (plugins/postgres-source/replication.hpp):
// XLogData and keepalive messages, and the ones the source refuses.
#include "replication.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cn::pgsource;

namespace {

std::string be64(uint64_t v) {
  std::string bytes;
  for (int shift = 56; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>(v >> shift & 0xff));
  return bytes;
}

std::string refusal(const std::string &message) {
  try {
    parse_stream_message(message);
  } catch (const SourceError &e) {
    CHECK_FALSE(e.transient);
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("stream message: XLogData's header becomes the envelope, the rest is the payload") {
  const std::string message = "w" + be64(0x16B3748) + be64(0x16B3790) + be64(848579648134415) + "B payload";
  const StreamMessage parsed = parse_stream_message(message);
  const auto *data = std::get_if<XLogData>(&parsed);
  REQUIRE(data);
  CHECK(data->envelope.wal_start == 0x16B3748);
  CHECK(data->envelope.wal_end == 0x16B3790);
  CHECK(data->envelope.timestamp == 848579648134415);
  CHECK(data->payload == "B payload");
  CHECK(data->payload.data() == message.data() + 25);  // borrowed, not copied
}

TEST_CASE("stream message: a keepalive's WAL end and whether it wants a reply") {
  for (const char reply : {'\0', '\1'}) {
    const StreamMessage parsed = parse_stream_message("k" + be64(0x2000000) + be64(1) + std::string(1, reply));
    const auto *keepalive = std::get_if<Keepalive>(&parsed);
    REQUIRE(keepalive);
    CHECK(keepalive->wal_end == 0x2000000);
    CHECK(keepalive->reply_requested == (reply != 0));
  }
}

TEST_CASE("stream message: an unknown or short message is a permanent error naming its kind and size") {
  CHECK(refusal("x123") == "the replication stream sent a message this source does not know ('x', 4 bytes)");
  CHECK(refusal("w" + std::string(23, '\0')) ==
        "the replication stream sent a message this source does not know ('w', 24 bytes)");
  CHECK(refusal("k" + std::string(16, '\0')) ==
        "the replication stream sent a message this source does not know ('k', 17 bytes)");
  CHECK(refusal("w" + std::string(24, '\0')).empty());  // a header and an empty payload: the decoder's to refuse
}
