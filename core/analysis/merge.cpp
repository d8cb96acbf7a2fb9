// Reading shard results folders back and joining them. See merge.h.
#include "analysis/merge.h"

#include "analysis/assignment_io.h"
#include "analysis/work_folder.h"
#include "io/dtype.h"
#include "io/selection.h"

#include <nlohmann/json.hpp>

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

namespace qs {

namespace {

using nlohmann::json;

const QStringList kRunFiles = {QStringLiteral("table.txt"), QStringLiteral("results.json"),
                               QStringLiteral("compression_config.used.json")};

std::string str(const QString& s) { return s.toStdString(); }

// A number renderJson wrote with put(): null plus a "nonfinite" entry for Inf/NaN.
double num(const json& obj, const char* key)
{
    const auto it = obj.find(key);
    if (it != obj.end() && it->is_number()) return it->get<double>();
    const auto nf = obj.find("nonfinite");
    if (nf != obj.end() && nf->contains(key)) {
        const std::string v = (*nf)[key].get<std::string>();
        if (v == "inf") return std::numeric_limits<double>::infinity();
        if (v == "-inf") return -std::numeric_limits<double>::infinity();
    }
    return std::numeric_limits<double>::quiet_NaN();
}

template <class T> T get(const json& obj, const char* key, T fallback = T{})
{
    const auto it = obj.find(key);
    return it == obj.end() || it->is_null() ? fallback : it->get<T>();
}

Metrics metricsFrom(const json& j)
{
    Metrics m;
    m.pcc = num(j, "pcc");
    m.mae = num(j, "mae");
    m.atol = num(j, "atol");
    m.rmse = num(j, "rmse");
    m.sqnrDb = num(j, "sqnr_db");
    m.relRmse = num(j, "rel_rmse");
    m.sse = num(j, "sse");
    m.wsqnrDb = num(j, "wsqnr_db");
    m.wrel = num(j, "wrel");
    m.wsse = num(j, "wsse");
    m.wssx = num(j, "wssx");
    m.count = get<int64_t>(j, "count");
    m.nonFiniteX = get<int64_t>(j, "non_finite_inputs");
    m.nonFiniteY = get<int64_t>(j, "non_finite_outputs");
    return m;
}

ShardRecord shardFrom(const json& j)
{
    ShardRecord s;
    s.spec.index = get<int>(j, "index");
    s.spec.count = get<int>(j, "count");
    s.commit = get<std::string>(j, "commit");
    s.fingerprint = get<std::string>(j, "fingerprint");
    s.command = get<std::string>(j, "command");
    if (const auto it = j.find("command_options"); it != j.end() && it->is_object())
        for (const auto& [k, v] : it->items()) s.commandOptions.emplace_back(k, v.get<std::string>());
    s.selectionTensors = get<int64_t>(j, "selection_tensors");
    s.selectionBytes = get<uint64_t>(j, "selection_bytes");
    s.partTensors = get<int64_t>(j, "part_tensors");
    s.partBytes = get<uint64_t>(j, "part_bytes");
    return s;
}

Error incomplete(const QString& folder, const std::string& why)
{
    return Error::usage("merge: " + str(folder) + " is not a complete shard folder: " + why);
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ")
{
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

// The subfolder of a mixed-tile run's artefacts ("mixed_tile_greedy").
QString artefactDir(const WqReport& r) { return QString::fromStdString(r.algorithm).replace('-', '_'); }

} // namespace

Result<ResultsFolder> readResultsFolder(const QString& folder)
{
    if (QFileInfo(folder).fileName().endsWith(QLatin1String(".incomplete")))
        return incomplete(folder, "it is the work folder of a run that did not finish");
    for (const QString& f : kRunFiles)
        if (!QFileInfo(QDir(folder).filePath(f)).isFile()) return incomplete(folder, "it has no " + str(f));
    QFile file(QDir(folder).filePath(QStringLiteral("results.json")));
    if (!file.open(QIODevice::ReadOnly)) return Error::model("merge: cannot read " + str(file.fileName()));
    const json doc = json::parse(file.readAll().toStdString(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("tensors"))
        return incomplete(folder, "its results.json is not a results document");
    QFile cfg(QDir(folder).filePath(QStringLiteral("compression_config.used.json")));
    if (!cfg.open(QIODevice::ReadOnly)) return Error::model("merge: cannot read " + str(cfg.fileName()));

    ResultsFolder out;
    out.path = folder;
    WqReport& r = out.report;
    try {
        r.usedConfigJson = cfg.readAll().toStdString();
        r.repo = QString::fromStdString(get<std::string>(doc, "repo"));
        r.revision = QString::fromStdString(get<std::string>(doc, "revision"));
        r.describe = QString::fromStdString(get<std::string>(doc, "source"));
        r.backend = QString::fromStdString(get<std::string>(doc, "backend"));
        r.algorithm = get<std::string>(doc, "algorithm");
        r.formats = get<std::vector<std::string>>(doc, "formats");
        r.compressions = get<std::vector<std::string>>(doc, "compressions");
        const json formatOptions = doc.value("format_options", json::object());
        for (const auto& [k, v] : formatOptions.items())
            if (const std::string e = setFormatOption(r.options, k, v.get<std::string>()); !e.empty())
                return incomplete(folder, "results.json: format_options: " + e);
        r.originalPcc = get<std::string>(doc, "pcc_undefined") == "original";
        r.skipped = get<std::string>(doc, "skipped");
        r.configPath = QString::fromStdString(get<std::string>(doc, "config"));
        r.summary = doc.contains("summary");
        if (doc.contains("shard")) r.shard = shardFrom(doc["shard"]);
        if (const auto it = doc.find("importance"); it != doc.end() && it->is_object()) {
            WqImportance imp;
            imp.spec = QString::fromStdString(get<std::string>(*it, "spec"));
            imp.source = get<std::string>(*it, "source");
            imp.format = get<std::string>(*it, "format");
            imp.sha256 = get<std::string>(*it, "sha256");
            imp.architecture = get<std::string>(*it, "architecture");
            imp.entries = get<int>(*it, "entries");
            imp.bound = get<int>(*it, "bound");
            imp.unmappedEntries = get<std::vector<std::string>>(*it, "unmapped_entries");
            r.importance = imp;
        }
        r.top = get<int>(doc, "top_n");
        if (const auto it = doc.find("sample"); it != doc.end() && it->is_object()) {
            SampleSpec spec;
            spec.fraction = get<double>(*it, "fraction", 1.0);
            spec.seed = get<uint64_t>(*it, "seed", kDefaultSampleSeed);
            r.sample = spec;
        }
        // The mixed rows' tile columns, in the config's candidate order.
        const json used = json::parse(r.usedConfigJson, nullptr, false);
        std::vector<std::string> tileOrder;
        if (used.is_object() && used.contains("params") && used["params"].contains("formats"))
            tileOrder = used["params"]["formats"].get<std::vector<std::string>>();
        for (const json& jt : doc["tensors"]) {
            WqTensor t;
            t.info.name = get<std::string>(jt, "name");
            t.slug = get<std::string>(jt, "slug");
            t.info.dtypeName = get<std::string>(jt, "dtype");
            t.info.dtype = dtypeFromName(t.info.dtypeName);
            t.info.shape = get<std::vector<int64_t>>(jt, "shape");
            t.info.file = QString::fromStdString(get<std::string>(jt, "file"));
            t.info.byteLength = get<uint64_t>(jt, "stored_bytes");
            t.info.scaleInvName = get<std::string>(jt, "scale_inv");
            t.layout = get<std::string>(jt, "layout");
            if (jt.contains("emulation_match") && jt["emulation_match"].is_object()) {
                const json& je = jt["emulation_match"];
                t.emulationMatch = EmulationMatch{get<std::string>(je, "format"), get<int64_t>(je, "identical"),
                                                  get<int64_t>(je, "total")};
            }
            t.importanceNote = get<std::string>(jt, "importance_note");
            const json& js = jt.at("stats");
            t.stats.count = get<int64_t>(js, "count");
            t.stats.zeros = get<int64_t>(js, "zeros");
            t.stats.nan = get<int64_t>(js, "nan");
            t.stats.posInf = get<int64_t>(js, "pos_inf");
            t.stats.negInf = get<int64_t>(js, "neg_inf");
            t.stats.min = num(js, "min");
            t.stats.max = num(js, "max");
            t.stats.sum = num(js, "sum");
            t.stats.sumSq = num(js, "sum_sq");
            for (const json& jr : jt.at("rows")) {
                WqRow row;
                row.metrics = metricsFrom(jr);
                row.compression = get<std::string>(jr, "compression");
                row.format = get<std::string>(jr, "format");
                row.label = get<std::string>(jr, "label");
                row.seconds = get<double>(jr, "seconds");
                row.bytes = get<double>(jr, "payload_bytes");
                row.deviceBytes = get<double>(jr, "device_bytes");
                row.bitsPerElement = get<double>(jr, "bits_per_element");
                if (r.sample && jr.contains("sample")) {  // --sample: the estimate and its intervals
                    SampleEstimate e;
                    e.metrics = row.metrics;
                    e.exact = !get<bool>(jr, "estimate");
                    e.sampledBands = get<int64_t>(jr["sample"], "bands");
                    e.totalBands = get<int64_t>(jr["sample"], "total_bands");
                    auto ci = [&jr](const char* key, double value) {
                        const double na = std::numeric_limits<double>::quiet_NaN();
                        const auto c = jr.find(key);
                        if (c == jr.end() || !c->is_array() || c->size() != 2) return Interval{value, na, na};
                        auto end = [](const json& v) { return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>(); };
                        return Interval{value, end((*c)[0]), end((*c)[1])};
                    };
                    e.pcc = ci("pcc_ci", row.metrics.pcc);
                    e.mae = ci("mae_ci", row.metrics.mae);
                    e.sqnrDb = ci("sqnr_db_ci", row.metrics.sqnrDb);
                    if (const auto bs = jr.find("band_sums"); bs != jr.end() && bs->is_array())
                        for (const json& b : *bs) {
                            if (!b.is_array() || b.size() != kPackedSums)
                                return incomplete(folder, "results.json: " + t.info.name + ": band_sums: expected arrays of " +
                                                              std::to_string(kPackedSums) + " numbers");
                            std::array<double, kPackedSums> v{};
                            for (size_t k = 0; k < kPackedSums; ++k)
                                v[k] = b[k].is_number() ? b[k].get<double>() : std::numeric_limits<double>::quiet_NaN();
                            e.bands.push_back(unpackSums(v));
                        }
                    row.estimate = e;
                }
                if (jr.contains("tile_counts")) {
                    row.mixed = true;
                    row.tileFormats = tileOrder;
                    for (const std::string& f : tileOrder) {
                        row.tileCounts.push_back(jr["tile_counts"].value(f, int64_t(0)));
                        row.tileBytes.push_back(jr["tile_bytes"].value(f, 0.0));
                    }
                    row.metThreshold = get<bool>(jr, "met_threshold", true);
                    row.note = get<std::string>(jr, "note");
                }
                t.rows.push_back(std::move(row));
            }
            r.tensorNames.push_back(t.info.name);
            r.tensorElements.push_back(double(t.info.numel()));
            r.tensors.push_back(std::move(t));
        }
    } catch (const json::exception& e) {
        return incomplete(folder, std::string("results.json: ") + e.what());
    }
    // Every artefact its rows name is there.
    for (const WqTensor& t : r.tensors) {
        if (t.slug.empty()) continue;
        const QDir dir(QDir(folder).filePath(artefactDir(r)));
        for (const char* suffix : {"_assignment.npy", "_assignment_mapping.json"})
            if (!QFileInfo(dir.filePath(QString::fromStdString(t.slug) + suffix)).isFile())
                return incomplete(folder, "the artefact " + str(artefactDir(r)) + "/" + t.slug + suffix + " of " +
                                              t.info.name + " is missing");
    }
    return out;
}

Result<QStringList> findShardFolders(const QStringList& paths)
{
    QStringList out;
    for (const QString& p : paths) {
        const QFileInfo fi(p);
        if (!fi.isDir()) return Error::usage("merge: " + str(p) + " is not a folder");
        if (QFileInfo(QDir(p).filePath(QStringLiteral("results.json"))).isFile() ||
            fi.fileName().endsWith(QLatin1String(".incomplete"))) {
            out << QDir::cleanPath(p);
            continue;
        }
        QStringList found;
        QDirIterator it(p, {QStringLiteral("results.json")}, QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString dir = QFileInfo(it.next()).path();
            QFile f(QDir(dir).filePath(QStringLiteral("results.json")));
            if (f.open(QIODevice::ReadOnly) && f.read(1 << 20).contains("\"shard\"")) found << QDir::cleanPath(dir);
        }
        if (found.isEmpty())
            return Error::usage("merge: " + str(p) + " holds no results folder of a sharded run (--shard K/N)");
        out << found;
    }
    out.sort();
    out.removeDuplicates();
    return out;
}

Result<void> checkShardRecords(const std::vector<std::pair<std::string, ShardRecord>>& shards)
{
    const auto& [pa, sa] = shards.front();
    for (const auto& [pb, sb] : shards) {
        if (sb.commit != sa.commit)
            return Error::usage("merge: " + pa + " was made from commit " + sa.commit + " but " + pb + " from commit " +
                                sb.commit + " (shards of one run must read the same commit: pass --revision <commit>)");
        if (sb.spec.count != sa.spec.count)
            return Error::usage("merge: " + pa + " is shard " + sa.spec.text() + " but " + pb + " is shard " +
                                sb.spec.text() + ": the shard counts differ");
        if (sb.command != sa.command)
            return Error::usage("merge: " + pa + " is a shard of " + sa.command + " but " + pb + " of " + sb.command);
        if (sb.commandOptions != sa.commandOptions) {
            auto text = [](const ShardRecord& s) {
                std::vector<std::string> v;
                for (const auto& [k, x] : s.commandOptions) v.push_back("--" + k + " " + x);
                return v.empty() ? std::string("(none)") : join(v, " ");
            };
            return Error::usage("merge: " + pa + " and " + pb + " come from different runs: " + sa.command +
                                " options " + text(sa) + " vs " + text(sb));
        }
    }
    return {};
}

Result<void> checkShardCoverage(const std::vector<std::pair<std::string, ShardRecord>>& shards)
{
    const auto& [pa, sa] = shards.front();
    for (const auto& [pb, sb] : shards)
        if (sb.fingerprint != sa.fingerprint)
            return Error::usage("merge: " + pa + " and " + pb + " come from different selections or options (fingerprint " +
                                sa.fingerprint + " vs " + sb.fingerprint +
                                "): MODEL, FILTER, --regex, --limit, --all or an option differs, or the model changed");
    const int n = sa.spec.count;
    std::map<int, std::vector<std::string>> byIndex;
    for (const auto& [p, s] : shards) byIndex[s.spec.index].push_back(p);
    for (const auto& [k, paths] : byIndex)
        if (paths.size() > 1)
            return Error::usage("merge: shard " + std::to_string(k) + "/" + std::to_string(n) + " is given " +
                                std::to_string(paths.size()) + " times: " + join(paths));
    std::vector<std::string> missing, have;
    for (int k = 1; k <= n; ++k) {
        const std::string kt = std::to_string(k) + "/" + std::to_string(n);
        if (byIndex.count(k)) have.push_back(kt + " (" + byIndex[k].front() + ")");
        else missing.push_back(kt);
    }
    if (!missing.empty())
        return Error::usage("merge: " + std::string(missing.size() == 1 ? "shard " : "shards ") + join(missing) +
                            (missing.size() == 1 ? " is" : " are") + " missing; given: " + join(have));
    return {};
}

Result<MergedRun> mergeShards(const QStringList& folders)
{
    if (folders.isEmpty()) return Error::usage("merge: no results folders given");
    std::vector<ResultsFolder> in;
    std::vector<std::pair<std::string, ShardRecord>> records;
    for (const QString& f : folders) {
        auto r = readResultsFolder(f);
        if (!r) return r.error();
        if (!r->report.shard)
            return Error::usage("merge: " + str(f) + " is not a shard folder (its run had no --shard K/N)");
        records.push_back({str(f), *r->report.shard});
        in.push_back(std::move(*r));
    }
    // The first shard is the reference the others are compared with.
    std::stable_sort(in.begin(), in.end(), [](const ResultsFolder& x, const ResultsFolder& y) {
        return x.report.shard->spec.index < y.report.shard->spec.index;
    });
    std::stable_sort(records.begin(), records.end(),
                     [](const auto& x, const auto& y) { return x.second.spec.index < y.second.spec.index; });
    if (auto c = checkShardRecords(records); !c) return c.error();
    const ResultsFolder& a = in.front();
    const ShardRecord& sa = *a.report.shard;
    const std::string pa = str(a.path);
    for (const ResultsFolder& b : in) {
        const ShardRecord& sb = *b.report.shard;
        const std::string pb = str(b.path);
        auto differ = [&](const std::string& what, const std::string& va, const std::string& vb) {
            return Error::usage("merge: " + pa + " and " + pb + " come from different runs: " + what + " " + va +
                                " vs " + vb);
        };
        if (b.report.formats != a.report.formats) return differ("formats", join(a.report.formats), join(b.report.formats));
        if (formatOptionFlags(b.report.options) != formatOptionFlags(a.report.options)) {
            auto o = [](const WqReport& r) {
                const std::string f = formatOptionFlags(r.options);
                return f.empty() ? std::string("(defaults)") : f;
            };
            return differ("format options", o(a.report), o(b.report));
        }
        if (b.report.usedConfigJson != a.report.usedConfigJson || b.report.algorithm != a.report.algorithm)
            return differ("compression configs", a.report.algorithm, b.report.algorithm);
        if (b.report.originalPcc != a.report.originalPcc)
            return differ("--pcc-undefined", a.report.originalPcc ? "original" : "n/a", b.report.originalPcc ? "original" : "n/a");
        if (b.report.summary != a.report.summary)
            return differ("--summary", a.report.summary ? "on" : "off", b.report.summary ? "on" : "off");
        if (b.report.backend != a.report.backend) return differ("--backend", str(a.report.backend), str(b.report.backend));
        if (int64_t(b.report.tensors.size()) != sb.partTensors)
            return incomplete(b.path, "it holds " + std::to_string(b.report.tensors.size()) + " tensors, its shard " +
                                          sb.spec.text() + " has " + std::to_string(sb.partTensors));
    }
    if (auto c = checkShardCoverage(records); !c) return c.error();
    const int n = sa.spec.count;

    MergedRun run;
    run.shard = sa;
    WqReport& m = run.report;
    m = a.report;  // header fields (the same in every shard, checked above)
    m.tensors.clear();
    m.tensorNames.clear();
    m.tensorElements.clear();
    m.shard.reset();
    std::vector<std::pair<const WqTensor*, int>> all;  // tensor, shard index
    for (const ResultsFolder& r : in) {
        run.folders << r.path;
        for (const WqTensor& t : r.report.tensors) all.push_back({&t, r.report.shard->spec.index});
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& x, const auto& y) { return naturalLess(x.first->info.name, y.first->info.name); });
    for (size_t i = 1; i < all.size(); ++i)
        if (all[i].first->info.name == all[i - 1].first->info.name)
            return Error::usage("merge: the tensor " + all[i].first->info.name + " is in shard " +
                                std::to_string(all[i - 1].second) + "/" + std::to_string(n) + " and in shard " +
                                std::to_string(all[i].second) + "/" + std::to_string(n));
    if (int64_t(all.size()) != sa.selectionTensors)
        return Error::usage("merge: the shards hold " + std::to_string(all.size()) + " tensors, their selection has " +
                            std::to_string(sa.selectionTensors));
    // The split every shard computed, recomputed from the rows: each folder holds its part.
    std::vector<uint64_t> weights;
    for (const auto& [t, k] : all) weights.push_back(t->info.byteLength);
    const std::vector<int> part = shardAssignment(weights, n);
    for (size_t i = 0; i < all.size(); ++i)
        if (part[i] + 1 != all[i].second)
            return Error::usage("merge: " + str(run.folders[all[i].second - 1]) + " holds " + all[i].first->info.name +
                                ", which the split gives to shard " + std::to_string(part[i] + 1) + "/" +
                                std::to_string(n));
    for (const auto& [t, k] : all) {
        m.tensorNames.push_back(t->info.name);
        m.tensorElements.push_back(double(t->info.numel()));
        m.tensors.push_back(*t);
    }
    return run;
}

QString defaultMergedPath(const WqReport& r)
{
    return QStringLiteral("results/%1/%2/%3")
        .arg(r.repo.isEmpty() ? QStringLiteral("model") : QString(r.repo).replace('/', QLatin1String("__")),
             QString::fromStdString(r.algorithm), QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
}

Result<QString> writeMergedFolder(const MergedRun& run, const QString& out)
{
    const QFileInfo target(out);
    if (target.exists() && !(target.isDir() && QDir(out).isEmpty()))
        return Error::usage("merge: --out " + str(out) + " exists and is not an empty folder");
    auto folder = WorkFolder::create(target.absolutePath(), target.fileName());
    if (!folder) return folder.error();
    auto fail = [&](Error e) -> Result<QString> {
        folder->discard();
        return e;
    };
    const QDir work(folder->workPath());
    // The shards' artefacts (mixed-tile files), each under its own name.
    for (const QString& shard : run.folders) {
        const QDir from(QFileInfo(shard).absoluteFilePath());
        QDirIterator it(from.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString src = it.next();
            const QString rel = from.relativeFilePath(src);
            if (kRunFiles.contains(rel)) continue;
            const QString dst = work.filePath(rel);
            if (QFileInfo::exists(dst)) return fail(Error::usage("merge: two shards hold " + str(rel)));
            QDir().mkpath(QFileInfo(dst).path());
            if (!QFile::copy(src, dst)) return fail(Error::model("merge: cannot copy " + str(src) + " to " + str(dst)));
        }
    }
    WqReport report = run.report;
    if (auto w = writeFileAtomic(work.filePath("table.txt"), QByteArray::fromStdString(renderTableTxt(report))); !w)
        return fail(w.error());
    if (auto w = writeFileAtomic(work.filePath("compression_config.used.json"), QByteArray::fromStdString(report.usedConfigJson)); !w)
        return fail(w.error());
    if (auto w = writeFileAtomic(work.filePath("results.json"), QByteArray::fromStdString(renderJson(report))); !w)
        return fail(w.error());
    if (auto c = folder->commit(false); !c) return fail(c.error());
    return folder->finalPath();
}

} // namespace qs
