#include "analysis/compression_config.h"

#include "io/json_util.h"

#include <QDir>
#include <QFile>

#include <algorithm>
#include <cmath>
#include <random>

namespace qs {

namespace {

using nlohmann::json;

struct Alg { const char* name; const char* canonical; };
constexpr Alg kAlgorithms[] = {
    {"none", "none"},
    {"transpose", "transpose"},
    {"mixed-tile-greedy", "mixed-tile-greedy"},
    {"mixed-tile", "mixed-tile-greedy"},
    {"mixed-tile-random", "mixed-tile-random"},
    {"mixed-tile-threshold", "mixed-tile-threshold"},
    {"plan", "plan"},
};

const char* const kTopKeys[] = {"algorithm", "quantization_formats", "seed", "random_seed", "params"};
const char* const kParamKeys[] = {"metric", "threshold", "formats", "tile_formats", "cluster", "k", "iters", "seed"};

std::string lower(std::string s)
{
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// The JSON spelling of a value for messages: "abc" with quotes, 1.5, true, [...]
// (bounded: never serializes more of an untrusted value than it shows).
std::string shown(const json& v)
{
    return jsonShort(v, 57);
}

// The params each algorithm reads (its schema); other known params are ignored with a
// warning and never written to compression_config.used.json.
bool paramApplies(const std::string& algorithm, const std::string& key)
{
    if (algorithm.rfind("mixed-tile", 0) != 0) return false;
    if (key == "metric" || key == "threshold" || key == "formats" || key == "tile_formats") return true;
    if (algorithm == "mixed-tile-greedy") return key == "cluster" || key == "k";
    if (algorithm == "mixed-tile-random") return key == "iters" || key == "seed";
    return false;
}

class Checker {
public:
    explicit Checker(const QString& path) : m_where(QDir::toNativeSeparators(path).toStdString()) {}
    Error fail(const std::string& field, const std::string& what) const
    {
        return Error::usage(m_where + ": " + field + ": " + what);
    }
    Error expected(const std::string& field, const std::string& what, const json& got) const
    {
        return fail(field, "expected " + what + ", got " + shown(got));
    }
    const std::string& where() const { return m_where; }

private:
    std::string m_where;
};

// An integer (or an integral float) in [lo, hi].
bool asInteger(const json& v, int64_t lo, int64_t hi, int64_t& out)
{
    if (v.is_number_integer()) {
        if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX)) return false;
        out = v.get<int64_t>();
    } else if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d != std::floor(d) || std::fabs(d) > 9.0e15) return false;
        out = int64_t(d);
    } else {
        return false;
    }
    return out >= lo && out <= hi;
}

// A list of format names or a comma string -> registry names (no duplicates, "all" and
// "every" expanded).
Result<std::vector<std::string>> formatList(const Checker& c, const std::string& field, const json& v, bool allowString)
{
    std::vector<std::string> names;
    if (v.is_string() && allowString) {
        const std::string s = v.get<std::string>();
        size_t start = 0;
        while (start <= s.size()) {
            size_t end = s.find(',', start);
            if (end == std::string::npos) end = s.size();
            std::string part = s.substr(start, end - start);
            part.erase(0, part.find_first_not_of(" \t"));
            part.erase(part.find_last_not_of(" \t") + 1);
            if (!part.empty()) names.push_back(part);
            start = end + 1;
        }
    } else if (v.is_array()) {
        for (size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_string()) return c.expected(field + "[" + std::to_string(i) + "]", "a format name (string)", v[i]);
            names.push_back(v[i].get<std::string>());
        }
    } else {
        return c.expected(field, allowString ? "a list of format names or a comma-separated string" : "a list of strings", v);
    }
    std::vector<std::string> out;
    auto add = [&](std::string_view n) {
        if (std::find(out.begin(), out.end(), n) == out.end()) out.emplace_back(n);
    };
    for (const std::string& n : names) {
        const std::string l = lower(n);
        if (l == "all") {
            for (const Format* f : originalFormats()) add(f->name);
        } else if (l == "every") {
            for (const Format& f : formats()) add(f.name);
        } else if (const Format* f = findFormat(n)) {
            add(f->name);
        } else {
            return c.fail(field, "unknown format \"" + n + "\" (valid: " + formatNameList() + ", all, every)");
        }
    }
    return out;
}

