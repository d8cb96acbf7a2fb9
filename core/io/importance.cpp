#include "io/importance.h"

#include "io/gguf.h"
#include "io/local_provider.h"
#include "io/model.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

namespace qs {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool finiteNonNegative(float v) { return std::isfinite(v) && v >= 0.0f; }

std::string strip(const std::string& s, const std::string& suffix)
{
    return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0
               ? s.substr(0, s.size() - suffix.size())
               : std::string();
}

// --- llama.cpp GGUF imatrix -----------------------------------------------------------
Result<ImportanceFile> readGgufImatrix(FileProvider& provider, const QString& path)
{
    const std::string file = path.toStdString();
    auto g = readGgufHeader(provider, path);
    if (!g) return g.error();
    const GgufValue* type = g->find("general.type");
    if (!type || type->type != GgufType::String || type->s != "imatrix")
        return Error::model(file + ": a GGUF file, but not an importance matrix (general.type is " +
                            (type && type->type == GgufType::String ? "\"" + type->s + "\"" : std::string("missing")) +
                            ", expected \"imatrix\")");
    ImportanceFile out;
    out.format = "gguf-imatrix";
    if (const GgufValue* d = g->find("imatrix.datasets"); d && d->type == GgufType::Array)
        for (const GgufValue& item : d->items)
            if (item.type == GgufType::String) out.datasets.push_back(item.s);
    if (const GgufValue* v = g->find("imatrix.chunk_count"); v && v->asUInt()) out.chunkCount = int64_t(*v->asUInt());
    if (const GgufValue* v = g->find("imatrix.chunk_size"); v && v->asUInt()) out.chunkSize = int64_t(*v->asUInt());
    for (const GgufTensorInfo& t : g->tensors) {
        const std::string base = strip(t.name, ".in_sum2");
        if (base.empty()) continue;  // counts, in_sum and anything else are read with their in_sum2
        const GgufTensorInfo* c = g->tensor(base + ".counts");
        if (!c) return Error::model(file + ": \"" + t.name + "\" has no \"" + base + ".counts\"");
        auto sums = readGgufTensor(provider, path, *g, t);
        if (!sums) return sums.error();
        auto counts = readGgufTensor(provider, path, *g, *c);
        if (!counts) return counts.error();
        const int64_t nMat = int64_t(counts->size());
        if (nMat == 0 || sums->empty() || int64_t(sums->size()) % nMat != 0)
            return Error::model(file + ": \"" + base + "\": " + std::to_string(sums->size()) + " sums for " +
                                std::to_string(nMat) + " counts (expected a multiple)");
        ImportanceEntry e;
        e.name = base;
        e.nMat = nMat;
        e.nIn = int64_t(sums->size()) / nMat;
        e.ex2.resize(sums->size());
        for (int64_t m = 0; m < nMat; ++m) {
            const float count = (*counts)[size_t(m)];
            if (!finiteNonNegative(count) || count != std::round(count))
                return Error::model(file + ": \"" + base + "\": count " + std::to_string(m) + " is " + std::to_string(count) +
                                    " (expected a whole number >= 0)");
            e.counts.push_back(count);
            e.noData.push_back(count == 0.0f);
            for (int64_t i = 0; i < e.nIn; ++i) {
                const float s = (*sums)[size_t(m * e.nIn + i)];
                if (!finiteNonNegative(s))
                    return Error::model(file + ": \"" + base + "\": in_sum2[" + std::to_string(m) + ", " + std::to_string(i) +
                                        "] is " + std::to_string(s) + " (a sum of squares must be finite and >= 0)");
                if (count == 0.0f && s != 0.0f)
                    return Error::model(file + ": \"" + base + "\": matrix " + std::to_string(m) +
                                        " has a count of 0 but non-zero sums");
                e.ex2[size_t(m * e.nIn + i)] = count > 0.0f ? double(s) / double(count) : kNaN;
            }
        }
        out.entries.push_back(std::move(e));
    }
    return out;
}

// --- llama.cpp legacy .dat --------------------------------------------------------------
struct DatCursor {
    const uint8_t* p;
    uint64_t size, pos = 0;
    bool i32(int32_t& v)
    {
        if (size - pos < 4) return false;
        std::memcpy(&v, p + pos, 4);
        pos += 4;
        return true;
    }
    bool bytes(std::string& s, int32_t n)
    {
        if (n < 0 || uint64_t(n) > size - pos) return false;
        s.assign(reinterpret_cast<const char*>(p + pos), size_t(n));
        pos += uint64_t(n);
        return true;
    }
};

Result<ImportanceFile> readLegacyDat(const uint8_t* data, uint64_t size, const std::string& file)
{
    DatCursor c{data, size};
    auto bad = [&](const std::string& what) -> Result<ImportanceFile> {
        return Error::model(file + ": not a valid legacy imatrix (.dat) file: " + what);
    };
    int32_t n = 0;
    if (!c.i32(n)) return bad("shorter than the 4-byte entry count");
    // Every entry takes at least 12 bytes plus one name byte.
    if (n <= 0 || uint64_t(n) > size / 13) return bad("entry count " + std::to_string(n) + " does not fit the file");
    ImportanceFile out;
    out.format = "legacy-dat";
    for (int32_t k = 0; k < n; ++k) {
        int32_t len = 0, ncall = 0, nval = 0;
        ImportanceEntry e;
        if (!c.i32(len) || len <= 0 || len > 4096 || !c.bytes(e.name, len))
            return bad("entry " + std::to_string(k) + ": name length " + std::to_string(len) + " is invalid or cut short");
        if (!c.i32(ncall) || !c.i32(nval)) return bad("\"" + e.name + "\" is cut short");
        if (ncall <= 0) return bad("\"" + e.name + "\": ncall " + std::to_string(ncall) + " (expected > 0)");
        if (nval <= 0 || uint64_t(nval) > (size - c.pos) / 4)
            return bad("\"" + e.name + "\": " + std::to_string(nval) + " values do not fit the file");
        e.nIn = nval;  // experts are split once the model's input width is known (see below)
        e.ex2.resize(size_t(nval));
        for (int32_t i = 0; i < nval; ++i) {
            float v;
            std::memcpy(&v, c.p + c.pos + uint64_t(i) * 4, 4);
            if (!finiteNonNegative(v))
                return bad("\"" + e.name + "\": value " + std::to_string(i) + " is " + std::to_string(v) +
                           " (expected finite and >= 0)");
            e.ex2[size_t(i)] = double(v) / double(ncall);
        }
        c.pos += uint64_t(nval) * 4;
        e.counts = {double(ncall)};
        e.noData = {false};
        for (const ImportanceEntry& other : out.entries)
            if (other.name == e.name) return bad("\"" + e.name + "\" appears twice");
        out.entries.push_back(std::move(e));
    }
    int32_t lastChunk = 0, len = 0;
    if (c.i32(lastChunk)) {
        out.chunkCount = lastChunk;
        std::string dataset;
        if (c.i32(len) && c.bytes(dataset, len)) out.datasets.push_back(dataset);
    }
    return out;
}

// --- QuantScope's own .safetensors ------------------------------------------------------
Result<ImportanceFile> readOwnSafetensors(const QString& path)
{
    const std::string file = path.toStdString();
    auto provider = LocalProvider::open(path);
    if (!provider) return provider.error();
    auto model = Model::open(*provider);
    if (!model) return model.error();
    ImportanceFile out;
    out.format = "safetensors";
    for (const TensorInfo& t : (*model)->tensors()) {
        if (t.dtype != DType::F32)
            return Error::model(file + ": \"" + t.name + "\" is " + std::string(dtypeName(t.dtype)) +
                                "; importance tensors are F32 [n_in] or [n_experts, n_in] of E[x^2]");
        if (t.shape.empty() || t.shape.size() > 2 || t.numel() == 0)
            return Error::model(file + ": \"" + t.name + "\" has rank " + std::to_string(t.shape.size()) +
                                "; expected [n_in] or [n_experts, n_in]");
        auto reader = (*model)->reader(t.name);
        if (!reader) return reader.error();
        const std::vector<float> v = (*reader)->readAll();
        ImportanceEntry e;
        e.name = t.name;
        e.nMat = t.shape.size() == 2 ? t.shape[0] : 1;
        e.nIn = t.shape.back();
        e.ex2.resize(v.size());
        for (int64_t m = 0; m < e.nMat; ++m) {
            const float* row = v.data() + m * e.nIn;
            const bool allNaN = std::all_of(row, row + e.nIn, [](float x) { return std::isnan(x); });
            for (int64_t i = 0; i < e.nIn; ++i) {
                if (allNaN) {
                    e.ex2[size_t(m * e.nIn + i)] = kNaN;  // NaN = no data for this matrix (the whole row)
                    continue;
                }
                if (!finiteNonNegative(row[i]))
                    return Error::model(file + ": \"" + t.name + "\"[" + std::to_string(m) + ", " + std::to_string(i) +
                                        "] is " + std::to_string(row[i]) +
                                        " (E[x^2] must be finite and >= 0; a whole row of NaN marks no data)");
                e.ex2[size_t(m * e.nIn + i)] = double(row[i]);
            }
            e.counts.push_back(allNaN ? 0.0 : 1.0);
            e.noData.push_back(allNaN);
        }
        out.entries.push_back(std::move(e));
    }
    return out;
}

// One local file as a provider (GGUF and .dat are not model folders).
class LocalFileProvider final : public FileProvider {
public:
    explicit LocalFileProvider(QString path) : m_path(std::move(path)) {}
    QString describe() const override { return m_path; }
    QString repoName() const override { return m_path; }
    QString resultsName() const override { return m_path; }
    QString revision() const override { return QStringLiteral("local"); }
    Result<QStringList> listFiles(Progress*) override { return QStringList{m_path}; }
    bool hasFile(const QString& path) override { return path == m_path && QFileInfo(path).isFile(); }
    Result<uint64_t> fileSize(const QString& path) override
    {
        const QFileInfo fi(path);
        if (!fi.isFile()) return Error::usage(path.toStdString() + ": no such file");
        return uint64_t(fi.size());
    }
    Result<ByteViewPtr> read(const QString& path, uint64_t offset, uint64_t length, Progress*) override
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) return Error::usage(path.toStdString() + ": cannot open: " + f.errorString().toStdString());
        if (offset > uint64_t(f.size()) || length > uint64_t(f.size()) - offset)
            return Error::model(path.toStdString() + ": bytes [" + std::to_string(offset) + ", +" + std::to_string(length) +
                                ") lie past the end of the file");
        std::vector<uint8_t> bytes(static_cast<size_t>(length));
        if (!f.seek(qint64(offset)) || f.read(reinterpret_cast<char*>(bytes.data()), qint64(length)) != qint64(length))
            return Error::model(path.toStdString() + ": read failed: " + f.errorString().toStdString());
        return ByteViewPtr(std::make_shared<BufferView>(std::move(bytes)));
    }

