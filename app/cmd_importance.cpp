// `quantscope importance FILE [--model MODEL] [--out F.safetensors]`: what an importance
// matrix holds (docs/IMPORTANCE.md) — its format, datasets and chunks, then per entry the
// name, input width, matrices, counts and the statistics of E[x²] (mean, max/mean, share
// of the energy in the top 1 % of channels). Matrices without data are named, never
// averaged in. With --model the entries are bound to the model's tensors through the
// architecture's name table (core/io/importance_map.h): each entry's tensors, the entries
// no tensor took and the weights no entry covers are printed; --out then writes the
// importance under the model's names as QuantScope's own .safetensors.
#include "cli_support.h"
#include "commands.h"

#include "analysis/model_open.h"
#include "common/escape.h"
#include "io/importance.h"
#include "io/importance_map.h"
#include "io/safetensors_writer.h"

#include <QCommandLineParser>
#include <QFileInfo>

#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace {

std::string num(double v, int prec = 4)
{
    if (std::isnan(v)) return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    return buf;
}

std::string safe(const std::string& s) { return qs::escapeControl(s); }

std::string fileSummary(const qs::ImportanceFile& file)
{
    std::string out = "format: " + file.format + "\n";
    if (!file.datasets.empty()) {
        out += "datasets:";
        for (const std::string& d : file.datasets) out.append(" ").append(safe(d));
        out += "\n";
    }
    if (file.chunkCount >= 0) out += "chunks: " + std::to_string(file.chunkCount);
    if (file.chunkSize >= 0) out.append(" of ").append(std::to_string(file.chunkSize)).append(" tokens");
    if (file.chunkCount >= 0) out += "\n";
    out += "entries: " + std::to_string(file.entries.size()) + "\n";
    return out;
}

// One line per entry: width, matrices, counts and E[x²] statistics over the matrices with
// data (experts pooled); *noData gets the matrices without data.
std::string entryLine(const qs::ImportanceEntry& e, int* noDataOut)
{
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
    *noDataOut = noData;
    const qs::ImportanceStats s = qs::importanceStats(pooled.data(), int64_t(pooled.size()));
    const std::string counts = std::isinf(cmin) ? "-" : cmin == cmax ? num(cmin, 6) : num(cmin, 6) + "-" + num(cmax, 6);
    char line[512];
    std::snprintf(line, sizeof line, "%-44s %7lld %5lld %10s %10s %9s %7s%%%s\n", safe(e.name).c_str(), (long long)e.nIn,
                  (long long)e.nMat, counts.c_str(), num(s.mean).c_str(), num(s.maxOverMean).c_str(),
                  num(100.0 * s.top1Share, 3).c_str(),
                  noData ? ("  [" + std::to_string(noData) + " without data]").c_str() : "");
    return line;
}

std::string bindingLine(const qs::ImportanceBinding& b)
{
    std::string s = "    -> " + safe(b.tensor);
    std::vector<std::string> tags;
    if (b.matrix >= 0) tags.push_back("matrix " + std::to_string(b.matrix));
    if (b.inputAxis != -1) tags.push_back("input axis " + std::to_string(b.inputAxis));
    if (b.error.empty() && b.matrix >= 0 && b.entry->noData[size_t(b.matrix)]) tags.push_back("no data");
    if (!b.error.empty()) tags.push_back("unusable, see below");
    for (size_t i = 0; i < tags.size(); ++i) s += (i ? ", " : "  [") + tags[i];
    return s + (tags.empty() ? "" : "]") + "\n";
}

// Why a weight commonly has no entry (printed next to it).
std::string withoutEntryHint(const std::string& name)
{
    const std::string_view n(name);
    if (n.ends_with("embed_tokens.weight"))
        return "  (an embedding lookup: llama.cpp collects no importance for it)";
    if (n.ends_with("kv_b_proj.weight"))
        return "  (llama.cpp uses it split as attn_k_b / attn_v_b, which cannot be bound; docs/IMPORTANCE.md)";
    return "";
}

