// MurmurHash64A with libstdc++'s seed and tail handling (see stable_hash.h).
#include "core/base/stable_hash.h"

#include <cstdio>

namespace kvwb::core {
namespace {

constexpr std::uint64_t kMul = (std::uint64_t{0xc6a4a793} << 32) + 0x5bd1e995;
constexpr std::uint64_t kSeed = 0xc70f6907;

// `n` bytes (1..8) at `p` as a little-endian integer.
std::uint64_t loadLittleEndian(const unsigned char* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

std::uint64_t shiftMix(std::uint64_t v) { return v ^ (v >> 47); }

}  // namespace

std::uint64_t stableHash(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t len = bytes.size(), aligned = len & ~std::size_t{7};
  std::uint64_t hash = kSeed ^ (static_cast<std::uint64_t>(len) * kMul);
  for (std::size_t i = 0; i < aligned; i += 8) {
    hash ^= shiftMix(loadLittleEndian(p + i, 8) * kMul) * kMul;
    hash *= kMul;
  }
  if (len & 7) {
    hash ^= loadLittleEndian(p + aligned, len & 7);
    hash *= kMul;
  }
  hash = shiftMix(hash) * kMul;
  return shiftMix(hash);
}

std::string stableHashHex(std::string_view bytes) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(stableHash(bytes)));
  return buf;
}

}  // namespace kvwb::core
