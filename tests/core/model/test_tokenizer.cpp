// Tokenizer tests: round trips on the real texts, tokenizer.json vs llama2.c tok512.bin, the
// byte-level (Llama-3 style) path on a small hand-made tokenizer.json, and the pre-token splitter.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "core/base/errors.h"
#include "core/model/tokenizer.h"
#include "core/model/unicode_split.h"
#include "test_util.h"

namespace kvwb::core {
namespace {

std::vector<std::string> textNames() {
  return {"tinystories.txt", "fiction.txt", "code.txt", "conversation.txt", "technical.txt"};
}

TEST(Tokenizer, HfJsonRoundTripsRealTexts) {
  const auto tok = Tokenizer::load(test::modelDir("stories260K-hf"));
  EXPECT_EQ(tok.style(), Tokenizer::Style::SentencePiece);
  EXPECT_EQ(tok.vocabSize(), 512);
  for (const auto& name : textNames()) {
    const std::string text = test::readFile(test::textFile(name));
    const auto ids = tok.encode(text, true);
    ASSERT_EQ(ids.front(), 1);
    EXPECT_LT(ids.size(), text.size()) << name;
    EXPECT_EQ(tok.decode(ids), text) << name;
  }
}

TEST(Tokenizer, KnownPieces) {
  const auto tok = Tokenizer::load(test::modelDir("stories260K-hf"));
  const auto ids = tok.encode("Once upon a time", false);
  std::string joined;
  for (const int id : ids) joined += tok.piece(id) + "|";
  EXPECT_EQ(tok.decode(ids), "Once upon a time");
  EXPECT_EQ(tok.piece(ids.front()).rfind("\xE2\x96\x81", 0), 0u) << joined;  // starts with ▁
  EXPECT_EQ(tok.encode("\n", false).back(), 3 + '\n') << "newline via byte fallback <0x0A>";
}

TEST(Tokenizer, Llama2cBinAgreesWithTokenizerJson) {
  const auto hf = Tokenizer::load(test::modelDir("stories260K-hf") / "tokenizer.json");
  const auto bin = Tokenizer::load(test::modelDir("stories260K") / "tok512.bin");
  EXPECT_EQ(bin.vocabSize(), 512);
  for (const auto& name : textNames()) {
    const std::string text = test::readFile(test::textFile(name));
    const auto a = hf.encode(text, true), b = bin.encode(text, true);
    EXPECT_EQ(a, b) << name;
    EXPECT_EQ(bin.decode(b), text) << name;
  }
}

TEST(Tokenizer, MalformedFilesThrowInputError) {
  test::TempDir dir;
  test::writeFile(dir / "tok.bin", std::string("\x07\x00\x00\x00\x00\x00", 6));
  EXPECT_THROW(Tokenizer::load(dir / "tok.bin"), InputError);
  test::writeFile(dir / "tokenizer.json", "{\"model\": {\"type\": \"Unigram\"}}");
  EXPECT_THROW(Tokenizer::load(dir.path()), InputError);
  EXPECT_THROW(Tokenizer::load(dir / "missing.json"), InputError);
}

// Issue 14: id -1 wrote before the piece table (SIGSEGV), a negative added token aborted, and
// -1,000,000 loaded; each is refused naming the file, the token and the id.
TEST(Tokenizer, OutOfRangeIdsAreRefused) {
  test::TempDir dir;
  auto errorOf = [&](const nlohmann::json& vocab, const nlohmann::json& added) {
    const nlohmann::json j = {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", {}}}},
                              {"added_tokens", added}};
    test::writeFile(dir / "tokenizer.json", j.dump());
    try {
      Tokenizer::load(dir / "tokenizer.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const auto none = nlohmann::json::array();
  const std::string file = (dir / "tokenizer.json").string() + ": ";
  EXPECT_EQ(errorOf({{"a", 0}, {"b", -1}}, none),
            file + "token 'b' has id -1 (ids must be 0 to 1)");
  EXPECT_EQ(errorOf({{"a", 0}, {"b", -1000000}}, none),
            file + "token 'b' has id -1000000 (ids must be 0 to 1)");
  EXPECT_EQ(errorOf({{"a", 0}, {"b", 1}}, {{{"id", -1}, {"content", "<s>"}}}),
            file + "token '<s>' has id -1 (ids must be 0 to 2)");
  EXPECT_EQ(errorOf({{"a", 0}, {"b", 1000000000}}, none),
            file + "token 'b' has id 1000000000 (ids must be 0 to 1)");
  EXPECT_EQ(errorOf({{"a", 0}, {"b", 1}}, {{{"id", 1}, {"content", "b"}}}), "");
  // Fuzz find (fuzz/crashes/tokenizer_json/crash-675ac92f…): an id beyond every integer type
  // parses as a float, whose conversion to an integer was undefined.
  EXPECT_EQ(errorOf({{"a", 0}, {"b", 44444444455555555555.0}}, none),
            file + "token 'b' has id 4.4444444455555555e+19 (ids are integers)");
  EXPECT_EQ(errorOf({{"a", 0}, {"b", 18446744073709551615u}}, none),
            file + "token 'b' has id 18446744073709551615 (ids must be 0 to 1)");
}

TEST(Tokenizer, FindForIsTheOneLookup) {
  EXPECT_EQ(Tokenizer::findFor(test::modelDir("stories260K-hf")),
            test::modelDir("stories260K-hf") / "tokenizer.json");
  EXPECT_EQ(Tokenizer::findFor(test::modelDir("stories260K") / "stories260K.bin"),
            test::modelDir("stories260K") / "tok512.bin");
  test::TempDir dir;
  test::writeFile(dir / "tok_model.bin", "checkpoint");  // a checkpoint named tok*: not itself
  EXPECT_THROW(Tokenizer::findFor(dir / "tok_model.bin"), InputError);
  test::writeFile(dir / "tokenizer.bin", "vocabulary");
  test::writeFile(dir / "tok512.bin", "vocabulary");
  EXPECT_EQ(Tokenizer::findFor(dir / "tok_model.bin"), dir / "tok512.bin");  // the first by name
  EXPECT_THROW(Tokenizer::findFor(dir / "missing.bin"), InputError);
}

TEST(UnicodeSplit, Llama3Pattern) {
  const auto pieces = splitPreTokens("Hello world's 12345 !!\n\n  x", PreTokenPattern::Llama3, 3);
  const std::vector<std::string_view> expected = {"Hello", " world",  "'s", " ", "123",
                                                  "45",    " !!\n\n", " ",  " x"};
  EXPECT_EQ(pieces, expected);
  const auto qwen = splitPreTokens("x 2024", PreTokenPattern::Llama3, 1);
  EXPECT_EQ(qwen, (std::vector<std::string_view>{"x", " ", "2", "0", "2", "4"}));
}

TEST(UnicodeSplit, Gpt2Pattern) {
  const auto pieces = splitPreTokens("I'm  fine, 42x\n", PreTokenPattern::Gpt2, 0);
  const std::vector<std::string_view> expected = {"I", "'m", " ", " fine", ",", " 42", "x", "\n"};
  EXPECT_EQ(pieces, expected);
}

TEST(UnicodeSplit, ByteMapRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  EXPECT_EQ(unicodeToBytes(bytesToUnicode(all)), all);
  EXPECT_EQ(bytesToUnicode(" "), "\xC4\xA0");  // Ġ
}

// A Llama-3 style tokenizer.json: 256 byte symbols, three merges, one special token.
TEST(Tokenizer, ByteLevelLlama3Style) {
  test::TempDir dir;
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[bytesToUnicode(std::string(1, static_cast<char>(b)))] = b;
  vocab["\xC4\xA0t"] = 256;
  vocab["he"] = 257;
  vocab["\xC4\xA0the"] = 258;
  const nlohmann::json j = {
      {"added_tokens", {{{"id", 259}, {"content", "<|begin_of_text|>"}, {"special", true}}}},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"},
           {"pattern",
            {{"Regex", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"}}}},
          {{"type", "ByteLevel"}, {"use_regex", false}}}}}},
      {"decoder", {{"type", "ByteLevel"}}},
      {"model",
       {{"type", "BPE"},
        {"vocab", vocab},
        {"merges", {"\xC4\xA0 t", "h e", "\xC4\xA0t he"}},
        {"ignore_merges", true}}}};
  test::writeFile(dir / "tokenizer.json", j.dump());
  test::writeFile(dir / "tokenizer_config.json", R"({"bos_token": "<|begin_of_text|>"})");
  const auto tok = Tokenizer::load(dir.path());
  EXPECT_EQ(tok.style(), Tokenizer::Style::ByteLevel);
  EXPECT_EQ(tok.bosId(), 259);
  EXPECT_EQ(tok.encode(" the", false), std::vector<int>{258});
  EXPECT_EQ(tok.encode("<|begin_of_text|>he", false), (std::vector<int>{259, 257}));
  const std::string text =
      "Gr\xC3\xBC\xC3\x9F"
      "e, \xE4\xB8\x96\xE7\x95\x8C! the 123456\n\n  x";
  const auto ids = tok.encode(text, true);
  EXPECT_EQ(ids.front(), 259);
  EXPECT_EQ(tok.decode(ids), text);
}

}  // namespace
}  // namespace kvwb::core

// Fuzz finds (fuzz/corpus/tokenizer_*/regress-*): a piece shaped like a byte fallback but not
// hex, "<0xZZ>", decodes as the text it is instead of throwing from std::stoi.
TEST(Tokenizer, PiecesThatOnlyLookLikeByteFallbacksDecodeAsText) {
  const auto corpus = kvwb::test::sourceDir() / "fuzz/corpus";
  for (const auto& file : {corpus / "tokenizer_json/regress-stoi-byte-fallback.json",
                           corpus / "tokenizer_bin/regress-stoi-byte-fallback.bin"}) {
    std::optional<kvwb::core::Tokenizer> tok;
    try {
      tok = file.extension() == ".json" ? kvwb::core::Tokenizer::fromHfJson(file) : kvwb::core::Tokenizer::fromLlama2c(file);
    } catch (const kvwb::core::InputError&) {
      continue;  // refused whole: as good
    }
    std::vector<int> all(static_cast<std::size_t>(tok->vocabSize()));
    for (int i = 0; i < tok->vocabSize(); ++i) all[static_cast<std::size_t>(i)] = i;
    EXPECT_NO_THROW(tok->decode(all)) << file;
  }
}
