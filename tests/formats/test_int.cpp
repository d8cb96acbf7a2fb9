// Emulated integer formats (docs/CHECKPOINTS.md, "Emulated integer formats"): the worked
// examples of the document literally, ragged last groups, the zero point's range, the
// epsilon scale of a tiny group, all-zero groups (+0), NaN / Inf / overflowing groups,
// bits per element and payload bytes; reference and fast kernel each. (Fast == reference
// on random bits and odd shapes: test_fast_vs_ref, which covers every registry row.)
#include <QTest>

#include <cmath>
#include <limits>

#include "format_test_util.h"

using namespace qs;
using namespace qs::test;

namespace {

// Both paths of `name` on a rows x (in.size() / rows) view give exactly `want` (bits).
void expect(const char* name, const std::vector<float>& in, const std::vector<float>& want, int64_t rows = 1)
{
    QCOMPARE(in.size(), want.size());
    for (Path p : {Path::Reference, Path::Fast}) {
        const auto got = runKernel(fmt(name), p, in, rows, int64_t(in.size()) / rows);
        const QString msg = compareBits(QStringLiteral("%1 %2").arg(QLatin1String(name),
                                            p == Path::Reference ? QStringLiteral("ref") : QStringLiteral("fast")),
                                        want.data(), got.data(), qint64(want.size()), in.data());
        QVERIFY2(msg.isEmpty(), qPrintable(msg));
    }
}

const float kNan = bitsToFloat(0x7FC00000u);

} // namespace

class TestInt : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void workedExamples();
    void raggedGroups();
    void zeroPointRange();
    void tinyGroupUsesEpsilon();
    void zeroGroups();
    void nanInfGroups();
    void sizes();
};

// The five examples of docs/CHECKPOINTS.md, value for value.
void TestInt::workedExamples()
{
    // int8: s = bf16(1.0 / 127.5) = 129 * 2^-14; 0.13 / s = 16.511 -> bf16 16.5 -> 16 (tie to
    // even), -0.75 / s = -95.256 -> bf16 -95.5 -> -96.
    expect("int8", {1.0f, 0.13f, -0.75f, 0.0f}, {0.99993896484375f, 0.1259765625f, -0.755859375f, 0.0f});
    // int4_g128 on a row of 5 (one short group): s = bf16(0.7 / 7.5) = 0.09326171875.
    expect("int4_g128", {0.7f, -0.35f, 0.1f, -0.04f, 0.25f},
           {0.65283203125f, -0.373046875f, 0.09326171875f, 0.0f, 0.27978515625f});
    // int4_g32 on a row of 35: a full group (s = 0.080078125; -0.6 / s = -7.4927 -> bf16 -7.5
    // -> -8) and a short group of 3 (s = 0.00665283203125).
    {
        std::vector<float> in = {-0.6f, 0.2f}, want = {-0.640625f, 0.16015625f};
        in.resize(32, 0.0f);
        want.resize(32, 0.0f);
        for (float v : {0.05f, -0.01f, 0.02f}) in.push_back(v);
        for (float v : {0.04656982421875f, -0.0133056640625f, 0.01995849609375f}) want.push_back(v);
        expect("int4_g32", in, want);
    }
    // int4_g128_asym: s = bf16(bf16(1.2) / 15) = 0.080078125, zp = rint(bf16(-8 + 3.75)) = -4.
    expect("int4_g128_asym", {-0.3f, 0.1f, 0.9f, 0.45f}, {-0.3203125f, 0.080078125f, 0.880859375f, 0.48046875f});
    // int4_g32_asym, all negative: s = 0.0059814453125, zp = bf16(-8 + 15.0625) = 7.0625 ->
    // clamped to 7 (stored nibble 15).
    expect("int4_g32_asym", {-0.09f, -0.05f, -0.02f, -0.07f},
           {-0.0897216796875f, -0.0478515625f, -0.0179443359375f, -0.07177734375f});
}

