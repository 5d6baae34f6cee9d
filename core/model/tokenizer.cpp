// BPE encoding with a rank-ordered merge queue (the algorithm of HF tokenizers' BPE model; for
// llama2.c vocabularies the rank is the negated score, which is run.c's greedy merge by score).
#include "core/model/tokenizer.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>

#include "core/base/errors.h"
#include "core/model/unicode_split.h"

namespace kvwb::core {
namespace {

using nlohmann::json;

std::uint64_t pairKey(int left, int right) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) |
         static_cast<std::uint32_t>(right);
}

std::string byteFallbackPiece(unsigned char b) {
  static const char* hex = "0123456789ABCDEF";
  return std::string("<0x") + hex[b >> 4] + hex[b & 15] + ">";
}

std::string replaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, from.size()) == from) {
      out += to;
      i += from.size();
    } else {
      out += text[i++];
    }
  }
  return out;
}

// Applies merges to a symbol sequence, lowest rank first, leftmost first among equal ranks.
template <typename MergeLookup>
void mergeSymbols(std::vector<int>& ids, MergeLookup lookup) {
  const int n = static_cast<int>(ids.size());
  if (n < 2) return;
  std::vector<int> prev(n), next(n);
  for (int i = 0; i < n; ++i) prev[i] = i - 1, next[i] = i + 1 < n ? i + 1 : -1;
  struct Candidate {
    double rank;
    int pos, left, right, merged;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int pos) {
    if (pos < 0 || next[pos] < 0) return;
    if (const auto* m = lookup(ids[pos], ids[next[pos]]))
      queue.push({m->rank, pos, ids[pos], ids[next[pos]], m->merged});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    if (ids[c.pos] != c.left || next[c.pos] < 0 || ids[next[c.pos]] != c.right) continue;
    const int r = next[c.pos];
    ids[c.pos] = c.merged;
    ids[r] = -1;
    next[c.pos] = next[r];
    if (next[r] >= 0) prev[next[r]] = c.pos;
    consider(prev[c.pos]);
    consider(c.pos);
  }
  std::erase(ids, -1);
}

json readJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path, "cannot open");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {
    throw InputError(path, std::string("not valid JSON: ") + e.what());
  }
}

// True when `node` or one of its Sequence members has type `type`; returns that member.
const json* findStep(const json& node, const std::string& type) {
  if (!node.is_object()) return nullptr;
  if (node.value("type", "") == type) return &node;
  for (const char* list : {"normalizers", "pretokenizers", "decoders"})
    if (node.contains(list))
      for (const auto& step : node[list])
        if (const json* found = findStep(step, type)) return found;
  return nullptr;
}

}  // namespace

std::filesystem::path Tokenizer::findFor(const std::filesystem::path& model) {
  if (!std::filesystem::exists(model)) throw InputError(model, "no such file or folder");
  if (std::filesystem::is_directory(model)) return model / "tokenizer.json";
  const auto dir = model.parent_path().empty() ? std::filesystem::path(".") : model.parent_path();
  std::vector<std::filesystem::path> candidates;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".bin" && entry.path().filename().string().starts_with("tok") &&
        !std::filesystem::equivalent(entry.path(), model))
      candidates.push_back(entry.path());
  if (candidates.empty())
    throw InputError(model, "no tokenizer (tok*.bin) beside the checkpoint; give --tokenizer");
  return *std::min_element(candidates.begin(), candidates.end());
}

Tokenizer Tokenizer::load(const std::filesystem::path& path) {
  if (std::filesystem::is_directory(path)) return fromHfJson(path / "tokenizer.json");
  if (path.extension() == ".json") return fromHfJson(path);
  return fromLlama2c(path);
}

