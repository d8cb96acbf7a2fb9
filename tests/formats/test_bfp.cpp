// bfp8 / bfp4 / bfp2 and bf16 / fp0 through the registry: FORMATS.md §2, §3.8, §3.9
// worked examples and hand-made vectors (ties, ±0, subnormals, all-zero and
// all-subnormal groups, exponent spread > 31, NaN/Inf), each for the reference and the
// fast kernel.
#include <QTest>

#include <cmath>
#include <limits>

#include "format_test_util.h"

using namespace qs;
using namespace qs::test;

namespace {

const float kInf = std::numeric_limits<float>::infinity();

// Runs `name` on one row through both paths and checks bit equality with `want`.
void expectRow(const char* name, const std::vector<float>& in, const std::vector<float>& want,
               const FormatOptions& opt = {}, int64_t rows = 1)
{
    const int64_t cols = int64_t(in.size()) / rows;
    for (Path p : {Path::Reference, Path::Fast}) {
        const auto got = runKernel(fmt(name), p, in, rows, cols, opt);
        const QString msg = compareBits(QStringLiteral("%1 %2").arg(QLatin1String(name),
                                            p == Path::Reference ? QStringLiteral("ref") : QStringLiteral("fast")),
                                        want.data(), got.data(), qint64(in.size()), in.data());
        QVERIFY2(msg.isEmpty(), qPrintable(msg));
    }
}

std::vector<float> padTo(std::vector<float> v, size_t n, float fill = 0.0f)
{
    v.resize(n, fill);
    return v;
}

} // namespace

class TestBfp : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bf16Table();
    void bf16Nan();
    void fp0();
    void example39a();
    void example39b();
    void example39c();
    void example39d();
    void optimizeExample();
    void optimizeSkipped();
    void zerosAndSubnormals();
    void exponentSpread();
    void tiesAndClamp();
    void nanInfVariants();
};

void TestBfp::bf16Table()
{
    expectRow("bf16", fromBits({0x3F808000, 0x3F818000, 0xBDCCCCCD, 0x7F7FFFFF, 0x000116C2, 0x80000000, 0xFF7FFFFF}),
              fromBits({0x3F800000, 0x3F820000, 0xBDCD0000, 0x7F800000, 0x00010000, 0x80000000, 0xFF800000}));
}

void TestBfp::bf16Nan()
{
    const auto in = fromBits({0x7FFFFFFF, 0xFFFFFFFF, 0x7F800001, 0xFFC00000, 0x7FC00000});
    expectRow("bf16", in, fromBits({0x80000000, 0x00000000, 0x7F800000, 0xFFC00000, 0x7FC00000}));
    FormatOptions canon;
    canon.bf16CanonicalNan = true;
    expectRow("bf16", in, fromBits({0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000, 0x7FC00000}), canon);
}

void TestBfp::fp0()
{
    expectRow("fp0", fromBits({0x80000000, 0x7FC00000, 0x7F800000, 0xFF800000, 0x3F800000}),
              fromBits({0, 0, 0, 0, 0}));
}

// §3.9 (a): one group, E = 127, for all three formats.
void TestBfp::example39a()
{
    const std::vector<float> in = {1.5f, 0.3f, -0.7f, 1.99f, 1.999f, 0.01f, 0.007f, 0.0078125f,
                                   0.0234375f, -0.001f, -0.0f, 1e-40f, 0.75f, -1.25f, 0.1f, 0.0f};
    expectRow("bfp8", in, {1.5f, 0.296875f, -0.703125f, 1.984375f, 1.984375f, 0.015625f, 0, 0, 0.03125f, 0, 0, 0,
                           0.75f, -1.25f, 0.09375f, 0});
    expectRow("bfp4", in, {1.5f, 0.25f, -0.75f, 1.75f, 1.75f, 0, 0, 0, 0, 0, 0, 0, 0.75f, -1.25f, 0, 0});
    expectRow("bfp2", in, {1.0f, 0, -1.0f, 1.0f, 1.0f, 0, 0, 0, 0, 0, 0, 0, 1.0f, -1.0f, 0, 0});
}

