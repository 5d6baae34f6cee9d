// Text <-> token ids for Llama-family checkpoints: Hugging Face tokenizer.json (BPE, SentencePiece
// style with ▁ and byte fallback, or GPT-2/Llama-3 byte-level) and llama2.c tokenizer .bin files.
// Immutable after loading; const methods are safe from any thread.
//
//   auto tok = kvwb::core::Tokenizer::load("stories260K-hf");   // folder, tokenizer.json or .bin
//   auto bin = kvwb::core::Tokenizer::findFor("stories260K/stories260K.bin");  // .../tok512.bin
//   std::vector<int> ids = tok.encode("Once upon a time", /*addBos=*/true);
//   std::string text = tok.decode(ids);                         // special tokens are skipped
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kvwb::core {

class Tokenizer {
 public:
  enum class Style { SentencePiece, ByteLevel };

  // The tokenizer that belongs to checkpoint `model` (the one rule of the CLI and the GUI): a
  // Hugging Face folder's tokenizer.json; beside a llama2.c .bin, the first tok*.bin by name
  // (tokenizer.bin, tok512.bin) other than the checkpoint itself. Throws InputError naming the
  // model when it does not exist or no tokenizer .bin lies beside it.
  static std::filesystem::path findFor(const std::filesystem::path& model);
  // A folder (its tokenizer.json), a tokenizer.json, or a llama2.c tokenizer .bin.
  // Throws InputError naming the file when it is missing or malformed.
  static Tokenizer load(const std::filesystem::path& path);
  static Tokenizer fromHfJson(const std::filesystem::path& tokenizerJson);
  // llama2.c format: int32 max_token_length, then per token: float32 score, int32 length, bytes.
  static Tokenizer fromLlama2c(const std::filesystem::path& tokenizerBin);

  std::vector<int> encode(std::string_view text, bool addBos) const;
  // Joins the pieces of `ids` (byte-fallback and byte-level pieces become raw bytes), drops
  // special tokens and the one space that encoding prepends.
  std::string decode(const std::vector<int>& ids) const;
  const std::string& piece(int id) const;  // raw vocabulary entry, e.g. "▁the" or "<0x0A>"

  Style style() const { return m_style; }
  int vocabSize() const { return static_cast<int>(m_pieces.size()); }
  int bosId() const { return m_bosId; }
  int eosId() const { return m_eosId; }

 private:
  struct Merge {
    double rank;  // lower merges first
    int merged;
  };
  enum class Split { None, Gpt2, Llama3 };

  void buildPieceIndex(const std::filesystem::path& source);
  void encodeSegment(std::string_view text, std::vector<int>& out) const;
  void encodeWord(std::string_view symbolsUtf8, std::vector<int>& out) const;
  bool isSpecial(int id) const;

  Style m_style = Style::SentencePiece;
  std::vector<std::string> m_pieces;
  std::unordered_map<std::string, int> m_ids;
  std::unordered_map<std::uint64_t, Merge> m_merges;  // (left id << 32 | right id) -> merge
  std::vector<int> m_byteIds;  // SentencePiece byte fallback ids (<0x00>..<0xFF>), or empty
  std::vector<std::string> m_specials;  // added tokens matched verbatim in the text, longest first
  std::vector<bool> m_specialMask;
  std::string m_spaceMarker = "\xE2\x96\x81";  // "▁"; llama2.c vocabularies use " "
  bool m_prependSpace = true;
  bool m_ignoreMerges = false;  // byte-level: a whole pre-token found in the vocabulary wins
  Split m_split = Split::None;
  int m_maxDigits = 3;  // Llama-3 split: digits per pre-token
  int m_unkId = 0;
  int m_bosId = 1;
  int m_eosId = 2;
};

}  // namespace kvwb::core
