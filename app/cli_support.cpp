#include "cli_support.h"

#include "analysis/wq_run.h"

#include "common/escape.h"

#include <QTextStream>

#include <csignal>
#include <cstdio>
#include <unistd.h>

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

// SIGINT, SIGTERM and SIGHUP all cancel the running command cleanly (work folders and
// temporary files removed, exit 130); a second signal leaves at once.
extern "C" void onSigint(int)
{
    if (g_interrupted) std::_Exit(130);
    g_interrupted = 1;
}

constexpr int kCancelSignals[] = {SIGINT, SIGTERM, SIGHUP};

std::string humanCount(double v, const std::string& unit)
{
    char buf[64];
    if (unit == "B") {
        const char* units[] = {"B", "KB", "MB", "GB", "TB"};
        int u = 0;
        while (v >= 1000 && u < 4) { v /= 1000; ++u; }
        std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
    } else {
        const char* units[] = {"", "k", "M", "G"};
        int u = 0;
        while (v >= 1000 && u < 3) { v /= 1000; ++u; }
        std::snprintf(buf, sizeof buf, u ? "%.1f%s" : "%.0f%s", v, units[u]);
    }
    return buf;
}

} // namespace

CliProgress::CliProgress()
    : m_tty(isatty(STDERR_FILENO)), m_start(std::chrono::steady_clock::now()), m_lastDraw(m_start), m_phaseStart(m_start)
{
    for (int sig : kCancelSignals) std::signal(sig, onSigint);
}

CliProgress::~CliProgress()
{
    finish();
    for (int sig : kCancelSignals) std::signal(sig, SIG_DFL);
}

void CliProgress::phase(const std::string& text)
{
    std::lock_guard lock(m_mutex);
    // Sub-phases of a tensor ("statistics", "quantizing") refine the tensor line.
    if (!text.empty() && text[0] == '[') m_phase = text;
    else if (m_phase.find(" · ") != std::string::npos) m_phase = m_phase.substr(0, m_phase.find(" · ")) + " · " + text;
    else m_phase = m_phase.empty() ? text : m_phase + " · " + text;
    m_done = m_total = 0;
    m_phaseStart = std::chrono::steady_clock::now();
    draw(true);
}

void CliProgress::report(uint64_t done, uint64_t total, const char* unit)
{
    std::lock_guard lock(m_mutex);
    m_done = done;
    m_total = total;
    m_unit = unit ? unit : "";
    draw(false);
}

bool CliProgress::cancelled() const { return g_interrupted != 0; }

