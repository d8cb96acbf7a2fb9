#pragma once
// Shared by the libFuzzer targets: a Qt core application for the process (some Qt
// calls want one) and the split of one fuzz input into named in-memory files.
#include <QByteArray>
#include <QCoreApplication>
#include <QtGlobal>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace qs::fuzz {

inline void ensureApp()
{
    // Qt's warnings about hostile input ("Broken filename passed to function" for a NUL
    // in a path) are expected here; printing one per execution cost the model-reference
    // target 90 % of its speed.
    static const bool quiet = [] {
        qInstallMessageHandler([](QtMsgType, const QMessageLogContext&, const QString&) {});
        return true;
    }();
    (void)quiet;
    static int argc = 1;
    static char name[] = "fuzz";
    static char* argv[] = {name, nullptr};
    static std::unique_ptr<QCoreApplication> app(QCoreApplication::instance() ? nullptr
                                                                             : new QCoreApplication(argc, argv));
}

// "@@ <name>\n<bytes>" sections, one per file; bytes before the first marker are ignored.
// The marker is in the dictionary, so the fuzzer adds and removes files.
inline std::map<QString, std::vector<uint8_t>> splitFiles(const uint8_t* data, size_t size)
{
    std::map<QString, std::vector<uint8_t>> files;
    const QByteArray all = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    const QByteArray marker("@@ ");
    qsizetype pos = all.startsWith(marker) ? 0 : all.indexOf("\n" + marker);
    if (pos > 0) ++pos;
    while (pos >= 0 && pos < all.size()) {
        const qsizetype nameStart = pos + marker.size();
        const qsizetype nl = all.indexOf('\n', nameStart);
        if (nl < 0) break;
        const QString name = QString::fromUtf8(all.mid(nameStart, nl - nameStart));
        qsizetype next = all.indexOf("\n" + marker, nl + 1);
        const qsizetype end = next < 0 ? all.size() : next;
        const QByteArray body = all.mid(nl + 1, end - nl - 1);
        files[name] = std::vector<uint8_t>(body.begin(), body.end());
        pos = next < 0 ? -1 : next + 1;
    }
    return files;
}

} // namespace qs::fuzz
