#pragma once
// Files of a mixed-tile run (WQ.md §5): the tile assignment as a NumPy .npy (format 1.0,
// int8 '|i1', C order, shape tiles_h x tiles_w, -1 = none/fp32), its mapping JSON
// (tile_hw, format_to_int, int_to_format, assignment_shape; keys sorted), the random
// algorithm's per-sample CSV, and float32 .npy for reconstructed tensors.
// Every file is written to a temporary name and renamed (QSaveFile). Readers validate
// everything (magic, version, header dict, dtype, order, shape, byte count, JSON types,
// format names) and fail with an Error naming the file and what was expected
// (exitCode 1: these are user inputs).
#include "common/result.h"
#include "formats/format.h"
#include "metrics/metrics.h"

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <string>
#include <optional>
#include <vector>

namespace qs {

// Writes bytes to path through a temporary file + rename; creates parent folders.
Result<void> writeFileAtomic(const QString& path, const QByteArray& bytes);

// The .npy v1.0 preamble exactly as NumPy 1.24's np.save writes it: magic, version,
// header length, the header dict, 21 - digits(shape[0]) spaces of growth room, then
// spaces so the data starts at a multiple of 64, ending in '\n'.
QByteArray npyPreamble(const std::string& descr, const std::vector<int64_t>& shape);

Result<void> writeAssignmentNpy(const QString& path, const std::vector<int8_t>& assignment, int64_t tilesH,
                                int64_t tilesW);
// A float32 tensor (little-endian '<f4') of the given shape.
Result<void> writeFloatNpy(const QString& path, const float* data, const std::vector<int64_t>& shape);

struct NpyAssignment {
    std::vector<int8_t> codes;  // row-major
    int64_t tilesH = 0, tilesW = 0;
};
// Accepts format versions 1.0 and 2.0, descr '|i1' / 'i1' / '<i1', fortran_order False,
// a 2-D shape (a 1-D shape (n,) is read as 1 x n), data of exactly h*w bytes.
Result<NpyAssignment> readAssignmentNpy(const QString& path);

// <slug>_assignment_mapping.json. The keys the original tool's
// reconstruct_mixed_tile_assignment.py reads, in its exact form: "tile_hw": 32,
// "format_to_int" {name: code}, "int_to_format" [name by code], "assignment_shape"
// [h, w]; code -1 (a tile left in float32) is in neither, "unassigned_code" says so.
// Beside them what reconstruct needs to reproduce the run alone: "format_options"
// (every option as formatOptionValues() writes it), "tensor", "tensor_shape", "tool",
// "version".
struct AssignmentMapping {
    std::vector<std::string> formats;     // code -> registry name (code = index)
    int64_t tilesH = -1, tilesW = -1;     // assignment_shape; -1 when absent
    std::string tensor;                   // empty when absent (e.g. the original's files)
    std::vector<int64_t> tensorShape;     // empty when absent
    std::optional<FormatOptions> options; // absent in files that do not record them
};
QByteArray assignmentMappingJson(const AssignmentMapping& mapping);
Result<void> writeAssignmentMapping(const QString& path, const AssignmentMapping& mapping);
// Reads int_to_format (a list, or our older {"code": name} object; format_to_int when
// it is missing); codes must be 0..n-1 without gaps, -1 may map to "none"; every name
// must be a registry format; format_options values must be valid.
Result<AssignmentMapping> readAssignmentMapping(const QString& path);

struct SampleRow {
    std::vector<int64_t> counts;  // per format, in formats order
    double bytes = 0;
    Metrics metrics;
};
// sample_id,<fmt>_tiles...,total_gb,pcc,mae,atol (total_gb = bytes / 1e9).
QByteArray randomSamplesCsv(const std::vector<std::string>& formats, const std::vector<SampleRow>& samples);
Result<void> writeRandomSamplesCsv(const QString& path, const std::vector<std::string>& formats,
                                   const std::vector<SampleRow>& samples);

} // namespace qs