uint64_t freshSeed()
{
    std::random_device rd;
    const uint64_t hi = rd(), lo = rd();
    return ((hi << 32) | lo) & ((uint64_t(1) << 53) - 1);
}

// seed: a non-negative integer or "random"; sets seed/source, or leaves them empty.
Result<void> readSeed(const Checker& c, const std::string& field, const json& v, std::optional<uint64_t>& seed,
                      std::string& source, const char* intSource)
{
    if (v.is_null()) return {};
    if (v.is_string() && lower(v.get<std::string>()) == "random") {
        seed = freshSeed();
        source = "random";
        return {};
    }
    if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
        seed = v.get<uint64_t>();
        source = intSource;
        return {};
    }
    return c.expected(field, "a non-negative integer or \"random\"", v);
}

} // namespace

std::string algorithmList()
{
    return "none, transpose, mixed-tile-greedy (alias mixed-tile), mixed-tile-random, mixed-tile-threshold, "
           "plan (a plan.json written by quantscope plan)";
}

std::string canonicalAlgorithm(const std::string& name)
{
    const std::string l = lower(name);
    for (const Alg& a : kAlgorithms)
        if (l == a.name) return a.canonical;
    return {};
}

bool CompressionConfig::isMixed() const { return algorithm.rfind("mixed-tile", 0) == 0; }

MixedAlgorithm CompressionConfig::mixedAlgorithm() const
{
    if (algorithm == "mixed-tile-threshold") return MixedAlgorithm::Threshold;
    if (algorithm == "mixed-tile-random") return MixedAlgorithm::Random;
    return MixedAlgorithm::Greedy;
}

namespace {

Result<CompressionConfig> parseConfigDocument(const json& doc, const QString& path);

} // namespace

Result<CompressionConfig> parseCompressionConfig(const QByteArray& bytes, const QString& path)
{
    const Checker c(path);
    // One linear pass with a nesting bound; numbers outside double range and every other
    // JSON-library failure become this error (exit 1), never an exception.
    auto parsed = parseJsonStrict(QDir::toNativeSeparators(path), "compression config",
                                  reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size()));
    if (!parsed) {
        std::string m = parsed.error().message;
        const std::string lead = c.where() + ": compression config is ";
        if (m.rfind(lead, 0) == 0) m = c.where() + ": " + m.substr(lead.size());
        return Error::usage(m);
    }
    if (parsed->hasDuplicate) {
        const JsonDuplicate& d = parsed->duplicate;
        return c.fail(d.parent.empty() ? d.key : d.parent + "." + d.key, "appears more than once");
    }
    // A plan file (plan.json of `quantscope plan`) is a config of algorithm "plan": its own
    // reader validates it (analysis/plan_file.h).
    if (parsed->value.is_object() && parsed->value.contains("algorithm") && parsed->value["algorithm"].is_string() &&
        lower(parsed->value["algorithm"].get<std::string>()) == "plan") {
        auto plan = parsePlanFile(bytes, path);
        if (!plan) return plan.error();
        CompressionConfig cfg;
        cfg.path = path;
        cfg.algorithm = "plan";
        for (const Format& f : formats())  // the plan's formats, registry order
            for (const PlanChoice& ch : plan->choices)
                if (ch.format == f.name ||
                    std::find(ch.candidates.begin(), ch.candidates.end(), f.name) != ch.candidates.end()) {
                    cfg.formats.emplace_back(f.name);
                    break;
                }
        cfg.plan = std::make_shared<const PlanFile>(std::move(*plan));
        return cfg;
    }
    try {
        return parseConfigDocument(parsed->value, path);
    } catch (const std::exception& e) {  // a JSON-library type/range error: a bug, reported cleanly
        return Error::usage(c.where() + ": cannot be read: " + e.what());
    }
}

