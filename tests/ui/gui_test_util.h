#pragma once
// Helpers shared by the GUI tests: isolated settings, small safetensors models written to
// a temporary folder, and opening them through the real LocalProvider + Model::open.
#include "io/local_provider.h"
#include "test_paths.h"
#include "io/model.h"
#include "io/safetensors_writer.h"

#include <QCoreApplication>
#include <QDir>
#include <QSettings>
#include <QStandardPaths>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace qs::test {

// Settings go to a fresh temporary folder of this process (tests may run in parallel,
// and other users of the machine may run them too), under a test organisation.
inline void isolateSettings()
{
    static QTemporaryDir dir;
    QStandardPaths::setTestModeEnabled(true);
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, dir.path());
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    QCoreApplication::setOrganizationName(QStringLiteral("QuantScopeTest"));
    QCoreApplication::setApplicationName(QStringLiteral("quantscope-uitest"));
    QSettings().clear();
}

struct F32Tensor {
    std::string name;
    std::vector<int64_t> shape;
    std::vector<float> values;
};

// Writes the tensors as one F32 safetensors file; returns false on failure.
inline bool writeF32(const QString& path, const std::vector<F32Tensor>& tensors)
{
    std::vector<std::vector<uint8_t>> bytes;
    std::vector<TensorData> data;
    bytes.reserve(tensors.size());
    for (const auto& t : tensors) bytes.push_back(encodeFloats(DType::F32, t.values));
    for (size_t i = 0; i < tensors.size(); ++i)
        data.push_back({{tensors[i].name, DType::F32, tensors[i].shape}, bytes[i]});
    return writeSafetensors(path, data).ok();
}

inline std::shared_ptr<Model> openLocal(const QString& path)
{
    auto provider = LocalProvider::open(path);
    if (!provider) return nullptr;
    auto model = Model::open(*provider);
    if (!model) return nullptr;
    return *model;
}

// Deterministic pseudo-normal values (sum of uniforms), scaled.
inline std::vector<float> pseudoNormal(size_t n, uint32_t seed, float scale)
{
    std::vector<float> v(n);
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; ++i) {
        float acc = 0;
        for (int k = 0; k < 4; ++k) {
            s = s * 1664525u + 1013904223u;
            acc += float(s >> 8) / float(1 << 24);
        }
        v[i] = (acc - 2.0f) * scale;
    }
    return v;
}

inline QString demoDir() { return qs::test::demoDirPath(); }

// table.txt with the TIME(s) cells blanked (timings differ between runs).
inline QString maskTimes(const QString& text)
{
    QStringList out;
    int timeCol = -1;
    for (const QString& line : text.split('\n')) {
        const QStringList cells = line.split(' ', Qt::SkipEmptyParts);
        if (cells.contains("TIME(s)")) timeCol = int(cells.indexOf("TIME(s)"));
        if (timeCol >= 0 && cells.size() > timeCol && !cells.contains("TIME(s)") && line.startsWith("  ")) {
            QStringList c = cells;
            c[timeCol] = "T";
            out << c.join(' ');
        } else {
            out << line;
        }
    }
    return out.join('\n');
}


} // namespace qs::test
