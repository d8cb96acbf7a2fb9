// bench_gui: the explorer's two speed numbers from issue #5 (a benchmark that prints
// numbers, never a pass/fail test).
//  1. From selecting a tensor of 16 M elements already on disk to all five panels drawn
//     (the four tensor panels + the staircase, which is already drawn) and to the
//     full-tensor metrics in the table; median over several selections.
//     With the original seven formats and with nine, the workspace closed and open (#15).
//  4. The longest UI-thread stall while Analyze selection runs next to two busy processes.
//  2. The longest UI-thread stall while a 100 M-element tensor is analysed (view +
//     metrics jobs, then "Analyze selection"): a 2 ms timer on the UI thread records
//     the largest gap between its ticks.
// Usage: bench_gui [--skip-100m] [--dir D] (offscreen platform unless QT_QPA_PLATFORM is set)
#include "analysis/analysis.h"
#include "io/local_provider.h"
#include "io/model.h"
#include "io/safetensors_writer.h"
#include "plots/plot_compute.h"
#include "compression/compression_workspace.h"
#include "main_window.h"
#include "models/format_list_model.h"
#include "widgets/format_panel.h"
#include "widgets/job_status.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <cstdio>
#include <vector>

using namespace qs;

namespace {

std::vector<float> values(size_t n, uint32_t seed, float scale)
{
    std::vector<float> v(n);
    uint32_t s = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; ++i) {
        float acc = 0;
        for (int k = 0; k < 2; ++k) {
            s = s * 1664525u + 1013904223u;
            acc += float(s >> 8) / float(1 << 24);
        }
        v[i] = (acc - 1.0f) * scale;
    }
    return v;
}

bool writeBf16(const QString& path, const std::vector<std::pair<std::string, std::vector<int64_t>>>& specs, uint32_t seed)
{
    std::vector<std::vector<uint8_t>> bytes;
    std::vector<TensorData> data;
    for (size_t i = 0; i < specs.size(); ++i) {
        int64_t n = 1;
        for (int64_t d : specs[i].second) n *= d;
        bytes.push_back(encodeFloats(DType::BF16, values(size_t(n), seed + uint32_t(i), 0.05f)));
    }
    for (size_t i = 0; i < specs.size(); ++i) data.push_back({{specs[i].first, DType::BF16, specs[i].second}, bytes[i]});
    auto r = writeSafetensors(path, data);
    if (!r) std::fprintf(stderr, "error: %s\n", r.error().message.c_str());
    return r.ok();
}

bool waitFor(const std::function<bool()>& done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs) return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

bool openModel(MainWindow& w, const QString& path)
{
    bool opened = false, failed = false;
    auto c1 = QObject::connect(&w, &MainWindow::modelOpened, [&] { opened = true; });
    auto c2 = QObject::connect(&w, &MainWindow::modelFailed, [&] { failed = true; });
    w.openModel(path);
    const bool ok = waitFor([&] { return opened || failed; }, 120000) && opened;
    QObject::disconnect(c1);
    QObject::disconnect(c2);
    if (!ok) std::fprintf(stderr, "error: %s\n", w.lastError().toLocal8Bit().constData());
    return ok;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// Max gap between ticks of a 2 ms UI-thread timer while `running` is true.
struct StallMeter {
    QTimer timer;
    QElapsedTimer clock;
    qint64 last = 0, maxGap = 0;
    StallMeter()
    {
        timer.setTimerType(Qt::PreciseTimer);
        timer.setInterval(2);
        QObject::connect(&timer, &QTimer::timeout, [this] {
            const qint64 now = clock.nsecsElapsed();
            if (qEnvironmentVariableIsSet("QS_BENCH_TRACE") && now - last > 100000000)
                std::printf("    [trace] UI gap %.0f ms ending at %.0f ms\n", double(now - last) / 1e6, double(now) / 1e6);
            maxGap = std::max(maxGap, now - last);
            last = now;
        });
    }
    void start()
    {
        clock.start();
        last = 0;
        maxGap = 0;
        timer.start();
    }
    double stopMs()
    {
        timer.stop();
        return double(maxGap) / 1e6;
    }
};

} // namespace

