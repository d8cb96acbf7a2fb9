#include "analysis/plan_file.h"

#include "analysis/assignment_io.h"
#include "formats/format.h"
#include "io/json_util.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace qs {

namespace {

using nlohmann::json;

// 17 significant digits: every double reads back exactly; non-finite as null.
std::string num(double v)
{
    if (!std::isfinite(v)) return "null";
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}

std::string str(const std::string& s) { return json(s).dump(); }

class Fields {
public:
    explicit Fields(const QString& path) : m_where(QDir::toNativeSeparators(path).toStdString()) {}
    Error fail(const std::string& field, const std::string& what) const { return Error::usage(m_where + ": " + field + ": " + what); }
    Error expected(const std::string& field, const std::string& what, const json& got) const
    {
        return fail(field, "expected " + what + ", got " + jsonShort(got, 57));
    }
    const std::string& where() const { return m_where; }

private:
    std::string m_where;
};

Result<void> readNumber(const Fields& f, const json& o, const char* key, const std::string& field, double& out,
                        bool required, bool nonNegative, bool nullIsNaN)
{
    if (!o.contains(key)) {
        if (required) return f.fail(field, "missing");
        return {};
    }
    const json& v = o.at(key);
    if (v.is_null() && nullIsNaN) {
        out = std::nan("");
        return {};
    }
    if (!v.is_number() || (nonNegative && v.get<double>() < 0))
        return f.expected(field, nonNegative ? "a number >= 0" : "a number", v);
    out = v.get<double>();
    return {};
}

Result<void> readString(const Fields& f, const json& o, const char* key, const std::string& field, std::string& out,
                        bool required)
{
    if (!o.contains(key)) {
        if (required) return f.fail(field, "missing");
        return {};
    }
    if (!o.at(key).is_string()) return f.expected(field, "a string", o.at(key));
    out = o.at(key).get<std::string>();
    return {};
}

Result<PlanChoice> readChoice(const Fields& f, const json& t, const std::string& at)
{
    if (!t.is_object()) return f.expected(at, "an object", t);
    PlanChoice c;
    if (auto r = readString(f, t, "tensor", at + ".tensor", c.tensor, true); !r) return r.error();
    if (c.tensor.empty()) return f.fail(at + ".tensor", "empty tensor name");
    if (auto r = readString(f, t, "format", at + ".format", c.format, true); !r) return r.error();
    if (c.format == "mixed") {
        if (auto r = readString(f, t, "assignment", at + ".assignment", c.assignment, true); !r) return r.error();
        if (c.assignment.empty()) return f.fail(at + ".assignment", "empty path");
        if (!t.contains("candidates")) return f.fail(at + ".candidates", "missing (a tile choice lists its formats)");
        const json& cand = t.at("candidates");
        if (!cand.is_array() || cand.empty()) return f.expected(at + ".candidates", "a non-empty list of format names", cand);
        for (size_t k = 0; k < cand.size(); ++k) {
            const std::string ck = at + ".candidates[" + std::to_string(k) + "]";
            if (!cand[k].is_string()) return f.expected(ck, "a format name (string)", cand[k]);
            const Format* fmt = findFormat(cand[k].get<std::string>());
            if (!fmt) return f.fail(ck, "unknown format \"" + cand[k].get<std::string>() + "\" (valid: " + formatNameList() + ")");
            if (std::find(c.candidates.begin(), c.candidates.end(), fmt->name) != c.candidates.end())
                return f.fail(ck, "\"" + std::string(fmt->name) + "\" appears twice");
            c.candidates.emplace_back(fmt->name);
        }
        if (c.candidates.size() > 127) return f.fail(at + ".candidates", "at most 127 formats (int8 codes)");
    } else {
        const Format* fmt = findFormat(c.format);
        if (!fmt)
            return f.fail(at + ".format", "unknown format \"" + c.format + "\" (valid: " + formatNameList() + ", or mixed)");
        c.format = std::string(fmt->name);
        if (t.contains("assignment")) return f.fail(at + ".assignment", "only a \"mixed\" (tile) choice has one");
    }
    if (auto r = readNumber(f, t, "bytes", at + ".bytes", c.bytes, true, true, false); !r) return r.error();
    if (auto r = readNumber(f, t, "sse", at + ".sse", c.error, true, true, true); !r) return r.error();
    if (t.contains("weighted")) {
        if (!t.at("weighted").is_boolean()) return f.expected(at + ".weighted", "true or false", t.at("weighted"));
        c.weighted = t.at("weighted").get<bool>();
    }
    if (t.contains("error_source")) {
        const json& e = t.at("error_source");
        static const char* const kSources[] = {"tensor", "cell", "kind", "model"};
        if (!e.is_string() || std::find(std::begin(kSources), std::end(kSources), e.get<std::string>()) == std::end(kSources))
            return f.expected(at + ".error_source", "\"tensor\", \"cell\", \"kind\" or \"model\"", e);
        c.errorSource = e.get<std::string>();
    }
    return c;
}

Result<PlanFile> readDocument(const Fields& f, const json& doc)
{
    if (!doc.is_object()) return Error::usage(f.where() + ": expected a JSON object (a plan file), got " + jsonShort(doc, 57));
    PlanFile p;
    std::string algorithm;
    if (auto r = readString(f, doc, "algorithm", "algorithm", algorithm, true); !r) return r.error();
    if (algorithm != "plan") return f.fail("algorithm", "expected \"plan\" in a plan file, got " + str(algorithm));
    if (auto r = readString(f, doc, "model", "model", p.model, false); !r) return r.error();
    if (auto r = readString(f, doc, "revision", "revision", p.revision, false); !r) return r.error();
    p.granularity = "tensor";
    if (auto r = readString(f, doc, "granularity", "granularity", p.granularity, false); !r) return r.error();
    if (p.granularity != "tensor" && p.granularity != "tile")
        return f.fail("granularity", "expected \"tensor\" or \"tile\", got " + str(p.granularity));
    if (auto r = readNumber(f, doc, "budget_bytes", "budget_bytes", p.budgetBytes, false, true, false); !r) return r.error();
    if (auto r = readNumber(f, doc, "bytes", "bytes", p.totalBytes, false, true, false); !r) return r.error();
    if (auto r = readNumber(f, doc, "sse", "sse", p.totalError, false, true, true); !r) return r.error();
    if (auto r = readNumber(f, doc, "lower_bound_sse", "lower_bound_sse", p.lowerBound, false, false, true); !r) return r.error();
    if (doc.contains("estimated")) {
        if (!doc.at("estimated").is_boolean()) return f.expected("estimated", "true or false", doc.at("estimated"));
        p.estimated = doc.at("estimated").get<bool>();
    }
    if (doc.contains("sample")) {
        const auto& sm = doc.at("sample");
        if (!sm.is_object() || !sm.contains("fraction") || !sm.at("fraction").is_number() || !sm.contains("seed") ||
            !sm.at("seed").is_number_unsigned())
            return f.expected("sample", "{\"fraction\": F, \"seed\": N}", sm);
        p.sampleFraction = sm.at("fraction").get<double>();
        p.sampleSeed = sm.at("seed").get<uint64_t>();
    }
    if (auto r = readString(f, doc, "objective", "objective", p.objective, false); !r) return r.error();
    if (p.objective != "sse" && p.objective != "weighted_sse")
        return f.fail("objective", "expected \"sse\" or \"weighted_sse\", got " + str(p.objective));
    double params = 0;
    if (auto r = readNumber(f, doc, "params", "params", params, false, true, false); !r) return r.error();
    p.params = int64_t(params);
    if (auto r = readString(f, doc, "importance", "importance", p.importance, false); !r) return r.error();
    double wt = 0;
    if (auto r = readNumber(f, doc, "weighted_tensors", "weighted_tensors", wt, false, true, false); !r) return r.error();
    p.weightedTensors = int64_t(wt);
    if (auto r = readNumber(f, doc, "unweighted_scale", "unweighted_scale", p.unweightedScale, false, false, false); !r)
        return r.error();
    if (!doc.contains("tensors")) return f.fail("tensors", "missing (the plan's per-tensor choices)");
    const json& ts = doc.at("tensors");
    if (!ts.is_array()) return f.expected("tensors", "a list of per-tensor choices", ts);
    std::set<std::string> seen;
    for (size_t i = 0; i < ts.size(); ++i) {
        const std::string at = "tensors[" + std::to_string(i) + "]";
        auto c = readChoice(f, ts[i], at);
        if (!c) return c.error();
        if (!seen.insert(c->tensor).second) return f.fail(at + ".tensor", "\"" + c->tensor + "\" is planned twice");
        if (p.granularity == "tensor" && c->format == "mixed")
            return f.fail(at + ".format", "a tile choice (\"mixed\") in a plan of granularity \"tensor\"");
        p.choices.push_back(std::move(*c));
    }
    return p;
}

} // namespace

