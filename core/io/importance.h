#pragma once
// Importance matrices (issue #18; docs/IMPORTANCE.md): per weight, the mean squared input
// activation E[x²] of each input column (one row of it per matrix: one, or one per expert
// of a merged MoE tensor). Three file formats, one reader each, one result:
//   - llama.cpp's GGUF imatrix (general.type "imatrix"; NAME.in_sum2 [n_in, n_mat] and
//     NAME.counts [1, n_mat], F32): E[x²] = in_sum2 / count; a count of 0 = no data;
//   - llama.cpp's legacy .dat (int32 entry count; per entry name, ncall, nval, float
//     values = E[x²]·ncall; then the last chunk and the dataset name); an expert the
//     writer saw no data for is stored as all ones, which is flagged;
//   - QuantScope's own .safetensors: F32 tensors named like the model's weights, [n_in]
//     or [n_experts, n_in] of E[x²] (what `quantscope importance --out` writes).
// Untrusted input: every count, length and value is checked, and a bad file is an error
// naming the file and the entry (exit 2), never a crash.
#include "common/result.h"
#include "io/file_provider.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qs {

struct ImportanceEntry {
    std::string name;                // as stored (llama.cpp names for imatrix files)
    int64_t nIn = 0;                 // input columns
    int64_t nMat = 1;                // matrices (experts); rows of ex2
    std::vector<double> ex2;         // nMat x nIn, E[x²]; NaN for a matrix without data
    std::vector<double> counts;      // per matrix: rows accumulated (GGUF), ncall (.dat), 1 (ours)
    std::vector<bool> noData;        // per matrix: count 0 (GGUF) or all ones (.dat convention)
};

struct ImportanceFile {
    std::string format;              // "gguf-imatrix", "legacy-dat" or "safetensors"
    std::vector<std::string> datasets;
    int64_t chunkCount = -1, chunkSize = -1;  // -1: not recorded
    std::vector<ImportanceEntry> entries;
    const ImportanceEntry* find(const std::string& name) const;
};

// Detects the format (GGUF magic, a .safetensors name, else legacy .dat) and reads the
// local file at `path`.
Result<ImportanceFile> readImportance(const QString& path);
// GGUF imatrix and legacy .dat through any provider (ranged reads; e.g. a Hub repo).
Result<ImportanceFile> readImportance(FileProvider& provider, const QString& path);

// A legacy .dat entry holds n_in x n_experts values in one row; once the weight's input
// width is known it is split into matrices, and a matrix of exact ones (the writer's
// convention for an expert without data) is flagged as such. Error when nIn does not
// divide the entry.
Result<void> splitMatrices(ImportanceEntry& e, int64_t nIn, bool legacyOnes);

// Statistics of one matrix's E[x²] for `quantscope importance`: mean, max/mean, and the
// share of the total in the top 1 % of channels (at least one channel).
struct ImportanceStats {
    double mean = 0, maxOverMean = 0, top1Share = 0;
};
ImportanceStats importanceStats(const double* ex2, int64_t n);

} // namespace qs