// Writes the bound importance under the model's names (docs/IMPORTANCE.md §4): F32 [n_in]
// per tensor that takes one matrix, [n_mat, n_in] per stacked/fused tensor (a NaN row for
// a matrix without data). A tensor whose only matrix has no data, and a tensor whose
// binding is unusable, is not written: *skipped names each with the reason.
qs::Result<size_t> writeOwn(const QString& path, const qs::ImportanceFile& file, const qs::ImportanceIndex& index,
                            const QString& source, std::vector<std::string>* skipped, size_t* nanRows)
{
    std::vector<qs::TensorSpec> specs;
    std::vector<std::vector<float>> data;
    *nanRows = 0;
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (const qs::ImportanceBinding& b : index.bindings) {
        if (!b.error.empty()) {
            skipped->push_back(b.tensor + ": " + b.error);
            continue;
        }
        const qs::ImportanceEntry& e = *b.entry;
        const int64_t m0 = b.matrix >= 0 ? b.matrix : 0, nm = b.matrix >= 0 ? 1 : e.nMat;
        if (nm == 1 && e.noData[size_t(m0)]) {
            skipped->push_back(b.tensor + ": " + (b.matrix >= 0 ? "expert " + std::to_string(b.matrix) + " of " : std::string()) +
                               "\"" + e.name + "\" saw no calibration data (count 0)");
            continue;
        }
        std::vector<float> v(size_t(nm * e.nIn));
        for (int64_t m = 0; m < nm; ++m) {
            const bool none = e.noData[size_t(m0 + m)];
            *nanRows += none ? 1 : 0;
            for (int64_t i = 0; i < e.nIn; ++i)
                v[size_t(m * e.nIn + i)] = none ? nan : float(e.ex2[size_t((m0 + m) * e.nIn + i)]);
        }
        specs.push_back({b.tensor, qs::DType::F32, nm == 1 ? std::vector<int64_t>{e.nIn} : std::vector<int64_t>{nm, e.nIn}});
        data.push_back(std::move(v));
    }
    if (specs.empty()) return size_t(0);
    std::string datasets;
    for (size_t i = 0; i < file.datasets.size(); ++i) datasets += (i ? ", " : "") + file.datasets[i];
    const qs::SafetensorsMetadata meta = {
        {"architecture", index.architecture},
        {"chunk_count", std::to_string(file.chunkCount)},
        {"content", "E[x^2] per input column: F32 [n_in] or [n_experts, n_in]; a whole NaN row = no data"},
        {"datasets", datasets},
        {"name_table", index.table},
        {"source", QFileInfo(source).fileName().toStdString()},
        {"source_format", file.format},
    };
    auto w = qs::SafetensorsWriter::create(path, specs, meta);
    if (!w) return w.error();
    for (const std::vector<float>& v : data)
        if (auto r = (*w)->write(v.data(), v.size() * sizeof(float)); !r) return r.error();
    if (auto r = (*w)->commit(); !r) return r.error();
    return specs.size();
}

} // namespace

