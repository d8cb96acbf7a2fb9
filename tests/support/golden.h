#pragma once
// Test helper shared by all areas: loads the golden data in tests/data/golden
// (see its PROVENANCE.md) — safetensors files (F32 / F16 / BF16 / F8_E4M3 tensors as raw
// little-endian bytes + shape, widened to fp32 on request) and JSON documents with the
// golden README's conventions ("nan"/"inf"/"-inf" strings, *_bits hex strings).
// QtCore only. Failures are returned as an error string naming the file and what was
// wrong (never an exception, never an out-of-bounds read).
#include <QByteArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include "test_paths.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace qs::test {


struct GoldenTensor {
    QString name;
    QString dtype;          // "F32", "F16", "BF16", "F8_E4M3", ... as in the header
    QList<qint64> shape;
    QByteArray raw;         // little-endian data bytes exactly as stored

    qint64 numel() const;
    int elementSize() const;  // 4, 2, 1; 0 for an unknown dtype
    // fp32 view: F32 as stored, F16/BF16 widened exactly, F8_E4M3 decoded (OCP E4M3FN,
    // 0x7F/0xFF -> NaN). Empty for other dtypes.
    std::vector<float> toFloat() const;
    // Raw 32-bit patterns of an F32 tensor (empty otherwise).
    std::vector<uint32_t> bits() const;
};

class GoldenFile {
public:
    // Parses the whole file; nullopt with *error set when it is not valid safetensors
    // (short file, bad header length, bad JSON, offsets outside the data, size mismatch).
    static std::optional<GoldenFile> load(const QString& path, QString* error = nullptr);

    const QString& path() const { return m_path; }
    const QStringList& names() const { return m_names; }   // header order
    bool contains(const QString& name) const { return m_tensors.contains(name); }
    // nullptr when absent.
    const GoldenTensor* tensor(const QString& name) const;
    const QMap<QString, QString>& metadata() const { return m_metadata; }

private:
    QString m_path;
    QStringList m_names;
    QMap<QString, GoldenTensor> m_tensors;
    QMap<QString, QString> m_metadata;
};

// Reads and parses a JSON file; nullopt with *error naming the file on failure.
std::optional<QJsonDocument> loadJson(const QString& path, QString* error = nullptr);

// A golden JSON number: a JSON number (parsed as double, cast to float) or one of the
// strings "nan", "inf", "-inf". nullopt for anything else.
std::optional<float> jsonFloat(const QJsonValue& v);
// "0x3f800000" -> 0x3f800000; nullopt when not a hex string.
std::optional<uint32_t> parseHexBits(const QJsonValue& v);

inline uint32_t floatToBits(float f)
{
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    return u;
}
inline float bitsToFloat(uint32_t u)
{
    float f;
    __builtin_memcpy(&f, &u, 4);
    return f;
}
// Bitwise equality, except that any two NaNs are equal.
inline bool sameFloat(uint32_t a, uint32_t b)
{
    const bool nanA = (a & 0x7FFFFFFFu) > 0x7F800000u, nanB = (b & 0x7FFFFFFFu) > 0x7F800000u;
    return (nanA && nanB) || a == b;
}

// Compares two fp32 arrays bit for bit (NaN == NaN); returns "" when equal, else a message
// naming `what`, the first mismatching index, both bit patterns and the mismatch count.
QString compareBits(const QString& what, const float* expected, const float* actual, qint64 n,
                    const float* input = nullptr);

} // namespace qs::test
