#include "analysis/atlas.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

namespace qs {

bool parseAtlasMetric(const std::string& s, AtlasMetric& out)
{
    if (s == "sqnr") return out = AtlasMetric::Sqnr, true;
    if (s == "pcc") return out = AtlasMetric::Pcc, true;
    if (s == "mae") return out = AtlasMetric::Mae, true;
    return false;
}

const char* atlasMetricName(AtlasMetric m)
{
    return m == AtlasMetric::Sqnr ? "sqnr" : m == AtlasMetric::Pcc ? "pcc" : "mae";
}

const char* atlasMetricUnit(AtlasMetric m)
{
    return m == AtlasMetric::Sqnr ? "dB" : m == AtlasMetric::Pcc ? "" : "abs";
}

double atlasValue(const Metrics& m, AtlasMetric metric)
{
    return metric == AtlasMetric::Sqnr ? m.sqnrDb : metric == AtlasMetric::Pcc ? m.pcc : m.mae;
}

bool atlasHigherIsBetter(AtlasMetric metric) { return metric != AtlasMetric::Mae; }

namespace {

bool allDigits(const std::string& s)
{
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::vector<std::string> splitDots(const std::string& s)
{
    std::vector<std::string> parts;
    size_t a = 0;
    for (;;) {
        const size_t b = s.find('.', a);
        parts.push_back(s.substr(a, b == std::string::npos ? std::string::npos : b - a));
        if (b == std::string::npos) return parts;
        a = b + 1;
    }
}

// a is worse than b under metric
bool worse(double a, double b, AtlasMetric metric) { return atlasHigherIsBetter(metric) ? a < b : a > b; }

} // namespace

LayerKind layerKind(const std::string& name)
{
    const std::vector<std::string> p = splitDots(name);
    LayerKind lk;
    size_t at = p.size();
    for (size_t i = 0; i + 1 < p.size(); ++i) {
        if ((p[i] == "layers" || p[i] == "h" || p[i] == "blocks" || p[i] == "layer") && allDigits(p[i + 1])) {
            at = i + 1;
            break;
        }
    }
    if (at == p.size() || p[at].size() > 9) {
        lk.kind = name;
        return lk;
    }
    lk.layer = std::stoi(p[at]);
    for (size_t i = at + 1; i < p.size(); ++i) {
        if (!lk.kind.empty()) lk.kind += '.';
        lk.kind += allDigits(p[i]) ? std::string("*") : p[i];
    }
    return lk;
}

Atlas buildAtlas(const std::vector<AtlasEntry>& entries, AtlasMetric metric, size_t topN)
{
    Atlas a;
    a.metric = metric;
    std::vector<LayerKind> lks;
    lks.reserve(entries.size());
    std::map<int, size_t> layerIx;
    std::map<std::string, size_t> kindIx;
    for (const AtlasEntry& e : entries) {
        lks.push_back(layerKind(e.tensor));
        layerIx[lks.back().layer] = 0;
        kindIx[lks.back().kind] = 0;
        if (std::find(a.formats.begin(), a.formats.end(), e.format) == a.formats.end()) a.formats.push_back(e.format);
    }
    for (auto& [l, ix] : layerIx) ix = a.layers.size(), a.layers.push_back(l);
    for (auto& [k, ix] : kindIx) ix = a.kinds.size(), a.kinds.push_back(k);
    a.cells.assign(a.formats.size(),
                   std::vector<std::vector<AtlasCell>>(a.layers.size(), std::vector<AtlasCell>(a.kinds.size())));
    // merged sums per cell (all sums of one cell share no shift in general: merge only
    // when every member has sums with the same shift, else element-weighted means)
    struct Acc {
        ErrorSums sums;
        bool sumsUsable = true;
        double wPcc = 0, wMae = 0, wSqErr = 0, wSqX = 0;
        double atol = 0;
    };
    std::vector<Acc> acc(a.formats.size() * a.layers.size() * a.kinds.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        const AtlasEntry& e = entries[i];
        const size_t f = size_t(std::find(a.formats.begin(), a.formats.end(), e.format) - a.formats.begin());
        const size_t l = layerIx[lks[i].layer], k = kindIx[lks[i].kind];
        AtlasCell& c = a.cells[f][l][k];
        Acc& ac = acc[(f * a.layers.size() + l) * a.kinds.size() + k];
        const double v = atlasValue(e.metrics, metric);
        if (c.tensors == 0 || worse(v, c.worstValue, metric)) c.worstValue = v, c.worstTensor = e.tensor;
        if (c.tensors == 0) ac.sums.shift = e.sums.shift;
        ++c.tensors;
        c.numel += e.numel;
        c.estimate = c.estimate || e.estimate;
        if (e.sums.n == 0 || e.sums.shift != ac.sums.shift) ac.sumsUsable = false;
        if (ac.sumsUsable) ac.sums.merge(e.sums);
        const double n = double(e.metrics.count > 0 ? e.metrics.count : e.numel);
        ac.wPcc += n * e.metrics.pcc;
        ac.wMae += n * e.metrics.mae;
        ac.wSqErr += n * e.metrics.rmse * e.metrics.rmse;
        ac.atol = std::max(ac.atol, e.metrics.atol);
    }
    for (size_t f = 0; f < a.formats.size(); ++f)
        for (size_t l = 0; l < a.layers.size(); ++l)
            for (size_t k = 0; k < a.kinds.size(); ++k) {
                AtlasCell& c = a.cells[f][l][k];
                const Acc& ac = acc[(f * a.layers.size() + l) * a.kinds.size() + k];
                if (c.tensors == 0) continue;
                if (ac.sumsUsable) {
                    c.aggregate = finish(ac.sums);
                } else {  // without common sums: element-weighted means; SQNR from the worst member
                    const double n = double(c.numel);
                    c.aggregate.pcc = ac.wPcc / n;
                    c.aggregate.mae = ac.wMae / n;
                    c.aggregate.rmse = std::sqrt(ac.wSqErr / n);
                    c.aggregate.atol = ac.atol;
                    c.aggregate.sqnrDb = metric == AtlasMetric::Sqnr ? c.worstValue : 0.0;
                    c.aggregate.count = c.numel;
                }
            }
    std::vector<size_t> order(entries.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        return worse(atlasValue(entries[x].metrics, metric), atlasValue(entries[y].metrics, metric), metric);
    });
    for (size_t i = 0; i < order.size() && i < topN; ++i) a.worst.push_back(entries[order[i]]);
    return a;
}

} // namespace qs