const PlanChoice* PlanFile::find(const std::string& tensor) const
{
    for (const PlanChoice& c : choices)
        if (c.tensor == tensor) return &c;
    return nullptr;
}

std::string planFileJson(const PlanFile& p)
{
    const bool weighted = p.objective == "weighted_sse";
    std::string j = "{\n  \"algorithm\": \"plan\",\n  \"model\": " + str(p.model) + ",\n  \"revision\": " +
                    str(p.revision) + ",\n  \"granularity\": " + str(p.granularity) + ",\n  \"budget_bytes\": " +
                    num(p.budgetBytes) + ",\n  \"bytes\": " + num(p.totalBytes) + ",\n  \"sse\": " + num(p.totalError) +
                    ",\n  \"lower_bound_sse\": " + num(p.lowerBound) +
                    ",\n  \"gap\": " + num(p.totalError > 0 ? (p.totalError - p.lowerBound) / p.totalError : 0.0) +
                    ",\n  \"estimated\": " + (p.estimated ? "true" : "false") +
                    (p.estimated ? ",\n  \"sample\": {\"fraction\": " + num(p.sampleFraction) +
                                       ", \"seed\": " + std::to_string(p.sampleSeed) + "}"
                                 : std::string()) +
                    ",\n  \"params\": " +
                    std::to_string(p.params) + ",\n  \"bits_per_param\": " +
                    num(8.0 * p.totalBytes / double(std::max<int64_t>(1, p.params))) + ",\n  \"objective\": " +
                    str(p.objective);
    if (weighted)
        j += ",\n  \"importance\": " + str(p.importance) + ",\n  \"weighted_tensors\": " + std::to_string(p.weightedTensors) +
             ",\n  \"unweighted_scale\": " + num(p.unweightedScale);
    j += ",\n  \"tensors\": [";
    for (size_t i = 0; i < p.choices.size(); ++i) {
        const PlanChoice& c = p.choices[i];
        j += std::string(i ? "," : "") + "\n    {\"tensor\": " + str(c.tensor) + ", \"format\": " + str(c.format);
        if (c.format == "mixed") j += ", \"assignment\": " + str(c.assignment) + ", \"candidates\": " + json(c.candidates).dump();
        j += ", \"bytes\": " + num(c.bytes) + ", \"sse\": " + num(c.error);
        if (c.weighted) j += std::string(", \"weighted\": ") + (*c.weighted ? "true" : "false");
        if (!c.errorSource.empty()) j += ", \"error_source\": " + str(c.errorSource);
        j += "}";
    }
    return j + "\n  ]\n}\n";
}

Result<void> writePlanFile(const PlanFile& plan, const QString& path)
{
    return writeFileAtomic(path, QByteArray::fromStdString(planFileJson(plan)));
}

Result<PlanFile> parsePlanFile(const QByteArray& bytes, const QString& path)
{
    const Fields f(path);
    auto parsed = parseJsonStrict(QDir::toNativeSeparators(path), "plan file",
                                  reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size()));
    if (!parsed) return Error::usage(parsed.error().message);
    if (parsed->hasDuplicate) {
        const JsonDuplicate& d = parsed->duplicate;
        return f.fail(d.parent.empty() ? d.key : d.parent + "." + d.key, "appears more than once");
    }
    try {
        return readDocument(f, parsed->value);
    } catch (const std::exception& e) {
        return Error::usage(f.where() + ": cannot be read: " + e.what());
    }
}

Result<PlanFile> readPlanFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::usage(QDir::toNativeSeparators(path).toStdString() + ": cannot open the plan file: " +
                            file.errorString().toStdString());
    return parsePlanFile(file.readAll(), path);
}

QString planAssignmentPath(const QString& planPath, const PlanChoice& choice)
{
    return QFileInfo(planPath).dir().filePath(QString::fromStdString(choice.assignment));
}

} // namespace qs
