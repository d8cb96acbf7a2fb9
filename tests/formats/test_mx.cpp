// OCP MX formats (FORMATS.md §6) and the MXFP4 proxy (§6.4): the §6.5 worked examples
// for every scale rule and rounding variant, NaN/Inf blocks, zero blocks, tails and
// block independence; reference and fast kernel each.
#include <QTest>

#include <cmath>
#include <limits>

#include "format_test_util.h"
#include "formats/minifloat.h"

using namespace qs;
using namespace qs::test;

namespace {

FormatOptions rule(MxScaleRule r, ElemRounding e = ElemRounding::Rne)
{
    FormatOptions o;
    o.mxScale = r;
    o.elemRounding = e;
    return o;
}

void expectPrefix(const char* name, const std::vector<float>& in, const std::vector<float>& want,
                  const FormatOptions& opt, int64_t rows = 1)
{
    for (Path p : {Path::Reference, Path::Fast}) {
        const auto got = runKernel(fmt(name), p, in, rows, int64_t(in.size()) / rows, opt);
        const QString msg = compareBits(QStringLiteral("%1 %2").arg(QLatin1String(name),
                                            p == Path::Reference ? QStringLiteral("ref") : QStringLiteral("fast")),
                                        want.data(), got.data(), qint64(want.size()), in.data());
        QVERIFY2(msg.isEmpty(), qPrintable(msg));
    }
}

std::vector<float> block65a()
{
    std::vector<float> b = {0.1f, -0.25f, 1.3f, 3.7f, 0.02f, -0.6f, 2.2f, 0.0f};
    b.resize(32, 0.05f);
    return b;
}

} // namespace

class TestMx : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void example65a();
    void example65aProxy();
    void example65b();
    void example65c();
    void example65d();
    void nanInfBlock();
    void zeroBlockAndSigns();
    void tailAndIndependence();
    void tinyAndHugeScales();
    void microxcalingConvention();
    void torchaoConvention();
};

void TestMx::example65a()
{
    const auto in = block65a();
    std::vector<float> floor = {0, -0.25f, 1.5f, 3.0f, 0, -0.5f, 2.0f, 0};
    floor.resize(32, 0.0f);
    expectPrefix("mxfp4", in, floor, rule(MxScaleRule::Floor));
    std::vector<float> rceil = {0, -0.0f, 1.5f, 4.0f, 0, -0.5f, 2.0f, 0};
    rceil.resize(32, 0.0f);
    for (MxScaleRule r : {MxScaleRule::Rceil, MxScaleRule::Even, MxScaleRule::Ceil})
        expectPrefix("mxfp4", in, rceil, rule(r));
}

void TestMx::example65aProxy()
{
    std::vector<float> want = {0.09375f, -0.25f, 1.5f, 4.0f, 0.0234375f, -0.5f, 2.0f, 0};
    want.resize(32, 0.046875f);
    expectPrefix("mxfp4_proxy", block65a(), want, {});
    // Proxy ties go to the smaller magnitude: 3.5 * 2^k -> 3 * 2^k, 5 -> 4 ... per element.
    expectPrefix("mxfp4_proxy", {3.5f, 5.0f, -7.0f, 0.0f, -0.0f}, {3.0f, 4.0f, -6.0f, 0.0f, 0.0f}, {});
}

void TestMx::example65b()
{
    std::vector<float> in = {6.0f, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f, -5.5f, -0.25f};
    in.resize(32, 0.0f);
    const std::vector<float> rne = {6, 0, 1, 1, 2, 2, 4, 4, -6, -0.0f};
    const std::vector<float> away = {6, 0.5f, 1, 1.5f, 2, 3, 4, 6, -6, -0.5f};
    for (MxScaleRule r : {MxScaleRule::Floor, MxScaleRule::Rceil}) {
        expectPrefix("mxfp4", in, rne, rule(r));
        expectPrefix("mxfp4", in, away, rule(r, ElemRounding::Away));
    }
}

void TestMx::example65c()
{
    std::vector<float> in = {500.0f, 1.0f, 0.01f, -37.0f};
    in.resize(32, 0.0f);
    expectPrefix("mxfp8", in, {448, 1.0f, 0.009765625f, -36}, rule(MxScaleRule::Floor));
    expectPrefix("mxfp8", in, {512, 1.0f, 0.01171875f, -36}, rule(MxScaleRule::Rceil));
    expectPrefix("mxfp8_e5m2", in, {448, 1.0f, 0.009765625f, -40}, rule(MxScaleRule::Floor));
    expectPrefix("mxfp8_e5m2", in, {512, 1.0f, 0.009765625f, -40}, rule(MxScaleRule::Rceil));
}