Tokenizer Tokenizer::fromHfJson(const std::filesystem::path& path) {
  const json j = readJson(path);
  Tokenizer t;
  try {
    const json& model = j.at("model");
    if (model.value("type", "BPE") != "BPE")
      throw InputError(
          path, "only BPE tokenizers are supported, not " + model.value("type", std::string("?")));
    const json& vocab = model.at("vocab");
    const json addedTokens = j.value("added_tokens", json::array());
    // Ids index the piece table. Holes are refused (buildPieceIndex), so every id lies below the
    // number of entries; checking that before indexing keeps a hostile id from writing outside
    // the table or from making it huge.
    const auto entries = static_cast<std::int64_t>(vocab.size() + addedTokens.size());
    auto checkedId = [&](const json& id, const std::string& piece) {
      if (!id.is_number_integer())  // a float id (1e20 too) converts to no integer safely
        throw InputError(path, "token '" + piece + "' has id " + id.dump() + " (ids are integers)");
      const auto v = id.is_number_unsigned() ? static_cast<std::int64_t>(std::min<std::uint64_t>(
                                                   id.get<std::uint64_t>(), static_cast<std::uint64_t>(entries)))
                                             : id.get<std::int64_t>();
      if (v < 0 || v >= entries)
        throw InputError(path, "token '" + piece + "' has id " + id.dump() +
                                   " (ids must be 0 to " + std::to_string(entries - 1) + ")");
      return static_cast<int>(v);
    };
    int maxId = -1;
    for (const auto& [piece, id] : vocab.items()) maxId = std::max(maxId, checkedId(id, piece));
    for (const auto& added : addedTokens) {
      const auto content = added.at("content").get<std::string>();
      maxId = std::max(maxId, checkedId(added.at("id"), content));
    }
    t.m_pieces.assign(maxId + 1, "");
    t.m_specialMask.assign(maxId + 1, false);
    for (const auto& [piece, id] : vocab.items()) t.m_pieces[id.get<int>()] = piece;
    for (const auto& added : addedTokens) {
      const int id = added.at("id").get<int>();
      t.m_pieces[id] = added.at("content").get<std::string>();
      t.m_specials.push_back(t.m_pieces[id]);
      t.m_specialMask[id] = added.value("special", true);
    }
    std::sort(t.m_specials.begin(), t.m_specials.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    t.buildPieceIndex(path);

    const json& preTok = j.contains("pre_tokenizer") ? j["pre_tokenizer"] : json();
    const json& decoder = j.contains("decoder") ? j["decoder"] : json();
    const json& normalizer = j.contains("normalizer") ? j["normalizer"] : json();
    if (findStep(preTok, "ByteLevel") || findStep(decoder, "ByteLevel")) {
      t.m_style = Style::ByteLevel;
      t.m_prependSpace = false;
      t.m_ignoreMerges = model.value("ignore_merges", false);
      if (const json* split = findStep(preTok, "Split")) {
        const std::string regex = split->at("pattern").value("Regex", "");
        t.m_split = Split::Llama3;
        t.m_maxDigits = regex.find("\\p{N}{1,3}") != std::string::npos ? 3 : 1;  // Qwen2: 1
      } else if (const json* byteLevel = findStep(preTok, "ByteLevel")) {
        t.m_split = byteLevel->value("use_regex", true) ? Split::Gpt2 : Split::None;
      }
    } else {
      t.m_style = Style::SentencePiece;
      const json* metaspace = findStep(preTok, "Metaspace");
      t.m_prependSpace = findStep(normalizer, "Prepend") != nullptr ||
                         (metaspace && metaspace->value("prepend_scheme", "always") != "never");
      if (model.value("byte_fallback", false)) {
        t.m_byteIds.resize(256);
        for (int b = 0; b < 256; ++b) {
          const auto it = t.m_ids.find(byteFallbackPiece(static_cast<unsigned char>(b)));
          if (it == t.m_ids.end())
            throw InputError(path, "byte_fallback is set but " +
                                       byteFallbackPiece(static_cast<unsigned char>(b)) +
                                       " is not in the vocabulary");
          t.m_byteIds[b] = it->second;
        }
      }
    }
    double rank = 0;
    for (const auto& m : model.at("merges")) {
      std::string left, right;
      if (m.is_array()) {
        left = m.at(0).get<std::string>(), right = m.at(1).get<std::string>();
      } else {
        const std::string s = m.get<std::string>();
        const auto space = s.find(' ', 1);
        if (space == std::string::npos) throw InputError(path, "merge without a space: " + s);
        left = s.substr(0, space), right = s.substr(space + 1);
      }
      const auto l = t.m_ids.find(left), r = t.m_ids.find(right), c = t.m_ids.find(left + right);
      if (l == t.m_ids.end() || r == t.m_ids.end() || c == t.m_ids.end())
        throw InputError(path, "merge \"" + left + " " + right + "\" names unknown tokens");
      t.m_merges.emplace(pairKey(l->second, r->second), Merge{rank++, c->second});
    }
    const std::string unk = model.contains("unk_token") && model["unk_token"].is_string()
                                ? model["unk_token"].get<std::string>()
                                : "";
    t.m_unkId = t.m_ids.count(unk) ? t.m_ids.at(unk) : -1;
  } catch (const json::exception& e) {
    throw InputError(path, std::string("unexpected tokenizer.json layout: ") + e.what());
  }
  const auto config = path.parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config)) {
    const json c = readJson(config);
    auto tokenOf = [&](const char* key, int fallback) {
      if (!c.contains(key)) return fallback;
      const json& v = c[key];
      const std::string s = v.is_string()   ? v.get<std::string>()
                            : v.is_object() ? v.value("content", "")
                                            : "";
      return t.m_ids.count(s) ? t.m_ids.at(s) : fallback;
    };
    t.m_bosId = tokenOf("bos_token", t.m_bosId);
    t.m_eosId = tokenOf("eos_token", t.m_eosId);
  }
  return t;
}