// The last group of a row holds cols % g elements and has a scale of its own; rows are
// independent (int8: one scale per row).
void TestInt::raggedGroups()
{
    // 130 columns in int4_g128: group 0 (absmax 8, s = 1.0703125) and group 1 = [0.05, -0.01]
    // alone, which quantizes exactly as the same two values as a row of their own.
    std::vector<float> in(128, 0.5f);
    in[0] = 8.0f;
    in.push_back(0.05f);
    in.push_back(-0.01f);
    std::vector<float> want(128, 0.0f);  // 0.5 / 1.0703125 = 0.467 -> 0
    want[0] = 7.4921875f;                // 7 * s: +7.5 clamps to 7
    want.push_back(0.04656982421875f);
    want.push_back(-0.0133056640625f);
    expect("int4_g128", in, want);
    expect("int4_g128", {0.05f, -0.01f}, {0.04656982421875f, -0.0133056640625f});
    // int4_g32_asym, 35 columns: the short group [0.3, -0.1, 0.05] has zp = rint(-4.25) = -4.
    std::vector<float> a(32, 0.0f), aw(32, 0.0f);
    for (float v : {0.3f, -0.1f, 0.05f}) a.push_back(v);
    for (float v : {0.2940673828125f, -0.10693359375f, 0.053466796875f}) aw.push_back(v);
    expect("int4_g32_asym", a, aw);
    // int8, two rows of 3: row 1's scale comes from its own absmax 2 (s = 129 * 2^-13).
    expect("int8", {1.0f, 0.13f, -0.75f, -2.0f, 0.3f, 1e-3f},
           {0.99993896484375f, 0.1259765625f, -0.755859375f, -1.9998779296875f, 0.2991943359375f, 0.0f}, 2);
}

// Zero points live in [-8, 7] (stored nibbles 0..15): an all-positive group has zp = -8
// (min is taken with 0, so it can never go below), an all-negative one zp = 7 (the bf16
// zero point 7.0625 of the worked example is clamped). Mirrored groups give mirrored
// codes around the two ends.
void TestInt::zeroPointRange()
{
    // lo = 0: s = bf16(1/15) = 0.06689453125, zp = -8; 1.0 / s = 14.95 -> bf16 14.9375 - 8 -> 7.
    expect("int4_g32_asym", {0.2f, 0.5f, 1.0f, 0.05f}, {0.20068359375f, 0.46826171875f, 1.00341796875f, 0.06689453125f});
    expect("int4_g128_asym", {-0.2f, -0.5f, -1.0f, -0.05f},
           {-0.20068359375f, -0.46826171875f, -1.00341796875f, -0.06689453125f});
}

// A group whose scale would be below torch.finfo(float32).eps uses 2^-23.
void TestInt::tinyGroupUsesEpsilon()
{
    expect("int4_g32", {1e-7f, -3e-7f}, {0x1p-23f, -0x1.8p-22f});
    // asym: zp = rint(bf16(-8 + 2.515625)) = rint(-5.5) = -6 (ties to even).
    expect("int4_g32_asym", {1e-7f, -3e-7f}, {0x1p-23f, -0x1p-22f});
}

// All-zero groups (with -0.0) give +0 everywhere; a value that rounds to code zp is +0 too.
void TestInt::zeroGroups()
{
    for (const char* name : {"int8", "int4_g128", "int4_g128_asym", "int4_g32", "int4_g32_asym"}) {
        std::vector<float> in(40, 0.0f);
        in[3] = -0.0f;
        in[39] = -0.0f;
        expect(name, in, std::vector<float>(40, 0.0f));
    }
    // -0.04 -> code 0 -> +0 (int4_g128 example), -1e-3 in int8 likewise.
    expect("int8", {-1e-3f, 1.0f}, {0.0f, 0.99993896484375f});
}

