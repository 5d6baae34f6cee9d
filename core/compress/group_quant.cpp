// Group-wise asymmetric uniform quantization (see group_quant.h).
#include "core/compress/group_quant.h"

#include <cmath>

namespace kvwb::core {
namespace {

constexpr double kHalfRel = 1.0 / 1024;       // > the float16 relative rounding error 2^-11
constexpr double kHalfAbs = 1.0 / (1 << 24);  // > the float16 absolute error near zero

torch::Tensor asHalf(const torch::Tensor& x) { return x.to(torch::kFloat16).to(torch::kFloat32); }

// x [..., L] -> [..., groups, group], the last group padded by repeating the row's last element
// (which leaves its minimum and maximum unchanged).
torch::Tensor grouped(const torch::Tensor& x, std::int64_t group) {
  const auto length = x.size(-1), groups = groupsPerRow(length, group);
  auto padded = x;
  if (const auto pad = groups * group - length; pad > 0) {
    auto sizes = x.sizes().vec();
    sizes.back() = pad;
    padded = torch::cat({x, x.narrow(-1, length - 1, 1).expand(sizes)}, -1);
  }
  auto shape = x.sizes().vec();
  shape.back() = groups;
  shape.push_back(group);
  return padded.reshape(shape);
}

}  // namespace

std::int64_t groupsPerRow(std::int64_t length, std::int64_t group) {
  return (length + group - 1) / group;
}

double packedCodeBytes(double values, int bits) { return std::ceil(values * bits / 8.0); }

GroupQuant quantizeGroups(const torch::Tensor& x, int bits, std::int64_t group) {
  const auto length = x.size(-1);
  if (group <= 0 || group > length) group = length;
  const auto g = grouped(x, group);
  const double levels = std::pow(2.0, bits) - 1;
  const auto lo = std::get<0>(g.min(-1)), hi = std::get<0>(g.max(-1));
  // Outward rounding to float16: zero <= lo and zero + levels * scale >= hi.
  const auto zeros = asHalf(lo - lo.abs() * kHalfRel - kHalfAbs);
  const auto scales = asHalf((hi - zeros) / levels * (1 + kHalfRel) + kHalfAbs);
  const auto codes = ((g - zeros.unsqueeze(-1)) / scales.unsqueeze(-1)).round().clamp(0, levels);
  return {codes.flatten(-2).narrow(-1, 0, length).to(torch::kUInt8), scales, zeros, bits, group};
}

torch::Tensor dequantizeGroups(const GroupQuant& q) {
  const auto length = q.codes.size(-1);
  const auto values = grouped(q.codes.to(torch::kFloat32), q.group) * q.scales.unsqueeze(-1) +
                      q.zeros.unsqueeze(-1);
  return values.flatten(-2).narrow(-1, 0, length);
}

}  // namespace kvwb::core
