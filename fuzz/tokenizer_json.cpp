// Fuzz target: a Hugging Face tokenizer.json (Tokenizer::fromHfJson: vocabulary and added-token
// ids, merges, pre-tokenizer/decoder/normalizer steps), then encode and decode of a fixed text
// with specials, digits, bytes and non-ASCII, and a decode of every id.
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "core/model/tokenizer.h"
#include "fuzz/fuzz_common.h"

namespace kvwb::fuzz {
// Shared with tokenizer_bin.cpp (each target includes it once).
inline void exerciseTokenizer(const kvwb::core::Tokenizer& tok) {
  static constexpr const char* kText =
      "Once upon a time, 12345 caf\xC3\xA9 \xE2\x96\x81 <s>Lily</s> \t\n\xF0\x9F\x98\x80 \xFF\xFE!";
  for (const bool bos : {false, true}) {
    const auto ids = tok.encode(kText, bos);
    for (const int id : ids)
      if (id < 0 || id >= tok.vocabSize()) broken("encode produced id " + std::to_string(id));
    (void)tok.decode(ids);
  }
  std::vector<int> all(static_cast<std::size_t>(std::min(tok.vocabSize(), 4096)));
  std::iota(all.begin(), all.end(), 0);
  (void)tok.decode(all);
  for (const int id : all) (void)tok.piece(id);
}
}  // namespace kvwb::fuzz

#ifndef KVWB_FUZZ_TOKENIZER_HELPER_ONLY
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("tokenizer.json", data, size);
  fuzz::expectInputErrors([&] { fuzz::exerciseTokenizer(core::Tokenizer::fromHfJson(path)); });
  return 0;
}
#endif
