// dtype conversion and NaN/Inf detection against direct bit-level references.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/formats/dtype.h"

using namespace kvwb::core;

TEST(DType, HalfAndBfloat16ConvertExactly) {
  // 1.0 = 0x3C00 (f16), 0x3F80 (bf16); -2.5 = 0xC100 (f16), 0xC020 (bf16); 65504 = f16 max.
  const std::uint16_t f16[] = {0x3C00, 0xC100, 0x7BFF, 0x0001};
  const std::uint16_t bf16[] = {0x3F80, 0xC020, 0x4049};
  float out[4];
  convertToFloat(DType::F16, f16, 4, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.5f);
  EXPECT_EQ(out[2], 65504.0f);
  EXPECT_EQ(out[3], std::ldexp(1.0f, -24));  // smallest subnormal
  convertToFloat(DType::BF16, bf16, 3, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.5f);
  std::uint32_t bits = 0x40490000;
  float pi;
  std::memcpy(&pi, &bits, 4);
  EXPECT_EQ(out[2], pi);
}

TEST(DType, FindsNonFiniteInEveryFloatType) {
  const std::uint16_t f16[] = {0x3C00, 0x7C00, 0x3C00};   // +Inf at 1
  const std::uint16_t bf16[] = {0x3F80, 0x3F80, 0x7FC0};  // NaN at 2
  const float f32[] = {1.f, 2.f, 3.f};
  const double f64[] = {1.0, NAN};
  EXPECT_EQ(findNonFinite(DType::F16, f16, 3), 1);
  EXPECT_EQ(findNonFinite(DType::BF16, bf16, 3), 2);
  EXPECT_EQ(findNonFinite(DType::F32, f32, 3), -1);
  EXPECT_EQ(findNonFinite(DType::F64, f64, 2), 1);
}

TEST(DType, ParsesSpellings) {
  EXPECT_EQ(dtypeFromSafetensors("BF16"), DType::BF16);
  EXPECT_FALSE(dtypeFromSafetensors("F8_E4M3").has_value());
  EXPECT_EQ(dtypeFromNumpyDescr("<f2"), DType::F16);
  EXPECT_FALSE(dtypeFromNumpyDescr(">f4").has_value());  // big-endian refused
  EXPECT_FALSE(dtypeFromNumpyDescr("<V2").has_value());
}
