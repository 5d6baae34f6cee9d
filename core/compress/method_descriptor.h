// What a compression method declares about itself, as QGIS processing algorithms declare their
// parameters: family, parameters (type, default, range or choices, a one-line doc), the sweep
// dialog's default grid, the inputs it needs, and estimates of a target's bytes, fit work and
// decode step (docs/DECODE_COST.md).
// Spec validation, ParamReader, the sweep dialog, `kvwb-cli methods` and docs/SWEEPS.md's
// parameter tables are all built from it; no method is named anywhere else. Std-typed, no torch;
// descriptors are immutable once made, so any thread may read them.
//
//   const auto& svd = kvwb::core::methodDescriptor("svd");
//   kvwb::core::validateParams(svd, {{"rank", 4}});              // throws ParamError
//   double b = svd.bytes({{"rank", 4}}, {.tokens = 448, .dims = 8});
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace kvwb::core {

enum class MethodFamily { LowRank, Quantization, Spectral, Learned, NeuralField, Hybrid, Eviction };
const char* familyName(MethodFamily family);  // "low-rank", "quantization", ... , "eviction"

enum class ParamType { Integer, Number, Boolean, Choice, Method, Text, Assignment };
// "integer", "number", "boolean", "choice", "method", "text", "assignment"
const char* paramTypeName(ParamType type);

// One parameter. `defaultValue` null means: required (`required`), one of a group (`oneOf`), or
// derived from other inputs (the doc says from what).
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Integer;
  nlohmann::json defaultValue;  // null: see above
  double min = -std::numeric_limits<double>::infinity();  // Integer, Number: inclusive range
  double max = std::numeric_limits<double>::infinity();
  std::vector<nlohmann::json> choices;  // Choice: the allowed strings; Integer: allowed values
  std::string doc;                      // one line
  bool required = false;
  std::string oneOf;  // non-empty: exactly one parameter of the methods's group of this name
};

ParamSpec integerParam(std::string name, nlohmann::json fallback, double min, double max,
                       std::string doc);
ParamSpec numberParam(std::string name, nlohmann::json fallback, double min, double max,
                      std::string doc);
ParamSpec booleanParam(std::string name, bool fallback, std::string doc);
ParamSpec choiceParam(std::string name, nlohmann::json fallback, std::vector<nlohmann::json> choices,
                      std::string doc);
// A nested method spec {"method": "svd", ...its parameters} (hybrids), validated recursively.
ParamSpec methodParam(std::string name, std::string doc);
// A free text of at most 200 characters (a label shown in tables).
ParamSpec textParam(std::string name, std::string doc);
// A method per target (allocations): a non-empty list of {"layer", "head", "kind": "K"|"V",
// optionally "capture", "method": ..., its parameters}, each target at most once, each nested
// method validated recursively (any method but a generated one).
ParamSpec assignmentParam(std::string name, std::string doc);

// The shape of one target: T tokens x D dims.
struct TargetShape {
  std::int64_t tokens = 0, dims = 0;
  double rawFloat16Bytes() const { return 2.0 * static_cast<double>(tokens) * static_cast<double>(dims); }
};

// One decode step of one target (one side, K or V, of one layer's KV head): the G queries of the
// head's group against a cache of `context` tokens. `reconstruct`: the cost of materialising the
// target's reconstruction in memory (written and read back at float16) and attending to it
// densely, instead of the method's own compressed-domain kernel.
enum class KvKind { Keys, Values };
struct DecodeShape {
  std::int64_t context = 0;     // L: tokens in the cache
  std::int64_t dims = 0;        // D: head dimension
  std::int64_t queryGroup = 1;  // G: query heads reading this KV head (GQA)
  KvKind kind = KvKind::Keys;   // keys: the scores q K^T; values: the output p V
  bool reconstruct = false;
};

// What one decode step costs one target: bytes read from memory, FLOPs of dot products and matrix
// products (2 per multiply-add), and elementwise work outside them (dequantisation: unpacking
// codes, scales, zero points; a SIREN's sines; inverse transforms). docs/DECODE_COST.md.
struct DecodeCost {
  double bytes = 0, flops = 0, elementwiseOps = 0;
  DecodeCost& operator+=(const DecodeCost& o) {
    bytes += o.bytes, flops += o.flops, elementwiseOps += o.elementwiseOps;
    return *this;
  }
};
// The dense cache at `bytesPerValue` (2: the raw float16 cache): L x D values read, one
// multiply-add per value and query.
DecodeCost denseDecodeCost(const DecodeShape& shape, double bytesPerValue);
// Rows reconstructed from the representation and attended to densely: fused (each row made on
// chip and never written), or, when shape.reconstruct, materialised (the L x D reconstruction
// written and read back at float16). The representation's bytes, the reconstruction's work, and
// dense attention on the rows.
DecodeCost reconstructedDecodeCost(const DecodeShape& shape, double representationBytes,
                                   double reconstructFlops, double reconstructOps);