int runImportanceCommand(const QStringList& args)
{
    QCommandLineParser p;
    QString tables;
    for (const std::string& t : qs::importanceTableNames()) tables += "\n  " + QString::fromStdString(t);
    p.setApplicationDescription(
        "Read an importance matrix (per input channel mean squared activation E[x^2]) and print what it holds:\n"
        "llama.cpp's GGUF imatrix (NAME.in_sum2 / NAME.counts), its legacy .dat, or QuantScope's .safetensors\n"
        "(F32 [n_in] or [n_experts, n_in] per weight). Per entry: input width, matrices (experts), counts, and\n"
        "E[x^2]'s mean, max/mean and the share of its total in the top 1 % of channels. A legacy .dat keeps\n"
        "experts in one row; they are split once a model gives the input width.\n\n"
        "With --model, llama.cpp names (blk.3.ffn_down_exps.weight) are mapped to the model's names\n"
        "(model.layers.3.mlp.experts.E.down_proj.weight) through the name table of its config.json\n"
        "architecture; each entry's tensors are listed, then the entries no tensor took and the model's weights\n"
        "without an entry. --out writes the importance under the model's names as QuantScope's .safetensors.\n"
        "Name tables (config.json \"architectures\" or \"model_type\"; any other uses every table's rows):" +
        tables +
        "\n\nExamples:\n  quantscope importance imatrix.gguf\n"
        "  quantscope importance imatrix.gguf --model Qwen/Qwen3-30B-A3B --out qwen3-imp.safetensors");
    addHelp(p);
    p.addPositionalArgument("FILE", "The importance file (.gguf, .dat or .safetensors).");
    p.addOption({"model", "Bind the entries to this model's tensors (Hub repo id or URL, local folder, or .safetensors file).",
                 "MODEL"});
    p.addOption({"revision", "Hub revision of --model (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges.", "dir"});
    p.addOption({"out", "Write the bound importance as QuantScope's .safetensors (needs --model).", "F.safetensors"});
    if (!p.parse(QStringList{"quantscope importance"} + args)) return usageError("importance", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope importance"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 1) return usageError("importance", "expected one FILE");
    const QString outPath = p.value("out");
    if (p.isSet("out") && !p.isSet("model"))
        return usageError("importance", "--out needs --model: the file is written under the model's tensor names, which "
                                        "only the model's architecture maps llama.cpp names to");
    if (p.isSet("out") && !outPath.endsWith(".safetensors", Qt::CaseInsensitive))
        return usageError("importance", "--out " + outPath + ": the name must end in .safetensors (how the file is recognised when read)");
    auto file = qs::readImportance(pos[0]);
    if (!file) return reportError(file.error());

    std::shared_ptr<qs::Model> model;
    qs::ImportanceIndex index;
    if (p.isSet("model")) {
        CliProgress progress;
        auto opened = qs::openModel(p.value("model"), p.value("revision"), p.value("cache-dir"), &progress);
        progress.finish();
        if (!opened) return reportError(opened.error());
        model = *opened;
        auto bound = qs::bindImportance(*file, model->config(), model->tensors());
        if (!bound) return reportError(bound.error());
        index = std::move(*bound);
    }

    std::string out = fileSummary(*file);
    std::vector<const qs::ImportanceBinding*> unusable;
    std::map<const qs::ImportanceEntry*, std::vector<const qs::ImportanceBinding*>> byEntry;
    if (model) {
        for (const qs::ImportanceBinding& b : index.bindings) {
            byEntry[b.entry].push_back(&b);
            if (!b.error.empty()) unusable.push_back(&b);
        }
        out += "model: " + safe(model->provider().describe().toStdString()) + " (architecture " +
               (index.architecture.empty() ? std::string("not named") : safe(index.architecture)) + ", name table " +
               index.table + ")\n";
        if (!index.note.empty()) out += "note: " + safe(index.note) + "\n";
        out += "bound: " + std::to_string(index.bindings.size()) + " tensors (" + std::to_string(unusable.size()) +
               " unusable), entries unmapped: " + std::to_string(index.unmappedEntries.size()) +
               ", weights without an entry: " + std::to_string(index.weightsWithoutEntry.size()) + "\n";
    }
    out += "\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-44s %7s %5s %10s %10s %9s %8s\n", "ENTRY", "N_IN", "MATS", "COUNTS", "MEAN E[x2]",
                  "MAX/MEAN", "TOP 1%");
    out += line;
    int noDataTotal = 0;
    for (const qs::ImportanceEntry& e : file->entries) {
        int noData = 0;
        out += entryLine(e, &noData);
        noDataTotal += noData;
        if (!model) continue;
        auto it = byEntry.find(&e);
        if (it == byEntry.end()) {
            out += "    -> unmapped\n";
            continue;
        }
        // Many expert tensors: the first two, how many more, the last.
        const auto& bs = it->second;
        for (size_t i = 0; i < bs.size(); ++i) {
            if (bs.size() > 5 && i == 2) {
                out += "    -> ... " + std::to_string(bs.size() - 3) + " more\n";
                i = bs.size() - 2;
                continue;
            }
            out += bindingLine(*bs[i]);
        }
    }
    if (noDataTotal)
        out += "\nnote: " + std::to_string(noDataTotal) +
               " matrices (experts) saw no calibration data (count 0); they get no weighted metric\n";
    if (model) {
        out += "\nunmapped entries: " + std::to_string(index.unmappedEntries.size()) + "\n";
        for (size_t i = 0; i < index.unmappedEntries.size(); ++i)
            out += "  " + safe(index.unmappedEntries[i]) + ": " + safe(index.unmappedReasons[i]) + "\n";
        out += "weights without an entry: " + std::to_string(index.weightsWithoutEntry.size()) + "\n";
        for (const std::string& w : index.weightsWithoutEntry) out += "  " + safe(w) + withoutEntryHint(w) + "\n";
        if (!unusable.empty()) {
            out += "tensors that cannot use their entry: " + std::to_string(unusable.size()) + "\n";
            for (const qs::ImportanceBinding* b : unusable) out += "  " + safe(b->error) + "\n";
        }
    }
    printOut(out);

    if (p.isSet("out")) {
        std::vector<std::string> skipped;
        size_t nanRows = 0;
        auto written = writeOwn(outPath, *file, index, pos[0], &skipped, &nanRows);
        if (!written) return reportError(written.error());
        if (*written == 0)
            return reportError(qs::Error::model("--out " + outPath.toStdString() + ": nothing to write: no entry of " +
                                                pos[0].toStdString() + " binds usably to a tensor of " +
                                                p.value("model").toStdString() + " (nothing was written)"));
        std::string w = "\nwrote " + safe(outPath.toStdString()) + ": " + std::to_string(*written) + " tensors (F32 E[x^2])";
        if (nanRows) w += ", " + std::to_string(nanRows) + " matrices without data as NaN rows";
        w += "\n";
        if (!skipped.empty()) {
            w += "not written: " + std::to_string(skipped.size()) + "\n";
            for (const std::string& s : skipped) w += "  " + safe(s) + "\n";
        }
        printOut(w);
    }
    return 0;
}
