// Tokens as they read in a text (see token_text.h).
#include "core/model/token_text.h"

#include <algorithm>

namespace kvwb::core {

std::string tokenText(const Tokenizer& tokenizer, std::vector<int> ids) {
  const int last = ids.back();
  const std::string with = tokenizer.decode(ids);
  ids.pop_back();
  const std::string without = tokenizer.decode(ids);
  if (with.compare(0, without.size(), without) == 0) return with.substr(without.size());
  return tokenizer.decode({last});
}

std::vector<std::string> tokenTexts(const Tokenizer& tokenizer, const std::vector<int>& ids,
                                    std::size_t join) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto from = ids.begin() + static_cast<std::ptrdiff_t>(i - std::min(i, join));
    std::string text = tokenText(tokenizer, {from, ids.begin() + static_cast<std::ptrdiff_t>(i + 1)});
    const int id = ids[i];
    if (text.empty() && id >= 0 && id < tokenizer.vocabSize()) text = tokenizer.piece(id);
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace kvwb::core
