// Text and JSON rendering of a diff report (diff.h), in wq_render's style: one line per
// paired tensor (and one for F(A) with --emulate), then what could not be paired and the
// summary. An undefined value is '-' in the table and null in JSON (named in "nonfinite").
#include "analysis/diff.h"
#include "common/escape.h"
#include "io/json_util.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace qs {

namespace {

std::string paint(const std::string& text, const char* code, bool on)
{
    if (!on || text.empty()) return text;
    return std::string(code) + text + "\033[0m";
}
constexpr const char* kTitle = "\033[1;37m";
constexpr const char* kMuted = "\033[90m";
constexpr const char* kWarn = "\033[93m";

std::string fmt(const char* f, double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string rjust(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }
std::string ljust(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string pccText(double v) { return std::isnan(v) ? "-" : fmt("%.6f", v); }
std::string sciText(double v) { return std::isnan(v) ? "-" : fmt("%.3e", v); }
std::string sqnrText(double v)
{
    if (std::isnan(v)) return "-";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    if (std::fabs(v) < 0.005) v = 0.0;
    return fmt("%.2f", v);
}
// "100%" only when every value is identical, "0%" only when none is.
std::string identText(const IdenticalCount& c)
{
    if (c.total == 0) return "-";
    if (c.identical == c.total) return "100%";
    if (c.identical == 0) return "0%";
    const double pct = 100.0 * c.fraction();
    return fmt("%.2f%%", std::clamp(pct, 0.01, 99.99));
}

std::string shapeText(const std::vector<int64_t>& s)
{
    std::string out = "(";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + (s.size() == 1 ? ",)" : ")");
}

std::string upper(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), ::toupper);
    return s;
}

std::string emulatedLabel(const DiffReport& r) { return upper(r.emulate) + "(A)"; }

struct Widths {
    size_t name = 6, shape = 5, types = 6, against = 7;
};

Widths widths(const DiffReport& r)
{
    Widths w;
    for (const DiffTensor& t : r.tensors) {
        w.name = std::max(w.name, escapeControl(t.name).size());
        w.shape = std::max(w.shape, shapeText(t.shape).size());
        w.types = std::max(w.types, (t.dtypeA + " -> " + t.dtypeB).size());
    }
    if (!r.emulate.empty()) w.against = std::max(w.against, emulatedLabel(r).size());
    return w;
}

std::string metricCells(const Metrics& m, const IdenticalCount& c)
{
    return rjust(pccText(m.pcc), 9) + "  " + rjust(sciText(m.mae), 9) + "  " + rjust(sciText(m.atol), 9) + "  " +
           rjust(sciText(m.rmse), 9) + "  " + rjust(sqnrText(m.sqnrDb), 8) + "  " + rjust(identText(c), 9);
}

const char* kMetricHeader = "      PCC        MAE       ATOL       RMSE  SQNR(dB)  IDENTICAL";

std::string sideLine(const std::string& label, const DiffSummary& s, bool colour)
{
    std::string out = paint(label, kTitle, colour) + "\n";
    auto line = [&](const char* what, const Metrics& m, bool withIdent) {
        std::string l = "  " + ljust(what, 9) + "pcc=" + pccText(m.pcc) + "  mae=" + sciText(m.mae) + "  atol=" +
                        sciText(m.atol) + "  rmse=" + sciText(m.rmse) + "  sqnr=" + sqnrText(m.sqnrDb) + " dB";
        if (withIdent) l += "  identical=" + identText(s.identical) + " (" + std::to_string(s.identical.identical) + " of " +
                            std::to_string(s.identical.total) + ")";
        return l + "\n";
    };
    out += line("mean", s.mean, false);
    out += line("weighted", s.weighted, true);
    if (s.pccMeasured < s.tensors)
        out += "  " + paint("(" + std::to_string(s.tensors - s.pccMeasured) + " tensors with undefined PCC left out)", kWarn, colour) + "\n";
    return out;
}

nlohmann::json metricsJson(const Metrics& m)
{
    nlohmann::json j = nlohmann::json::object();
    putNumber(j, "pcc", m.pcc);
    putNumber(j, "mae", m.mae);
    putNumber(j, "atol", m.atol);
    putNumber(j, "rmse", m.rmse);
    putNumber(j, "sqnr_db", m.sqnrDb);
    j["count"] = m.count;
    return j;
}

void identicalJson(nlohmann::json& j, const IdenticalCount& c)
{
    j["identical"] = c.identical;
    j["total"] = c.total;
    putNumber(j, "identical_fraction", c.total ? c.fraction() : std::numeric_limits<double>::quiet_NaN());
    j["signed_zero_pairs"] = c.signedZeros;
    j["nan_pairs"] = c.nans;
}

nlohmann::json sideJson(const DiffSide& s)
{
    nlohmann::json j = metricsJson(s.metrics);
    putNumber(j, "rel_rmse", s.metrics.relRmse);
    j["non_finite_a"] = s.metrics.nonFiniteX;
    j["non_finite_b"] = s.metrics.nonFiniteY;
    identicalJson(j, s.identical);
    return j;
}

nlohmann::json summaryJson(const DiffSummary& s)
{
    nlohmann::json j;
    j["tensors"] = s.tensors;
    j["pcc_measured"] = s.pccMeasured;
    j["mean"] = metricsJson(s.mean);
    j["weighted"] = metricsJson(s.weighted);
    identicalJson(j, s.identical);
    return j;
}

nlohmann::json sideInfo(const QString& repo, const QString& revision, const QString& describe)
{
    return {{"repo", repo.toStdString()}, {"revision", revision.toStdString()}, {"source", describe.toStdString()}};
}

} // namespace

