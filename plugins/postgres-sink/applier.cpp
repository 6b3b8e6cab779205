#include "applier.hpp"
#include "direct_statements.hpp"

#include <postgres_errors.hpp>

#include <algorithm>
#include <chrono>
#include <set>

namespace cn::pgsink {

namespace {

using plugins::is_transient;
using plugins::message_of;


bool full_identity(const TargetTable &t) { return t.relation.replica_identity == ReplicaIdentity::full; }

// Tables whose rows can be told apart by a key: their changes fold.
bool keyed(const TargetTable &t) { return !full_identity(t) && !t.key_columns.empty(); }

// The tuple that holds a change's key: an insert's row, else its locator.
const Tuple &key_of(const Change &c) { return c.kind == Change::Kind::insert ? c.values : c.locator; }

// The hash of a key's values (the batch's index): each value's text; a
// value without one (NULL, an unsent TOAST value) as same_key() has it,
// one and the same.
uint64_t key_hash(const TargetTable &t, const Tuple &tuple) {
  constexpr uint64_t kNoText = 1;
  uint64_t h = 0;
  for (std::size_t k : t.key_columns) {
    const Value &v = tuple[k];
    const uint64_t one = v.kind == Value::Kind::text ? std::hash<std::string_view>{}(v.text) : kNoText;
    h = (h ^ one) * 0x9e3779b97f4a7c15ULL + (h >> 29);
  }
  return h;
}

// Whether two tuples hold the same key: the same texts, and no text (NULL,
// an unsent TOAST value) where the other has none.
bool same_key(const TargetTable &t, const Tuple &a, const Tuple &b) {
  for (std::size_t k : t.key_columns) {
    const Value &x = a[k], &y = b[k];
    const bool x_text = x.kind == Value::Kind::text, y_text = y.kind == Value::Kind::text;
    if (x_text != y_text || (x_text && x.text != y.text)) return false;
  }
  return true;
}

bool is_unchanged_toast(const Value &v) { return v.kind == Value::Kind::unchanged_toast; }

// newer over older, except where newer keeps the target's value (TOAST).
// Moves: a value may be as large as a record.
void merge_into(Tuple &older, Tuple &&newer) {
  for (std::size_t i = 0; i < older.size(); ++i)
    if (!is_unchanged_toast(newer[i])) older[i] = std::move(newer[i]);
}

std::vector<bool> unchanged_columns(const Tuple &values) {
  std::vector<bool> mask(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) mask[i] = is_unchanged_toast(values[i]);
  return mask;
}

// A row a statement writes: borrowed from a change or a folded entry.
struct Row {
  const Tuple *values;
  const Tuple *locator;
  int64_t first_offset, last_offset;
  // values again, when the statement may take texts out of them (a folded
  // entry, dropped once its statements are made); else null.
  Tuple *values_to_take = nullptr;
};

// The statement for some rows, as a table u(a1, ..., ord) to join: for
// several rows, one text[] literal per column slot, read back by
// "unnest($1::text[], ...) WITH ORDINALITY"; for one row, the values as
// they are, "(VALUES ($1::text, ...))": no literal to build around a value
// that may be as large as a record, and a value a folded entry holds is
// taken, not copied.
class Statement {
 public:
  explicit Statement(const std::vector<Row> &rows) : rows_(rows) {}

  std::string add_column(bool from_locator, std::size_t position) {
    const std::string alias = "a" + std::to_string(++columns_);
    aliases_ += (aliases_.empty() ? "" : ", ") + alias;
    if (rows_.size() == 1) {
      add_single(from_locator, position);
    } else {
      params_.push_back(array_literal(from_locator, position));
      arguments_ += (arguments_.empty() ? "$" : ", $") + std::to_string(params_.size()) + "::text[]";
    }
    return alias;
  }

  std::string table() const {
    if (rows_.size() == 1) return "(VALUES (" + arguments_ + (arguments_.empty() ? "" : ", ") + "1)) AS u(" +
                                  aliases_ + (aliases_.empty() ? "" : ", ") + "ord)";
    return "unnest(" + arguments_ + ") WITH ORDINALITY AS u(" + aliases_ + ", ord)";
  }

