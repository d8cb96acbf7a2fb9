#include "analysis/synth.h"
#include "common/csv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace qs {

namespace {

// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and the same on every platform.
class SplitMix64 {
public:
    explicit SplitMix64(uint64_t seed) : m_state(seed) {}
    uint64_t next()
    {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1) with 24 random bits: exactly representable in float32.
    float uniform01() { return float(next() >> 40) * 0x1p-24f; }

private:
    uint64_t m_state;
};

// Applies f to `count` values laid out as one row [1, count].
void applyRow(const FormatChoice& fc, const float* in, float* out, int64_t count, float absMax)
{
    QuantContext ctx;
    ctx.absMax = absMax;
    fc.format->fast(in, out, 1, count, ctx, fc.options);
}

float gridAbsMax(const std::vector<float>& xs)
{
    float m = 0.0f;
    for (float v : xs)
        if (std::isfinite(v)) m = std::max(m, std::fabs(v));
    return m;
}

std::string upperLabel(const Format& f) { return std::string(f.label); }

// "<F> (ideal exp)" via the per-element twin, applied to the whole grid (elementwise).
SynthCurve idealCurve(const FormatChoice& fc, const Format& twin, const std::vector<float>& xs, float absMax)
{
    SynthCurve c;
    c.key = std::string(twin.name);
    c.label = std::string(twin.label);
    c.format = std::string(twin.name);
    c.y.assign(xs.size(), 0.0f);
    FormatChoice t{&twin, fc.options};
    // Elementwise: each x on its own so no format-level blocking can couple them.
    for (size_t i = 0; i < xs.size(); ++i) applyRow(t, &xs[i], &c.y[i], 1, absMax);
    return c;
}

// "<F> (rand<K> exp)": mean over `samples` K-element rows holding x at a random position.
Result<SynthCurve> randCurve(const FormatChoice& fc, const std::vector<float>& xs, int samples, uint64_t seed,
                             float absMax, Progress* progress)
{
    const Format& f = *fc.format;
    const int k = std::max(1, f.blockK);
    SynthCurve c;
    c.key = std::string(f.name) + "_rand";
    c.label = upperLabel(f) + " (rand" + std::to_string(k) + " exp)";
    c.format = std::string(f.name);
    c.y.assign(xs.size(), 0.0f);
    SplitMix64 rng(seed);
    std::vector<float> row(static_cast<size_t>(k)), out(static_cast<size_t>(k));
    for (size_t i = 0; i < xs.size(); ++i) {
        if (progress && progress->cancelled()) return Error::usage("cancelled");
        const float x = xs[i];
        if (x == 0.0f) continue;  // 0 reconstructs to 0; no draws (as the reference)
        double acc = 0.0;
        for (int s = 0; s < samples; ++s) {
            for (int j = 0; j < k; ++j) row[size_t(j)] = rng.uniform01() * x;
            const int pos = int(rng.next() % uint64_t(k));
            row[size_t(pos)] = x;
            applyRow(fc, row.data(), out.data(), k, absMax);
            acc += std::fabs(double(out[size_t(pos)]));
        }
        c.y[i] = float(acc / double(samples));
    }
    return c;
}

// F applied to a block whose largest magnitude is x (other elements zero).
SynthCurve blockMaxCurve(const FormatChoice& fc, const std::vector<float>& xs, float absMax)
{
    const Format& f = *fc.format;
    SynthCurve c;
    c.key = std::string(f.name);
    c.label = upperLabel(f);
    c.format = std::string(f.name);
    c.y.assign(xs.size(), 0.0f);
    for (size_t i = 0; i < xs.size(); ++i) applyRow(fc, &xs[i], &c.y[i], 1, absMax);
    return c;
}

} // namespace

const SynthCurve* SynthCurves::find(const std::string& key) const
{
    for (const auto& c : curves)
        if (c.key == key) return &c;
    return nullptr;
}

std::vector<float> linspaceF32(double start, double stop, int num)
{
    std::vector<float> out;
    if (num <= 0) return out;
    out.resize(size_t(num));
    if (num == 1) {
        out[0] = float(start);
        return out;
    }
    const double div = double(num - 1);
    const double delta = stop - start;
    const double step = delta / div;
    for (int i = 0; i < num; ++i) {
        double y = (step == 0.0) ? double(i) / div * delta : double(i) * step;
        out[size_t(i)] = float(y + start);
    }
    out[size_t(num - 1)] = float(stop);
    return out;
}

Result<SynthCurves> makeSynthCurves(const SynthParams& params, Progress* progress)
{
    if (params.randSamples < 1)
        return Error::usage("--rand-samples must be at least 1 (got " + std::to_string(params.randSamples) + ")");
    SynthCurves out;
    out.x = params.xs.empty() ? linspaceF32(0.0, 1.0, 400) : params.xs;
    out.randSamples = params.randSamples;
    out.seed = params.seed;
    std::vector<FormatChoice> formats = params.formats;
    if (formats.empty())
        for (const Format* f : originalFormats()) formats.push_back({f, {}});

    const float absMax = gridAbsMax(out.x);
    out.curves.push_back({"ideal", "IDEAL", "", out.x});
    if (progress) progress->phase("synthetic curves");
    for (size_t fi = 0; fi < formats.size(); ++fi) {
        const FormatChoice& fc = formats[fi];
        if (!fc.format) return Error::usage("synthetic curves: a format entry is empty");
        if (progress) {
            if (progress->cancelled()) return Error::usage("cancelled");
            progress->report(fi, formats.size(), "formats");
        }
        const Format* twin = findFormat(std::string(fc.format->name) + "_ideal");
        if (twin && twin != fc.format) {
            out.curves.push_back(idealCurve(fc, *twin, out.x, absMax));
            auto rc = randCurve(fc, out.x, params.randSamples, params.seed, absMax, progress);
            if (!rc) return rc.error();
            out.curves.push_back(std::move(*rc));
        } else {
            out.curves.push_back(blockMaxCurve(fc, out.x, absMax));
        }
    }
    if (progress) progress->report(formats.size(), formats.size(), "formats");
    return out;
}

std::string synthCsv(const SynthCurves& curves)
{
    std::string out = "x";
    for (const auto& c : curves.curves) out += "," + csvField(c.label);
    out += "\n";
    char buf[32];
    for (size_t i = 0; i < curves.x.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%.9g", double(curves.x[i]));
        out += buf;
        for (const auto& c : curves.curves) {
            std::snprintf(buf, sizeof buf, "%.9g", double(c.y[i]));
            out += ",";
            out += buf;
        }
        out += "\n";
    }
    return out;
}

} // namespace qs