std::string renderDiffHeader(const DiffReport& r, bool colour)
{
    std::string out;
    out += paint("A:", kMuted, colour) + " " + paint(escapeControl(r.repoA.toStdString()), kTitle, colour) + " @" +
           escapeControl(r.revisionA.toStdString()) + "\n";
    out += paint("B:", kMuted, colour) + " " + paint(escapeControl(r.repoB.toStdString()), kTitle, colour) + " @" +
           escapeControl(r.revisionB.toStdString()) + "\n";
    out += paint("paired:", kMuted, colour) + " " + std::to_string(r.tensors.size()) + " tensors";
    if (!r.mismatches.empty()) out += ", " + std::to_string(r.mismatches.size()) + " with different shapes";
    if (!r.onlyA.empty()) out += ", " + std::to_string(r.onlyA.size()) + " only in A";
    if (!r.onlyB.empty()) out += ", " + std::to_string(r.onlyB.size()) + " only in B";
    out += "\n";
    if (!r.emulate.empty()) {
        out += paint("emulate:", kMuted, colour) + " " + r.emulate;
        if (const std::string flags = formatOptionFlags(r.options); !flags.empty()) out += " " + flags;
        out += " (rows " + emulatedLabel(r) + ": B against A quantized with " + r.emulate + ")\n";
    }
    out += "\n";
    if (r.tensors.empty()) return out;
    const Widths w = widths(r);
    out += paint("  " + ljust("TENSOR", w.name) + "  " + ljust("SHAPE", w.shape) + "  " + ljust("A -> B", w.types) + "  " +
                     ljust("AGAINST", w.against) + "  " + kMetricHeader,
                 kMuted, colour) + "\n";
    return out;
}

std::string renderDiffTensor(const DiffReport& r, const DiffTensor& t, bool colour)
{
    (void)colour;
    const Widths w = widths(r);
    std::string out = "  " + ljust(escapeControl(t.name), w.name) + "  " + ljust(shapeText(t.shape), w.shape) + "  " +
                      ljust(t.dtypeA + " -> " + t.dtypeB, w.types) + "  " + ljust("A", w.against) + "  " +
                      metricCells(t.b.metrics, t.b.identical) + "\n";
    if (t.emulated)
        out += "  " + std::string(w.name + w.shape + w.types + 4, ' ') + "  " + ljust(emulatedLabel(r), w.against) + "  " +
               metricCells(t.emulated->metrics, t.emulated->identical) + "\n";
    return out;
}