  std::vector<std::string> take_params() { return std::move(params_); }

 private:
  const Tuple &tuple(const Row &row, bool from_locator) const { return *(from_locator ? row.locator : row.values); }

  void add_single(bool from_locator, std::size_t position) {
    const Row &row = rows_[0];
    const Value &value = tuple(row, from_locator)[position];
    if (!arguments_.empty()) arguments_ += ", ";
    if (value.kind != Value::Kind::text) {
      arguments_ += "NULL::text";
      return;
    }
    // A value column is used once; a locator's may be matched again.
    if (!from_locator && row.values_to_take)
      params_.push_back(std::move((*row.values_to_take)[position].text));
    else
      params_.push_back(value.text);
    arguments_ += "$" + std::to_string(params_.size()) + "::text";
  }

  std::string array_literal(bool from_locator, std::size_t position) const {
    std::size_t size = 2;  // sized up front (escapes aside): growing would copy it
    for (const Row &row : rows_) size += tuple(row, from_locator)[position].text.size() + 3;
    std::string literal;
    literal.reserve(size);
    literal += '{';
    for (std::size_t r = 0; r < rows_.size(); ++r) {
      if (r) literal += ',';
      append_array_element(literal, tuple(rows_[r], from_locator)[position]);
    }
    literal += '}';
    return literal;
  }

  const std::vector<Row> &rows_;
  std::vector<std::string> params_;
  std::string arguments_, aliases_;
  std::size_t columns_ = 0;
};

std::string cast(const std::string &alias, const std::string &type) { return "u." + alias + "::" + type; }

// Row matching for Full identity: every column sent in the old row,
// compared through its text form, so that types without an equality
// operator (json, point) and float4 match too. LIMIT 1: with duplicate rows
// one change touches exactly one of them. (One row per statement.)
std::string full_identity_match(const TargetTable &t, const Tuple &old_row, Statement &st) {
  std::string match;
  for (std::size_t i = 0; i < t.relation.columns.size(); ++i) {
    if (old_row[i].kind == Value::Kind::unchanged_toast) continue;
    std::string alias = st.add_column(true, i);
    match += (match.empty() ? "" : " AND ") + std::string("t2.") + t.quoted_columns[i] + "::text IS NOT DISTINCT FROM (" +
             cast(alias, t.column_types[i]) + ")::text";
  }
  return "t.ctid = (SELECT t2.ctid FROM " + t.quoted_name + " AS t2 WHERE " + (match.empty() ? "true" : match) +
         " LIMIT 1)";
}

std::string key_match(const TargetTable &t, Statement &st) {
  std::string match;
  for (std::size_t k : t.key_columns) {
    std::string alias = st.add_column(true, k);
    match += (match.empty() ? "" : " AND ") + std::string("t.") + t.quoted_columns[k] + " = " + cast(alias, t.column_types[k]);
  }
  return match;
}

std::string where_clause(const TargetTable &t, const std::vector<Row> &rows, Statement &st) {
  return full_identity(t) ? full_identity_match(t, *rows[0].locator, st) : key_match(t, st);
}

std::pair<int64_t, int64_t> offsets_of(const std::vector<Row> &rows) {
  int64_t first = rows[0].first_offset, last = rows[0].last_offset;
  for (const Row &r : rows) first = std::min(first, r.first_offset), last = std::max(last, r.last_offset);
  return {first, last};
}

// Runs a statement; a refusal for reasons of the data becomes RefusedError.
template <class F>
auto refusable(const char *what, const TargetTable &t, int64_t first, int64_t last, F &&f) -> decltype(f()) {
  try {
    return f();
  } catch (const pqxx::sql_error &e) {
    if (is_transient(e)) throw;
    throw RefusedError(std::string(what) + " refused by the target: " + message_of(e), first, last, display(t.name));
  }
}

using Prepared = PreparedStatement;

Prepared prepared_for(Prepared::Kind kind, const TargetTable &t, const std::vector<Row> &rows) {
  Prepared p;
  p.kind = kind;
  p.table = &t;
  std::tie(p.first_offset, p.last_offset) = offsets_of(rows);
  for (const Row &r : rows) p.offsets.push_back(r.last_offset);
  return p;
}

// COPY text in pieces of kRowsPerPiece lines, sent one after another so
// that the server parses one while the next arrives. A large value that
// COPY takes as it is becomes a piece of its own, taken rather than copied
// where the row allows it: a value may be as large as a record.
Prepared prepare_copy(const TargetTable &t, const std::vector<Row> &rows) {
  constexpr std::size_t kRowsPerPiece = 2000;
  constexpr std::size_t kValueAsPieceBytes = std::size_t{1} << 20;
  Prepared p = prepared_for(Prepared::Kind::copy, t, rows);
  std::string piece;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Tuple &values = *rows[r].values;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) piece += '\t';
      const Value &v = values[i];
      if (rows[r].values_to_take && v.kind == Value::Kind::text && v.text.size() >= kValueAsPieceBytes &&
          is_copy_verbatim(v.text)) {
        p.pieces.push_back(std::move(piece)), piece.clear();
        p.pieces.push_back(std::move((*rows[r].values_to_take)[i].text));
      } else {
        append_copy_value(piece, v);
      }
    }
    piece += '\n';
    // The row's tuple goes back to the reader now, while it is in the
    // cache: handed back after the whole batch, it had to be read again.
    if (rows[r].values_to_take) events::recycle(std::move(*rows[r].values_to_take));
    if ((r + 1) % kRowsPerPiece == 0 || r + 1 == rows.size()) {
      const std::size_t size = piece.size();
      p.pieces.push_back(std::move(piece));
      piece.clear();
      // The next piece's rows are much the same: room for them, no growing copies.
      if (r + 1 < rows.size()) piece.reserve(size + size / 8);
    }
  }
  return p;
}