void CliProgress::draw(bool force)
{
    const auto now = std::chrono::steady_clock::now();
    const double sinceDraw = std::chrono::duration<double>(now - m_lastDraw).count();
    if (!force && sinceDraw < (m_tty ? 0.1 : 2.0)) return;
    if (!m_tty && force && m_phase.find(" · ") != std::string::npos) return;  // plain mode: tensors only
    m_lastDraw = now;
    std::string line = m_phase;
    if (m_total > 0) {
        const double frac = double(m_done) / double(m_total);
        const double secs = std::chrono::duration<double>(now - m_phaseStart).count();
        char buf[160];
        if (m_tty) {
            const int width = 24, fill = int(frac * width + 0.5);
            std::snprintf(buf, sizeof buf, " [%s%s] %3.0f%%", std::string(size_t(fill), '#').c_str(),
                          std::string(size_t(width - fill), '.').c_str(), frac * 100);
        } else {
            std::snprintf(buf, sizeof buf, " %3.0f%%", frac * 100);
        }
        line += buf;
        line += " " + humanCount(double(m_done), m_unit) + "/" + humanCount(double(m_total), m_unit);
        if (secs > 0.2) line += " " + humanCount(double(m_done) / secs, m_unit) + "/s";
    }
    line = qs::escapeControl(line);
    if (m_tty) {
        if (line.size() > 150) line = line.substr(0, 147) + "...";
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
        m_barShown = true;
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

void CliProgress::finish()
{
    std::lock_guard lock(m_mutex);
    if (m_tty && m_barShown) {
        std::fprintf(stderr, "\r\033[K");
        std::fflush(stderr);
        m_barShown = false;
    }
}

bool stdoutWantsColour()
{
    const char* term = std::getenv("TERM");
    return isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR") && !(term && std::string(term) == "dumb");
}

void addFormatOptionFlags(QCommandLineParser& p)
{
    for (const qs::FormatOptionSpec& s : qs::formatOptionSpecs()) {
        if (s.valueName)
            p.addOption({s.name, s.help, s.valueName, s.values[s.get(qs::FormatOptions{})]});
        else
            p.addOption({s.name, s.help});
    }
    QCommandLineOption legacyClamp("nvfp4-clamp", "replaced by --nvfp4-convention", "mode");
    legacyClamp.setFlags(QCommandLineOption::HiddenFromHelp);
    p.addOption(legacyClamp);
}

void addHelp(QCommandLineParser& p) { p.addOption({{"h", "help"}, "Show this help."}); }

std::string commandHelp(const QCommandLineParser& p, const QString& program)
{
    QString text = p.helpText();
    if (text.startsWith("Usage: ")) {
        const qsizetype end = text.indexOf(" [options]");
        if (end > 0) text.replace(7, end - 7, program);
    }
    return text.toStdString();
}

qs::Result<qs::FormatOptions> formatOptionsFrom(const QCommandLineParser& p)
{
    qs::FormatOptions o;
    if (p.isSet("nvfp4-clamp"))
        return qs::Error::usage("--nvfp4-clamp was replaced by --nvfp4-convention, which reproduces each stack whole "
                                "(its clamp, element rule and dequantization): modelopt, modelopt-legacy, torchao, te "
                                "or nvidia-spec (the default)");
    for (const qs::FormatOptionSpec& s : qs::formatOptionSpecs()) {
        const QString flag = QString::fromLatin1(s.name);
        if (!p.isSet(flag)) continue;
        const std::string given = s.valueName ? p.value(flag).toStdString() : "on";
        if (const std::string error = qs::setFormatOption(o, s.name, given); !error.empty()) return qs::Error::usage(error);
    }
    if (const std::string conflict = qs::formatOptionConflict(o); !conflict.empty()) return qs::Error::usage(conflict);
    return o;
}

qs::Result<void> skipIntegerTensors(const qs::Model& model, std::vector<std::string>& names, CliProgress& progress)
{
    auto note = model.skipNonFloat(names);
    if (!note) return note.error();
    if (note->empty()) return {};
    progress.finish();
    std::fprintf(stderr, "note: %s\n", note->c_str());
    return {};
}

int reportError(const qs::Error& error)
{
    std::fflush(stdout);
    if (g_interrupted) {  // however the cancel surfaced (local read, Hub fetch, between tensors)
        std::fprintf(stderr, "error: cancelled\n");
        return kExitCancelled;
    }
    std::fprintf(stderr, "error: %s\n", qs::escapeControl(error.message).c_str());
    return error.exitCode ? error.exitCode : 1;
}

void addSelectionFlags(QCommandLineParser& p)
{
    p.addPositionalArgument("MODEL", "Hub repo id or URL, local folder, or .safetensors file.");
    p.addPositionalArgument("FILTER", "Optional tensor filter words (joined by one space).", "[FILTER...]");
    p.addOption({"revision", "Hub revision: branch, tag, 40-hex commit or refs/pr/N (default: main).", "rev"});
    p.addOption({"cache-dir", "Cache for fetched byte ranges (default: ~/.cache/quantscope).", "dir"});
    p.addOption({"regex", "Select tensors whose name matches this regular expression.", "PATTERN"});
    p.addOption({"limit", "Keep the first N matched tensors (natural order).", "N"});
    p.addOption({"shard", "Analyse part K of N (K from 1 to N) of the selection, split by bytes to read; the output "
                          "is a shard folder for 'quantscope merge'. auto: K and N from a Slurm job array "
                          "(SLURM_ARRAY_TASK_ID/COUNT or MIN/MAX); auto/N: K from a Kubernetes Indexed Job's "
                          "JOB_COMPLETION_INDEX.", "K/N|auto|auto/N"});
    p.addOption({"sample", "Estimate from a seeded random fraction F (0 < F <= 1) of each tensor's 32-row bands, reading "
                           "only those rows; every metric gets a 95 % confidence interval and is marked as an estimate. "
                           "Every band is drawn with probability F, so a small tensor may get none (its rows say "
                           "\"not sampled\"; atlas cells and plan pool the bands of a kind x layer); 1-D tensors are "
                           "read whole (exact).", "F"});
    p.addOption({"seed", "Seed of --sample's band draw (default " + QString::number(qulonglong(qs::kDefaultSampleSeed)) + ").", "N"});
    p.addOption({"all", "Select every tensor (FP8 scales aside). Without FILTER, --regex or --all the default is the "
                        "original's: names containing 'weight'. A FILTER or --regex selects among all tensors. "
                        "Integer and bool tensors are always skipped (one line says how many)."});
}

qs::Result<int> limitOption(const QCommandLineParser& p, int minimum, int whenUnset)
{
    if (!p.isSet("limit")) return whenUnset;
    bool ok = false;
    const int limit = p.value("limit").toInt(&ok);
    if (!ok || limit < minimum)
        return qs::Error::usage("--limit: expected a whole number >= " + std::to_string(minimum) + ", got \"" +
                                p.value("limit").toStdString() + "\"");
    return limit;
}

qs::Result<void> selectionFrom(const QCommandLineParser& p, qs::WqParams& params)
{
    const QStringList pos = p.positionalArguments();
    if (pos.isEmpty()) return qs::Error::usage("missing MODEL (a Hub repo id or URL, a folder, or a .safetensors file)");
    params.model = pos.first();
    params.filter = pos.mid(1);
    params.revision = p.value("revision");
    params.cacheDir = p.value("cache-dir");
    params.regex = p.value("regex");
    params.all = p.isSet("all");
    auto limit = limitOption(p, 0, -1);
    if (!limit) return limit.error();
    params.limit = *limit;
    if (p.isSet("sample")) {
        bool ok = false;
        const QString text = p.value("sample");
        const double f = text.trimmed().toDouble(&ok);
        if (!ok || !(f > 0.0 && f <= 1.0))
            return qs::Error::usage("--sample: expected a fraction F with 0 < F <= 1 (0.01 = 1 % of the bands), got \"" +
                                    text.toStdString() + "\"");
        qs::SampleSpec spec;
        spec.fraction = f;
        if (p.isSet("seed")) {
            spec.seed = p.value("seed").trimmed().toULongLong(&ok);
            if (!ok)
                return qs::Error::usage("--seed: expected a whole number >= 0, got \"" + p.value("seed").toStdString() + "\"");
        }
        params.sample = spec;
    } else if (p.isSet("seed")) {
        return qs::Error::usage("--seed is the seed of --sample's band draw: give --sample F too");
    }
    if (p.isSet("shard")) {
        auto shard = qs::parseShard(p.value("shard").toStdString());
        if (!shard) return shard.error();
        params.shard = *shard;
    }
    return {};
}

int usageError(const QString& command, const QString& message)
{
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\nRun 'quantscope %s --help' for usage.\n", message.toLocal8Bit().constData(),
                 command.toLocal8Bit().constData());
    return 1;
}

void printOut(const std::string& text)
{
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}