int main(int argc, char** argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QTemporaryDir settingsDir;  // never the user's settings
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settingsDir.path());
    QCoreApplication::setOrganizationName("QuantScopeBench");
    QSettings().clear();
    const QStringList args = app.arguments();
    const bool skip100m = args.contains("--skip-100m");
    const int dirArg = int(args.indexOf("--dir"));
    QTemporaryDir tmp(dirArg > 0 && dirArg + 1 < args.size() ? args[dirArg + 1] + "/bench_gui_XXXXXX" : QString());
    if (!tmp.isValid()) return 1;

    MainWindow w;
    w.resize(1480, 940);
    w.show();
    w.formatPanel()->model()->checkOriginal();

    // --- 1. 16 M elements: select -> five panels drawn ---
    const QString file16 = tmp.filePath("m16.safetensors");
    std::printf("writing two 4096x4096 BF16 tensors ...\n");
    std::fflush(stdout);
    if (!writeBf16(file16, {{"a.weight", {4096, 4096}}, {"b.weight", {4096, 4096}}}, 1)) return 1;
    if (!openModel(w, file16)) return 1;
    waitFor([&] { return !w.isBusy(); }, 120000);

    {
        // Where the time goes: each stage of the tensor view alone (no UI, no concurrency).
        auto provider = LocalProvider::open(file16);
        auto model = provider ? Model::open(*provider) : Result<std::shared_ptr<Model>>(provider.error());
        if (!model) return 1;
        auto reader = (*model)->reader("a.weight");
        if (!reader) return 1;
        std::vector<FormatChoice> fc;
        for (const Format* f : originalFormats()) fc.push_back({f, {}});
        QElapsedTimer st;
        st.start();
        auto scan = scanTensor(**reader, 0, 512, nullptr);
        const double tScan = double(st.nsecsElapsed()) / 1e6;
        st.restart();
        auto hist = valueHistogram(**reader, scan->stats, 0, nullptr);
        const double tHist = double(st.nsecsElapsed()) / 1e6;
        st.restart();
        auto errs = errorHistograms(**reader, scan->stats, fc, 1 << 20, nullptr);
        const double tErr = double(st.nsecsElapsed()) / 1e6;
        st.restart();
        auto tc = transferCurves("a.weight", scan->stats, fc, 1200, nullptr);
        const double tTransfer = double(st.nsecsElapsed()) / 1e6;
        st.restart();
        auto an = analyzeTensor(**reader, fc, Layout::AsStored, nullptr);
        const double tMetrics = double(st.nsecsElapsed()) / 1e6;
        std::printf("  stages (16M BF16, one at a time): scan+heatmap %.0f ms, histogram %.0f ms, error histograms "
                    "(1M sample x 7) %.0f ms, transfer %.1f ms, full metrics x 7 %.0f ms\n",
                    tScan, tHist, tErr, tTransfer, tMetrics);
        (void)hist; (void)errs; (void)tc; (void)an;
    }

    // Click -> panels (and the workspace's tile map when it is open) for a format set.
    auto measure = [&](const char* label, const QStringList& formats, bool workspace) {
        w.formatPanel()->model()->setCheckedNames(formats);
        w.pages()->setCurrentIndex(workspace ? 1 : 0);
        waitFor([&] { return !w.isBusy(); }, 120000);
        std::vector<double> panels, metrics, maps;
        for (int i = 0; i < 6; ++i) {
            const QString name = i % 2 ? "a.weight" : "b.weight";
            double tPanels = -1, tMetrics = -1, tMap = workspace ? -1 : 1;
            auto c1 = QObject::connect(&w, &MainWindow::tensorShown, [&](const QString& n, double) {
                if (n != name) return;
                QCoreApplication::processEvents();  // the widgets' paint
                tPanels = 0;
            });
            auto c2 = QObject::connect(&w, &MainWindow::metricsShown, [&](const QString& n, double) {
                if (n == name) tMetrics = 0;
            });
            auto c3 = QObject::connect(w.compressionWorkspace(), &CompressionWorkspace::sumsReady, [&] {
                if (w.compressionWorkspace()->tensor() == name.toStdString()) tMap = 0;
            });
            QElapsedTimer t;
            t.start();
            w.selectTensor(name);
            waitFor([&] {
                const double now = double(t.nsecsElapsed()) / 1e6;
                if (tPanels == 0) tPanels = now;
                if (tMetrics == 0) tMetrics = now;
                if (tMap == 0) tMap = now;
                return tPanels > 0 && tMetrics > 0 && tMap > 0;
            }, 120000);
            QObject::disconnect(c1);
            QObject::disconnect(c2);
            QObject::disconnect(c3);
            panels.push_back(tPanels);
            metrics.push_back(tMetrics);
            maps.push_back(tMap);
        }
        std::printf("16M-element tensor, %s: select -> five panels drawn: median %.0f ms; full-tensor metrics in the "
                    "table: median %.0f ms%s\n",
                    label, median(panels), median(metrics),
                    workspace ? qPrintable(QStringLiteral("; workspace tile map: median %1 ms").arg(median(maps), 0, 'f', 0))
                              : "");
        std::fflush(stdout);
    };
    const QStringList seven = {"mxfp4", "nvfp4", "bf16", "bfp8", "bfp4", "bfp2", "fp0"};
    const QStringList nine = seven + QStringList{"fp8_e4m3", "mxfp8"};
    measure("7 formats", seven, false);
    measure("9 formats", nine, false);
    measure("7 formats, workspace open", seven, true);
    measure("9 formats, workspace open", nine, true);
    w.pages()->setCurrentIndex(0);
    w.formatPanel()->model()->checkOriginal();

    {
        // --- 4. the UI thread while a run goes on a busy machine: two processes spinning,
        //        Analyze selection over both 16M tensors (7 formats) ---
        std::vector<std::unique_ptr<QProcess>> busy;
        for (int i = 0; i < 2; ++i) {
            busy.push_back(std::make_unique<QProcess>());
            busy.back()->start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("while :; do :; done")});
            busy.back()->waitForStarted();
        }
        waitFor([&] { return !w.isBusy(); }, 120000);
        StallMeter meter;
        bool finished = false;
        auto c = QObject::connect(&w, &MainWindow::analysisFinished, [&](int) { finished = true; });
        w.setFilterText("weight");
        QElapsedTimer t;
        meter.start();
        t.start();
        w.analyzeSelection();
        waitFor([&] { return finished || (!w.isBusy() && t.elapsed() > 500); }, 600000);
        QObject::disconnect(c);
        const double runMs = double(t.nsecsElapsed()) / 1e6, stall = meter.stopMs();
        for (auto& p : busy) {
            p->kill();
            p->waitForFinished();
        }
        w.setFilterText(QString());
        std::printf("Analyze selection (2 x 16M, 7 formats) next to two busy processes: %.0f ms, longest UI-thread "
                    "stall %.1f ms\n", runMs, stall);
        std::fflush(stdout);
    }

    {
        // --- 3. thousands of tensors: open, first selection, filter keystrokes ---
        const QString fileMany = tmp.filePath("many.safetensors");
        std::vector<std::pair<std::string, std::vector<int64_t>>> specs;
        for (int layer = 0; layer < 250; ++layer)
            for (const char* t : {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                  "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm",
                                  "mlp.experts.0.w1", "mlp.experts.1.w1", "mlp.experts.2.w1", "mlp.experts.3.w1",
                                  "mlp.experts.4.w1", "mlp.experts.5.w1", "mlp.experts.6.w1", "mlp.experts.7.w1",
                                  "mlp.experts.8.w1", "mlp.experts.9.w1", "mlp.experts.10.w1"})
                specs.push_back({"model.layers." + std::to_string(layer) + "." + t + ".weight", {8, 16}});
        if (!writeBf16(fileMany, specs, 11)) return 1;
        QElapsedTimer t;
        t.start();
        if (!openModel(w, fileMany)) return 1;
        const double openMs = double(t.nsecsElapsed()) / 1e6;
        waitFor([&] { return !w.isBusy(); }, 120000);
        std::vector<double> filterMs;
        for (const char* q : {"q_proj", "model.layers.1", "/experts\\.(3|7)\\./", "down", ""}) {
            t.restart();
            w.setFilterText(QString::fromLatin1(q));
            QCoreApplication::processEvents();
            filterMs.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        std::printf("%zu tensors: open (headers, tree) %.0f ms; filter applied on the UI thread: median %.0f ms, max %.0f ms\n",
                    specs.size(), openMs, median(filterMs), *std::max_element(filterMs.begin(), filterMs.end()));
    }

    if (skip100m) return 0;

    // --- 2. 100 M elements: UI-thread stalls while it is analysed ---
    const QString file100 = tmp.filePath("m100.safetensors");
    std::printf("writing a 10000x10000 BF16 tensor ...\n");
    std::fflush(stdout);
    if (!writeBf16(file100, {{"big.weight", {10000, 10000}}, {"small.weight", {64, 64}}}, 5)) return 1;
    StallMeter meter;
    QElapsedTimer t;
    QObject::connect(&w, &MainWindow::tensorShown, [&](const QString& n, double ms) {
        if (qEnvironmentVariableIsSet("QS_BENCH_TRACE")) std::printf("    [trace] %s panels at %.0f ms (%.0f)\n", qPrintable(n), double(t.nsecsElapsed()) / 1e6, ms);
    });
    QObject::connect(&w, &MainWindow::metricsShown, [&](const QString& n, double ms) {
        if (qEnvironmentVariableIsSet("QS_BENCH_TRACE")) std::printf("    [trace] %s metrics at %.0f ms (%.0f)\n", qPrintable(n), double(t.nsecsElapsed()) / 1e6, ms);
    });
    meter.start();
    t.start();
    if (!openModel(w, file100)) return 1;  // selects big.weight: the view + metrics jobs start
    waitFor([&] { return !w.isBusy(); }, 600000);
    const double viewMs = double(t.nsecsElapsed()) / 1e6;
    const double stallView = meter.stopMs();
    std::printf("100M-element tensor, view + metrics jobs: %.0f ms, longest UI-thread stall %.1f ms\n", viewMs, stallView);

    bool finished = false;
    auto c = QObject::connect(&w, &MainWindow::analysisFinished, [&](int) { finished = true; });
    w.setFilterText("big");
    meter.start();
    t.start();
    w.analyzeSelection();
    waitFor([&] { return finished || (!w.isBusy() && t.elapsed() > 500); }, 600000);
    QObject::disconnect(c);
    const double analyzeMs = double(t.nsecsElapsed()) / 1e6;
    const double stallAnalyze = meter.stopMs();
    std::printf("100M-element tensor, Analyze selection (wq, 7 formats): %.0f ms, longest UI-thread stall %.1f ms "
                "(budget 50 ms)\n",
                analyzeMs, stallAnalyze);
    return 0;
}
