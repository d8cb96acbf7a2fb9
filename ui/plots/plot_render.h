#pragma once
// Renders a plot builder's picture at an explicit size, without showing a window: the
// headless `quantscope plot` commands and the explorer's PNG export / clipboard copy
// all go through here, so the same data and size give the same PNG bytes.
// Needs a QApplication (the offscreen platform is fine). PNG files are written to a
// temporary name and renamed; a file that cannot be written is an Error naming it and
// the reason (exitCode 1).
#include "common/result.h"
#include "plots/plot_data.h"

#include <QImage>
#include <QString>

#include <functional>
#include <string>

class QCustomPlot;

namespace qs {

using PlotBuild = std::function<void(QCustomPlot*)>;

// A fresh QCustomPlot, built by `build`, rendered to width x height pixels.
QImage renderPlotImage(const PlotBuild& build, int width, int height);

// renderPlotImage saved as PNG at path (parent folders created).
Result<void> savePlotPng(const PlotBuild& build, const QString& path, int width, int height);

// Writes an image as PNG through a temporary file + rename.
Result<void> writePng(const QImage& image, const QString& path);

// Writes text (CSV, table.txt, JSON) through a temporary file + rename.
Result<void> writeTextFile(const QString& path, const std::string& text);

// The curves of a curve plot as CSV: a column "x" and one column per curve named by
// its label (quoted when it holds ',' or '"'); values "%.9g" (round-trips float32).
std::string curvesCsv(const CurvePlotData& data);

} // namespace qs
