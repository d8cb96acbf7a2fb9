// The wq run: model -> selection -> per tensor baseline + algorithm -> report and
// results folder. See wq_run.h.
#include "analysis/emulation_match.h"
#include "analysis/wq_run.h"
#include "common/parallel.h"

#include "analysis/assignment_io.h"
#include "analysis/compression_config.h"
#include "analysis/importance_run.h"
#include "analysis/work_folder.h"
#include "compression/mixed.h"
#include "analysis/model_open.h"
#include "analysis/plan_file.h"
#include "io/selection.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <limits>
#include <optional>

namespace qs {

namespace {

// The explorer's selection: exactly these tensors, in natural order.
Result<std::vector<std::string>> exactSelection(const Model& model, const QStringList& names)
{
    std::vector<std::string> out;
    out.reserve(size_t(names.size()));
    for (const QString& n : names) {
        std::string name = n.toStdString();
        if (!model.find(name)) return Error::usage("Tensor \"" + name + "\" is not in the model.");
        out.push_back(std::move(name));
    }
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) { return naturalLess(a, b); });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// Small tensors analysed side by side: at most this many, and this many elements (the
// readers of a remote model hold their bytes until the batch is reported).
constexpr size_t kBatchTensors = 256;
constexpr int64_t kBatchElements = int64_t(1) << 22;

bool isMixed(const std::string& algorithm) { return algorithm.rfind("mixed-tile", 0) == 0; }


// --sample: the bands of one tensor that a run reads.
struct TensorSample {
    bool banded = false;         // rank >= 2 and F < 1: analysed band by band, band sums kept
    std::vector<RowRange> rows;  // the chosen bands as row ranges (sorted)
    int64_t bands = 1, totalBands = 1;
    int64_t rowsRead = 0;
    // fewer bands than the tensor has: read `rows` only
    bool sampled() const { return banded && bands < totalBands; }
    // no band drawn: nothing is read, the rows say "not sampled"
    bool none() const { return banded && bands == 0; }
};

// Every band has inclusion probability F (sampleBands: randomized rounding of F x bands),
// so a tensor of fewer than 1/F bands is often not read at all. 0-D / 1-D tensors (norms,
// biases: tiny) are read whole and exact; F = 1 is the full path, bit for bit.
TensorSample sampleTensor(const TensorInfo& info, const SampleSpec& spec)
{
    TensorSample s;
    if (info.shape.size() < 2) return s;  // 0-D / 1-D: read whole, exact
    const int64_t rows = info.rows();
    s.totalBands = s.bands = bandCount(rows);
    if (!(spec.fraction < 1.0)) return s;  // F = 1: the full path, exact
    const std::vector<int64_t> picks = sampleBands(s.totalBands, spec.fraction, tensorSampleSeed(spec.seed, info.name));
    s.bands = int64_t(picks.size());
    s.banded = s.totalBands > 0;
    if (s.bands >= s.totalBands) {  // every band drawn: read whole, still band by band
        s.rowsRead = rows;
        return s;
    }
    for (int64_t b : picks) {
        const int64_t r0 = b * kSampleBandRows, r1 = std::min(rows, r0 + kSampleBandRows);
        s.rows.push_back({r0, r1});
        s.rowsRead += r1 - r0;
    }
    return s;
}

// The analysis of a tensor no band of which was drawn: every format, nothing measured
// (its rows' metrics are the estimate's, from no band; bytes are the whole tensor's).
TensorAnalysis notSampled(const std::vector<FormatChoice>& formats)
{
    TensorAnalysis a;
    for (const FormatChoice& c : formats) {
        FormatResult r;
        r.format = c.format;
        r.metrics = unmeasuredMetrics();
        a.results.push_back(r);
    }
    a.bandSums.assign(formats.size(), {});
    return a;
}

// The estimate of a row of a sampled run: from the band sums of a banded tensor (the
// squared-error totals scaled to the whole tensor; the bands kept for pooling), or the
// exact value of a tensor read whole.
SampleEstimate rowEstimate(const TensorSample& ts, const TensorAnalysis& analysis, size_t f, const WqRow& row,
                           int64_t numel, int64_t cols)
{
    SampleEstimate e;
    if (ts.banded) {
        e = estimateFromBands(analysis.bandSums[f], ts.totalBands);
        e.bands = analysis.bandSums[f];
        const double scale = double(numel) / double(std::max<int64_t>(1, ts.rowsRead * cols));
        e.metrics.sse *= scale;
        e.metrics.wsse *= scale;
        e.metrics.wssx *= scale;
        return e;
    }
    e.metrics = row.metrics;
    e.pcc = {row.metrics.pcc, row.metrics.pcc, row.metrics.pcc};
    e.mae = {row.metrics.mae, row.metrics.mae, row.metrics.mae};
    e.sqnrDb = {row.metrics.sqnrDb, row.metrics.sqnrDb, row.metrics.sqnrDb};
    e.sampledBands = e.totalBands = ts.totalBands;
    e.exact = true;
    return e;
}

Result<void> writeFile(const QString& path, const std::string& content)
{
    return writeFileAtomic(path, QByteArray::fromStdString(content));
}

// The row of a planned tensor (compression "plan"): its planned format measured as the
// "none" rows are (the none row itself when the run has that format), or its tile
// assignment measured from the per-tile sums as a MIXED row is (device bytes = whole
// tiles). Errors name the plan's assignment file.
Result<WqRow> planRow(const PlanChoice& c, const QString& planPath, const TensorReader& reader, const WqTensor& tensor,
                      const FormatOptions& options, Progress* progress, const std::optional<InputWeights>& weights)
{
    if (c.format != "mixed") {
        const Format* f = findFormat(c.format);
        for (const WqRow& r : tensor.rows)
            if (r.compression == "none" && r.format == f->name) {
                WqRow row = r;
                row.compression = "plan";
                return row;
            }
        auto a = analyzeTensor(reader, {FormatChoice{f, options}}, Layout::AsStored, progress, weights ? &*weights : nullptr);
        if (!a) return a.error();
        return baselineRow("plan", a->results.front(), tensor.info.shape);
    }
    const QString npyPath = planAssignmentPath(planPath, c);
    const std::string where = QDir::toNativeSeparators(npyPath).toStdString();
    auto npy = readAssignmentNpy(npyPath);
    if (!npy) return npy.error();
    const TileGrid grid = makeTileGrid(tensor.info.shape);
    if (npy->tilesH != grid.tilesH || npy->tilesW != grid.tilesW)
        return Error::usage(where + ": the assignment is " + std::to_string(npy->tilesH) + " x " + std::to_string(npy->tilesW) +
                            " tiles, but " + c.tensor + " has " + std::to_string(grid.tilesH) + " x " +
                            std::to_string(grid.tilesW));
    std::vector<const Format*> cands;
    for (const std::string& n : c.candidates) cands.push_back(findFormat(n));
    for (int8_t code : npy->codes)
        if (code < -1 || code >= int(cands.size()))
            return Error::usage(where + ": tile code " + std::to_string(code) + " is outside -1.." +
                                std::to_string(cands.size() - 1) + " (the plan lists " + std::to_string(cands.size()) +
                                " candidates for " + c.tensor + ")");
    const std::vector<float> x = reader.readAll();
    auto sums = computeTileSums(x.data(), tensor.info.shape, cands, options, progress, weights ? &*weights : nullptr);
    if (!sums) return sums.error();
    const MixedResult m = evaluateAssignment(*sums, npy->codes, MetricKind::Pcc, 0.0);
    WqRow row;
    row.compression = "plan";
    row.format = "mixed";
    row.label = "MIXED";
    row.mixed = true;
    row.metrics = m.metrics;
    if (!weights) {
        const double na = std::numeric_limits<double>::quiet_NaN();
        row.metrics.wsqnrDb = row.metrics.wrel = row.metrics.wsse = row.metrics.wssx = na;
    }
    row.deviceBytes = m.bytes;
    row.bytes = assignmentPayloadBytes(grid, npy->codes, cands);
    row.bitsPerElement = tensor.info.numel() > 0 ? 8.0 * row.bytes / double(tensor.info.numel()) : 0.0;
    row.tileFormats = c.candidates;
    row.tileCounts = m.tileCounts;
    row.tileBytes = m.bytesPerFormat;
    row.metThreshold = true;
    row.note = "planned tiles: " + c.assignment;
    return row;
}

} // namespace