Tokenizer Tokenizer::fromLlama2c(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open tokenizer file");
  in.seekg(0, std::ios::end);
  const auto fileSize = static_cast<std::int64_t>(in.tellg());
  in.seekg(0);
  std::int32_t maxLen = 0;
  if (!in.read(reinterpret_cast<char*>(&maxLen), 4) || maxLen <= 0 || maxLen > 1024)
    throw InputError(path, "not a llama2.c tokenizer: bad max_token_length");
  Tokenizer t;
  std::vector<float> scores;
  while (in.tellg() < fileSize) {
    float score = 0;
    std::int32_t len = 0;
    if (!in.read(reinterpret_cast<char*>(&score), 4) ||
        !in.read(reinterpret_cast<char*>(&len), 4) || len < 0 || len > maxLen)
      throw InputError(path,
                       "truncated or corrupt entry for token " + std::to_string(t.m_pieces.size()));
    std::string piece(static_cast<std::size_t>(len), '\0');
    if (!in.read(piece.data(), len))
      throw InputError(path, "truncated piece of token " + std::to_string(t.m_pieces.size()));
    t.m_pieces.push_back(std::move(piece));
    scores.push_back(score);
  }
  if (t.m_pieces.size() < 259) throw InputError(path, "fewer than 259 tokens (3 + 256 bytes)");
  t.m_style = Style::SentencePiece;
  t.m_spaceMarker = " ";
  t.m_specialMask.assign(t.m_pieces.size(), false);
  t.m_specialMask[0] = t.m_specialMask[1] = t.m_specialMask[2] = true;  // <unk>, <s>, </s>
  t.buildPieceIndex(path);
  t.m_byteIds.resize(256);
  for (int b = 0; b < 256; ++b) t.m_byteIds[b] = b + 3;  // run.c: byte fallback = byte + 3
  // Every split of a multi-byte piece into two vocabulary pieces is a merge ranked by -score.
  for (int id = 259; id < static_cast<int>(t.m_pieces.size()); ++id) {
    const std::string& p = t.m_pieces[id];
    for (std::size_t k = 1; k < p.size(); ++k) {
      const auto l = t.m_ids.find(p.substr(0, k)), r = t.m_ids.find(p.substr(k));
      if (l != t.m_ids.end() && r != t.m_ids.end() && l->second >= 3 && r->second >= 3)
        t.m_merges.emplace(pairKey(l->second, r->second), Merge{-scores[id], id});
    }
  }
  return t;
}

void Tokenizer::buildPieceIndex(const std::filesystem::path& source) {
  m_ids.clear();
  for (int id = 0; id < static_cast<int>(m_pieces.size()); ++id) {
    if (m_pieces[id].empty() && id > 0)
      throw InputError(source, "token id " + std::to_string(id) + " has no piece");
    m_ids.emplace(m_pieces[id], id);  // first id wins for duplicate pieces
  }
}