// §3.9 (b): 2 x 40 with padding; groups along the row only.
void TestBfp::example39b()
{
    std::vector<float> in(80, 0.01f), want(80);
    in[5] = 1.0f;
    in[40 + 20] = 1.0f;
    in[40 + 39] = 8.0f;
    const float own = 0.010009765625f;  // 82 * 2^-13
    for (int c = 0; c < 40; ++c) {
        want[size_t(c)] = c < 16 ? 0.015625f : own;
        want[size_t(40 + c)] = c < 16 ? own : (c < 32 ? 0.015625f : 0.0f);
    }
    want[5] = 1.0f;
    want[60] = 1.0f;
    want[79] = 8.0f;
    expectRow("bfp8", in, want, {}, 2);
}

// §3.9 (c): truncation before rounding.
void TestBfp::example39c()
{
    expectRow("bfp4", padTo(fromBits({0x3F800000, 0x3F200001}), 16), padTo({1.0f, 0.5f}, 16));
    expectRow("bfp4", padTo({1.0f, 0.625f}, 16), padTo({1.0f, 0.5f}, 16));
}

// §3.9 (d): specials wipe their group.
void TestBfp::example39d()
{
    expectRow("bfp8", padTo({kInf, 1.0f, -3.0f, 0.5f}, 16, 0.25f), padTo({kInf}, 16));
    const auto in = padTo(fromBits({0x7FC00000, 0x7F400000, 0xFE800000, 0x3F800000}), 16, 1.0f);
    const auto want8 = padTo(fromBits({0x7FC00000, 0x7F400000, 0xFE800000}), 16);
    expectRow("bfp8", in, want8);
    expectRow("bfp4", in, want8);
    expectRow("bfp2", in, padTo({kInf, kInf}, 16));
}

// §3.8.2: optimize_bfp example.
void TestBfp::optimizeExample()
{
    FormatOptions opt;
    opt.bfpOptimizeExponent = true;
    expectRow("bfp8", padTo({1.0f}, 16, 0.008f), padTo({1.0f}, 16, 0.015625f));
    expectRow("bfp8", padTo({1.0f}, 16, 0.008f), padTo({0.9921875f}, 16, 0.0078125f), opt);
    expectRow("bfp4", padTo({1.0f}, 16, 0.13f), padTo({1.0f}, 16, 0.25f));
    expectRow("bfp4", padTo({1.0f}, 16, 0.13f), padTo({0.875f}, 16, 0.125f), opt);
    // A group where E-1 is worse keeps E.
    expectRow("bfp8", padTo({1.0f, 0.75f, -0.5f}, 16), padTo({1.0f, 0.75f, -0.5f}, 16), opt);
    // bfp2 ignores the option (tt-metal: bfp8/bfp4 only).
    expectRow("bfp2", padTo({1.0f}, 16, 0.9f), padTo({1.0f}, 16, 1.0f), opt);
}

// optimize_bfp is skipped for E <= m and E = 255.
void TestBfp::optimizeSkipped()
{
    FormatOptions opt;
    opt.bfpOptimizeExponent = true;
    // E = 3 for bfp4 (values ~2^-124): same as default.
    const auto tiny = padTo(fromBits({0x01800000, 0x00800000}), 16, bitsToFloat(0x00800000));
    for (const char* n : {"bfp4", "bfp8"}) {
        const auto def = runKernel(fmt(n), Path::Reference, tiny, 1, 16);
        expectRow(n, tiny, def, opt);
    }
    expectRow("bfp8", padTo({kInf, 1.0f}, 16), padTo({kInf}, 16), opt);
}