std::vector<std::string> shardFields(const WqReport& r)
{
    std::vector<std::string> f = {"backend=" + r.backend.toStdString(), "algorithm=" + r.algorithm,
                                  "config=" + r.usedConfigJson, std::string("pcc=") + (r.originalPcc ? "original" : "n/a"),
                                  std::string("summary=") + (r.summary ? "1" : "0"), "skipped=" + r.skipped};
    for (const std::string& x : r.formats) f.push_back("format=" + x);
    for (const auto& [k, v] : formatOptionValues(r.options)) f.push_back("option " + k + "=" + v);
    if (r.importance) f.push_back("importance=" + r.importance->source + " sha256=" + r.importance->sha256);
    f.push_back("top=" + std::to_string(r.top));
    if (r.sample) {
        char b[96];
        std::snprintf(b, sizeof b, "sample=%.17g seed=%llu", r.sample->fraction, (unsigned long long)r.sample->seed);
        f.push_back(b);
    }
    return f;
}

// BITS of a row: payload bits per element (the format's nominal bits for an empty tensor).
static double payloadBits(double payloadBytes, int64_t numel, const Format* f)
{
    return numel > 0 ? 8.0 * payloadBytes / double(numel) : (f ? f->bitsPerElement : 0.0);
}

// shape: the tensor's shape as analysed (reversed for "transpose"), for device bytes.
WqRow baselineRow(const std::string& compression, const FormatResult& r, const std::vector<int64_t>& shape)
{
    WqRow row;
    row.compression = compression;
    row.format = std::string(r.format->name);
    row.label = std::string(r.format->label);
    row.metrics = r.metrics;
    row.seconds = r.seconds;
    row.bytes = r.bytes;
    row.deviceBytes = deviceBytes(*r.format, shape);
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    row.bitsPerElement = payloadBits(r.bytes, numel, r.format);
    return row;
}

