// An independent reference for the token-eviction protocol of docs/EVICTION.md (see the header):
// written from the document alone, plain loops in double precision, no torch, clarity before speed.
#include "eviction_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace kvwb::test::eviction {
namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number(const json& params, const char* name, double fallback) {
  if (!params.is_object() || !params.contains(name) || params.at(name).is_null()) return fallback;
  const json& v = params.at(name);
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  return v.get<double>();
}

bool flag(const json& params, const char* name, bool fallback) {
  return number(params, name, fallback ? 1 : 0) != 0;
}

std::string text(const json& params, const char* name, const std::string& fallback) {
  if (!params.is_object() || !params.contains(name) || params.at(name).is_null()) return fallback;
  return params.at(name).get<std::string>();
}

// The doc's defaults: sinks 4 for streaming and expected_attention, 0 elsewhere; a recent window
// of half the budget for h2o, none elsewhere.
int sinksOf(const std::string& method, const json& params) {
  const double def = (method == "streaming" || method == "expected_attention") ? 4 : 0;
  const double s = number(params, "sinks", def);
  if (s < 0) throw std::invalid_argument("sinks must be >= 0");
  return static_cast<int>(s);
}

double windowOf(const std::string& method, const json& params) {
  const double w = number(params, "window", method == "h2o" ? 0.5 : 0.0);
  if (w < 0 || w > 1) throw std::invalid_argument("window must be in [0, 1]");
  return w;
}

int observeOf(const json& params, int T) {
  const double o = number(params, "observe", 32);
  if (o < 1) throw std::invalid_argument("observe must be >= 1");
  return std::min(static_cast<int>(o), T);
}

bool isScored(const std::string& m) {
  return m == "h2o" || m == "snapkv" || m == "knorm" || m == "expected_attention";
}

void checkHead(const Head& h) {
  const auto T = static_cast<std::size_t>(h.T), D = static_cast<std::size_t>(h.D),
             G = static_cast<std::size_t>(h.G);
  if (h.T < 1 || h.D < 1 || h.keys.size() != T * D || h.values.size() != T * D ||
      (h.G > 0 && h.queries.size() != G * T * D))
    throw std::invalid_argument("Head: inconsistent sizes");
}

double dot(const double* a, const double* b, int D) {
  double s = 0;
  for (int d = 0; d < D; ++d) s += a[d] * b[d];
  return s;
}

double norm(const double* a, int D) { return std::sqrt(dot(a, a, D)); }

// Causal attention of query head g over `keys`: log-probabilities [T, T] (row i over j <= i with
// visible(i, j); -inf elsewhere).
template <typename Visible>
std::vector<double> logAttention(const Head& h, int g, const std::vector<double>& keys,
                                 Visible visible) {
  const int T = h.T, D = h.D;
  const double scale = 1 / std::sqrt(static_cast<double>(D));
  std::vector<double> out(static_cast<std::size_t>(T) * T, -INFINITY);
  for (int i = 0; i < T; ++i) {
    const double* q = &h.queries[(static_cast<std::size_t>(g) * T + i) * D];
    double* row = &out[static_cast<std::size_t>(i) * T];
    double mx = -INFINITY;
    for (int j = 0; j <= i; ++j)
      if (visible(i, j)) {
        row[j] = dot(q, &keys[static_cast<std::size_t>(j) * D], D) * scale;
        mx = std::max(mx, row[j]);
      }
    double sum = 0;
    for (int j = 0; j <= i; ++j)
      if (visible(i, j)) sum += std::exp(row[j] - mx);
    const double lse = mx + std::log(sum);
    for (int j = 0; j <= i; ++j)
      if (visible(i, j)) row[j] -= lse;
  }
  return out;
}

std::vector<double> causalAttention(const Head& h, int g) {
  auto a = logAttention(h, g, h.keys, [](int, int) { return true; });
  for (double& x : a) x = std::exp(x);
  return a;
}

// The positions forced for budget n: sinks 0..min(s, n)-1, then the last m positions with m the
// window (h2o, tova, knorm, expected_attention: floor(w n)), SnapKV's observation window o or
// StreamingLLM's n - sinks, capped at n - sinks kept.
std::vector<char> forcedSet(const std::string& method, const json& params, int T, int n) {
  std::vector<char> f(static_cast<std::size_t>(T), 0);
  const int sinksKept = std::min(sinksOf(method, params), n);
  int m;
  if (method == "streaming")
    m = n - sinksKept;
  else if (method == "snapkv")
    m = std::min(observeOf(params, T), n - sinksKept);
  else
    m = std::min(static_cast<int>(std::floor(windowOf(method, params) * n)), n - sinksKept);
  for (int j = 0; j < sinksKept; ++j) f[j] = 1;
  for (int j = T - m; j < T; ++j) f[j] = 1;
  return f;
}

