#include "applier.hpp"

#include <set>

namespace pgsink {

namespace {

bool full_identity(const TargetTable &t) { return t.relation.replica_identity == ReplicaIdentity::full; }

// What makes two updates of one table fit one statement: the same columns
// to set (UnchangedToast columns are left out of SET).
std::vector<bool> unchanged_columns(const Change &c) {
  std::vector<bool> mask(c.values.size());
  for (std::size_t i = 0; i < c.values.size(); ++i) mask[i] = c.values[i].kind == Value::Kind::unchanged_toast;
  return mask;
}

std::string signature(const TargetTable &t, const Tuple &tuple) {
  std::string s;
  for (std::size_t k : t.key_columns) {
    const Value &v = tuple[k];
    s += v.kind == Value::Kind::text ? "v" + v.text : "n";
    s += '\x1f';
  }
  return s;
}

// The statement for a run: its SQL text and one text[] literal per column
// slot. Builds "$n::text[]" arguments and "u.aN::type" casts as it goes.
class Statement {
 public:
  explicit Statement(std::size_t rows) : rows_(rows) {}

  // Adds one array parameter holding tuple[position] of every change;
  // returns the alias of its column in unnest(...).
  std::string add_column(const std::vector<Change> &run, bool from_locator, std::size_t position) {
    std::string literal = "{";
    for (std::size_t r = 0; r < rows_; ++r) {
      if (r) literal += ',';
      append_array_element(literal, (from_locator ? run[r].locator : run[r].values)[position]);
    }
    literal += '}';
    params_.push_back(std::move(literal));
    std::string alias = "a" + std::to_string(params_.size());
    aliases_ += (aliases_.empty() ? "" : ", ") + alias;
    return alias;
  }

  std::string unnest() const {
    std::string args;
    for (std::size_t i = 1; i <= params_.size(); ++i) args += (i > 1 ? ", $" : "$") + std::to_string(i) + "::text[]";
    return "unnest(" + args + ") WITH ORDINALITY AS u(" + aliases_ + ", ord)";
  }

  const std::vector<std::string> &params() const { return params_; }

 private:
  std::size_t rows_;
  std::vector<std::string> params_;
  std::string aliases_;
};

std::string cast(const std::string &alias, const std::string &type) { return "u." + alias + "::" + type; }

// Row matching for Full identity: every column sent in the old row,
// compared through its text form, so that types without an equality
// operator (json, point) and float4 match too. LIMIT 1: with duplicate rows
// one change touches exactly one of them.
std::string full_identity_match(const TargetTable &t, const std::vector<Change> &run, Statement &st) {
  std::string match;
  for (std::size_t i = 0; i < t.relation.columns.size(); ++i) {
    if (run[0].locator[i].kind == Value::Kind::unchanged_toast) continue;
    std::string alias = st.add_column(run, true, i);
    match += (match.empty() ? "" : " AND ") + std::string("t2.") + t.quoted_columns[i] + "::text IS NOT DISTINCT FROM (" +
             cast(alias, t.column_types[i]) + ")::text";
  }
  return "t.ctid = (SELECT t2.ctid FROM " + t.quoted_name + " AS t2 WHERE " + (match.empty() ? "true" : match) +
         " LIMIT 1)";
}

std::string key_match(const TargetTable &t, const std::vector<Change> &run, Statement &st) {
  std::string match;
  for (std::size_t k : t.key_columns) {
    std::string alias = st.add_column(run, true, k);
    match += (match.empty() ? "" : " AND ") + std::string("t.") + t.quoted_columns[k] + " = " + cast(alias, t.column_types[k]);
  }
  return match;
}

std::string build_sql(const std::vector<Change> &run, Statement &st) {
  const TargetTable &t = *run[0].table;
  switch (run[0].kind) {
    case Change::Kind::insert: {
      std::string columns, values;
      for (std::size_t i = 0; i < t.relation.columns.size(); ++i) {
        std::string alias = st.add_column(run, false, i);
        columns += (i ? ", " : "") + t.quoted_columns[i];
        values += (i ? ", " : "") + cast(alias, t.column_types[i]);
      }
      return "INSERT INTO " + t.quoted_name + " (" + columns + ") SELECT " + values + " FROM " + st.unnest();
    }
    case Change::Kind::update: {
      std::vector<bool> unchanged = unchanged_columns(run[0]);
      std::string set;
      for (std::size_t i = 0; i < t.relation.columns.size(); ++i) {
        if (unchanged[i]) continue;
        std::string alias = st.add_column(run, false, i);
        set += (set.empty() ? "" : ", ") + t.quoted_columns[i] + " = " + cast(alias, t.column_types[i]);
      }
      if (set.empty()) return {};  // every column unchanged: nothing to write
      std::string where = full_identity(t) ? full_identity_match(t, run, st) : key_match(t, run, st);
      return "UPDATE " + t.quoted_name + " AS t SET " + set + " FROM " + st.unnest() + " WHERE " + where +
             " RETURNING u.ord";
    }
    case Change::Kind::delete_: {
      std::string where = full_identity(t) ? full_identity_match(t, run, st) : key_match(t, run, st);
      return "DELETE FROM " + t.quoted_name + " AS t USING " + st.unnest() + " WHERE " + where + " RETURNING u.ord";
    }
  }
  return {};
}

const char *verb(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::insert: return "insert";
    case Change::Kind::update: return "update";
    case Change::Kind::delete_: return "delete";
  }
  return "change";
}

}  // namespace