private:
    QString m_path;
};

} // namespace

const ImportanceEntry* ImportanceFile::find(const std::string& name) const
{
    for (const ImportanceEntry& e : entries)
        if (e.name == name) return &e;
    return nullptr;
}

Result<ImportanceFile> readImportance(const QString& path)
{
    if (path.endsWith(".safetensors", Qt::CaseInsensitive)) return readOwnSafetensors(path);
    LocalFileProvider provider(path);
    return readImportance(provider, path);
}

Result<ImportanceFile> readImportance(FileProvider& provider, const QString& path)
{
    auto size = provider.fileSize(path);
    if (!size) return size.error();
    const std::string file = path.toStdString();
    if (*size < 8) return Error::model(file + ": " + std::to_string(*size) + " bytes is too short for an importance file");
    auto head = provider.read(path, 0, 8);
    if (!head) return head.error();
    const uint8_t* h = (*head)->data();
    if (std::memcmp(h, "GGUF", 4) == 0) return readGgufImatrix(provider, path);
    if (path.endsWith(".safetensors", Qt::CaseInsensitive))
        return Error::usage(file + ": QuantScope's .safetensors importance files are read from a local path");
    if (*size > (uint64_t(1) << 32)) return Error::model(file + ": too large for a legacy .dat imatrix");
    auto all = provider.read(path, 0, *size);
    if (!all) return all.error();
    return readLegacyDat((*all)->data(), (*all)->size(), file);
}

