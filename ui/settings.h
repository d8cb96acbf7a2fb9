#pragma once
// Typed settings, declared once (STYLE.md §10): `Setting<T>{key, default}`; widgets read
// and write through these constants, never through loose string keys. Stored with
// QSettings (organisation "QuantScope", application "quantscope"); a missing or
// unconvertible value reads as the default. Tests run with QStandardPaths test mode,
// which redirects the file away from the user's configuration.
#include <QByteArray>
#include <QSettings>
#include <QString>
#include <QStringList>
#include <QVariant>

namespace qs {

template <class T>
struct Setting {
    const char* key;
    T defaultValue;

    T value() const
    {
        QSettings s;
        const QVariant v = s.value(QLatin1String(key));
        if (!v.isValid() || !v.canConvert<T>()) return defaultValue;
        return v.value<T>();
    }
    void set(const T& v) const
    {
        QSettings s;
        s.setValue(QLatin1String(key), QVariant::fromValue(v));
    }
    void reset() const
    {
        QSettings s;
        s.remove(QLatin1String(key));
    }
};

namespace settings {

inline const Setting<QByteArray> windowGeometry{"window/geometry", {}};
inline const Setting<QByteArray> windowState{"window/state", {}};
inline const Setting<QByteArray> mainSplitter{"window/mainSplitter", {}};
inline const Setting<QByteArray> leftSplitter{"window/leftSplitter", {}};
inline const Setting<QByteArray> rightSplitter{"window/rightSplitter", {}};
inline const Setting<int> currentTab{"window/currentTab", 0};
inline const Setting<int> currentPage{"window/currentPage", 0};  // Tensor / Compression

inline const Setting<QStringList> recentModels{"models/recent", {}};
inline const Setting<QString> lastRevision{"models/revision", QStringLiteral("main")};
inline const Setting<QString> cacheDir{"models/cacheDir", {}};  // empty: the default cache

// Registry names; empty list = never saved (the original seven are used).
inline const Setting<QStringList> checkedFormats{"formats/checked", {}};
// Format options as "name=value" (the CLI flag names and values of the option table).
inline const Setting<QStringList> formatOptions{"formats/options", {}};

inline const Setting<int> exportWidth{"export/width", 1280};
inline const Setting<int> exportHeight{"export/height", 800};
inline const Setting<QString> exportDir{"export/dir", {}};

inline const Setting<bool> histogramLog{"plots/histogramLog", false};
inline const Setting<bool> errorHistogramLog{"plots/errorHistogramLog", true};
inline const Setting<int> randSamples{"plots/randSamples", 100};

inline constexpr int kMaxRecent = 10;

}  // namespace settings

} // namespace qs
