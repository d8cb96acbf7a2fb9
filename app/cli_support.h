#pragma once
// Shared pieces of the headless commands: the stderr progress reporter (a bar on a
// terminal, plain periodic lines otherwise; Ctrl+C cancels), colour detection, the
// format-option flags every command accepts, and error printing.
#include "common/progress.h"
#include "common/result.h"
#include "formats/format.h"
#include "io/model.h"

#include <QCommandLineParser>
#include <QString>

#include <chrono>
#include <mutex>
#include <string>

class CliProgress : public qs::Progress {
public:
    CliProgress();
    ~CliProgress() override;
    void phase(const std::string& text) override;
    void report(uint64_t done, uint64_t total, const char* unit) override;
    bool cancelled() const override;
    void finish();  // clears the bar line

private:
    void draw(bool force);
    std::mutex m_mutex;
    bool m_tty;
    std::string m_phase;
    uint64_t m_done = 0, m_total = 0;
    std::string m_unit;
    std::chrono::steady_clock::time_point m_start, m_lastDraw, m_phaseStart;
    bool m_barShown = false;
};

// Colour on stdout: a terminal, NO_COLOR unset, TERM not "dumb".
bool stdoutWantsColour();

namespace qs { struct WqParams; }

// The model and tensor selection of the commands that walk a model through runWq (wq,
// atlas, plan): MODEL [FILTER...], --revision, --cache-dir, --regex, --limit, --shard,
// --sample F and --seed N.
void addSelectionFlags(QCommandLineParser& parser);
// Fills params.model/filter/revision/cacheDir/regex/limit from the parsed command line.
// Error (exit 1) naming what is wrong: MODEL missing, --limit not a whole number >= 0,
// --sample not a fraction in (0, 1], --seed not a whole number or without --sample.
qs::Result<void> selectionFrom(const QCommandLineParser& parser, qs::WqParams& params);
// --limit N: a whole number >= minimum; whenUnset when the flag is absent.
qs::Result<int> limitOption(const QCommandLineParser& parser, int minimum, int whenUnset);

// -h/--help without Qt's --help-all (whose Qt-internal options mean nothing here), and the
// help text whose usage line names the command as the user typed it ("quantscope wq",
// or "wq" when the binary was called as wq) instead of the binary's path.
void addHelp(QCommandLineParser& parser);
std::string commandHelp(const QCommandLineParser& parser, const QString& program);

// Format-option flags shared by wq, export, plot and sweep.
void addFormatOptionFlags(QCommandLineParser& parser);
qs::Result<qs::FormatOptions> formatOptionsFrom(const QCommandLineParser& parser);
// Drops integer and bool tensors from a selection (Model::skipNonFloat) and prints its
// note on stderr (after clearing the progress bar); the error when nothing is left.
qs::Result<void> skipIntegerTensors(const qs::Model& model, std::vector<std::string>& names, CliProgress& progress);

// Prints "error: <message>" to stderr and returns the error's exit code.
// Exit status of a command cancelled by SIGINT/SIGTERM/SIGHUP, whatever layer noticed.
inline constexpr int kExitCancelled = 130;
int reportError(const qs::Error& error);
// Prints "error: <message>" plus a hint to run --help, returns 1.
int usageError(const QString& command, const QString& message);

void printOut(const std::string& text);  // stdout, flushed
