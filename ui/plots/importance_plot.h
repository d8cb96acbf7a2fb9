#pragma once
// The Importance panel (issue #18): E[x²] of every input channel of the selected
// tensor, from the importance file bound to the model — the matrix the tensor takes (one
// expert's of a merged llama.cpp entry), or the chosen expert of a stacked [E, out, in]
// tensor — on a log scale, the top channels marked and labelled with their index and
// value, the mean as a dashed line (no legend over the data). importancePanel() decides what the panel shows (the
// data, or why there is none: no file, no entry, 1-D, an expert without data, a width
// mismatch); buildImportancePlot() draws it on a fresh QCustomPlot like every builder.
#include "analysis/importance_run.h"
#include "io/model.h"

#include <QString>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

class QCustomPlot;

namespace qs {

struct ImportancePlotData {
    std::string title;          // the tensor
    std::string subtitle;       // the entry and matrix the values come from
    std::vector<double> ex2;    // E[x²] per input channel (x = channel index)
    int topCount = 8;           // channels marked and labelled
    std::string note;           // under the plot (channels at 0, why no weighted metrics)
};

// The channels with the largest E[x²], largest first (ties: lower index first).
std::vector<int64_t> topChannels(const std::vector<double>& ex2, int count);

struct ImportancePanel {
    std::optional<ImportancePlotData> plot;  // set: draw it
    QString message;                          // no plot: why (the empty state)
    int64_t experts = 0;                      // > 1: offer an expert selector with this many
    int64_t expert = 0;                       // the expert shown (clamped)
};

// imp == nullptr: no file loaded. expert: the selector's value for a stacked tensor.
ImportancePanel importancePanel(const RunImportance* imp, const TensorInfo& tensor, int64_t expert);

void buildImportancePlot(QCustomPlot* plot, const ImportancePlotData& data);

} // namespace qs
