// What postgres-source confirms to PostgreSQL
// (plugins/postgres-source/durable_position.hpp): never a transaction before
// the host has acknowledged its commit event.
#include "durable_position.hpp"

#include <doctest/doctest.h>

using cn::pgsource::DurablePosition;

namespace {

// A transaction of two events, its begin at offset, ending at end_lsn.
void emit_transaction(DurablePosition &p, int64_t offset, uint64_t end_lsn) {
  p.emitted(offset);
  p.emitted(offset + 1);
  p.commit_emitted(end_lsn);
}

uint64_t confirmed_after_ack(DurablePosition &p, int64_t offset) {
  p.acked(offset);
  return p.confirmed();
}

}  // namespace

TEST_CASE("durable position: a transaction's end is confirmed once its commit event is acknowledged") {
  DurablePosition p;
  CHECK(p.last_emitted() == -1);
  emit_transaction(p, 0, 500);
  emit_transaction(p, 2, 700);
  CHECK(p.last_emitted() == 3);
  CHECK(p.confirmed() == 0);
  CHECK(confirmed_after_ack(p, 0) == 0);
  CHECK(confirmed_after_ack(p, 2) == 500);
  CHECK(confirmed_after_ack(p, 3) == 700);
}

TEST_CASE("durable position: a skipped transaction waits for what was emitted before it") {
  DurablePosition p;
  p.commit_skipped(100);  // nothing emitted: at once
  CHECK(p.confirmed() == 100);
  emit_transaction(p, 0, 300);
  p.commit_skipped(400);
  CHECK(p.confirmed() == 100);
  CHECK(confirmed_after_ack(p, 1) == 400);
}

TEST_CASE("durable position: WAL that holds nothing is confirmed only while everything emitted is acknowledged") {
  DurablePosition p;
  emit_transaction(p, 0, 300);
  p.nothing_until(900);
  CHECK(confirmed_after_ack(p, 1) == 300);  // the keepalive was not kept
  p.nothing_until(900);
  CHECK(p.confirmed() == 900);
  p.nothing_until(800);
  CHECK(p.confirmed() == 900);  // never backwards
}