WqImportance describeImportance(const RunImportance& imp)
{
    WqImportance info;
    info.spec = imp.spec;
    info.source = imp.source;
    info.format = imp.file.format;
    info.sha256 = imp.sha256;
    info.architecture = imp.index.architecture;
    info.entries = int(imp.file.entries.size());
    info.bound = int(imp.index.bindings.size());
    info.unmappedEntries = imp.index.unmappedEntries;
    return info;
}

Result<std::vector<const Format*>> resolveFormats(const QStringList& requested,
                                                  const std::vector<std::string>& fromConfig)
{
    std::vector<std::string> names;
    if (!requested.isEmpty()) {
        for (const QString& r : requested)
            for (const QString& part : r.split(',', Qt::SkipEmptyParts)) names.push_back(part.trimmed().toStdString());
    } else if (!fromConfig.empty()) {
        names = fromConfig;
    } else {
        names = {"all"};
    }
    std::vector<const Format*> out;
    auto add = [&out](const Format* f) {
        if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
    };
    for (const auto& n : names) {
        std::string lower = n;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        if (lower == "all") {
            for (const Format* f : originalFormats()) add(f);
        } else if (lower == "every") {
            for (const Format& f : formats()) add(&f);
        } else if (const Format* f = findFormat(lower)) {
            add(f);
        } else {
            return Error::usage("unknown format \"" + n + "\"; valid formats: all, every, " + formatNameList());
        }
    }
    return out;
}

