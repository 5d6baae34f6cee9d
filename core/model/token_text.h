// Tokens as they read in a text, one at a time: what a token adds after the tokens before it (its
// leading space included, which decoding it alone would lose). Shared by the damage and keep-map
// reports (core/sweep/job_damage.h, job_keep_map.h). Std-typed; any thread.
//
//   tokenText(tokenizer, {ids[8], ..., ids[16]});   // " happy": what ids[16] adds
//   tokenTexts(tokenizer, ids);                     // every position's token
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/model/tokenizer.h"

namespace kvwb::core {

// What `ids.back()` adds to the text after the ids before it; `ids` must not be empty.
std::string tokenText(const Tokenizer& tokenizer, std::vector<int> ids);

// Every token of `ids` as tokenText reads it after up to `join` tokens before it; a token that
// decodes to nothing (a special one such as BOS) as its vocabulary piece ("<s>").
std::vector<std::string> tokenTexts(const Tokenizer& tokenizer, const std::vector<int>& ids,
                                    std::size_t join = 8);

}  // namespace kvwb::core
