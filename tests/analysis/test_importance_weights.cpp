// The per-element importance weights of a tensor as analysed (issue #18,
// analysis/importance_run.h tensorWeights): the input axis per layout — nn.Linear
// [out, in], a per-expert tensor taking one matrix of a merged entry, a stacked
// [E, out, in] tensor, gpt-oss's fused [E, in, out] (input on axis -2), the transposed
// 2-D view — and every reason a tensor gets none.
#include "analysis/importance_run.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace qs;

namespace {

ImportanceEntry entry(int64_t nIn, int64_t nMat, std::vector<bool> noData = {})
{
    ImportanceEntry e;
    e.name = "blk.1.ffn_down_exps.weight";
    e.nIn = nIn;
    e.nMat = nMat;
    for (int64_t m = 0; m < nMat; ++m)
        for (int64_t i = 0; i < nIn; ++i) e.ex2.push_back(double(100 * m + i + 1));  // matrix m, channel i: 100m + i + 1
    e.counts.assign(size_t(nMat), 8.0);
    e.noData = noData.empty() ? std::vector<bool>(size_t(nMat), false) : noData;
    for (int64_t m = 0; m < nMat; ++m)
        if (e.noData[size_t(m)])
            for (int64_t i = 0; i < nIn; ++i) e.ex2[size_t(m * nIn + i)] = std::numeric_limits<double>::quiet_NaN();
    return e;
}

ImportanceBinding binding(const ImportanceEntry& e, int64_t matrix, int axis)
{
    ImportanceBinding b;
    b.tensor = "t";
    b.entry = &e;
    b.matrix = matrix;
    b.inputAxis = axis;
    b.nIn = e.nIn;
    return b;
}

// w(r, c) of the view through InputWeights::fill.
float at(const InputWeights& w, int64_t r, int64_t c)
{
    float v;
    w.fill(r, r + 1, c, c + 1, &v);
    return v;
}

} // namespace

class TestImportanceWeights : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void linearTakesTheLastAxis()
    {
        const ImportanceEntry e = entry(4, 1);
        const ImportanceBinding b = binding(e, -1, -1);
        std::string note;
        const auto w = tensorWeights(&b, {3, 4}, Layout::AsStored, &note);  // [out 3, in 4]
        QVERIFY2(w, note.c_str());
        for (int64_t r = 0; r < 3; ++r)
            for (int64_t c = 0; c < 4; ++c) QCOMPARE(at(*w, r, c), float(c + 1));
        // Transposed ("transpose" compression): the view is [in 4, out 3], input on the rows.
        const auto t = tensorWeights(&b, {3, 4}, Layout::Transposed, &note);
        QVERIFY2(t, note.c_str());
        QVERIFY(t->alongRows);
        for (int64_t r = 0; r < 4; ++r)
            for (int64_t c = 0; c < 3; ++c) QCOMPARE(at(*t, r, c), float(r + 1));
    }

    void perExpertTensorTakesItsMatrix()
    {
        // Qwen3-MoE / DeepSeek mlp.experts.2.down_proj.weight [out 5, in 4] <- matrix 2.
        const ImportanceEntry e = entry(4, 3);
        const ImportanceBinding b = binding(e, 2, -1);
        std::string note;
        const auto w = tensorWeights(&b, {5, 4}, Layout::AsStored, &note);
        QVERIFY2(w, note.c_str());
        for (int64_t r = 0; r < 5; ++r) QCOMPARE(at(*w, r, 3), float(200 + 3 + 1));
    }

    void stackedExpertsRowBands()
    {
        // [E 3, out 2, in 4]: view rows 0-1 expert 0, 2-3 expert 1, 4-5 expert 2.
        const ImportanceEntry e = entry(4, 3);
        const ImportanceBinding b = binding(e, -1, -1);
        std::string note;
        const auto w = tensorWeights(&b, {3, 2, 4}, Layout::AsStored, &note);
        QVERIFY2(w, note.c_str());
        QCOMPARE(at(*w, 0, 0), 1.0f);
        QCOMPARE(at(*w, 1, 3), 4.0f);
        QCOMPARE(at(*w, 2, 0), 101.0f);
        QCOMPARE(at(*w, 5, 2), 203.0f);
        // A stack of another size is refused with both numbers.
        const auto bad = tensorWeights(&b, {2, 2, 4}, Layout::AsStored, &note);
        QVERIFY(!bad);
        QVERIFY2(note.find("3 matrices") != std::string::npos, note.c_str());
        // N-D transposed has no single input axis.
        QVERIFY(!tensorWeights(&b, {3, 2, 4}, Layout::Transposed, &note));
        QVERIFY2(note.find("transposed view of an N-D tensor") != std::string::npos, note.c_str());
    }

    void gptOssFusedExpertsInputOnAxisMinusTwo()
    {
        // gpt-oss mlp.experts.down_proj [E 2, in 4, out 3], computed x @ W[e]: view rows are
        // (expert, input channel), so row r weighs v[r] across all of its 3 columns.
        const ImportanceEntry e = entry(4, 2);
        const ImportanceBinding b = binding(e, -1, -2);
        std::string note;
        const auto w = tensorWeights(&b, {2, 4, 3}, Layout::AsStored, &note);
        QVERIFY2(w, note.c_str());
        QVERIFY(w->alongRows);
        for (int64_t c = 0; c < 3; ++c) {
            QCOMPARE(at(*w, 0, c), 1.0f);
            QCOMPARE(at(*w, 3, c), 4.0f);
            QCOMPARE(at(*w, 4, c), 101.0f);
            QCOMPARE(at(*w, 7, c), 104.0f);
        }
        // The same tensor with the wrong axis length: named.
        QVERIFY(!tensorWeights(&b, {2, 5, 3}, Layout::AsStored, &note));
        QVERIFY2(note.find("has 5 channels") != std::string::npos && note.find("has 4") != std::string::npos, note.c_str());
    }

    void reasonsForNone()
    {
        const ImportanceEntry e = entry(4, 3, {false, true, true});
        std::string note;
        QVERIFY(!tensorWeights(nullptr, {3, 4}, Layout::AsStored, &note));
        QCOMPARE(note, std::string("no entry"));
        const ImportanceBinding b = binding(e, -1, -1);
        QVERIFY(!tensorWeights(&b, {4}, Layout::AsStored, &note));
        QCOMPARE(note, std::string("1-D"));
        QVERIFY(!tensorWeights(&b, {3, 2, 4}, Layout::AsStored, &note));
        QCOMPARE(note, std::string("experts 1, 2 of \"blk.1.ffn_down_exps.weight\" saw no calibration data (count 0)"));
        const ImportanceBinding one = binding(e, 0, -1);  // expert 0 has data
        QVERIFY(tensorWeights(&one, {2, 4}, Layout::AsStored, &note));
        ImportanceBinding broken = binding(e, 0, -1);
        broken.error = "width 4 does not match";
        QVERIFY(!tensorWeights(&broken, {2, 4}, Layout::AsStored, &note));
        QCOMPARE(note, broken.error);
    }
};

QTEST_GUILESS_MAIN(TestImportanceWeights)
#include "test_importance_weights.moc"
