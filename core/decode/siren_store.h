// SIREN decode store (nerf-attention): a network f(t) -> D values at positions t = j / (L - 1),
// sine layers sin(omega0 (x W + b)), a linear last layer, then x * std + mean: the "siren"
// method's representation at float32. A decode step evaluates the network at the L positions,
// block by block (the reconstruction is never written out), and attends to each block; the
// matrix products and sines are LibTorch's. Immutable once built; any thread.
#pragma once

#include <cstdint>

#include "core/decode/kv_store.h"

namespace kvwb::core::decode {

struct SirenNet {
  struct Layer {
    std::int64_t in = 0, out = 0;
    std::vector<float> weights;  // [in, out]
    std::vector<float> biases;   // [out]
  };
  double omega0 = 30;
  std::vector<Layer> layers;     // 1 -> width, depth x (width -> width), width -> D
  std::vector<float> mean, std;  // [D]

  // A network with the SIREN initialisation (first layer U(-1/in, 1/in), later ones
  // U(-sqrt(6/in)/omega0, +)) drawn from `seed`, unit std and zero mean: untrained, which
  // leaves a decode step's cost as a trained one's.
  static SirenNet initialised(std::int64_t dims, std::int64_t width, std::int64_t depth, double omega0,
                              std::uint64_t seed);
  double bytes() const;  // every weight, bias, mean and std at float32
};

class SirenStore final : public KeyStore, public ValueStore {
 public:
  SirenStore(SirenNet net, std::int64_t tokens);
  std::string name() const override;
  std::int64_t rows() const override { return m_rows; }
  std::int64_t dims() const override { return static_cast<std::int64_t>(m_net.mean.size()); }
  double bytes() const override { return m_net.bytes(); }
  void scores(const float* q, std::int64_t groups, float* s, DecodeScratch& scratch) const override;
  void accumulate(const float* p, std::int64_t groups, float* out, DecodeScratch& scratch) const override;
  void reconstructInto(float* out, DecodeScratch& scratch) const override;

 private:
  // Rows [first, first + count) of the reconstruction into out [count, D].
  void evaluate(std::int64_t first, std::int64_t count, float* out) const;
  SirenNet m_net;
  std::int64_t m_rows;
};

}  // namespace kvwb::core::decode
