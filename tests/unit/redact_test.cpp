// Secret values never reach the log.
#include "redactor.hpp"

#include <doctest/doctest.h>

using cn::host::Redactor;

TEST_CASE("every occurrence of a secret is masked") {
  Redactor r;
  r.add("hunter2");
  CHECK(r.redact("password hunter2 and again hunter2.") == "password *** and again ***.");
  CHECK(r.redact("nothing here") == "nothing here");
}

TEST_CASE("a URL secret is masked whole, and its password alone too") {
  Redactor r;
  r.add("postgres://app:Pa55word@db.internal:5432/orders");
  CHECK(r.redact("connecting to postgres://app:Pa55word@db.internal:5432/orders failed") ==
        "connecting to *** failed");
  CHECK(r.redact("host=db.internal password=Pa55word") == "host=db.internal password=***");
}

TEST_CASE("a secret that contains another is masked whole") {
  Redactor r;
  r.add("abc");
  r.add("xxabcxx");
  CHECK(r.redact("[xxabcxx] [abc]") == "[***] [***]");
}

TEST_CASE("tiny values are not treated as secrets") {
  Redactor r;
  r.add("");
  r.add("a");
  CHECK(r.redact("a banana") == "a banana");
}