Prepared prepare_update(const TargetTable &t, const std::vector<Row> &rows) {
  Prepared p = prepared_for(Prepared::Kind::update, t, rows);
  Statement st(rows);
  std::vector<bool> unchanged = unchanged_columns(*rows[0].values);
  // Key columns are set only by an update that changes the key (one that
  // is always written alone); a folded update keeps its key.
  const bool key_changes = keyed(t) && !same_key(t, *rows[0].locator, *rows[0].values);
  std::vector<bool> is_key(t.relation.columns.size());
  for (std::size_t k : t.key_columns) is_key[k] = keyed(t) && !key_changes;
  std::string set;
  for (std::size_t i = 0; i < t.relation.columns.size(); ++i) {
    if (unchanged[i] || is_key[i]) continue;
    std::string alias = st.add_column(false, i);
    set += (set.empty() ? "" : ", ") + t.quoted_columns[i] + " = " + cast(alias, t.column_types[i]);
  }
  if (set.empty()) return p;  // every column kept its value: nothing to write
  p.sql = "UPDATE " + t.quoted_name + " AS t SET " + set + " FROM " + st.table() + " WHERE " +
          where_clause(t, rows, st) + " RETURNING u.ord";
  p.params = st.take_params();
  return p;
}

Prepared prepare_delete(const TargetTable &t, const std::vector<Row> &rows) {
  Prepared p = prepared_for(Prepared::Kind::delete_, t, rows);
  Statement st(rows);
  p.sql = "DELETE FROM " + t.quoted_name + " AS t USING " + st.table() + " WHERE " + where_clause(t, rows, st) +
          " RETURNING u.ord";
  p.params = st.take_params();
  return p;
}

}  // namespace

// ---- folding ------------------------------------------------------------------

Applier::Applier(std::size_t max_rows_per_statement, const cn::Host &host, Counts &counts, const SinkMetrics &metrics)
    : max_rows_(max_rows_per_statement), host_(host), batch_(std::make_shared<Batch>()), counts_(counts),
      metrics_(metrics) {}

