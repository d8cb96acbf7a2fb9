// `quantscope reconstruct MODEL TENSOR ASSIGNMENT.npy [--assignment-mapping JSON]
// [--out FILE]` (WQ.md §5): re-applies a saved mixed-tile assignment to a tensor and
// writes the reconstruction (.npy or .safetensors), bit-identical to the MIXED tensor of
// the run that wrote the assignment (same format options).
#include "cli_support.h"
#include "commands.h"

#include "common/escape.h"

#include "analysis/assignment_io.h"
#include "analysis/model_open.h"
#include "analysis/wq_run.h"
#include "compression/mixed.h"
#include "io/safetensors_writer.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

#include <cmath>
#include <cstdio>

namespace {

// The one place a MODEL argument becomes a Model (a Hub id/URL or a local path).
qs::Result<std::shared_ptr<qs::Model>> openModelArg(const QCommandLineParser& p, const QString& model, qs::Progress* progress)
{
    return qs::openModel(model, p.value("revision"), p.value("cache-dir"), progress);
}

// <dir>/<name>_assignment.npy -> <dir>/<name>_assignment_mapping.json; else <base>_mapping.json.
QString defaultMappingPath(const QString& npy)
{
    QString base = npy;
    if (base.endsWith(".npy", Qt::CaseInsensitive)) base.chop(4);
    return base + "_mapping.json";
}

qs::Result<void> writeOutput(const QString& path, const std::string& tensor, const std::vector<int64_t>& shape,
                             const std::vector<float>& y)
{
    if (path.endsWith(".npy", Qt::CaseInsensitive)) return qs::writeFloatNpy(path, y.data(), shape);
    if (path.endsWith(".safetensors", Qt::CaseInsensitive)) {
        const QFileInfo info(path);
        if (!QDir().mkpath(info.absolutePath())) return qs::Error::model(path.toStdString() + ": cannot create the folder");
        auto w = qs::SafetensorsWriter::create(path, {{tensor, qs::DType::F32, shape}},
                                               {{"producer", "quantscope reconstruct"}});
        if (!w) return w.error();
        QS_TRY((*w)->write(y.data(), y.size() * sizeof(float)));
        return (*w)->commit();
    }
    return qs::Error::usage("--out " + path.toStdString() + ": expected a .npy or .safetensors file name");
}

std::string fmtNum(const char* f, double v)
{
    if (std::isnan(v)) return "n/a";  // an undefined metric (e.g. PCC of a constant tensor)
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

} // namespace

int runReconstructCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Re-apply a saved mixed-tile assignment (the <slug>_assignment.npy a mixed-tile `wq` run wrote) to a tensor\n"
        "and write the reconstructed tensor. The result equals the run's MIXED tensor bit for bit: the mapping\n"
        "file records the run's format options (option flags are needed only for mappings without them, and\n"
        "a flag that contradicts the recorded value is refused). Each 32x32 tile takes its values from its format applied to the whole tensor;\n"
        "code -1 keeps the tile in fp32.\n\n"
        "Example:\n"
        "  quantscope reconstruct deepseek-ai/DeepSeek-R1 model.layers.0.mlp.down_proj.weight \\\n"
        "    results/deepseek-ai__DeepSeek-R1/mixed-tile-greedy/20260101-120000/mixed_tile_greedy/"
        "model.layers.0.mlp.down_proj.weight_assignment.npy --out down_proj_mixed.safetensors");
    addHelp(p);
    p.addPositionalArgument("MODEL", "Hub repo id or URL, local folder, or .safetensors file.");
    p.addPositionalArgument("TENSOR", "The tensor's full name.");
    p.addPositionalArgument("ASSIGNMENT", "The saved assignment (.npy, int8, tiles_h x tiles_w).");
    p.addOption({"assignment-mapping", "Code-to-format mapping JSON (default: ASSIGNMENT with .npy replaced by "
                                       "_mapping.json, i.e. <slug>_assignment_mapping.json).", "JSON"});
    p.addOption({"out", "Output file, .npy or .safetensors (default: <slug>_mixed.npy in the current folder).", "FILE"});
    p.addOption({"revision", "Hub revision (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges.", "dir"});
    addFormatOptionFlags(p);
    if (!p.parse(QStringList{"quantscope reconstruct"} + args)) return usageError("reconstruct", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope reconstruct"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.size() != 3) return usageError("reconstruct", "expected MODEL TENSOR ASSIGNMENT.npy");
    auto options = formatOptionsFrom(p);
    if (!options) return reportError(options.error());
    const qs::FormatOptions givenOptions = *options;
    const std::string tensorName = pos[1].toStdString();
    const QString npyPath = pos[2];
    const QString mappingPath = p.isSet("assignment-mapping") ? p.value("assignment-mapping") : defaultMappingPath(npyPath);
    const QString outPath = p.isSet("out") ? p.value("out") : QString::fromStdString(qs::slugify(tensorName) + "_mixed.npy");
    if (!outPath.endsWith(".npy", Qt::CaseInsensitive) && !outPath.endsWith(".safetensors", Qt::CaseInsensitive))
        return reportError(qs::Error::usage("--out " + outPath.toStdString() + ": expected a .npy or .safetensors file name"));

    // User files first: cheap to check, and they fail with exit status 1.
    auto assignment = qs::readAssignmentNpy(npyPath);
    if (!assignment) return reportError(assignment.error());
    auto mapping = qs::readAssignmentMapping(mappingPath);
    if (!mapping) return reportError(mapping.error());
    if (mapping->options) {  // the run's options: flags may repeat them, never contradict them
        const auto recorded = qs::formatOptionValues(*mapping->options), given = qs::formatOptionValues(*options);
        for (size_t i = 0; i < recorded.size(); ++i) {
            const std::string& name = recorded[i].first;
            if (p.isSet(QString::fromStdString(name)) && recorded[i].second != given[i].second)
                return reportError(qs::Error::usage(mappingPath.toStdString() + ": the assignment was made with --" + name +
                                                    " " + recorded[i].second + ", but --" + name + " " + given[i].second +
                                                    " was given"));
        }
        *options = *mapping->options;
    }
    if (!mapping->tensor.empty() && mapping->tensor != tensorName)
        return reportError(qs::Error::usage(mappingPath.toStdString() + ": the assignment is for tensor \"" + mapping->tensor +
                                            "\", not \"" + tensorName + "\""));
    if (mapping->tilesH >= 0 && (mapping->tilesH != assignment->tilesH || mapping->tilesW != assignment->tilesW))
        return reportError(qs::Error::usage(mappingPath.toStdString() + ": assignment_shape [" + std::to_string(mapping->tilesH) +
                                            ", " + std::to_string(mapping->tilesW) + "] does not match " +
                                            npyPath.toStdString() + " (" + std::to_string(assignment->tilesH) + ", " +
                                            std::to_string(assignment->tilesW) + ")"));
    std::vector<const qs::Format*> candidates;
    for (const std::string& n : mapping->formats) candidates.push_back(qs::findFormat(n));
    if (const std::string unused = qs::unusedOptionMessage(givenOptions, candidates); !unused.empty())
        return reportError(qs::Error::usage(unused));
    for (size_t t = 0; t < assignment->codes.size(); ++t) {
        const int code = assignment->codes[t];
        if (code < -1 || code >= int(candidates.size()))
            return reportError(qs::Error::usage(npyPath.toStdString() + ": tile " + std::to_string(t) + " has code " +
                                                std::to_string(code) + ", but " + mappingPath.toStdString() + " maps only -1.." +
                                                std::to_string(int(candidates.size()) - 1)));
    }

    CliProgress progress;
    auto model = openModelArg(p, pos[0], &progress);
    if (!model) {
        progress.finish();
        return reportError(model.error());
    }
    const qs::TensorInfo* info = (*model)->find(tensorName);
    if (!info) {
        progress.finish();
        return reportError(qs::Error::usage("No tensor named \"" + tensorName + "\" in " + (*model)->provider().describe().toStdString() +
                                            " (see `quantscope list`)."));
    }
    const qs::TileGrid grid = qs::makeTileGrid(info->shape);
    if (grid.tilesH != assignment->tilesH || grid.tilesW != assignment->tilesW) {
        progress.finish();
        return reportError(qs::Error::usage(npyPath.toStdString() + ": assignment shape (" + std::to_string(assignment->tilesH) +
                                            ", " + std::to_string(assignment->tilesW) + ") does not match tensor " + tensorName +
                                            " of shape " + info->shapeString() + ", which has (" + std::to_string(grid.tilesH) +
                                            ", " + std::to_string(grid.tilesW) + ") tiles of 32x32"));
    }
    auto reader = (*model)->reader(tensorName, &progress);
    if (!reader) {
        progress.finish();
        return reportError(reader.error());
    }
    progress.phase("reconstructing " + tensorName);
    const std::vector<float> x = (*reader)->readAll();
    auto y = qs::reconstructMixed(x.data(), info->shape, assignment->codes, candidates, *options, &progress);
    progress.finish();
    if (!y) return reportError(y.error());
    auto written = writeOutput(outPath, tensorName, info->shape, *y);
    if (!written) return reportError(written.error());

    // Summary: tiles per format, bytes, and the reconstruction's metrics.
    std::vector<int64_t> counts(candidates.size(), 0);
    int64_t fp32Tiles = 0;
    for (int8_t c : assignment->codes) (c < 0 ? fp32Tiles : counts[size_t(c)])++;
    const qs::Metrics m = qs::computeMetrics(x.data(), y->data(), int64_t(x.size()));
    std::string out = qs::escapeControl(tensorName) + "  shape=" + info->shapeString() + "  tiles=" + std::to_string(grid.tilesH) + "x" +
                      std::to_string(grid.tilesW) + "\n  tiles:";
    for (size_t f = 0; f < candidates.size(); ++f) out += " " + std::string(candidates[f]->label) + "=" + std::to_string(counts[f]);
    if (fp32Tiles) out += " FP32=" + std::to_string(fp32Tiles);
    out += "\n  bytes=" + fmtNum("%.0f", qs::assignmentBytes(candidates, counts) + double(fp32Tiles) * qs::kTileElems * 4) +
           "  pcc=" + fmtNum("% .5f", m.pcc) + "  mae=" + fmtNum("%.3e", m.mae) + "  atol=" + fmtNum("%.3e", m.atol) +
           "\n  wrote " + QDir::toNativeSeparators(outPath).toStdString() + "\n";
    printOut(out);
    return 0;
}
