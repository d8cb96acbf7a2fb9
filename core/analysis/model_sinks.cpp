#include "analysis/model_sinks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qs {

namespace {

std::string g9(double v)
{
    char b[40];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

std::string jstr(const std::string& s)
{
    std::string o = "\"";
    for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return o + "\"";
}

} // namespace

std::vector<AtlasEntry> atlasEntries(const std::vector<WqTensor>& tensors)
{
    std::vector<AtlasEntry> entries;
    for (const WqTensor& t : tensors)
        for (const WqRow& r : t.rows) {
            if (r.compression != "none") continue;
            AtlasEntry e;
            e.tensor = t.info.name;
            e.format = r.format;
            e.numel = t.info.numel();
            e.metrics = r.metrics;
            if (r.estimate && !r.estimate->exact) {  // --sample: an estimate, with its intervals
                e.estimate = true;
                e.pccCi = r.estimate->pcc;
                e.maeCi = r.estimate->mae;
                e.sqnrCi = r.estimate->sqnrDb;
            }
            entries.push_back(std::move(e));
        }
    return entries;
}

PlanInput planInput(const std::vector<WqTensor>& tensors, bool weightedRun)
{
    PlanInput in;
    in.weightedRun = weightedRun;
    std::vector<std::vector<double>> unweighted;  // per item, per option: Σd²
    std::vector<double> ratios;
    for (const WqTensor& t : tensors) {
        PlanItem it;
        std::vector<std::string> fmts;
        std::vector<double> sse;
        bool w = weightedRun;  // a tensor without importance has NaN weighted sums
        double ratio = 0;
        for (const WqRow& r : t.rows) {
            if (r.compression != "none") continue;
            it.options.push_back({r.bytes, r.metrics.sse});
            sse.push_back(r.metrics.sse);
            if (!std::isfinite(r.metrics.wsse) || !std::isfinite(r.metrics.wssx)) w = false;
            if (w) it.options.back().sse = r.metrics.wsse;
            if (w && t.stats.sumSq > 0) ratio = r.metrics.wssx / t.stats.sumSq;
            fmts.push_back(r.format);
        }
        if (it.options.empty()) continue;
        if (w && ratio > 0) ratios.push_back(ratio);
        in.names.push_back(t.info.name);
        in.formats.push_back(std::move(fmts));
        in.items.push_back(std::move(it));
        unweighted.push_back(std::move(sse));
        in.weighted.push_back(w);
        in.params += t.info.numel();
    }
    in.weightedTensors = ratios.size();
    if (weightedRun) {
        if (!ratios.empty()) {
            std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
            in.unweightedScale = ratios[ratios.size() / 2];
        }
        for (size_t i = 0; i < in.items.size(); ++i)
            if (!in.weighted[i])
                for (size_t k = 0; k < in.items[i].options.size(); ++k)
                    in.items[i].options[k].sse = unweighted[i][k] * in.unweightedScale;
    }
    return in;
}

std::string planJson(const PlanInput& in, const PlanSolution& sol, double budget, const std::string& importanceSource,
                     const std::optional<SampleSpec>& sample)
{
    std::string json = "{\n  \"budget_bytes\": " + g9(budget) + ",\n  \"bytes\": " + g9(sol.bytes) +
                       ",\n  \"sse\": " + g9(sol.sse) + ",\n  \"lower_bound_sse\": " + g9(sol.lowerBound) +
                       ",\n  \"gap\": " + g9(sol.gap()) + ",\n  \"params\": " + std::to_string(in.params) +
                       ",\n  \"bits_per_param\": " + g9(8.0 * sol.bytes / double(std::max<int64_t>(1, in.params))) +
                       (sample ? ",\n  \"estimated\": true,\n  \"sample\": {\"fraction\": " + g9(sample->fraction) +
                                     ", \"seed\": " + std::to_string(sample->seed) + "}"
                               : std::string(",\n  \"estimated\": false")) +
                       ",\n  \"objective\": " + (in.weightedRun ? std::string("\"weighted_sse\"") : std::string("\"sse\"")) +
                       (in.weightedRun ? ",\n  \"importance\": " + jstr(importanceSource) + ",\n  \"weighted_tensors\": " +
                                             std::to_string(in.weightedTensors) + ",\n  \"unweighted_scale\": " +
                                             g9(in.unweightedScale)
                                       : std::string()) +
                       ",\n  \"tensors\": [";
    for (size_t i = 0; i < in.items.size(); ++i) {
        const size_t c = size_t(sol.choice[i]);
        const PlanOption& o = in.items[i].options[c];
        json += std::string(i ? "," : "") + "\n    {\"tensor\": " + jstr(in.names[i]) + ", \"format\": " +
                jstr(in.formats[i][c]) + ", \"bytes\": " + g9(o.bytes) + ", \"sse\": " + g9(o.sse) +
                (in.weightedRun ? std::string(", \"weighted\": ") + (in.weighted[i] ? "true" : "false") : std::string()) + "}";
    }
    return json + "\n  ]\n}\n";
}

std::string planCsv(const PlanInput& in, const PlanSolution& sol)
{
    std::string csv = "tensor,format,bytes,sse\n";
    for (size_t i = 0; i < in.items.size(); ++i) {
        const size_t c = size_t(sol.choice[i]);
        const PlanOption& o = in.items[i].options[c];
        csv += in.names[i] + "," + in.formats[i][c] + "," + g9(o.bytes) + "," + g9(o.sse) + "\n";
    }
    return csv;
}

} // namespace qs
