// `quantscope list MODEL [FILTER...]`: the tensors of a model, one line each, and totals.
#include "cli_support.h"
#include "io/dtype.h"
#include "commands.h"

#include "common/escape.h"
#include "analysis/model_open.h"

#include "io/safetensors.h"
#include "io/selection.h"

#include <QCommandLineParser>
#include <QRegularExpression>

#include <algorithm>
#include <cstdio>

namespace {

std::string withCommas(uint64_t v)
{
    std::string d = std::to_string(v), out;
    for (size_t i = 0; i < d.size(); ++i) {
        if (i && (d.size() - i) % 3 == 0) out += ',';
        out += d[i];
    }
    return out;
}

std::string human(double bytes)
{
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    int u = 0;
    while (bytes >= 1000 && u < 4) { bytes /= 1000; ++u; }
    char buf[32];
    std::snprintf(buf, sizeof buf, u ? "%.2f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

std::string pad(const std::string& s, size_t w, bool right)
{
    if (s.size() >= w) return s;
    return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

} // namespace

int runListCommand(const QStringList& args)
{
    QCommandLineParser p;
    p.setApplicationDescription(
        "List a model's tensors: name, dtype, shape, elements, stored bytes, file; then totals of stored versus\n"
        "logical (dequantized) parameters. Without FILTER every tensor is listed (scales included); FILTER words\n"
        "and --regex select as in `wq` (dotted prefix or substring). A quantized checkpoint (gpt-oss MXFP4,\n"
        "GPTQ, AWQ, compressed-tensors; docs/CHECKPOINTS.md) lists one row per logical tensor: DTYPE is the\n"
        "stored layout (\"mxfp4 (gpt-oss)\", \"int4 g128 (gptq)\"), SHAPE and ELEMENTS the logical ones, BYTES\n"
        "the stored bytes of all its parts, named at the end of the row.\n\n"
        "Example:\n  quantscope list deepseek-ai/DeepSeek-R1 model.layers.0.self_attn");
    addHelp(p);
    p.addPositionalArgument("MODEL", "Hub repo id or URL, local folder, or .safetensors file.");
    p.addPositionalArgument("FILTER", "Optional filter words.", "[FILTER...]");
    p.addOption({"revision", "Hub revision (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges.", "dir"});
    p.addOption({"regex", "Only names matching this regular expression.", "PATTERN"});
    if (!p.parse(QStringList{"quantscope list"} + args)) return usageError("list", p.errorText());
    if (p.isSet("help")) {
        printOut(commandHelp(p, "quantscope list"));
        return 0;
    }
    const QStringList pos = p.positionalArguments();
    if (pos.isEmpty()) return usageError("list", "missing MODEL");

    CliProgress progress;
    auto model = qs::openModel(pos.first(), p.value("revision"), p.value("cache-dir"), &progress);
    progress.finish();
    if (!model) return reportError(model.error());

    const QString query = pos.mid(1).join(' ').trimmed();
    QRegularExpression re;
    if (p.isSet("regex")) {
        re.setPattern(p.value("regex"));
        if (!re.isValid())
            return reportError(qs::Error::usage("--regex: invalid regular expression \"" + p.value("regex").toStdString() +
                                                "\": " + re.errorString().toStdString()));
    }
    std::vector<const qs::TensorInfo*> rows;
    for (const qs::TensorInfo& t : (*model)->tensors()) {
        if (!query.isEmpty() && !qs::matchesQuery(t.name, query)) continue;
        if (re.isValid() && !re.pattern().isEmpty() && !re.match(QString::fromStdString(t.name)).hasMatch()) continue;
        rows.push_back(&t);
    }
    if (rows.empty())
        return reportError(qs::Error::usage("No tensors matched \"" + query.toStdString() + "\"."));

    size_t wName = 4, wDtype = 5, wShape = 5, wElems = 8, wBytes = 5;
    // Untrusted names and fields are printed with control characters escaped.
    auto safe = [](const std::string& s) { return qs::escapeControl(s); };
    for (const auto* t : rows) {
        wName = std::max(wName, safe(t->name).size());
        wDtype = std::max(wDtype, safe(t->dtypeName).size());
        wShape = std::max(wShape, t->shapeString().size());
        wElems = std::max(wElems, withCommas(uint64_t(t->numel())).size());
        wBytes = std::max(wBytes, withCommas(t->byteLength).size());
    }
    const bool colour = stdoutWantsColour();
    std::string out;
    std::string header = pad("NAME", wName, false) + "  " + pad("DTYPE", wDtype, false) + "  " + pad("SHAPE", wShape, false) +
                         "  " + pad("ELEMENTS", wElems, true) + "  " + pad("BYTES", wBytes, true) + "  FILE";
    out += (colour ? "\033[90m" + header + "\033[0m" : header) + "\n";
    uint64_t storedParams = 0, storedBytes = 0, logicalParams = 0, scaleParams = 0;
    bool overflow = false;
    for (const auto* t : rows) {
        out += pad(safe(t->name), wName, false) + "  " + pad(safe(t->dtypeName), wDtype, false) + "  " + pad(t->shapeString(), wShape, false) +
               "  " + pad(withCommas(uint64_t(t->numel())), wElems, true) + "  " + pad(withCommas(t->byteLength), wBytes, true) +
               "  " + safe(t->file.toStdString());
        if (!t->scaleInvName.empty()) out += "  (fp8, scale " + safe(t->scaleInvName) + ")";
        else if (t->layout) {
            // A logical tensor of a quantized layout: name its stored parts.
            std::string parts;
            for (const auto& [role, name] : t->layout->parts) {
                const qs::TensorInfo* s = (*model)->findStored(name);
                parts += (parts.empty() ? "" : ", ") + safe(name) +
                         (s ? " " + safe(s->dtypeName) + " " + qs::shapeList(s->shape) : std::string());
            }
            out += "  (stored: " + parts + ")";
        }
        else if (qs::dtypeIsInteger(t->dtype)) out += "  (integer: not quantized)";
        out += "\n";
        // Totals saturate with a visible "more than" instead of wrapping.
        uint64_t stored = uint64_t(t->numel());
        if (t->layout && !t->layout->inPlace) {  // FP8 block scales stay rows of their own
            stored = 0;
            for (const auto& [role, name] : t->layout->parts)
                if (const qs::TensorInfo* s = (*model)->findStored(name)) stored += uint64_t(s->numel());
        }
        overflow |= __builtin_add_overflow(storedParams, stored, &storedParams);
        overflow |= __builtin_add_overflow(storedBytes, t->byteLength, &storedBytes);
        const bool isScale = t->name.size() > 10 && t->name.compare(t->name.size() - 10, 10, "_scale_inv") == 0 &&
                             (*model)->find(t->name.substr(0, t->name.size() - 10)) != nullptr;
        overflow |= __builtin_add_overflow(isScale ? scaleParams : logicalParams, uint64_t(t->numel()),
                                           isScale ? &scaleParams : &logicalParams);
    }
    if (overflow)
        out += "\nwarning: the totals exceed 2^64 and are shown as lower bounds (the headers declare impossible sizes)\n";
    out += "\n" + std::to_string(rows.size()) + " tensors\n";
    out += "stored:  " + withCommas(storedParams) + " parameters in " + withCommas(storedBytes) + " bytes (" +
           human(double(storedBytes)) + ")\n";
    // The FP8 remark only where there are FP8 scales (#9.7).
    out += "logical: " + withCommas(logicalParams) + " parameters" +
           (scaleParams ? " after dequantization (" + withCommas(scaleParams) + " FP8 scale values folded in)" : std::string()) +
           ", " + human(4.0 * double(logicalParams)) + " as fp32\n";
    printOut(out);
    return 0;
}