std::vector<double> h2oScores(const Head& h) {
  const int T = h.T;
  std::vector<double> s(static_cast<std::size_t>(T), 0.0);
  for (int g = 0; g < h.G; ++g) {
    const auto a = causalAttention(h, g);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= i; ++j) s[j] += a[static_cast<std::size_t>(i) * T + j];
  }
  for (double& x : s) x /= h.G;
  return s;
}

// Scores of j < T - o; the observation window itself has none (NaN).
std::vector<double> snapkvScores(const Head& h, const json& params) {
  const int T = h.T, o = observeOf(params, T), L = T - o;
  const int k = static_cast<int>(number(params, "kernel", 5));
  const std::string pooling = text(params, "pooling", "avg");
  if (k < 1 || k % 2 == 0) throw std::invalid_argument("kernel must be odd");
  if (pooling != "avg" && pooling != "max") throw std::invalid_argument("pooling: avg or max");
  std::vector<double> mean(static_cast<std::size_t>(std::max(L, 0)), 0.0);
  for (int g = 0; g < h.G; ++g) {
    const auto a = causalAttention(h, g);
    for (int i = T - o; i < T; ++i)
      for (int j = 0; j < L; ++j) mean[j] += a[static_cast<std::size_t>(i) * T + j];
  }
  for (double& x : mean) x /= static_cast<double>(h.G) * o;
  std::vector<double> s(static_cast<std::size_t>(T), kNaN);
  const int pad = k / 2;
  for (int j = 0; j < L; ++j) {
    double acc = pooling == "avg" ? 0.0 : -INFINITY;
    for (int m = j - pad; m <= j + pad; ++m) {
      const double v = (m >= 0 && m < L) ? mean[m] : 0.0;  // zero padding
      acc = pooling == "avg" ? acc + v : std::max(acc, v);
    }
    s[j] = pooling == "avg" ? acc / k : acc;
  }
  return s;
}

std::vector<double> knormScores(const Head& h) {
  std::vector<double> s(static_cast<std::size_t>(h.T));
  for (int j = 0; j < h.T; ++j) s[j] = 1 / norm(&h.keys[static_cast<std::size_t>(j) * h.D], h.D);
  return s;
}

// RoPE pair p: its two dimensions in `half` or interleaved layout, and its frequency.
struct Pairs {
  int D;
  bool interleaved;
  double theta;
  int first(int p) const { return interleaved ? 2 * p : p; }
  int second(int p) const { return interleaved ? 2 * p + 1 : p + D / 2; }
  double freq(int p) const { return std::pow(theta, -2.0 * p / D); }
};