std::size_t Applier::batch_rows() const { return batch_->rows; }
std::size_t Applier::batch_bytes() const { return batch_->bytes; }

namespace {

std::size_t bytes_of(const Change &c) {
  std::size_t bytes = c.statement.size();
  for (const Tuple *tuple : {&c.values, &c.locator})
    for (const Value &v : *tuple) bytes += v.text.size();
  return bytes;
}

}  // namespace

void Applier::add(Change change) {
  if (change.kind != Change::Kind::truncate && keyed(*change.table))
    change.key_hash = key_hash(*change.table, key_of(change));
  open_bytes_ += bytes_of(change);
  open_.push_back(std::move(change));
}

void Applier::discard_open() {
  open_.clear();
  open_bytes_ = 0;
}

std::shared_ptr<Applier::Batch> Applier::take_batch() {
  auto taken = std::make_shared<Batch>();
  taken.swap(batch_);
  for (auto &[_, table] : taken->tables) prepare(table);
  return taken;
}

bool Applier::fold(Change &c, const RowsPerTable &coming) {
  if (c.kind == Change::Kind::truncate) return false;
  const TargetTable &t = *c.table;
  if (!keyed(t) && c.kind != Change::Kind::insert) return false;
  if (c.kind == Change::Kind::update && !same_key(t, c.locator, c.values)) return false;  // new key

  TableBatch &b = batch_->tables[c.table.get()];
  if (!b.table) {
    b.table = c.table;
    b.order = batch_->tables.size();
    if (auto rows = coming.find(c.table.get()); rows != coming.end()) {
      b.by_key.reserve(rows->second);
      b.entries.reserve(rows->second);
    }
  }
  Entry *e = nullptr;
  if (keyed(t)) {
    // An entry's key is in its locator once it has one (an update's, a
    // delete's, also after an insert: the same key), else in its row.
    auto same = [&](std::size_t place) {
      const Entry &e = b.entries[place];
      return same_key(t, e.locator.empty() ? e.values : e.locator, key_of(c));
    };
    auto [place, fresh] = b.by_key.find_or_add(c.key_hash, b.entries.size(), same);
    if (fresh) b.entries.emplace_back(), ++batch_->rows;
    e = &b.entries[place];
  } else {
    e = &b.entries.emplace_back();
    ++batch_->rows;
  }

  using E = Entry::Op;
  switch (c.kind) {
    case Change::Kind::insert:
      if (e->op == E::none) e->op = E::insert, e->values = std::move(c.values);
      else if (e->op == E::delete_) e->op = E::replace, e->values = std::move(c.values);
      else return false;  // a second insert of a key: let the target say what it thinks
      break;
    case Change::Kind::update:
      if (e->op == E::none) e->op = E::update, e->values = std::move(c.values), e->locator = std::move(c.locator);
      else if (e->op == E::delete_) return false;  // the row is gone: the target reports it missing
      else merge_into(e->values, std::move(c.values));
      break;
    case Change::Kind::delete_:
      if (e->op == E::none || e->op == E::update || e->op == E::replace) e->op = E::delete_, e->locator = std::move(c.locator);
      else if (e->op == E::insert) e->op = E::none;  // inserted and deleted within the batch: nothing to write
      else return false;  // deleted twice
      break;
    case Change::Kind::truncate:
      return false;
  }
  if (e->first_offset < 0) e->first_offset = c.offset;
  e->last_offset = c.offset;
  return true;
}

void Applier::seal(const TransactionSource &tx) {
  std::vector<Change> open;
  open.swap(open_);
  batch_->bytes += open_bytes_;
  open_bytes_ = 0;
  // A large transaction's rows per table, so that a table's batch makes
  // room for them at once: growing to 20,000 rows took a fortieth of the
  // sink's time on a large insert. (Rows an update merges are counted too:
  // room to spare, for this batch only.)
  constexpr std::size_t kCountedTransaction = 1000;
  RowsPerTable coming;
  if (open.size() >= kCountedTransaction)
    for (const Change &c : open) ++coming[c.table.get()];
  for (Change &c : open) {
    if (!fold(c, coming)) {
      flush(tx());  // what came before it, then it alone
      apply_now(tx(), c);
    }
    // What the batch did not take (an update's values merged into an
    // earlier one's) goes back to the reader.
    events::recycle(std::move(c.values)), events::recycle(std::move(c.locator));
  }
  // Its room is kept for the next transaction: growing it again, change by
  // change, was 2% of the sink's CPU on a large transaction.
  open.clear();
  if (open_.empty()) open_.swap(open);
}

