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

// `quantscope wq MODEL [FILTER...]` (WQ.md §2-3). programName is used in usage text.
int runWqCommand(const QStringList& args, const QString& programName);

// `quantscope list MODEL [FILTER...]`: one line per tensor and totals.
int runListCommand(const QStringList& args);

// `quantscope export MODEL [FILTER...] -c FORMAT --out FILE.safetensors [--dtype f32|bf16]`.
int runExportCommand(const QStringList& args);

// `quantscope reconstruct MODEL TENSOR ASSIGNMENT.npy [--assignment-mapping JSON] [--out FILE]`.
int runReconstructCommand(const QStringList& args);

// `quantscope sweep MODEL [FILTER...] --metric pcc --thresholds ...`.
int runSweepCommand(const QStringList& args);

// `quantscope atlas MODEL [FILTER...] -c FORMATS [--out-dir D] [--metric sqnr|pcc|mae]`.
int runAtlasCommand(const QStringList& args);

// `quantscope plan MODEL [FILTER...] --budget SIZE|--bits B [-c FORMATS] [--out-dir D]`.
int runPlanCommand(const QStringList& args);

// `quantscope diff A B [FILTER...] [--emulate FORMAT] [--json]`: two checkpoints compared
// tensor by tensor (issue #10).
int runDiffCommand(const QStringList& args);

// `quantscope importance FILE`: format, datasets and per-entry statistics of an importance
// matrix (docs/IMPORTANCE.md).
int runImportanceCommand(const QStringList& args);

// `quantscope merge RESULTS_DIR... [--out D]`: the shard outputs of `--shard K/N` runs
// (wq, atlas, plan results folders; export files) joined into one run's output.
int runMergeCommand(const QStringList& args);
