// A 64-bit string hash that is the same on every platform and standard library, for job keys,
// capture fingerprints and seeds that are stored in projects. Algorithm: MurmurHash64A as
// libstdc++ implements std::hash<std::string> (_Hash_bytes, seed 0xc70f6907, bytes read
// little-endian), so keys written before it existed (with libstdc++'s std::hash) stay valid.
// docs/PROJECT_FORMAT.md documents it. Pure function; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvwb::core {

std::uint64_t stableHash(std::string_view bytes);
std::string stableHashHex(std::string_view bytes);  // 16 lowercase hex digits

}  // namespace kvwb::core