namespace {

Result<CompressionConfig> parseConfigDocument(const json& doc, const QString& path)
{
    const Checker c(path);
    CompressionConfig cfg;
    cfg.path = path;
    if (!doc.is_object()) return Error::usage(c.where() + ": expected a JSON object, got " + shown(doc));
    for (auto it = doc.begin(); it != doc.end(); ++it)
        if (std::find_if(std::begin(kTopKeys), std::end(kTopKeys), [&](const char* k) { return it.key() == k; }) == std::end(kTopKeys))
            cfg.warnings.push_back(c.where() + ": unknown key \"" + it.key() + "\" ignored");

    if (doc.contains("algorithm")) {
        const json& a = doc["algorithm"];
        if (!a.is_string()) return c.expected("algorithm", "a string (" + algorithmList() + ")", a);
        cfg.algorithm = canonicalAlgorithm(a.get<std::string>());
        if (cfg.algorithm.empty())
            return c.fail("algorithm", "unknown algorithm \"" + a.get<std::string>() + "\" (valid: " + algorithmList() + ")");
    }
    if (doc.contains("quantization_formats")) {
        auto f = formatList(c, "quantization_formats", doc.at("quantization_formats"), false);
        if (!f) return f.error();
        cfg.formats = std::move(*f);
    }
    if (doc.contains("params")) {
        if (!doc.at("params").is_object()) return c.expected("params", "an object", doc.at("params"));
    }
    const json p = doc.contains("params") ? doc.at("params") : json::object();
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (std::find_if(std::begin(kParamKeys), std::end(kParamKeys), [&](const char* k) { return it.key() == k; }) == std::end(kParamKeys))
            cfg.warnings.push_back(c.where() + ": unknown key \"params." + it.key() + "\" ignored");
        else if (!paramApplies(cfg.algorithm, it.key()))
            cfg.warnings.push_back(c.where() + ": \"params." + it.key() + "\" does not apply to " + cfg.algorithm + "; ignored");
        else
            cfg.params[it.key()] = it.value();  // only known keys of this algorithm are kept
    }

    if (p.contains("metric")) {
        if (!p["metric"].is_string() || !parseMetric(p["metric"].get<std::string>(), cfg.metric))
            return p["metric"].is_string()
                       ? c.fail("params.metric", "unknown metric \"" + p["metric"].get<std::string>() + "\" (valid: pcc, mae, atol, wsqnr, wrel)")
                       : c.expected("params.metric", "a string (pcc, mae, atol, wsqnr, wrel)", p["metric"]);
    }
    if (p.contains("threshold")) {
        if (!p["threshold"].is_number()) return c.expected("params.threshold", "a number", p["threshold"]);
        cfg.threshold = p["threshold"].get<double>();
    }
    if (p.contains("cluster")) {
        const json& v = p["cluster"];
        const std::string s = v.is_string() ? lower(v.get<std::string>()) : std::string();
        if (s != "single" && s != "kmeans") return c.expected("params.cluster", "\"single\" or \"kmeans\"", v);
        cfg.kmeans = s == "kmeans";
    }
    int64_t n = 0;
    if (p.contains("k")) {
        if (!asInteger(p["k"], 1, 1000000, n)) return c.expected("params.k", "an integer >= 1", p["k"]);
        cfg.k = int(n);
    }
    if (p.contains("iters")) {
        if (!asInteger(p["iters"], 1, kMaxRandomIters, n))
            return c.expected("params.iters", "an integer from 1 to " + std::to_string(kMaxRandomIters), p["iters"]);
        cfg.iters = int(n);
    }
    for (const char* key : {"formats", "tile_formats"}) {
        if (!p.contains(key) || !cfg.tileFormats.empty()) continue;
        auto f = formatList(c, std::string("params.") + key, p[key], true);
        if (!f) return f.error();
        if (f->empty()) return c.fail(std::string("params.") + key, "no format given");
        cfg.tileFormats = std::move(*f);
    }

    // Seed: an integer "seed" as given; "random" or random_seed: true draws one; else
    // params.seed; a random algorithm without any uses 0.
    if (doc.contains("random_seed") && !doc["random_seed"].is_boolean())
        return c.expected("random_seed", "true or false", doc["random_seed"]);
    if (doc.contains("seed")) QS_TRY(readSeed(c, "seed", doc["seed"], cfg.seed, cfg.seedSource, "config"));
    if (cfg.seedSource != "config" && doc.value("random_seed", false)) {
        cfg.seed = freshSeed();
        cfg.seedSource = "random";
    }
    if (!cfg.seed && p.contains("seed")) QS_TRY(readSeed(c, "params.seed", p["seed"], cfg.seed, cfg.seedSource, "params"));
    if (!cfg.seed && cfg.algorithm == "mixed-tile-random") {
        cfg.seed = 0;
        cfg.seedSource = "default";
    }
    return cfg;
}

} // namespace

