#pragma once
// Entry points of the sub-commands, called by app/main.cpp's dispatcher. Each takes the
// arguments after the sub-command (program name and sub-command excluded), prints its
// own errors to stderr and returns the process exit status (WQ.md §2).
#include <QString>
#include <QStringList>

// `quantscope plot synth|weights ...` (WQ.md §6); args start with "synth" or "weights".
int runPlotCommand(const QStringList& args);

// The explorer window: creates the QApplication and the MainWindow, opens modelArg
// (a Hub id/URL or local path; empty = the start page) and runs the event loop.
// Hidden option handled here: --screenshot PATH (grab the window once the model is
// shown, save it as PNG and quit).
int runGui(int argc, char** argv, const QString& modelArg);
