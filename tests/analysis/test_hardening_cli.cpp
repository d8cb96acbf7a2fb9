// Issue #16 regressions seen from the command line: control characters in names are
// escaped, artefact slugs are unique and bounded (and mapped in results.json), stale
// work folders of dead processes are removed (others kept), config errors exit 1.
#include "cli_runner.h"
#include "test_paths.h"

#include "io/safetensors_writer.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

std::vector<uint8_t> floats(size_t n)
{
    std::vector<uint8_t> out(n * 4);
    for (size_t i = 0; i < n; ++i) {
        const float v = 0.01f * float(int(i % 97) - 48);
        std::memcpy(out.data() + 4 * i, &v, 4);
    }
    return out;
}

bool writeModel(const QString& path, const std::vector<std::string>& names, int64_t side = 32)
{
    std::vector<std::vector<uint8_t>> bytes;
    std::vector<qs::TensorData> t;
    bytes.reserve(names.size());
    for (const auto& n : names) {
        bytes.push_back(floats(size_t(side * side)));
        t.push_back({{n, qs::DType::F32, {side, side}}, bytes.back()});
    }
    return qs::writeSafetensors(path, t).ok();
}

bool writeText(const QString& path, const QByteArray& text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text) == text.size();
}

// Starts the binary (offscreen) with args, stdout to /dev/null and stderr to errFd (or
// /dev/null when errFd < 0, closing closeFd in the child); returns its pid, or -1.
pid_t spawnBinary(const QStringList& args, int errFd, int closeFd = -1)
{
    const QByteArray program = QFile::encodeName(qs::test::binaryPath());
    std::vector<QByteArray> argStore{program};
    for (const QString& a : args) argStore.push_back(a.toLocal8Bit());
    std::vector<char*> argv;
    for (auto& a : argStore) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (errFd >= 0) posix_spawn_file_actions_adddup2(&fa, errFd, 2);
    else posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (closeFd >= 0) posix_spawn_file_actions_addclose(&fa, closeFd);
    if (errFd >= 0) posix_spawn_file_actions_addclose(&fa, errFd);
    ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, program.constData(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 && pid > 0 ? pid : -1;
}

// Runs the binary with stderr into a pipe that is not read, sends SIGTERM after 300 ms,
// then drains stderr; returns the exit code (-1 if killed by a signal) and stderr.
std::pair<int, QByteArray> runAndTerminate(const QStringList& args)
{
    int pipeFd[2];
    if (::pipe(pipeFd) != 0) return {-2, {}};
    const pid_t pid = spawnBinary(args, pipeFd[1], pipeFd[0]);
    ::close(pipeFd[1]);
    if (pid < 0) {
        ::close(pipeFd[0]);
        return {-2, {}};
    }
    // The first byte on stderr comes from the progress line, which is drawn only after the
    // signal handlers are installed: signal then, not after a guessed delay (a slow start
    // under a sanitizer on a busy machine took longer than 300 ms, and the default SIGTERM
    // action killed the child before it could cancel).
    QByteArray err;
    char first = 0;
    if (::read(pipeFd[0], &first, 1) == 1) err.append(first);
    ::kill(pid, SIGTERM);
    char buf[65536];
    ssize_t n;
    while ((n = ::read(pipeFd[0], buf, sizeof buf)) > 0) err.append(buf, qsizetype(n));
    ::close(pipeFd[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, err};
}

// Runs the binary with output to /dev/null; returns its exit code and peak resident
// set size in KiB (wait4's ru_maxrss), or {-2, 0} if it could not start.
std::pair<int, long> runMeasured(const QStringList& args)
{
    const pid_t pid = spawnBinary(args, -1);
    if (pid < 0) return {-2, 0};
    int status = 0;
    struct rusage ru {};
    ::wait4(pid, &status, 0, &ru);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ru.ru_maxrss};
}

qint64 deadPid()
{
    for (qint64 pid = 4000000; pid > 1000; pid -= 7919)
        if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) return pid;
    return -1;
}

} // namespace

class TestHardeningCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // #16.13: ANSI escapes, CR and LF in tensor names never reach the terminal raw.
    void controlCharactersEscaped()
    {
        QTemporaryDir tmp;
        const QString model = tmp.filePath("m.safetensors");
        QVERIFY(writeModel(model, {"evil\x1b[2J\rname\nx", "plain"}));
        const CliRun r = runCli({"list", model});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(!r.out.contains('\x1b') && !r.out.contains('\r'));
        QVERIFY2(r.out.contains("evil\\x1B[2J\\x0Dname\\x0Ax  F32"), r.out.constData());
        const CliRun w = runCli({"wq", model, "-c", "bf16", "--no-results"});
        QCOMPARE(w.exitCode, 0);
        QVERIFY(!w.out.contains('\x1b') && !w.out.contains('\r') && !w.err.contains('\x1b'));
        QVERIFY(w.out.contains("\nevil\\x1B[2J\\x0Dname\\x0Ax\n"));
    }

    // #16.7 + #16.4 + #16.6: colliding and overlong names get distinct bounded slugs,
    // listed in results.json; a dead process's work folder is removed, others stay.
    void slugsUniqueBoundedAndStaleFoldersRemoved()
    {
        QTemporaryDir tmp;
        const QString model = tmp.filePath("m.safetensors");
        const std::string longName = std::string(300, 'L') + ".weight";
        QVERIFY(writeModel(model, {"a/b.weight", "a:b.weight", longName}));
        const QString cfg = tmp.filePath("cfg.json");
        QVERIFY(writeText(cfg, R"({"algorithm": "mixed-tile-random", "params": {"iters": 3, "formats": ["bf16", "bfp8"]}})"));
        const QString base = tmp.filePath("out/results/" + QDir(tmp.path()).dirName() + "__m/mixed-tile-random");
        QVERIFY(QDir().mkpath(base));
        const qint64 dead = deadPid();
        QVERIFY(dead > 0);
        const QString stale = QString(".20200101-000000.%1.abcdef.incomplete").arg(dead);
        const QString alive = QString(".20200101-000000.%1.abcdef.incomplete").arg(qint64(::getpid()));
        const QString foreign = ".something.incomplete";
        for (const QString& d : {stale, alive, foreign}) QVERIFY(QDir().mkpath(base + "/" + d));

        const CliRun r = runCli({"wq", model, "-c", "bf16", "--compression-config", cfg, "--results-dir", tmp.filePath("out")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(!QFileInfo::exists(base + "/" + stale));
        QVERIFY(QFileInfo::exists(base + "/" + alive));
        QVERIFY(QFileInfo::exists(base + "/" + foreign));
        const QStringList runs = QDir(base).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(runs.size(), 1);
        const QString run = base + "/" + runs.first();

        QFile jf(run + "/results.json");
        QVERIFY(jf.open(QIODevice::ReadOnly));
        const QJsonArray tensors = QJsonDocument::fromJson(jf.readAll()).object()["tensors"].toArray();
        QCOMPARE(tensors.size(), 3);
        QSet<QString> slugs;
        for (const auto& t : tensors) {
            const QString slug = t.toObject()["slug"].toString();
            QVERIFY(!slug.isEmpty() && slug.size() <= 96);
            slugs.insert(slug);
            QVERIFY2(QFileInfo::exists(run + "/mixed_tile_random/" + slug + "_assignment.npy"), qPrintable(slug));
            QVERIFY(QFileInfo::exists(run + "/mixed_tile_random/" + slug + ".csv"));
        }
        QCOMPARE(slugs.size(), 3);
        QMap<QString, QString> slugOf;
        for (const auto& t : tensors) slugOf[t.toObject()["name"].toString()] = t.toObject()["slug"].toString();
        QCOMPARE(slugOf["a/b.weight"], QString("a_b.weight"));
        QVERIFY2(QRegularExpression("^a_b\\.weight-[0-9a-f]{16}$").match(slugOf["a:b.weight"]).hasMatch(),
                 qPrintable(slugOf["a:b.weight"]));
        QVERIFY2(QRegularExpression("^L{79}-[0-9a-f]{16}$").match(slugOf[QString::fromStdString(longName)]).hasMatch(),
                 qPrintable(slugOf[QString::fromStdString(longName)]));
    }

    // #16.5 + #16.6: SIGTERM cancels like Ctrl+C (exit 130): an export leaves the old
    // file untouched and no temporary file; wq leaves no work folder. No race: the child
    // writes a progress line per tensor into a pipe nobody reads until after the signal,
    // so it blocks long before its last tensor and the signal always arrives mid-run.
    void sigtermCancelsCleanly()
    {
        QTemporaryDir tmp;
        const QString model = tmp.filePath("m.safetensors");
        std::vector<std::string> names;
        for (int i = 0; i < 5000; ++i) names.push_back("layer." + std::to_string(i) + ".weight");  // ~150 KB of lines
        QVERIFY(writeModel(model, names, 8));
        const QString out = tmp.filePath("o/old.safetensors");
        QVERIFY(QDir().mkpath(tmp.filePath("o")));
        QVERIFY(writeText(out, "old contents"));

        auto [code, err] = runAndTerminate({"export", model, "-c", "bfp4", "--out", out});
        QCOMPARE(code, 130);
        QVERIFY2(err.endsWith("error: cancelled\n"), err.right(200).constData());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("old contents"));
        QCOMPARE(QDir(tmp.filePath("o")).entryList(QDir::Files | QDir::Hidden), QStringList{"old.safetensors"});

        auto [wcode, werr] = runAndTerminate({"wq", model, "-c", "bf16", "--results-dir", tmp.filePath("r")});
        QCOMPARE(wcode, 130);
        QVERIFY2(werr.endsWith("error: cancelled\n"), werr.right(200).constData());
        QCOMPARE(QDir(tmp.filePath("r/results/" + QDir(tmp.path()).dirName() + "__m/none")).entryList(QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot),
                 QStringList{});
    }

    // #16.12: a tensor with nothing finite (all +Inf), and a finite tensor that BF16
    // rounds entirely to Inf (every value is FLT_MAX), report n/a and say so in the row;
    // a format that makes only some values Inf flags its row too; JSON has nulls.
    void nothingFiniteIsNotPerfect()
    {
        QTemporaryDir tmp;
        const QString model = tmp.filePath("m.safetensors");
        const float inf = std::numeric_limits<float>::infinity(), big = std::numeric_limits<float>::max();
        auto filled = [](float v, size_t n, size_t every = 0, float other = 0) {
            std::vector<uint8_t> b(n * 4);
            for (size_t i = 0; i < n; ++i) {
                const float x = (every && i % every == 0) ? other : v;
                std::memcpy(b.data() + 4 * i, &x, 4);
            }
            return b;
        };
        auto someMax = filled(big, 64 * 64);
        for (size_t i = 0; i < 64 * 64; ++i)
            if (i % 8 != 1) {  // (the first value is ordinary: it is the sums' shift)
                const float v = 0.01f * float(int(i % 101) - 50);
                std::memcpy(someMax.data() + 4 * i, &v, 4);
            }
        const auto allInf = filled(inf, 64 * 64), allMax = filled(big, 64 * 64);
        QVERIFY(qs::writeSafetensors(model, {{{"a.inf", qs::DType::F32, {64, 64}}, allInf},
                                             {{"b.max", qs::DType::F32, {64, 64}}, allMax},
                                             {{"c.some", qs::DType::F32, {64, 64}}, someMax}})
                    .ok());
        const CliRun r = runCli({"wq", model, "-c", "bf16,fp0", "--summary", "--results-dir", tmp.filePath("r")});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QStringList lines = QString::fromUtf8(r.out).split('\n');
        auto rowOf = [&](const QString& tensor, const QString& format) {
            bool in = false;
            for (const QString& l : lines) {
                if (!l.startsWith(' ')) in = l == tensor;
                else if (in && l.simplified().startsWith("none " + format + " ")) return l.simplified();
            }
            return QString();
        };
        // all +Inf input: nothing finite, for every format (FP0 included)
        QCOMPARE(rowOf("a.inf", "BF16").section(' ', 2, 4), QString("n/a n/a n/a"));
        QVERIFY2(rowOf("a.inf", "FP0").endsWith("[n/a: no finite pairs]"), qPrintable(rowOf("a.inf", "FP0")));
        // finite input that BF16 turns into Inf everywhere: n/a, flagged with the count
        QVERIFY2(rowOf("b.max", "BF16").endsWith("[n/a: no finite pairs]"), qPrintable(rowOf("b.max", "BF16")));
        QVERIFY(rowOf("b.max", "BF16").contains(" n/a n/a n/a "));
        // FP0 of finite input is measurable (MAE, ATOL), not flagged; its PCC is undefined
        QVERIFY2(rowOf("b.max", "FP0").section(' ', 2, 4) == "n/a 3.403e+38 3.403e+38", qPrintable(rowOf("b.max", "FP0")));
        QVERIFY(!rowOf("b.max", "FP0").contains("["));
        // some values turned into Inf: measured over the rest, and the row says how many
        QVERIFY2(rowOf("c.some", "BF16").endsWith("[512 -> NaN/Inf]"), qPrintable(rowOf("c.some", "BF16")));
        QVERIFY(r.out.contains("note: BF16: no finite (input, output) pair is left; its metrics are n/a"));
        // the summary leaves n/a rows out of its means and counts them
        QVERIFY2(QString::fromUtf8(r.out).contains(QRegularExpression("none  BF16  pcc= (1\\.0|0\\.99)\\d+  mae=\\S+  atol=\\S+  rel=\\S+  \\(2 n/a\\)")),
                 r.out.right(400).constData());

        const QStringList runs = QDir(tmp.filePath("r/results/" + QDir(tmp.path()).dirName() + "__m/none")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(runs.size(), 1);
        QFile jf(tmp.filePath("r/results/" + QDir(tmp.path()).dirName() + "__m/none/" + runs.first() + "/results.json"));
        QVERIFY(jf.open(QIODevice::ReadOnly));
        const QJsonArray tensors = QJsonDocument::fromJson(jf.readAll()).object()["tensors"].toArray();
        QCOMPARE(tensors.size(), 3);
        const QJsonObject m = tensors[1].toObject()["rows"].toArray()[0].toObject();
        QVERIFY(m["pcc"].isNull() && m["sqnr_db"].isNull());
        QCOMPARE(m["non_finite_outputs"].toInt(), 64 * 64);
        QCOMPARE(m["flag"].toString(), QString("no finite pairs"));
        const QJsonObject some = tensors[2].toObject()["rows"].toArray()[0].toObject();
        QCOMPARE(some["flag"].toString(), QString("non-finite outputs"));
        QVERIFY(some["pcc"].isDouble());
    }

    // #16.9: a wide tensor ([1, 2^24] F32, 64 MiB) costs about its own bytes, not a
    // multiple of them: before, a chunk was a whole 16M-element row per thread (352 MB
    // for -c all) and a 32-row tile band (8.6 GB for a mixed config). Skipped under
    // AddressSanitizer, whose shadow memory makes resident sizes meaningless.
    void wideTensorsStayInBudget()
    {
#if defined(__SANITIZE_ADDRESS__)
        QSKIP("resident size is not meaningful under AddressSanitizer");
#endif
        QTemporaryDir tmp;
        const QString model = tmp.filePath("m.safetensors");
        const int64_t n = int64_t(1) << 24;
        std::vector<uint8_t> bytes(size_t(n) * 4);
        for (int64_t i = 0; i < n; ++i) {
            const float v = 0.01f * float(int(i % 1013) - 506) / 506.0f;
            std::memcpy(bytes.data() + 4 * i, &v, 4);
        }
        QVERIFY(qs::writeSafetensors(model, {{{"wide.weight", qs::DType::F32, {1, n}}, bytes}}).ok());
        bytes = {};
        const QString cfg = tmp.filePath("thr.json");
        QVERIFY(writeText(cfg, R"({"algorithm": "mixed-tile-threshold", "params": {"metric": "pcc", "threshold": 0.999}})"));
        const auto [code, kib] = runMeasured({"wq", model, "-c", "all", "--no-results"});
        QCOMPARE(code, 0);
        QVERIFY2(kib < 200 * 1024, qPrintable(QString("-c all peaked at %1 MiB").arg(kib / 1024)));
        const auto [mcode, mkib] = runMeasured({"wq", model, "-c", "bfp8", "--compression-config", cfg, "--no-results"});
        QCOMPARE(mcode, 0);
        QVERIFY2(mkib < 600 * 1024, qPrintable(QString("mixed peaked at %1 MiB").arg(mkib / 1024)));
    }

    // #16.2 / #16.10: config errors are exit 1 with the field named.
    void configErrorsExitOne()
    {
        QTemporaryDir tmp;
        const QString model = tmp.filePath("m.safetensors");
        QVERIFY(writeModel(model, {"w"}));
        const QString cfg = tmp.filePath("cfg.json");
        QVERIFY(writeText(cfg, R"({"params": {"threshold": 1e400}})"));
        CliRun r = runCli({"wq", model, "--compression-config", cfg, "--no-results"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("cfg.json: not valid JSON: number overflow parsing '1e400'"), r.err.constData());
        QVERIFY(writeText(cfg, R"({"algorithm": "mixed-tile-random", "params": {"iters": 1000000}})"));
        r = runCli({"wq", model, "--compression-config", cfg, "--no-results"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("params.iters: expected an integer from 1 to 100000, got 1000000"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestHardeningCli)
#include "test_hardening_cli.moc"
