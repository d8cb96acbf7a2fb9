// NVFP4 (FORMATS.md §7) and the NVFP4 proxy (§7.3): §7.4 worked examples, clamp variants,
// 2-D blocks, A = 0, NaN/Inf blocks, the proxy's 240-max helper; reference and fast.
#include <QTest>

#include <cmath>
#include <limits>

#include "format_test_util.h"
#include "formats/proxies.h"

using namespace qs;
using namespace qs::test;

namespace {

// Runs with an explicit absMax (the per-tensor pre-pass) through both paths; compares
// within `ulps` (the spec allows 1 ulp where g is not a power of two).
void expectNv(const std::vector<float>& in, const std::vector<float>& want, float absMax,
              const FormatOptions& opt = {}, int64_t rows = 1, int ulps = 0, const char* name = "nvfp4")
{
    const Format& f = fmt(name);
    const int64_t cols = int64_t(in.size()) / rows;
    for (Path p : {Path::Reference, Path::Fast}) {
        std::vector<float> out(in.size());
        QuantContext ctx;
        ctx.absMax = absMax;
        (p == Path::Reference ? f.reference : f.fast)(in.data(), out.data(), rows, cols, ctx, opt);
        for (size_t i = 0; i < want.size(); ++i) {
            const uint32_t a = floatToBits(want[i]), b = floatToBits(out[i]);
            const bool ok = ulps == 0 ? sameFloat(a, b)
                                      : ((a >> 31) == (b >> 31) && std::abs(int64_t(a) - int64_t(b)) <= ulps);
            QVERIFY2(ok, qPrintable(QStringLiteral("%1 %2 index %3: input %4 expected %5 got %6")
                                        .arg(QLatin1String(name), p == Path::Reference ? QStringLiteral("ref") : QStringLiteral("fast"))
                                        .arg(i).arg(double(in[i]), 0, 'g', 9)
                                        .arg(double(want[i]), 0, 'g', 9).arg(double(out[i]), 0, 'g', 9)));
        }
    }
}

std::vector<float> example74aInput()
{
    std::vector<float> b0 = {2.625f, 1.0f, -0.3f, 0.05f, 1.6f, -2.0f, 0.0f, 0.7f};
    b0.resize(16, 0.01f);
    std::vector<float> b1 = {0.3f, -0.2f, 0.05f, 0.004f, 0.15f, -0.26f, 0.11f, 0.01f};
    b1.resize(16, 0.02f);
    b0.insert(b0.end(), b1.begin(), b1.end());
    return b0;
}

} // namespace

class TestNvfp4 : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void example74a();
    void example74aProxy();
    void example74b();
    void example74cProxyUnderflow();
    void proxyHelperQuirks();
    void clampVariants();
    void twoDimensionalBlocks();
    void zeroTensorAndSpecials();
    void absMaxFromDriver();
};

void TestNvfp4::example74a()
{
    std::vector<float> want = {2.625f, 0.875f, -0.21875f, 0, 1.75f, -1.75f, 0, 0.65625f};
    want.resize(16, 0.0f);
    std::vector<float> w1 = {0.3046875f, -0.203125f, 0.05078125f, 0, 0.15234375f, -0.3046875f, 0.1015625f, 0};
    w1.resize(16, 0.025390625f);
    want.insert(want.end(), w1.begin(), w1.end());
    expectNv(example74aInput(), want, 2.625f);
}

void TestNvfp4::example74aProxy()
{
    std::vector<float> want = {2.625f, 1.03125f, -0.3046875f, 0.046875f, 1.6875f, -2.0625f, 0, 0.703125f};
    want.resize(16, 0.01171875f);
    std::vector<float> w1 = {0.3046875f, -0.2109375f, 0.046875f, 0, 0.15234375f, -0.2578125f, 0.10546875f, 0.01171875f};
    w1.resize(16, 0.0234375f);
    want.insert(want.end(), w1.begin(), w1.end());
    expectNv(example74aInput(), want, 2.625f, {}, 1, 0, "nvfp4_proxy");
}

void TestNvfp4::example74b()
{
    std::vector<float> in = {10, 1.0f, -2.5f, 0.3f, 7.0f, -9.0f, 0, 4.4f};
    in.resize(16, 0.0f);
    in.push_back(0.3f);
    in.resize(32, 0.0f);
    std::vector<float> want = {10, 0.8333333f, -2.5f, 0, 6.6666665f, -10, 0, 5.0f};
    want.resize(16, 0.0f);
    want.push_back(0.2901786f);
    expectNv(in, want, 10.0f, {}, 1, 1);
}

void TestNvfp4::example74cProxyUnderflow()
{
    const std::vector<float> in = {0.0058f, 0.003f, 0.001f, 0.006f, 0.02f, -0.006f};
    expectNv(in, {0, 0, 0, 0.005859375f, 0.0234375f, -0.005859375f}, 0.02f, {}, 1, 0, "nvfp4_proxy");
    // §7.3: the helper's range bugs.
    expectNv({1500.0f, 2000.0f}, {768.0f, 1440.0f}, 2000.0f, {}, 1, 0, "nvfp4_proxy");
}

