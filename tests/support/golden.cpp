#include "golden.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonParseError>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace qs::test {

qint64 GoldenTensor::numel() const
{
    qint64 n = 1;
    for (qint64 d : shape)
        n *= d;
    return n;
}

int GoldenTensor::elementSize() const
{
    if (dtype == QLatin1String("F32") || dtype == QLatin1String("I32") || dtype == QLatin1String("U32"))
        return 4;
    if (dtype == QLatin1String("F16") || dtype == QLatin1String("BF16") || dtype == QLatin1String("I16"))
        return 2;
    if (dtype == QLatin1String("F8_E4M3") || dtype == QLatin1String("F8_E5M2") || dtype == QLatin1String("U8")
        || dtype == QLatin1String("I8") || dtype == QLatin1String("BOOL"))
        return 1;
    if (dtype == QLatin1String("F64") || dtype == QLatin1String("I64"))
        return 8;
    return 0;
}

namespace {

float halfToFloat(uint16_t h)
{
    const uint32_t sign = uint32_t(h >> 15) << 31;
    const uint32_t e = (h >> 10) & 0x1F, f = h & 0x3FF;
    if (e == 0)  // zero / subnormal: f * 2^-24, exact in fp32
        return bitsToFloat(sign | floatToBits(float(f) * 0x1p-24f));
    if (e == 31)
        return bitsToFloat(sign | 0x7F800000u | (f << 13));
    return bitsToFloat(sign | (e - 15 + 127) << 23 | f << 13);
}

float e4m3ToFloat(uint8_t c)
{
    const uint32_t sign = uint32_t(c >> 7) << 31;
    const uint32_t e = (c >> 3) & 15, f = c & 7;
    if (e == 15 && f == 7)
        return bitsToFloat(sign | 0x7FC00000u);
    if (e == 0)
        return bitsToFloat(sign | floatToBits(float(f) * 0x1p-9f));
    return bitsToFloat(sign | (e - 7 + 127) << 23 | f << 20);
}

} // namespace

std::vector<float> GoldenTensor::toFloat() const
{
    const qint64 n = numel();
    std::vector<float> out;
    if (elementSize() == 0 || raw.size() != n * elementSize())
        return out;
    out.resize(size_t(n));
    const auto* p = reinterpret_cast<const unsigned char*>(raw.constData());
    if (dtype == QLatin1String("F32")) {
        std::memcpy(out.data(), p, size_t(n) * 4);
    } else if (dtype == QLatin1String("F16")) {
        for (qint64 i = 0; i < n; ++i)
            out[size_t(i)] = halfToFloat(uint16_t(p[2 * i] | p[2 * i + 1] << 8));
    } else if (dtype == QLatin1String("BF16")) {
        for (qint64 i = 0; i < n; ++i)
            out[size_t(i)] = bitsToFloat(uint32_t(p[2 * i] | p[2 * i + 1] << 8) << 16);
    } else if (dtype == QLatin1String("F8_E4M3")) {
        for (qint64 i = 0; i < n; ++i)
            out[size_t(i)] = e4m3ToFloat(p[i]);
    } else {
        out.clear();
    }
    return out;
}

std::vector<uint32_t> GoldenTensor::bits() const
{
    std::vector<uint32_t> out;
    if (dtype != QLatin1String("F32") || raw.size() != numel() * 4)
        return out;
    out.resize(size_t(numel()));
    std::memcpy(out.data(), raw.constData(), out.size() * 4);
    return out;
}