Result<void> splitMatrices(ImportanceEntry& e, int64_t nIn, bool legacyOnes)
{
    const int64_t total = e.nIn * e.nMat;
    if (nIn <= 0 || total % nIn != 0)
        return Error::model("importance entry \"" + e.name + "\": " + std::to_string(total) + " values are not a whole number of " +
                            std::to_string(nIn) + "-column matrices (the weight's input width)");
    const int64_t nMat = total / nIn;
    std::vector<double> counts(size_t(nMat), e.counts.empty() ? 1.0 : e.counts.front());
    std::vector<bool> noData(size_t(nMat), false);
    if (e.nMat == nMat) {
        counts = e.counts;
        noData = e.noData;
    }
    for (int64_t m = 0; m < nMat && legacyOnes && nMat > 1; ++m) {
        const double* row = e.ex2.data() + m * nIn;
        if (std::all_of(row, row + nIn, [](double x) { return x == 1.0; })) {
            noData[size_t(m)] = true;
            std::fill(e.ex2.begin() + m * nIn, e.ex2.begin() + (m + 1) * nIn, kNaN);
        }
    }
    e.nIn = nIn;
    e.nMat = nMat;
    e.counts = std::move(counts);
    e.noData = std::move(noData);
    return {};
}

ImportanceStats importanceStats(const double* ex2, int64_t n)
{
    ImportanceStats s;
    if (n <= 0 || std::isnan(ex2[0])) {
        s.mean = s.maxOverMean = s.top1Share = kNaN;
        return s;
    }
    std::vector<double> v(ex2, ex2 + n);
    double total = 0, mx = 0;
    for (double x : v) {
        total += x;
        mx = std::max(mx, x);
    }
    s.mean = total / double(n);
    s.maxOverMean = s.mean > 0 ? mx / s.mean : kNaN;
    const int64_t k = std::max<int64_t>(1, n / 100);
    std::nth_element(v.begin(), v.begin() + (k - 1), v.end(), std::greater<>());
    double top = 0;
    for (int64_t i = 0; i < k; ++i) top += v[size_t(i)];
    s.top1Share = total > 0 ? top / total : kNaN;
    return s;
}

} // namespace qs