// The reference's 240-max E4M3 helper (golden fp8_e4m3_scalar semantics).
void TestNvfp4::proxyHelperQuirks()
{
    QCOMPARE(proxyE4M3Scalar(1000.0f), 240.0f);
    QCOMPARE(proxyE4M3Scalar(250.0f), 128.0f);   // [248, 256) -> 128
    QCOMPARE(proxyE4M3Scalar(247.0f), 240.0f);
    QCOMPARE(proxyE4M3Scalar(-250.0f), -128.0f);
    QCOMPARE(proxyE4M3Scalar(1.96875f), 2.0f);   // carry-out bumps one element
    QCOMPARE(proxyE4M3Scalar(0.001f), 0x1p-9f);  // subnormal step 2^-9
    QCOMPARE(proxyE4M3Scalar(0x1p-10f), 0.0f);   // half-even tie
    QCOMPARE(proxyE4M3Scalar(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
    QVERIFY(std::isnan(proxyE4M3Scalar(std::numeric_limits<float>::quiet_NaN())));
    QCOMPARE(floatToBits(proxyE4M3Scalar(-0.0f)), 0u);
    // fp4_e2m1 argmin quirks (golden README).
    QCOMPARE(proxyFp4E2M1(0.25f), 0.0f);
    QCOMPARE(proxyFp4E2M1(2.5f), 2.0f);
    QCOMPARE(proxyFp4E2M1(-5.0f), -4.0f);
    QCOMPARE(proxyFp4E2M1(1e8f), 6.0f);
    QCOMPARE(proxyFp4E2M1(1.5e8f), 0.0f);
    QCOMPARE(proxyFp4E2M1(3e38f), 0.0f);
    QCOMPARE(floatToBits(proxyFp4E2M1(-std::numeric_limits<float>::infinity())), 0x80000000u);
    QCOMPARE(proxyMxfp4(3e38f), std::numeric_limits<float>::infinity());
    QCOMPARE(proxyNvfp4(3e38f), 0.0f);
}

// A block much smaller than the tensor maximum: s_b = 1.67e-4 (g = 1).
void TestNvfp4::clampVariants()
{
    std::vector<float> in(32, 0.0f);
    in[0] = 2688.0f;  // block 0: A, g = 1
    in[16] = 0.001f;  // block 1: s_b = 0.001 / 6 = 1.67e-4
    FormatOptions none, modelopt, torchao;
    modelopt.nvClamp = NvScaleClamp::ModelOpt;
    torchao.nvClamp = NvScaleClamp::TorchAo;
    std::vector<float> want(32, 0.0f);
    want[0] = 2688.0f;
    expectNv(in, want, 2688.0f, none);      // σ rounds to 0: the block is zero
    expectNv(in, want, 2688.0f, torchao);   // σ = 2^-6: 0.064 -> 0
    want[16] = 0.0009765625f;               // σ = 2^-9: 0.512 -> 0.5 -> 2^-10
    expectNv(in, want, 2688.0f, modelopt);
}

// nv2dBlocks: one scale per 16x16 block; rows share it.
void TestNvfp4::twoDimensionalBlocks()
{
    std::vector<float> in(32 * 16, 0.0f);
    in[0] = 2688.0f;       // row 0
    in[1 * 16] = 100.0f;   // row 1, same 16x16 block
    in[16 * 16] = 100.0f;  // row 16: next band
    std::vector<float> want1d(in.size(), 0.0f), want2d(in.size(), 0.0f);
    want1d[0] = want2d[0] = 2688.0f;
    want1d[16] = 96.0f;    // own block: σ = 16 (s = 16.67), 6.25 -> 6
    want1d[256] = 96.0f;
    want2d[16] = 0.0f;     // shares σ = 448: 100/448 = 0.22 -> 0
    want2d[256] = 96.0f;   // its own band
    expectNv(in, want1d, 2688.0f, {}, 32);
    FormatOptions o2d;
    o2d.nv2dBlocks = true;
    expectNv(in, want2d, 2688.0f, o2d, 32);
    // A band of fewer than 16 rows (rows = 20) is still one block per 16 columns.
    std::vector<float> in20(20 * 16, 0.0f), want20(20 * 16, 0.0f);
    in20[16 * 16] = 2688.0f;
    in20[19 * 16] = 100.0f;
    want20[16 * 16] = 2688.0f;
    expectNv(in20, want20, 2688.0f, o2d, 20);
}

void TestNvfp4::zeroTensorAndSpecials()
{
    std::vector<float> zeros(32, 0.0f);
    zeros[3] = -0.0f;
    expectNv(zeros, zeros, 0.0f);
    std::vector<float> in(32, 1.0f), want(32, 1.0f);
    in[2] = std::numeric_limits<float>::infinity();
    for (int i = 0; i < 16; ++i)
        want[size_t(i)] = std::numeric_limits<float>::quiet_NaN();
    // A = 1 over finite elements: block 1 is exact (σ = 448, t = 1/6, 1 -> 6).
    expectNv(in, want, 1.0f);
}

// quantizeDequantize computes A itself over the finite elements.
void TestNvfp4::absMaxFromDriver()
{
    auto in = example74aInput();
    in.push_back(std::numeric_limits<float>::quiet_NaN());  // its own (partial) block
    in.resize(48, 0.0f);
    std::vector<float> out(in.size());
    quantizeDequantize(fmt("nvfp4"), in.data(), out.data(), 1, 48);
    QCOMPARE(out[1], 0.875f);  // needs A = 2.625 (g = 2^-10)
    QCOMPARE(out[16], 0.3046875f);
    QVERIFY(std::isnan(out[32]));
    QVERIFY(std::isnan(out[40]));
}

QTEST_GUILESS_MAIN(TestNvfp4)
#include "test_nvfp4.moc"
