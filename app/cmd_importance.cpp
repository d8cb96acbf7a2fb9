// `quantscope importance FILE`: what an importance matrix holds (docs/IMPORTANCE.md) —
// its format, datasets and chunks, then per entry the name, input width, matrices,
// counts and the statistics of E[x²] (mean, max/mean, share of the energy in the top 1 %
// of channels). Matrices without data are named, never averaged in.
#include "cli_support.h"
#include "commands.h"

#include "common/escape.h"
#include "io/importance.h"

#include <QCommandLineParser>

#include <cmath>
#include <cstdio>

namespace {

std::string num(double v, int prec = 4)
{
    if (std::isnan(v)) return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    return buf;
}

} // namespace

int runImportanceCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Read an importance matrix (per input channel mean squared activation E[x^2]) and print what it holds:\n"
        "llama.cpp's GGUF imatrix (NAME.in_sum2 / NAME.counts), its legacy .dat, or QuantScope's .safetensors\n"
        "(F32 [n_in] or [n_experts, n_in] per weight). Per entry: input width, matrices (experts), counts, and\n"
        "E[x^2]'s mean, max/mean and the share of its total in the top 1 % of channels. A legacy .dat keeps\n"
        "experts in one row; they are split once a model gives the input width.\n\n"
        "Example:\n  quantscope importance imatrix.gguf");
    addHelp(p);
    p.addPositionalArgument("FILE", "The importance file (.gguf, .dat or .safetensors).");
    if (!p.parse(QStringList{"quantscope importance"} + args)) return usageError("importance", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope importance"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 1) return usageError("importance", "expected one FILE");
    auto file = qs::readImportance(pos[0]);
    if (!file) return reportError(file.error());

    std::string out = "format: " + file->format + "\n";
    if (!file->datasets.empty()) {
        out += "datasets:";
        for (const std::string& d : file->datasets) out += " " + qs::escapeControl(d);
        out += "\n";
    }
    if (file->chunkCount >= 0) out += "chunks: " + std::to_string(file->chunkCount);
    if (file->chunkSize >= 0) out += " of " + std::to_string(file->chunkSize) + " tokens";
    if (file->chunkCount >= 0) out += "\n";
    out += "entries: " + std::to_string(file->entries.size()) + "\n\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-44s %7s %5s %10s %10s %9s %8s\n", "ENTRY", "N_IN", "MATS", "COUNTS", "MEAN E[x2]",
                  "MAX/MEAN", "TOP 1%");
    out += line;
    int noDataTotal = 0;
    for (const qs::ImportanceEntry& e : file->entries) {
        // Over the matrices with data: mean of the per-matrix statistics' inputs.
        double cmin = INFINITY, cmax = 0;
        int noData = 0;
        std::vector<double> pooled;
        for (int64_t m = 0; m < e.nMat; ++m) {
            if (e.noData[size_t(m)]) {
                ++noData;
                continue;
            }
            cmin = std::min(cmin, e.counts[size_t(m)]);
            cmax = std::max(cmax, e.counts[size_t(m)]);
            pooled.insert(pooled.end(), e.ex2.begin() + m * e.nIn, e.ex2.begin() + (m + 1) * e.nIn);
        }
        noDataTotal += noData;
        // Statistics over the channels of every matrix with data (experts pooled).
        const qs::ImportanceStats s = qs::importanceStats(pooled.data(), int64_t(pooled.size()));
        const std::string counts = std::isinf(cmin) ? "-" : cmin == cmax ? num(cmin, 6) : num(cmin, 6) + "-" + num(cmax, 6);
        std::snprintf(line, sizeof line, "%-44s %7lld %5lld %10s %10s %9s %7s%%%s\n", qs::escapeControl(e.name).c_str(),
                      (long long)e.nIn, (long long)e.nMat, counts.c_str(), num(s.mean).c_str(), num(s.maxOverMean).c_str(),
                      num(100.0 * s.top1Share, 3).c_str(),
                      noData ? ("  [" + std::to_string(noData) + " without data]").c_str() : "");
        out += line;
    }
    if (noDataTotal)
        out += "\nnote: " + std::to_string(noDataTotal) +
               " matrices (experts) saw no calibration data (count 0); they get no weighted metric\n";
    printOut(out);
    return 0;
}
