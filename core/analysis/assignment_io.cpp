#include "analysis/assignment_io.h"

#include "formats/format.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>

#include <cerrno>

#include <algorithm>
#include <cstring>

namespace qs {

namespace {

std::string where(const QString& path) { return QDir::toNativeSeparators(path).toStdString(); }

Error bad(const QString& path, const std::string& what) { return Error::usage(where(path) + ": " + what); }

// NumPy's spelling: "()", "(n,)", "(h, w)".
std::string shapeTuple(const std::vector<int64_t>& shape)
{
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

std::string num(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

} // namespace

Result<void> writeFileAtomic(const QString& path, const QByteArray& bytes)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath())) return Error::model(where(path) + ": cannot create the folder");
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return Error::model(where(path) + ": cannot write: " + f.errorString().toStdString());
    if (f.write(bytes) != bytes.size()) return Error::model(where(path) + ": write failed: " + f.errorString().toStdString());
    errno = 0;
    if (!f.flush() || !f.commit()) {  // the OS's reason (e.g. a full disk), not Qt's "Unknown error"
        const int e = errno;
        const QString qt = f.errorString();
        return Error::model(where(path) + ": cannot save: " +
                            (e && (qt.isEmpty() || qt == QLatin1String("Unknown error")) ? std::string(std::strerror(e))
                                                                                        : qt.toStdString()));
    }
    return {};
}

QByteArray npyPreamble(const std::string& descr, const std::vector<int64_t>& shape)
{
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shapeTuple(shape) + ", }";
    // NumPy >= 1.23 reserves room for the first axis to grow to 21 digits.
    if (!shape.empty()) dict.append(size_t(std::max<int64_t>(0, 21 - int64_t(std::to_string(shape[0]).size()))), ' ');
    // magic(6) + version(2) + length(2) + dict + padding + '\n' = multiple of 64
    const size_t unpadded = 10 + dict.size() + 1;
    dict.append((64 - unpadded % 64) % 64, ' ');
    dict += '\n';
    QByteArray out("\x93NUMPY\x01\x00", 8);
    const uint16_t len = uint16_t(dict.size());
    out.append(char(len & 0xFF));
    out.append(char(len >> 8));
    out.append(dict.data(), qsizetype(dict.size()));
    return out;
}

Result<void> writeAssignmentNpy(const QString& path, const std::vector<int8_t>& a, int64_t tilesH, int64_t tilesW)
{
    if (int64_t(a.size()) != tilesH * tilesW)
        return Error::usage(where(path) + ": assignment has " + std::to_string(a.size()) + " codes, expected " +
                            std::to_string(tilesH) + " x " + std::to_string(tilesW));
    QByteArray bytes = npyPreamble("|i1", {tilesH, tilesW});
    bytes.append(reinterpret_cast<const char*>(a.data()), qsizetype(a.size()));
    return writeFileAtomic(path, bytes);
}

Result<void> writeFloatNpy(const QString& path, const float* data, const std::vector<int64_t>& shape)
{
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    QByteArray bytes = npyPreamble("<f4", shape);
    bytes.append(reinterpret_cast<const char*>(data), qsizetype(n * 4));  // x86-64: little-endian
    return writeFileAtomic(path, bytes);
}