std::optional<GoldenFile> GoldenFile::load(const QString& path, QString* error)
{
    auto fail = [&](const QString& why) -> std::optional<GoldenFile> {
        if (error)
            *error = path + QStringLiteral(": ") + why;
        return std::nullopt;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("cannot open (%1)").arg(file.errorString()));
    const QByteArray all = file.readAll();
    if (all.size() < 8)
        return fail(QStringLiteral("shorter than the 8-byte header length"));
    uint64_t headerLen = 0;
    for (int i = 7; i >= 0; --i)
        headerLen = headerLen << 8 | uint8_t(all[i]);
    if (headerLen > uint64_t(all.size() - 8))
        return fail(QStringLiteral("header length %1 exceeds the file size %2").arg(headerLen).arg(all.size()));
    QJsonParseError perr;
    const QJsonDocument doc = QJsonDocument::fromJson(all.mid(8, qsizetype(headerLen)), &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject())
        return fail(QStringLiteral("header is not a JSON object (%1)").arg(perr.errorString()));
    const qint64 dataStart = 8 + qint64(headerLen);
    const qint64 dataSize = all.size() - dataStart;

    GoldenFile gf;
    gf.m_path = path;
    const QJsonObject header = doc.object();
    // QJsonObject iterates in key order; recover header (data) order from the offsets.
    QList<QPair<qint64, QString>> order;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == QLatin1String("__metadata__")) {
            const QJsonObject md = it.value().toObject();
            for (auto m = md.begin(); m != md.end(); ++m)
                gf.m_metadata.insert(m.key(), m.value().toString());
            continue;
        }
        const QJsonObject t = it.value().toObject();
        GoldenTensor gt;
        gt.name = it.key();
        gt.dtype = t.value(QLatin1String("dtype")).toString();
        for (const QJsonValue& d : t.value(QLatin1String("shape")).toArray()) {
            if (!d.isDouble() || d.toDouble() < 0)
                return fail(QStringLiteral("tensor '%1': shape must be non-negative integers").arg(gt.name));
            gt.shape.append(qint64(d.toDouble()));
        }
        const QJsonArray off = t.value(QLatin1String("data_offsets")).toArray();
        if (off.size() != 2)
            return fail(QStringLiteral("tensor '%1': data_offsets must have two entries").arg(gt.name));
        const qint64 b = qint64(off[0].toDouble()), e = qint64(off[1].toDouble());
        if (b < 0 || e < b || e > dataSize)
            return fail(QStringLiteral("tensor '%1': data_offsets [%2, %3] outside the %4 data bytes")
                            .arg(gt.name).arg(b).arg(e).arg(dataSize));
        if (gt.elementSize() == 0)
            return fail(QStringLiteral("tensor '%1': unsupported dtype '%2'").arg(gt.name, gt.dtype));
        if (e - b != gt.numel() * gt.elementSize())
            return fail(QStringLiteral("tensor '%1': %2 bytes for %3 elements of %4")
                            .arg(gt.name).arg(e - b).arg(gt.numel()).arg(gt.dtype));
        gt.raw = all.mid(qsizetype(dataStart + b), qsizetype(e - b));
        order.append({b, gt.name});
        gf.m_tensors.insert(gt.name, gt);
    }
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (const auto& p : order)
        gf.m_names.append(p.second);
    return gf;
}

const GoldenTensor* GoldenFile::tensor(const QString& name) const
{
    auto it = m_tensors.constFind(name);
    return it == m_tensors.constEnd() ? nullptr : &it.value();
}

std::optional<QJsonDocument> loadJson(const QString& path, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = path + QStringLiteral(": cannot open (") + file.errorString() + QLatin1Char(')');
        return std::nullopt;
    }
    QJsonParseError perr;
    QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &perr);
    if (perr.error != QJsonParseError::NoError) {
        if (error)
            *error = path + QStringLiteral(": invalid JSON at offset %1 (%2)").arg(perr.offset).arg(perr.errorString());
        return std::nullopt;
    }
    return doc;
}

std::optional<float> jsonFloat(const QJsonValue& v)
{
    if (v.isDouble())
        return float(v.toDouble());
    const QString s = v.toString();
    if (s == QLatin1String("nan"))
        return std::numeric_limits<float>::quiet_NaN();
    if (s == QLatin1String("inf"))
        return std::numeric_limits<float>::infinity();
    if (s == QLatin1String("-inf"))
        return -std::numeric_limits<float>::infinity();
    return std::nullopt;
}

std::optional<uint32_t> parseHexBits(const QJsonValue& v)
{
    const QString s = v.toString();
    if (!s.startsWith(QLatin1String("0x")))
        return std::nullopt;
    bool ok = false;
    const uint32_t u = s.mid(2).toUInt(&ok, 16);
    if (!ok)
        return std::nullopt;
    return u;
}

QString compareBits(const QString& what, const float* expected, const float* actual, qint64 n, const float* input)
{
    qint64 mismatches = 0, first = -1;
    for (qint64 i = 0; i < n; ++i) {
        if (!sameFloat(floatToBits(expected[i]), floatToBits(actual[i]))) {
            if (first < 0)
                first = i;
            ++mismatches;
        }
    }
    if (mismatches == 0)
        return QString();
    auto hex = [](float f) { return QStringLiteral("0x%1").arg(floatToBits(f), 8, 16, QLatin1Char('0')); };
    QString msg = QStringLiteral("%1: %2 of %3 elements differ; first at index %4: expected %5 (%6), got %7 (%8)")
                      .arg(what).arg(mismatches).arg(n).arg(first)
                      .arg(hex(expected[first])).arg(double(expected[first]), 0, 'g', 9)
                      .arg(hex(actual[first])).arg(double(actual[first]), 0, 'g', 9);
    if (input)
        msg += QStringLiteral(", input %1 (%2)").arg(hex(input[first])).arg(double(input[first]), 0, 'g', 9);
    return msg;
}

} // namespace qs::test
