// Scalar minifloat codecs (FORMATS.md §5) and bf16 helpers: the spec's worked table and
// decode checks, plus structural checks over every code of every format (round trip,
// midpoints tie to the even code, neighbours of midpoints go to the nearer code,
// saturation / overflow rules).
#include <QTest>

#include <cmath>
#include <limits>

#include "formats/minifloat.h"
#include "golden.h"

using namespace qs;
using qs::test::bitsToFloat;
using qs::test::floatToBits;

namespace {

struct Codec {
    const char* name;
    int width;  // code bits
    float (*decode)(uint8_t);
    uint8_t (*encodeRne)(float);
    uint8_t (*encodeAway)(float);
    bool hasNan;  // NaN/Inf codes exist (skipped in the grid walk)
};

uint8_t e2m1(float x) { return encodeE2M1(x); }
uint8_t e2m1a(float x) { return encodeE2M1(x, ElemRounding::Away); }
uint8_t e2m3(float x) { return encodeE2M3(x); }
uint8_t e2m3a(float x) { return encodeE2M3(x, ElemRounding::Away); }
uint8_t e3m2(float x) { return encodeE3M2(x); }
uint8_t e3m2a(float x) { return encodeE3M2(x, ElemRounding::Away); }
uint8_t e4m3(float x) { return encodeE4M3(x); }
uint8_t e4m3a(float x) { return encodeE4M3(x, true, ElemRounding::Away); }
uint8_t e5m2(float x) { return encodeE5M2(x); }
uint8_t e5m2a(float x) { return encodeE5M2(x, true, ElemRounding::Away); }

const Codec kCodecs[] = {
    {"E2M1", 4, decodeE2M1, e2m1, e2m1a, false}, {"E2M3", 6, decodeE2M3, e2m3, e2m3a, false},
    {"E3M2", 6, decodeE3M2, e3m2, e3m2a, false}, {"E4M3", 8, decodeE4M3, e4m3, e4m3a, true},
    {"E5M2", 8, decodeE5M2, e5m2, e5m2a, true},
};

} // namespace

class TestMinifloat : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void specTable_data();
    void specTable();
    void decodeChecks();
    void e2m1Magnitudes();
    void gridWalk();
    void saturationAndSpecials();
    void e8m0();
    void bf16Helpers();
};

void TestMinifloat::specTable_data()
{
    QTest::addColumn<float>("x");
    QTest::addColumn<int>("e4sat");
    QTest::addColumn<int>("e4nonsat");
    QTest::addColumn<int>("e5sat");
    QTest::addColumn<int>("e5nonsat");
    QTest::addColumn<float>("e4value");
    QTest::addColumn<float>("e5value");
    QTest::newRow("0.3") << 0.3f << 0x2A << 0x2A << 0x35 << 0x35 << 0.3125f << 0.3125f;
    QTest::newRow("-1.7") << -1.7f << 0xBE << 0xBE << 0xBF << 0xBF << -1.75f << -1.75f;
    QTest::newRow("464") << 464.0f << 0x7E << 0x7E << 0x5F << 0x5F << 448.0f << 448.0f;
    QTest::newRow("470") << 470.0f << 0x7E << 0x7F << 0x5F << 0x5F << 448.0f << 448.0f;
    QTest::newRow("61440") << 61440.0f << 0x7E << 0x7F << 0x7B << 0x7C << 448.0f << 57344.0f;
    QTest::newRow("0.001") << 0.001f << 0x01 << 0x01 << 0x14 << 0x14 << 0x1p-9f << 0x1p-10f;
    QTest::newRow("2^-10") << 0x1p-10f << 0x00 << 0x00 << 0x14 << 0x14 << 0.0f << 0x1p-10f;
    QTest::newRow("0.0146") << 0.0146f << 0x07 << 0x07 << 0x23 << 0x23 << 0.013671875f << 0.013671875f;
    QTest::newRow("1e-5") << 1e-5f << 0x00 << 0x00 << 0x01 << 0x01 << 0.0f << 0x1p-16f;
}

