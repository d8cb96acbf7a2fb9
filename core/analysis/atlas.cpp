#include "analysis/atlas.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>

namespace qs {

bool parseAtlasMetric(const std::string& s, AtlasMetric& out)
{
    if (s == "sqnr") return out = AtlasMetric::Sqnr, true;
    if (s == "pcc") return out = AtlasMetric::Pcc, true;
    if (s == "mae") return out = AtlasMetric::Mae, true;
    if (s == "wsqnr") return out = AtlasMetric::Wsqnr, true;
    if (s == "wrel") return out = AtlasMetric::Wrel, true;
    return false;
}

const char* atlasMetricName(AtlasMetric m)
{
    switch (m) {
    case AtlasMetric::Sqnr: return "sqnr";
    case AtlasMetric::Pcc: return "pcc";
    case AtlasMetric::Mae: return "mae";
    case AtlasMetric::Wsqnr: return "wsqnr";
    case AtlasMetric::Wrel: return "wrel";
    }
    return "";
}

const char* atlasMetricUnit(AtlasMetric m)
{
    switch (m) {
    case AtlasMetric::Sqnr:
    case AtlasMetric::Wsqnr: return "dB";
    case AtlasMetric::Pcc: return "";
    case AtlasMetric::Mae: return "abs";
    case AtlasMetric::Wrel: return "of RMS";
    }
    return "";
}

double atlasValue(const Metrics& m, AtlasMetric metric)
{
    switch (metric) {
    case AtlasMetric::Sqnr: return m.sqnrDb;
    case AtlasMetric::Pcc: return m.pcc;
    case AtlasMetric::Mae: return m.mae;
    case AtlasMetric::Wsqnr: return m.wsqnrDb;
    case AtlasMetric::Wrel: return m.wrel;
    }
    return m.sqnrDb;
}

bool atlasHigherIsBetter(AtlasMetric metric) { return metric != AtlasMetric::Mae && metric != AtlasMetric::Wrel; }

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

// a is worse than b under metric; n/a (NaN: an undefined PCC, or nothing finite left to
// measure) is missing, never the worst: any value is worse than it.
bool worse(double a, double b, AtlasMetric metric)
{
    if (std::isnan(b)) return !std::isnan(a);
    if (std::isnan(a)) return false;
    return atlasHigherIsBetter(metric) ? a < b : a > b;
}

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
    for (size_t i = 0; i < entries.size(); ++i) {
        const AtlasEntry& e = entries[i];
        // a tensor's entries (one per format) are usually adjacent: split its name once
        lks.push_back(i > 0 && entries[i - 1].tensor == e.tensor ? lks.back() : layerKind(e.tensor));
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
        double wsse = 0, wssx = 0;  // Σd²v, Σx²v of the members with importance
        int weighted = 0;
        double atol = 0;
        int64_t measuredNumel = 0;  // elements of members whose metrics are defined
        int64_t pccNumel = 0;       // ... and whose PCC is defined
        // Interval sides of the estimated members, weighted by numel (squared sums).
        double pccLo2 = 0, pccHi2 = 0, maeLo2 = 0, maeHi2 = 0;
        double sqnrWorst = std::numeric_limits<double>::quiet_NaN();
        Interval sqnrCi{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::quiet_NaN(),
                        std::numeric_limits<double>::quiet_NaN()};
        // --sample: the pooled bands of banded members (shifted to the first band's shift)
        bool allBanded = true;
        std::vector<ErrorSums> pooled;
        int64_t pooledTotal = 0;
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
        if (!e.banded) {
            ac.allBanded = false;
        } else {
            ac.pooledTotal += e.totalBands;
            for (const ErrorSums& b : e.bands)
                ac.pooled.push_back(ac.pooled.empty() ? b : withShift(b, ac.pooled.front().shift));
            if (e.bands.empty()) continue;  // not sampled: in the count only
        }
        if (e.metrics.undefined()) continue;  // n/a members: in the count and the worst value only
        if (std::isfinite(e.metrics.wsse) && std::isfinite(e.metrics.wssx))
            ac.wsse += e.metrics.wsse, ac.wssx += e.metrics.wssx, ++ac.weighted;
        // An estimate's count is the pairs sampled: it weighs as the whole tensor.
        const double n = double(e.metrics.count > 0 && !e.estimate ? e.metrics.count : e.numel);
        ac.measuredNumel += int64_t(n);
        if (e.estimate) {
            auto sq = [n](double side) { return std::isnan(side) ? 0.0 : n * n * side * side; };
            ac.pccLo2 += sq(e.pccCi.value - e.pccCi.lo), ac.pccHi2 += sq(e.pccCi.hi - e.pccCi.value);
            ac.maeLo2 += sq(e.maeCi.value - e.maeCi.lo), ac.maeHi2 += sq(e.maeCi.hi - e.maeCi.value);
        }
        if (!std::isnan(e.metrics.sqnrDb) && (std::isnan(ac.sqnrWorst) || e.metrics.sqnrDb < ac.sqnrWorst)) {
            ac.sqnrWorst = e.metrics.sqnrDb;
            ac.sqnrCi = e.estimate ? e.sqnrCi : Interval{e.metrics.sqnrDb, e.metrics.sqnrDb, e.metrics.sqnrDb};
        }
        if (!std::isnan(e.metrics.pcc)) ac.wPcc += n * e.metrics.pcc, ac.pccNumel += int64_t(n);
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
                const bool pooled = ac.allBanded && c.estimate;  // --sample: a pooled estimate of the cell
                if (pooled) {
                    const SampleEstimate est = estimateFromBands(ac.pooled, ac.pooledTotal);
                    c.aggregate = est.metrics;
                    if (est.metrics.count > 0) c.aggregate.sse *= double(c.numel) / double(est.metrics.count);
                    c.pccCi = est.pcc, c.maeCi = est.mae, c.sqnrCi = est.sqnrDb;
                    c.sampledBands = est.sampledBands, c.totalBands = est.totalBands;
                } else if (ac.sumsUsable) {
                    c.aggregate = finish(ac.sums);
                } else if (ac.measuredNumel == 0) {  // no member could be measured
                    const double na = std::numeric_limits<double>::quiet_NaN();
                    c.aggregate.pcc = c.aggregate.mae = c.aggregate.rmse = c.aggregate.atol = c.aggregate.sqnrDb = na;
                } else {  // without common sums: element-weighted means; SQNR from the worst member
                    const double n = double(ac.measuredNumel);
                    c.aggregate.pcc = ac.pccNumel ? ac.wPcc / double(ac.pccNumel) : std::numeric_limits<double>::quiet_NaN();
                    c.aggregate.mae = ac.wMae / n;
                    c.aggregate.rmse = std::sqrt(ac.wSqErr / n);
                    c.aggregate.atol = ac.atol;
                    c.aggregate.sqnrDb = metric == AtlasMetric::Sqnr ? c.worstValue : 0.0;
                    c.aggregate.count = c.numel;
                }
                if (c.estimate && !pooled) {  // members' intervals combined
                    const double na = std::numeric_limits<double>::quiet_NaN();
                    const double n = double(std::max<int64_t>(1, ac.measuredNumel));
                    const double pn = double(std::max<int64_t>(1, ac.pccNumel));
                    const double p = c.aggregate.pcc, m = c.aggregate.mae;
                    c.pccCi = std::isnan(p) ? Interval{na, na, na}
                                            : Interval{p, p - std::sqrt(ac.pccLo2) / pn, p + std::sqrt(ac.pccHi2) / pn};
                    c.maeCi = std::isnan(m) ? Interval{na, na, na}
                                            : Interval{m, m - std::sqrt(ac.maeLo2) / n, m + std::sqrt(ac.maeHi2) / n};
                    c.sqnrCi = ac.sqnrCi;
                    if (!(c.aggregate.sqnrDb == ac.sqnrWorst)) c.sqnrCi = {na, na, na};  // not the worst member's value
                }
                // Weighted: from the members' weighted sums (every branch; none: n/a).
                const double na = std::numeric_limits<double>::quiet_NaN();
                c.aggregate.wsqnrDb = ac.weighted ? sqnrDb(ac.wssx, ac.wsse) : na;
                c.aggregate.wrel = ac.weighted ? relativeRms(ac.wssx, ac.wsse) : na;
            }
    std::vector<size_t> order;
    for (size_t i = 0; i < entries.size(); ++i)
        if (!(entries[i].banded && entries[i].bands.empty())) order.push_back(i);  // not sampled: no value
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
        return worse(atlasValue(entries[x].metrics, metric), atlasValue(entries[y].metrics, metric), metric);
    });
    for (size_t i = 0; i < order.size() && i < topN; ++i) a.worst.push_back(entries[order[i]]);
    return a;
}