bool transient(const pqxx::sql_error &e) {
  const std::string state = e.sqlstate();
  for (const char *cls : {"08", "40", "53", "57"})
    if (state.rfind(cls, 0) == 0) return true;
  return false;
}

std::string message_of(const std::exception &e) {
  std::string s = e.what();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

bool Applier::joins_run(const Change &change) const {
  if (run_.empty()) return true;
  const Change &first = run_.front();
  if (first.table != change.table || first.kind != change.kind || run_.size() >= max_rows_) return false;
  if (change.kind == Change::Kind::insert) return true;
  if (full_identity(*change.table)) return false;  // one change per statement (see full_identity_match)
  if (change.kind == Change::Kind::update && unchanged_columns(first) != unchanged_columns(change)) return false;
  return !touches_pending_key(change);
}

// A change touches the key it finds its row by and, for an update, the key
// it writes (a key shift 2->1 must wait for the statement moving 1 away).
bool Applier::touches_pending_key(const Change &change) const {
  if (run_keys_.count(signature(*change.table, change.locator))) return true;
  return change.kind == Change::Kind::update && run_keys_.count(signature(*change.table, change.values));
}

void Applier::remember_keys(const Change &change) {
  if (change.kind == Change::Kind::insert || full_identity(*change.table)) return;
  run_keys_.insert(signature(*change.table, change.locator));
  if (change.kind == Change::Kind::update) run_keys_.insert(signature(*change.table, change.values));
}

void Applier::add(pqxx::transaction_base &tx, Change change) {
  if (!joins_run(change)) apply_run(tx);
  remember_keys(change);
  run_.push_back(std::move(change));
}

void Applier::flush(pqxx::transaction_base &tx) {
  if (!run_.empty()) apply_run(tx);
}

void Applier::discard() {
  run_.clear();
  run_keys_.clear();
}

void Applier::apply_run(pqxx::transaction_base &tx) {
  std::vector<Change> run;
  run.swap(run_);
  run_keys_.clear();
  const TargetTable &t = *run[0].table;
  Statement st(run.size());
  std::string sql = build_sql(run, st);
  pqxx::result result;
  if (!sql.empty()) {
    try {
      result = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(st.params()));
    } catch (const pqxx::sql_error &e) {
      if (transient(e)) throw;
      throw RunRefused(std::string(verb(run[0].kind)) + " refused by the target: " + message_of(e), run.front().offset,
                       run.back().offset, display(t.name));
    }
  }
  switch (run[0].kind) {
    case Change::Kind::insert: counts_.inserted += run.size(); return;
    case Change::Kind::update: counts_.updated += run.size(); break;
    case Change::Kind::delete_: counts_.deleted += run.size(); break;
  }
  if (sql.empty()) return;
  // As PostgreSQL's own apply worker does, a change whose row is missing is
  // logged and skipped.
  std::set<int64_t> found;
  for (const auto &row : result) found.insert(row[0].as<int64_t>());
  for (std::size_t i = 0; i < run.size(); ++i)
    if (!found.count(static_cast<int64_t>(i + 1))) {
      ++counts_.missing;
      host_.warn("offset " + std::to_string(run[i].offset) + ", table " + display(t.name) + ": the " +
                 verb(run[i].kind) + " found no row to change in the target; skipped");
    }
  if (run[0].kind == Change::Kind::update) counts_.updated -= (run.size() - found.size());
  else counts_.deleted -= (run.size() - found.size());
}

}  // namespace pgsink
