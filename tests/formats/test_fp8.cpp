// Plain FP8 formats (FORMATS.md §8): the §5 table through the registry (cast, saturating
// and not), per-tensor and 128x128 block scaling; reference and fast kernel each.
#include <QTest>

#include <cmath>
#include <limits>

#include "format_test_util.h"
#include "formats/minifloat.h"

using namespace qs;
using namespace qs::test;

namespace {

void expectFp8(const char* name, const std::vector<float>& in, const std::vector<float>& want, const FormatOptions& opt,
               int64_t rows = 1)
{
    for (Path p : {Path::Reference, Path::Fast}) {
        const auto got = runKernel(fmt(name), p, in, rows, int64_t(in.size()) / rows, opt);
        const QString msg = compareBits(QStringLiteral("%1 %2").arg(QLatin1String(name),
                                            p == Path::Reference ? QStringLiteral("ref") : QStringLiteral("fast")),
                                        want.data(), got.data(), qint64(want.size()), in.data());
        QVERIFY2(msg.isEmpty(), qPrintable(msg));
    }
}

const float kNan = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

} // namespace

class TestFp8 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void castTable();
    void specials();
    void perTensor();
    void block128();
    void tiesAway();
};

void TestFp8::castTable()
{
    const std::vector<float> in = {0.3f, -1.7f, 464.0f, 470.0f, 61440.0f, 0.001f, 0x1p-10f, 0.0146f, 1e-5f};
    FormatOptions sat, nonsat;
    nonsat.fp8Saturate = false;
    expectFp8("fp8_e4m3", in, {0.3125f, -1.75f, 448, 448, 448, 0x1p-9f, 0, 0.013671875f, 0}, sat);
    expectFp8("fp8_e4m3", in, {0.3125f, -1.75f, 448, kNan, kNan, 0x1p-9f, 0, 0.013671875f, 0}, nonsat);
    expectFp8("fp8_e5m2", in, {0.3125f, -1.75f, 448, 448, 57344, 0x1p-10f, 0x1p-10f, 0.013671875f, 0x1p-16f}, sat);
    expectFp8("fp8_e5m2", in, {0.3125f, -1.75f, 448, 448, kInf, 0x1p-10f, 0x1p-10f, 0.013671875f, 0x1p-16f}, nonsat);
}

void TestFp8::specials()
{
    FormatOptions nonsat;
    nonsat.fp8Saturate = false;
    const auto in = fromBits({0x7F800000, 0xFF800000, 0xFFC00001, 0x80000000, 0x00000001});
    expectFp8("fp8_e4m3", in, fromBits({0x43E00000, 0xC3E00000, 0xFFC00000, 0x80000000, 0x00000000}), {});
    expectFp8("fp8_e4m3", in, fromBits({0x7FC00000, 0xFFC00000, 0xFFC00000, 0x80000000, 0x00000000}), nonsat);
    expectFp8("fp8_e5m2", in, fromBits({0x47600000, 0xC7600000, 0xFFC00000, 0x80000000, 0x00000000}), {});
    expectFp8("fp8_e5m2", in, fromBits({0x7F800000, 0xFF800000, 0xFFC00000, 0x80000000, 0x00000000}), nonsat);
}

// s = fp32(A / 448): A = 1344 -> s = 3; 1 -> 1/3 -> 0.34375 (step 2^-5) -> 1.03125.
void TestFp8::perTensor()
{
    FormatOptions o;
    o.fp8Scaling = Fp8Scaling::PerTensor;
    expectFp8("fp8_e4m3", {1344.0f, 1.0f, -0.0f, kNan}, {1344.0f, 0.34375f * 3.0f, -0.0f, kNan}, o);
    // E5M2: A = 57344 * 2 -> s = 2.
    expectFp8("fp8_e5m2", {114688.0f, 3.0f}, {114688.0f, 3.0f}, o);
    // A = 0: zeros keep their sign.
    expectFp8("fp8_e4m3", {0.0f, -0.0f}, {0.0f, -0.0f}, o);
    // Without scaling 1344 saturates.
    expectFp8("fp8_e4m3", {1344.0f, 1.0f}, {448.0f, 1.0f}, {});
}

// 128x128 tiles of a 200 x 300 view: each tile has its own scale.
void TestFp8::block128()
{
    const int64_t rows = 200, cols = 300;
    std::vector<float> in(size_t(rows * cols), 0.5f);
    in[0] = 1344.0f;                     // tile (0,0): s = 3
    in[size_t(130 * cols + 130)] = 4.0f; // tile (1,1): amax 4 -> s = 4/448
    in[size_t(150 * cols + 290)] = kInf; // tile (1,2): Inf ignored by amax (0.5 -> s = 0.5/448)
    FormatOptions o;
    o.fp8Scaling = Fp8Scaling::Block128;
    std::vector<float> want(in.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
            const size_t i = size_t(r * cols + c);
            const float amax = (r < 128 && c < 128) ? 1344.0f : (r >= 128 && c >= 128 && c < 256) ? 4.0f : 0.5f;
            const float s = amax / 448.0f;
            want[i] = roundE4M3(in[i] / s) * s;
        }
    QCOMPARE(want[1], 0.515625f);  // 0.5/3 = 0.1667 -> 0.171875 (step 2^-6) -> * 3
    QCOMPARE(want[size_t(150 * cols + 290)], 448.0f * (0.5f / 448.0f));  // saturating Inf
    QCOMPARE(want[size_t(10 * cols + 200)], 0.5f);  // tile (0,1): amax 0.5 -> exact
    expectFp8("fp8_e4m3", in, want, o, rows);
    // All-zero tile -> zeros.
    std::vector<float> z(size_t(130 * 10), 0.0f);
    z[3] = -0.0f;
    expectFp8("fp8_e4m3", z, z, o, 130);
}

// #14: --elem-rounding away is honoured by the FP8 formats (it was silently ignored):
// exact ties go to the larger magnitude, with and without per-tensor scaling; the
// subnormal tie 2^-10 of E4M3 goes to 2^-9; saturation is unchanged.
void TestFp8::tiesAway()
{
    FormatOptions away;
    away.elemRounding = ElemRounding::Away;
    expectFp8("fp8_e4m3", {1.0625f, -1.0625f, 0x1p-10f, 3.0f * 0x1p-10f, 464.0f, 1.0f},
              {1.0f, -1.0f, 0.0f, 0x1p-8f, 448.0f, 1.0f}, {});
    expectFp8("fp8_e4m3", {1.0625f, -1.0625f, 0x1p-10f, 3.0f * 0x1p-10f, 464.0f, 1.0f},
              {1.125f, -1.125f, 0x1p-9f, 0x1p-8f, 448.0f, 1.0f}, away);
    expectFp8("fp8_e5m2", {9216.0f, -5.0f * 0x1p-17f, 1.0f}, {10240.0f, -3.0f * 0x1p-16f, 1.0f}, away);
    expectFp8("fp8_e5m2", {9216.0f, -5.0f * 0x1p-17f, 1.0f}, {8192.0f, -2.0f * 0x1p-16f, 1.0f}, {});
    FormatOptions scaled = away;
    scaled.fp8Scaling = Fp8Scaling::PerTensor;  // s = 448 / 448 = 1: the same ties
    expectFp8("fp8_e4m3", {448.0f, 1.0625f}, {448.0f, 1.125f}, scaled);
}

QTEST_GUILESS_MAIN(TestFp8)
#include "test_fp8.moc"