void TestMinifloat::specTable()
{
    QFETCH(float, x);
    QFETCH(int, e4sat);
    QFETCH(int, e4nonsat);
    QFETCH(int, e5sat);
    QFETCH(int, e5nonsat);
    QFETCH(float, e4value);
    QFETCH(float, e5value);
    QCOMPARE(int(encodeE4M3(x, true)), e4sat);
    QCOMPARE(int(encodeE4M3(x, false)), e4nonsat);
    QCOMPARE(int(encodeE5M2(x, true)), e5sat);
    QCOMPARE(int(encodeE5M2(x, false)), e5nonsat);
    QCOMPARE(floatToBits(decodeE4M3(uint8_t(e4sat))), floatToBits(e4value));
    QCOMPARE(floatToBits(decodeE5M2(uint8_t(e5sat))), floatToBits(e5value));
    QCOMPARE(floatToBits(roundE4M3(x)), floatToBits(e4value));
    QCOMPARE(floatToBits(roundE5M2(x)), floatToBits(e5value));
}

void TestMinifloat::decodeChecks()
{
    // §5 decode checks.
    QCOMPARE(decodeE4M3(0x08), 0x1p-6f);
    QCOMPARE(decodeE4M3(0x38), 1.0f);
    QCOMPARE(floatToBits(decodeE4M3(0x80)), 0x80000000u);
    QVERIFY(std::isnan(decodeE4M3(0xFF)));
    QVERIFY(std::isnan(decodeE4M3(0x7F)));
    QCOMPARE(decodeE5M2(0x04), 0x1p-14f);
    QCOMPARE(decodeE5M2(0x3C), 1.0f);
    QVERIFY(std::isnan(decodeE5M2(0x7D)));
    QCOMPARE(decodeE5M2(0xFC), -std::numeric_limits<float>::infinity());
    QCOMPARE(decodeE5M2(0x7C), std::numeric_limits<float>::infinity());
    // More E4M3 decodes (the safetensors reader relies on these; FORMATS.md §9 codes).
    QCOMPARE(decodeE4M3(0x7E), 448.0f);
    QCOMPARE(decodeE4M3(0x2A), 0.3125f);
    QCOMPARE(decodeE4M3(0xBC), -1.5f);
    QCOMPARE(decodeE4M3(0x01), 0x1p-9f);
    QCOMPARE(decodeE4M3(0x07), 0.013671875f);
    QCOMPARE(decodeE4M3(0x00), 0.0f);
    QCOMPARE(decodeE4M3(0xFE), -448.0f);
    // §9 worked example: 0x2A * 0.0123f -> bf16 0x3B7C.
    QCOMPARE(bf16BitsRef(decodeE4M3(0x2A) * bitsFloat(0x3C4985F0u)), uint16_t(0x3B7C));
    QCOMPARE(bf16BitsRef(decodeE4M3(0xBC) * bitsFloat(0x3C4985F0u)), uint16_t(0xBC97));
    QCOMPARE(bf16BitsRef(decodeE4M3(0x7E) * bitsFloat(0x3C4985F0u)), uint16_t(0x40B0));
    QCOMPARE(decodeE4M3(0x7E) * 0x1p-8f, 1.75f);
    // Every E4M3 code: exact formula.
    for (int c = 0; c < 256; ++c) {
        const int e = (c >> 3) & 15, f = c & 7;
        const double mag = e == 0 ? f / 8.0 * std::ldexp(1.0, -6) : (1 + f / 8.0) * std::ldexp(1.0, e - 7);
        if (e == 15 && f == 7)
            continue;
        QCOMPARE(double(decodeE4M3(uint8_t(c))), (c & 0x80) ? -mag : mag);
    }
}