std::vector<double> informativePasses(const std::vector<double>& passes, const std::vector<ShapedName>& tensors,
                                      double minBands)
{
    std::map<std::pair<int, std::string>, int64_t> cellBands;
    for (const ShapedName& t : tensors) {
        if (t.shape.size() < 2) continue;  // read whole under any sample
        int64_t rows = 1;
        for (size_t d = 0; d + 1 < t.shape.size(); ++d) rows *= t.shape[d];
        const LayerKind lk = layerKind(t.name);
        cellBands[{lk.layer, lk.kind}] += bandCount(rows);
    }
    std::vector<int64_t> bands;
    for (const auto& [cell, b] : cellBands) bands.push_back(b);
    double median = 0;
    if (!bands.empty()) {
        std::nth_element(bands.begin(), bands.begin() + bands.size() / 2, bands.end());
        median = double(bands[bands.size() / 2]);
    }
    std::vector<double> out;
    for (double f : passes)
        if (f >= 1.0 || f * median >= minBands) out.push_back(f);
    return out;
}

const char* errorSourceName(ErrorSource s)
{
    switch (s) {
    case ErrorSource::Tensor: return "tensor";
    case ErrorSource::Cell: return "cell";
    case ErrorSource::Kind: return "kind";
    case ErrorSource::Model: return "model";
    }
    return "tensor";
}

