// `quantscope export`: a fake-quantized checkpoint. Every selected tensor is
// quantized and dequantized in one format and written with its name and shape, so a
// user can load it in their framework and measure model accuracy. With --dequantize
// (issue #10) no format is applied: the logical tensors of a quantized checkpoint are
// written decoded (core/io/dequant_export.h).
#include "cli_support.h"
#include "commands.h"

#include "io/dequant_export.h"
#include "analysis/merge.h"
#include "analysis/assignment_io.h"
#include "analysis/compression_config.h"
#include "analysis/model_open.h"
#include "analysis/plan_file.h"
#include "compression/mixed.h"
#include "analysis/wq_run.h"
#include "io/safetensors_writer.h"
#include "io/selection.h"

#include <QCommandLineParser>

namespace {

// export --dequantize: selection as for -c, then the core writer.
struct ExportSelection {
    std::shared_ptr<qs::Model> model;
    std::vector<std::string> names;  // FILTER / --regex / --limit, integer tensors skipped
};

// The model and the tensors both export paths write.
qs::Result<ExportSelection> openSelection(const QCommandLineParser& p, int limit, CliProgress& progress)
{
    const QStringList pos = p.positionalArguments();
    auto model = qs::openModel(pos.first(), p.value("revision"), p.value("cache-dir"), &progress);
    if (!model) return model.error();
    auto names = qs::selectTensors((*model)->tensorNames(), pos.mid(1), p.value("regex"), limit, false,
                                   &(*model)->layoutTensorNames());
    if (!names) return names.error();
    if (auto kept = skipIntegerTensors(**model, *names, progress); !kept) return kept.error();
    return ExportSelection{std::move(*model), std::move(*names)};
}

int runDequantizeExport(const QCommandLineParser& p)
{
    if (p.isSet("c")) return usageError("export", "--dequantize writes the stored values; it takes no -c FORMAT");
    if (p.isSet("shard")) return usageError("export", "--shard is not available with --dequantize");
    const QString dtypeName = p.value("dtype").toLower();
    if (dtypeName != "f32" && dtypeName != "bf16")
        return usageError("export", "--dtype: expected f32 or bf16, got \"" + p.value("dtype") + "\"");
    auto limit = limitOption(p, 1, 0);  // 0: no limit
    if (!limit) return usageError("export", QString::fromStdString(limit.error().message));
    CliProgress progress;
    auto sel = openSelection(p, *limit, progress);
    if (!sel) return reportError(sel.error());
    const std::shared_ptr<qs::Model>& model = sel->model;
    const std::vector<std::string>* names = &sel->names;
    qs::DequantExportParams params;
    params.out = p.value("out");
    params.dtype = dtypeName == "f32" ? qs::DType::F32 : qs::DType::BF16;
    params.metadata = {{"format", "pt"},
                       {"quantscope_dequantized", "true"},
                       {"quantscope_source", model->provider().describe().toStdString()},
                       {"quantscope_version", QS_VERSION}};
    auto r = qs::exportDequantized(*model, *names, params, &progress);
    progress.finish();
    if (!r) return reportError(r.error());
    std::fprintf(stderr, "wrote %zu tensors (%zu decoded from a quantized layout, stored as %s) to %s\n", r->tensors,
                 r->decoded, dtypeName.toLocal8Bit().constData(), params.out.toLocal8Bit().constData());
    return 0;
}

} // namespace

int runExportCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Write the selected tensors after quantize-dequantize in one format (same names and shapes) to a\n"
        ".safetensors file: a fake-quantized checkpoint.\n\n"
        "With --dequantize instead of -c: the tensors as stored, decoded (the logical tensors of a quantized\n"
        "checkpoint such as gpt-oss MXFP4, NVFP4, FP8 blocks, GPTQ/AWQ/compressed-tensors INT4; plain tensors\n"
        "widened exactly), same names.\n\n"
        "Examples:\n  quantscope export ./my-model mlp -c bfp4 --out my-model-bfp4.safetensors --dtype bf16\n"
        "  quantscope export openai/gpt-oss-20b experts --dequantize --out experts-bf16.safetensors --dtype bf16");
    addHelp(p);
    p.addPositionalArgument("MODEL", "Hub repo id or URL, local folder, or .safetensors file.");
    p.addPositionalArgument("FILTER", "Optional filter words (as in wq).", "[FILTER...]");
    p.addOption({"revision", "Hub revision (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges.", "dir"});
    p.addOption({"regex", "Select tensors matching this regular expression.", "PATTERN"});
    p.addOption({"limit", "Keep the first N matched tensors.", "N"});
    p.addOption({{"c", "format"}, "The format to apply (exactly one).", "FORMAT"});
    p.addOption({"dequantize", "Apply no format: write the dequantized view of each tensor (quantized checkpoint "
                               "layouts decoded as their reference does, docs/CHECKPOINTS.md)."});
    p.addOption({"out", "Output .safetensors file.", "FILE"});
    p.addOption({"compression-config", "A plan file (plan.json of quantscope plan): each planned tensor in its planned "
                                       "format or tile assignment, instead of -c.", "PLAN"});
    p.addOption({"shard", "Export part K of N (K from 1 to N) of the selection, split by bytes to read, to "
                          "FILE-0000K-of-0000N.safetensors; 'quantscope merge' joins the parts into FILE. auto, auto/N: "
                          "as in wq (Slurm job arrays, Kubernetes Indexed Jobs).", "K/N|auto|auto/N"});
    p.addOption({"dtype", "Stored dtype of the output: f32 (default, exact) or bf16.", "f32|bf16", "f32"});
    addFormatOptionFlags(p);
    if (!p.parse(QStringList{"quantscope export"} + args)) return usageError("export", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope export"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.isEmpty()) return usageError("export", "missing MODEL");
    if (!p.isSet("out")) return usageError("export", "missing --out FILE.safetensors");
    if (!p.value("out").endsWith(".safetensors"))
        return usageError("export", "--out: expected a file name ending in .safetensors, got \"" + p.value("out") + "\"");
    if (p.isSet("dequantize")) {
        if (p.isSet("compression-config")) return usageError("export", "give --dequantize or --compression-config PLAN, not both");
        return runDequantizeExport(p);
    }
    std::shared_ptr<const qs::PlanFile> plan;
    const QString planPath = p.value("compression-config");
    if (p.isSet("compression-config")) {
        if (p.isSet("c")) return usageError("export", "give -c FORMAT or --compression-config PLAN, not both");
        auto cfg = qs::loadCompressionConfig(planPath);
        if (!cfg) return reportError(cfg.error());
        if (!cfg->plan)
            return usageError("export", "--compression-config: " + planPath + " is not a plan file (algorithm \"plan\")");
        plan = cfg->plan;
    } else if (p.values("c").size() != 1) {
        return usageError("export", "give exactly one format with -c FORMAT (or --dequantize, or a plan with --compression-config)");
    }
    const qs::Format* format = nullptr;  // with a plan each tensor has its own
    std::vector<const qs::Format*> formatSet;
    if (!plan) {
        auto fmts = qs::resolveFormats(p.values("c"), {});
        if (!fmts) return reportError(fmts.error());
        if (fmts->size() != 1) return usageError("export", "-c must name one format, not a set");
        format = fmts->front();
        formatSet = *fmts;
    }
    const std::string label = plan ? std::string("plan") : std::string(format->name);
    const QString dtypeName = p.value("dtype").toLower();
    if (dtypeName != "f32" && dtypeName != "bf16")
        return usageError("export", "--dtype: expected f32 or bf16, got \"" + p.value("dtype") + "\"");
    const qs::DType dtype = dtypeName == "f32" ? qs::DType::F32 : qs::DType::BF16;
    auto opts = formatOptionsFrom(p);
    if (!opts) return reportError(opts.error());
    if (const std::string unused = plan ? std::string() : qs::unusedOptionMessage(*opts, formatSet); !unused.empty())
        return reportError(qs::Error::usage(unused));
    auto limit = limitOption(p, 1, 0);  // 0: no limit
    if (!limit) return usageError("export", QString::fromStdString(limit.error().message));

    std::optional<qs::ShardSpec> shardSpec;
    if (p.isSet("shard")) {
        auto spec = qs::parseShard(p.value("shard").toStdString());
        if (!spec) return usageError("export", QString::fromStdString(spec.error().message));
        shardSpec = *spec;
    }

    CliProgress progress;
    auto sel = openSelection(p, *limit, progress);
    if (!sel) return reportError(sel.error());
    const std::shared_ptr<qs::Model>& model = sel->model;
    std::vector<std::string>* const names = &sel->names;  // --shard cuts it to the part

    QString outPath = p.value("out");
    std::optional<qs::ShardRecord> shard;
    if (shardSpec) {
        shard = qs::cutSelection(*model, *names, *shardSpec, "export",
                                 {{"format", label}, {"dtype", dtypeName.toStdString()}},
                                 {"options " + qs::formatOptionFlags(*opts)});
        outPath = qs::exportShardPath(outPath, *shardSpec);
    }

    std::vector<qs::TensorSpec> specs;
    for (const auto& n : *names) {
        const qs::TensorInfo* t = model->find(n);
        specs.push_back({n, dtype, t ? t->shape : std::vector<int64_t>{}});
    }
    qs::SafetensorsMetadata meta = {{"format", "pt"},
                                    {"quantscope_format", label},
                                    {"quantscope_source", model->provider().describe().toStdString()},
                                    {"quantscope_version", QS_VERSION}};
    if (shard)
        for (auto& kv : qs::exportShardMetadata(*shard)) meta.push_back(std::move(kv));
    auto writer = qs::SafetensorsWriter::create(outPath, specs, meta);
    if (!writer) return reportError(writer.error());
    size_t notPlanned = 0;
    for (size_t i = 0; i < names->size(); ++i) {
        const std::string& n = (*names)[i];
        progress.phase("[" + std::to_string(i + 1) + "/" + std::to_string(names->size()) + "] " + n);
        if (progress.cancelled()) return reportError(qs::Error{"cancelled", 1});
        auto reader = model->reader(n, &progress);
        if (!reader) return reportError(reader.error());
        std::vector<float> x = (*reader)->readAll();
        if (!plan) {
            qs::quantizeDequantize(*format, x.data(), x.data(), (*reader)->rows(), (*reader)->cols(), *opts);
        } else if (const qs::PlanChoice* c = plan->find(n); !c) {
            ++notPlanned;  // written unchanged (said below)
        } else if (c->format != "mixed") {
            qs::quantizeDequantize(*qs::findFormat(c->format), x.data(), x.data(), (*reader)->rows(), (*reader)->cols(), *opts);
        } else {
            auto npy = qs::readAssignmentNpy(qs::planAssignmentPath(planPath, *c));
            if (!npy) return reportError(npy.error());
            std::vector<const qs::Format*> cands;
            for (const std::string& f : c->candidates) cands.push_back(qs::findFormat(f));
            auto y = qs::reconstructMixed(x.data(), (*reader)->info().shape, npy->codes, cands, *opts, &progress);
            if (!y) return reportError(qs::Error::usage(qs::planAssignmentPath(planPath, *c).toStdString() + ": " + y.error().message));
            x = std::move(*y);
        }
        const std::vector<uint8_t> bytes = qs::encodeFloats(dtype, x);
        auto w = (*writer)->write(bytes.data(), bytes.size());
        if (!w) return reportError(w.error());
    }
    // A cancel that arrives during the last tensor must not replace the old file: the
    // writer's destructor removes the temporary file and leaves the target untouched.
    if (progress.cancelled()) return reportError(qs::Error{"cancelled", 1});
    auto c = (*writer)->commit();
    progress.finish();
    if (!c) return reportError(c.error());
    if (notPlanned)
        std::fprintf(stderr, "note: the plan has no choice for %zu of the %zu selected tensors; they are written unchanged\n",
                     notPlanned, names->size());
    std::fprintf(stderr, "wrote %zu tensors (%s, stored as %s) to %s%s\n", names->size(),
                 plan ? ("as planned by " + planPath.toStdString()).c_str() : label.c_str(),
                 dtypeName.toLocal8Bit().constData(), outPath.toLocal8Bit().constData(),
                 shard ? (" (shard " + shard->spec.text() + " of " + std::to_string(shard->selectionTensors) + " tensors)").c_str() : "");
    return 0;
}
