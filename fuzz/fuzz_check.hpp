// What the fuzz targets share: a check that stays on in release builds
// (assert() is compiled out by NDEBUG) and turns a broken property into a
// crash libFuzzer saves, with the reason printed first.
#ifndef CN_FUZZ_CHECK_HPP
#define CN_FUZZ_CHECK_HPP

#include <cstdio>
#include <cstdlib>
#include <string>

namespace cn::fuzz {

[[noreturn]] inline void broken(const char *file, int line, const char *what, const std::string &detail) {
  std::fprintf(stderr, "%s:%d: property broken: %s\n%s\n", file, line, what, detail.c_str());
  std::abort();
}

}  // namespace cn::fuzz

// FUZZ_CHECK(condition, detail): detail (a std::string) is built only on failure.
#define FUZZ_CHECK(condition, detail) \
  do {                                \
    if (!(condition)) ::cn::fuzz::broken(__FILE__, __LINE__, #condition, (detail)); \
  } while (0)

#endif