void TestBfp::zerosAndSubnormals()
{
    // All zero / all -0 / all subnormal groups -> +0.
    for (const char* n : {"bfp8", "bfp4", "bfp2"}) {
        expectRow(n, std::vector<float>(16, -0.0f), std::vector<float>(16, 0.0f));
        expectRow(n, std::vector<float>(16, 0.0f), std::vector<float>(16, 0.0f));
        expectRow(n, padTo(fromBits({0x00000001, 0x807FFFFF, 0x00400000}), 16, -1e-40f), std::vector<float>(16, 0.0f));
        // Subnormals next to 1.0 are flushed and do not raise the exponent.
        expectRow(n, padTo({1.0f, 1e-40f, -1e-39f}, 16), padTo({1.0f}, 16));
    }
    // Smallest normal group: E = 1, values keep exact.
    expectRow("bfp8", padTo(fromBits({0x00800000, 0x80800000}), 16), padTo(fromBits({0x00800000, 0x80800000}), 16));
    // Negative value rounding to zero -> +0.0 (no negative zero).
    expectRow("bfp4", padTo({1.0f, -0.06f}, 16), padTo({1.0f, 0.0f}, 16));
}

// Exponent differences >= 24 (and > 31) shift everything out.
void TestBfp::exponentSpread()
{
    expectRow("bfp8", padTo({1e30f, 1.0f, -1e-10f, 1e20f}, 16), padTo({bitsToFloat(0x714A0000), 0, 0, 0}, 16));
    // d exactly m: 0 or the smallest magnitude (0 on the tie).
    expectRow("bfp8", padTo({1.0f, 0x1p-7f, 0x1.2p-7f}, 16), padTo({1.0f, 0.0f, 0x1p-6f}, 16));
    expectRow("bfp8", padTo({1.0f, 0x1p-8f}, 16), padTo({1.0f, 0.0f}, 16));
}

void TestBfp::tiesAndClamp()
{
    // bfp8 ties at E = 127: 1 + 2^-7 (tie, q even -> down), 1 + 3*2^-7 (tie, q odd -> up).
    expectRow("bfp8", padTo({1.0f + 0x1p-7f, 1.0f + 3 * 0x1p-7f}, 16), padTo({1.0f, 1.0f + 4 * 0x1p-7f}, 16));
    // Mantissa overflow clamps (1.999 -> 1.984375 / 1.75 / 1.0).
    expectRow("bfp8", padTo({1.9999999f}, 16), padTo({1.984375f}, 16));
    expectRow("bfp4", padTo({-1.9f}, 16), padTo({-1.75f}, 16));
    expectRow("bfp2", padTo({1.9f, 0.5f, 0.49f}, 16), padTo({1.0f, 0.0f, 0.0f}, 16));
    // bfp2: only {0, ±2^(E-127)}: 0.75 rounds up (r > half), 0.5 is the tie -> 0.
    expectRow("bfp2", padTo({1.0f, 0.75f, -0.5f}, 16), padTo({1.0f, 1.0f, 0.0f}, 16));
}

// NaN payload rules (§3.5): quiet NaN stays NaN in bfp8/bfp4, a low-payload NaN decodes
// to Inf, bfp2 turns every NaN into ±Inf; Inf keeps its sign.
void TestBfp::nanInfVariants()
{
    const auto in = padTo(fromBits({0x7F800001, 0xFFC00000, 0xFF800000}), 16, 2.0f);
    expectRow("bfp8", in, padTo(fromBits({0x7F800000, 0xFFC00000, 0xFF800000}), 16));
    expectRow("bfp4", in, padTo(fromBits({0x7F800000, 0xFFC00000, 0xFF800000}), 16));
    expectRow("bfp2", in, padTo(fromBits({0x7F800000, 0xFF800000, 0xFF800000}), 16));
    // Huge finite values next to Inf (E = 255): FLT_MAX rounds to a code with the top
    // bit set and decodes to Inf; 2^127 decodes to itself.
    expectRow("bfp8", padTo(fromBits({0x7F800000, 0x7F7FFFFF, 0x7F000000}), 16),
              padTo(fromBits({0x7F800000, 0x7F800000, 0x7F000000}), 16));
}

QTEST_GUILESS_MAIN(TestBfp)
#include "test_bfp.moc"
