#include "closest_name.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace cn::host {

namespace {

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions
// and swaps of neighbours count one each ("on_eror" -> "on_error": 1,
// "tabels" -> "tables": 1).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closest_name(std::string_view word, const std::vector<std::string> &names) {
  const std::string w = lowered(word);
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (const std::string &name : names) {
    std::size_t distance = edit_distance(w, lowered(name));
    std::size_t allowed = std::max<std::size_t>(1, std::min(w.size(), name.size()) / 3);
    if (distance <= allowed && distance < best_distance) best = name, best_distance = distance;
  }
  return best;
}

}  // namespace cn::host