// A NaN or an Inf in a group, or a range max - min that overflows, makes the whole group
// the NaN 0x7FC00000; the other groups and rows are untouched.
void TestInt::nanInfGroups()
{
    const float inf = std::numeric_limits<float>::infinity();
    for (const char* name : {"int4_g32", "int4_g32_asym"}) {
        for (float bad : {std::nanf(""), -std::nanf(""), inf, -inf}) {
            std::vector<float> in(34, 0.25f);
            in[7] = bad;
            in[32] = 0.05f;
            in[33] = -0.01f;
            std::vector<float> want(32, kNan);
            const auto tail = runKernel(fmt(name), Path::Reference, {0.05f, -0.01f}, 1, 2);
            want.insert(want.end(), tail.begin(), tail.end());
            QVERIFY(!std::isnan(tail[0]) && !std::isnan(tail[1]));
            expect(name, in, want);
        }
    }
    // The NaN is 0x7FC00000 exactly, on both paths (compareBits treats all NaNs alike).
    for (Path p : {Path::Reference, Path::Fast}) {
        const auto got = runKernel(fmt("int4_g128_asym"), p, {1.0f, -inf, 0.5f}, 1, 3);
        for (float v : got) QCOMPARE(floatToBits(v), 0x7FC00000u);
    }
    // int8: a NaN poisons its row only.
    expect("int8", {1.0f, std::nanf(""), 0.13f, -0.75f, 1.0f, 0.13f, -0.75f, 0.0f},
           {kNan, kNan, kNan, kNan, 0.99993896484375f, 0.1259765625f, -0.755859375f, 0.0f}, 2);
    // Finite values whose range overflows fp32 (asym); huge finite values are fine (sym).
    expect("int4_g32_asym", {3e38f, -3e38f}, {kNan, kNan});
    const auto huge = runKernel(fmt("int4_g32"), Path::Reference, {3e38f, -3e38f}, 1, 2);
    QVERIFY(std::isfinite(huge[0]) && std::isfinite(huge[1]));
    QCOMPARE(huge[0] / 7, -huge[1] / 8);  // +absmax -> 7.5 -> clamped 7; -absmax -> -7.5 -> -8 (even)
}

void TestInt::sizes()
{
    QCOMPARE(fmt("int8").bitsPerElement, 8.0);
    QCOMPARE(fmt("int4_g128").bitsPerElement, 4.0 + 16.0 / 128);
    QCOMPARE(fmt("int4_g128_asym").bitsPerElement, 4.0 + 20.0 / 128);
    QCOMPARE(fmt("int4_g32").bitsPerElement, 4.0 + 16.0 / 32);
    QCOMPARE(fmt("int4_g32_asym").bitsPerElement, 4.0 + 20.0 / 32);
    for (const char* n : {"int4_g128", "int4_g128_asym", "int4_g32", "int4_g32_asym"}) QCOMPARE(elementBits(fmt(n)), 4.0);
    QCOMPARE(elementBits(fmt("int8")), 8.0);
    // [4, 130] in int4_g128: per row 130 x 4 bits = 65 B + 2 started groups x 2 B.
    QCOMPARE(payloadBytes(fmt("int4_g128"), 4, 130), 4 * (65.0 + 4.0));
    // asym: + 4-bit zero point per group: 2 x 2.5 B.
    QCOMPARE(payloadBytes(fmt("int4_g128_asym"), 4, 130), 4 * (65.0 + 5.0));
    // [1, 33] in int4_g32: 16.5 B + 2 groups x 2 B.
    QCOMPARE(payloadBytes(fmt("int4_g32"), 1, 33), 20.5);
    QCOMPARE(payloadBytes(fmt("int4_g32_asym"), 1, 33), 16.5 + 5.0);
    // int8 [3, 10]: 10 B + one bf16 scale per row.
    QCOMPARE(payloadBytes(fmt("int8"), 3, 10), 3 * 12.0);
    QCOMPARE(rowPayloadBytes(fmt("int8"), 4096), 4098.0);
    // The tensor sizes of the existing formats are unchanged by the new fields.
    QCOMPARE(payloadBytes(fmt("bfp8"), 2, 17), 2 * (17.0 + 2.0));
    QCOMPARE(payloadBytes(fmt("nvfp4"), 1, 16), 8.0 + 1.0 + 4.0);
    // None of them is a tile format or one of the original seven; `every` takes them.
    for (const char* n : {"int8", "int4_g128", "int4_g128_asym", "int4_g32", "int4_g32_asym"}) {
        QVERIFY(!fmt(n).tileFormat && !fmt(n).original && !fmt(n).needsAbsMax);
        QCOMPARE(fmt(n).rowAlign, 1);
    }
    QCOMPARE(fmt("int4_g128").blockK, 128);
    QCOMPARE(fmt("int4_g32_asym").blockK, 32);
    QCOMPARE(fmt("int8").blockK, 1);
}

QTEST_GUILESS_MAIN(TestInt)
#include "test_int.moc"
