// Which text windows a job's model quality is measured on (issue 15, docs/QUALITY.md): W windows
// of a capture's text, each a compressed prefix followed by scored continuation tokens, with the
// greedy continuation length and the batch of windows run at once. Plain data; any thread.
//
//   WindowSpec w{.windows = 16, .continuation = 64};
//   windowStarts(textTokens, w, /*prefix*/ 448);  // {0, 512, 1024, ...}
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace kvwb::core {

struct WindowSpec {
  int windows = 16;       // at most this many (fewer when the text is shorter)
  int prefix = 0;         // compressed prefix tokens, BOS included; 0: the job's sequence length
  int continuation = 64;  // scored tokens per window
  int stride = 0;         // between window starts; 0: prefix + continuation (no overlap)
  int first = 0;          // the first window's start: the text before it is held out (what an
                          // allocation was chosen on, docs/ALLOCATION.md)
  int greedy = 32;        // greedy continuation tokens compared with the exact cache's (0: none)
  int batch = 8;          // windows run through the model and fitted at once (memory bound)
  bool perTarget = false; // also each target's statistics, only it compressed (one pass each)
  std::uint64_t bootstrapSeed = 0;
};

// Start offsets into `textTokens` ids (BOS at 0) of the windows: the first at `first`, then every
// `stride`, each holding prefix + max(continuation, greedy) tokens (a window after the first gets
// its own BOS in place of the text's token at its start, as the extractor makes captures).
std::vector<int> windowStarts(int textTokens, const WindowSpec& spec, int prefix);

// The spec's `metrics.quality` object (keys windows, prefix, continuation, stride, first, greedy,
// batch, seed, per_target; each optional) over the defaults; throws std::invalid_argument naming the key for an
// unknown key, a wrong type or a value out of range.
WindowSpec parseWindowSpec(const nlohmann::json& quality);
// Every field, for job keys and stored baselines (`first` only when it is not 0).
nlohmann::json toJson(const WindowSpec& spec);

}  // namespace kvwb::core