std::vector<SampledError> sampledErrors(const std::vector<SampledErrorInput>& rows)
{
    struct Pool {
        double sdd = 0, n = 0;
        void add(const std::vector<ErrorSums>& bands)
        {
            for (const ErrorSums& b : bands) sdd += b.sdd, n += double(b.n);
        }
    };
    auto own = [](const SampledErrorInput& r) { return !r.estimate || r.estimate->exact || r.estimate->sampledBands >= 2; };
    std::map<std::string, Pool> cells, kinds, model;  // keys: format \x1f layer \x1f kind ...
    std::vector<LayerKind> lks;
    lks.reserve(rows.size());
    auto cellKey = [](const SampledErrorInput& r, const LayerKind& lk) {
        return r.format + '\x1f' + std::to_string(lk.layer) + '\x1f' + lk.kind;
    };
    for (size_t i = 0; i < rows.size(); ++i) {
        const SampledErrorInput& r = rows[i];
        // a tensor's rows (one per format) are adjacent: split its name once
        lks.push_back(i > 0 && rows[i - 1].tensor == r.tensor ? lks.back() : layerKind(r.tensor));
        if (!r.estimate) continue;
        cells[cellKey(r, lks.back())].add(r.estimate->bands);
        kinds[r.format + '\x1f' + lks.back().kind].add(r.estimate->bands);
        model[r.format].add(r.estimate->bands);
    }
    std::vector<SampledError> out(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
        const SampledErrorInput& r = rows[i];
        if (own(r)) {
            out[i] = {r.sse, ErrorSource::Tensor};
            continue;
        }
        const Pool* p[] = {&cells[cellKey(r, lks[i])], &kinds[r.format + '\x1f' + lks[i].kind], &model[r.format]};
        const ErrorSource src[] = {ErrorSource::Cell, ErrorSource::Kind, ErrorSource::Model};
        out[i] = {std::numeric_limits<double>::quiet_NaN(), ErrorSource::Model};
        for (int k = 0; k < 3; ++k)
            if (p[k]->n > 0) {
                out[i] = {p[k]->sdd / p[k]->n * double(r.numel), src[k]};
                break;
            }
    }
    return out;
}

} // namespace qs