void Applier::spill_open(pqxx::transaction_base &tx) {
  // The open part alone, folded the same way: it is one piece of one source
  // transaction, written in order after everything before it.
  flush(tx);
  seal([&tx]() -> pqxx::transaction_base & { return tx; });
  flush(tx);
}

void Applier::discard() {
  discard_open();
  batch_ = std::make_shared<Batch>();
}

// ---- writing --------------------------------------------------------------------

void Applier::flush(pqxx::transaction_base &tx) {
  if (batch_->tables.empty()) return;
  write(tx, *take_batch());
}

void Applier::write(pqxx::transaction_base &tx, Batch &batch) {
  std::vector<TableBatch *> order = table_order(tx, batch);
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    for (const Prepared &p : (*it)->deletes) execute(tx, p);
  for (TableBatch *t : order) {
    for (const Prepared &p : t->updates) execute(tx, p);
    for (const Prepared &p : t->inserts) execute(tx, p);
  }
}

// Parents before children, by the target's foreign keys among the tables of
// the batch; in first-appearance order otherwise (and for cycles).
std::vector<Applier::TableBatch *> Applier::table_order(pqxx::transaction_base &tx, Batch &batch) {
  std::vector<TableBatch *> tables;
  for (auto &[_, b] : batch.tables) tables.push_back(&b);
  std::sort(tables.begin(), tables.end(), [](auto *a, auto *b) { return a->order < b->order; });
  if (replica_role_ || tables.size() < 2) return tables;

  std::string oids = "{";
  for (TableBatch *t : tables) oids += (oids.size() > 1 ? "," : "") + std::to_string(t->table->oid);
  pqxx::result edges = tx.exec_params(
      "SELECT conrelid::oid::bigint, confrelid::oid::bigint FROM pg_constraint WHERE contype = 'f'"
      " AND conrelid = ANY($1::oid[]) AND confrelid = ANY($1::oid[]) AND conrelid <> confrelid",
      oids + "}");
  std::multimap<uint32_t, uint32_t> parents_of;  // child -> parent
  for (const auto &row : edges) parents_of.emplace(row[0].as<uint32_t>(), row[1].as<uint32_t>());

  std::vector<TableBatch *> ordered;
  std::set<uint32_t> placed;
  while (ordered.size() < tables.size()) {
    bool progress = false;
    for (TableBatch *t : tables) {
      if (placed.count(t->table->oid)) continue;
      auto [from, to] = parents_of.equal_range(t->table->oid);
      bool ready = std::all_of(from, to, [&](const auto &edge) { return placed.count(edge.second) > 0; });
      if (ready) ordered.push_back(t), placed.insert(t->table->oid), progress = true;
    }
    if (!progress)  // a cycle: the rest as they came
      for (TableBatch *t : tables)
        if (placed.insert(t->table->oid).second) ordered.push_back(t);
  }
  return ordered;
}

