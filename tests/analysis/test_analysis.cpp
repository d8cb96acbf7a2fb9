// The streaming analysis engine: results independent of the thread count, equal to a
// straightforward whole-tensor computation, correct transposed views, NaN/Inf counted,
// and very wide rows handled in segments.
#include "analysis/analysis.h"
#include "formats/format.h"
#include "io/model.h"
#include "metrics/metrics.h"

#include <QtTest>

#include <omp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace qs;

namespace {

// An in-memory TensorReader over fp32 data (decodes by copying rows).
class ArrayReader final : public TensorReader {
public:
    ArrayReader(std::vector<float> data, std::vector<int64_t> shape)
        : TensorReader(makeInfo(shape)), m_data(std::move(data)) {}
    void readRows(int64_t r0, int64_t r1, float* out) const override
    {
        std::memcpy(out, m_data.data() + r0 * cols(), size_t((r1 - r0) * cols()) * sizeof(float));
    }

private:
    static TensorInfo makeInfo(const std::vector<int64_t>& shape)
    {
        TensorInfo i;
        i.name = "t";
        i.shape = shape;
        i.dtypeName = "F32";
        return i;
    }
    std::vector<float> m_data;
};

std::vector<float> weights(int64_t n, unsigned seed)
{
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.02f);
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = nd(rng);
    return v;
}

std::vector<FormatChoice> choices(std::initializer_list<const char*> names)
{
    std::vector<FormatChoice> c;
    for (const char* n : names) c.push_back({findFormat(n), FormatOptions{}});
    return c;
}

} // namespace