// Inputs beyond the target itself.
struct MethodNeeds {
  bool queries = false;      // the real queries of the head's group (attention-driven choices)
  bool calibration = false;  // other tokens of the same target (calibrated PCA); optional
  bool oneKind = false;      // a batch of keys only or values only (KIVI axes, hybrids)
  bool model = false;        // the model itself (methods that run it)
};

struct MethodDescriptor {
  std::string name;
  MethodFamily family = MethodFamily::LowRank;
  std::string doc;  // one line
  std::vector<ParamSpec> params;
  // The sweep dialog's starting point: {parameter: [values]}; parameters not listed start at
  // their default.
  nlohmann::json defaultGrid = nlohmann::json::object();
  MethodNeeds needs;
  // Bytes of one target's representation under valid `params` with defaults filled in (callers
  // use estimateBytes), NaN where the parameters do not determine it for this shape.
  std::function<double(const nlohmann::json& params, const TargetShape& shape)> bytes;
  // Whether `bytes` is what a fit stores (for methods whose layout depends on the kind, the mean
  // of a key target's and a value target's), or only an upper bound (budget-driven methods).
  bool bytesExact = true;
  // Floating-point operations of one target's fit (defaults filled in), for time estimates.
  std::function<double(const nlohmann::json& params, const TargetShape& shape)> fitFlops;
  // One decode step's cost of one target under valid `params` with defaults filled in (callers
  // use estimateDecodeCost): the method's compressed-domain kernel, or reconstruct-then-attend
  // when shape.reconstruct. Optional.
  std::function<DecodeCost(const nlohmann::json& params, const DecodeShape& shape)> decodeCost;
  // The integer parameter that a "ratio" request is solved for with `bytes` ("rank"), or "".
  std::string ratioParam;
  // Rules between parameters (lr_min <= lr), run by validateParams on the given parameters;
  // throws ParamError. Optional.
  std::function<void(const nlohmann::json& params)> check;

  // Made by a tool (`kvwb-cli allocate`), never by hand: the sweep dialog does not offer it.
  bool generated = false;

  const ParamSpec* param(const std::string& name) const;  // nullptr when not declared
};

// Every registered method, in registration order (core/compress/methods/registered_methods.def).
const std::vector<const MethodDescriptor*>& methodDescriptors();
// Throws std::invalid_argument ("unknown compression method 'sdv' (did you mean 'svd'?)").
const MethodDescriptor& methodDescriptor(const std::string& name);

// A request that breaks a method's declaration: unknown key, wrong type, out of range, missing.
// what() = "<method>: parameter '<key>' <problem>"; key() and method() for callers that re-word.
class ParamError : public std::invalid_argument {
 public:
  ParamError(std::string method, std::string key, const std::string& problem);
  const std::string& method() const { return m_method; }
  const std::string& key() const { return m_key; }
  const std::string& problem() const { return m_problem; }

 private:
  std::string m_method, m_key, m_problem;
};

// A valid request that this target's shape cannot meet (a ratio out of reach at head_dim 8, a
// rank above D). Sweeps record it as an infeasible job; every other error stops the sweep.
class Infeasible : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Checks `params` (a JSON object or null) against the descriptor: every key declared, each value
// of its type, range and choices, required parameters present, exactly one of each oneOf group,
// nested method specs recursively. Throws ParamError; an unknown key names the closest declared
// one ("did you mean 'epochs'?").
void validateParams(const MethodDescriptor& method, const nlohmann::json& params);

// A fit's effective parameters as a request again: they keep a size request beside what it was
// solved into ("ratio": 2 and "rank": 3), and a request gives one of each oneOf group. The
// solved value (the method's ratio parameter) stays, else the first declared of the group.
nlohmann::json withoutSolvedRequests(const MethodDescriptor& method, nlohmann::json params);

// `params` with every declared default filled in (derived and required ones left absent).
nlohmann::json withDefaults(const MethodDescriptor& method, const nlohmann::json& params);

// A target's bytes and fit FLOPs under `params` (defaults filled in, a "ratio" request solved
// for the ratio parameter first); NaN where the method cannot say.
double estimateBytes(const MethodDescriptor& method, const nlohmann::json& params, const TargetShape& shape);
double estimateFitFlops(const MethodDescriptor& method, const nlohmann::json& params,
                        const TargetShape& shape);
// One target's decode step under `params` (defaults filled in, a "ratio" request solved at the
// shape's context length); every field NaN where the method declares no decode cost.
DecodeCost estimateDecodeCost(const MethodDescriptor& method, const nlohmann::json& params,
                              const DecodeShape& shape);

// The largest value of `method.ratioParam` in [its min, `maxValue`] whose bytes fit the ratio
// (raw float16 bytes / ratio), with the other parameters from `params`; nullopt when even the
// smallest value does not fit.
std::optional<std::int64_t> solveForRatio(const MethodDescriptor& method, const nlohmann::json& params,
                                          const TargetShape& shape, double ratio,
                                          std::int64_t maxValue);

// The closest of `candidates` to `word` by edit distance, "" when none is plausibly a typo.
std::string closestWord(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace kvwb::core