void TestMx::example65d()
{
    std::vector<float> in = {3.0f, 0.1f, -7.9f, 0.33f};
    in.resize(32, 0.0f);
    expectPrefix("mxfp6", in, {3.0f, 0.125f, -7.5f, 0.375f}, rule(MxScaleRule::Floor));
    expectPrefix("mxfp6_e3m2", in, {3.0f, 0.09375f, -7.0f, 0.3125f}, rule(MxScaleRule::Floor));
}

// A NaN or Inf makes its whole block NaN (scale 0xFF); the next block is unaffected.
void TestMx::nanInfBlock()
{
    for (float special : {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::infinity()}) {
        std::vector<float> in(64, 1.0f), want(64, std::numeric_limits<float>::quiet_NaN());
        in[7] = special;
        for (int i = 32; i < 64; ++i)
            want[size_t(i)] = 1.0f;
        for (const char* n : {"mxfp4", "mxfp6", "mxfp6_e3m2", "mxfp8", "mxfp8_e5m2"})
            expectPrefix(n, in, want, {});
    }
}

// All-zero block: scale byte 0, the zeros keep their sign; negative values that round to
// zero give -0.0 (the element's sign bit survives, unlike bfp).
void TestMx::zeroBlockAndSigns()
{
    std::vector<float> in(32, 0.0f);
    in[3] = -0.0f;
    expectPrefix("mxfp4", in, in, {});
    std::vector<float> in2(32, 0.0f);
    in2[0] = 4.0f;
    in2[1] = -0.1f;
    std::vector<float> want2(32, 0.0f);
    want2[0] = 4.0f;
    want2[1] = -0.0f;
    expectPrefix("mxfp4", in2, want2, {});
}

// Width 37: one full block and a 5-element tail that is quantized on its own.
void TestMx::tailAndIndependence()
{
    std::vector<float> in(37, 0.01f);
    in[0] = 100.0f;  // only the first block's scale grows
    std::vector<float> want(37, 0.0f);
    want[0] = 96.0f;  // FLOOR: s = 6 - 2 = 4, 100/16 = 6.25 -> 6 -> 96
    for (int i = 32; i < 37; ++i)  // tail: s = -7 - 2 = -9, 0.01 * 512 = 5.12 -> 6 -> 6 * 2^-9
        want[size_t(i)] = 0.01171875f;
    expectPrefix("mxfp4", in, want, {});
    // Two rows never interact.
    std::vector<float> two(64, 0.0f);
    two[0] = 6.0f;
    two[1] = 0.5f;
    two[32] = 0.5f;
    std::vector<float> want3 = two;
    want3[1] = 0.5f;
    expectPrefix("mxfp4", two, want3, {}, 2);
}

// Scale clamping: subnormal maxima clamp s at -127; near FLT_MAX the dequantized value
// can overflow to Inf (decode * X in fp32), as the spec's formula implies.
void TestMx::tinyAndHugeScales()
{
    std::vector<float> tiny(32, 0.0f);
    tiny[0] = 1e-40f;  // FLOOR s = -133 - 2 -> clamped to -127; 1e-40 * 2^127 = 0.017 -> 0
    expectPrefix("mxfp4", tiny, std::vector<float>(32, 0.0f), {});
    std::vector<float> big(32, 0.0f);
    big[0] = bitsToFloat(0x7F7FFFFF);
    big[1] = 3e38f;
    // FLOOR: s = 127 - 2 = 125, FLT_MAX / 2^125 = 7.99 -> 6 -> 6 * 2^125; 3e38 -> 7.05 -> 6.
    expectPrefix("mxfp4", big, {6 * 0x1p125f, 6 * 0x1p125f}, {});
    // E4M3 RCEIL: s = 120, FLT_MAX / 2^120 = 255.99 -> 256 -> 2^128 = Inf.
    expectPrefix("mxfp8", big, {std::numeric_limits<float>::infinity()}, rule(MxScaleRule::Rceil));
}