// Sinks (j < s) have no score (NaN).
std::vector<double> expectedAttentionScores(const Head& h, const json& params, const Rope& rope) {
  const int T = h.T, D = h.D, s = std::min(sinksOf("expected_attention", params), T);
  const int F = static_cast<int>(number(params, "future", 512));
  const bool covariance = flag(params, "covariance", true), vnorm = flag(params, "vnorm", true);
  if (D % 2 != 0) throw std::invalid_argument("expected_attention needs an even head_dim");
  if (F < 1) throw std::invalid_argument("future must be >= 1");
  const Pairs pairs{D, rope.interleaved, rope.theta};
  // Rbar = (1/F) sum_{t=T}^{T+F-1} R(t), R rotating pair (x1, x2) to (x1 c - x2 s, x2 c + x1 s).
  std::vector<double> rbar(static_cast<std::size_t>(D) * D, 0.0);
  for (int p = 0; p < D / 2; ++p) {
    double c = 0, sn = 0;
    for (int t = T; t < T + F; ++t) {
      c += std::cos(t * pairs.freq(p));
      sn += std::sin(t * pairs.freq(p));
    }
    c /= F;
    sn /= F;
    const int a = pairs.first(p), b = pairs.second(p);
    rbar[a * D + a] = c;
    rbar[a * D + b] = -sn;
    rbar[b * D + a] = sn;
    rbar[b * D + b] = c;
  }
  const int count = T - s;
  std::vector<double> score(static_cast<std::size_t>(T), 0.0);
  for (int g = 0; g < h.G; ++g) {
    // Pre-RoPE queries of positions s..T-1: R(i)^T q, i.e. each pair rotated by -angle.
    std::vector<double> pre(static_cast<std::size_t>(std::max(count, 0)) * D);
    for (int i = s; i < T; ++i) {
      const double* q = &h.queries[(static_cast<std::size_t>(g) * T + i) * D];
      double* out = &pre[static_cast<std::size_t>(i - s) * D];
      for (int p = 0; p < D / 2; ++p) {
        const int a = pairs.first(p), b = pairs.second(p);
        const double ang = i * pairs.freq(p), c = std::cos(ang), sn = std::sin(ang);
        out[a] = q[a] * c + q[b] * sn;
        out[b] = q[b] * c - q[a] * sn;
      }
    }
    std::vector<double> mu(static_cast<std::size_t>(D), 0.0),
        sigma(static_cast<std::size_t>(D) * D, 0.0);
    if (count > 0) {
      for (int r = 0; r < count; ++r)
        for (int d = 0; d < D; ++d) mu[d] += pre[static_cast<std::size_t>(r) * D + d];
      for (double& x : mu) x /= count;
      for (int r = 0; r < count; ++r)
        for (int a = 0; a < D; ++a)
          for (int b = 0; b < D; ++b)
            sigma[a * D + b] += (pre[static_cast<std::size_t>(r) * D + a] - mu[a]) *
                                (pre[static_cast<std::size_t>(r) * D + b] - mu[b]);
      for (double& x : sigma) x /= count;  // divided by the count
    }
    std::vector<double> mubar(static_cast<std::size_t>(D), 0.0),
        tmp(static_cast<std::size_t>(D) * D, 0.0), sigbar(static_cast<std::size_t>(D) * D, 0.0);
    for (int a = 0; a < D; ++a)
      for (int b = 0; b < D; ++b) mubar[a] += rbar[a * D + b] * mu[b];
    for (int a = 0; a < D; ++a)  // tmp = Rbar Sigma
      for (int c = 0; c < D; ++c)
        for (int b = 0; b < D; ++b) tmp[a * D + b] += rbar[a * D + c] * sigma[c * D + b];
    for (int a = 0; a < D; ++a)  // sigbar = tmp Rbar^T
      for (int b = 0; b < D; ++b)
        for (int c = 0; c < D; ++c) sigbar[a * D + b] += tmp[a * D + c] * rbar[b * D + c];
    std::vector<double> e(static_cast<std::size_t>(T), -INFINITY);
    double mx = -INFINITY;
    for (int j = s; j < T; ++j) {
      const double* k = &h.keys[static_cast<std::size_t>(j) * D];
      double v = dot(mubar.data(), k, D) / std::sqrt(static_cast<double>(D));
      if (covariance) {
        double quad = 0;
        for (int a = 0; a < D; ++a)
          for (int b = 0; b < D; ++b) quad += k[a] * sigbar[a * D + b] * k[b];
        v += quad / (2.0 * D);
      }
      e[j] = v;
      mx = std::max(mx, v);
    }
    double sum = 0;
    for (int j = s; j < T; ++j) sum += std::exp(e[j] - mx);
    for (int j = s; j < T; ++j) score[j] += std::exp(e[j] - mx) / sum;
  }
  for (int j = 0; j < T; ++j) {
    if (j < s) {
      score[j] = kNaN;
      continue;
    }
    score[j] /= h.G;
    if (vnorm) score[j] *= norm(&h.values[static_cast<std::size_t>(j) * D], D);
  }
  return score;
}

// Positions ordered best first: higher score, ties to the earlier position.
std::vector<int> rankByScore(const std::vector<double>& s, const std::vector<int>& candidates) {
  std::vector<int> order = candidates;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return s[a] > s[b]; });
  return order;
}

