// `quantscope diff A B [FILTER...] [--emulate FORMAT] [--json]`: two checkpoints compared
// tensor by tensor. Parses into DiffParams and makes one core call (runDiff); prints
// each tensor as it is measured.
#include "cli_support.h"
#include "commands.h"

#include "analysis/diff.h"

#include <QCommandLineParser>

int runDiffCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "Compare two checkpoints: logical tensors paired by name, PCC/MAE/ATOL/RMSE/SQNR of B against A per tensor,\n"
        "the share of identical values, and a summary. Tensors on one side only and shape mismatches are listed.\n"
        "With --emulate FORMAT, A is also quantized in FORMAT and B measured against that: is B what plain FORMAT\n"
        "rounding of A gives? A and B are Hub repo ids or URLs, local folders or .safetensors files.\n\n"
        "Example:\n  quantscope diff ./gpt-oss-20b-bf16 openai/gpt-oss-20b mlp.experts --emulate mxfp4");
    addHelp(p);
    p.addPositionalArgument("A", "The reference model (Hub repo id or URL, local folder, or .safetensors file).");
    p.addPositionalArgument("B", "The model compared with it.");
    p.addPositionalArgument("FILTER", "Optional tensor filter words (joined by one space).", "[FILTER...]");
    p.addOption({"revision", "Hub revision of A (default: main).", "rev"});
    p.addOption({"revision-b", "Hub revision of B (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges (default: ~/.cache/quantscope).", "dir"});
    p.addOption({"regex", "Select tensors whose name matches this regular expression.", "PATTERN"});
    p.addOption({"limit", "Compare the first N paired tensors (natural order).", "N"});
    p.addOption({"all", "Select every tensor (FP8 scales aside); the default is the names containing 'weight' and "
                        "the logical tensors of quantized layouts."});
    p.addOption({"emulate", "Also quantize A in this registry format and measure B against it.", "FORMAT"});
    p.addOption({"json", "Print the report as one JSON document on stdout instead of the table (undefined values "
                         "are null, named in \"nonfinite\")."});
    addFormatOptionFlags(p);
    if (!p.parse(QStringList{"quantscope diff"} + args)) return usageError("diff", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope diff"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.size() < 2) return usageError("diff", "expected two models, A and B");
    qs::DiffParams params;
    params.modelA = pos[0];
    params.modelB = pos[1];
    params.filter = pos.mid(2);
    params.revisionA = p.value("revision");
    params.revisionB = p.value("revision-b");
    params.cacheDir = p.value("cache-dir");
    params.regex = p.value("regex");
    params.all = p.isSet("all");
    auto limit = limitOption(p, 0, params.limit);
    if (!limit) return usageError("diff", QString::fromStdString(limit.error().message));
    params.limit = *limit;
    params.emulate = p.value("emulate");
    if (p.isSet("emulate") && params.emulate.isEmpty()) return usageError("diff", "--emulate: expected a format name");
    auto opts = formatOptionsFrom(p);
    if (!opts) return reportError(opts.error());
    params.options = *opts;
    if (params.emulate.isEmpty() && !(params.options == qs::FormatOptions{}))
        return usageError("diff", "format options apply to the --emulate format; give --emulate FORMAT");

    const bool colour = stdoutWantsColour();
    const bool json = p.isSet("json");
    CliProgress progress;
    qs::DiffObserver observer;
    observer.started = [&](const qs::DiffReport& r) {
        progress.finish();
        if (!r.skipped.empty()) std::fprintf(stderr, "note: %s\n", r.skipped.c_str());
        if (!json) printOut(qs::renderDiffHeader(r, colour));
    };
    observer.tensorDone = [&](const qs::DiffReport& r, const qs::DiffTensor& t) {
        progress.finish();
        if (!json) printOut(qs::renderDiffTensor(r, t, colour));
    };
    auto report = qs::runDiff(params, observer, &progress);
    progress.finish();
    if (!report) return reportError(report.error());
    printOut(json ? qs::renderDiffJson(*report) : qs::renderDiffTail(*report, colour));
    return 0;
}
