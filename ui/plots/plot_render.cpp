#include "plots/plot_render.h"
#include "common/csv.h"

#include "plots/qcp.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace qs {

QImage renderPlotImage(const PlotBuild& build, int width, int height)
{
    QCustomPlot plot;
    plot.resize(width, height);
    build(&plot);
    // toPixmap lays the plot out at exactly width x height with scale 1, independent
    // of the screen the window may be on.
    return plot.toPixmap(width, height, 1.0).toImage().convertToFormat(QImage::Format_RGB32);
}

Result<void> writePng(const QImage& image, const QString& path)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error::model("cannot create the folder " + info.absolutePath().toStdString());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error::model("cannot write " + path.toStdString() + ": " + file.errorString().toStdString());
    errno = 0;
    if (!image.save(&file, "PNG")) {
        // Usually a write error (full disk): name the OS's reason rather than the encoder.
        const int e = errno;
        const bool ioError = file.error() != QFileDevice::NoError || e != 0;
        file.cancelWriting();
        if (ioError)
            return Error::model("cannot write " + path.toStdString() + ": " +
                                (e ? std::string(std::strerror(e)) : file.errorString().toStdString()));
        return Error::model("cannot encode the PNG " + path.toStdString());
    }
    if (!file.commit())
        return Error::model("cannot write " + path.toStdString() + ": " + file.errorString().toStdString());
    return {};
}

Result<void> writeTextFile(const QString& path, const std::string& text)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error::model("cannot create the folder " + info.absolutePath().toStdString());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error::model("cannot write " + path.toStdString() + ": " + file.errorString().toStdString());
    if (file.write(text.data(), qint64(text.size())) != qint64(text.size()) || !file.commit())
        return Error::model("cannot write " + path.toStdString() + ": " + file.errorString().toStdString());
    return {};
}

std::string curvesCsv(const CurvePlotData& data)
{
    std::string out = "x";
    for (const auto& c : data.curves) out += "," + csvField(c.label);
    out += "\n";
    char buf[40];
    for (size_t i = 0; i < data.x.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%.9g", data.x[i]);
        out += buf;
        for (const auto& c : data.curves) {
            std::snprintf(buf, sizeof buf, "%.9g", i < c.y.size() ? c.y[i] : 0.0);
            out += ',';
            out += buf;
        }
        out += "\n";
    }
    return out;
}

Result<void> savePlotPng(const PlotBuild& build, const QString& path, int width, int height)
{
    if (width < 16 || height < 16 || width > 16384 || height > 16384)
        return Error::model("plot size " + std::to_string(width) + "x" + std::to_string(height) +
                            " is out of range (16..16384 pixels per side)");
    return writePng(renderPlotImage(build, width, height), path);
}

} // namespace qs