std::vector<char> tovaKeptSet(const json& params, const Head& h, int n) {
  const int T = h.T, D = h.D;
  const auto forced = forcedSet("tova", params, T, n);
  const double scale = 1 / std::sqrt(static_cast<double>(D));
  std::vector<int> cache;
  for (int i = 0; i < T; ++i) {
    cache.push_back(i);
    while (static_cast<int>(cache.size()) > n) {
      std::vector<double> a(cache.size(), 0.0);
      for (int g = 0; g < h.G; ++g) {
        const double* q = &h.queries[(static_cast<std::size_t>(g) * T + i) * D];
        std::vector<double> logit(cache.size());
        double mx = -INFINITY;
        for (std::size_t c = 0; c < cache.size(); ++c) {
          logit[c] = dot(q, &h.keys[static_cast<std::size_t>(cache[c]) * D], D) * scale;
          mx = std::max(mx, logit[c]);
        }
        double sum = 0;
        for (double x : logit) sum += std::exp(x - mx);
        for (std::size_t c = 0; c < cache.size(); ++c) a[c] += std::exp(logit[c] - mx) / sum;
      }
      for (double& x : a) x /= h.G;
      std::size_t drop = cache.size();
      for (std::size_t c = 0; c < cache.size(); ++c)  // ascending positions: strict < keeps
        if (!forced[cache[c]] && (drop == cache.size() || a[c] < a[drop])) drop = c;  // earlier
      if (drop == cache.size()) throw std::logic_error("tova: nothing droppable");
      cache.erase(cache.begin() + static_cast<std::ptrdiff_t>(drop));
    }
  }
  std::vector<char> kept(static_cast<std::size_t>(T), 0);
  for (int j : cache) kept[j] = 1;
  return kept;
}

}  // namespace

int uniformBudget(const nlohmann::json& params, int T) {
  const bool ratio = params.contains("keep_ratio"), budget = params.contains("budget");
  if (ratio == budget) throw std::invalid_argument("give one of keep_ratio and budget");
  if (ratio) {
    const double r = params.at("keep_ratio").get<double>();
    if (!(r > 0 && r <= 1)) throw std::invalid_argument("keep_ratio must be in (0, 1]");
    return std::max(1, static_cast<int>(std::lround(r * T)));  // lround: half away from zero
  }
  const double b = params.at("budget").get<double>();
  if (b < 1) throw std::invalid_argument("budget must be >= 1");
  return std::min(static_cast<int>(b), T);
}

std::vector<double> scores(const std::string& method, const nlohmann::json& params,
                           const Head& head, int n, const Rope& rope) {
  checkHead(head);
  if (n < 1 || n > head.T) throw std::invalid_argument("budget out of [1, T]");
  std::vector<double> s;
  if (method == "h2o")
    s = h2oScores(head);
  else if (method == "snapkv")
    s = snapkvScores(head, params);
  else if (method == "knorm")
    s = knormScores(head);
  else if (method == "expected_attention")
    s = expectedAttentionScores(head, params, rope);
  else
    throw std::invalid_argument("no reference scores for method " + method);
  const auto forced = forcedSet(method, params, head.T, n);
  for (int j = 0; j < head.T; ++j)
    if (forced[j]) s[j] = kNaN;
  return s;
}

std::vector<char> keptSet(const std::string& method, const nlohmann::json& params,
                          const Head& head, int n, const Rope& rope) {
  checkHead(head);
  if (n < 1 || n > head.T) throw std::invalid_argument("budget out of [1, T]");
  if (method == "streaming") return forcedSet(method, params, head.T, n);
  if (method == "tova") return tovaKeptSet(params, head, n);
  if (!isScored(method)) throw std::invalid_argument("no reference kept set for method " + method);
  const auto s = scores(method, params, head, n, rope);
  auto kept = forcedSet(method, params, head.T, n);
  int count = static_cast<int>(std::count(kept.begin(), kept.end(), 1));
  std::vector<int> candidates;
  for (int j = 0; j < head.T; ++j)
    if (!kept[j] && !std::isnan(s[j])) candidates.push_back(j);
  for (int j : rankByScore(s, candidates)) {
    if (count >= n) break;
    kept[j] = 1;
    ++count;
  }
  return kept;
}

std::vector<int> pyramidBudgets(int n, int layers, double beta, int T) {
  if (layers < 1) throw std::invalid_argument("layers must be >= 1");
  if (layers == 1) return {n};
  const double nTop = n / beta, n0 = 2.0 * n - nTop;
  std::vector<int> out;
  for (int l = 0; l < layers; ++l) {
    const long v = std::lround(n0 - (n0 - nTop) * l / (layers - 1));
    out.push_back(static_cast<int>(std::clamp<long>(v, 1, T)));
  }
  return out;
}

