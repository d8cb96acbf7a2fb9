#include "analysis/model_sinks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qs {

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
            if (r.estimate && r.estimate->banded()) {
                e.banded = true;  // rank >= 2 under --sample: the cell pools its bands
                e.bands = r.estimate->bands;
                e.totalBands = r.estimate->totalBands;
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
    // --sample: what each option's error rests on (atlas.h sampledErrors)
    std::vector<SampledErrorInput> sampledIn;
    std::vector<std::pair<size_t, size_t>> sampledAt;  // (item, option)
    for (const WqTensor& t : tensors) {
        PlanItem it;
        std::vector<std::string> fmts;
        std::vector<double> sse;
        bool w = weightedRun;  // a tensor without importance has NaN weighted sums
        double ratio = 0;
        for (const WqRow& r : t.rows) {
            if (r.compression != "none") continue;
            it.options.push_back({r.deviceBytes, r.metrics.sse});
            sse.push_back(r.metrics.sse);
            if (!std::isfinite(r.metrics.wsse) || !std::isfinite(r.metrics.wssx)) w = false;
            if (w) it.options.back().sse = r.metrics.wsse;
            if (w && t.stats.sumSq > 0) ratio = r.metrics.wssx / t.stats.sumSq;
            fmts.push_back(r.format);
            if (r.estimate) {
                sampledIn.push_back({t.info.name, r.format, t.info.numel(), &*r.estimate, r.metrics.sse});
                sampledAt.emplace_back(in.items.size(), it.options.size() - 1);
            }
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
    if (!sampledIn.empty()) {  // 0 or 1 sampled band: the cell's (kind's, model's) error per element
        in.errorSource.resize(in.items.size());
        for (size_t i = 0; i < in.items.size(); ++i) in.errorSource[i].assign(in.items[i].options.size(), "tensor");
        const std::vector<SampledError> se = sampledErrors(sampledIn);
        for (size_t j = 0; j < se.size(); ++j) {
            const auto [i, k] = sampledAt[j];
            if (se[j].source == ErrorSource::Tensor) continue;
            unweighted[i][k] = se[j].sse;
            in.items[i].options[k].sse = se[j].sse;
            in.weighted[i] = 0;  // no weighted sums behind a pooled error
            in.errorSource[i][k] = errorSourceName(se[j].source);
        }
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

PlanFile planFileOf(const PlanInput& in, const PlanSolution& sol, double budget, const std::string& importanceSource)
{
    PlanFile p;
    p.granularity = "tensor";
    p.budgetBytes = budget;
    p.totalBytes = sol.bytes;
    p.totalError = sol.sse;
    p.lowerBound = sol.lowerBound;
    p.params = in.params;
    p.objective = in.weightedRun ? "weighted_sse" : "sse";
    if (in.weightedRun) {
        p.importance = importanceSource;
        p.weightedTensors = int64_t(in.weightedTensors);
        p.unweightedScale = in.unweightedScale;
    }
    for (size_t i = 0; i < in.items.size(); ++i) {
        const size_t c = size_t(sol.choice[i]);
        PlanChoice ch;
        ch.tensor = in.names[i];
        ch.format = in.formats[i][c];
        ch.bytes = in.items[i].options[c].bytes;
        ch.error = in.items[i].options[c].sse;
        if (in.weightedRun) ch.weighted = bool(in.weighted[i]);
        if (!in.errorSource.empty()) ch.errorSource = in.errorSource[i][c];
        p.choices.push_back(std::move(ch));
    }
    return p;
}

std::string planCsv(const PlanFile& plan)
{
    std::string csv = "tensor,format,bytes,sse\n";
    char b[80];
    for (const PlanChoice& c : plan.choices) {
        std::snprintf(b, sizeof b, ",%.17g,%.17g\n", c.bytes, c.error);
        csv += c.tensor + "," + c.format + b;
    }
    return csv;
}

std::vector<UniformPoint> uniformPoints(const PlanInput& in)
{
    std::vector<UniformPoint> out;
    for (size_t i = 0; i < in.items.size(); ++i)
        for (size_t k = 0; k < in.formats[i].size(); ++k) {
            auto it = std::find_if(out.begin(), out.end(), [&](const UniformPoint& u) { return u.format == in.formats[i][k]; });
            if (it == out.end()) out.push_back({in.formats[i][k]}), it = out.end() - 1;
            it->bytes += in.items[i].options[k].bytes;
            it->sse += in.items[i].options[k].sse;
            ++it->tensors;
        }
    return out;
}

} // namespace qs
