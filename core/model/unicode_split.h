// UTF-8 helpers and the pre-tokenizer splits of byte-level BPE tokenizers (GPT-2 and Llama-3
// regexes), hand-written because std::regex has no \p{L}/\p{N}. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kvwb::core {

// Length in bytes of the UTF-8 sequence starting with byte `lead` (1 for invalid lead bytes).
int utf8Length(unsigned char lead);

// Approximate Unicode categories from a small table: ASCII exactly; Latin, Greek, Cyrillic,
// CJK and other scripts count as letters; the punctuation, symbol and emoji blocks do not.
bool isLetter(char32_t cp);
bool isNumber(char32_t cp);
bool isWhitespace(char32_t cp);

enum class PreTokenPattern {
  Gpt2,    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  Llama3,  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
           //  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+   (Qwen2: maxDigits = 1)
};
std::vector<std::string_view> splitPreTokens(std::string_view text, PreTokenPattern pattern,
                                             int maxDigits);

// GPT-2's reversible map of the 256 byte values to printable code points, as UTF-8.
std::string bytesToUnicode(std::string_view bytes);
// Inverse of bytesToUnicode; characters outside the map are copied unchanged.
std::string unicodeToBytes(std::string_view text);

}  // namespace kvwb::core