std::vector<std::vector<char>> adakvKeptSets(const std::string& method,
                                             const nlohmann::json& params,
                                             const std::vector<Head>& layerHeads, int n,
                                             const Rope& rope, double floorShare) {
  if (!isScored(method)) throw std::invalid_argument("adakv needs per-token scores: " + method);
  const int H = static_cast<int>(layerHeads.size());
  std::vector<std::vector<char>> kept(layerHeads.size());
  std::vector<std::vector<double>> normalised(layerHeads.size());
  long total = 0;
  for (int t = 0; t < H; ++t) {
    const Head& h = layerHeads[t];
    auto s = scores(method, params, h, n, rope);
    kept[t] = forcedSet(method, params, h.T, n);
    double sum = 0;
    for (int j = 0; j < h.T; ++j)
      if (!kept[t][j] && !std::isnan(s[j])) sum += s[j];
    for (int j = 0; j < h.T; ++j)
      if (!kept[t][j] && !std::isnan(s[j]) && sum > 0) s[j] /= sum;
    normalised[t] = s;
    const int forcedCount = static_cast<int>(std::count(kept[t].begin(), kept[t].end(), 1));
    const int floorCount = std::max(forcedCount, static_cast<int>(std::floor(floorShare * n)));
    std::vector<int> candidates;
    for (int j = 0; j < h.T; ++j)
      if (!kept[t][j] && !std::isnan(s[j])) candidates.push_back(j);
    int count = forcedCount;
    for (int j : rankByScore(s, candidates)) {
      if (count >= floorCount) break;
      kept[t][j] = 1;
      ++count;
    }
    total += count;
  }
  struct Candidate {
    double score;
    int target, pos;
  };
  std::vector<Candidate> pool;
  for (int t = 0; t < H; ++t)
    for (int j = 0; j < layerHeads[t].T; ++j)
      if (!kept[t][j] && !std::isnan(normalised[t][j])) pool.push_back({normalised[t][j], t, j});
  std::stable_sort(pool.begin(), pool.end(), [](const Candidate& a, const Candidate& b) {
    return a.score > b.score;  // stable: ties stay in (target, position) order
  });
  long left = static_cast<long>(H) * n - total;
  for (const auto& c : pool) {
    if (left <= 0) break;
    kept[c.target][c.pos] = 1;
    --left;
  }
  return kept;
}

AttentionMetrics maskedAttentionMetrics(const Head& exact, const std::vector<double>& recon,
                                        bool isKeys, const std::vector<char>& kept) {
  checkHead(exact);
  const int T = exact.T, D = exact.D;
  if (recon.size() != static_cast<std::size_t>(T) * D || kept.size() != static_cast<std::size_t>(T))
    throw std::invalid_argument("maskedAttentionMetrics: sizes");
  const bool anyEvicted = std::find(kept.begin(), kept.end(), 0) != kept.end();
  const std::vector<double>& k2 = isKeys ? recon : exact.keys;
  const std::vector<double>& v2 = isKeys ? exact.values : recon;
  double errSq = 0, refSq = 0, kl = 0;
  for (int g = 0; g < exact.G; ++g) {
    const auto logA = logAttention(exact, g, exact.keys, [](int, int) { return true; });
    const auto logB =
        logAttention(exact, g, k2, [&](int i, int j) { return kept[j] != 0 || j == i; });
    for (int i = 0; i < T; ++i) {
      const double* la = &logA[static_cast<std::size_t>(i) * T];
      const double* lb = &logB[static_cast<std::size_t>(i) * T];
      double rowKl = 0;
      for (int j = 0; j <= i; ++j) {
        if (anyEvicted) {  // KL(A' || A)
          if (lb[j] > -INFINITY) rowKl += std::exp(lb[j]) * (lb[j] - la[j]);
        } else if (la[j] > -INFINITY) {  // KL(A || A')
          rowKl += std::exp(la[j]) * (la[j] - lb[j]);
        }
      }
      kl += rowKl;
      for (int d = 0; d < D; ++d) {
        double o = 0, o2 = 0;
        for (int j = 0; j <= i; ++j) {
          o += std::exp(la[j]) * exact.values[static_cast<std::size_t>(j) * D + d];
          if (lb[j] > -INFINITY) o2 += std::exp(lb[j]) * v2[static_cast<std::size_t>(j) * D + d];
        }
        errSq += (o2 - o) * (o2 - o);
        refSq += o * o;
      }
    }
  }
  AttentionMetrics m;
  m.outErr = refSq > 0 ? std::sqrt(errSq / refSq) : std::sqrt(errSq);
  m.kl = exact.G > 0 ? kl / (static_cast<double>(exact.G) * T) : 0;
  return m;
}

}  // namespace kvwb::test::eviction
