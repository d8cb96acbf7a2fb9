#include "analysis/importance_run.h"

#include "hub/hub_options.h"
#include "hub/resolve.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

namespace qs {

namespace {

Result<std::string> sha256Of(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error::model(path.toStdString() + ": cannot open: " + f.errorString().toStdString());
    QCryptographicHash h(QCryptographicHash::Sha256);
    if (!h.addData(&f)) return Error::model(path.toStdString() + ": read failed: " + f.errorString().toStdString());
    return h.result().toHex().toStdString();
}

std::string joinNumbers(const std::vector<int64_t>& v, size_t most = 8)
{
    std::string s;
    for (size_t i = 0; i < v.size() && i < most; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
    if (v.size() > most) s += ", ... (" + std::to_string(v.size()) + " in all)";
    return s;
}

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

} // namespace

Result<std::shared_ptr<RunImportance>> loadRunImportance(const QString& spec, const QString& revision,
                                                         const QString& cacheDir, const Model& model,
                                                         Progress* progress)
{
    auto run = std::make_shared<RunImportance>();
    run->spec = spec;
    // org/repo:path/in/repo, unless a local file of that name exists.
    static const QRegularExpression hubSpec(QStringLiteral("^([A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*):(.+)$"));
    const QRegularExpressionMatch m = hubSpec.match(spec);
    if (m.hasMatch() && !QFileInfo::exists(spec)) {
        HubOptions hub = HubOptions::fromEnvironment();
        if (!cacheDir.isEmpty()) hub.cacheDir = cacheDir;
        auto provider = resolveModel(m.captured(1), revision, hub, progress);
        if (!provider) return provider.error();
        const QString path = m.captured(2);
        if (!(*provider)->hasFile(path))
            return Error::model("--importance " + spec.toStdString() + ": " + (*provider)->describe().toStdString() +
                                " has no file \"" + path.toStdString() + "\"");
        auto file = readImportance(**provider, path);
        if (!file) return file.error();
        run->file = std::move(*file);
        run->source = (*provider)->describe().toStdString() + ":" + path.toStdString();
    } else {
        if (!QFileInfo(spec).isFile())
            return Error::model("--importance " + spec.toStdString() +
                                ": no such file (a Hub file is written org/repo:path/in/repo)");
        auto file = readImportance(spec);
        if (!file) return file.error();
        auto sha = sha256Of(spec);
        if (!sha) return sha.error();
        run->file = std::move(*file);
        run->source = spec.toStdString();
        run->sha256 = *sha;
    }
    auto index = bindImportance(run->file, model.config(), model.tensors());
    if (!index) return index.error();
    run->index = std::move(*index);
    return run;
}

namespace {

// Which matrices of the entry a tensor takes and how they lie on the view — every check,
// no allocation; `problem` says why there are none.
struct WeightsPlan {
    int64_t m0 = 0, nm = 1;
    bool alongRows = false;
    int64_t rowsPerMatrix = 0;
    std::string problem;
};

WeightsPlan planWeights(const ImportanceBinding* b, const std::vector<int64_t>& shape, Layout layout)
{
    WeightsPlan p;
    auto none = [&p](std::string why) {
        p.problem = std::move(why);
        return p;
    };
    if (shape.size() < 2) return none(shape.empty() ? "scalar" : "1-D");
    if (!b) return none("no entry");
    if (!b->error.empty()) return none(b->error);
    const ImportanceEntry& e = *b->entry;
    const int64_t nIn = e.nIn;
    p.m0 = b->matrix >= 0 ? b->matrix : 0;
    p.nm = b->matrix >= 0 ? 1 : e.nMat;
    if (p.m0 + p.nm > e.nMat) return none("matrix " + std::to_string(p.m0) + " of \"" + e.name + "\" does not exist");
    std::vector<int64_t> empty;
    for (int64_t k = p.m0; k < p.m0 + p.nm; ++k)
        if (e.noData[size_t(k)]) empty.push_back(k);
    if (!empty.empty())
        return none((empty.size() == 1 ? "expert " : "experts ") + joinNumbers(empty) + " of \"" + e.name +
                    "\" saw no calibration data (count 0)");
    const size_t rank = shape.size();
    int64_t numel = 1;
    for (int64_t d : shape) numel *= d;
    const int axisIndex = int(rank) + b->inputAxis;  // -1 -> last, -2 -> second-to-last
    if (axisIndex < 0) return none("input axis " + std::to_string(b->inputAxis) + " of a rank-" + std::to_string(rank) + " tensor");
    if (shape[size_t(axisIndex)] != nIn)
        return none("input axis " + std::to_string(axisIndex) + " of " + shapeText(shape) + " has " +
                    std::to_string(shape[size_t(axisIndex)]) + " channels; \"" + e.name + "\" has " + std::to_string(nIn));
    if (p.nm > 1 && (rank < 3 || shape[0] != p.nm))
        return none("\"" + e.name + "\" has " + std::to_string(p.nm) + " matrices; the tensor " + shapeText(shape) +
                    " does not stack that many on its first axis");
    if (layout == Layout::Transposed && rank > 2)
        return none("the transposed view of an N-D tensor has no single input axis");
    bool inputOnLastAxisOfView = b->inputAxis == -1;
    if (layout == Layout::Transposed) inputOnLastAxisOfView = !inputOnLastAxisOfView;  // 2-D: axes swap
    const int64_t viewRows = numel / std::max<int64_t>(1, layout == Layout::Transposed ? shape.front() : shape.back());
    if (inputOnLastAxisOfView) {
        p.rowsPerMatrix = viewRows / p.nm;
    } else {
        // Rows of the view run over (matrix, input channel): v holds exactly one value per row.
        if (viewRows != p.nm * nIn)
            return none("the view's " + std::to_string(viewRows) + " rows are not " + std::to_string(p.nm) + " x " +
                        std::to_string(nIn) + " input channels");
        p.alongRows = true;
    }
    return p;
}

} // namespace

std::string weightsProblem(const ImportanceBinding* binding, const std::vector<int64_t>& shape, Layout layout)
{
    return planWeights(binding, shape, layout).problem;
}

std::optional<InputWeights> tensorWeights(const ImportanceBinding* b, const std::vector<int64_t>& shape, Layout layout,
                                          std::string* note)
{
    const WeightsPlan p = planWeights(b, shape, layout);
    if (!p.problem.empty()) {
        *note = p.problem;
        return std::nullopt;
    }
    const ImportanceEntry& e = *b->entry;
    InputWeights w;
    w.nIn = e.nIn;
    w.alongRows = p.alongRows;
    w.rowsPerMatrix = p.rowsPerMatrix;
    w.v.resize(size_t(p.nm * e.nIn));
    for (int64_t i = 0; i < p.nm * e.nIn; ++i) w.v[size_t(i)] = float(e.ex2[size_t(p.m0 * e.nIn + i)]);
    return w;
}

} // namespace qs