std::string renderDiffTail(const DiffReport& r, bool colour)
{
    std::string out = "\n";
    if (!r.mismatches.empty()) {
        out += paint("Shapes differ (" + std::to_string(r.mismatches.size()) + ", not compared)", kWarn, colour) + "\n";
        for (const DiffMismatch& m : r.mismatches)
            out += "  " + escapeControl(m.name) + "  A " + shapeText(m.shapeA) + " " + m.dtypeA + ", B " + shapeText(m.shapeB) +
                   " " + m.dtypeB + "\n";
    }
    auto names = [&](const std::vector<std::string>& list, const std::string& title) {
        if (list.empty()) return;
        out += paint(title + " (" + std::to_string(list.size()) + ")", kWarn, colour) + "\n";
        for (const std::string& n : list) out += "  " + escapeControl(n) + "\n";
    };
    names(r.onlyA, "Only in A");
    names(r.onlyB, "Only in B");
    if (!r.tensors.empty()) {
        if (out.size() > 1) out += "\n";
        out += sideLine("Summary: B against A over " + std::to_string(r.tensors.size()) + " tensors", diffSummary(r.tensors, false),
                        colour);
        if (!r.emulate.empty())
            out += sideLine("Summary: B against " + emulatedLabel(r), diffSummary(r.tensors, true), colour);
        out += paint("identical: the same float32 value bit for bit, except that +0 and -0 count as equal and a NaN "
                     "equals any NaN",
                     kMuted, colour) + "\n";
        int64_t zeros = 0, nans = 0;
        for (bool e : {false, true}) {
            const DiffSummary s = diffSummary(r.tensors, e);
            zeros += s.identical.signedZeros;
            nans += s.identical.nans;
        }
        if (zeros || nans)
            out += paint("  (" + std::to_string(zeros) + " pairs equal only up to the sign of zero, " + std::to_string(nans) +
                             " NaN pairs)",
                         kMuted, colour) + "\n";
    }
    return out;
}

std::string renderDiffJson(const DiffReport& r)
{
    nlohmann::json doc;
    doc["tool"] = "quantscope";
    doc["version"] = QS_VERSION;
    doc["command"] = "diff";
    doc["a"] = sideInfo(r.repoA, r.revisionA, r.describeA);
    doc["b"] = sideInfo(r.repoB, r.revisionB, r.describeB);
    doc["emulate"] = r.emulate.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.emulate);
    if (!r.emulate.empty()) {
        nlohmann::json options;
        for (const auto& [name, value] : formatOptionValues(r.options)) options[name] = value;
        doc["format_options"] = options;
    }
    doc["identical_rule"] = "float32 bits equal; +0 and -0 count as equal; NaN equals NaN";
    if (!r.skipped.empty()) doc["skipped"] = r.skipped;
    nlohmann::json tensors = nlohmann::json::array();
    for (const DiffTensor& t : r.tensors) {
        nlohmann::json jt;
        jt["name"] = t.name;
        jt["shape"] = t.shape;
        jt["dtype_a"] = t.dtypeA;
        jt["dtype_b"] = t.dtypeB;
        jt["b_vs_a"] = sideJson(t.b);
        jt["b_vs_emulated"] = t.emulated ? sideJson(*t.emulated) : nlohmann::json(nullptr);
        jt["seconds"] = t.seconds;
        tensors.push_back(jt);
    }
    doc["tensors"] = tensors;
    nlohmann::json mismatches = nlohmann::json::array();
    for (const DiffMismatch& m : r.mismatches)
        mismatches.push_back({{"name", m.name}, {"shape_a", m.shapeA}, {"shape_b", m.shapeB}, {"dtype_a", m.dtypeA},
                              {"dtype_b", m.dtypeB}});
    doc["shape_mismatches"] = mismatches;
    doc["only_a"] = r.onlyA;
    doc["only_b"] = r.onlyB;
    nlohmann::json summary;
    summary["b_vs_a"] = summaryJson(diffSummary(r.tensors, false));
    summary["b_vs_emulated"] = r.emulate.empty() ? nlohmann::json(nullptr) : summaryJson(diffSummary(r.tensors, true));
    doc["summary"] = summary;
    return doc.dump(2) + "\n";
}

} // namespace qs
