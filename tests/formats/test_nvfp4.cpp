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
    void conventionsDisagree();
    void conventionZeros();
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

// A block much smaller than the tensor maximum: s_b = 1.67e-4 (g = 1). The definition
// (no clamp) rounds σ to 0 and zeroes the block; ModelOpt >= 0.45 clamps s_b to 2^-9,
// ModelOpt 0.35-0.44 stores σ = 0 (the block divides by 0 and decodes to ±0), torchao
// clamps to 2^-6 (0.001 * 64 = 0.064 -> code 0).
void TestNvfp4::clampVariants()
{
    std::vector<float> in(32, 0.0f);
    in[0] = 2688.0f;  // block 0: A, g = 1
    in[16] = 0.001f;  // block 1: s_b = 0.001 / 6 = 1.67e-4
    FormatOptions spec, modelopt, legacy, torchao;
    modelopt.nvConvention = NvConvention::ModelOpt;
    legacy.nvConvention = NvConvention::ModelOptLegacy;
    torchao.nvConvention = NvConvention::TorchAo;
    std::vector<float> want(32, 0.0f);
    want[0] = 2688.0f;
    expectNv(in, want, 2688.0f, spec);
    expectNv(in, want, 2688.0f, torchao);
    expectNv(in, want, 2688.0f, legacy);
    want[16] = 0.0009765625f;  // σ = 2^-9: 0.001 / 2^-9 = 0.512 -> 0.5 -> 2^-10
    expectNv(in, want, 2688.0f, modelopt);
}

// #14: one 3-block tensor on which the five conventions all disagree somewhere
// (docs/CONVENTIONS.md, "NVFP4 example", derives every number): block 0 holds A and
// -0.0 / a tiny negative (signs of zero), block 1 exact ties of the definition's t = σ·g
// (0.75 t, -1.75 t, 3.5 t, 1.25 t, -5 t, 2.5 t, 0.25 t: the reciprocal and the tensor
// scale of each stack move them off the tie), block 2 a block 10^-6 below A (ModelOpt's
// 2^-9 clamp against its legacy σ = 0). Expected bits from each stack's arithmetic.
void TestNvfp4::conventionsDisagree()
{
    const uint32_t kIn[48] = {
            0x3FA56EF8u, 0x80000000u, 0xB90785EAu, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x3E924182u, 0x3D0DCCD4u,
            0xBDA56EF8u, 0x3E256EF8u, 0x3D6C5562u, 0xBE6C5562u, 0x3DEC5562u, 0x3C3D111Bu,
            0x3E817685u, 0x3D5E86C5u, 0x3E3AFA7Eu, 0xBE7ACD56u, 0xBE14E448u, 0x3E074D22u,
            0xBDBAAD83u, 0xBE1F70F6u, 0x35AD7836u, 0xB52D7836u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
    };
    const uint32_t kWant[5][48] = {
        {  // NvidiaSpec
            0x3FA56EF8u, 0x80000000u, 0x80000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x3E8DCCD4u, 0x3D3D111Bu,
            0xBDBD111Bu, 0x3E3D111Bu, 0x3D3D111Bu, 0xBE3D111Bu, 0x3DBD111Bu, 0x00000000u,
            0x3E8DCCD4u, 0x3D3D111Bu, 0x3E3D111Bu, 0xBE8DCCD4u, 0xBE0DCCD4u, 0x3E0DCCD4u,
            0xBDBD111Bu, 0xBE0DCCD4u, 0x00000000u, 0x80000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        },
        {  // Te
            0x3FA56EF8u, 0x00000000u, 0x80000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x3E8DCCD5u, 0x3D3D111Cu,
            0xBDBD111Cu, 0x3E3D111Cu, 0x3D8DCCD5u, 0xBE8DCCD5u, 0x3E0DCCD5u, 0x3CBD111Cu,
            0x3E8DCCD5u, 0x3D3D111Cu, 0x3E3D111Cu, 0xBE8DCCD5u, 0xBE0DCCD5u, 0x3E0DCCD5u,
            0xBDBD111Cu, 0xBE0DCCD5u, 0x00000000u, 0x80000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        },
        {  // TorchAo
            0x3FA56EF8u, 0x80000000u, 0x80000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x3E8DCCD5u, 0x3CBD111Cu,
            0xBDBD111Cu, 0x3E3D111Cu, 0x3D3D111Cu, 0xBE3D111Cu, 0x3DBD111Cu, 0x00000000u,
            0x3E8DCCD5u, 0x3D3D111Cu, 0x3E3D111Cu, 0xBE8DCCD5u, 0xBE0DCCD5u, 0x3E0DCCD5u,
            0xBDBD111Cu, 0xBE0DCCD5u, 0x00000000u, 0x80000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        },
        {  // ModelOpt
            0x3FA56EF8u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x3E8DCCD5u, 0x3CBD111Cu,
            0xBD8DCCD5u, 0x3E0DCCD5u, 0x3D3D111Cu, 0xBE3D111Cu, 0x3DBD111Cu, 0x00000000u,
            0x3E8DCCD5u, 0x3D3D111Cu, 0x3E3D111Cu, 0xBE8DCCD5u, 0xBE0DCCD5u, 0x3E0DCCD5u,
            0xBDBD111Cu, 0xBE0DCCD5u, 0x35BD111Cu, 0xB4FC16D0u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        },
        {  // ModelOptLegacy
            0x3FA56EF8u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x3E8DCCD5u, 0x3CBD111Cu,
            0xBD8DCCD5u, 0x3E0DCCD5u, 0x3D3D111Cu, 0xBE3D111Cu, 0x3DBD111Cu, 0x00000000u,
            0x3E8DCCD5u, 0x3D3D111Cu, 0x3E3D111Cu, 0xBE8DCCD5u, 0xBE0DCCD5u, 0x3E0DCCD5u,
            0xBDBD111Cu, 0xBE0DCCD5u, 0x00000000u, 0x80000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
            0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u,
        },
    };
    const NvConvention conventions[5] = {NvConvention::NvidiaSpec, NvConvention::Te, NvConvention::TorchAo,
                                         NvConvention::ModelOpt, NvConvention::ModelOptLegacy};
    std::vector<float> in(48);
    for (int i = 0; i < 48; ++i) in[size_t(i)] = bitsToFloat(kIn[i]);
    for (int c = 0; c < 5; ++c) {
        FormatOptions o;
        o.nvConvention = conventions[c];
        std::vector<float> want(48);
        for (int i = 0; i < 48; ++i) want[size_t(i)] = bitsToFloat(kWant[c][i]);
        expectNv(in, want, in[0], o);
        if (QTest::currentTestFailed()) qWarning("convention %d", c);
    }
    // Every pair of conventions differs in at least one element.
    for (int a = 0; a < 5; ++a)
        for (int b = a + 1; b < 5; ++b)
            QVERIFY(!std::equal(std::begin(kWant[a]), std::end(kWant[a]), std::begin(kWant[b])));
}

