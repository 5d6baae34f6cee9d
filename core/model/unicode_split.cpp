// Hand-written equivalents of the GPT-2 / Llama-3 pre-tokenizer regexes over code points.
#include "core/model/unicode_split.h"

#include <array>

namespace kvwb::core {
namespace {

struct CodePoints {
  std::vector<char32_t> cps;
  std::vector<std::size_t> offsets;  // byte offset of each code point, plus the total length
};

CodePoints decodeUtf8(std::string_view s) {
  CodePoints r;
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    int n = utf8Length(lead);
    if (i + n > s.size()) n = 1;
    char32_t cp = n == 1 ? lead : lead & (0x7F >> n);
    for (int k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    r.cps.push_back(cp);
    r.offsets.push_back(i);
    i += n;
  }
  r.offsets.push_back(s.size());
  return r;
}

void appendUtf8(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool isNewline(char32_t c) { return c == '\r' || c == '\n'; }
bool isOther(char32_t c) { return !isWhitespace(c) && !isLetter(c) && !isNumber(c); }

// Matches the regex alternatives at code point i; returns the end index (> i).
class Splitter {
 public:
  Splitter(const std::vector<char32_t>& cps, PreTokenPattern pattern, int maxDigits)
      : m_c(cps), m_n(cps.size()), m_pattern(pattern), m_maxDigits(maxDigits) {}

  std::size_t match(std::size_t i) const {
    const bool llama3 = m_pattern == PreTokenPattern::Llama3;
    if (std::size_t e = contraction(i, llama3)) return e;
    if (llama3) {
      if (m_c[i] != '\r' && m_c[i] != '\n' && !isLetter(m_c[i]) && !isNumber(m_c[i]) &&
          i + 1 < m_n && isLetter(m_c[i + 1]))
        return run(i + 1, isLetter);
      if (isLetter(m_c[i])) return run(i, isLetter);
      if (isNumber(m_c[i])) return std::min(run(i, isNumber), i + m_maxDigits);
    } else {
      const std::size_t s = optionalSpace(i);
      if (s < m_n && isLetter(m_c[s])) return run(s, isLetter);
      if (s < m_n && isNumber(m_c[s])) return run(s, isNumber);
    }
    const std::size_t s = optionalSpace(i);
    if (s < m_n && isOther(m_c[s])) {
      const std::size_t e = run(s, isOther);
      return llama3 ? run(e, isNewline) : e;
    }
    const std::size_t wsEnd = run(i, isWhitespace);  // m_c[i] is whitespace from here on
    if (llama3) {
      for (std::size_t k = wsEnd; k > i; --k)
        if (isNewline(m_c[k - 1])) return k;  // \s*[\r\n]+
    }
    if (wsEnd == m_n || wsEnd - i == 1) return wsEnd;  // \s+(?!\S) at the end, else \s+
    return wsEnd - 1;                                  // \s+(?!\S) leaves one space
  }

 private:
  template <typename Pred>
  std::size_t run(std::size_t i, Pred pred) const {
    while (i < m_n && pred(m_c[i])) ++i;
    return i;
  }
  std::size_t optionalSpace(std::size_t i) const {
    return m_c[i] == ' ' && i + 1 < m_n ? i + 1 : i;
  }
  std::size_t contraction(std::size_t i, bool ignoreCase) const {
    if (m_c[i] != '\'' || i + 1 >= m_n) return 0;
    auto at = [&](std::size_t k) -> char32_t {
      if (k >= m_n) return 0;
      const char32_t c = m_c[k];
      return ignoreCase && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
    };
    const char32_t a = at(i + 1), b = at(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    return 0;
  }

  const std::vector<char32_t>& m_c;
  std::size_t m_n;
  PreTokenPattern m_pattern;
  std::size_t m_maxDigits;
};

std::array<char32_t, 256> byteToCodePoint() {
  std::array<char32_t, 256> map{};
  char32_t next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    map[b] = printable ? static_cast<char32_t>(b) : next++;
  }
  return map;
}

}  // namespace

int utf8Length(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

bool isWhitespace(char32_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool isNumber(char32_t c) {
  return (c >= '0' && c <= '9') || c == 0xB2 || c == 0xB3 || c == 0xB9 ||
         (c >= 0xBC && c <= 0xBE) || (c >= 0x660 && c <= 0x669) || (c >= 0x6F0 && c <= 0x6F9) ||
         (c >= 0x966 && c <= 0x96F) || (c >= 0x2070 && c <= 0x2089) ||
         (c >= 0x2150 && c <= 0x218B) || (c >= 0x2460 && c <= 0x249B) ||
         (c >= 0xFF10 && c <= 0xFF19);
}

bool isLetter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
  if (c < 0x2B0) return c != 0xD7 && c != 0xF7;
  if (isNumber(c) || isWhitespace(c)) return false;
  const bool punctuationOrSymbol =
      (c >= 0x2B9 && c <= 0x36F) ||    // modifier letters (partly) and combining marks
      (c >= 0x2000 && c <= 0x2BFF) ||  // punctuation, symbols, arrows, math, box drawing
      (c >= 0x3000 && c <= 0x303F) ||  // CJK punctuation
      (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF20) ||
      (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65) ||
      (c >= 0xE000 && c <= 0xF8FF) ||    // private use
      (c >= 0x1F000 && c <= 0x1FAFF) ||  // emoji and pictographs
      (c >= 0xFE00 && c <= 0xFE0F) || c == 0x55A || c == 0x589 || c == 0x5BE ||
      (c >= 0x600 && c <= 0x60F && c != 0x608) || c == 0x61B || c == 0x61F || c == 0x6D4 ||
      c == 0x964 || c == 0x965 || c == 0xE3F || c == 0x387 || c == 0x37E;
  return !punctuationOrSymbol;
}

std::vector<std::string_view> splitPreTokens(std::string_view text, PreTokenPattern pattern,
                                             int maxDigits) {
  const CodePoints cp = decodeUtf8(text);
  const Splitter splitter(cp.cps, pattern, maxDigits);
  std::vector<std::string_view> pieces;
  for (std::size_t i = 0; i < cp.cps.size();) {
    const std::size_t e = splitter.match(i);
    pieces.push_back(text.substr(cp.offsets[i], cp.offsets[e] - cp.offsets[i]));
    i = e;
  }
  return pieces;
}

std::string bytesToUnicode(std::string_view bytes) {
  static const auto map = byteToCodePoint();
  std::string out;
  for (const char b : bytes) appendUtf8(map[static_cast<unsigned char>(b)], out);
  return out;
}

std::string unicodeToBytes(std::string_view text) {
  static const auto inverse = [] {
    std::vector<int> inv(512, -1);
    const auto map = byteToCodePoint();
    for (int b = 0; b < 256; ++b) inv[map[b]] = b;
    return inv;
  }();
  const CodePoints cp = decodeUtf8(text);
  std::string out;
  for (std::size_t i = 0; i < cp.cps.size(); ++i) {
    const char32_t c = cp.cps[i];
    if (c < inverse.size() && inverse[c] >= 0)
      out += static_cast<char>(inverse[c]);
    else
      out.append(text.substr(cp.offsets[i], cp.offsets[i + 1] - cp.offsets[i]));
  }
  return out;
}

}  // namespace kvwb::core
