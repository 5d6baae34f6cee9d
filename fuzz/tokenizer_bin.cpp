// Fuzz target: a llama2.c tokenizer .bin (Tokenizer::fromLlama2c: max token length, per token a
// score, a length and bytes), then the same encode/decode as tokenizer_json.
#include <cstddef>
#include <cstdint>

#define KVWB_FUZZ_TOKENIZER_HELPER_ONLY
#include "fuzz/tokenizer_json.cpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kvwb;
  const auto path = fuzz::writeInput("tok.bin", data, size);
  fuzz::expectInputErrors([&] { fuzz::exerciseTokenizer(core::Tokenizer::fromLlama2c(path)); });
  return 0;
}