// #14: the signs of zero and the all-zero tensor, per convention. x = [-0.0, -tiny, +0]
// in a tensor of A = 1: the definition and torchao keep every sign, TE turns -0.0 into +0
// (its encoder tests v >= 0) but keeps -tiny as -0 (code 8), ModelOpt decodes code 8 as +0.
// An all-zero tensor: zeros (definition, signs kept; TE all +0), NaN in torchao and both
// ModelOpts (0/0 in the block scale).
void TestNvfp4::conventionZeros()
{
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> in(16, 0.0f);
    in[0] = 1.0f;
    in[1] = -0.0f;
    in[2] = -1e-4f;
    auto signs = [&](NvConvention c, float z1, float z2) {
        FormatOptions o;
        o.nvConvention = c;
        std::vector<float> want(16, 0.0f);
        want[0] = 1.0f;
        want[1] = z1;
        want[2] = z2;
        expectNv(in, want, 1.0f, o);
    };
    signs(NvConvention::NvidiaSpec, -0.0f, -0.0f);
    signs(NvConvention::Te, 0.0f, -0.0f);
    signs(NvConvention::TorchAo, -0.0f, -0.0f);
    signs(NvConvention::ModelOpt, 0.0f, 0.0f);
    signs(NvConvention::ModelOptLegacy, 0.0f, 0.0f);
    std::vector<float> zeros(16, 0.0f);
    zeros[3] = -0.0f;
    auto allZero = [&](NvConvention c, const std::vector<float>& want) {
        FormatOptions o;
        o.nvConvention = c;
        expectNv(zeros, want, 0.0f, o);
    };
    allZero(NvConvention::NvidiaSpec, zeros);
    allZero(NvConvention::Te, std::vector<float>(16, 0.0f));
    for (NvConvention c : {NvConvention::TorchAo, NvConvention::ModelOpt, NvConvention::ModelOptLegacy})
        allZero(c, std::vector<float>(16, nan));
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
