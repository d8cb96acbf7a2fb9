// Importance files (#18): llama.cpp's GGUF imatrix and legacy .dat, written here from the
// documented layouts (docs/IMPORTANCE.md), and QuantScope's .safetensors; E[x²] derived
// by hand; a merged-expert entry with a zero count; the legacy all-ones convention;
// and bad files refused with the file and the entry named. Also the GGUF container on its
// own (typed keys, nested arrays, alignment) and the `importance` command's output.
#include <QTest>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <cmath>
#include <cstring>

#include "io/gguf.h"
#include "io/importance.h"
#include "io/safetensors_writer.h"
#include "imatrix_test_util.h"
#include "test_paths.h"

using namespace qs;
using namespace qs::test;

class TestImportance : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void ggufImatrixWithExperts()
    {
        QTemporaryDir dir;
        // blk.0.attn_q: one matrix, n_in 4, 10 rows. blk.0.ffn_down_exps: 3 experts of
        // n_in 2, expert 1 never routed (count 0). n_mat = 1 is written with n_dims 1.
        const QString path = write(dir, "imatrix.gguf",
                                   ggufImatrix({{"blk.0.attn_q.weight.in_sum2", {4}, {10, 20, 30, 400}},
                                                {"blk.0.attn_q.weight.counts", {1}, {10}},
                                                {"blk.0.ffn_down_exps.weight.in_sum2", {2, 3}, {8, 4, 0, 0, 9, 3}},
                                                {"blk.0.ffn_down_exps.weight.counts", {1, 3}, {4, 0, 3}}}));
        auto f = readImportance(path);
        QVERIFY2(f, f ? "" : f.error().message.c_str());
        QCOMPARE(f->format, std::string("gguf-imatrix"));
        QCOMPARE(f->datasets, std::vector<std::string>{"wiki.train.raw"});
        QCOMPARE(f->chunkCount, int64_t(100));
        QCOMPARE(f->chunkSize, int64_t(512));
        QCOMPARE(f->entries.size(), size_t(2));
        const ImportanceEntry* q = f->find("blk.0.attn_q.weight");
        QVERIFY(q);
        QCOMPARE(q->nIn, int64_t(4));
        QCOMPARE(q->nMat, int64_t(1));
        QCOMPARE(q->ex2, (std::vector<double>{1, 2, 3, 40}));
        const ImportanceEntry* x = f->find("blk.0.ffn_down_exps.weight");
        QVERIFY(x);
        QCOMPARE(x->nIn, int64_t(2));
        QCOMPARE(x->nMat, int64_t(3));
        QCOMPARE(x->ex2[0], 2.0);
        QCOMPARE(x->ex2[1], 1.0);
        QVERIFY(std::isnan(x->ex2[2]) && std::isnan(x->ex2[3]));  // no data: never ones or zeros
        QCOMPARE(x->ex2[4], 3.0);
        QCOMPARE(x->noData, (std::vector<bool>{false, true, false}));
        // Statistics of [1, 2, 3, 40]: mean 11.5, max/mean 40/11.5, top 1 % = the largest channel.
        const ImportanceStats s = importanceStats(q->ex2.data(), 4);
        QCOMPARE(s.mean, 11.5);
        QCOMPARE(s.maxOverMean, 40.0 / 11.5);
        QCOMPARE(s.top1Share, 40.0 / 46.0);
    }

    void legacyDatAndTheOnesConvention()
    {
        QTemporaryDir dir;
        // ncall 5: stored values are E[x²]·5. The merged entry has 2 experts of n_in 3; the
        // second is the writer's "no data" (stored as ncall, i.e. E[x²] = 1 everywhere).
        const QString path = write(dir, "imatrix.dat",
                                   legacyDat({{"blk.1.ffn_up.weight", 5, {5, 10, 50}},
                                              {"blk.1.ffn_up_exps.weight", 5, {10, 20, 30, 5, 5, 5}}}));
        auto f = readImportance(path);
        QVERIFY2(f, f ? "" : f.error().message.c_str());
        QCOMPARE(f->format, std::string("legacy-dat"));
        QCOMPARE(f->chunkCount, int64_t(42));
        QCOMPARE(f->datasets, std::vector<std::string>{"calibration.txt"});
        QCOMPARE(f->find("blk.1.ffn_up.weight")->ex2, (std::vector<double>{1, 2, 10}));
        ImportanceEntry e = *f->find("blk.1.ffn_up_exps.weight");
        QCOMPARE(e.nIn, int64_t(6));
        QVERIFY(splitMatrices(e, 3, true).ok());
        QCOMPARE(e.nMat, int64_t(2));
        QCOMPARE(e.noData, (std::vector<bool>{false, true}));
        QCOMPARE(e.ex2[2], 6.0);
        QVERIFY(std::isnan(e.ex2[3]));
        ImportanceEntry bad = *f->find("blk.1.ffn_up_exps.weight");
        auto r = splitMatrices(bad, 4, true);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().message.find("\"blk.1.ffn_up_exps.weight\": 6 values are not a whole number of 4-column") !=
                     std::string::npos,
                 r.error().message.c_str());
    }

    void ownSafetensors()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("imp.safetensors");
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const std::vector<float> dense = {1, 4}, experts = {1, 2, nan, nan};
        std::vector<TensorData> data;
        auto bytesOf = [](const std::vector<float>& v) {
            std::vector<uint8_t> b(v.size() * 4);
            std::memcpy(b.data(), v.data(), b.size());
            return b;
        };
        const std::vector<uint8_t> denseBytes = bytesOf(dense), expertBytes = bytesOf(experts);  // spans point here
        data.push_back({{"model.layers.0.mlp.down_proj.weight", DType::F32, {2}}, denseBytes});
        data.push_back({{"model.layers.0.mlp.experts.weight", DType::F32, {2, 2}}, expertBytes});
        QVERIFY(writeSafetensors(path, data).ok());
        auto f = readImportance(path);
        QVERIFY2(f, f ? "" : f.error().message.c_str());
        QCOMPARE(f->format, std::string("safetensors"));
        QCOMPARE(f->find("model.layers.0.mlp.down_proj.weight")->ex2, (std::vector<double>{1, 4}));
        QCOMPARE(f->find("model.layers.0.mlp.experts.weight")->noData, (std::vector<bool>{false, true}));
    }

    void badFilesNameFileAndEntry_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("message");
        auto gg = [](const std::vector<GTensor>& t, const std::string& type = "imatrix") {
            const auto b = ggufImatrix(t, type);
            return QByteArray(reinterpret_cast<const char*>(b.data()), qsizetype(b.size()));
        };
        auto dat = [](const std::vector<std::tuple<std::string, int32_t, std::vector<float>>>& e) {
            const auto b = legacyDat(e);
            return QByteArray(reinterpret_cast<const char*>(b.data()), qsizetype(b.size()));
        };
        const float inf = std::numeric_limits<float>::infinity();
        QTest::newRow("not an imatrix") << gg({}, "model") << "a.gguf" << "a GGUF file, but not an importance matrix";
        QTest::newRow("count 0 with data") << gg({{"w.in_sum2", {2, 1}, {1, 2}}, {"w.counts", {1, 1}, {0}}}) << "a.gguf"
                                           << "\"w\": matrix 0 has a count of 0 but non-zero sums";
        QTest::newRow("negative sum") << gg({{"w.in_sum2", {2}, {-1, 2}}, {"w.counts", {1}, {3}}}) << "a.gguf"
                                      << "\"w\": in_sum2[0, 0] is -1";
        QTest::newRow("no counts") << gg({{"w.in_sum2", {2}, {1, 2}}}) << "a.gguf" << "\"w.in_sum2\" has no \"w.counts\"";
        QTest::newRow("sums not a multiple") << gg({{"w.in_sum2", {3}, {1, 2, 3}}, {"w.counts", {1, 2}, {1, 1}}}) << "a.gguf"
                                             << "\"w\": 3 sums for 2 counts";
        QByteArray cut = gg({{"w.in_sum2", {2}, {1, 2}}, {"w.counts", {1}, {3}}});
        cut.chop(40);
        QTest::newRow("truncated data") << cut << "a.gguf" << "runs past the end of the file";
        QByteArray magic = gg({});
        magic[0] = 'X';
        QTest::newRow("not gguf, not dat") << magic << "a.dat" << "not a valid legacy imatrix (.dat) file";
        QTest::newRow("dat inf") << dat({{"blk.0.ffn_up.weight", 1, {1, inf}}}) << "b.dat"
                                 << "\"blk.0.ffn_up.weight\": value 1 is inf";
        QTest::newRow("dat ncall 0") << dat({{"x", 0, {1}}}) << "b.dat" << "\"x\": ncall 0 (expected > 0)";
        QByteArray short_ = dat({{"x", 1, {1, 2, 3}}});
        short_.truncate(20);
        QTest::newRow("dat cut") << short_ << "b.dat" << "\"x\": 3 values do not fit the file";
    }

    void badFilesNameFileAndEntry()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, name);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = write(dir, name, std::vector<uint8_t>(bytes.begin(), bytes.end()));
        auto f = readImportance(path);
        QVERIFY(!f.ok());
        QCOMPARE(f.error().exitCode, 2);
        const QString got = QString::fromStdString(f.error().message);
        QVERIFY2(got.startsWith(path + ": ") && got.contains(message), qPrintable(got));
    }

    void ggufContainer()
    {
        // Nested arrays, a bool, alignment 64; a tensor offset off the alignment is refused.
        Bytes h;
        h.put<uint32_t>(0x46554747u);
        h.put<uint32_t>(3);
        h.put<uint64_t>(1);
        h.put<uint64_t>(3);
        h.str("general.alignment");
        h.put<uint32_t>(4);
        h.put<uint32_t>(64);
        h.str("a.nested");
        h.put<uint32_t>(9);
        h.put<uint32_t>(9);
        h.put<uint64_t>(1);
        h.put<uint32_t>(5);
        h.put<uint64_t>(2);
        h.put<int32_t>(-7);
        h.put<int32_t>(8);
        h.str("a.flag");
        h.put<uint32_t>(7);
        h.put<uint8_t>(1);
        h.str("t");
        h.put<uint32_t>(2);
        h.put<int64_t>(3);
        h.put<int64_t>(2);
        h.put<uint32_t>(0);
        h.put<uint64_t>(0);
        bool truncated = false;
        auto g = parseGgufHeader(h.b.data(), h.b.size(), "x.gguf", &truncated);
        QVERIFY2(g, g ? "" : g.error().message.c_str());
        QCOMPARE(g->alignment, uint64_t(64));
        QCOMPARE(g->dataOffset, (h.b.size() + 63) / 64 * 64);
        QCOMPARE(g->find("a.nested")->items[0].items[1].i, int64_t(8));
        QVERIFY(g->find("a.flag")->b);
        QCOMPARE(g->tensors[0].numel(), int64_t(6));
        // Every shorter prefix is refused as truncated, never read past.
        for (size_t n = 0; n < h.b.size(); ++n) {
            auto cut = parseGgufHeader(h.b.data(), n, "x.gguf", &truncated);
            QVERIFY(!cut.ok());
            QVERIFY2(truncated || n < 4, qPrintable(QString::number(n)));
        }
        h.b[h.b.size() - 8] = 16;  // tensor offset 16, not a multiple of 64
        auto off = parseGgufHeader(h.b.data(), h.b.size(), "x.gguf", &truncated);
        QVERIFY(!off.ok());
        QVERIFY2(off.error().message.find("\"t\" starts at offset 16, not a multiple of 64") != std::string::npos,
                 off.error().message.c_str());
    }

    void commandPrintsEntries()
    {
        QTemporaryDir dir;
        const QString path = write(dir, "imatrix.gguf",
                                   ggufImatrix({{"blk.0.ffn_down_exps.weight.in_sum2", {2, 3}, {8, 4, 0, 0, 9, 3}},
                                                {"blk.0.ffn_down_exps.weight.counts", {1, 3}, {4, 0, 3}}}));
        QProcess p;
        p.start(qs::test::binaryPath(), {"importance", path});
        QVERIFY(p.waitForFinished(60000));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QCOMPARE(p.exitCode(), 0);
        QVERIFY2(out.startsWith("format: gguf-imatrix\ndatasets: wiki.train.raw\nchunks: 100 of 512 tokens\nentries: 1\n"),
                 qPrintable(out));
        // Experts with data pooled: [2, 1, 3, 1] -> mean 1.75, max/mean 3/1.75, top 1 % = 3/7.
        QVERIFY2(out.contains(QRegularExpression("blk\\.0\\.ffn_down_exps\\.weight +2 +3 +3-4 +1\\.75 +1\\.714 +42\\.9%  "
                                                 "\\[1 without data\\]")),
                 qPrintable(out));
        QVERIFY(out.contains("note: 1 matrices (experts) saw no calibration data"));
    }
};

QTEST_GUILESS_MAIN(TestImportance)
#include "test_importance.moc"
