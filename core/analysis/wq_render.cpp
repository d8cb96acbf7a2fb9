// Text and JSON rendering of a wq report. The layout follows the original tool's
// `wq` so that its users read it the same way: title, formats/compression/backend
// lines, the hierarchy, then per tensor a stats line and one table per compression.
#include "analysis/emulation_match.h"
#include "analysis/wq_run.h"
#include "analysis/atlas.h"
#include "common/escape.h"
#include "io/json_util.h"
#include "io/selection.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>
#include <cmath>
#include <limits>
#include <map>
#include <sstream>

namespace qs {

namespace {

const char* colourCode(const std::string& name)
{
    if (name == "title") return "\033[1;37m";
    if (name == "muted") return "\033[90m";
    if (name == "good") return "\033[92m";
    if (name == "mid") return "\033[93m";
    if (name == "bad") return "\033[91m";
    if (name == "cyan") return "\033[96m";
    return "";
}

std::string paint(const std::string& text, const std::string& colour, bool on)
{
    if (!on || text.empty()) return text;
    return colourCode(colour) + text + "\033[0m";
}

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// NaN is a metric that could not be measured (no finite pairs): "n/a", never "nan".
std::string pccText(double v) { return std::isnan(v) ? "n/a" : fmt("% .5f", v); }
std::string sciText(double v) { return std::isnan(v) ? "n/a" : fmt("%.3e", v); }

std::string pccColour(double v) { return v >= 0.999 ? "good" : v >= 0.99 ? "mid" : "bad"; }  // NaN: bad
std::string errColour(double v) { return v <= 1e-4 ? "good" : v <= 1e-3 ? "mid" : "bad"; }

std::string rjust(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }
std::string ljust(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

// SIZE (payload bytes) and DEVICE (32x32 tile-padded bytes) columns; the original's GB
// column printed 0.000 for everything under 1 MB:
// bytes in a readable decimal unit, "272 B", "5.5 KB", "3.4 MB", "0.134 GB".
std::string sizeText(double bytes)
{
    if (bytes < 1e3) return fmt("%.0f B", bytes);
    if (bytes < 1e6) return fmt("%.1f KB", bytes / 1e3);
    if (bytes < 1e9) return fmt("%.1f MB", bytes / 1e6);
    return fmt("%.3f GB", bytes / 1e9);
}

// 1234567.4 -> "1,234,567"
std::string thousands(double v)
{
    const long long n = std::llround(v);
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return n < 0 ? "-" + out : out;
}

std::string sqnrText(double v)
{
    if (std::isnan(v)) return "n/a";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (std::fabs(v) < 0.005) v = 0.0;  // no "-0.00"
    return fmt("%.2f", v);
}

// rel_rmse / wrel as a share of the weights' RMS: "1.83%", "0.0412%"; NaN -> "n/a".
std::string relText(double v)
{
    if (std::isnan(v)) return "n/a";
    if (std::isinf(v)) return "inf";
    const double pct = 100.0 * v;
    return pct >= 99.95 ? fmt("%.0f%%", pct) : fmt("%#.3g%%", pct);  // "24.0%", "1.21%", "0.0412%", "100%"
}

// The run's non-default options as flags: the format options, then --pcc-undefined.
std::string reportOptionFlags(const WqReport& r)
{
    std::string flags = formatOptionFlags(r.options);
    if (r.originalPcc) flags += std::string(flags.empty() ? "" : " ") + "--pcc-undefined original";
    return flags;
}

// "imatrix.gguf (gguf-imatrix, sha256 ab12..., 182 entries, 180 bound to qwen3moe names)"
std::string importanceLine(const WqImportance& imp)
{
    std::string s = escapeControl(imp.source) + " (" + imp.format;
    if (!imp.sha256.empty()) s += ", sha256 " + imp.sha256;
    s += ", " + std::to_string(imp.entries) + " entries, " + std::to_string(imp.bound) + " tensors bound";
    if (!imp.architecture.empty()) s += ", names of " + escapeControl(imp.architecture);
    return s + ")";
}

// "2/3 - 5 of 16 tensors, 1.2 MB of 3.0 MB read (commit ..., fingerprint ...)"
std::string shardLine(const ShardRecord& s)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f MB of %.1f MB", double(s.partBytes) / 1e6, double(s.selectionBytes) / 1e6);
    return s.spec.text() + " - " + std::to_string(s.partTensors) + " of " + std::to_string(s.selectionTensors) +
           " tensors, " + buf + " read (commit " + s.commit + ", fingerprint " + s.fingerprint + ")";
}

// "1% of each tensor's 32-row bands (seed 20240611); ~ marks estimates, ± the 95 % interval"
std::string sampleLine(const SampleSpec& s)
{
    char b[200];
    std::snprintf(b, sizeof b,
                  "%.6g%% of each tensor's %lld-row bands (seed %llu); ~ marks estimates, +- the larger side of "
                  "their 95 %% interval",
                  s.fraction * 100.0, (long long)kSampleBandRows, (unsigned long long)s.seed);
    return b;
}

// The larger side of an interval around its value ("n/a" when undefined).
double halfWidth(const Interval& i) { return std::max(i.hi - i.value, i.value - i.lo); }
std::string pmText(double h, const char* f)
{
    if (std::isnan(h)) return "n/a";
    if (std::isinf(h)) return "inf";
    return fmt(f, h);
}

size_t compWidth(const WqReport& r)
{
    size_t w = 4;
    for (const auto& c : r.compressions) w = std::max(w, c.size());
    return w;
}

struct TreeNode {
    std::map<std::string, TreeNode, bool (*)(const std::string&, const std::string&)> children;
    TreeNode();
};

bool naturalKeyLess(const std::string& a, const std::string& b)
{
    // Numeric components compare by value ("2" < "10"), others byte-wise.
    const bool an = !a.empty() && std::all_of(a.begin(), a.end(), ::isdigit);
    const bool bn = !b.empty() && std::all_of(b.begin(), b.end(), ::isdigit);
    if (an && bn) {
        if (a.size() != b.size()) return a.size() < b.size();
        return a < b;
    }
    if (an != bn) return an;
    return naturalLess(a, b);  // "conv2d_2" before "conv2d_10", as the tables order them
}

TreeNode::TreeNode() : children(naturalKeyLess) {}

int leafCount(const TreeNode& n)
{
    if (n.children.empty()) return 1;
    int c = 0;
    for (const auto& [k, child] : n.children) c += leafCount(child);
    return c;
}

void renderTree(const TreeNode& node, const std::string& prefix, bool colour, std::string& out)
{
    size_t i = 0;
    for (const auto& [name, child] : node.children) {
        const bool last = ++i == node.children.size();
        const int count = leafCount(child);
        std::string line = prefix + (last ? "└── " : "├── ") + escapeControl(name);
        if (count > 1) line += " (" + std::to_string(count) + ")";
        out += "  " + paint(line, "muted", colour) + "\n";
        if (!child.children.empty()) renderTree(child, prefix + (last ? "    " : "│   "), colour, out);
    }
}

} // namespace

std::string slugify(const std::string& name)
{
    std::string out;
    bool inRun = false;
    for (char c : name) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
        if (ok) {
            out += c;
            inRun = false;
        } else if (!inRun) {
            out += '_';
            inRun = true;
        }
    }
    // Like the original: strip leading/trailing underscores, never empty.
    const size_t b = out.find_first_not_of('_');
    if (b == std::string::npos) return "tensor";
    const size_t e = out.find_last_not_of('_');
    out = out.substr(b, e - b + 1);
    // Bounded, so "<slug>_assignment_mapping.json" fits any file system's 255-byte names.
    if (out.size() > kSlugMaxChars) out = out.substr(0, kSlugMaxChars - 17) + "-" + slugHash(name);
    return out;
}