void TestMinifloat::e2m1Magnitudes()
{
    const float mags[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (int c = 0; c < 16; ++c)
        QCOMPARE(decodeE2M1(uint8_t(c)), (c & 8) ? -mags[c & 7] : mags[c & 7]);
    QCOMPARE(floatToBits(decodeE2M1(8)), 0x80000000u);
    QCOMPARE(decodeE2M3(0x1F), 7.5f);
    QCOMPARE(decodeE2M3(0x01), 0.125f);
    QCOMPARE(decodeE3M2(0x1F), 28.0f);
    QCOMPARE(decodeE3M2(0x01), 0.0625f);
    QCOMPARE(decodeE3M2(0x04), 0.25f);
}

// For every pair of consecutive non-negative codes: both round-trip, the midpoint goes to
// the even code under RNE and to the larger under half-away, and the fp32 neighbours of
// the midpoint go to the nearer code.
void TestMinifloat::gridWalk()
{
    for (const Codec& c : kCodecs) {
        const int half = 1 << (c.width - 1);
        int prev = -1;
        for (int code = 0; code < half; ++code) {
            const float v = c.decode(uint8_t(code));
            if (std::isnan(v) || std::isinf(v))
                break;
            QVERIFY2(c.encodeRne(v) == code, c.name);
            QVERIFY2(c.encodeRne(-v) == (code | half), c.name);
            if (prev >= 0) {
                const float lo = c.decode(uint8_t(prev));
                const float mid = (lo + v) / 2;  // exact
                QVERIFY2(c.encodeRne(mid) == ((prev & 1) ? code : prev), c.name);
                QVERIFY2(c.encodeAway(mid) == code, c.name);
                QVERIFY2(c.encodeRne(-mid) == (((prev & 1) ? code : prev) | half), c.name);
                QVERIFY2(c.encodeRne(std::nextafter(mid, 0.0f)) == prev, c.name);
                QVERIFY2(c.encodeRne(std::nextafter(mid, 1e30f)) == code, c.name);
            }
            prev = code;
        }
    }
}

void TestMinifloat::saturationAndSpecials()
{
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    QCOMPARE(int(encodeE2M1(7.0f)), 0x7);
    QCOMPARE(int(encodeE2M1(1e30f)), 0x7);
    QCOMPARE(int(encodeE2M1(-inf)), 0xF);
    QCOMPARE(int(encodeE2M1(0.25f)), 0x0);   // tie -> even (0)
    QCOMPARE(int(encodeE2M1(-0.25f)), 0x8);  // -0
    QCOMPARE(int(encodeE2M1(0.25f, ElemRounding::Away)), 0x1);
    QCOMPARE(int(encodeE2M1(5.0f)), 0x6);
    QCOMPARE(int(encodeE2M1(5.0f, ElemRounding::Away)), 0x7);
    QCOMPARE(int(encodeE2M1(1e-40f)), 0x0);
    QCOMPARE(int(encodeE2M3(100.0f)), 0x1F);
    QCOMPARE(int(encodeE3M2(-100.0f)), 0x3F);
    QCOMPARE(int(encodeE4M3(inf, true)), 0x7E);
    QCOMPARE(int(encodeE4M3(-inf, true)), 0xFE);
    QCOMPARE(int(encodeE4M3(inf, false)), 0x7F);
    QCOMPARE(int(encodeE4M3(-inf, false)), 0xFF);
    QCOMPARE(int(encodeE4M3(nan, true)), 0x7F);
    QCOMPARE(int(encodeE4M3(-nan, true)), 0xFF);
    QCOMPARE(int(encodeE4M3(480.0f, false)), 0x7F);
    QCOMPARE(int(encodeE4M3(464.0f, false)), 0x7E);
    QCOMPARE(int(encodeE4M3(std::nextafter(464.0f, 1e9f), false)), 0x7F);
    QCOMPARE(int(encodeE4M3(std::nextafter(464.0f, 1e9f), true)), 0x7E);
    QCOMPARE(int(encodeE4M3(-0.0f)), 0x80);
    QCOMPARE(int(encodeE5M2(inf, true)), 0x7B);
    QCOMPARE(int(encodeE5M2(inf, false)), 0x7C);
    QCOMPARE(int(encodeE5M2(-inf, false)), 0xFC);
    QCOMPARE(int(encodeE5M2(std::nextafter(61440.0f, 0.0f), false)), 0x7B);
    QCOMPARE(int(encodeE5M2(1e30f, false)), 0x7C);
    QCOMPARE(int(encodeE5M2(nan)), 0x7F);
    QCOMPARE(int(encodeE5M2(0x1p-17f)), 0x00);  // tie between 0 and 2^-16 -> even 0
    QCOMPARE(int(encodeE5M2(std::nextafter(0x1p-17f, 1.0f))), 0x01);
    QCOMPARE(int(encodeE4M3(0x1p-10f)), 0x00);
    QCOMPARE(int(encodeE4M3(3 * 0x1p-10f)), 0x02);  // 1.5 quanta -> even code 2
}

void TestMinifloat::e8m0()
{
    QCOMPARE(decodeE8M0(127), 1.0f);
    QCOMPARE(decodeE8M0(126), 0.5f);
    QCOMPARE(decodeE8M0(254), 0x1p127f);
    QCOMPARE(floatToBits(decodeE8M0(0)), 0x00400000u);  // 2^-127, a subnormal
    QVERIFY(std::isnan(decodeE8M0(0xFF)));
    QCOMPARE(int(encodeE8M0(1.0f)), 127);
    QCOMPARE(int(encodeE8M0(1.9f)), 127);
    QCOMPARE(int(encodeE8M0(0x1p-127f)), 0);
    QCOMPARE(int(encodeE8M0(1e-45f)), 0);
    QCOMPARE(int(encodeE8M0(0x1p127f)), 254);
    QCOMPARE(int(encodeE8M0(0.0f)), 0xFF);
    QCOMPARE(int(encodeE8M0(-1.0f)), 0xFF);
    QCOMPARE(int(encodeE8M0(std::numeric_limits<float>::infinity())), 0xFF);
    QCOMPARE(int(e8m0FromExponent(-127)), 0);
    QCOMPARE(int(e8m0FromExponent(128)), 0xFF);
    for (int b = 0; b < 255; ++b)
        QCOMPARE(int(encodeE8M0(decodeE8M0(uint8_t(b)))), b);
}

void TestMinifloat::bf16Helpers()
{
    // §2 worked examples.
    QCOMPARE(bf16BitsRef(bitsFloat(0x3F808000u)), uint16_t(0x3F80));
    QCOMPARE(bf16BitsRef(bitsFloat(0x3F818000u)), uint16_t(0x3F82));
    QCOMPARE(bf16BitsRef(-0.1f), uint16_t(0xBDCD));
    QCOMPARE(bf16BitsRef(bitsFloat(0x7F7FFFFFu)), uint16_t(0x7F80));
    QCOMPARE(bf16BitsRef(1e-40f), uint16_t(0x0001));
    QCOMPARE(bf16ToFloat(0xBDCD), -0.10009765625f);
    // NaN bit trick [REF] vs canonical [HW].
    QCOMPARE(bf16BitsRef(bitsFloat(0x7FFFFFFFu)), uint16_t(0x8000));
    QCOMPARE(bf16BitsRef(bitsFloat(0xFFFFFFFFu)), uint16_t(0x0000));
    QCOMPARE(bf16BitsRef(bitsFloat(0x7F800001u)), uint16_t(0x7F80));
    QCOMPARE(bf16BitsRef(bitsFloat(0xFFC00000u)), uint16_t(0xFFC0));
    QCOMPARE(bf16BitsCanonical(bitsFloat(0x7FFFFFFFu)), uint16_t(0x7FC0));
    QCOMPARE(bf16BitsCanonical(bitsFloat(0xFFC00000u)), uint16_t(0x7FC0));
    QCOMPARE(bf16BitsCanonical(bitsFloat(0x7F7FFFFFu)), uint16_t(0x7F80));
    QCOMPARE(floatBits(1.0f), 0x3F800000u);
    QCOMPARE(bitsFloat(0xC0000000u), -2.0f);
}

QTEST_GUILESS_MAIN(TestMinifloat)
#include "test_minifloat.moc"
