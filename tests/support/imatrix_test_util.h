#pragma once
// Writers of small importance files for the io tests, from the documented layouts
// (docs/IMPORTANCE.md): llama.cpp's GGUF imatrix (as save_imatrix writes it) and its
// legacy .dat (save_imatrix_legacy), plus a file writer.
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

namespace qs::test {

struct Bytes {
    std::vector<uint8_t> b;
    template <class T>
    void put(T v)
    {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        b.insert(b.end(), p, p + sizeof(T));
    }
    void str(const std::string& s)
    {
        put<uint64_t>(s.size());
        b.insert(b.end(), s.begin(), s.end());
    }
    void i32str(const std::string& s)
    {
        put<int32_t>(int32_t(s.size()));
        b.insert(b.end(), s.begin(), s.end());
    }
    void pad(size_t a) { b.resize((b.size() + a - 1) / a * a, 0); }
};

struct GTensor {
    std::string name;
    std::vector<int64_t> ne;
    std::vector<float> data;
};

// A GGUF v3 imatrix as llama.cpp's save_imatrix writes it: general.type, imatrix.datasets,
// chunk_count, chunk_size; F32 tensors, data aligned to 32.
inline std::vector<uint8_t> ggufImatrix(const std::vector<GTensor>& tensors, const std::string& type = "imatrix")
{
    Bytes h;
    h.put<uint32_t>(0x46554747u);
    h.put<uint32_t>(3);
    h.put<uint64_t>(tensors.size());
    h.put<uint64_t>(4);
    h.str("general.type");
    h.put<uint32_t>(8);
    h.str(type);
    h.str("imatrix.datasets");
    h.put<uint32_t>(9);
    h.put<uint32_t>(8);
    h.put<uint64_t>(1);
    h.str("wiki.train.raw");
    h.str("imatrix.chunk_count");
    h.put<uint32_t>(4);
    h.put<uint32_t>(100);
    h.str("imatrix.chunk_size");
    h.put<uint32_t>(4);
    h.put<uint32_t>(512);
    uint64_t offset = 0;
    for (const GTensor& t : tensors) {
        h.str(t.name);
        h.put<uint32_t>(uint32_t(t.ne.size()));
        for (int64_t n : t.ne) h.put<int64_t>(n);
        h.put<uint32_t>(0);  // F32
        h.put<uint64_t>(offset);
        offset += (t.data.size() * 4 + 31) / 32 * 32;
    }
    h.pad(32);
    for (const GTensor& t : tensors) {
        for (float v : t.data) h.put(v);
        h.pad(32);
    }
    return h.b;
}

// One imatrix entry as its two GGUF tensors: NAME.in_sum2 (ne [n_in, n_mat], or [n_in]
// for one matrix, as ggml drops trailing 1s) and NAME.counts ([1, n_mat] or [1]).
inline void addEntry(std::vector<GTensor>& out, const std::string& name, int64_t nIn, const std::vector<float>& counts,
                     const std::vector<float>& sums)
{
    const int64_t nMat = int64_t(counts.size());
    out.push_back({name + ".in_sum2", nMat == 1 ? std::vector<int64_t>{nIn} : std::vector<int64_t>{nIn, nMat}, sums});
    out.push_back({name + ".counts", nMat == 1 ? std::vector<int64_t>{1} : std::vector<int64_t>{1, nMat}, counts});
}

// A legacy .dat: int32 count; per entry name, ncall, nval, values (E[x²]·ncall); then the
// last chunk and the dataset name.
inline std::vector<uint8_t> legacyDat(const std::vector<std::tuple<std::string, int32_t, std::vector<float>>>& entries)
{
    Bytes h;
    h.put<int32_t>(int32_t(entries.size()));
    for (const auto& [name, ncall, values] : entries) {
        h.i32str(name);
        h.put<int32_t>(ncall);
        h.put<int32_t>(int32_t(values.size()));
        for (float v : values) h.put(v);
    }
    h.put<int32_t>(42);
    h.i32str("calibration.txt");
    return h.b;
}

inline QString write(const QTemporaryDir& dir, const QString& name, const std::vector<uint8_t>& bytes)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    f.write(reinterpret_cast<const char*>(bytes.data()), qint64(bytes.size()));
    return path;
}

} // namespace qs::test
