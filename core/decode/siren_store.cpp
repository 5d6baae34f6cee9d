// SIREN decode store (see siren_store.h).
#include "core/decode/siren_store.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "core/decode/simd_kernels.h"
#include "core/decode/tensor_bits.h"

namespace kvwb::core::decode {
namespace {

constexpr std::int64_t kBlock = 256;  // positions evaluated at a time

torch::Tensor view(const std::vector<float>& v, std::vector<std::int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape);
}

simd::Rows blockRows(const float* block, std::int64_t count, std::int64_t dims) {
  return {simd::Codes::F32, block, dims * static_cast<std::int64_t>(sizeof(float)), count, dims};
}

}  // namespace

SirenNet SirenNet::initialised(std::int64_t dims, std::int64_t width, std::int64_t depth, double omega0,
                               std::uint64_t seed) {
  SirenNet net;
  net.omega0 = omega0;
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(depth + 3), width);
  sizes.front() = 1;
  sizes.back() = dims;
  std::mt19937_64 engine(seed);
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const auto in = sizes[l], out = sizes[l + 1];
    const double bound = l == 0 ? 1.0 / in : std::sqrt(6.0 / in) / omega0;
    std::uniform_real_distribution<float> uniform(-bound, bound);
    Layer layer{in, out, std::vector<float>(in * out), std::vector<float>(out)};
    for (auto& w : layer.weights) w = uniform(engine);
    for (auto& b : layer.biases) b = uniform(engine);
    net.layers.push_back(std::move(layer));
  }
  net.mean.assign(dims, 0.0f);
  net.std.assign(dims, 1.0f);
  return net;
}

double SirenNet::bytes() const {
  double values = static_cast<double>(mean.size() + std.size());
  for (const auto& l : layers) values += static_cast<double>(l.weights.size() + l.biases.size());
  return values * sizeof(float);
}

SirenStore::SirenStore(SirenNet net, std::int64_t tokens) : m_net(std::move(net)), m_rows(tokens) {
  if (m_net.layers.size() < 2 || m_net.layers.front().in != 1 || tokens < 2 ||
      m_net.layers.back().out != static_cast<std::int64_t>(m_net.mean.size()) || m_net.std.size() != m_net.mean.size())
    throw std::invalid_argument("SirenStore: needs a network 1 -> ... -> D with D means and stds, and >= 2 tokens");
}

std::string SirenStore::name() const {
  return "SIREN " + std::to_string(m_net.layers.front().out) + " wide, " + std::to_string(m_net.layers.size() - 2) +
         " hidden";
}

void SirenStore::evaluate(std::int64_t first, std::int64_t count, float* out) const {
  torch::NoGradGuard noGrad;
  const auto t = torch::arange(first, first + count, torch::kFloat32).div_(static_cast<double>(m_rows - 1)).unsqueeze(1);
  const auto& layers = m_net.layers;
  auto h = t;
  for (std::size_t l = 0; l + 1 < layers.size(); ++l) {
    const auto& layer = layers[l];
    h = torch::addmm(view(layer.biases, {1, layer.out}), h, view(layer.weights, {layer.in, layer.out}))
            .mul_(m_net.omega0)
            .sin_();
  }
  const auto& last = layers.back();
  auto result = torch::from_blob(out, {count, last.out});
  at::addmm_out(result, view(last.biases, {1, last.out}), h, view(last.weights, {last.in, last.out}));
  result.mul_(view(m_net.std, {1, last.out})).add_(view(m_net.mean, {1, last.out}));
}

void SirenStore::scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const {
  const auto D = dims();
  float* block = scratch.buffer(2, static_cast<std::size_t>(kBlock * D));
  for (std::int64_t j0 = 0; j0 < m_rows; j0 += kBlock) {
    const auto count = std::min(kBlock, m_rows - j0);
    evaluate(j0, count, block);
    simd::dots(blockRows(block, count, D), q, groups, D, nullptr, s + j0, m_rows);
  }
}

void SirenStore::accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const {
  const auto D = dims();
  float* block = scratch.buffer(2, static_cast<std::size_t>(kBlock * D));
  for (std::int64_t j0 = 0; j0 < m_rows; j0 += kBlock) {
    const auto count = std::min(kBlock, m_rows - j0);
    evaluate(j0, count, block);
    simd::accumulate(blockRows(block, count, D), p + j0, groups, m_rows, nullptr, out, D);
  }
}

void SirenStore::reconstructInto(float* out, DecodeScratch&) const {
  for (std::int64_t j0 = 0; j0 < m_rows; j0 += kBlock) evaluate(j0, std::min(kBlock, m_rows - j0), out + j0 * dims());
}

}  // namespace kvwb::core::decode