// #14: --mx-convention microxcaling against outputs of microxcaling itself (mx_ops.py at
// 7bc4195, default specs: round "nearest", scale_bits 8, block 32), each next to the OCP
// result; docs/CONVENTIONS.md derives them. Blocks are zero-padded to 32.
void TestMx::microxcalingConvention()
{
    FormatOptions micro;
    micro.mxConvention = MxConvention::Microxcaling;
    const float inf = std::numeric_limits<float>::infinity();
    auto both = [&](const char* name, std::vector<float> in, std::vector<float> ocp, std::vector<float> mx) {
        in.resize(32, 0.0f);
        ocp.resize(32, 0.0f);
        mx.resize(32, 0.0f);
        expectPrefix(name, in, ocp, FormatOptions{});
        expectPrefix(name, in, mx, micro);
    };
    // floor(log2) in fp32: 7.9999995 has log2 3 - 8.6e-8, which rounds to 3.
    both("mxfp4", {bitsToFloat(0x40FFFFFFu), 1.0f}, {6.0f, 1.0f}, {8.0f, 1.0f});
    // FLT_MAX: log2 rounds to 128, the element rounds to 2^emax: 2^128 = +Inf.
    both("mxfp4", {3.4028235e38f, 1.0f}, {2.5521178e38f, 0.0f}, {inf, 0.0f});
    // Ties away from zero, the fp32 add in floor(|m| + 0.5) (0x1.fffffep-3 -> 0.5), -0.0 -> +0.
    both("mxfp4", {6.0f, 2.5f, 5.0f, 0.25f, bitsToFloat(0x3E7FFFFFu), -0.0f, -0.1f},
         {6.0f, 2.0f, 4.0f, 0.0f, 0.0f, -0.0f, -0.0f}, {6.0f, 3.0f, 6.0f, 0.5f, 0.5f, 0.0f, -0.0f});
    both("mxfp8", {bitsToFloat(0x437FFFFFu), 3.0f}, {224.0f, 3.0f}, {256.0f, 3.0f});
    both("mxfp8", {bitsToFloat(0x3E7FFFFFu), 0.03f}, {0.21875f, 0.029296875f}, {0.25f, 0.029296875f});
    both("mxfp8", {448.0f, 1.0625f}, {448.0f, 1.0f}, {448.0f, 1.125f});
    both("mxfp8", {448.0f, bitsToFloat(0x3A7FFFFFu)}, {448.0f, 0.0f}, {448.0f, 0x1p-9f});
    both("mxfp8_e5m2", {57344.0f, 9216.0f}, {57344.0f, 8192.0f}, {57344.0f, 10240.0f});
    both("mxfp6_e3m2", {28.0f, 2.25f}, {28.0f, 2.0f}, {28.0f, 2.5f});
    both("mxfp6", {7.5f, 0.0625f}, {7.5f, 0.0f}, {7.5f, 0.125f});
    // A NaN or Inf block is NaN in both.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    both("mxfp4", {-inf, 1.0f}, std::vector<float>(32, nan), std::vector<float>(32, nan));
    // microxcaling's round="even" (--elem-rounding rne): ties to even, the fp32 quirk stays.
    FormatOptions microEven = micro;
    microEven.elemRounding = ElemRounding::Rne;
    std::vector<float> in = {6.0f, 2.5f, 5.0f, 0.25f, bitsToFloat(0x3E7FFFFFu), -0.0f};
    std::vector<float> want = {6.0f, 2.0f, 4.0f, 0.0f, 0.5f, 0.0f};
    in.resize(32, 0.0f);
    want.resize(32, 0.0f);
    expectPrefix("mxfp4", in, want, microEven);
}

// #14: --mx-convention torchao differs from OCP only where --mx-scale even rounds the block
// maximum past FLT_MAX: OCP keeps the valid scale 2^(128 - emax) (the element may then
// decode to Inf in fp32), torchao's isfinite test on the rounded maximum makes the block NaN.
void TestMx::torchaoConvention()
{
    FormatOptions ocpEven, aoEven;
    ocpEven.mxScale = aoEven.mxScale = MxScaleRule::Even;
    aoEven.mxConvention = MxConvention::TorchAo;
    std::vector<float> in(32, 0.0f);
    in[0] = bitsToFloat(0x7F7FC99Eu);  // 3.4e38: rounded to 1 mantissa bit it is 2^128
    in[1] = 1.0f;
    std::vector<float> ocp(32, 0.0f), ao(32, std::numeric_limits<float>::quiet_NaN());
    ocp[0] = std::numeric_limits<float>::infinity();  // s = 126; 3.997 -> 4; 4 * 2^126
    expectPrefix("mxfp4", in, ocp, ocpEven);
    expectPrefix("mxfp4", in, ao, aoEven);
    // Below the overflow both agree (2.9e38 rounds to 1.5 * 2^127: s = 125).
    in[0] = 2.9e38f;
    const std::vector<float> same = runKernel(fmt("mxfp4"), Path::Reference, in, 1, 32, ocpEven);
    expectPrefix("mxfp4", in, same, aoEven);
    QVERIFY(std::isfinite(same[0]));
}

QTEST_GUILESS_MAIN(TestMx)
#include "test_mx.moc"