Result<CompressionConfig> loadCompressionConfig(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::usage(QDir::toNativeSeparators(path).toStdString() + ": cannot read the compression config: " +
                            f.errorString().toStdString());
    return parseCompressionConfig(f.readAll(), path);
}

Result<MixedParams> CompressionConfig::toMixed(const std::vector<const Format*>& runFormats,
                                               const FormatOptions& options) const
{
    const Checker c(path);
    std::vector<const Format*> cand;
    std::string field;
    if (!tileFormats.empty()) {
        field = params.contains("formats") ? "params.formats" : "params.tile_formats";
        for (const std::string& n : tileFormats) {
            const Format* f = findFormat(n);
            if (!f->tileFormat) {
                std::string list;
                for (const Format& t : qs::formats())
                    if (t.tileFormat) list += (list.empty() ? "" : ", ") + std::string(t.name);
                return c.fail(field, "\"" + n + "\" is not a tile format (tile formats: " + list + ")");
            }
            cand.push_back(f);
        }
    } else {
        field = "quantization_formats";
        for (const Format* f : runFormats)
            if (f && std::find(std::begin(kDefaultTileFormats), std::end(kDefaultTileFormats), f->name) != std::end(kDefaultTileFormats))
                cand.push_back(f);
        if (cand.empty()) {
            std::string have;
            for (const Format* f : runFormats) have += (have.empty() ? "" : ", ") + std::string(f ? f->name : "?");
            return c.fail(field, "no tile format among the selected formats (" + have +
                                     "); tile formats are bf16, bfp8, bfp4, bfp2 (others via params.formats)");
        }
    }
    // Registry order, so codes do not depend on how the list was written.
    const auto reg = qs::formats();
    auto rank = [&](const Format* f) { return f - reg.data(); };
    std::sort(cand.begin(), cand.end(), [&](const Format* a, const Format* b) { return rank(a) < rank(b); });

    MixedParams m;
    m.algorithm = mixedAlgorithm();
    m.metric = metric;
    m.threshold = threshold;
    m.candidates = std::move(cand);
    m.options = options;
    m.kmeans = kmeans;
    m.k = k;
    m.iters = iters;
    m.seed = seed.value_or(0);
    auto v = validateMixedParams(m);
    if (!v) return c.fail("params", v.error().message);
    return m;
}

std::string usedConfigJson(const CompressionConfig& cfg, const std::vector<std::string>& quantizationFormats,
                           const MixedParams* mixed)
{
    json out = json::object();
    out["algorithm"] = cfg.algorithm;
    out["quantization_formats"] = quantizationFormats;
    // Only the algorithm's own params, from the validated values (never the raw JSON).
    json params = json::object();
    if (cfg.isMixed()) {
        params["metric"] = std::string(metricName(cfg.metric));
        params["threshold"] = cfg.threshold;
        if (!cfg.tileFormats.empty()) params["formats"] = cfg.tileFormats;
        if (cfg.algorithm == "mixed-tile-greedy") {
            params["cluster"] = cfg.kmeans ? "kmeans" : "single";
            if (cfg.kmeans) params["k"] = cfg.k;
        }
        if (cfg.algorithm == "mixed-tile-random") params["iters"] = cfg.iters;
    }
    if (mixed) {
        params["metric"] = std::string(metricName(mixed->metric));
        params["threshold"] = mixed->threshold;
        std::vector<std::string> names;
        for (const Format* f : mixed->candidates) names.emplace_back(f->name);
        params.erase("tile_formats");
        params["formats"] = names;
        if (mixed->algorithm == MixedAlgorithm::Greedy) {
            params["cluster"] = mixed->kmeans ? "kmeans" : "single";
            if (mixed->kmeans) params["k"] = mixed->k;
        }
        if (mixed->algorithm == MixedAlgorithm::Random) params["iters"] = mixed->iters;
    }
    out["params"] = params;
    if (cfg.plan) out["plan_file"] = QDir::toNativeSeparators(cfg.path).toStdString();
    if (cfg.seed) {
        out["seed"] = *cfg.seed;
        out["seed_source"] = cfg.seedSource;
    }
    return out.dump(2) + "\n";
}

} // namespace qs