bool Tokenizer::isSpecial(int id) const {
  return id >= 0 && id < static_cast<int>(m_specialMask.size()) && m_specialMask[id];
}

const std::string& Tokenizer::piece(int id) const { return m_pieces.at(id); }

std::vector<int> Tokenizer::encode(std::string_view text, bool addBos) const {
  std::vector<int> out;
  if (addBos) out.push_back(m_bosId);
  // Added tokens written verbatim in the text (e.g. "<|begin_of_text|>") are matched first.
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto special = std::find_if(m_specials.begin(), m_specials.end(), [&](const auto& s) {
      return !s.empty() && text.compare(i, s.size(), s) == 0;
    });
    if (special == m_specials.end()) {
      ++i;
      continue;
    }
    if (i > start) encodeSegment(text.substr(start, i - start), out);
    out.push_back(m_ids.at(*special));
    i += special->size();
    start = i;
  }
  if (start < text.size()) encodeSegment(text.substr(start), out);
  return out;
}

void Tokenizer::encodeSegment(std::string_view text, std::vector<int>& out) const {
  if (m_style == Style::SentencePiece) {
    std::string normalized = m_prependSpace ? m_spaceMarker : std::string();
    normalized += m_spaceMarker == " " ? std::string(text) : replaceAll(text, " ", m_spaceMarker);
    encodeWord(normalized, out);
    return;
  }
  if (m_split == Split::None) {
    encodeWord(bytesToUnicode(text), out);
    return;
  }
  const auto pattern = m_split == Split::Gpt2 ? PreTokenPattern::Gpt2 : PreTokenPattern::Llama3;
  for (const auto word : splitPreTokens(text, pattern, m_maxDigits))
    encodeWord(bytesToUnicode(word), out);
}

void Tokenizer::encodeWord(std::string_view word, std::vector<int>& out) const {
  if (m_ignoreMerges) {
    if (const auto it = m_ids.find(std::string(word)); it != m_ids.end()) {
      out.push_back(it->second);
      return;
    }
  }
  std::vector<int> ids;
  for (std::size_t i = 0; i < word.size();) {
    const auto n =
        std::min<std::size_t>(utf8Length(static_cast<unsigned char>(word[i])), word.size() - i);
    const auto it = m_ids.find(std::string(word.substr(i, n)));
    if (it != m_ids.end()) {
      ids.push_back(it->second);
    } else if (!m_byteIds.empty()) {
      for (std::size_t k = 0; k < n; ++k)
        ids.push_back(m_byteIds[static_cast<unsigned char>(word[i + k])]);
    } else if (m_unkId >= 0) {
      ids.push_back(m_unkId);
    }
    i += n;
  }
  mergeSymbols(ids, [this](int l, int r) -> const Merge* {
    const auto it = m_merges.find(pairKey(l, r));
    return it == m_merges.end() ? nullptr : &it->second;
  });
  out.insert(out.end(), ids.begin(), ids.end());
}

namespace {

// The byte a byte-fallback piece "<0xHH>" stands for; nullopt for any other piece.
std::optional<unsigned char> fallbackByte(const std::string& piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || piece[5] != '>') return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(piece.data() + 3, piece.data() + 5, value, 16);
  if (error != std::errc() || end != piece.data() + 5) return std::nullopt;
  return static_cast<unsigned char>(value);
}

}  // namespace

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string joined;
  for (const int id : ids) {
    if (id < 0 || id >= vocabSize() || isSpecial(id)) continue;
    const std::string& p = m_pieces[id];
    const auto byte = m_style == Style::SentencePiece && !m_byteIds.empty() ? fallbackByte(p) : std::nullopt;
    if (byte)
      joined += static_cast<char>(*byte);
    else
      joined += p;  // also a piece that only looks like "<0x..>"
  }
  if (m_style == Style::ByteLevel) return unicodeToBytes(joined);
  std::string text = m_spaceMarker == " " ? joined : replaceAll(joined, m_spaceMarker, " ");
  if (m_prependSpace && text.starts_with(' ')) text.erase(0, 1);
  return text;
}

}  // namespace kvwb::core