std::string slugHash(const std::string& name)
{
    uint64_t h = 1469598103934665603ull;  // FNV-1a 64
    for (unsigned char c : name) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string uniqueSlug(const std::string& name, std::set<std::string>& used)
{
    std::string s = slugify(name);
    if (!used.insert(s).second) {
        s = s.substr(0, std::min(s.size(), kSlugMaxChars - 17)) + "-" + slugHash(name);
        for (int i = 2; !used.insert(s).second; ++i) s += "-" + std::to_string(i);
    }
    return s;
}

std::string renderHeader(const WqReport& r, bool colour)
{
    std::string out;
    out += paint(r.repo.toStdString(), "title", colour) + " " + paint("@", "muted", colour) +
           paint(r.revision.toStdString(), "cyan", colour) + " " + paint("-", "muted", colour) + " " +
           paint(std::to_string(r.tensorNames.size()), "title", colour) + " " + paint("tensors", "muted", colour) + "\n";
    auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
        return s;
    };
    out += paint("formats:", "muted", colour) + " " + join(r.formats) + "\n";
    out += paint("compression:", "muted", colour) + " " + join(r.compressions) + "\n";
    out += paint("backend:", "muted", colour) + " " + r.backend.toStdString() + "\n";
    if (const std::string flags = reportOptionFlags(r); !flags.empty())
        out += paint("options:", "muted", colour) + " " + flags + "\n";
    if (!r.configPath.isEmpty()) out += paint("config:", "muted", colour) + " " + r.configPath.toStdString() + "\n";
    if (r.importance) out += paint("importance:", "muted", colour) + " " + importanceLine(*r.importance) + "\n";
    if (r.shard) out += paint("shard:", "muted", colour) + " " + shardLine(*r.shard) + "\n";
    if (r.sample) out += paint("sample:", "muted", colour) + " " + sampleLine(*r.sample) + "\n";
    out += "\n" + paint("Hierarchy", "title", colour) + "\n";
    TreeNode root;
    for (const auto& name : r.tensorNames) {
        TreeNode* node = &root;
        size_t start = 0;
        while (true) {
            const size_t dot = name.find_first_of("./", start);  // TF-style '/' names form a tree too
            node = &node->children[name.substr(start, dot - start)];
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
    }
    renderTree(root, "", colour, out);
    out += "\n";
    return out;
}

std::string renderTensor(const WqReport& r, const WqTensor& t, bool colour)
{
    std::string out;
    out += paint(escapeControl(t.info.name), "title", colour) + "\n";
    const Stats& s = t.stats;
    const WqRow* sampled = nullptr;  // a row estimated from a sample of the bands
    for (const auto& row : t.rows)
        if (row.estimate && !row.estimate->exact) sampled = &row;
    // --sample drew none of its bands (sampling.h): nothing was read, every metric is "-"
    const bool unsampled = sampled && sampled->estimate->notSampled();
    std::string meta = "shape=" + t.info.shapeString();
    if (unsampled)
        meta += " not sampled: none of its " + std::to_string(sampled->estimate->totalBands) +
                " bands was drawn (its atlas cell pools the bands of the tensors that were)";
    else
        meta += " min=" + sciText(s.min) + " mean=" + sciText(s.mean()) + " max=" + sciText(s.max);
    if (sampled && !unsampled)
        meta += " (of the " + std::to_string(sampled->estimate->sampledBands) + " sampled bands of " +
                std::to_string(sampled->estimate->totalBands) + ")";
    out += "  " + paint(meta, "muted", colour) + "\n";
    if (s.nonFinite() > 0) {
        out += "  " + paint("note: " + std::to_string(s.nan) + " NaN, " + std::to_string(s.posInf) + " +Inf, " +
                            std::to_string(s.negInf) + " -Inf input values; metrics cover the finite pairs only",
                            "mid", colour) + "\n";
    }
    const size_t compW = compWidth(r);
    for (const auto& comp : r.compressions) {
        std::vector<const WqRow*> rows;
        for (const auto& row : t.rows)
            if (row.compression == comp) rows.push_back(&row);
        if (rows.empty()) continue;
        const bool mixed = rows.front()->mixed;
        // Sampled rows: "~" before each estimated value and a "+-" column (the larger side of
        // the 95 % interval) after PCC, MAE and SQNR.
        bool est = false;
        for (const WqRow* row : rows) est = est || (row->estimate && !row->estimate->exact);
        const std::string tilde = est ? "~" : "";
        const std::string dash = "-";
        auto pccCell = [&](const Metrics& m) {  // "~0.99992" (the sign column's space gives way to "~")
            if (unsampled) return dash;
            const std::string t = pccText(m.pcc);
            return est && !t.empty() && t[0] == ' ' ? tilde + t.substr(1) : tilde + t;
        };
        auto sciCell = [&](double v) { return unsampled ? dash : tilde + sciText(v); };
        auto sqnrCell = [&](double v) { return unsampled ? dash : tilde + sqnrText(v); };
        auto relCell = [&](double v) { return unsampled ? dash : tilde + relText(v); };
        // one band: a point estimate without an interval (pmText of NaN)
        auto pm = [&](const WqRow& row, const Interval& i, const char* f) {
            return row.estimate && !unsampled ? pmText(halfWidth(i), f) : dash;
        };
        auto pmPcc = [&](const WqRow& row) { return pm(row, row.estimate ? row.estimate->pcc : Interval{}, "%.1e"); };
        auto pmMae = [&](const WqRow& row) { return pm(row, row.estimate ? row.estimate->mae : Interval{}, "%.1e"); };
        auto pmSqnr = [&](const WqRow& row) { return pm(row, row.estimate ? row.estimate->sqnrDb : Interval{}, "%.2f"); };
        size_t pmPccW = 2, pmMaeW = 2, pmSqnrW = 2;
        size_t fmtW = 6, pccW = 3, maeW = 3, atolW = 4, timeW = 7, gbW = 4, devW = 6, bytesW = 5, rmseW = 4, sqnrW = 8, bitsW = 4;
        size_t relW = 3, wsqnrW = 9, wrelW = 4;
        const bool weighted = r.importance.has_value();
        // A tensor without weighted metrics (no entry, 1-D, an expert without data) shows "-".
        auto wsqnrCell = [&](const Metrics& m) { return t.importanceNote.empty() ? sqnrText(m.wsqnrDb) : std::string("-"); };
        auto wrelCell = [&](const Metrics& m) { return t.importanceNote.empty() ? relText(m.wrel) : std::string("-"); };
        std::vector<size_t> countW;
        const std::vector<std::string>& tileFormats = rows.front()->tileFormats;
        for (const auto& f : tileFormats) {
            std::string up = f;
            std::transform(up.begin(), up.end(), up.begin(), ::toupper);
            countW.push_back(up.size());
        }
        for (const WqRow* row : rows) {
            fmtW = std::max(fmtW, row->label.size());
            pccW = std::max(pccW, pccCell(row->metrics).size());
            maeW = std::max(maeW, sciCell(row->metrics.mae).size());
            atolW = std::max(atolW, sciCell(row->metrics.atol).size());
            pmPccW = std::max(pmPccW, pmPcc(*row).size());
            pmMaeW = std::max(pmMaeW, pmMae(*row).size());
            pmSqnrW = std::max(pmSqnrW, pmSqnr(*row).size());
            timeW = std::max(timeW, fmt("%.3f", row->seconds).size());
            gbW = std::max(gbW, sizeText(row->bytes).size());
            devW = std::max(devW, sizeText(row->deviceBytes).size());
            rmseW = std::max(rmseW, sciCell(row->metrics.rmse).size());
            sqnrW = std::max(sqnrW, sqnrCell(row->metrics.sqnrDb).size());
            bitsW = std::max(bitsW, fmt("%.3f", row->bitsPerElement).size());
            relW = std::max(relW, relCell(row->metrics.relRmse).size());
            wsqnrW = std::max(wsqnrW, wsqnrCell(row->metrics).size());
            wrelW = std::max(wrelW, wrelCell(row->metrics).size());
            bytesW = std::max(bytesW, thousands(row->deviceBytes).size());
            for (size_t i = 0; i < row->tileCounts.size() && i < countW.size(); ++i)
                countW[i] = std::max(countW[i], std::to_string(row->tileCounts[i]).size());
        }
        std::string header = "  " + ljust("COMP", compW) + "  " + ljust("FORMAT", fmtW) + "  " + rjust("PCC", pccW) +
                             (est ? " " + rjust("+-", pmPccW) : std::string()) + "  " + rjust("MAE", maeW) +
                             (est ? " " + rjust("+-", pmMaeW) : std::string()) + "  " + rjust("ATOL", atolW) + "  " + rjust("TIME(s)", timeW) +
                             "  " + rjust("SIZE", gbW) + "  " + rjust("DEVICE", devW);
        if (mixed) {
            for (size_t i = 0; i < tileFormats.size(); ++i) {
                std::string up = tileFormats[i];
                std::transform(up.begin(), up.end(), up.begin(), ::toupper);
                header += "  " + rjust(up, countW[i]);
            }
            header += "  " + rjust("BYTES", bytesW);
        }
        header += "  " + rjust("RMSE", rmseW) + "  " + rjust("SQNR(dB)", sqnrW) +
                  (est ? " " + rjust("+-", pmSqnrW) : std::string()) + "  " + rjust("BITS", bitsW) + "  " +
                  rjust("REL", relW);
        if (weighted) header += "  " + rjust("wSQNR(dB)", wsqnrW) + "  " + rjust("wREL", wrelW);
        // The header is painted as one span (the original painted each cell).
        out += paint(header, "muted", colour) + "\n";
        for (const WqRow* row : rows) {
            const Metrics& m = row->metrics;
            std::string line = "  " + ljust(row->compression, compW) + "  " + ljust(row->label, fmtW) + "  " +
                               paint(rjust(pccCell(m), pccW), pccColour(m.pcc), colour) +
                               (est ? " " + rjust(pmPcc(*row), pmPccW) : std::string()) + "  " +
                               paint(rjust(sciCell(m.mae), maeW), errColour(m.mae), colour) +
                               (est ? " " + rjust(pmMae(*row), pmMaeW) : std::string()) + "  " +
                               paint(rjust(sciCell(m.atol), atolW), errColour(m.atol), colour) + "  " +
                               rjust(fmt("%.3f", row->seconds), timeW) + "  " + rjust(sizeText(row->bytes), gbW) + "  " +
                               rjust(sizeText(row->deviceBytes), devW);
            if (mixed) {
                for (size_t i = 0; i < countW.size(); ++i)
                    line += "  " + rjust(i < row->tileCounts.size() ? std::to_string(row->tileCounts[i]) : "0", countW[i]);
                line += "  " + rjust(thousands(row->deviceBytes), bytesW);  // the original's column: device bytes
            }
            line += "  " + rjust(sciCell(m.rmse), rmseW) + "  " + rjust(sqnrCell(m.sqnrDb), sqnrW) +
                    (est ? " " + rjust(pmSqnr(*row), pmSqnrW) : std::string()) + "  " +
                    rjust(fmt("%.3f", row->bitsPerElement), bitsW) + "  " + rjust(relCell(m.relRmse), relW);
            if (weighted) line += "  " + rjust(wsqnrCell(m), wsqnrW) + "  " + rjust(wrelCell(m), wrelW);
            // The row itself carries the flag (the note below explains it).
            if (const std::string flag = nonFiniteFlag(m); !flag.empty()) line += "  " + paint(flag, "bad", colour);
            if (const std::string flag = blockFillFlag(row->format, t.info.shape); !flag.empty())
                line += "  " + paint(flag, "mid", colour);
            out += line + "\n";
            if (m.nonFiniteY > 0)
                out += "  " + paint("note: " + row->label + " turned " + std::to_string(m.nonFiniteY) +
                                        " finite values into NaN/Inf; they are excluded from its metrics",
                                    "mid", colour) + "\n";
            if (m.undefined())
                out += "  " + paint("note: " + row->label + ": no finite (input, output) pair is left; its metrics are n/a",
                                    "bad", colour) + "\n";
            if (const auto fill = sparseBlockFill(row->format, t.info.shape))
                out += "  " + paint("note: " + row->label + ": the block axis (the last dimension) is shorter than its " +
                                        std::to_string(fill->block) + "-element block; each block holds only " +
                                        fmt("%.1f", fill->realPerBlock) +
                                        " real values, so it looks better than its storage cost suggests",
                                    "mid", colour) + "\n";
            if (row->mixed && !row->metThreshold)
                out += "  " + paint("note: " + row->compression + ": " +
                                        (row->note.empty() ? std::string("the threshold is not met") : row->note),
                                    "bad", colour) + "\n";
        }
        // A quantized checkpoint's tensor: how much of its stored values our emulation reproduces.
        if (comp == r.compressions.front() && t.emulationMatch)
            out += "  " + paint(emulationMatchLine(escapeControl(t.info.name), t.layout, *t.emulationMatch), "muted", colour) +
                   "\n";
        out += "\n";
    }
    return out;
}

std::optional<BlockFill> sparseBlockFill(const std::string& formatName, const std::vector<int64_t>& shape)
{
    const Format* f = findFormat(formatName);
    const int64_t cols = shape.empty() ? 1 : shape.back();  // the format view's row (rank 1: the whole tensor)
    if (!f || f->blockK <= 1 || cols <= 0 || cols >= f->blockK) return std::nullopt;
    return BlockFill{f->blockK, double(cols)};  // one block per row, holding all its cols real values
}

std::string blockFillFlag(const std::string& formatName, const std::vector<int64_t>& shape)
{
    const auto fill = sparseBlockFill(formatName, shape);
    return fill ? "[block: " + fmt("%.1f", fill->realPerBlock) + " of " + std::to_string(fill->block) + " real]" : std::string();
}

std::vector<SummaryRow> summaryRows(const WqReport& r)
{
    std::vector<SummaryRow> out;
    for (const auto& comp : r.compressions) {
        // Labels in first-seen order.
        std::vector<std::string> labels;
        for (const auto& t : r.tensors)
            for (const auto& row : t.rows)
                if (row.compression == comp && std::find(labels.begin(), labels.end(), row.label) == labels.end())
                    labels.push_back(row.label);
        for (const auto& label : labels) {
            // Rows whose metrics are n/a do not enter the means (they are counted instead).
            SummaryRow s;
            s.compression = comp;
            s.label = label;
            for (const auto& t : r.tensors)
                for (const auto& row : t.rows)
                    if (row.compression == comp && row.label == label) {
                        if (!row.metrics.undefined()) {
                            s.mae += row.metrics.mae; s.atol += row.metrics.atol;
                            s.relRmse += row.metrics.relRmse;
                            ++s.measured;
                        }
                        if (t.importanceNote.empty() && std::isfinite(row.metrics.wrel)) {
                            s.wrel += row.metrics.wrel;
                            s.wsqnrDb += row.metrics.wsqnrDb;  // +inf when a row is exact
                            ++s.weighted;
                        }
                        if (!std::isnan(row.metrics.pcc)) s.pcc += row.metrics.pcc, ++s.pccMeasured;
                        s.format = row.format;
                        s.bytes += row.bytes; s.deviceBytes += row.deviceBytes; s.mixed = row.mixed; ++s.rows;
                    }
            if (!s.rows) continue;
            const double na = std::numeric_limits<double>::quiet_NaN();
            s.pcc = s.pccMeasured ? s.pcc / s.pccMeasured : na;
            s.mae = s.measured ? s.mae / s.measured : na;
            s.atol = s.measured ? s.atol / s.measured : na;
            s.relRmse = s.measured ? s.relRmse / s.measured : na;
            s.wrel = s.weighted ? s.wrel / s.weighted : na;
            s.wsqnrDb = s.weighted ? s.wsqnrDb / s.weighted : na;
            s.bytes /= s.rows;
            s.deviceBytes /= s.rows;
            out.push_back(s);
        }
    }
    return out;
}

std::string renderSummary(const WqReport& r, bool colour)
{
    std::string out = paint("Summary (mean across matched tensors)", "title", colour) + "\n";
    const size_t compW = compWidth(r);
    for (const SummaryRow& s : summaryRows(r)) {
        std::string line = "  " + ljust(s.compression, compW) + " " + rjust(s.label, 5) + "  pcc=" +
                           paint(pccText(s.pcc), pccColour(s.pcc), colour) + "  mae=" +
                           paint(sciText(s.mae), errColour(s.mae), colour) + "  atol=" +
                           paint(sciText(s.atol), errColour(s.atol), colour);
        if (s.mixed) line += "  bytes=" + thousands(s.deviceBytes);  // the original's mean (device) bytes
        line += "  rel=" + relText(s.relRmse);
        if (r.importance) line += "  wsqnr=" + sqnrText(s.wsqnrDb) + "dB  wrel=" + relText(s.wrel);
        if (s.pccMeasured < s.rows)  // rows left out of the means (PCC undefined or nothing finite)
            line += "  " + paint("(" + std::to_string(s.rows - s.pccMeasured) + " n/a)", "mid", colour);
        out += line + "\n";
    }
    return out;
}

std::string renderTableTxt(const WqReport& r)
{
    // Non-default format options come first (the numbers depend on them); with the
    // defaults the layout is the original tool's.
    std::string out;
    if (r.shard) out += "shard: " + shardLine(*r.shard) + "\n";
    if (const std::string flags = reportOptionFlags(r); !flags.empty()) out += "options: " + flags + "\n";
    if (r.importance) out += "importance: " + importanceLine(*r.importance) + "\n";
    if (r.sample) out += "sample: " + sampleLine(*r.sample) + "\n";
    if (!out.empty()) out += "\n";
    for (const auto& t : r.tensors) out += renderTensor(r, t, false);
    out += renderTail(r, false);
    if (r.summary) out += renderSummary(r, false);
    return out;
}

std::vector<WqTopRow> topRows(const WqReport& r)
{
    std::vector<WqTopRow> all;
    const bool weighted = r.importance.has_value();
    for (const auto& t : r.tensors) {
        if (weighted && !t.importanceNote.empty()) continue;
        const LayerKind lk = layerKind(t.info.name);
        for (const auto& row : t.rows) {
            const double v = weighted ? row.metrics.wrel : row.metrics.relRmse;
            if (std::isnan(v)) continue;
            WqTopRow top;
            top.tensor = t.info.name;
            top.compression = row.compression;
            top.format = row.format;
            top.label = row.label;
            top.layer = lk.layer >= 0 ? std::to_string(lk.layer) : std::string();
            top.kind = lk.kind;
            top.value = v;
            all.push_back(std::move(top));
        }
    }
    // Worst first; ties in report order (stable).
    std::stable_sort(all.begin(), all.end(), [](const WqTopRow& a, const WqTopRow& b) { return a.value > b.value; });
    if (int64_t(all.size()) > r.top) all.resize(size_t(std::max(0, r.top)));
    return all;
}

std::string renderTail(const WqReport& r, bool colour)
{
    std::string out;
    if (!r.notInPlan.empty()) {  // a plan file (#11): what it does not cover
        std::string line = "note: the plan has no choice for " + std::to_string(r.notInPlan.size()) + " of the " +
                           std::to_string(r.tensorNames.size()) + " selected tensors (they have no plan row):";
        for (size_t i = 0; i < r.notInPlan.size() && i < 8; ++i) line += " " + escapeControl(r.notInPlan[i]);
        if (r.notInPlan.size() > 8) line += " ...";
        out += paint(line, "mid", colour) + "\n";
    }
    if (r.planNotSelected > 0)
        out += paint("note: " + std::to_string(r.planNotSelected) + " planned tensors are not in the selection",
                     "muted", colour) + "\n";
    if (!out.empty()) out += "\n";
    if (r.importance) {
        // Tensors without weighted metrics: how many, which kinds, then each reason that is
        // not simply "no entry" / "1-D" (an expert without data, a width mismatch).
        std::map<std::string, int> kinds;
        int without = 0;
        std::vector<std::string> reasons;
        for (const auto& t : r.tensors) {
            if (t.importanceNote.empty()) continue;
            ++without;
            const bool plain = t.importanceNote == "no entry" || t.importanceNote == "1-D" || t.importanceNote == "scalar";
            ++kinds[layerKind(t.info.name).kind + " (" + (plain ? t.importanceNote : std::string("see warning")) + ")"];
            if (!plain) reasons.push_back(escapeControl(t.info.name) + ": " + t.importanceNote);
        }
        const WqImportance& imp = *r.importance;
        std::string line = "importance: " + imp.source + " (" + imp.format + "), " + std::to_string(r.tensors.size() - size_t(without)) +
                           " of " + std::to_string(r.tensors.size()) + " tensors weighted";
        if (without) {
            line += "; without weighted metrics: ";
            bool firstKind = true;
            for (const auto& [kind, n] : kinds) {
                line += (firstKind ? "" : ", ") + std::to_string(n) + " x " + escapeControl(kind);
                firstKind = false;
            }
        }
        out += paint(line, without ? "mid" : "muted", colour) + "\n";
        for (const std::string& reason : reasons) out += "  " + paint("warning: " + reason, "bad", colour) + "\n";
        if (!imp.unmappedEntries.empty()) {
            std::string u = "  note: " + std::to_string(imp.unmappedEntries.size()) + " importance entries match no tensor of the model:";
            for (size_t i = 0; i < imp.unmappedEntries.size() && i < 8; ++i) u += " " + escapeControl(imp.unmappedEntries[i]);
            if (imp.unmappedEntries.size() > 8) u += " ...";
            out += paint(u, "mid", colour) + "\n";
        }
        out += "\n";
    }
    if (r.top > 0) {
        const std::vector<WqTopRow> top = topRows(r);
        const std::string by = r.importance ? "wrel" : "rel_rmse";
        out += paint("Top " + std::to_string(top.size()) + " by " + by + " (worst first)", "title", colour) + "\n";
        size_t nameW = 6, compW = 4, fmtW = 6;
        for (const auto& t : top) {
            nameW = std::max(nameW, escapeControl(t.tensor).size());
            compW = std::max(compW, t.compression.size());
            fmtW = std::max(fmtW, t.label.size());
        }
        out += paint("  " + rjust("#", 3) + "  " + ljust("TENSOR", nameW) + "  " + ljust("COMP", compW) + "  " + ljust("FORMAT", fmtW) +
                         "  " + rjust(r.importance ? "wREL" : "REL", 8) + "  LAYER  KIND",
                     "muted", colour) + "\n";
        for (size_t i = 0; i < top.size(); ++i) {
            const WqTopRow& t = top[i];
            out += "  " + rjust(std::to_string(i + 1), 3) + "  " + ljust(escapeControl(t.tensor), nameW) + "  " +
                   ljust(t.compression, compW) + "  " + ljust(t.label, fmtW) + "  " + rjust(relText(t.value), 8) + "  " +
                   ljust(t.layer.empty() ? "-" : t.layer, 5) + "  " + escapeControl(t.kind) + "\n";
        }
        out += "\n";
    }
    return out;
}

namespace {

nlohmann::json metricsJson(const Metrics& m)
{
    nlohmann::json j = nlohmann::json::object();
    putNumber(j, "pcc", m.pcc);
    putNumber(j, "mae", m.mae);
    putNumber(j, "atol", m.atol);
    putNumber(j, "rmse", m.rmse);
    putNumber(j, "sqnr_db", m.sqnrDb);
    putNumber(j, "rel_rmse", m.relRmse);
    putNumber(j, "sse", m.sse);  // Σ(x-y)²: what the planner adds over tensors
    j["count"] = m.count;
    j["non_finite_inputs"] = m.nonFiniteX;
    j["non_finite_outputs"] = m.nonFiniteY;
    if (m.undefined()) j["flag"] = "no finite pairs";               // nothing to measure
    else if (m.nonFiniteY > 0) j["flag"] = "non-finite outputs";    // the format made NaN/Inf from finite values
    return j;
}

nlohmann::json shardJson(const ShardRecord& s)
{
    nlohmann::json options = nlohmann::json::object();
    for (const auto& [k, v] : s.commandOptions) options[k] = v;
    return {{"index", s.spec.index}, {"count", s.spec.count}, {"commit", s.commit}, {"fingerprint", s.fingerprint},
            {"command", s.command}, {"command_options", options}, {"selection_tensors", s.selectionTensors},
            {"selection_bytes", s.selectionBytes}, {"part_tensors", s.partTensors}, {"part_bytes", s.partBytes}};
}

} // namespace

std::string renderJson(const WqReport& r)
{
    nlohmann::json doc;
    doc["tool"] = "quantscope";
    doc["version"] = QS_VERSION;
    doc["repo"] = r.repo.toStdString();
    doc["revision"] = r.revision.toStdString();
    doc["source"] = r.describe.toStdString();
    doc["backend"] = r.backend.toStdString();
    doc["algorithm"] = r.algorithm;
    doc["formats"] = r.formats;
    doc["compressions"] = r.compressions;
    nlohmann::json options;
    for (const auto& [name, value] : formatOptionValues(r.options)) options[name] = value;
    doc["format_options"] = options;
    doc["pcc_undefined"] = r.originalPcc ? "original" : "n/a";
    if (!r.skipped.empty()) doc["skipped"] = r.skipped;
    if (!r.configPath.isEmpty()) doc["config"] = r.configPath.toStdString();
    if (r.shard) doc["shard"] = shardJson(*r.shard);
    if (r.algorithm == "plan") {
        doc["not_in_plan"] = r.notInPlan;
        doc["plan_not_selected"] = r.planNotSelected;
    }
    if (r.sample)
        doc["sample"] = {{"fraction", r.sample->fraction}, {"seed", r.sample->seed}, {"band_rows", kSampleBandRows},
                         {"interval", "95% delete-one-band jackknife, finite-population corrected, Student t"}};
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& t : r.tensors) {
        nlohmann::json jt;
        jt["name"] = t.info.name;
        if (!t.slug.empty()) jt["slug"] = t.slug;
        jt["dtype"] = t.info.dtypeName;
        jt["shape"] = t.info.shape;
        jt["file"] = t.info.file.toStdString();
        jt["numel"] = t.info.numel();
        jt["stored_bytes"] = t.info.byteLength;
        if (!t.info.scaleInvName.empty()) jt["scale_inv"] = t.info.scaleInvName;
        if (!t.layout.empty()) jt["layout"] = t.layout;
        if (t.emulationMatch)
            jt["emulation_match"] = {{"format", t.emulationMatch->format},
                                     {"identical", t.emulationMatch->identical},
                                     {"total", t.emulationMatch->total}};
        if (r.importance && !t.importanceNote.empty()) jt["importance_note"] = t.importanceNote;
        nlohmann::json stats = {{"count", t.stats.count}, {"zeros", t.stats.zeros}, {"nan", t.stats.nan},
                                {"pos_inf", t.stats.posInf}, {"neg_inf", t.stats.negInf}};
        putNumber(stats, "min", t.stats.min);
        putNumber(stats, "max", t.stats.max);
        putNumber(stats, "mean", t.stats.mean());
        putNumber(stats, "std", t.stats.stddev());
        putNumber(stats, "sum", t.stats.sum);        // exact sums: merge recomputes mean and std from them
        putNumber(stats, "sum_sq", t.stats.sumSq);
        jt["stats"] = stats;
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : t.rows) {
            nlohmann::json jr = metricsJson(row.metrics);
            jr["compression"] = row.compression;
            jr["format"] = row.format;
            jr["label"] = row.label;
            jr["seconds"] = row.seconds;
            jr["payload_bytes"] = row.bytes;
            jr["device_bytes"] = row.deviceBytes;
            jr["bits_per_element"] = row.bitsPerElement;
            if (r.importance) {  // null when the tensor has none (importance_note says why)
                putNumber(jr, "wsqnr_db", row.metrics.wsqnrDb);
                putNumber(jr, "wrel", row.metrics.wrel);
                putNumber(jr, "wsse", row.metrics.wsse);  // Σd²v
                putNumber(jr, "wssx", row.metrics.wssx);  // Σx²v
            }
            if (row.estimate && r.sample) {
                const SampleEstimate& e = *row.estimate;
                auto ci = [](const Interval& i) {
                    auto one = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
                    if (!i.bounded()) return nlohmann::json(nullptr);  // undefined metric, or one band
                    return nlohmann::json::array({one(i.lo), one(i.hi)});
                };
                jr["estimate"] = !e.exact;
                if (e.notSampled()) {  // no band drawn: nothing measured
                    jr.erase("nonfinite");
                    jr["note"] = "not sampled";
                }
                jr["sample"] = {{"fraction", r.sample->fraction}, {"seed", r.sample->seed}, {"bands", e.sampledBands},
                                {"total_bands", e.totalBands}};
                jr["pcc_ci"] = ci(e.pcc);
                jr["mae_ci"] = ci(e.mae);
                jr["sqnr_db_ci"] = ci(e.sqnrDb);
                if (!e.bands.empty()) {  // for merge: atlas cells pool their members' bands
                    nlohmann::json bands = nlohmann::json::array();
                    for (const ErrorSums& b : e.bands) {
                        nlohmann::json one = nlohmann::json::array();
                        for (double v : packSums(b)) one.push_back(std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr));
                        bands.push_back(std::move(one));
                    }
                    jr["band_sums"] = std::move(bands);
                }
            }
            if (const auto fill = sparseBlockFill(row.format, t.info.shape))
                jr["block_fill"] = {{"block", fill->block}, {"real_per_block", fill->realPerBlock}};
            if (row.mixed) {
                nlohmann::json counts, bytes;
                for (size_t i = 0; i < row.tileFormats.size(); ++i) {
                    counts[row.tileFormats[i]] = i < row.tileCounts.size() ? row.tileCounts[i] : 0;
                    bytes[row.tileFormats[i]] = i < row.tileBytes.size() ? row.tileBytes[i] : 0.0;
                }
                jr["tile_counts"] = counts;
                jr["tile_bytes"] = bytes;
                jr["met_threshold"] = row.metThreshold;
                if (!row.note.empty()) jr["note"] = row.note;
            }
            rows.push_back(jr);
        }
        jt["rows"] = rows;
        tensors.push_back(jt);
    }
    doc["tensors"] = tensors;
    if (r.importance) {
        const WqImportance& imp = *r.importance;
        nlohmann::json ji = {{"spec", imp.spec.toStdString()}, {"source", imp.source}, {"format", imp.format},
                             {"architecture", imp.architecture}, {"entries", imp.entries}, {"bound", imp.bound},
                             {"unmapped_entries", imp.unmappedEntries}};
        if (!imp.sha256.empty()) ji["sha256"] = imp.sha256;
        doc["importance"] = ji;
    }
    if (r.top > 0) {
        doc["top_n"] = r.top;
        nlohmann::json top = nlohmann::json::array();
        for (const WqTopRow& t : topRows(r)) {
            nlohmann::json jt = {{"tensor", t.tensor}, {"compression", t.compression}, {"format", t.format},
                                 {"label", t.label}, {"kind", t.kind}};
            jt["layer"] = t.layer.empty() ? nlohmann::json(nullptr) : nlohmann::json(std::stoll(t.layer));
            putNumber(jt, r.importance ? "wrel" : "rel_rmse", t.value);
            top.push_back(jt);
        }
        doc["top"] = top;
    }
    if (r.summary) {  // the --summary lines, as rows
        nlohmann::json summary = nlohmann::json::array();
        for (const SummaryRow& sr : summaryRows(r)) {
            nlohmann::json js = {{"compression", sr.compression}, {"format", sr.format}, {"label", sr.label},
                                 {"tensors", sr.rows}, {"measured", sr.measured},
                                 {"pcc_measured", sr.pccMeasured}, {"mean_payload_bytes", sr.bytes},
                                 {"mean_device_bytes", sr.deviceBytes}};
            putNumber(js, "mean_pcc", sr.pcc);
            putNumber(js, "mean_mae", sr.mae);
            putNumber(js, "mean_atol", sr.atol);
            putNumber(js, "mean_rel_rmse", sr.relRmse);
            if (r.importance) {
                putNumber(js, "mean_wsqnr_db", sr.wsqnrDb);
                putNumber(js, "mean_wrel", sr.wrel);
                js["weighted"] = sr.weighted;
            }
            summary.push_back(js);
        }
        doc["summary"] = summary;
    }
    return doc.dump(2) + "\n";
}

} // namespace qs