class TestAnalysis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sameBitsForOneAndTwoThreads()
    {
        const int64_t rows = 1000, cols = 700;  // not a multiple of any chunk or block
        ArrayReader reader(weights(rows * cols, 1), {rows, cols});
        const auto fmts = choices({"bf16", "bfp8", "bfp4", "bfp2", "mxfp4", "nvfp4", "fp8_e4m3"});
        omp_set_num_threads(1);
        auto a = analyzeTensor(reader, fmts, Layout::AsStored);
        omp_set_num_threads(2);
        auto b = analyzeTensor(reader, fmts, Layout::AsStored);
        QVERIFY(a.ok() && b.ok());
        for (size_t i = 0; i < fmts.size(); ++i) {
            QCOMPARE(a->results[i].metrics.pcc, b->results[i].metrics.pcc);
            QCOMPARE(a->results[i].metrics.mae, b->results[i].metrics.mae);
            QCOMPARE(a->results[i].metrics.atol, b->results[i].metrics.atol);
            QCOMPARE(a->results[i].metrics.rmse, b->results[i].metrics.rmse);
        }
        QCOMPARE(a->stats.mean(), b->stats.mean());
    }

    void matchesWholeTensorComputation()
    {
        const int64_t rows = 300, cols = 130;
        std::vector<float> x = weights(rows * cols, 2);
        ArrayReader reader(x, {rows, cols});
        const auto fmts = choices({"bfp4", "nvfp4", "mxfp4"});
        auto r = analyzeTensor(reader, fmts, Layout::AsStored);
        QVERIFY(r.ok());
        for (size_t i = 0; i < fmts.size(); ++i) {
            std::vector<float> y(x.size());
            quantizeDequantize(*fmts[i].format, x.data(), y.data(), rows, cols);
            const Metrics m = computeMetrics(x.data(), y.data(), int64_t(x.size()));
            QVERIFY(std::fabs(r->results[i].metrics.pcc - m.pcc) < 1e-12);
            QVERIFY(std::fabs(r->results[i].metrics.mae - m.mae) < 1e-15);
            QCOMPARE(r->results[i].metrics.atol, m.atol);
            QCOMPARE(r->results[i].bytes, payloadBytes(*fmts[i].format, rows, cols));
        }
        QCOMPARE(r->stats.count, rows * cols);
    }

    void transposedViewReversesAxes()
    {
        // 2-D: element (i, j) moves to (j, i); 3-D: (a, b, c) -> (c, b, a).
        std::vector<float> x(2 * 3 * 4);
        for (size_t i = 0; i < x.size(); ++i) x[i] = float(i);
        ArrayReader r3(x, {2, 3, 4});
        std::vector<int64_t> shape;
        const std::vector<float> t = readTransposed(r3, &shape);
        QCOMPARE(shape, (std::vector<int64_t>{4, 3, 2}));
        for (int a = 0; a < 2; ++a)
            for (int b = 0; b < 3; ++b)
                for (int c = 0; c < 4; ++c) QCOMPARE(t[size_t(c * 6 + b * 2 + a)], x[size_t(a * 12 + b * 4 + c)]);
        ArrayReader r2(x, {6, 4});
        const std::vector<float> t2 = readTransposed(r2, &shape);
        QCOMPARE(shape, (std::vector<int64_t>{4, 6}));
        QCOMPARE(t2[size_t(1 * 6 + 5)], x[size_t(5 * 4 + 1)]);
    }

    void transposeGroupsAlongTheOtherAxis()
    {
        // A matrix whose rows differ by orders of magnitude: bfp groups along rows share
        // an exponent within a row (exact), along columns they do not.
        const int64_t rows = 32, cols = 32;
        std::vector<float> x(static_cast<size_t>(rows * cols));
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) x[size_t(r * cols + c)] = std::ldexp(1.0f + float(c % 4) * 0.25f, int(r % 8) * 3);
        ArrayReader reader(x, {rows, cols});
        const auto fmts = choices({"bfp4"});
        auto asIs = analyzeTensor(reader, fmts, Layout::AsStored);
        auto tr = analyzeTensor(reader, fmts, Layout::Transposed);
        QVERIFY(asIs.ok() && tr.ok());
        QCOMPARE(asIs->results[0].metrics.atol, 0.0);
        QVERIFY(tr->results[0].metrics.atol > 0.0);
    }

    void nonFiniteInputsAreCounted()
    {
        std::vector<float> x = weights(64 * 64, 3);
        x[5] = std::numeric_limits<float>::quiet_NaN();
        x[900] = std::numeric_limits<float>::infinity();
        ArrayReader reader(x, {64, 64});
        auto r = analyzeTensor(reader, choices({"bf16", "bfp8"}), Layout::AsStored);
        QVERIFY(r.ok());
        QCOMPARE(r->stats.nan, int64_t(1));
        QCOMPARE(r->stats.posInf, int64_t(1));
        QCOMPARE(r->results[0].metrics.nonFiniteX, int64_t(2));
        QVERIFY(std::isfinite(r->results[1].metrics.pcc));
    }

    void veryWideRowsAreSegmented()
    {
        // A 1-D tensor wider than one chunk: segments of whole blocks give the same
        // result as quantizing the row in one call.
        const int64_t n = (1 << 20) + 4099;
        std::vector<float> x = weights(n, 4);
        ArrayReader reader(x, {n});
        const auto fmts = choices({"bfp8", "mxfp4"});
        auto r = analyzeTensor(reader, fmts, Layout::AsStored);
        QVERIFY(r.ok());
        for (size_t i = 0; i < fmts.size(); ++i) {
            std::vector<float> y(x.size());
            fmts[i].format->reference(x.data(), y.data(), 1, n, QuantContext{}, FormatOptions{});
            const Metrics m = computeMetrics(x.data(), y.data(), n);
            QCOMPARE(r->results[i].metrics.atol, m.atol);
            QVERIFY(std::fabs(r->results[i].metrics.mae - m.mae) < 1e-15);
        }
    }

    // #16.9: a band of aligned rows wider than the chunk bound is cut into column
    // segments of whole blocks (2-D blocks included), from memory and from a reader,
    // with the whole-tensor result.
    void wideBandsAreSegmented()
    {
        FormatOptions opt;
        opt.fp8Scaling = Fp8Scaling::Block128;
        opt.nv2dBlocks = true;
        std::vector<FormatChoice> fmts = {{findFormat("fp8_e4m3"), opt}, {findFormat("nvfp4"), opt},
                                          {findFormat("bfp4"), opt}};
        for (const auto& shape : std::vector<std::vector<int64_t>>{{16, 70001}, {130, 9000}}) {
            const int64_t n = shape[0] * shape[1];
            std::vector<float> x = weights(n, 9);
            ArrayReader reader(x, shape);  // readBlock through readRows, row by row
            auto viaReader = analyzeTensor(reader, fmts, Layout::AsStored);
            auto inMemory = analyzeArray(x.data(), shape[0], shape[1], fmts);
            QVERIFY(viaReader.ok() && inMemory.ok());
            QuantContext ctx;
            ctx.absMax = viaReader->stats.absMax;
            for (size_t i = 0; i < fmts.size(); ++i) {
                std::vector<float> y(x.size());
                fmts[i].format->reference(x.data(), y.data(), shape[0], shape[1], ctx, opt);
                const Metrics m = computeMetrics(x.data(), y.data(), n);
                for (const auto* r : {&*viaReader, &*inMemory}) {
                    QCOMPARE(r->results[i].metrics.atol, m.atol);
                    QVERIFY(std::fabs(r->results[i].metrics.mae - m.mae) <= 1e-12 * m.mae);
                    QCOMPARE(r->results[i].metrics.count, n);
                }
            }
        }
    }

    void cancellationStops()
    {
        ArrayReader reader(weights(512 * 512, 5), {512, 512});
        CancelFlag flag;
        flag.cancel();
        auto r = analyzeTensor(reader, choices({"bfp8"}), Layout::AsStored, &flag);
        QVERIFY(!r.ok());
        QCOMPARE(QString::fromStdString(r.error().message), QString("cancelled"));
    }
};

QTEST_GUILESS_MAIN(TestAnalysis)
#include "test_analysis.moc"