namespace qs {

namespace {

std::string num(double v)
{
    if (!std::isfinite(v)) return "null";
    char b[40];
    std::snprintf(b, sizeof b, "%.9g", v);
    return b;
}

std::string jstr(const std::string& s)
{
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\', o += c;
        else if (static_cast<unsigned char>(c) < 0x20) {
            char b[8];
            std::snprintf(b, sizeof b, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
            o += b;
        } else o += c;
    }
    return o + "\"";
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
    return o + "\"";
}

std::string csvNum(double v) { return std::isfinite(v) ? num(v) : (std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"); }

// [lo, hi], or null when the value is undefined.
std::string ciJson(const Interval& i)
{
    if (!i.bounded()) return "null";  // undefined / one band
    return "[" + num(i.lo) + ", " + num(i.hi) + "]";
}

std::string ciCsv(const Interval& i, bool on) { return on ? csvNum(i.lo) + "," + csvNum(i.hi) : std::string(","); }

} // namespace

std::string atlasJson(const Atlas& a)
{
    std::string o = "{\n  \"metric\": " + jstr(atlasMetricName(a.metric)) + ",\n  \"unit\": " +
                    jstr(atlasMetricUnit(a.metric)) + ",\n  \"formats\": [";
    for (size_t i = 0; i < a.formats.size(); ++i) o += (i ? ", " : "") + jstr(a.formats[i]);
    o += "],\n  \"layers\": [";
    for (size_t i = 0; i < a.layers.size(); ++i) o += (i ? ", " : "") + std::to_string(a.layers[i]);
    o += "],\n  \"kinds\": [";
    for (size_t i = 0; i < a.kinds.size(); ++i) o += (i ? ", " : "") + jstr(a.kinds[i]);
    o += "],\n";
    if (a.sampleFraction > 0)
        o += "  \"sample\": {\"fraction\": " + num(a.sampleFraction) + ", \"seed\": " + std::to_string(a.sampleSeed) + "},\n";
    o += "  \"cells\": [";
    bool first = true;
    for (size_t f = 0; f < a.formats.size(); ++f)
        for (size_t l = 0; l < a.layers.size(); ++l)
            for (size_t k = 0; k < a.kinds.size(); ++k) {
                const AtlasCell& c = a.cell(f, l, k);
                if (c.tensors == 0) continue;
                o += std::string(first ? "" : ",") + "\n    {\"format\": " + jstr(a.formats[f]) + ", \"layer\": " +
                     (a.layers[l] < 0 ? std::string("null") : std::to_string(a.layers[l])) + ", \"kind\": " + jstr(a.kinds[k]) +
                     ", \"tensors\": " + std::to_string(c.tensors) + ", \"numel\": " + std::to_string(c.numel) +
                     ", \"pcc\": " + num(c.aggregate.pcc) + ", \"mae\": " + num(c.aggregate.mae) +
                     ", \"atol\": " + num(c.aggregate.atol) + ", \"sqnr_db\": " + num(c.aggregate.sqnrDb) +
                     ", \"wsqnr_db\": " + num(c.aggregate.wsqnrDb) + ", \"wrel\": " + num(c.aggregate.wrel) +
                     ", \"worst_tensor\": " + jstr(c.worstTensor) + ", \"worst_value\": " + num(c.worstValue) +
                     ", \"estimate\": " + (c.estimate ? "true" : "false");
                if (c.estimate)
                    o += ", \"pcc_ci\": " + ciJson(c.pccCi) + ", \"mae_ci\": " + ciJson(c.maeCi) +
                         ", \"sqnr_db_ci\": " + ciJson(c.sqnrCi);
                if (c.totalBands > 0)  // a pooled cell: the bands behind it
                    o += ", \"sample_bands\": " + std::to_string(c.sampledBands) + ", \"total_bands\": " + std::to_string(c.totalBands);
                o += "}";
                first = false;
            }
    o += "\n  ],\n  \"worst\": [";
    for (size_t i = 0; i < a.worst.size(); ++i) {
        const AtlasEntry& e = a.worst[i];
        o += std::string(i ? "," : "") + "\n    {\"tensor\": " + jstr(e.tensor) + ", \"format\": " + jstr(e.format) +
             ", \"value\": " + num(atlasValue(e.metrics, a.metric)) + ", \"estimate\": " +
             (e.estimate ? "true" : "false") + "}";
    }
    return o + "\n  ]\n}\n";
}

std::string atlasCsv(const Atlas& a)
{
    std::string o = "format,layer,kind,tensors,numel,pcc,mae,atol,sqnr_db,worst_tensor,worst_value,estimate,wsqnr_db,wrel,"
                    "pcc_lo,pcc_hi,mae_lo,mae_hi,sqnr_db_lo,sqnr_db_hi\n";
    for (size_t f = 0; f < a.formats.size(); ++f)
        for (size_t l = 0; l < a.layers.size(); ++l)
            for (size_t k = 0; k < a.kinds.size(); ++k) {
                const AtlasCell& c = a.cell(f, l, k);
                if (c.tensors == 0) continue;
                o += csvField(a.formats[f]) + "," + (a.layers[l] < 0 ? std::string() : std::to_string(a.layers[l])) + "," +
                     csvField(a.kinds[k]) + "," + std::to_string(c.tensors) + "," + std::to_string(c.numel) + "," +
                     csvNum(c.aggregate.pcc) + "," + csvNum(c.aggregate.mae) + "," + csvNum(c.aggregate.atol) + "," +
                     csvNum(c.aggregate.sqnrDb) + "," + csvField(c.worstTensor) + "," + csvNum(c.worstValue) + "," +
                     (c.estimate ? "1" : "0") + "," + csvNum(c.aggregate.wsqnrDb) + "," + csvNum(c.aggregate.wrel) + "," +
                     ciCsv(c.pccCi, c.estimate) + "," + ciCsv(c.maeCi, c.estimate) + "," + ciCsv(c.sqnrCi, c.estimate) + "\n";
            }
    return o;
}

std::string atlasReport(const Atlas& a)
{
    std::string o = "Worst " + std::to_string(a.worst.size()) + " by " + atlasMetricName(a.metric) +
                    (*atlasMetricUnit(a.metric) ? std::string(" (") + atlasMetricUnit(a.metric) + ")" : std::string()) + ":\n";
    size_t w = 0;
    for (const AtlasEntry& e : a.worst) w = std::max(w, e.tensor.size());
    for (size_t i = 0; i < a.worst.size(); ++i) {
        const AtlasEntry& e = a.worst[i];
        char b[64];
        std::snprintf(b, sizeof b, "%3zu. ", i + 1);
        o += b + e.tensor + std::string(w - e.tensor.size() + 2, ' ');
        std::snprintf(b, sizeof b, "%-8s %12.6g", e.format.c_str(), atlasValue(e.metrics, a.metric));
        o += b + std::string(e.estimate ? "  (estimate)" : "") + "\n";
    }
    return o;
}

} // namespace qs