void Applier::prepare(TableBatch &b) const {
  using E = Entry::Op;
  const TargetTable &t = *b.table;
  std::vector<Row> deletes, updates, inserts;
  for (Entry &e : b.entries) {
    Row row{&e.values, &e.locator, e.first_offset, e.last_offset, &e.values};
    if (e.op == E::delete_ || e.op == E::replace) deletes.push_back(row);
    if (e.op == E::insert || e.op == E::replace) inserts.push_back(row);
    if (e.op == E::update) updates.push_back(row);
  }
  auto in_chunks = [this](const std::vector<Row> &rows, auto &&make, std::vector<Prepared> &out) {
    for (std::size_t at = 0; at < rows.size(); at += max_rows_)
      out.push_back(make({rows.begin() + at, rows.begin() + std::min(rows.size(), at + max_rows_)}));
  };
  in_chunks(deletes, [&t](const std::vector<Row> &rows) { return prepare_delete(t, rows); }, b.deletes);
  // Updates that leave the same columns unchanged share a statement. Most
  // leave none (no unsent TOAST value): those are taken as they are, first,
  // without a mask and a map entry each (a twentieth of the sink's CPU on
  // pgbench's updates).
  std::vector<Row> setting_every_column;
  std::map<std::vector<bool>, std::vector<Row>> by_columns;
  for (const Row &r : updates) {
    if (std::none_of(r.values->begin(), r.values->end(), is_unchanged_toast)) setting_every_column.push_back(r);
    else by_columns[unchanged_columns(*r.values)].push_back(r);
  }
  auto update = [&t](const std::vector<Row> &rows) { return prepare_update(t, rows); };
  in_chunks(setting_every_column, update, b.updates);
  for (auto &[unchanged, group] : by_columns) in_chunks(group, update, b.updates);
  if (!inserts.empty()) b.inserts.push_back(prepare_copy(t, inserts));
  // Everything is in the statements now; the tuples' room goes back to the
  // reader, for the next batch's values.
  for (Entry &e : b.entries) events::recycle(std::move(e.values)), events::recycle(std::move(e.locator));
  b.entries.clear();
  b.by_key = KeyIndex();
}

void Applier::execute(pqxx::transaction_base &tx, const PreparedStatement &p) {
  const TargetTable &t = *p.table;
  const auto start = std::chrono::steady_clock::now();
  if (p.kind == Prepared::Kind::copy) {
    refusable("insert", t, p.first_offset, p.last_offset,
              [&] { copy_into(tx, t.quoted_name, t.quoted_columns, p.pieces); });
    metrics_.statement(std::chrono::steady_clock::now() - start);
    counts_.inserted += p.offsets.size();
    return;
  }
  const bool update = p.kind == Prepared::Kind::update;
  uint64_t &count = update ? counts_.updated : counts_.deleted;
  if (p.sql.empty()) {
    count += p.offsets.size();
    return;
  }
  const char *what = update ? "update" : "delete";
  std::vector<Param> params;
  for (const std::string &literal : p.params) params.push_back({literal});
  std::vector<std::string> found = refusable(what, t, p.first_offset, p.last_offset,
                                             [&] { return exec_first_column(tx, p.sql, params); });
  metrics_.statement(std::chrono::steady_clock::now() - start);
  // As PostgreSQL's own apply worker does, a change whose row is missing is
  // logged and skipped.
  std::vector<bool> hit(p.offsets.size());
  for (const std::string &ordinal : found) hit[std::stoul(ordinal) - 1] = true;
  for (std::size_t i = 0; i < hit.size(); ++i) {
    if (hit[i]) {
      ++count;
      continue;
    }
    ++counts_.missing;
    host_.warn("offset " + std::to_string(p.offsets[i]) + ", table " + display(t.name) + ": the " + what +
               " found no row to change in the target; skipped");
  }
}

void Applier::apply_now(pqxx::transaction_base &tx, const Change &c) {
  std::vector<Row> row = {Row{&c.values, &c.locator, c.offset, c.offset}};
  switch (c.kind) {
    case Change::Kind::insert: return execute(tx, prepare_copy(*c.table, row));
    case Change::Kind::update: return execute(tx, prepare_update(*c.table, row));
    case Change::Kind::delete_: return execute(tx, prepare_delete(*c.table, row));
    case Change::Kind::truncate: {
      const auto start = std::chrono::steady_clock::now();
      refusable("truncate", *c.table, c.offset, c.offset, [&] { tx.exec(c.statement); });
      metrics_.statement(std::chrono::steady_clock::now() - start);
      ++counts_.truncated;
      return;
    }
  }
}

}  // namespace cn::pgsink