Result<NpyAssignment> readAssignmentNpy(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return bad(path, "cannot open: " + f.errorString().toStdString());
    const QByteArray bytes = f.readAll();
    if (bytes.size() < 10 || std::memcmp(bytes.constData(), "\x93NUMPY", 6) != 0)
        return bad(path, "not a NumPy .npy file (magic \\x93NUMPY missing)");
    const int major = uint8_t(bytes[6]), minor = uint8_t(bytes[7]);
    qsizetype headerLen, start;
    if (major == 1 && minor == 0) {
        headerLen = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
        start = 10;
    } else if (major == 2 && minor == 0 && bytes.size() >= 12) {
        headerLen = qsizetype(uint8_t(bytes[8])) | (qsizetype(uint8_t(bytes[9])) << 8) |
                    (qsizetype(uint8_t(bytes[10])) << 16) | (qsizetype(uint8_t(bytes[11])) << 24);
        start = 12;
    } else {
        return bad(path, "unsupported .npy format version " + std::to_string(major) + "." + std::to_string(minor) +
                             " (expected 1.0 or 2.0)");
    }
    if (start + headerLen > bytes.size()) return bad(path, "truncated .npy header");
    const QString header = QString::fromLatin1(bytes.constData() + start, headerLen);
    static const QRegularExpression descrRe(R"('descr'\s*:\s*'([^']*)')"), orderRe(R"('fortran_order'\s*:\s*(True|False))"),
        shapeRe(R"('shape'\s*:\s*\(([^)]*)\))");
    const auto d = descrRe.match(header), o = orderRe.match(header), s = shapeRe.match(header);
    if (!header.trimmed().startsWith('{') || !d.hasMatch() || !o.hasMatch() || !s.hasMatch())
        return bad(path, "malformed .npy header (expected 'descr', 'fortran_order' and 'shape')");
    const QString descr = d.captured(1);
    if (descr != "|i1" && descr != "i1" && descr != "<i1")
        return bad(path, "dtype '" + descr.toStdString() + "', expected int8 ('|i1')");
    if (o.captured(1) != "False") return bad(path, "fortran_order True, expected C order");
    std::vector<int64_t> dims;
    for (const QString& part : s.captured(1).split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const qlonglong v = part.trimmed().toLongLong(&ok);
        if (!ok || v < 0) return bad(path, "bad shape entry '" + part.trimmed().toStdString() + "'");
        dims.push_back(v);
    }
    if (dims.size() == 1) dims.insert(dims.begin(), 1);
    if (dims.size() != 2)
        return bad(path, "shape with " + std::to_string(dims.size()) + " dimensions, expected (tiles_h, tiles_w)");
    NpyAssignment a;
    a.tilesH = dims[0];
    a.tilesW = dims[1];
    const qsizetype dataBytes = bytes.size() - start - headerLen;
    if (a.tilesH > (int64_t(1) << 40) / std::max<int64_t>(a.tilesW, 1) || dataBytes != a.tilesH * a.tilesW)
        return bad(path, "holds " + std::to_string(dataBytes) + " data bytes, shape (" + std::to_string(a.tilesH) + ", " +
                             std::to_string(a.tilesW) + ") needs " + std::to_string(a.tilesH * a.tilesW));
    const char* p = bytes.constData() + start + headerLen;
    a.codes.assign(reinterpret_cast<const int8_t*>(p), reinterpret_cast<const int8_t*>(p) + dataBytes);
    return a;
}

QByteArray assignmentMappingJson(const AssignmentMapping& m)
{
    QJsonObject toInt;
    QJsonArray toFormat;
    for (size_t i = 0; i < m.formats.size(); ++i) {
        toInt.insert(QString::fromStdString(m.formats[i]), int(i));
        toFormat.append(QString::fromStdString(m.formats[i]));
    }
    QJsonObject o;  // QJsonObject keeps keys sorted
    o.insert("tile_hw", 32);
    o.insert("format_to_int", toInt);
    o.insert("int_to_format", toFormat);
    o.insert("assignment_shape", QJsonArray{qint64(m.tilesH), qint64(m.tilesW)});
    o.insert("unassigned_code", -1);
    o.insert("unassigned_meaning", "a tile with code -1 keeps its float32 values (in no list above)");
    if (m.options) {
        QJsonObject opts;
        for (const auto& [name, value] : formatOptionValues(*m.options))
            opts.insert(QString::fromStdString(name), QString::fromStdString(value));
        o.insert("format_options", opts);
    }
    if (!m.tensor.empty()) o.insert("tensor", QString::fromStdString(m.tensor));
    if (!m.tensorShape.empty()) {
        QJsonArray shape;
        for (int64_t d : m.tensorShape) shape.append(qint64(d));
        o.insert("tensor_shape", shape);
    }
    o.insert("tool", "quantscope");
    o.insert("version", QS_VERSION);
    return QJsonDocument(o).toJson(QJsonDocument::Indented);
}

Result<void> writeAssignmentMapping(const QString& path, const AssignmentMapping& mapping)
{
    return writeFileAtomic(path, assignmentMappingJson(mapping));
}

