// A savepoint in the target transaction: a step that can be undone alone
// (a relation's DDL, reading a table, one change in careful replay, the
// part of a source transaction written before its commit arrives).
//
//   Savepoint sp(tx, "cn_relation");   // SAVEPOINT cn_relation
//   ... sp.release();                  // keep the step
//   ... sp.rollback();                 // undo it; the transaction goes on
//
// The caller ends it with release() or rollback(), and uses it only while
// nothing else (the background writer) uses the transaction. Left without
// either, it only forgets: that happens when an exception leaves the step or
// the target transaction is given up, and then the transaction goes with
// it. So the destructor sends nothing: SQL sent while unwinding from a
// broken connection would throw again, out of a destructor.
#ifndef CN_PGSINK_SAVEPOINT_HPP
#define CN_PGSINK_SAVEPOINT_HPP

#include <pqxx/transaction_base>

#include <string>

namespace cn::pgsink {

class Savepoint {
 public:
  // name: an SQL identifier, used as it is (not quoted).
  Savepoint(pqxx::transaction_base &tx, const char *name) : tx_(tx), name_(name) {
    tx_.exec(std::string("SAVEPOINT ") + name_);
  }
  Savepoint(const Savepoint &) = delete;
  Savepoint &operator=(const Savepoint &) = delete;

  void release() { tx_.exec(std::string("RELEASE SAVEPOINT ") + name_); }
  void rollback() { tx_.exec(std::string("ROLLBACK TO SAVEPOINT ") + name_); }

 private:
  pqxx::transaction_base &tx_;
  const char *name_;
};

}  // namespace cn::pgsink

#endif
