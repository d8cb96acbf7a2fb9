#pragma once
// Tensor selection (WQ.md §1): natural ordering of tensor names and the filter rules of
// `wq REPO [FILTER...] [--regex P] [--limit N]`.
//
// * Without FILTER, --regex or --all: the original's default, names containing "weight"
//   (case-insensitive) and not ending in "_scale_inv", or all names if there are none.
// * A FILTER or --regex selects among ALL tensors (issue #9: the original applied them
//   inside the "weight" candidates, so `--regex .` picked 53 of 189): a FILTER (or
//   --all) skips FP8 "_scale_inv" scales, which belong to their weight, unless
//   nothing else matches; --regex alone may select them too. --all: every tensor. Filter words are joined with one
//   space and trimmed; empty = no filter. A query with a "." is a torch-style prefix:
//   query and name split on ".", empty query parts dropped, compared
//   case-insensitively component by component from the root ("model.layers.1" matches
//   "model.layers.1.mlp.w", not "model.layers.10.x"). Without a "." it is a
//   case-insensitive substring. With a query and a regex, a name must pass both.
// * layoutWeights (optional): logical tensors of quantized checkpoint layouts
//   (Model::layoutTensorNames()); they are default candidates whatever their names
//   (gpt-oss "...experts.gate_up_proj", issue #10).
// * Integer and bool tensors are not dropped here (names only): callers skip them with
//   a line saying how many (see Model::skipNonFloat).
// * Result sorted naturally ("layers.2" before "layers.10"); limit > 0 keeps the first
//   limit names (limit <= 0: all).
// Errors (exitCode 1): an invalid regex (named, with Qt's reason); nothing matched:
// `No tensors matched "<query>".`
#include "common/result.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qs {

// Natural order: runs of ASCII digits compare by numeric value (any length), other
// bytes compare byte-wise; equal-valued digit runs with different leading zeros are
// ordered by the shorter run first, so the order is total and strict.
bool naturalLess(std::string_view a, std::string_view b);
void naturalSort(std::vector<std::string>& names);

// The matching rules alone (no fallback, no error): does name match query?
// query must already be joined/trimmed and non-empty.
bool matchesQuery(const std::string& name, const QString& query);
// Is name a default candidate ("weight", not "_scale_inv")?
bool isDefaultCandidate(const std::string& name);

Result<std::vector<std::string>> selectTensors(const std::vector<std::string>& names,
                                               const QStringList& filterWords,
                                               const QString& regex = QString(), int64_t limit = 0,
                                               bool all = false,
                                               const std::vector<std::string>* layoutWeights = nullptr);
Result<std::vector<std::string>> selectTensors(const std::vector<std::string>& names,
                                               const std::vector<std::string>& filterWords,
                                               const std::string& regex = std::string(), int64_t limit = 0,
                                               bool all = false,
                                               const std::vector<std::string>* layoutWeights = nullptr);

} // namespace qs