Result<AssignmentMapping> readAssignmentMapping(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return bad(path, "cannot open: " + f.errorString().toStdString());
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError) return bad(path, "not valid JSON: " + pe.errorString().toStdString());
    if (!doc.isObject()) return bad(path, "expected a JSON object");
    const QJsonObject o = doc.object();
    AssignmentMapping m;
    std::vector<std::pair<int, std::string>> pairs;
    if (o.contains("int_to_format") && o["int_to_format"].isArray()) {  // the original's form
        const QJsonArray list = o["int_to_format"].toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            if (!list[i].isString()) return bad(path, "int_to_format[" + std::to_string(i) + "]: expected a format name");
            pairs.emplace_back(int(i), list[i].toString().toStdString());
        }
    } else if (o.contains("int_to_format")) {
        if (!o["int_to_format"].isObject()) return bad(path, "int_to_format: expected a list of format names");
        const QJsonObject it = o["int_to_format"].toObject();
        for (auto i = it.begin(); i != it.end(); ++i) {
            bool ok = false;
            const int code = i.key().toInt(&ok);
            if (!ok) return bad(path, "int_to_format: key \"" + i.key().toStdString() + "\" is not an integer");
            if (!i.value().isString()) return bad(path, "int_to_format." + i.key().toStdString() + ": expected a format name");
            pairs.emplace_back(code, i.value().toString().toStdString());
        }
    } else if (o.contains("format_to_int")) {
        if (!o["format_to_int"].isObject()) return bad(path, "format_to_int: expected an object");
        const QJsonObject it = o["format_to_int"].toObject();
        for (auto i = it.begin(); i != it.end(); ++i) {
            if (!i.value().isDouble() || i.value().toDouble() != double(i.value().toInt()))
                return bad(path, "format_to_int." + i.key().toStdString() + ": expected an integer");
            pairs.emplace_back(i.value().toInt(), i.key().toStdString());
        }
    } else {
        return bad(path, "neither int_to_format nor format_to_int is present");
    }
    std::sort(pairs.begin(), pairs.end());
    for (const auto& [code, name] : pairs) {
        if (code == -1) {
            if (name != "none") return bad(path, "code -1 must be \"none\", got \"" + name + "\"");
            continue;
        }
        if (code != int(m.formats.size()))
            return bad(path, "format codes must be 0..n-1 without gaps (code " + std::to_string(code) + ")");
        const Format* f = findFormat(name);
        if (!f) return bad(path, "unknown format \"" + name + "\" (known: " + formatNameList() + ")");
        m.formats.push_back(std::string(f->name));
    }
    if (m.formats.empty()) return bad(path, "no formats listed");
    if (o.contains("assignment_shape")) {
        const QJsonArray s = o["assignment_shape"].toArray();
        if (!o["assignment_shape"].isArray() || s.size() != 2 || !s[0].isDouble() || !s[1].isDouble())
            return bad(path, "assignment_shape: expected [tiles_h, tiles_w]");
        m.tilesH = s[0].toInteger();
        m.tilesW = s[1].toInteger();
    }
    if (o.contains("tile_hw")) {  // 32, or [32, 32] in our older files
        const QJsonValue v = o["tile_hw"];
        const QJsonArray t = v.toArray();
        const bool ok = (v.isDouble() && v.toDouble() == 32.0) ||
                        (v.isArray() && t.size() == 2 && t[0].toDouble() == 32.0 && t[1].toDouble() == 32.0);
        if (!ok) return bad(path, "tile_hw: only 32 x 32 tiles are supported");
    }
    if (o.contains("tensor")) {
        if (!o["tensor"].isString()) return bad(path, "tensor: expected a tensor name");
        m.tensor = o["tensor"].toString().toStdString();
    }
    if (o.contains("tensor_shape")) {
        const QJsonArray s = o["tensor_shape"].toArray();
        for (const QJsonValue& d : s) {
            if (!d.isDouble() || d.toDouble() < 0 || d.toDouble() != double(d.toInteger()))
                return bad(path, "tensor_shape: expected a list of non-negative integers");
            m.tensorShape.push_back(d.toInteger());
        }
    }
    if (o.contains("format_options")) {
        if (!o["format_options"].isObject()) return bad(path, "format_options: expected an object");
        FormatOptions opts;
        const QJsonObject fo = o["format_options"].toObject();
        for (auto i = fo.begin(); i != fo.end(); ++i) {
            if (!i.value().isString()) return bad(path, "format_options." + i.key().toStdString() + ": expected a string");
            const std::string error = setFormatOption(opts, i.key().toStdString(), i.value().toString().toStdString());
            if (!error.empty()) return bad(path, "format_options: " + error);
        }
        m.options = opts;
    }
    return m;
}

QByteArray randomSamplesCsv(const std::vector<std::string>& formats, const std::vector<SampleRow>& samples)
{
    std::string out = "sample_id";
    for (const auto& f : formats) out += "," + f + "_tiles";
    out += ",total_gb,pcc,mae,atol\n";
    for (size_t i = 0; i < samples.size(); ++i) {
        out += std::to_string(i);
        for (int64_t c : samples[i].counts) out += "," + std::to_string(c);
        out += "," + num(samples[i].bytes / 1e9) + "," + num(samples[i].metrics.pcc) + "," + num(samples[i].metrics.mae) +
               "," + num(samples[i].metrics.atol) + "\n";
    }
    return QByteArray::fromStdString(out);
}

Result<void> writeRandomSamplesCsv(const QString& path, const std::vector<std::string>& formats,
                                   const std::vector<SampleRow>& samples)
{
    return writeFileAtomic(path, randomSamplesCsv(formats, samples));
}

} // namespace qs