Result<WqReport> runWq(const WqParams& params, const WqObserver& observer, const PngRenderer& renderer,
                       Progress* progress)
{
    // 1. Configuration: everything that can be wrong with the arguments fails before
    //    any byte of the model is read.
    CompressionConfig config;
    if (!params.configPath.isEmpty()) {
        auto loaded = loadCompressionConfig(params.configPath);
        if (!loaded) return loaded.error();
        config = std::move(*loaded);
    }
    auto formatsR = resolveFormats(params.formats, config.formats);
    if (!formatsR) return formatsR.error();
    const std::vector<const Format*> formatList = *formatsR;
    if (params.backend == "ttnn")
        return Error::usage("--backend ttnn needs Tenstorrent's host library (tt-metal), and this build of quantscope "
                            "was made without it; the emulation backend is bit-identical to tt-metal's host "
                            "conversion for bfp8/bfp4/bfp2 (use --backend emulation, the default)");
    if (params.backend != "emulation")
        return Error::usage("--backend: expected emulation or ttnn, got \"" + params.backend.toStdString() + "\"");
    std::optional<MixedParams> mixedParams;
    if (isMixed(config.algorithm)) {
        auto mp = config.toMixed(formatList, params.options);
        if (!mp) return mp.error();
        mixedParams = std::move(*mp);
    }
    if (params.refuseUnusedOptions) {
        std::vector<const Format*> used = formatList;
        if (mixedParams) used.insert(used.end(), mixedParams->candidates.begin(), mixedParams->candidates.end());
        if (const std::string unused = unusedOptionMessage(params.options, used); !unused.empty())
            return Error::usage(unused);
    }

    std::vector<const Format*> tileFormats;  // WqParams::tileSums: the run's formats, all tile formats
    if (params.tileSums) {
        for (const Format* f : formatList) {
            if (!f->tileFormat) {
                std::string tiles;
                for (const Format& g : formats())
                    if (g.tileFormat) tiles += (tiles.empty() ? "" : ", ") + std::string(g.name);
                return Error::usage("--granularity tile: " + std::string(f->name) +
                                    " cannot be assigned per 32x32 tile (tile formats: " + tiles + ")");
            }
            tileFormats.push_back(f);
        }
    }
    if (params.sample) {
        const SampleSpec& sp = *params.sample;
        char b[64];
        std::snprintf(b, sizeof b, "%g", sp.fraction);
        if (!(sp.fraction > 0.0 && sp.fraction <= 1.0))
            return Error::usage(std::string("--sample: expected a fraction in (0, 1], got ") + b);
        if (config.algorithm != "none")
            return Error::usage("--sample estimates the \"none\" rows from 32-row bands; the compression config's "
                                "algorithm \"" + config.algorithm + "\" needs whole tensors (run it without --sample)");
        for (const Format* f : formatList)
            if (kSampleBandRows % std::max(1, f->rowAlign) != 0)
                return Error::usage("--sample: " + std::string(f->name) + " quantizes blocks of " + std::to_string(f->rowAlign) +
                                    " rows, which the 32-row bands of a sample cannot hold; leave it out or run without --sample");
    }

    if (mixedParams && isWeighted(mixedParams->metric) && params.importance.isEmpty())
        return Error::usage("the compression config's metric \"" + std::string(metricName(mixedParams->metric)) +
                            "\" weighs the error by input-channel importance: give --importance FILE");

    // 2. Model and selection.
    if (params.limit == 0) return Error::usage("No tensors matched: --limit 0 keeps none.");
    auto modelR = openModel(params.model, params.revision, params.cacheDir, progress);
    if (!modelR) return modelR.error();
    const std::shared_ptr<Model> model = *modelR;
    const std::shared_ptr<FileProvider> provider = model->providerPtr();
    std::vector<std::string> filter;
    for (const QString& w : params.filter) filter.push_back(w.toStdString());
    auto selected = params.tensors.isEmpty()
                        ? selectTensors(model->tensorNames(), filter, params.regex.toStdString(), 0, params.all,
                                        &model->layoutTensorNames())
                        : exactSelection(*model, params.tensors);
    if (!selected) return selected.error();
    // Integer and bool tensors are never quantized: skipped, and said so (then --limit).
    const auto skipped = model->skipNonFloat(*selected);
    if (!skipped) return skipped.error();
    if (params.limit > 0 && int64_t(selected->size()) > params.limit) selected->resize(size_t(params.limit));

    WqReport report;
    report.repo = provider->repoName();
    report.revision = provider->revision();
    report.describe = provider->describe();
    report.backend = params.backend;
    report.configPath = params.configPath;
    report.algorithm = config.algorithm;
    report.summary = params.summary;
    report.originalPcc = params.originalPcc;
    report.skipped = *skipped;
    for (const Format* f : formatList) report.formats.emplace_back(f->name);
    report.compressions = {"none"};
    if (config.algorithm != "none") report.compressions.push_back(config.algorithm);
    report.tensorNames = *selected;
    report.options = params.options;
    report.usedConfigJson = usedConfigJson(config, report.formats, mixedParams ? &*mixedParams : nullptr);
    // Artefact names are unique within the run: given over the whole selection, so that a
    // shard names them as one run over everything would.
    std::set<std::string> usedSlugs;
    std::map<std::string, std::string> slugs;
    if (mixedParams)
        for (const std::string& n : report.tensorNames) slugs[n] = uniqueSlug(n, usedSlugs);
    report.top = params.top;
    report.sample = params.sample;

    // Importance (issue #18): read and bound before any tensor is analysed.
    std::shared_ptr<RunImportance> importance;
    if (!params.importance.isEmpty()) {
        auto imp = loadRunImportance(params.importance, params.revision, params.cacheDir, *model, progress);
        if (!imp) return imp.error();
        importance = *imp;
        report.importance = describeImportance(*importance);
    }
    // The weights of a tensor as analysed in `layout`; nullopt (and the note) without.
    auto weightsFor = [&](const TensorInfo& info, Layout layout, std::string* note) -> std::optional<InputWeights> {
        if (!importance) return std::nullopt;
        return tensorWeights(importance->index.find(info.name), info.shape, layout, note);
    };
    // The shard's part of the selection (after importance: its file is part of the fingerprint).
    if (params.shard) report.shard = cutSelection(*model, report.tensorNames, *params.shard, params.command,
                                                  params.commandOptions, shardFields(report));
    for (const std::string& n : report.tensorNames) {
        const TensorInfo* t = model->find(n);
        report.tensorElements.push_back(t ? double(t->numel()) : 0.0);
    }
    if (config.plan) {  // what the plan does not cover is said, not silently skipped
        const std::set<std::string> selected(report.tensorNames.begin(), report.tensorNames.end());
        for (const std::string& n : report.tensorNames)
            if (!config.plan->find(n)) report.notInPlan.push_back(n);
        for (const PlanChoice& c : config.plan->choices) report.planNotSelected += selected.count(c.tensor) ? 0 : 1;
    }
    if (observer.started) observer.started(report);

    // results/<model>/<algorithm>/<stamp>, built in a per-process work folder
    std::optional<WorkFolder> folder;
    if (params.writeResults) {
        const QString base = QDir(params.resultsDir)
                                 .filePath(QStringLiteral("results/%1/%2")
                                               .arg(provider->resultsName(), QString::fromStdString(config.algorithm)));
        QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        if (report.shard) stamp += QStringLiteral("-shard-%1-of-%2").arg(report.shard->spec.index).arg(report.shard->spec.count);
        auto f = WorkFolder::create(base, stamp);
        if (!f) return f.error();
        folder = *f;
    }
    auto fail = [&folder](Error e) -> Result<WqReport> {
        if (folder) folder->discard();
        return e;
    };

    std::vector<FormatChoice> choices;
    for (const Format* f : formatList) choices.push_back({f, params.options});

    // 3. Tensors in order. A big tensor uses every core by itself; a run of small ones
    // (too small to pay for a parallel region, common/parallel.h) is read in order and
    // analysed side by side, one tensor per thread, then reported in order: the same
    // results, and a busy machine never waits on a barrier per tiny tensor.
    const size_t count = report.tensorNames.size();
    std::vector<std::shared_ptr<TensorReader>> readers;
    std::vector<std::optional<Result<TensorAnalysis>>> bases;
    std::vector<std::optional<InputWeights>> batchWeights;
    std::vector<std::string> batchNotes;
    std::vector<TensorSample> samples;  // --sample: the bands each tensor of the batch reads
    size_t batchEnd = 0;  // tensors [ti, batchEnd) have their readers and base analyses
    auto prepareBatch = [&](size_t first) -> Result<void> {
        readers.clear();
        bases.clear();
        samples.clear();
        int64_t elements = 0;
        for (size_t i = first; i < count && samples.size() < kBatchTensors; ++i) {
            const TensorInfo* info = model->find(report.tensorNames[i]);
            TensorSample ts = params.sample && info ? sampleTensor(*info, *params.sample) : TensorSample{};
            const int64_t numel = info ? (ts.sampled() ? ts.rowsRead * info->cols() : info->numel()) : 0;
            if (!samples.empty() && (numel >= kParallelMinElements || elements + numel > kBatchElements)) break;
            samples.push_back(std::move(ts));
            elements += numel;
            if (numel >= kParallelMinElements) break;  // a big tensor goes alone
        }
        // The sampled rows of the whole batch in one prefetch: a remote provider fetches
        // them in parallel, adjacent ranges merged.
        std::vector<ByteRange> ranges;
        for (size_t k = 0; k < samples.size(); ++k)
            if (samples[k].sampled()) {
                const std::vector<ByteRange> r = model->rowsByteRanges(report.tensorNames[first + k], samples[k].rows);
                ranges.insert(ranges.end(), r.begin(), r.end());
            }
        if (!ranges.empty())
            if (auto pf = provider->prefetch(ranges, progress); !pf) return pf.error();
        for (size_t k = 0; k < samples.size(); ++k) {
            const std::string& name = report.tensorNames[first + k];
            if (samples[k].none()) {  // no band drawn: no reader, nothing read
                readers.push_back(nullptr);
                continue;
            }
            auto reader = samples[k].sampled() ? model->rowsReader(name, samples[k].rows, progress) : model->reader(name, progress);
            if (!reader) return reader.error();
            readers.push_back(*reader);
        }
        bases.resize(readers.size());
        batchWeights.assign(readers.size(), std::nullopt);
        batchNotes.assign(readers.size(), std::string());
        for (size_t i = 0; i < readers.size(); ++i) {
            if (samples[i].none()) continue;
            TensorInfo info = readers[i]->info();
            info.name = report.tensorNames[first + i];
            if (samples[i].sampled()) info.shape = model->find(info.name)->shape;
            batchWeights[i] = weightsFor(info, Layout::AsStored, &batchNotes[i]);
            if (samples[i].sampled() && batchWeights[i]) {  // the weights of the rows read
                std::vector<std::pair<int64_t, int64_t>> rows;
                for (const RowRange& r : samples[i].rows) rows.emplace_back(r.r0, r.r1);
                batchWeights[i] = batchWeights[i]->subsetRows(rows);
            }
        }
        auto weightsOf = [&](size_t i) { return batchWeights[i] ? &*batchWeights[i] : nullptr; };
        auto analyse = [&](size_t i, Progress* p) -> Result<TensorAnalysis> {
            if (samples[i].none()) return notSampled(choices);
            return samples[i].banded ? analyzeBands(*readers[i], kSampleBandRows, choices, p, weightsOf(i))
                                     : analyzeTensor(*readers[i], choices, Layout::AsStored, p, weightsOf(i));
        };
        if (readers.size() == 1) {  // alone: its own parallel chunks, progress and cancel
            bases[0] = analyse(0, progress);
        } else {
            const int64_t n = int64_t(readers.size());
#pragma omp parallel for schedule(dynamic, 1) if (worthParallel(n, elements * int64_t(choices.size())))
            for (int64_t i = 0; i < n; ++i)
                bases[size_t(i)] = analyse(size_t(i), nullptr);
        }
        batchEnd = first + readers.size();
        return {};
    };
    for (size_t ti = 0; ti < count; ++ti) {
        const std::string& name = report.tensorNames[ti];
        if (progress) progress->phase("[" + std::to_string(ti + 1) + "/" + std::to_string(count) + "] " + name);
        if (ti >= batchEnd) {
            auto batch = prepareBatch(ti);
            if (!batch) return fail(batch.error());
        }
        const size_t slot = readers.size() - (batchEnd - ti);
        const std::shared_ptr<TensorReader> reader = readers[slot];
        WqTensor tensor;
        const TensorSample& ts = samples[slot];
        tensor.info = reader ? reader->info() : *model->find(name);  // no reader: not sampled
        tensor.info.name = name;
        if (ts.sampled()) tensor.info.shape = model->find(name)->shape;  // the reader's view is the rows read

        const Result<TensorAnalysis>& base = *bases[slot];
        if (!base) return fail(base.error());
        tensor.importanceNote = batchNotes[slot];
        tensor.stats = base->stats;
        for (size_t f = 0; f < base->results.size(); ++f) {
            FormatResult r = base->results[f];
            if (ts.sampled()) r.bytes = payloadBytes(*r.format, tensor.info.rows(), tensor.info.cols());
            WqRow row = baselineRow("none", r, tensor.info.shape);
            if (params.sample) {
                row.estimate = rowEstimate(ts, *base, f, row, tensor.info.numel(), tensor.info.cols());
                row.metrics = row.estimate->metrics;
            }
            tensor.rows.push_back(std::move(row));
        }
        if (tensor.info.layout) {  // a quantized checkpoint's tensor: its layout and emulation match
            tensor.layout = tensor.info.layout->label;
            const auto emulated = layouts::emulatedFormat(tensor.info);
            if (emulated && reader) {  // no reader: --sample drew none of its bands
                auto match = measureEmulationMatch(*reader, *emulated, tensor.stats.context(), progress);
                if (!match) return fail(match.error());
                tensor.emulationMatch = *match;
            }
        }

        if (params.tileSums && observer.tileSums) {
            const std::vector<float> x = reader->readAll();
            const std::optional<InputWeights>& w = batchWeights[slot];
            auto sums = computeTileSums(x.data(), tensor.info.shape, tileFormats, params.options, progress, w ? &*w : nullptr);
            if (!sums) return fail(sums.error());
            observer.tileSums(tensor, *sums);
        }
        if (config.plan) {
            if (const PlanChoice* c = config.plan->find(name)) {
                auto row = planRow(*c, config.path, *reader, tensor, params.options, progress, batchWeights[slot]);
                if (!row) return fail(row.error());
                tensor.rows.push_back(std::move(*row));
            }
        } else if (config.algorithm == "transpose") {
            std::string note;
            const std::optional<InputWeights> tw = weightsFor(tensor.info, Layout::Transposed, &note);
            if (tensor.importanceNote.empty()) tensor.importanceNote = note;
            auto tr = analyzeTensor(*reader, choices, Layout::Transposed, progress, tw ? &*tw : nullptr);
            if (!tr) return fail(tr.error());
            const std::vector<int64_t> reversed(tensor.info.shape.rbegin(), tensor.info.shape.rend());
            for (const auto& r : tr->results) tensor.rows.push_back(baselineRow("transpose", r, reversed));
        } else if (mixedParams) {
            const auto t0 = std::chrono::steady_clock::now();
            const std::vector<float> x = reader->readAll();
            const std::optional<InputWeights>& mw = batchWeights[slot];
            auto mixed = runMixed(x.data(), tensor.info.shape, *mixedParams, progress, mw ? &*mw : nullptr);
            if (!mixed) return fail(mixed.error());
            WqRow row;
            row.compression = config.algorithm;
            row.format = "mixed";
            row.label = "MIXED";
            row.mixed = true;
            row.metrics = mixed->metrics;
            if (!mw) {  // planned with v ≡ 1 (no importance for this tensor): no weighted metrics to report
                const double na = std::numeric_limits<double>::quiet_NaN();
                row.metrics.wsqnrDb = row.metrics.wrel = row.metrics.wsse = row.metrics.wssx = na;
            }
            row.bytes = mixed->payloadBytes;
            row.deviceBytes = mixed->bytes;
            row.bitsPerElement = payloadBits(mixed->payloadBytes, tensor.info.numel(), nullptr);
            row.metThreshold = mixed->metThreshold;
            row.note = mixed->note;
            for (const Format* f : mixedParams->candidates) row.tileFormats.emplace_back(f->name);
            row.tileCounts = mixed->tileCounts;
            row.tileBytes = mixed->bytesPerFormat;
            row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            tensor.rows.push_back(row);

            if (folder) {
                const QString dir = QDir(folder->workPath()).filePath(QString::fromStdString(config.algorithm).replace('-', '_'));
                QDir().mkpath(dir);
                tensor.slug = slugs[name];
                const QString slug = QString::fromStdString(tensor.slug);
                auto npy = writeAssignmentNpy(QDir(dir).filePath(slug + "_assignment.npy"), mixed->assignment,
                                              mixed->tilesH, mixed->tilesW);
                if (!npy) return fail(npy.error());
                AssignmentMapping mapping;
                mapping.formats = row.tileFormats;
                mapping.tilesH = mixed->tilesH;
                mapping.tilesW = mixed->tilesW;
                mapping.tensor = name;
                mapping.tensorShape = tensor.info.shape;
                mapping.options = params.options;
                auto map = writeAssignmentMapping(QDir(dir).filePath(slug + "_assignment_mapping.json"), mapping);
                if (!map) return fail(map.error());
                MixedArtefacts art;
                art.tensor = name;
                art.algorithm = config.algorithm;
                art.metric = std::string(metricName(mixedParams->metric));
                art.threshold = mixedParams->threshold;
                art.tilesH = mixed->tilesH;
                art.tilesW = mixed->tilesW;
                art.assignment = mixed->assignment;
                art.candidates = row.tileFormats;
                art.mixedRow = row;
                // Baselines measured like the mixed point (whole padded tiles) for the
                // candidates, then the other formats of the run as the none rows have them.
                for (size_t k = 0; k < mixedParams->candidates.size() && k < mixed->pureMetrics.size(); ++k) {
                    const Format* f = mixedParams->candidates[k];
                    WqRow b;
                    b.compression = "none";
                    b.format = std::string(f->name);
                    b.label = std::string(f->label);
                    b.metrics = mixed->pureMetrics[k];
                    b.bytes = mixed->purePayloadBytes[k];
                    b.deviceBytes = mixed->pureBytes[k];
                    b.bitsPerElement = payloadBits(b.bytes, tensor.info.numel(), f);
                    art.baselineRows.push_back(b);
                }
                for (const auto& r : tensor.rows)
                    if (r.compression == "none" &&
                        std::find(row.tileFormats.begin(), row.tileFormats.end(), r.format) == row.tileFormats.end())
                        art.baselineRows.push_back(r);
                art.chosenSample = mixed->chosenSample;
                std::vector<SampleRow> samples;
                for (const auto& s : mixed->samples) {
                    art.samples.push_back({s.counts, s.bytes, s.metrics});
                    samples.push_back({s.counts, s.bytes, s.metrics});
                }
                if (!samples.empty()) {
                    auto csv = writeRandomSamplesCsv(QDir(dir).filePath(slug + ".csv"), row.tileFormats, samples);
                    if (!csv) return fail(csv.error());
                }
                if (renderer) {
                    auto png = renderer(art, dir, slug);
                    if (!png) return fail(png.error());
                }
            }
        }
        if (params.originalPcc)  // the original's rule, for comparing with its tables
            for (WqRow& row : tensor.rows) row.metrics.pcc = row.metrics.originalPcc();
        report.tensors.push_back(std::move(tensor));
        if (observer.tensorDone) observer.tensorDone(report, report.tensors.back());
        if (progress && progress->cancelled()) return fail(Error{"cancelled", 1});
    }

    // 4. Results folder: table.txt, the used config, results.json.
    if (folder) {
        auto a = writeFile(QDir(folder->workPath()).filePath("table.txt"), renderTableTxt(report));
        if (!a) return fail(a.error());
        auto b = writeFile(QDir(folder->workPath()).filePath("compression_config.used.json"), report.usedConfigJson);
        if (!b) return fail(b.error());
        report.resultsPath = folder->finalPath();
        auto c = writeFile(QDir(folder->workPath()).filePath("results.json"), renderJson(report));
        if (!c) return fail(c.error());
        auto d = folder->commit();
        if (!d) return fail(d.error());
        report.resultsPath = folder->finalPath();  // with its "-N" suffix if the name was taken
    }
    return report;
}

} // namespace qs
