// append_event(): writing back a message as parse_event() read it.
#include "change_events.hpp"

namespace cn::events {

namespace {

TupleView view_of(const Tuple &tuple) {
  TupleView view;
  view.reserve(tuple.size());
  for (const Value &v : tuple) view.push_back(ValueView{v.kind, v.text});
  return view;
}

// A message read back, written again: one overload per message type.
class MessageRewriter {
 public:
  MessageRewriter(std::string &out, const Envelope &e, const RelationLookup &relation_of)
      : out_(out), e_(e), relation_of_(relation_of) {}

  void operator()(const Begin &m) { append_begin(out_, e_, m); }
  void operator()(const Commit &m) { append_commit(out_, e_, m); }
  void operator()(const Origin &m) { append_origin(out_, e_, m); }
  void operator()(const Relation &m) { append_relation(out_, e_, m); }
  void operator()(const Type &m) { append_type(out_, e_, m); }
  void operator()(const Truncate &m) { append_truncate(out_, e_, m); }
  void operator()(const Insert &m) { append_insert(out_, e_, relation(m.rel_id), view_of(m.tuple)); }
  void operator()(const Update &m) {
    const OptionalView old_view(m.old_tuple), key_view(m.key_tuple);
    append_update(out_, e_, relation(m.rel_id), old_view.get(), key_view.get(), view_of(m.new_tuple));
  }
  void operator()(const Delete &m) {
    const OptionalView old_view(m.old_tuple), key_view(m.key_tuple);
    append_delete(out_, e_, relation(m.rel_id), old_view.get(), key_view.get());
  }

 private:
  struct OptionalView {
    explicit OptionalView(const std::optional<Tuple> &tuple) : present(tuple.has_value()) {
      if (tuple) view = view_of(*tuple);
    }
    const TupleView *get() const { return present ? &view : nullptr; }
    bool present;
    TupleView view;
  };

  const Relation &relation(uint32_t rel_id) const {
    const Relation *r = relation_of_(rel_id);
    if (!r) throw EventError("relation " + std::to_string(rel_id) + " is unknown: no relation event came before");
    return *r;
  }

  std::string &out_;
  const Envelope &e_;
  const RelationLookup &relation_of_;
};

}  // namespace

void append_event(std::string &out, const Envelope &envelope, const Message &message,
                  const RelationLookup &relation_of) {
  std::visit(MessageRewriter(out, envelope, relation_of), message);
}

}  // namespace cn::events
